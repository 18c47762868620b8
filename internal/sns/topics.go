package sns

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// topicRecord is a topic as stored.
type topicRecord struct {
	ARN        string            `json:"arn"`
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes"` // only those set
	Tags       []tag             `json:"tags,omitempty"`
	Created    int64             `json:"created"`
	// Deleted counts subscriptions removed, for SubscriptionsDeleted.
	Deleted int `json:"deleted"`
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// topic is a topic in memory with its store revision. Guarded by Service.mu.
type topic struct {
	rec topicRecord
	rev uint64
}

func (t *topic) fifo() bool { return t.rec.Attributes["FifoTopic"] == "true" }

var topicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

const errFifoName = "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."

// settableTopicAttributes are the attributes CreateTopic and
// SetTopicAttributes take (FifoTopic only at creation).
var settableTopicAttributes = map[string]bool{
	"DisplayName": true, "Policy": true, "DeliveryPolicy": true, "KmsMasterKeyId": true,
	"SignatureVersion": true, "TracingConfig": true, "ContentBasedDeduplication": true,
	"FifoTopic": true, "ArchivePolicy": true, "DataProtectionPolicy": true, "FifoThroughputScope": true,
	"HTTPSuccessFeedbackRoleArn": true, "HTTPFailureFeedbackRoleArn": true, "HTTPSuccessFeedbackSampleRate": true,
	"LambdaSuccessFeedbackRoleArn": true, "LambdaFailureFeedbackRoleArn": true, "LambdaSuccessFeedbackSampleRate": true,
	"SQSSuccessFeedbackRoleArn": true, "SQSFailureFeedbackRoleArn": true, "SQSSuccessFeedbackSampleRate": true,
}

// checkTopicAttribute validates one attribute's value.
func checkTopicAttribute(name, value string, fifo bool) error {
	if !settableTopicAttributes[name] {
		return invalidParameter("AttributeName")
	}
	switch name {
	case "FifoTopic", "ContentBasedDeduplication":
		if value != "true" && value != "false" {
			return invalidParameter("Attributes Reason: " + name + ": Invalid value [" + value + "]. Must be true or false.")
		}
		if name == "ContentBasedDeduplication" && value == "true" && !fifo {
			return invalidParameter("Attributes Reason: Content based deduplication can only be set for FIFO topics")
		}
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return invalidParameter("Attributes Reason: SignatureVersion: Invalid value [" + value + "]. Must be 1 or 2.")
		}
	case "Policy", "DeliveryPolicy", "DataProtectionPolicy", "ArchivePolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return invalidParameter("Attributes Reason: " + name + ": failed to parse JSON.")
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return invalidParameter("Attributes Reason: TracingConfig: Invalid value [" + value + "]. Must be PassThrough or Active.")
		}
	}
	return nil
}

type topicArnResult struct {
	TopicArn string
}

func (s *Service) createTopic(c *request) (any, error) {
	name, ok := c.q.Lookup("Name")
	if !ok {
		return nil, missing("name")
	}
	attrs := c.q.Map("Attributes.entry", "key", "value")
	fifo := attrs["FifoTopic"] == "true"
	base := name
	if fifo {
		base = strings.TrimSuffix(name, ".fifo")
		if base == name || !topicName.MatchString(base) || len(name) > 256 {
			// AWS words this one without "Invalid parameter: ".
			return nil, &awsproto.Error{Code: "InvalidParameter", Status: http.StatusBadRequest, Message: errFifoName}
		}
	}
	// A standard topic's name has no dot, so "x.fifo" without FifoTopic is
	// just a bad name.
	if !topicName.MatchString(base) || len(name) > 256 {
		return nil, invalidParameter("Topic Name")
	}
	for k, v := range attrs {
		if err := checkTopicAttribute(k, v, fifo); err != nil {
			return nil, err
		}
	}
	tags, err := readTags(c)
	if err != nil {
		return nil, err
	}
	arn := "arn:aws:sns:" + c.region + ":" + s.Account + ":" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.topics[arn]; t != nil {
		// Idempotent when the attributes given agree with the topic's.
		for k, v := range attrs {
			if cur := t.rec.Attributes[k]; cur != v && !(k == "FifoTopic" && v == "false" && cur == "") {
				return nil, invalidParameter("Attributes Reason: Topic already exists with different attributes")
			}
		}
		return topicArnResult{TopicArn: arn}, nil
	}
	if attrs == nil {
		attrs = map[string]string{}
	}
	if !fifo {
		delete(attrs, "FifoTopic")
	}
	rec := topicRecord{ARN: arn, Name: name, Attributes: attrs, Tags: mergeTags(nil, tags), Created: time.Now().UnixNano()}
	rev, err := s.topicTable.Create(c.ctx, storeKey(arn), rec)
	if err != nil {
		return nil, err
	}
	s.topics[arn] = &topic{rec: rec, rev: rev}
	return topicArnResult{TopicArn: arn}, nil
}

// readTags reads Tags.member.N.Key/Value.
func readTags(c *request) ([]tag, error) {
	var out []tag
	for _, e := range c.q.Entries("Tags.member") {
		k, ok := e.Lookup("Key")
		if !ok || k == "" || len(k) > 128 {
			return nil, invalidParameter("Tags Reason: Tag keys must be between 1 and 128 characters")
		}
		v := e.Get("Value")
		if len(v) > 256 {
			return nil, invalidParameter("Tags Reason: Tag values must be at most 256 characters")
		}
		out = append(out, tag{Key: k, Value: v})
	}
	if len(out) > 50 {
		return nil, errTagLimit
	}
	return out, nil
}

func mergeTags(cur, add []tag) []tag {
	out := append([]tag(nil), cur...)
	for _, t := range add {
		found := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value, found = t.Value, true
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	return out
}

// topicLocked resolves a parameter naming a topic: InvalidParameter for an
// empty or malformed ARN, NotFound for an unknown topic. Guarded by
// Service.mu.
func (s *Service) topicLocked(arn string, param string) (*topic, error) {
	if arn == "" {
		return nil, invalidParameter(param)
	}
	if _, _, _, ok := arnParts(arn); !ok {
		return nil, invalidParameter(param)
	}
	t := s.topics[arn]
	if t == nil {
		return nil, errTopicNotFound
	}
	return t, nil
}

func (s *Service) deleteTopic(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, _, ok := arnParts(arn); !ok {
		return nil, invalidParameter("TopicArn")
	}
	if s.topics[arn] == nil {
		// AWS answers success for a topic that does not exist.
		return nil, nil
	}
	for _, sub := range s.subs {
		if sub.rec.TopicARN == arn {
			if err := s.subTable.Delete(c.ctx, storeKey(sub.rec.ARN), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			delete(s.subs, sub.rec.ARN)
		}
	}
	if err := s.topicTable.Delete(c.ctx, storeKey(arn), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	delete(s.topics, arn)
	return nil, nil
}

type topicMember struct {
	TopicArn string
}

type listTopicsResult struct {
	Topics    []topicMember `xml:"Topics>member"`
	NextToken string        `xml:",omitempty"`
}

// pageSize is how many entries a List call answers at most.
const pageSize = 100

func (s *Service) listTopics(c *request) (any, error) {
	s.mu.Lock()
	var arns []string
	for arn := range s.topics {
		if r, a, _, _ := arnParts(arn); r == c.region && a == s.Account {
			arns = append(arns, arn)
		}
	}
	s.mu.Unlock()
	sort.Strings(arns)
	page, next, err := paginate(arns, c.q.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	out := listTopicsResult{NextToken: next, Topics: []topicMember{}}
	for _, a := range page {
		out.Topics = append(out.Topics, topicMember{TopicArn: a})
	}
	return out, nil
}

// paginate returns the page of sorted keys after the token (the index of the
// first, in decimal) and the next token.
func paginate(keys []string, token string) ([]string, string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(keys) {
			return nil, "", invalidParameter("NextToken")
		}
		start = n
	}
	end := min(start+pageSize, len(keys))
	next := ""
	if end < len(keys) {
		next = strconv.Itoa(end)
	}
	return keys[start:end], next, nil
}

type attributeEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type attributesResult struct {
	Attributes []attributeEntry `xml:"Attributes>entry"`
}

func attributeList(m map[string]string) []attributeEntry {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]attributeEntry, 0, len(keys))
	for _, k := range keys {
		out = append(out, attributeEntry{Key: k, Value: m[k]})
	}
	return out
}

// defaultPolicy is the access policy AWS gives a new topic.
func (s *Service) defaultPolicy(arn string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` +
		arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + s.Account + `"}}}]}`
}

// defaultEffectiveDeliveryPolicy is AWS's delivery policy of a topic with none.
const defaultEffectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

func (s *Service) getTopicAttributes(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topicLocked(arn, "TopicArn")
	if err != nil {
		return nil, err
	}
	a := map[string]string{
		"TopicArn":                arn,
		"Owner":                   s.Account,
		"Policy":                  s.defaultPolicy(arn),
		"DisplayName":             "",
		"EffectiveDeliveryPolicy": defaultEffectiveDeliveryPolicy,
		"SubscriptionsDeleted":    strconv.Itoa(t.rec.Deleted),
	}
	if t.fifo() {
		a["FifoTopic"] = "true"
		a["ContentBasedDeduplication"] = "false"
	}
	for k, v := range t.rec.Attributes {
		a[k] = v
	}
	if dp := t.rec.Attributes["DeliveryPolicy"]; dp != "" {
		a["EffectiveDeliveryPolicy"] = dp
	}
	confirmed, pending := 0, 0
	for _, sub := range s.subs {
		if sub.rec.TopicARN == arn {
			if sub.rec.Pending {
				pending++
			} else {
				confirmed++
			}
		}
	}
	a["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	a["SubscriptionsPending"] = strconv.Itoa(pending)
	return attributesResult{Attributes: attributeList(a)}, nil
}

func (s *Service) setTopicAttributes(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	name, ok := c.q.Lookup("AttributeName")
	if !ok {
		return nil, missing("attributeName")
	}
	value := c.q.Get("AttributeValue")
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.topicLocked(arn, "TopicArn")
	if err != nil {
		return nil, err
	}
	if name == "FifoTopic" {
		return nil, invalidParameter("AttributeName")
	}
	if err := checkTopicAttribute(name, value, t.fifo()); err != nil {
		return nil, err
	}
	rec := t.rec
	rec.Attributes = copyMap(t.rec.Attributes)
	rec.Attributes[name] = value
	return nil, s.saveTopicLocked(c, t, rec)
}

// saveTopicLocked writes rec over t. Guarded by Service.mu.
func (s *Service) saveTopicLocked(c *request, t *topic, rec topicRecord) error {
	rev, err := s.topicTable.Update(c.ctx, storeKey(rec.ARN), rec, t.rev)
	if err != nil {
		return err
	}
	t.rec, t.rev = rec, rev
	return nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
