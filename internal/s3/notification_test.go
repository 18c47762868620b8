package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
	"github.com/stratus-run/stratus/internal/s3/objstore/disk"
)

// newTestService opens a service over a disk store in a temporary directory,
// without the edge; configure sets its knobs before Open.
func newTestService(t *testing.T, configure ...func(*Service)) *Service {
	t.Helper()
	st, err := disk.Open(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Store: st, HostID: "HOSTID"}
	for _, f := range configure {
		f(s)
	}
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Close(ctx) //nolint:errcheck
		st.Close()   //nolint:errcheck
	})
	return s
}

// notificationDoc validates a configuration as PutBucketNotificationConfiguration
// does and returns the document it would store.
func notificationDoc(t *testing.T, xmlBody string) []byte {
	t.Helper()
	doc, _, err := parseNotification([]byte(xmlBody))
	if err != nil {
		t.Fatal(err)
	}
	doc.xmlns = ns()
	raw, err := encodeXML(doc)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func lambdaConfig(id, arn, prefix string, events ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<CloudFunctionConfiguration><Id>%s</Id><CloudFunction>%s</CloudFunction>", id, arn)
	for _, e := range events {
		fmt.Fprintf(&b, "<Event>%s</Event>", e)
	}
	if prefix != "" {
		fmt.Fprintf(&b, "<Filter><S3Key><FilterRule><Name>prefix</Name><Value>%s</Value></FilterRule></S3Key></Filter>", prefix)
	}
	b.WriteString("</CloudFunctionConfiguration>")
	return b.String()
}

// testCall is a request as the handlers see it, from 192.0.2.10.
func testCall(region string) *call {
	r := httptest.NewRequest("PUT", "/photos/key", nil)
	r.RemoteAddr = "192.0.2.10:5555"
	return &call{r: r, info: &awsproto.RequestInfo{RequestID: "REQ1", AccessKey: "AKIDEXAMPLE", Region: region}}
}

// outboxed decodes records made by the events hook.
func outboxed(t *testing.T, recs [][]byte) []outboxRecord {
	t.Helper()
	out := make([]outboxRecord, len(recs))
	for i, p := range recs {
		if err := json.Unmarshal(p, &out[i]); err != nil {
			t.Fatalf("record %s: %v", p, err)
		}
	}
	return out
}

const fnPhotos = "arn:aws:lambda:eu-west-1:000000000000:function:photos"

func TestEventRecord(t *testing.T) {
	s := newTestService(t)
	b := objstore.Bucket{Name: "photos", Region: "eu-west-1", Config: map[string][]byte{
		objstore.ConfigNotification: notificationDoc(t, "<NotificationConfiguration>"+
			lambdaConfig("created", fnPhotos, "in/", "s3:ObjectCreated:*")+
			lambdaConfig("removed", fnPhotos, "in/", "s3:ObjectRemoved:*")+"</NotificationConfiguration>"),
	}}
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	put := objstore.Change{Kind: objstore.ChangePut, Seq: 42, Object: objstore.Object{Key: "in/red flower@1.jpg", VersionID: objstore.NullVersion,
		Size: 11, ETag: "e9fb1ed1d5eaa36781088aae37acffbd", Seq: 42, LastModified: at}}
	c := testCall("eu-west-1")
	c.r.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")

	recs := outboxed(t, s.events(c, &b, "Put")([]objstore.Change{put}))
	if len(recs) != 1 || recs[0].Kind != "lambda" || recs[0].Target != fnPhotos || recs[0].Trace != "Root=1-5759e988-bd862e3fe1be46a994272793" {
		t.Fatalf("records = %+v", recs)
	}
	want := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1","eventTime":"2024-05-06T07:08:09.123Z",` +
		`"eventName":"ObjectCreated:Put","userIdentity":{"principalId":"AWS:AKIDEXAMPLE"},"requestParameters":{"sourceIPAddress":"192.0.2.10"},` +
		`"responseElements":{"x-amz-request-id":"REQ1","x-amz-id-2":"HOSTID"},"s3":{"s3SchemaVersion":"1.0","configurationId":"created",` +
		`"bucket":{"name":"photos","ownerIdentity":{"principalId":"000000000000"},"arn":"arn:aws:s3:::photos"},` +
		`"object":{"key":"in/red+flower%401.jpg","size":11,"eTag":"e9fb1ed1d5eaa36781088aae37acffbd","sequencer":"000000000000002A00"}}}]}`
	if got := string(recs[0].Event); got != want {
		t.Fatalf("event\n got %s\nwant %s", got, want)
	}

	// An empty object still says its size; a key outside the filter, nothing.
	empty := put
	empty.Object.Size, empty.Object.Key = 0, "in/empty"
	outside := put
	outside.Object.Key = "out/x.jpg"
	recs = outboxed(t, s.events(c, &b, "Copy")([]objstore.Change{empty, outside}))
	if len(recs) != 1 || !strings.Contains(string(recs[0].Event), `"eventName":"ObjectCreated:Copy"`) ||
		!strings.Contains(string(recs[0].Event), `"size":0`) {
		t.Fatalf("copy records = %+v", recs)
	}

	// A put names only what it made, not the version it replaced.
	replaced := objstore.Change{Kind: objstore.ChangeDelete, Object: objstore.Object{Key: put.Object.Key, VersionID: objstore.NullVersion, Seq: 7}}
	if recs := s.events(c, &b, "Put")([]objstore.Change{replaced, put}); len(recs) != 1 {
		t.Fatalf("put over an object: %d records", len(recs))
	}

	// Removals: no size, no eTag; a version id once the bucket is versioned.
	removed := objstore.Change{Kind: objstore.ChangeDelete, Seq: 47, Object: objstore.Object{Key: "in/x", VersionID: objstore.NullVersion, Size: 5, ETag: "ff", Seq: 43}}
	var ev eventMessage
	recs = outboxed(t, s.events(c, &b, "")([]objstore.Change{removed}))
	if len(recs) != 1 || json.Unmarshal(recs[0].Event, &ev) != nil {
		t.Fatalf("delete records = %+v", recs)
	}
	o := ev.Records[0].S3.Object
	if ev.Records[0].EventName != "ObjectRemoved:Delete" || ev.Records[0].S3.ConfigurationID != "removed" || o.Size != nil || o.ETag != "" || o.VersionID != "" ||
		!strings.Contains(string(recs[0].Event), `"object":{"key":"in/x","sequencer":"000000000000002F00"}`) {
		t.Fatalf("delete event = %s", recs[0].Event)
	}
	b.Versioning = objstore.VersioningEnabled
	marker := objstore.Change{Kind: objstore.ChangeDeleteMarker, Object: objstore.Object{Key: "in/x", VersionID: "3HL4kqtJlcpXroDTDmJ", DeleteMarker: true, Seq: 44, LastModified: at}}
	recs = outboxed(t, s.events(c, &b, "")([]objstore.Change{marker}))
	ev = eventMessage{}
	if len(recs) != 1 || json.Unmarshal(recs[0].Event, &ev) != nil || ev.Records[0].EventName != "ObjectRemoved:DeleteMarkerCreated" ||
		ev.Records[0].S3.Object.VersionID != "3HL4kqtJlcpXroDTDmJ" || ev.Records[0].S3.Object.Size != nil {
		t.Fatalf("marker event = %+v", recs)
	}
	// Suspended: the null version a marker replaced is no event of its own.
	b.Versioning = objstore.VersioningSuspended
	nullGone := objstore.Change{Kind: objstore.ChangeDelete, Object: objstore.Object{Key: "in/x", VersionID: objstore.NullVersion, Seq: 45}}
	nullMarker := objstore.Change{Kind: objstore.ChangeDeleteMarker, Object: objstore.Object{Key: "in/x", VersionID: objstore.NullVersion, DeleteMarker: true, Seq: 46}}
	if recs := outboxed(t, s.events(c, &b, "")([]objstore.Change{nullGone, nullMarker})); len(recs) != 1 ||
		!strings.Contains(string(recs[0].Event), `"versionId":"null"`) || !strings.Contains(string(recs[0].Event), "DeleteMarkerCreated") {
		t.Fatalf("suspended delete = %+v", recs)
	}

	// No configuration: no hook at all.
	if ev := s.events(c, &objstore.Bucket{Name: "plain"}, "Put"); ev != nil {
		t.Fatal("a hook for a bucket without notifications")
	}
}

func TestEventMatching(t *testing.T) {
	s := newTestService(t)
	b := objstore.Bucket{Name: "m", Region: "us-east-1", Config: map[string][]byte{
		objstore.ConfigNotification: notificationDoc(t, `<NotificationConfiguration>
			<CloudFunctionConfiguration><Id>jpg</Id><CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:f</CloudFunction>
			<Event>s3:ObjectCreated:Put</Event><Event>s3:ObjectCreated:CompleteMultipartUpload</Event>
			<Filter><S3Key><FilterRule><Name>Prefix</Name><Value>img/</Value></FilterRule><FilterRule><Name>SUFFIX</Name><Value>.jpg</Value></FilterRule></S3Key></Filter>
			</CloudFunctionConfiguration>
			<QueueConfiguration><Id>q</Id><Queue>arn:aws:sqs:us-east-1:000000000000:q</Queue><Event>s3:ObjectCreated:*</Event>
			<Filter><S3Key><FilterRule><Name>prefix</Name><Value>logs/</Value></FilterRule></S3Key></Filter></QueueConfiguration>
		</NotificationConfiguration>`),
	}}
	c := testCall("us-east-1")
	for _, tc := range []struct {
		created, key string
		want         int
	}{
		{"Put", "img/a.jpg", 1},
		{"CompleteMultipartUpload", "img/b/c.jpg", 1},
		{"Copy", "img/a.jpg", 0},
		{"Put", "img/a.png", 0},
		{"Put", "other/a.jpg", 0},
		{"Put", "logs/x", 0}, // a queue: not delivered yet
	} {
		ch := objstore.Change{Kind: objstore.ChangePut, Object: objstore.Object{Key: tc.key, Seq: 1}}
		if got := len(s.events(c, &b, tc.created)([]objstore.Change{ch})); got != tc.want {
			t.Errorf("%s %s: %d records, want %d", tc.created, tc.key, got, tc.want)
		}
	}
}

// gatedFunctions is a Functions whose queue refuses events until opened.
type gatedFunctions struct {
	mu     sync.Mutex
	open   bool
	calls  int
	queued []string // "function configurationId sequencer eventName"
	events map[string][]eventRecord
}

var errGone = errors.New("test: function not found")

const fnGone = "arn:aws:lambda:us-east-1:000000000000:function:gone"

func (f *gatedFunctions) Permits(ctx context.Context, arn, principal, sourceArn, sourceAccount string) error {
	return nil
}

func (f *gatedFunctions) EnqueueEvent(ctx context.Context, arn string, payload []byte, traceID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if arn == fnGone {
		return "", fmt.Errorf("%s: %w", arn, errGone)
	}
	if !f.open {
		return "", errors.New("test: queue unavailable")
	}
	var m eventMessage
	if err := json.Unmarshal(payload, &m); err != nil || len(m.Records) != 1 {
		return "", fmt.Errorf("test: payload %s: %v", payload, err)
	}
	r := m.Records[0]
	f.queued = append(f.queued, fmt.Sprintf("%s %s %s %s", arn[strings.LastIndexByte(arn, ':')+1:], r.S3.ConfigurationID, r.S3.Object.Sequencer, r.EventName))
	return "id", nil
}

func (f *gatedFunctions) state() (calls int, queued []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, append([]string(nil), f.queued...)
}

func (f *gatedFunctions) setOpen() {
	f.mu.Lock()
	f.open = true
	f.mu.Unlock()
}

// TestOutboxDrain writes through the store as the object handlers do: each
// acknowledged write's records are in the outbox, kept while the function's
// queue refuses them, then delivered exactly once each, in order, and
// acknowledged.
func TestOutboxDrain(t *testing.T) {
	fns := &gatedFunctions{}
	s := newTestService(t, func(s *Service) { s.Functions, s.FunctionNotFound = fns, errGone })
	ctx := context.Background()
	const fnA = "arn:aws:lambda:us-east-1:000000000000:function:a"
	const fnB = "arn:aws:lambda:us-east-1:000000000000:function:b"
	b := objstore.Bucket{Name: "drained", Region: "us-east-1", Created: time.Now(), Config: map[string][]byte{
		objstore.ConfigNotification: notificationDoc(t, "<NotificationConfiguration>"+
			lambdaConfig("a-created", fnA, "a/", "s3:ObjectCreated:*")+
			lambdaConfig("a-removed", fnA, "a/", "s3:ObjectRemoved:*")+
			lambdaConfig("b-put", fnB, "b/", "s3:ObjectCreated:Put")+
			lambdaConfig("gone", fnGone, "gone/", "s3:ObjectCreated:*")+
			"</NotificationConfiguration>"),
	}}
	if err := s.Store.CreateBucket(ctx, b); err != nil {
		t.Fatal(err)
	}
	c := testCall("us-east-1")
	put := func(key, data string) objstore.Object {
		t.Helper()
		o := objstore.Object{Key: key, Size: int64(len(data)), ETag: "etag-" + data, Data: objstore.Data{Inline: []byte(data), Size: int64(len(data))}}
		stored, err := s.Store.Put(ctx, b.Name, o, objstore.Condition{}, s.events(c, &b, "Put"))
		if err != nil {
			t.Fatal(err)
		}
		return stored
	}
	v1 := put("a/1", "one")
	v2 := put("a/1", "two")
	bx := put("b/x.txt", "bee")
	put("gone/x", "lost")
	del, err := s.Store.Delete(ctx, b.Name, "a/1", "", objstore.Condition{}, s.events(c, &b, ""))
	if err != nil {
		t.Fatal(err)
	}

	// Acknowledged writes: their records are durable, and stay while refused.
	recs, err := s.Store.Outbox(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 4 {
		t.Fatalf("outbox holds %d records, want at least 4", len(recs))
	}
	deadline := time.Now().Add(10 * time.Second)
	for calls, _ := fns.state(); calls < 3; calls, _ = fns.state() {
		if time.Now().After(deadline) {
			t.Fatal("the drain never tried")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The gone function's record is dropped; the others are kept.
	for recs, _ := s.Store.Outbox(ctx, 100); len(recs) != 4; recs, _ = s.Store.Outbox(ctx, 100) {
		if time.Now().After(deadline) {
			t.Fatalf("refused records: outbox holds %d, want 4", len(recs))
		}
		time.Sleep(10 * time.Millisecond)
	}

	fns.setOpen()
	want := []string{
		"a a-created " + sequencer(v1.Seq) + " ObjectCreated:Put",
		"a a-created " + sequencer(v2.Seq) + " ObjectCreated:Put",
		"b b-put " + sequencer(bx.Seq) + " ObjectCreated:Put",
		"a a-removed " + sequencer(del.Seq) + " ObjectRemoved:Delete",
	}
	for {
		_, queued := fns.state()
		if len(queued) >= len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %v", queued)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for {
		recs, err := s.Store.Outbox(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d records", len(recs))
		}
		time.Sleep(10 * time.Millisecond)
	}
	calls, queued := fns.state()
	if strings.Join(queued, "\n") != strings.Join(want, "\n") {
		t.Fatalf("delivered\n%s\nwant\n%s", strings.Join(queued, "\n"), strings.Join(want, "\n"))
	}
	if calls <= len(want) {
		t.Errorf("%d calls: the refused deliveries were not retried", calls)
	}
	if s1, s2, s3 := sequencer(v1.Seq), sequencer(v2.Seq), sequencer(del.Seq); s1 >= s2 || s2 >= s3 {
		t.Errorf("sequencers out of order: %s %s %s", s1, s2, s3)
	}
}

// TestOutboxWithoutLambda drops what cannot be delivered instead of keeping it.
func TestOutboxWithoutLambda(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	b := objstore.Bucket{Name: "nolambda", Region: "us-east-1", Config: map[string][]byte{
		objstore.ConfigNotification: notificationDoc(t, "<NotificationConfiguration>"+
			lambdaConfig("x", "arn:aws:lambda:us-east-1:000000000000:function:f", "", "s3:ObjectCreated:*")+"</NotificationConfiguration>"),
	}}
	if err := s.Store.CreateBucket(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.Put(ctx, b.Name, objstore.Object{Key: "k"}, objstore.Condition{}, s.events(testCall("us-east-1"), &b, "Put")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs, err := s.Store.Outbox(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records kept with no Lambda", len(recs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLifecycleEvents: what lifecycle removes is named LifecycleExpiration, and
// caused by S3 itself.
func TestLifecycleEvents(t *testing.T) {
	s := newTestService(t)
	b := objstore.Bucket{Name: "aging", Region: "us-east-1", Versioning: objstore.VersioningEnabled, Config: map[string][]byte{
		objstore.ConfigNotification: notificationDoc(t, "<NotificationConfiguration>"+
			lambdaConfig("expired", "arn:aws:lambda:us-east-1:000000000000:function:f", "", "s3:LifecycleExpiration:*")+
			"</NotificationConfiguration>"),
	}}
	ev := s.lifecycleEvents(&b)
	recs := outboxed(t, ev([]objstore.Change{
		{Kind: objstore.ChangeDeleteMarker, Object: objstore.Object{Key: "k", VersionID: "v2", DeleteMarker: true, Seq: 9}},
		{Kind: objstore.ChangeDelete, Object: objstore.Object{Key: "old", VersionID: "v1", Seq: 3}},
	}))
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	for i, want := range []string{"LifecycleExpiration:DeleteMarkerCreated", "LifecycleExpiration:Delete"} {
		var m eventMessage
		if err := json.Unmarshal(recs[i].Event, &m); err != nil {
			t.Fatal(err)
		}
		if r := m.Records[0]; r.EventName != want || r.UserIdentity.PrincipalID != "s3.amazonaws.com" {
			t.Errorf("record %d = %s by %s, want %s", i, r.EventName, r.UserIdentity.PrincipalID, want)
		}
	}
	// Removals by requests are not lifecycle's.
	if recs := s.events(testCall("us-east-1"), &b, "")([]objstore.Change{{Kind: objstore.ChangeDelete, Object: objstore.Object{Key: "x"}}}); len(recs) != 0 {
		t.Fatalf("a DeleteObject sent %d lifecycle events", len(recs))
	}
}

func TestEventKey(t *testing.T) {
	for key, want := range map[string]string{
		"HappyFace.jpg":        "HappyFace.jpg",
		"red flower.jpg":       "red+flower.jpg",
		"a@b":                  "a%40b",
		"dir/sub/file.txt":     "dir/sub/file.txt",
		"100%+more=yes&no?":    "100%25%2Bmore%3Dyes%26no%3F",
		"é":                    "%C3%A9",
		"tilde~star*under_sc-": "tilde%7Estar*under_sc-",
	} {
		if got := eventKey(key); got != want {
			t.Errorf("eventKey(%q) = %q, want %q", key, got, want)
		}
	}
}
