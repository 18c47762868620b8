package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Notification configuration: Put/GetBucketNotificationConfiguration. Lambda
// destinations are validated through Functions and delivered (notify.go).
//
// QueueConfiguration and TopicConfiguration destinations are validated as S3
// does, by sending each an s3:TestEvent through Targets; their events leave
// through the same outbox as Lambda's (outboxRecord.Kind "sqs"/"sns").
// EventBridgeConfiguration sends every event of the bucket to the default
// event bus (eventbridge.go), through the same outbox.

// notificationConfiguration is the document of the ?notification subresource.
type notificationConfiguration struct {
	XMLName xml.Name `xml:"NotificationConfiguration"`
	xmlns
	Topics      []topicConfiguration    `xml:"TopicConfiguration"`
	Queues      []queueConfiguration    `xml:"QueueConfiguration"`
	Functions   []functionConfiguration `xml:"CloudFunctionConfiguration"`
	EventBridge *struct{}               `xml:"EventBridgeConfiguration"`
}

type topicConfiguration struct {
	ID    string `xml:"Id"`
	Topic string `xml:"Topic"`
	notificationTarget
}

type queueConfiguration struct {
	ID    string `xml:"Id"`
	Queue string `xml:"Queue"`
	notificationTarget
}

type functionConfiguration struct {
	ID            string `xml:"Id"`
	CloudFunction string `xml:"CloudFunction"`
	notificationTarget
}

type notificationTarget struct {
	Events []string            `xml:"Event"`
	Filter *notificationFilter `xml:"Filter"`
}

type notificationFilter struct {
	Key *struct {
		Rules []filterRule `xml:"FilterRule"`
	} `xml:"S3Key"`
}

type filterRule struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

// notificationEvents are the event types S3 accepts in a configuration. Stratus
// sends ObjectCreated, ObjectRemoved, ObjectTagging and LifecycleExpiration
// events; the others are accepted, as S3 accepts them, and never happen here.
var notificationEvents = wordSet(`s3:ReducedRedundancyLostObject
		s3:ObjectCreated:* s3:ObjectCreated:Put s3:ObjectCreated:Post s3:ObjectCreated:Copy
		s3:ObjectCreated:CompleteMultipartUpload
		s3:ObjectRemoved:* s3:ObjectRemoved:Delete s3:ObjectRemoved:DeleteMarkerCreated
		s3:ObjectRestore:* s3:ObjectRestore:Post s3:ObjectRestore:Completed s3:ObjectRestore:Delete
		s3:Replication:* s3:Replication:OperationFailedReplication s3:Replication:OperationNotTracked
		s3:Replication:OperationMissedThreshold s3:Replication:OperationReplicatedAfterThreshold
		s3:LifecycleTransition s3:IntelligentTiering s3:ObjectAcl:Put
		s3:LifecycleExpiration:* s3:LifecycleExpiration:Delete s3:LifecycleExpiration:DeleteMarkerCreated
		s3:ObjectTagging:* s3:ObjectTagging:Put s3:ObjectTagging:Delete
		s3:ObjectAnnotation:* s3:ObjectAnnotation:Put s3:ObjectAnnotation:Delete
		s3:ObjectRetention:Put`)

// wordSet returns the set of the space-separated words of s.
func wordSet(names string) map[string]bool {
	set := map[string]bool{}
	for _, e := range strings.Fields(names) {
		set[e] = true
	}
	return set
}

// Kinds of destination.
const (
	destLambda = "lambda"
	destQueue  = "sqs"
	destTopic  = "sns"
	destBus    = "events"
)

// notifyConfig is a configuration compiled for the events hook.
type notifyConfig struct {
	targets     []notifyTarget
	eventBridge bool
}

// notifyTarget is one destination configuration.
type notifyTarget struct {
	kind, id, arn  string
	events         []string
	prefix, suffix string
}

// wants reports whether the target is configured for event (such as
// "s3:ObjectCreated:Put"), directly or through a wildcard.
func (t *notifyTarget) wants(event string) bool {
	for _, e := range t.events {
		if eventsOverlap(e, event) {
			return true
		}
	}
	return false
}

// selects reports whether the target's key filter selects key (the raw key).
func (t *notifyTarget) selects(key string) bool {
	return strings.HasPrefix(key, t.prefix) && strings.HasSuffix(key, t.suffix)
}

// eventsOverlap reports whether two event types share an event: equal, or one a
// wildcard ("s3:ObjectCreated:*") covering the other.
func eventsOverlap(a, b string) bool {
	if a == b {
		return true
	}
	if w, ok := strings.CutSuffix(a, "*"); ok && strings.HasPrefix(b, w) {
		return true
	}
	if w, ok := strings.CutSuffix(b, "*"); ok && strings.HasPrefix(a, w) {
		return true
	}
	return false
}

// maxFilterValue is the most bytes a filter rule's value may hold.
const maxFilterValue = 1024

// arnParses reports whether arn is an ARN of service's shape:
// arn:partition:service:region:account:resource.
func arnParses(arn, service string) bool {
	p := strings.SplitN(arn, ":", 6)
	return len(p) == 6 && p[0] == "arn" && strings.HasPrefix(p[1], "aws") && p[2] == service &&
		p[3] != "" && p[4] != "" && p[5] != ""
}

// functionARNParses reports whether arn names a function:
// arn:partition:lambda:region:account:function:name[:qualifier].
func functionARNParses(arn string) bool {
	if !arnParses(arn, "lambda") {
		return false
	}
	p := strings.Split(arn, ":")
	return (len(p) == 7 || len(p) == 8) && p[5] == "function" && p[6] != "" && (len(p) == 7 || p[7] != "")
}

// arnRegion returns the Region of an ARN that parses.
func arnRegion(arn string) string { return strings.SplitN(arn, ":", 6)[3] }

// compileTarget validates one destination configuration (its Id made when
// absent, its filter rule names normalised) and compiles it.
func compileTarget(kind, argName, arn string, id *string, nt *notificationTarget) (notifyTarget, error) {
	t := notifyTarget{kind: kind, arn: arn}
	if len(nt.Events) == 0 {
		return t, errMalformedXML
	}
	for _, e := range nt.Events {
		if !notificationEvents[e] {
			return t, s3err(http.StatusBadRequest, "InvalidArgument", "The event is not supported for notifications")
		}
	}
	ok := arnParses(arn, kind)
	if kind == destLambda {
		ok = functionARNParses(arn)
	}
	if !ok {
		return t, invalidArgument("The ARN could not be parsed", argName, arn)
	}
	if f := nt.Filter; f != nil && f.Key != nil {
		var prefixes, suffixes int
		for i := range f.Key.Rules {
			r := &f.Key.Rules[i]
			switch strings.ToLower(r.Name) {
			case "prefix":
				r.Name, prefixes = "Prefix", prefixes+1
				t.prefix = r.Value
			case "suffix":
				r.Name, suffixes = "Suffix", suffixes+1
				t.suffix = r.Value
			default:
				return t, invalidArgument("filter rule name must be either prefix or suffix", "FilterRule.Name", r.Name)
			}
			if prefixes > 1 {
				return t, invalidArgument("Cannot specify more than one prefix rule in a filter.", "FilterRule.Name", r.Name)
			}
			if suffixes > 1 {
				return t, invalidArgument("Cannot specify more than one suffix rule in a filter.", "FilterRule.Name", r.Name)
			}
			if len(r.Value) > maxFilterValue {
				return t, invalidArgument("Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation", "FilterRule.Value", r.Value)
			}
		}
	}
	if *id == "" {
		*id = newConfigID()
	}
	t.id = *id
	t.events = nt.Events
	return t, nil
}

var (
	errConfigsOverlap = s3err(http.StatusBadRequest, "InvalidArgument",
		"Configurations overlap. Configurations on the same bucket cannot share a common event type.")
	errConfigAmbiguous = s3err(http.StatusBadRequest, "InvalidArgument",
		"Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.")
	errDestinationRegion = s3err(http.StatusBadRequest, "InvalidArgument",
		"The notification destination service region is not valid for the bucket location constraint")
)

// checkOverlap refuses two configurations, of any destinations, that share an
// event type and whose key filters can both select one key: prefixes of which one
// starts the other and suffixes of which one ends the other.
func checkOverlap(ts []notifyTarget) error {
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			a, b := &ts[i], &ts[j]
			shared := false
			for _, ea := range a.events {
				for _, eb := range b.events {
					shared = shared || eventsOverlap(ea, eb)
				}
			}
			if !shared {
				continue
			}
			prefixes := strings.HasPrefix(a.prefix, b.prefix) || strings.HasPrefix(b.prefix, a.prefix)
			suffixes := strings.HasSuffix(a.suffix, b.suffix) || strings.HasSuffix(b.suffix, a.suffix)
			if !prefixes || !suffixes {
				continue
			}
			if a.prefix == "" && b.prefix == "" && a.suffix == "" && b.suffix == "" {
				return errConfigsOverlap
			}
			return errConfigAmbiguous
		}
	}
	return nil
}

// parseNotification decodes and validates a configuration (destinations aside)
// and compiles it; the document comes back with the Ids S3 would have made.
func parseNotification(body []byte) (*notificationConfiguration, *notifyConfig, error) {
	var doc notificationConfiguration
	if err := decodeXML(body, &doc); err != nil {
		return nil, nil, err
	}
	cfg := &notifyConfig{eventBridge: doc.EventBridge != nil}
	add := func(kind, argName, arn string, id *string, nt *notificationTarget) error {
		t, err := compileTarget(kind, argName, arn, id, nt)
		if err == nil {
			cfg.targets = append(cfg.targets, t)
		}
		return err
	}
	for i := range doc.Topics {
		t := &doc.Topics[i]
		if err := add(destTopic, "Topic", t.Topic, &t.ID, &t.notificationTarget); err != nil {
			return nil, nil, err
		}
	}
	for i := range doc.Queues {
		q := &doc.Queues[i]
		if err := add(destQueue, "Queue", q.Queue, &q.ID, &q.notificationTarget); err != nil {
			return nil, nil, err
		}
	}
	for i := range doc.Functions {
		f := &doc.Functions[i]
		if err := add(destLambda, "CloudFunction", f.CloudFunction, &f.ID, &f.notificationTarget); err != nil {
			return nil, nil, err
		}
	}
	if err := checkOverlap(cfg.targets); err != nil {
		return nil, nil, err
	}
	return &doc, cfg, nil
}

// parseStoredNotification compiles a stored (validated) document.
func parseStoredNotification(raw []byte) (*notifyConfig, error) {
	_, cfg, err := parseNotification(raw)
	return cfg, err
}

// checkDestinations asks each destination whether S3 may send to it for bucket:
// a function must exist and its resource policy let s3.amazonaws.com invoke it
// for the bucket's ARN and the account. It returns S3's error naming every
// destination that failed, numbered, or nil.
func (s *Service) checkDestinations(c *call, bucket string, cfg *notifyConfig) error {
	var failed []awsproto.Field
	seen := map[string]bool{}
	for _, t := range cfg.targets {
		if seen[t.arn] {
			continue
		}
		seen[t.arn] = true
		name, why := "", ""
		switch t.kind {
		case destLambda:
			if s.Functions == nil || s.Functions.Permits(c.r.Context(), t.arn, "s3.amazonaws.com", "arn:aws:s3:::"+bucket, s.Account) != nil {
				name, why = t.arn+", null", "Not authorized to invoke function ["+t.arn+"]"
			}
		case destQueue:
			if s.sendTestEvent(c.r.Context(), t.kind, t.arn, bucket) != nil {
				name, why = t.arn, "The destination queue does not exist"
			}
		case destTopic:
			if s.sendTestEvent(c.r.Context(), t.kind, t.arn, bucket) != nil {
				name, why = t.arn, "The destination topic does not exist"
			}
		}
		if name != "" {
			n := strconv.Itoa(len(failed)/2 + 1)
			failed = append(failed, field("ArgumentName"+n, name), field("ArgumentValue"+n, why))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return s3err(http.StatusBadRequest, "InvalidArgument", "Unable to validate the following destination configurations").With(failed...)
}

// getBucketNotification is GetBucketNotificationConfiguration: what was stored,
// with the Ids S3 made, or an empty configuration.
func (s *Service) getBucketNotification(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	if doc := b.Config[objstore.ConfigNotification]; doc != nil {
		return writeDoc(c, doc)
	}
	awsproto.WriteXML(c.w, http.StatusOK, notificationConfiguration{xmlns: ns()})
	return nil
}

// putBucketNotification is PutBucketNotificationConfiguration: the whole
// configuration replaced once every destination is validated (unless
// x-amz-skip-destination-validation); an empty one removes all. Nothing is
// stored when anything fails.
func (s *Service) putBucketNotification(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	doc, cfg, err := parseNotification(body)
	if err != nil {
		return err
	}
	for _, t := range cfg.targets {
		if t.kind == destLambda && arnRegion(t.arn) != b.Region {
			return errDestinationRegion
		}
	}
	if !strings.EqualFold(c.r.Header.Get("X-Amz-Skip-Destination-Validation"), "true") {
		if err := s.checkDestinations(c, c.bucket, cfg); err != nil {
			return err
		}
	}
	var raw []byte
	if len(cfg.targets) > 0 || cfg.eventBridge {
		doc.xmlns = ns()
		if raw, err = encodeXML(doc); err != nil {
			return err
		}
	}
	if err := s.setConfig(c, objstore.ConfigNotification, raw); err != nil {
		return err
	}
	return ok(c)
}
