package sns

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// maxMessageBytes bounds a message with its attributes (256 KiB).
const maxMessageBytes = 256 * 1024

// maxAttributes is how many message attributes a message may carry.
const maxAttributes = 10

// msgAttr is a message attribute as SNS keeps it.
type msgAttr struct {
	Type   string `json:"type"`
	String string `json:"string,omitempty"`
	Binary []byte `json:"binary,omitempty"`
}

// input is one message to publish, decoded from Publish, a PublishBatch
// entry or Send.
type input struct {
	Message          string
	Subject          string
	Structure        string
	Attributes       map[string]msgAttr
	GroupID, DedupID string
}

var attrName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// readAttributes decodes MessageAttributes.entry.N.{Name,Value.DataType,
// Value.StringValue,Value.BinaryValue} from q.
func readAttributes(q *awsproto.Query) (map[string]msgAttr, error) {
	entries := q.Entries("MessageAttributes.entry")
	if len(entries) == 0 {
		return nil, nil
	}
	if len(entries) > maxAttributes {
		return nil, invalidParameterValue(fmt.Sprintf("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(entries), maxAttributes))
	}
	out := make(map[string]msgAttr, len(entries))
	for _, e := range entries {
		name := e.Get("Name")
		if name == "" {
			return nil, invalidParameterValue("The message attribute name can not be empty.")
		}
		a := msgAttr{Type: e.Get("Value.DataType"), String: e.Get("Value.StringValue")}
		if b, ok := e.Lookup("Value.BinaryValue"); ok {
			dec, err := base64.StdEncoding.DecodeString(b)
			if err != nil {
				return nil, invalidParameterValue("The message attribute '" + name + "' with type 'Binary' must be Base64-encoded.")
			}
			a.Binary = dec
		}
		out[name] = a
	}
	return out, checkAttributes(out)
}

// checkAttributes applies SNS's rules on attribute names, types and values.
func checkAttributes(attrs map[string]msgAttr) error {
	for name, a := range attrs {
		if !attrName.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return invalidParameterValue("The message attribute name '" + name + "' is invalid.")
		}
		if lower := strings.ToLower(name); strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
			return invalidParameterValue("The message attribute name '" + name + "' is reserved for use by Amazon SNS.")
		}
		if a.Type == "" {
			return invalidParameterValue("The message attribute '" + name + "' must contain non-empty message attribute type.")
		}
		base, _, _ := strings.Cut(a.Type, ".")
		switch base {
		case "String", "Number":
			if a.String == "" {
				return invalidParameterValue("The message attribute '" + name + "' must contain non-empty message attribute value for message attribute type '" + base + "'.")
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(a.String, 64); err != nil {
					return invalidParameterValue("Could not cast message attribute '" + name + "' value to number.")
				}
			}
			if a.Type == "String.Array" {
				var arr []any
				if err := json.Unmarshal([]byte(a.String), &arr); err != nil {
					return invalidParameterValue("The message attribute '" + name + "' with type 'String.Array' has an invalid value.")
				}
			}
		case "Binary":
			if len(a.Binary) == 0 {
				return invalidParameterValue("The message attribute '" + name + "' must contain non-empty message attribute value for message attribute type 'Binary'.")
			}
		default:
			return invalidParameterValue("The message attribute '" + name + "' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
		}
	}
	return nil
}

// parseStructure decodes a MessageStructure=json message: an object of
// strings by protocol, "default" required.
func parseStructure(msg string) (map[string]string, error) {
	d := json.NewDecoder(strings.NewReader(msg))
	var raw map[string]any
	if err := d.Decode(&raw); err != nil || d.More() || raw == nil {
		return nil, invalidParameter("Message Structure - JSON message body failed to parse")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		s, ok := v.(string)
		if !ok {
			// AWS accepts other JSON values and sends their text.
			b, _ := json.Marshal(v)
			s = string(b)
		}
		out[k] = s
	}
	if _, ok := out["default"]; !ok {
		return nil, invalidParameter("Message Structure - No default entry in JSON message body")
	}
	return out, nil
}

// readInput decodes one message's members from q (Publish or a batch entry).
func readInput(q *awsproto.Query) (input, error) {
	in := input{
		Message: q.Get("Message"), Subject: q.Get("Subject"), Structure: q.Get("MessageStructure"),
		GroupID: q.Get("MessageGroupId"), DedupID: q.Get("MessageDeduplicationId"),
	}
	var err error
	in.Attributes, err = readAttributes(q)
	return in, err
}

// validate applies the rules on a message that do not depend on the topic.
func (in *input) validate() error {
	if in.Message == "" {
		return invalidParameter("Empty message")
	}
	if _, ok := subjectOK(in.Subject); !ok {
		return invalidParameter("Subject")
	}
	if in.Structure != "" && in.Structure != "json" {
		return invalidParameter("MessageStructure")
	}
	if in.Structure == "json" {
		if _, err := parseStructure(in.Message); err != nil {
			return err
		}
	}
	if in.size() > maxMessageBytes {
		return invalidParameter("Message too long")
	}
	return nil
}

// size is what counts toward the 256 KiB bound: the message and each
// attribute's name, type and value.
func (in *input) size() int {
	n := len(in.Message)
	for k, a := range in.Attributes {
		n += len(k) + len(a.Type) + len(a.String) + len(a.Binary)
	}
	return n
}

// subjectOK: at most 100 printable ASCII characters, not starting with a
// space, no line breaks.
func subjectOK(s string) (string, bool) {
	if len(s) > 100 {
		return s, false
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return s, false
		}
	}
	return s, true
}

type publishResult struct {
	MessageId      string
	SequenceNumber string `xml:",omitempty"`
}

func (s *Service) publish(c *request) (any, error) {
	arn := c.q.Get("TopicArn")
	if arn == "" {
		arn = c.q.Get("TargetArn")
	}
	if c.q.Get("PhoneNumber") != "" {
		return nil, invalidParameter("Stratus does not send SMS")
	}
	if arn == "" {
		return nil, invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	in, err := readInput(c.q)
	if err != nil {
		return nil, err
	}
	if _, ok := c.q.Lookup("Message"); !ok {
		return nil, missing("message")
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	id, seq, err := s.publishInput(c.ctx, c.base, arn, in)
	if err != nil {
		return nil, err
	}
	return publishResult{MessageId: id, SequenceNumber: seq}, nil
}

// publishInput publishes a validated in to the topic arn: the deliveries to
// every matching subscription are on disk when it returns.
func (s *Service) publishInput(ctx context.Context, base, arn string, in input) (string, string, error) {
	if _, _, _, ok := arnParts(arn); !ok {
		return "", "", invalidParameter("TopicArn")
	}
	// Only FIFO topics' names end in ".fifo" (a standard name has no dot).
	if strings.HasSuffix(arn, ".fifo") {
		s.fifoMu.Lock()
		defer s.fifoMu.Unlock()
	}
	s.mu.Lock()
	t := s.topics[arn]
	if t == nil {
		s.mu.Unlock()
		return "", "", errTopicNotFound
	}
	if err := s.fifoRulesLocked(t, &in); err != nil {
		s.mu.Unlock()
		return "", "", err
	}
	now := time.Now()
	if t.fifo() {
		key := arn + "/" + in.DedupID
		if d, ok := s.dedup[key]; ok && now.Before(d.expires) {
			s.mu.Unlock()
			return d.id, d.seq, nil
		}
	}
	id := awsproto.NewRequestID()
	seq := ""
	if t.fifo() {
		n := uint64(now.UnixNano())
		if n <= s.lastSeq {
			n = s.lastSeq + 1
		}
		s.lastSeq = n
		seq = fmt.Sprintf("%020d", n)
	}
	var structured map[string]string
	if in.Structure == "json" {
		structured, _ = parseStructure(in.Message)
	}
	var out []delivery
	for _, sub := range s.subs {
		if sub.rec.TopicARN != arn || sub.rec.Pending {
			continue
		}
		msg := in.Message
		if structured != nil {
			msg = structured["default"]
			if m, ok := structured[sub.rec.Protocol]; ok {
				msg = m
			}
		}
		if !matches(sub, msg, in.Attributes) {
			continue
		}
		out = append(out, s.notification(base, t, sub, id, seq, msg, in, now))
	}
	fifo := t.fifo()
	key := arn + "/" + in.DedupID
	entry := dedupEntry{id: id, seq: seq, expires: now.Add(s.DedupWindow)}
	var expired []string
	if fifo {
		// Claimed before enqueueing, so that a duplicate published meanwhile
		// is answered with this message instead of being sent as well.
		for k, d := range s.dedup {
			if now.After(d.expires) {
				delete(s.dedup, k)
				expired = append(expired, k)
			}
		}
		s.dedup[key] = entry
	}
	s.mu.Unlock()
	if err := s.enqueue(ctx, out); err != nil {
		if fifo {
			s.mu.Lock()
			if s.dedup[key].id == id {
				delete(s.dedup, key)
			}
			s.mu.Unlock()
		}
		return "", "", err
	}
	if fifo {
		s.saveDedup(ctx, key, entry)
		s.dropDedup(ctx, expired)
	}
	return id, seq, nil
}

// fifoRulesLocked checks group and deduplication ids against the topic's
// type, filling in a content-based deduplication id.
func (s *Service) fifoRulesLocked(t *topic, in *input) error {
	if !t.fifo() {
		if in.GroupID != "" {
			return invalidParameter("MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type")
		}
		if in.DedupID != "" {
			return invalidParameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
		}
		return nil
	}
	if in.GroupID == "" {
		return invalidParameter("The MessageGroupId parameter is required for FIFO topics")
	}
	if in.DedupID == "" {
		if t.rec.Attributes["ContentBasedDeduplication"] != "true" {
			return invalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		sum := sha256.Sum256([]byte(in.Message))
		in.DedupID = hex.EncodeToString(sum[:])
	}
	return nil
}

// matches reports whether sub's filter policy lets the message through.
func matches(sub *subscription, msg string, attrs map[string]msgAttr) bool {
	if sub.filter == nil {
		return true
	}
	if sub.bodyScope() {
		d := json.NewDecoder(strings.NewReader(msg))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil || d.More() {
			return false
		}
		if _, ok := v.(map[string]any); !ok {
			return false
		}
		return sub.filter.MatchValue(v)
	}
	ev := map[string]any{}
	for k, a := range attrs {
		switch {
		case a.Type == "String.Array":
			d := json.NewDecoder(strings.NewReader(a.String))
			d.UseNumber()
			var arr any
			if d.Decode(&arr) == nil {
				ev[k] = arr
			}
		case strings.HasPrefix(a.Type, "String"):
			ev[k] = a.String
		case strings.HasPrefix(a.Type, "Number"):
			ev[k] = json.Number(a.String)
		}
	}
	return sub.filter.MatchValue(ev)
}

type batchSuccess struct {
	Id             string
	MessageId      string
	SequenceNumber string `xml:",omitempty"`
}

type batchFailure struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

type publishBatchResult struct {
	Successful []batchSuccess `xml:"Successful>member"`
	Failed     []batchFailure `xml:"Failed>member"`
}

var batchID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func (s *Service) publishBatch(c *request) (any, error) {
	arn, ok := c.q.Lookup("TopicArn")
	if !ok {
		return nil, missing("topicArn")
	}
	entries := c.q.Entries("PublishBatchRequestEntries.member")
	if len(entries) == 0 {
		return nil, errEmptyBatch
	}
	if len(entries) > 10 {
		return nil, errTooManyEntries
	}
	seen := map[string]bool{}
	for _, e := range entries {
		id := e.Get("Id")
		if !batchID.MatchString(id) {
			return nil, errBadBatchID
		}
		if seen[id] {
			return nil, errIDsNotDistinct
		}
		seen[id] = true
	}
	if _, _, _, ok := arnParts(arn); !ok {
		return nil, invalidParameter("TopicArn")
	}
	s.mu.Lock()
	t := s.topics[arn]
	s.mu.Unlock()
	if t == nil {
		return nil, errTopicNotFound
	}
	// Entries are decoded up front: the 256 KiB bound applies to the
	// batch as a whole as well as to each message.
	inputs := make([]input, len(entries))
	errs := make([]error, len(entries))
	total := 0
	for i, e := range entries {
		inputs[i], errs[i] = readInput(e)
		total += inputs[i].size()
	}
	if total > maxMessageBytes {
		return nil, errBatchTooLong
	}
	out := publishBatchResult{Successful: []batchSuccess{}, Failed: []batchFailure{}}
	for i, e := range entries {
		id := e.Get("Id")
		in, err := inputs[i], errs[i]
		if err == nil {
			err = in.validate()
		}
		var mid, seq string
		if err == nil {
			mid, seq, err = s.publishInput(c.ctx, c.base, arn, in)
		}
		if err != nil {
			ae := awsproto.As(err)
			if ae == awsproto.ServiceFailure {
				return nil, err
			}
			out.Failed = append(out.Failed, batchFailure{Id: id, Code: ae.Code, Message: ae.Message, SenderFault: !ae.Server})
			continue
		}
		out.Successful = append(out.Successful, batchSuccess{Id: id, MessageId: mid, SequenceNumber: seq})
	}
	return out, nil
}

// Send publishes m to the topic topicARN names, as Publish does, for other
// services (Lambda destinations, S3 notifications, EventBridge targets). It
// returns the message id once the deliveries are durable; ErrNotFound
// (wrapped) for an unknown topic, an *awsproto.Error for a message SNS
// refuses.
func (s *Service) Send(ctx context.Context, topicARN string, m eventsource.Message) (string, error) {
	in := input{Message: m.Body, Subject: m.Subject, GroupID: m.GroupID, DedupID: m.DeduplicationID}
	if len(m.Attributes) > 0 {
		in.Attributes = map[string]msgAttr{}
		for k, a := range m.Attributes {
			in.Attributes[k] = msgAttr{Type: a.DataType, String: a.StringValue, Binary: bytes.Clone(a.BinaryValue)}
		}
		if err := checkAttributes(in.Attributes); err != nil {
			return "", err
		}
	}
	if err := in.validate(); err != nil {
		return "", err
	}
	s.mu.Lock()
	t := s.topics[topicARN]
	s.mu.Unlock()
	if t == nil {
		return "", fmt.Errorf("%w: topic %s", eventsource.ErrNotFound, topicARN)
	}
	id, _, err := s.publishInput(ctx, s.Endpoint, topicARN, in)
	return id, err
}
