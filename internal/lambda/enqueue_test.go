package lambda

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/async"
	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/blob"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/runtimes"
	"github.com/stratus-run/stratus/internal/sandbox/process"
	"github.com/stratus-run/stratus/internal/store"
	"github.com/stratus-run/stratus/internal/testfn"
)

// liveService is a Service wired as the server wires it, on a store in a
// temporary directory, running functions in the process sandbox, with the
// durable queue delivering its events; retries wait 40 ms.
func liveService(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st := &store.Store{Dir: filepath.Join(dir, "jetstream")}
	if err := st.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) }) //nolint:errcheck
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	engine := &invoke.Engine{Sandbox: &process.Sandbox{}}
	if err := engine.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close(context.Background()) }) //nolint:errcheck
	rts := &runtimes.Runtimes{Dir: filepath.Join(dir, "runtimes")}
	if err := rts.Open(); err != nil {
		t.Fatal(err)
	}
	q := &async.Queue{Store: st, ThrottleMin: time.Millisecond, ThrottleMax: 50 * time.Millisecond}
	s := &Service{Store: st, Blobs: blobs, Engine: engine, Runtimes: rts, CodeDir: filepath.Join(dir, "code"),
		URLKey: []byte("test"), Queue: q, RetryDelay: 40 * time.Millisecond, AgeUnit: 10 * time.Millisecond}
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) }) //nolint:errcheck
	q.Handle = s.Deliver
	if err := q.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) }) //nolint:errcheck
	return s
}

// call sends one Lambda API request to s as the edge would, from us-east-1.
func call(t *testing.T, s *Service, method, path string, body any) *httptest.ResponseRecorder {
	t.Helper()
	b, _ := json.Marshal(body)
	r := httptest.NewRequest(method, path, bytes.NewReader(b))
	r = r.WithContext(awsproto.WithInfo(r.Context(), &awsproto.RequestInfo{Region: "us-east-1", RequestID: awsproto.NewRequestID()}))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func createTestFunction(t *testing.T, s *Service, name, handler string) {
	t.Helper()
	root, err := testfn.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	_, zipped, err := testfn.BuildFunction(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := call(t, s, "POST", "/2015-03-31/functions", map[string]any{
		"FunctionName": name, "Runtime": "provided.al2023", "Handler": handler, "Publish": true,
		"Role": "arn:aws:iam::000000000000:role/r", "Code": map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(zipped)},
	})
	if w.Code != http.StatusCreated {
		t.Fatalf("CreateFunction: %d %s", w.Code, w.Body)
	}
	if w := call(t, s, "POST", "/2015-03-31/functions/"+name+"/aliases", map[string]string{"Name": "live", "FunctionVersion": "1"}); w.Code != http.StatusCreated {
		t.Fatalf("CreateAlias: %d %s", w.Code, w.Body)
	}
}

type ranLine struct {
	RequestID string          `json:"requestId"`
	Event     json.RawMessage `json:"event"`
	Attempt   int             `json:"attempt"`
}

// waitRan waits until testdata/fn has written n lines to path.
func waitRan(t *testing.T, path string, n int) []ranLine {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		var out []ranLine
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			var l ranLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				out = append(out, l)
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d lines, want %d", path, len(out), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPolicyThenEnqueueEvent goes the way of an S3 notification: Permits asks the
// function's policy (added through the API, read from the cache its watch
// fills), then EnqueueEvent queues the event. The event runs in the function (the
// unqualified one and an alias) with the request id EnqueueEvent returned, and is
// retried as an Event invoke is when the function fails; what cannot be queued
// is refused as Invoke refuses it.
func TestPolicyThenEnqueueEvent(t *testing.T) {
	s := liveService(t)
	createTestFunction(t, s, "notified", "failn")
	arn := s.arn("us-east-1", "notified")
	ctx := context.Background()
	dir := t.TempDir()

	const bucket = "arn:aws:s3:::uploads"
	if err := s.Permits(ctx, arn, "s3.amazonaws.com", bucket, "123456789012"); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("Permits before AddPermission: %v", err)
	}
	for _, path := range []string{"/2015-03-31/functions/notified/policy", "/2015-03-31/functions/notified/policy?Qualifier=live"} {
		w := call(t, s, "POST", path, map[string]string{"StatementId": "s3", "Action": "lambda:InvokeFunction",
			"Principal": "s3.amazonaws.com", "SourceArn": "arn:aws:s3:::up*", "SourceAccount": "123456789012"})
		if w.Code != http.StatusCreated {
			t.Fatalf("AddPermission %s: %d %s", path, w.Code, w.Body)
		}
	}
	for _, ref := range []string{arn, arn + ":live"} {
		if err := s.Permits(ctx, ref, "s3.amazonaws.com", bucket, "123456789012"); err != nil {
			t.Errorf("Permits %s: %v", ref, err)
		}
		if err := s.Permits(ctx, ref, "s3.amazonaws.com", bucket, "210987654321"); !errors.Is(err, ErrNotPermitted) {
			t.Errorf("Permits %s from another account: %v", ref, err)
		}
	}
	if err := s.Permits(ctx, arn+":1", "s3.amazonaws.com", bucket, "123456789012"); !errors.Is(err, ErrNotPermitted) {
		t.Errorf("Permits of version 1, which has no policy: %v", err)
	}

	// The first attempt fails; the retry (after RetryDelay) succeeds.
	file := filepath.Join(dir, "latest")
	payload := []byte(`{"file":"` + file + `","fails":1}`)
	id, err := s.EnqueueEvent(ctx, arn, payload, "Root=1-5759e988-bd862e3fe1be46a994272793")
	if err != nil {
		t.Fatal(err)
	}
	got := waitRan(t, file, 2)
	for i, l := range got {
		if l.RequestID != id || l.Attempt != i+1 {
			t.Errorf("attempt %d: %+v, want request id %s", i+1, l, id)
		}
	}
	// Through an alias, and the region comes from the ARN.
	file = filepath.Join(dir, "alias")
	id, err = s.EnqueueEvent(ctx, arn+":live", []byte(`{"file":"`+file+`"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := waitRan(t, file, 1); got[0].RequestID != id {
		t.Errorf("alias: %+v, want request id %s", got[0], id)
	}

	for _, tc := range []struct {
		name, arn string
		payload   []byte
		sentinel  error
		code, msg string
	}{
		{name: "missing function", arn: s.arn("us-east-1", "nosuch"), payload: []byte(`{}`), sentinel: ErrFunctionNotFound},
		{name: "missing alias", arn: arn + ":nosuch", payload: []byte(`{}`), sentinel: ErrFunctionNotFound},
		{name: "missing version", arn: arn + ":7", payload: []byte(`{}`), sentinel: ErrFunctionNotFound},
		{name: "other region", arn: s.arn("eu-west-1", "notified"), payload: []byte(`{}`), sentinel: ErrFunctionNotFound},
		{name: "not an ARN", arn: "notified", payload: []byte(`{}`), sentinel: ErrFunctionNotFound},
		{name: "too large", arn: arn, payload: []byte(`"` + strings.Repeat("x", MaxAsyncPayload-1) + `"`),
			code: "RequestEntityTooLargeException", msg: "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
		{name: "not JSON", arn: arn, payload: []byte(`{`), code: "InvalidRequestContentException",
			msg: "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.EnqueueEvent(ctx, tc.arn, tc.payload, "")
			if err == nil || id != "" {
				t.Fatalf("EnqueueEvent = %q, %v; want an error", id, err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("error %v, want %v", err, tc.sentinel)
			}
			if tc.code != "" {
				if ae := awsproto.As(err); ae.Code != tc.code || ae.Message != tc.msg {
					t.Errorf("error %v, want %s: %s", err, tc.code, tc.msg)
				}
			}
		})
	}
	// The event that succeeded on its retry runs no more.
	time.Sleep(200 * time.Millisecond)
	if n := len(waitRan(t, filepath.Join(dir, "latest"), 2)); n != 2 {
		t.Errorf("the failing event ran %d times, want 2", n)
	}
}
