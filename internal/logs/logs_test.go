package logs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/store"
)

func openService(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	st := &store.Store{Dir: t.TempDir()}
	if err := st.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(ctx) }) //nolint:errcheck
	s := &Service{Store: st}
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(ctx) }) //nolint:errcheck
	return s
}

// call runs one operation through ServeHTTP and returns the status and body.
func call(t *testing.T, s *Service, op string, in any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(in)
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(b)))
	r.Header.Set("X-Amz-Target", targetPrefix+op)
	r = r.WithContext(awsproto.WithInfo(r.Context(), &awsproto.RequestInfo{Region: "us-east-1", Account: "000000000000"}))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out) //nolint:errcheck
	return w.Code, out
}

func mustCall(t *testing.T, s *Service, op string, in any) map[string]any {
	t.Helper()
	code, out := call(t, s, op, in)
	if code != 200 {
		t.Fatalf("%s: %d %v", op, code, out)
	}
	return out
}

func subjectCount(t *testing.T, s *Service, subject string) uint64 {
	t.Helper()
	info, err := s.events.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

func TestSweepPurgesPastRetention(t *testing.T) {
	s := openService(t)
	now := time.Now()
	day := 24 * time.Hour
	mustCall(t, s, "CreateLogGroup", map[string]any{"logGroupName": "g"})
	for _, st := range []string{"mixed", "allold"} {
		mustCall(t, s, "CreateLogStream", map[string]any{"logGroupName": "g", "logStreamName": st})
	}
	ev := func(at time.Time, msg string) map[string]any {
		return map[string]any{"timestamp": at.UnixMilli(), "message": msg}
	}
	mustCall(t, s, "PutLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "mixed",
		"logEvents": []any{ev(now.Add(-3*day), "a"), ev(now.Add(-3*day+time.Hour), "b")}})
	mustCall(t, s, "PutLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "mixed",
		"logEvents": []any{ev(now.Add(-time.Hour), "c"), ev(now, "d")}})
	mustCall(t, s, "PutLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "allold",
		"logEvents": []any{ev(now.Add(-4*day), "x")}})
	mustCall(t, s, "PutRetentionPolicy", map[string]any{"logGroupName": "g", "retentionInDays": 3})
	mixed, allold := streamSubject("us-east-1", "g", "mixed"), streamSubject("us-east-1", "g", "allold")

	// A day later, a 3-day retention drops the first batch and all of "allold".
	s.Now = func() time.Time { return now.Add(day) }
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := subjectCount(t, s, mixed); n != 2 {
		t.Errorf("mixed keeps %d events, want 2", n)
	}
	if n := subjectCount(t, s, allold); n != 0 {
		t.Errorf("allold keeps %d events, want 0", n)
	}
	out := mustCall(t, s, "GetLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "mixed", "startFromHead": true})
	if evs := out["events"].([]any); len(evs) != 2 || evs[0].(map[string]any)["message"] != "c" {
		t.Errorf("after sweep: %v", evs)
	}
	// Sweeping again changes nothing.
	if err := s.Sweep(context.Background()); err != nil || subjectCount(t, s, mixed) != 2 {
		t.Errorf("second sweep: %v", err)
	}
}

func TestUnknownOperation(t *testing.T) {
	s := openService(t)
	code, out := call(t, s, "NoSuchThing", map[string]any{})
	if code != 400 || out["__type"] != "UnknownOperationException" {
		t.Errorf("%d %v", code, out)
	}
	code, out = call(t, s, "CreateLogGroup", "not an object")
	if code != 400 || out["__type"] != "SerializationException" {
		t.Errorf("%d %v", code, out)
	}
	code, out = call(t, s, "CreateLogGroup", map[string]any{})
	if code != 400 || out["message"] != "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null" {
		t.Errorf("%d %v", code, out)
	}
}

func TestPattern(t *testing.T) {
	cases := []struct {
		pattern, msg string
		want         bool
	}{
		{"", "anything", true},
		{"ERROR", "an ERROR here", true},
		{"ERROR", "an error here", false},
		{"ERROR disk", "disk ERROR", true},
		{"ERROR disk", "ERROR only", false},
		{`"disk full"`, "the disk full now", true},
		{`"disk full"`, "full disk", false},
		{"?ERROR ?WARN", "WARN x", true},
		{"?ERROR ?WARN", "INFO x", false},
		{"ERROR -disk", "ERROR net", true},
		{"ERROR -disk", "ERROR disk", false},
		{`GET "500 slow"`, "GET /login 500 slow", true},
	}
	for _, c := range cases {
		p, err := parsePattern(c.pattern)
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		if got := p.match([]byte(c.msg)); got != c.want {
			t.Errorf("%q on %q = %v", c.pattern, c.msg, got)
		}
	}
	for _, bad := range []string{`"open`, `{ $.a = 1 }`, `[ip, user]`} {
		if _, err := parsePattern(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"", "a b", `"x y" ?z -w`, `"`, "?", "-", "? -"} {
		f.Add(s, "message x y z")
	}
	f.Fuzz(func(t *testing.T, p, msg string) {
		if pt, err := parsePattern(p); err == nil {
			pt.match([]byte(msg))
		}
	})
}

func FuzzGetToken(f *testing.F) {
	f.Add("f/" + position{1, 2}.String())
	f.Add("b/" + position{}.String())
	f.Add("junk")
	f.Fuzz(func(t *testing.T, tok string) {
		fwd, p, err := parseGetToken(tok)
		if err != nil {
			return
		}
		prefix := "b/"
		if fwd {
			prefix = "f/"
		}
		if _, q, err := parseGetToken(prefix + p.String()); err != nil || q != p {
			t.Errorf("%q: round trip gave %v %v", tok, q, err)
		}
	})
}

func TestPutLogEventsLimits(t *testing.T) {
	s := openService(t)
	mustCall(t, s, "CreateLogGroup", map[string]any{"logGroupName": "g"})
	mustCall(t, s, "CreateLogStream", map[string]any{"logGroupName": "g", "logStreamName": "s"})
	now := time.Now().UnixMilli()
	batch := func(n, size int) []any {
		evs := make([]any, n)
		for i := range evs {
			evs[i] = map[string]any{"timestamp": now, "message": strings.Repeat("x", size)}
		}
		return evs
	}
	// The largest batch: 10,000 events, all stored.
	mustCall(t, s, "PutLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "s", "logEvents": batch(10000, 5)})
	out := mustCall(t, s, "GetLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "s", "startFromHead": true})
	if n := len(out["events"].([]any)); n != 10000 {
		t.Errorf("got %d events back", n)
	}
	code, res := call(t, s, "PutLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "s", "logEvents": batch(10001, 1)})
	if code != 400 || res["__type"] != "InvalidParameterException" {
		t.Errorf("10,001 events: %d %v", code, res)
	}
	// 1,048,576 bytes counting 26 per event: 4 events of 262,118 fit, one byte more does not.
	mustCall(t, s, "PutLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "s", "logEvents": batch(4, 262118)})
	code, res = call(t, s, "PutLogEvents", map[string]any{"logGroupName": "g", "logStreamName": "s",
		"logEvents": append(batch(3, 262118), batch(1, 262119)...)})
	if code != 400 || res["__type"] != "InvalidParameterException" {
		t.Errorf("1,048,577 bytes: %d %v", code, res)
	}
}

func TestSinkLandsLines(t *testing.T) {
	s := openService(t)
	k := &Sink{Logs: s}
	k.Start()
	fn := &invoke.Function{Name: "f", Region: "us-east-1"}
	for i := range 1000 {
		k.Append(fn, "2026/01/01/[$LATEST]abc", time.Now(), []byte(fmt.Sprintf("line %d", i)))
	}
	if err := k.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := mustCall(t, s, "GetLogEvents", map[string]any{"logGroupName": "/aws/lambda/f", "logStreamName": "2026/01/01/[$LATEST]abc", "startFromHead": true})
	evs := out["events"].([]any)
	if len(evs) != 1000 || evs[999].(map[string]any)["message"] != "line 999\n" {
		t.Fatalf("%d events landed", len(evs))
	}
	for i, e := range evs {
		if e.(map[string]any)["message"] != fmt.Sprintf("line %d\n", i) {
			t.Fatalf("event %d out of order: %v", i, e)
		}
	}
}

// BenchmarkSinkAppend guards the invoke hot path's share of logging: a copy and an
// append under a lock, no I/O.
func BenchmarkSinkAppend(b *testing.B) {
	k := &Sink{MaxBuffered: 1 << 30, FlushEvents: 1 << 30}
	k.kick = make(chan struct{}, 1)
	fn := &invoke.Function{Name: "f", Region: "us-east-1"}
	line := []byte("2026-01-01T00:00:00.000Z\tabc\tINFO\ta typical log line of moderate length")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		k.Append(fn, "stream", now, line)
	}
}
