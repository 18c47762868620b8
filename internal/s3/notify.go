package s3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Event notifications. A write's transaction calls the events hook, which turns
// its changes into one outbox record per (matching configuration, change): the
// record is durable with the object. The drain (drainOutbox) hands each record to
// its destination, a function's durable asynchronous queue, and acknowledges it
// once queued, so every event is delivered at least once across crashes, and
// the events of one key in the order of its writes. Lambda's async path then
// invokes the function, with its retries, destinations and dead-letter queue.

// eventMessage is the event S3 sends: AWS's "Event message structure", field
// for field.
type eventMessage struct {
	Records []eventRecord `json:"Records"`
}

type eventRecord struct {
	EventVersion      string            `json:"eventVersion"`
	EventSource       string            `json:"eventSource"`
	AWSRegion         string            `json:"awsRegion"`
	EventTime         string            `json:"eventTime"`
	EventName         string            `json:"eventName"`
	UserIdentity      principalID       `json:"userIdentity"`
	RequestParameters requestParameters `json:"requestParameters"`
	ResponseElements  responseElements  `json:"responseElements"`
	S3                eventS3           `json:"s3"`
}

type principalID struct {
	PrincipalID string `json:"principalId"`
}

type requestParameters struct {
	SourceIPAddress string `json:"sourceIPAddress"`
}

type responseElements struct {
	RequestID string `json:"x-amz-request-id"`
	HostID    string `json:"x-amz-id-2"`
}

type eventS3 struct {
	SchemaVersion   string      `json:"s3SchemaVersion"`
	ConfigurationID string      `json:"configurationId"`
	Bucket          eventBucket `json:"bucket"`
	Object          eventObject `json:"object"`
}

type eventBucket struct {
	Name          string      `json:"name"`
	OwnerIdentity principalID `json:"ownerIdentity"`
	ARN           string      `json:"arn"`
}

type eventObject struct {
	Key       string `json:"key"`
	Size      *int64 `json:"size,omitempty"`
	ETag      string `json:"eTag,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	Sequencer string `json:"sequencer"`
}

// eventOrigin is who caused an event and the request that did.
type eventOrigin struct {
	principal, sourceIP, requestID, hostID, trace string
}

// originOf returns the origin of events a request causes.
func (s *Service) originOf(c *call) eventOrigin {
	who := c.info.AccessKey
	if who == "" {
		who = s.Account
	}
	ip := c.r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	return eventOrigin{principal: "AWS:" + who, sourceIP: ip, requestID: c.info.RequestID, hostID: s.HostID,
		trace: c.r.Header.Get("X-Amzn-Trace-Id")}
}

// lifecycleOrigin is the origin of the events lifecycle expiration causes.
func (s *Service) lifecycleOrigin() eventOrigin {
	return eventOrigin{principal: "s3.amazonaws.com", sourceIP: "s3.amazonaws.com", requestID: newRequestID(), hostID: s.HostID}
}

// newRequestID makes an S3 request id: 16 upper-case hex characters.
func newRequestID() string {
	return strings.ToUpper(strings.ReplaceAll(awsproto.NewRequestID(), "-", "")[:16])
}

// events returns the store callback that turns a write's changes into
// notification records for the bucket's configuration; created names the
// ObjectCreated event of a put ("Put", "Post", "Copy", "CompleteMultipartUpload"),
// or is a tag update's whole event name (tagPut, tagDelete), and removals
// ("") are named from each Change's kind. It returns nil, and costs nothing,
// when the bucket has no configuration. Records are built from the
// configuration parsed once (cached) and b as it was read before the write.
//
// A put names only the version it made (the version it replaced is not an
// event, as in S3); a removal names each version removed for good
// (ObjectRemoved:Delete) and each delete marker made
// (ObjectRemoved:DeleteMarkerCreated), the null version a delete marker replaces
// in a suspended bucket folded into its marker; a tag update names the version
// retagged.
func (s *Service) events(c *call, b *objstore.Bucket, created string) objstore.Events {
	if b.Config[objstore.ConfigNotification] == nil {
		return nil // the common case, on every write: nothing to build
	}
	prefix := "ObjectRemoved:"
	switch {
	case strings.HasPrefix(created, tagEvents):
		prefix = created
	case created != "":
		prefix = "ObjectCreated:" + created
	}
	return s.eventsFor(b, s.originOf(c), prefix)
}

// The events of PutObjectTagging and DeleteObjectTagging, as tagging.go passes
// them to events (s3:ObjectTagging:Put and s3:ObjectTagging:Delete in a
// notification configuration).
const (
	tagEvents = "ObjectTagging:"
	tagPut    = tagEvents + "Put"
	tagDelete = tagEvents + "Delete"
)

// eventsFor is events with the origin and the event name given: prefix is
// "ObjectCreated:<how>" for a put, "ObjectTagging:Put" or ":Delete" for a tag
// update, or the family of a removal ("ObjectRemoved:",
// "LifecycleExpiration:"), completed from each change's kind.
func (s *Service) eventsFor(b *objstore.Bucket, o eventOrigin, prefix string) objstore.Events {
	if b.Config[objstore.ConfigNotification] == nil {
		return nil
	}
	cfg := s.notifyOf(b)
	if cfg == nil || len(cfg.targets) == 0 && (!cfg.eventBridge || s.Targets == nil) {
		return nil
	}
	bucket := objstore.Bucket{Name: b.Name, Region: b.Region, Versioning: b.Versioning}
	now := s.Now
	return func(changes []objstore.Change) [][]byte {
		return s.records(cfg, &bucket, o, prefix, changes, now())
	}
}

// eventName names a change's event, or "" when the change is no event of the
// write: the versions a put replaced, and the null version a delete marker
// replaced.
func eventName(prefix string, ch *objstore.Change, changes []objstore.Change) string {
	switch {
	case strings.HasPrefix(prefix, "ObjectCreated:"):
		if ch.Kind == objstore.ChangePut {
			return prefix
		}
		return ""
	case strings.HasPrefix(prefix, tagEvents):
		if ch.Kind == objstore.ChangeTags {
			return prefix
		}
		return ""
	}
	switch ch.Kind {
	case objstore.ChangeDeleteMarker:
		return prefix + "DeleteMarkerCreated"
	case objstore.ChangeDelete:
		for i := range changes {
			if changes[i].Kind == objstore.ChangeDeleteMarker && changes[i].Object.Key == ch.Object.Key {
				return ""
			}
		}
		return prefix + "Delete"
	}
	return ""
}

// records builds one outbox record per (change, matching configuration), in
// that order. It must not call the Store (it runs inside its transaction).
func (s *Service) records(cfg *notifyConfig, b *objstore.Bucket, o eventOrigin, prefix string, changes []objstore.Change, now time.Time) [][]byte {
	var out [][]byte
	for i := range changes {
		ch := &changes[i]
		name := eventName(prefix, ch, changes)
		if name == "" {
			continue
		}
		if cfg.eventBridge && s.Targets != nil {
			if p, err := s.busRecord(b, o, name, ch); err == nil {
				out = append(out, p)
			} else {
				slog.Error("s3: encoding an EventBridge event", "bucket", b.Name, "key", ch.Object.Key, "err", err)
			}
		}
		for ti := range cfg.targets {
			t := &cfg.targets[ti]
			if !t.wants("s3:"+name) || !t.selects(ch.Object.Key) || (t.kind != destLambda && s.Targets == nil) {
				continue
			}
			rec := s.eventRecord(b, o, name, t.id, ch, now)
			if p, err := encodeOutbox(t, b.Name, ch.Object.Key, o.trace, rec); err == nil {
				out = append(out, p)
			} else {
				slog.Error("s3: encoding an event", "bucket", b.Name, "key", ch.Object.Key, "err", err)
			}
		}
	}
	return out
}

// eventRecord builds S3's record of one change for one configuration.
func (s *Service) eventRecord(b *objstore.Bucket, o eventOrigin, name, configID string, ch *objstore.Change, now time.Time) eventRecord {
	obj := &ch.Object
	at := obj.LastModified
	if ch.Kind == objstore.ChangeDelete || ch.Kind == objstore.ChangeTags || at.IsZero() {
		at = now // a version removed or retagged: the event is the change's
	}
	eo := eventObject{Key: eventKey(obj.Key), Sequencer: sequencer(ch.Seq)}
	version := "2.1"
	switch ch.Kind {
	case objstore.ChangePut:
		size := obj.Size
		eo.Size, eo.ETag = &size, obj.ETag
	case objstore.ChangeTags:
		eo.ETag = obj.ETag
		version = "2.3" // S3's version for object tagging events
	}
	if b.Versioning != "" {
		eo.VersionID = obj.VersionID
	}
	return eventRecord{
		EventVersion:      version,
		EventSource:       "aws:s3",
		AWSRegion:         b.Region,
		EventTime:         isoTime(at),
		EventName:         name,
		UserIdentity:      principalID{o.principal},
		RequestParameters: requestParameters{o.sourceIP},
		ResponseElements:  responseElements{RequestID: o.requestID, HostID: o.hostID},
		S3: eventS3{
			SchemaVersion:   "1.0",
			ConfigurationID: configID,
			Bucket:          eventBucket{Name: b.Name, OwnerIdentity: principalID{s.Account}, ARN: "arn:aws:s3:::" + b.Name},
			Object:          eo,
		},
	}
}

// sequencer is S3's event sequencer of a change whose Seq is seq (every
// change, removals and tag updates too, has its own): hexadecimal, 18 digits
// as S3's are, so that the events of a key compare, as strings, in the order
// of its changes. The last two digits are always 00, as they were for every
// put since the first sequencer Stratus made, so sequencers already handed out
// keep comparing right with new ones.
func sequencer(seq uint64) string {
	return fmt.Sprintf("%016X00", seq)
}

// eventKey URL-encodes a key as S3 writes it in an event: form encoding (a space
// is "+"), slashes kept.
func eventKey(key string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '*', c == '/':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// outboxRecord is an event as the outbox keeps it: its destination and the
// message to send there.
type outboxRecord struct {
	Kind   string          `json:"kind"`
	Target string          `json:"target"`
	Bucket string          `json:"bucket"`
	Key    string          `json:"key"`
	Trace  string          `json:"trace,omitempty"`
	Event  json.RawMessage `json:"event"`
	// DetailType is the EventBridge detail-type of a destBus record, whose
	// Event is the event's detail.
	DetailType string `json:"detailType,omitempty"`
}

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func encodeOutbox(t *notifyTarget, bucket, key, trace string, rec eventRecord) ([]byte, error) {
	ev, err := encodeJSON(eventMessage{Records: []eventRecord{rec}})
	if err != nil {
		return nil, err
	}
	return encodeJSON(outboxRecord{Kind: t.kind, Target: t.arn, Bucket: bucket, Key: key, Trace: trace, Event: ev})
}

// How the drain paces itself: the tick reads the outbox even when no write woke
// it (records left by a crash), and a failed delivery is retried after a backoff
// that doubles up to its maximum.
const (
	drainTick       = 2 * time.Second
	drainPage       = 100
	drainBackoffMin = 50 * time.Millisecond
	drainBackoffMax = 30 * time.Second
)

// drainOutbox delivers outbox records until ctx ends, waking on every commit
// that added some and on a tick.
func (s *Service) drainOutbox(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(drainTick)
	defer tick.Stop()
	var backoff time.Duration
	for {
		if s.drainOnce(ctx) {
			backoff = 0
			select {
			case <-ctx.Done():
				return
			case <-s.Store.Wake():
			case <-tick.C:
			}
			continue
		}
		backoff = min(max(2*backoff, drainBackoffMin), drainBackoffMax)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// drainOnce delivers what the outbox holds, oldest first, acknowledging each
// page's delivered records, and reports whether it emptied the outbox. A record
// whose delivery is to be retried holds back the later records of its
// destination and key (no event overtakes an earlier one of its key), not the
// others; it is retried, after a backoff, on the next call.
//
// The outbox is read from its oldest record, so a full page of records that keep
// failing holds back the records after it.
func (s *Service) drainOnce(ctx context.Context) bool {
	for ctx.Err() == nil {
		recs, err := s.Store.Outbox(ctx, drainPage)
		if err != nil {
			if ctx.Err() == nil {
				slog.Error("s3: reading the notification outbox", "err", err)
			}
			return false
		}
		if len(recs) == 0 {
			return true
		}
		done := make([]uint64, 0, len(recs))
		var held map[string]bool
		var failed error
		for _, r := range recs {
			var rec outboxRecord
			if err := json.Unmarshal(r.Payload, &rec); err != nil {
				slog.Error("s3: dropping an unreadable notification", "err", err)
				done = append(done, r.Seq)
				continue
			}
			stream := rec.Kind + " " + rec.Target + " " + rec.Bucket + "/" + rec.Key
			if held[stream] {
				continue
			}
			if err := s.deliver(ctx, &rec); err != nil {
				if held == nil {
					held = map[string]bool{}
				}
				held[stream], failed = true, err
				continue
			}
			done = append(done, r.Seq)
		}
		if len(done) > 0 {
			if err := s.Store.Ack(ctx, done...); err != nil {
				slog.Error("s3: acknowledging notifications", "err", err)
				return false
			}
		}
		if failed != nil {
			if ctx.Err() == nil {
				slog.Warn("s3: delivering notifications, will retry", "held", len(held), "err", failed)
			}
			return false
		}
	}
	return false
}

// deliver hands one record to its destination. It returns an error only when
// the delivery should be retried; a record that can never be delivered (its
// function gone or refusing the event, no Lambda here, a destination Stratus
// does not have) is dropped with a log line, as S3 drops it.
func (s *Service) deliver(ctx context.Context, r *outboxRecord) error {
	if r.Kind == destQueue || r.Kind == destTopic || r.Kind == destBus {
		return s.deliverMessage(ctx, r)
	}
	if r.Kind != destLambda {
		slog.Warn("s3: dropping a notification to a destination Stratus does not have", "kind", r.Kind, "target", r.Target)
		return nil
	}
	if s.Functions == nil {
		slog.Warn("s3: dropping a notification: no Lambda service", "function", r.Target)
		return nil
	}
	_, err := s.Functions.EnqueueEvent(ctx, r.Target, r.Event, r.Trace)
	if err == nil {
		return nil
	}
	if s.functionGone(err) {
		slog.Warn("s3: dropping a notification the function cannot take", "function", r.Target, "err", err)
		return nil
	}
	return err
}

// deliverMessage sends a record to its queue or topic: the event message as
// the body, and for a topic the subject S3 gives its notifications.
func (s *Service) deliverMessage(ctx context.Context, r *outboxRecord) error {
	if s.Targets == nil {
		slog.Warn("s3: dropping a notification: no SQS or SNS here", "target", r.Target)
		return nil
	}
	m := eventsource.Message{Body: string(r.Event)}
	switch r.Kind {
	case destTopic:
		m.Subject = notificationSubject
	case destBus:
		m.Source, m.DetailType, m.Resources = "aws.s3", r.DetailType, []string{"arn:aws:s3:::" + r.Bucket}
	}
	_, err := s.Targets.Send(ctx, r.Target, m)
	if err == nil {
		return nil
	}
	var e *awsproto.Error
	if errors.Is(err, eventsource.ErrNotFound) || (errors.As(err, &e) && !e.Server && e.Status < 500 && e.Status != 429) {
		slog.Warn("s3: dropping a notification the destination cannot take", "target", r.Target, "err", err)
		return nil
	}
	return err
}

// notificationSubject is the Subject of the SNS messages S3 publishes.
const notificationSubject = "Amazon S3 Notification"

// testEvent is the message S3 sends a queue or topic when a notification
// configuration names it, before storing the configuration.
type testEvent struct {
	Service   string `json:"Service"`
	Event     string `json:"Event"`
	Time      string `json:"Time"`
	Bucket    string `json:"Bucket"`
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
}

// sendTestEvent sends arn S3's s3:TestEvent for bucket; an error means the
// destination does not exist or refused it.
func (s *Service) sendTestEvent(ctx context.Context, kind, arn, bucket string) error {
	if s.Targets == nil {
		return eventsource.ErrNotFound
	}
	b, err := encodeJSON(testEvent{Service: "Amazon S3", Event: "s3:TestEvent", Time: s.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Bucket: bucket, RequestID: awsproto.Info(ctx).RequestID, HostID: s.HostID})
	if err != nil {
		return err
	}
	m := eventsource.Message{Body: string(b)}
	if kind == destTopic {
		m.Subject = notificationSubject
	}
	_, err = s.Targets.Send(ctx, arn, m)
	return err
}

// functionGone reports whether EnqueueEvent's error means the event can never
// be queued: the function does not exist (FunctionNotFound, or Lambda's
// ResourceNotFoundException), or Lambda refused the event itself (a client
// error other than throttling).
func (s *Service) functionGone(err error) bool {
	if s.FunctionNotFound != nil && errors.Is(err, s.FunctionNotFound) {
		return true
	}
	var e *awsproto.Error
	if errors.As(err, &e) {
		return !e.Server && e.Status >= 400 && e.Status < 500 && e.Status != 429
	}
	return false
}
