package invoke

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/sandbox"
	"github.com/stratus-run/stratus/internal/sandbox/process"
)

// goSandbox runs a runtime as a goroutine that speaks the Runtime API over real
// HTTP, so these tests drive the engine and the Runtime API exactly as a runtime
// process would, with full control over what the runtime sends.
type goSandbox struct {
	process.Sandbox // its host network and paths
	runtime         func(ctx context.Context, api string, out io.Writer) error
	starts          atomic.Int32
}

func (s *goSandbox) Name() string { return "go" }

func (s *goSandbox) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	s.starts.Add(1)
	api := ""
	for _, kv := range spec.Env {
		if v, ok := strings.CutPrefix(kv, "AWS_LAMBDA_RUNTIME_API="); ok {
			api = v
		}
	}
	out, err := os.OpenFile(spec.Output.Name(), os.O_WRONLY, 0) // our own copy of the pipe's write end
	if err != nil {
		out = nil
	}
	rctx, cancel := context.WithCancel(context.Background())
	in := &goInstance{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		if out != nil {
			defer out.Close()
		}
		var w io.Writer = io.Discard
		if out != nil {
			w = out
		}
		in.err = s.runtime(rctx, api, w)
	}()
	return in, nil
}

type goInstance struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func (in *goInstance) Wait() error     { <-in.done; return in.err }
func (in *goInstance) Pause() error    { return nil }
func (in *goInstance) InitDone() error { return nil }
func (in *goInstance) Resume() error   { return nil }
func (in *goInstance) Stop(ctx context.Context) error {
	in.cancel()
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (in *goInstance) Stats() (sandbox.Stats, error) {
	return sandbox.Stats{MaxMemoryBytes: 1 << 20}, nil
}

// rt is a minimal runtime client for tests.
type rt struct {
	ctx context.Context
	api string
}

func (r rt) next() (id string, body []byte, h http.Header, err error) {
	req, _ := http.NewRequestWithContext(r.ctx, http.MethodGet, "http://"+r.api+"/2018-06-01/runtime/invocation/next", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", nil, nil, err
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), body, resp.Header, nil
}

func (r rt) post(path, body string, hdr ...string) (int, string) {
	req, _ := http.NewRequestWithContext(r.ctx, http.MethodPost, "http://"+r.api+"/2018-06-01/runtime/"+path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// echoRuntime answers every event with its payload; a payload of "slow" is
// answered after the given delay.
func echoRuntime(slow time.Duration) func(ctx context.Context, api string, out io.Writer) error {
	return func(ctx context.Context, api string, out io.Writer) error {
		r := rt{ctx, api}
		for {
			id, body, _, err := r.next()
			if err != nil {
				return nil
			}
			if string(body) == `"slow"` {
				time.Sleep(slow)
			}
			r.post("invocation/"+id+"/response", string(body))
		}
	}
}

func newEngine(t *testing.T, sb sandbox.Sandbox, mods ...func(*Engine)) *Engine {
	t.Helper()
	e := &Engine{Sandbox: sb}
	for _, m := range mods {
		m(e)
	}
	if err := e.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Close(ctx) //nolint:errcheck
	})
	return e
}

func testFunction(t *testing.T, name string) *Function {
	dir := t.TempDir()
	os.WriteFile(dir+"/bootstrap", []byte("#!/bin/sh\n"), 0o755) //nolint:errcheck
	return &Function{Key: "us-east-1/" + name + "/$LATEST", Generation: 1, Name: name, Region: "us-east-1",
		Arn: "arn:aws:lambda:us-east-1:000000000000:function:" + name, Version: "$LATEST", Runtime: "provided.al2023",
		Handler: "h", CodeDir: dir, MemoryMB: 128, Timeout: 2 * time.Second, Reserved: -1}
}

func TestRuntimeAPIProtocol(t *testing.T) {
	type seen struct {
		status      int
		body        string
		dupStatus   int
		dupBody     string
		unknown     int
		unknownBody string
		headers     http.Header
		errorStatus int
	}
	var mu sync.Mutex
	var got seen
	posted := make(chan struct{})
	sb := &goSandbox{runtime: func(ctx context.Context, api string, out io.Writer) error {
		r := rt{ctx, api}
		id, body, h, err := r.next()
		if err != nil {
			return err
		}
		st, b := r.post("invocation/"+id+"/response", string(body))
		dst, db := r.post("invocation/"+id+"/response", "again")
		ust, ub := r.post("invocation/not-an-id/response", "x")
		mu.Lock()
		got = seen{status: st, body: b, dupStatus: dst, dupBody: db, unknown: ust, unknownBody: ub, headers: h}
		mu.Unlock()
		id2, _, _, err := r.next()
		if err != nil {
			return err
		}
		est, _ := r.post("invocation/"+id2+"/error", `{"errorMessage":"bad","errorType":"MyError","stackTrace":["a"]}`,
			"Lambda-Runtime-Function-Error-Type", "Function.Unhandled")
		mu.Lock()
		got.errorStatus = est
		mu.Unlock()
		close(posted)
		<-ctx.Done()
		return nil
	}}
	e := newEngine(t, sb)
	fn := testFunction(t, "proto")
	res, err := e.Invoke(context.Background(), &Request{Function: fn, Payload: []byte(`{"a":1}`), InvokedArn: fn.Arn + ":$LATEST",
		ClientContext: `{"custom":{}}`, TraceID: "Root=1-5e1b4151-5ac6c58f0b2d4d4e8c2a0c3e;Parent=53995c3f42cd8ad8;Sampled=1"})
	if err != nil || string(res.Payload) != `{"a":1}` || res.FunctionError != "" {
		t.Fatalf("invoke: %+v %v", res, err)
	}
	res2, err := e.Invoke(context.Background(), &Request{Function: fn, Payload: []byte(`{}`), InvokedArn: fn.Arn})
	if err != nil || res2.FunctionError != "Unhandled" || string(res2.Payload) != `{"errorMessage":"bad","errorType":"MyError","stackTrace":["a"]}` {
		t.Fatalf("error invoke: %+v %v", res2, err)
	}
	<-posted // the caller may hear back before the runtime's POST is answered
	mu.Lock()
	defer mu.Unlock()
	if got.status != 202 || strings.TrimSpace(got.body) != `{"status":"OK"}` {
		t.Errorf("response: %d %s", got.status, got.body)
	}
	if got.dupStatus != 403 || !strings.Contains(got.dupBody, `"errorType":"InvalidStateTransition"`) {
		t.Errorf("second response: %d %s", got.dupStatus, got.dupBody)
	}
	if got.unknown != 400 || !strings.Contains(got.unknownBody, `"errorType":"InvalidRequestID"`) {
		t.Errorf("unknown id: %d %s", got.unknown, got.unknownBody)
	}
	if got.errorStatus != 202 {
		t.Errorf("error post: %d", got.errorStatus)
	}
	h := got.headers
	if h.Get("Lambda-Runtime-Aws-Request-Id") != res.RequestID ||
		h.Get("Lambda-Runtime-Invoked-Function-Arn") != fn.Arn+":$LATEST" ||
		!regexp.MustCompile(`^Root=1-5e1b4151-5ac6c58f0b2d4d4e8c2a0c3e;Parent=[0-9a-f]{16};Sampled=1$`).MatchString(h.Get("Lambda-Runtime-Trace-Id")) ||
		strings.Contains(h.Get("Lambda-Runtime-Trace-Id"), "53995c3f42cd8ad8") || // the caller's segment is the parent, not ours
		h.Get("Lambda-Runtime-Client-Context") != `{"custom":{}}` || h.Get("Content-Type") != "application/json" {
		t.Errorf("next headers: %v", h)
	}
	var dl int64
	if err := json.Unmarshal([]byte(h.Get("Lambda-Runtime-Deadline-Ms")), &dl); err != nil {
		t.Errorf("deadline header %q", h.Get("Lambda-Runtime-Deadline-Ms"))
	}
	if d := time.Until(time.UnixMilli(dl)); d > 2*time.Second || d < 0 {
		t.Errorf("deadline %v from now, want within the 2s timeout", d)
	}
}

func TestIdleEnvironmentsAreReaped(t *testing.T) {
	sb := &goSandbox{runtime: echoRuntime(0)}
	e := newEngine(t, sb, func(e *Engine) { e.KeepAlive = 50 * time.Millisecond })
	fn := testFunction(t, "reap")
	if _, err := e.Invoke(context.Background(), &Request{Function: fn, Payload: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if live, idle := e.FunctionStats(fn.Key); live != 1 || idle != 1 {
		t.Fatalf("after invoke: live=%d idle=%d", live, idle)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if live, _ := e.FunctionStats(fn.Key); live == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle environment not reaped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := e.Invoke(context.Background(), &Request{Function: fn, Payload: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if n := sb.starts.Load(); n != 2 {
		t.Errorf("%d environment starts, want 2 (one cold start after reaping)", n)
	}
}

func TestNewGenerationDrainsOldEnvironments(t *testing.T) {
	sb := &goSandbox{runtime: echoRuntime(300 * time.Millisecond)}
	e := newEngine(t, sb)
	fn := testFunction(t, "gen")
	done := make(chan *Result)
	go func() {
		r, _ := e.Invoke(context.Background(), &Request{Function: fn, Payload: []byte(`"slow"`)})
		done <- r
	}()
	time.Sleep(50 * time.Millisecond)
	fn2 := *fn
	fn2.Generation = 2
	if _, err := e.Invoke(context.Background(), &Request{Function: &fn2, Payload: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r == nil || string(r.Payload) != `"slow"` {
		t.Fatalf("in-flight invocation of the old generation: %+v", r)
	}
	// The old environment is stopped once its invocation ended; only the new
	// generation's environment is left, and a stale request runs on it.
	if _, err := e.Invoke(context.Background(), &Request{Function: fn, Payload: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if live, _ := e.FunctionStats(fn.Key); live != 1 {
		t.Errorf("live environments = %d, want 1", live)
	}
	if n := sb.starts.Load(); n != 2 {
		t.Errorf("%d starts, want 2", n)
	}
}

func TestReportLine(t *testing.T) {
	got := reportLine("id-1", 1234567*time.Nanosecond, 2*time.Millisecond, 128, 20<<20, 45670*time.Microsecond, "", "")
	want := "REPORT RequestId: id-1\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 45.67 ms\t"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = reportLine("id-2", time.Second, time.Second, 256, 1, 0, "timeout", "")
	if !strings.HasSuffix(got, "Max Memory Used: 1 MB\tStatus: timeout\t") {
		t.Errorf("timeout report %q", got)
	}
}

func TestBilledDuration(t *testing.T) {
	for _, c := range []struct {
		d, g, want time.Duration
	}{
		{1200 * time.Microsecond, time.Millisecond, 2 * time.Millisecond},
		{time.Millisecond, time.Millisecond, time.Millisecond},
		{101 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond},
		{0, time.Millisecond, time.Millisecond},
	} {
		if got := roundUp(c.d, c.g); got != c.want {
			t.Errorf("roundUp(%v, %v) = %v, want %v", c.d, c.g, got, c.want)
		}
	}
}

// TestConcurrencyIsPerFunction: versions of one function (one Group) share its
// reserved concurrency; another function's versions count apart.
func TestConcurrencyIsPerFunction(t *testing.T) {
	e := &Engine{AccountConcurrency: 10}
	v := func(key, group string) *Function { return &Function{Key: key, Group: group, Reserved: 1} }
	latest, one, other := v("r/f/$LATEST", "r/f"), v("r/f/1", "r/f"), v("r/g/$LATEST", "r/g")
	if err := e.acquire(e.state(one), one); err != nil {
		t.Fatal(err)
	}
	if err := e.acquire(e.state(latest), latest); err != errThrottledReserved {
		t.Fatalf("$LATEST while version 1 holds the only slot: %v", err)
	}
	if err := e.acquire(e.state(other), other); err != nil {
		t.Fatalf("another function: %v", err)
	}
	e.release(e.state(one), one)
	if err := e.acquire(e.state(latest), latest); err != nil {
		t.Fatalf("$LATEST after version 1 ended: %v", err)
	}
}
