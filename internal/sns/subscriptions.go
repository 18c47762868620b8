package sns

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventpattern"
	"github.com/stratus-run/stratus/internal/store"
)

// subRecord is a subscription as stored.
type subRecord struct {
	ARN        string            `json:"arn"`
	TopicARN   string            `json:"topic"`
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attributes"` // only those set
	Pending    bool              `json:"pending"`
	Token      string            `json:"token,omitempty"`
	Created    int64             `json:"created"`
	// Unauthenticated records a confirmation by an unsigned request (a
	// visit to the SubscribeURL), for ConfirmationWasAuthenticated.
	Unauthenticated bool `json:"unauth,omitempty"`
}

// subscription is a subscription in memory with its compiled filter.
// Guarded by Service.mu.
type subscription struct {
	rec    subRecord
	rev    uint64
	filter *eventpattern.Pattern // nil: everything matches
}

func (sub *subscription) raw() bool { return sub.rec.Attributes["RawMessageDelivery"] == "true" }

func (sub *subscription) bodyScope() bool {
	return sub.rec.Attributes["FilterPolicyScope"] == "MessageBody"
}

// settableSubAttributes are what Subscribe and SetSubscriptionAttributes take.
var settableSubAttributes = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

// nestedInAttributesScope is the reason eventpattern gives for a nested
// policy under the MessageAttributes scope, which SNS words as a sentence of
// its own rather than after "FilterPolicy: ".
const nestedInAttributesScope = "Filter policy scope MessageAttributes does not support nested filter policy"

// compileFilter compiles the FilterPolicy of attrs under its scope; nil when
// there is none. A policy that does not compile is InvalidParameter with
// Event Ruler's reason after "Invalid parameter: " + reason + "FilterPolicy: ":
// Subscribe passes reason "Attributes Reason: ", SetSubscriptionAttributes
// "", as AWS words the two.
func compileFilter(attrs map[string]string, reason string) (*eventpattern.Pattern, error) {
	policy := attrs["FilterPolicy"]
	if policy == "" {
		return nil, nil
	}
	d := eventpattern.SNSMessageAttributes
	if attrs["FilterPolicyScope"] == "MessageBody" {
		d = eventpattern.SNSMessageBody
	}
	p, err := eventpattern.Compile([]byte(policy), eventpattern.Options{Dialect: d})
	if err != nil {
		var pe *eventpattern.Error
		if errors.As(err, &pe) {
			if pe.Reason == nestedInAttributesScope {
				return nil, invalidParameter(reason + pe.Reason)
			}
			return nil, invalidParameter(reason + "FilterPolicy: " + pe.Reason)
		}
		return nil, invalidParameter(reason + "FilterPolicy: failed to parse JSON.")
	}
	return p, nil
}

// checkSubAttributes validates attrs (the whole set a subscription would
// have) for protocol. reason is what follows "Invalid parameter: " in its
// errors, as in compileFilter.
func checkSubAttributes(attrs map[string]string, protocol, reason string) (*eventpattern.Pattern, error) {
	for k, v := range attrs {
		if !settableSubAttributes[k] {
			return nil, invalidParameter("AttributeName")
		}
		switch k {
		case "RawMessageDelivery":
			if v != "true" && v != "false" {
				return nil, invalidParameter(reason + "RawMessageDelivery: Invalid value [" + v + "]. Must be true or false.")
			}
			if v == "true" && protocol == "lambda" {
				return nil, invalidParameter(reason + "Delivery protocol [lambda] does not support raw message delivery.")
			}
		case "FilterPolicyScope":
			if v != "MessageAttributes" && v != "MessageBody" {
				return nil, invalidParameter(reason + "FilterPolicyScope: Invalid value [" + v + "]. Please use either MessageBody or MessageAttributes")
			}
		case "RedrivePolicy":
			var rp struct {
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			}
			if err := json.Unmarshal([]byte(v), &rp); err != nil {
				return nil, invalidParameter("RedrivePolicy: failed to parse JSON.")
			}
			if p := strings.SplitN(rp.DeadLetterTargetArn, ":", 6); len(p) != 6 || p[0] != "arn" || p[2] != "sqs" {
				return nil, invalidParameter("RedrivePolicy: deadLetterTargetArn is an invalid arn")
			}
		case "DeliveryPolicy":
			if !json.Valid([]byte(v)) {
				return nil, invalidParameter("DeliveryPolicy: failed to parse JSON.")
			}
		}
	}
	return compileFilter(attrs, reason)
}

// checkEndpoint validates a subscription's protocol and endpoint.
func checkEndpoint(protocol, endpoint string) error {
	switch protocol {
	case "sqs":
		if p := strings.SplitN(endpoint, ":", 6); len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[5] == "" {
			return invalidParameter("SQS endpoint ARN")
		}
	case "lambda":
		if p := strings.SplitN(endpoint, ":", 7); len(p) < 7 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" {
			return invalidParameter("Lambda endpoint ARN")
		}
	case "http", "https":
		if !strings.HasPrefix(endpoint, protocol+"://") || len(endpoint) == len(protocol)+3 {
			return invalidParameter("Endpoint must match the specified protocol")
		}
	case "email", "email-json", "sms", "application", "firehose":
		return invalidParameter("Stratus does not deliver to the " + protocol + " protocol")
	default:
		return invalidParameter("Amazon SNS does not support this protocol string: " + protocol)
	}
	return nil
}

type subscribeResult struct {
	SubscriptionArn string
}

func (s *Service) subscribe(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	protocol, ok := c.q.Lookup("Protocol")
	if !ok {
		return nil, missing("protocol")
	}
	endpoint := c.q.Get("Endpoint")
	returnARN := c.q.Get("ReturnSubscriptionArn") == "true"
	attrs := c.q.Map("Attributes.entry", "key", "value")
	if _, _, _, ok := arnParts(arn); !ok {
		return nil, invalidParameter("TopicArn")
	}
	if err := checkEndpoint(protocol, endpoint); err != nil {
		return nil, err
	}
	filter, err := checkSubAttributes(attrs, protocol, "Attributes Reason: ")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topicLocked(arn, "TopicArn")
	if err != nil {
		return nil, err
	}
	if t.fifo() && protocol != "sqs" {
		return nil, invalidParameter("Invalid protocol type: " + protocol)
	}
	// Since September 2023 a FIFO topic delivers to standard queues too; a
	// FIFO queue still needs a FIFO topic.
	if !t.fifo() && protocol == "sqs" && strings.HasSuffix(endpoint, ".fifo") {
		return nil, invalidParameter("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	}
	for _, sub := range s.subs {
		if sub.rec.TopicARN == arn && sub.rec.Protocol == protocol && sub.rec.Endpoint == endpoint {
			for k, v := range attrs {
				if sub.rec.Attributes[k] != v {
					return nil, invalidParameter("Attributes Reason: Subscription already exists with different attributes")
				}
			}
			if sub.rec.Pending && !returnARN {
				return subscribeResult{SubscriptionArn: "pending confirmation"}, nil
			}
			return subscribeResult{SubscriptionArn: sub.rec.ARN}, nil
		}
	}
	if attrs == nil {
		attrs = map[string]string{}
	}
	rec := subRecord{
		ARN: arn + ":" + awsproto.NewRequestID(), TopicARN: arn, Protocol: protocol, Endpoint: endpoint,
		Attributes: attrs, Created: time.Now().UnixNano(),
	}
	if protocol == "http" || protocol == "https" {
		rec.Pending = true
		rec.Token = newToken()
	}
	rev, err := s.subTable.Create(c.ctx, storeKey(rec.ARN), rec)
	if err != nil {
		return nil, err
	}
	sub := &subscription{rec: rec, rev: rev, filter: filter}
	s.subs[rec.ARN] = sub
	if rec.Pending {
		if err := s.enqueue(c.ctx, []delivery{s.confirmation(c.base, t, sub)}); err != nil {
			return nil, err
		}
		if !returnARN {
			return subscribeResult{SubscriptionArn: "pending confirmation"}, nil
		}
	}
	return subscribeResult{SubscriptionArn: rec.ARN}, nil
}

// newToken is a confirmation token (AWS's are long hex strings).
func newToken() string {
	var b [64]byte
	rand.Read(b[:]) //nolint:errcheck // never fails on Linux
	return hex.EncodeToString(b[:])
}

func (s *Service) confirmSubscription(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	token, ok := c.q.Lookup("Token")
	if !ok {
		return nil, missing("token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.topicLocked(arn, "TopicArn"); err != nil {
		return nil, err
	}
	for _, sub := range s.subs {
		if sub.rec.TopicARN != arn || sub.rec.Token != token || token == "" {
			continue
		}
		if sub.rec.Pending {
			rec := sub.rec
			rec.Pending = false
			rec.Unauthenticated = !signed(c.r)
			rev, err := s.subTable.Update(c.ctx, storeKey(rec.ARN), rec, sub.rev)
			if err != nil {
				return nil, err
			}
			sub.rec, sub.rev = rec, rev
		}
		return subscribeResult{SubscriptionArn: sub.rec.ARN}, nil
	}
	if rec, ok := s.removed[token]; ok && rec.TopicARN == arn {
		rec.Pending = false
		rec.Unauthenticated = !signed(c.r)
		rev, err := s.subTable.Create(c.ctx, storeKey(rec.ARN), rec)
		if err != nil {
			return nil, err
		}
		filter, _ := compileFilter(rec.Attributes, "")
		s.subs[rec.ARN] = &subscription{rec: rec, rev: rev, filter: filter}
		delete(s.removed, token)
		return subscribeResult{SubscriptionArn: rec.ARN}, nil
	}
	return nil, invalidParameter("Token")
}

// signed reports whether r carries a SigV4 signature, in its header or its
// query string.
func signed(r *http.Request) bool {
	return r.Header.Get("Authorization") != "" || r.URL.Query().Get("X-Amz-Signature") != ""
}

func (s *Service) unsubscribe(c *request) (any, error) {
	arn, ok := c.q.Lookup("SubscriptionArn")
	if !ok {
		return nil, missing("subscriptionArn")
	}
	if _, _, res, ok := arnParts(arn); !ok || !strings.Contains(res, ":") {
		return nil, invalidParameter("SubscriptionArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[arn]
	if sub == nil {
		return nil, nil
	}
	if err := s.subTable.Delete(c.ctx, storeKey(arn), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	delete(s.subs, arn)
	t := s.topics[sub.rec.TopicARN]
	if t != nil {
		rec := t.rec
		rec.Deleted++
		if err := s.saveTopicLocked(c, t, rec); err != nil {
			return nil, err
		}
	}
	if t != nil && !sub.rec.Pending && (sub.rec.Protocol == "http" || sub.rec.Protocol == "https") {
		// The endpoint is told, with a token that restores the subscription.
		rec := sub.rec
		rec.Token = newToken()
		s.removed[rec.Token] = rec
		if err := s.enqueue(c.ctx, []delivery{s.unsubscribeConfirmation(c.base, t, rec)}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

type subMember struct {
	SubscriptionArn string
	Owner           string
	Protocol        string
	Endpoint        string
	TopicArn        string
}

type listSubsResult struct {
	Subscriptions []subMember `xml:"Subscriptions>member"`
	NextToken     string      `xml:",omitempty"`
}

func (s *Service) listSubscriptions(c *request) (any, error) {
	return s.listSubs(c, func(sub *subscription) bool {
		r, _, _, _ := arnParts(sub.rec.TopicARN)
		return r == c.region
	})
}

func (s *Service) listSubscriptionsByTopic(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	s.mu.Lock()
	_, err := s.topicLocked(arn, "TopicArn")
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.listSubs(c, func(sub *subscription) bool { return sub.rec.TopicARN == arn })
}

func (s *Service) listSubs(c *request, keep func(*subscription) bool) (any, error) {
	s.mu.Lock()
	var subs []subRecord
	for _, sub := range s.subs {
		if keep(sub) {
			subs = append(subs, sub.rec)
		}
	}
	s.mu.Unlock()
	sort.Slice(subs, func(i, j int) bool {
		if subs[i].Created != subs[j].Created {
			return subs[i].Created < subs[j].Created
		}
		return subs[i].ARN < subs[j].ARN
	})
	keys := make([]string, len(subs))
	for i := range subs {
		keys[i] = subs[i].ARN
	}
	page, next, err := paginate(keys, c.q.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	out := listSubsResult{NextToken: next, Subscriptions: []subMember{}}
	byARN := map[string]subRecord{}
	for _, r := range subs {
		byARN[r.ARN] = r
	}
	for _, a := range page {
		r := byARN[a]
		m := subMember{SubscriptionArn: r.ARN, Owner: s.Account, Protocol: r.Protocol, Endpoint: r.Endpoint, TopicArn: r.TopicARN}
		if r.Pending {
			m.SubscriptionArn = "PendingConfirmation"
		}
		out.Subscriptions = append(out.Subscriptions, m)
	}
	return out, nil
}

// subLocked resolves the SubscriptionArn parameter. Guarded by Service.mu.
func (s *Service) subLocked(c *request) (*subscription, error) {
	arn, ok := c.q.Lookup("SubscriptionArn")
	if !ok {
		return nil, missing("subscriptionArn")
	}
	if _, _, res, ok := arnParts(arn); !ok || !strings.Contains(res, ":") {
		return nil, invalidParameter("SubscriptionArn")
	}
	sub := s.subs[arn]
	if sub == nil {
		return nil, errSubNotFound
	}
	return sub, nil
}

func (s *Service) getSubscriptionAttributes(c *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.subLocked(c)
	if err != nil {
		return nil, err
	}
	r := sub.rec
	a := map[string]string{
		"SubscriptionArn":              r.ARN,
		"TopicArn":                     r.TopicARN,
		"Owner":                        s.Account,
		"Protocol":                     r.Protocol,
		"Endpoint":                     r.Endpoint,
		"ConfirmationWasAuthenticated": "true",
		"PendingConfirmation":          boolString(r.Pending),
		"RawMessageDelivery":           "false",
		"SubscriptionPrincipal":        "arn:aws:iam::" + s.Account + ":root",
	}
	if r.Protocol == "http" || r.Protocol == "https" {
		a["EffectiveDeliveryPolicy"] = defaultEffectiveDeliveryPolicy
		if r.Pending || r.Unauthenticated {
			a["ConfirmationWasAuthenticated"] = "false"
		}
	}
	for k, v := range r.Attributes {
		a[k] = v
	}
	// AWS shows the scope only with a policy to apply it to.
	if a["FilterPolicy"] == "" {
		delete(a, "FilterPolicyScope")
	} else if a["FilterPolicyScope"] == "" {
		a["FilterPolicyScope"] = "MessageAttributes"
	}
	if dp := r.Attributes["DeliveryPolicy"]; dp != "" {
		a["EffectiveDeliveryPolicy"] = dp
	}
	return attributesResult{Attributes: attributeList(a)}, nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (s *Service) setSubscriptionAttributes(c *request) (any, error) {
	name, ok := c.q.Lookup("AttributeName")
	if !ok {
		return nil, missing("attributeName")
	}
	value := c.q.Get("AttributeValue")
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.subLocked(c)
	if err != nil {
		return nil, err
	}
	attrs := copyMap(sub.rec.Attributes)
	if value == "" && (name == "FilterPolicy" || name == "RedrivePolicy" || name == "DeliveryPolicy") {
		delete(attrs, name)
	} else {
		attrs[name] = value
	}
	if !settableSubAttributes[name] {
		return nil, invalidParameter("AttributeName")
	}
	filter, err := checkSubAttributes(attrs, sub.rec.Protocol, "")
	if err != nil {
		return nil, err
	}
	rec := sub.rec
	rec.Attributes = attrs
	rev, err := s.subTable.Update(c.ctx, storeKey(rec.ARN), rec, sub.rev)
	if err != nil {
		return nil, err
	}
	sub.rec, sub.rev, sub.filter = rec, rev, filter
	return nil, nil
}
