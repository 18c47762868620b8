package esm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/store"
)

// memStreams is an in-memory eventsource.Streams: shards of records with
// sequence numbers of equal length, and a broadcast channel for Wait.
type memStreams struct {
	mu      sync.Mutex
	seq     int
	streams map[string][]*memShard
	changed chan struct{}
	reads   int
	waits   int
}

type memShard struct {
	sh     eventsource.Shard
	recs   []eventsource.Record
	closed bool
}

var _ eventsource.Streams = (*memStreams)(nil)

func newMemStreams() *memStreams {
	return &memStreams{streams: map[string][]*memShard{}, changed: make(chan struct{})}
}

// notifyLocked wakes every waiter. Caller holds mu.
func (m *memStreams) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

func (m *memStreams) addShard(arn, id, parent string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.streams[arn] = append(m.streams[arn], &memShard{sh: eventsource.Shard{ID: id, Parent: parent}})
	m.notifyLocked()
}

func (m *memStreams) shardLocked(arn, id string) *memShard {
	for _, s := range m.streams[arn] {
		if s.sh.ID == id {
			return s
		}
	}
	return nil
}

// put appends a record with data to a shard and returns its sequence number.
func (m *memStreams) put(arn, shard, key, data string, at time.Time) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	seq := fmt.Sprintf("%021d", m.seq)
	s := m.shardLocked(arn, shard)
	if s.sh.StartSeq == "" {
		s.sh.StartSeq = seq
	}
	s.recs = append(s.recs, eventsource.Record{Seq: seq, Time: at, Data: json.RawMessage(data), PartitionKey: key, Size: len(data)})
	m.notifyLocked()
	return seq
}

func (m *memStreams) closeShard(arn, shard string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.shardLocked(arn, shard)
	s.closed = true
	s.sh.EndSeq = fmt.Sprintf("%021d", m.seq)
	m.notifyLocked()
}

func (m *memStreams) Shards(ctx context.Context, arn string) ([]eventsource.Shard, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ss, ok := m.streams[arn]
	if !ok {
		return nil, fmt.Errorf("mem: %s: %w", arn, eventsource.ErrNotFound)
	}
	var out []eventsource.Shard
	for _, s := range ss {
		out = append(out, s.sh)
	}
	return out, nil
}

func (m *memStreams) Read(ctx context.Context, arn, shard, after string, limit int) ([]eventsource.Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	s := m.shardLocked(arn, shard)
	if s == nil {
		return nil, false, eventsource.ErrNotFound
	}
	var out []eventsource.Record
	for _, r := range s.recs {
		if r.Seq > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, s.closed && len(out) == 0, nil
}

func (m *memStreams) Latest(ctx context.Context, arn, shard string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.shardLocked(arn, shard)
	if len(s.recs) == 0 {
		return "", nil
	}
	return s.recs[len(s.recs)-1].Seq, nil
}

func (m *memStreams) Wait(ctx context.Context, arn, shard, after string) error {
	for {
		m.mu.Lock()
		m.waits++
		s := m.shardLocked(arn, shard)
		ready := s == nil || s.closed || (len(s.recs) > 0 && s.recs[len(s.recs)-1].Seq > after)
		ch := m.changed
		m.mu.Unlock()
		if ready {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// testRecord is the Data of the test's stream records.
type testRecord struct {
	EventName string `json:"eventName"`
	Key       string `json:"key"`
	N         int    `json:"n"`
	Seq       string `json:"seq,omitempty"`
}

// call is one invocation the fake saw.
type call struct {
	function string
	records  []testRecord
	seqs     []string
	size     int // bytes of the event
}

// fakeFunctions is a scripted Functions: handle decides each invocation's
// outcome; known are the function ARNs that exist.
type fakeFunctions struct {
	mu       sync.Mutex
	known    map[string]bool
	handle   func(c call) (*invoke.Result, error)
	calls    []call
	enqueued [][]byte
	enqTo    []string
}

func newFakeFunctions(names ...string) *fakeFunctions {
	f := &fakeFunctions{known: map[string]bool{}}
	for _, n := range names {
		f.known[fnARN(n)] = true
	}
	return f
}

func fnARN(name string) string { return "arn:aws:lambda:us-east-1:000000000000:function:" + name }

func (f *fakeFunctions) setHandler(h func(c call) (*invoke.Result, error)) {
	f.mu.Lock()
	f.handle = h
	f.mu.Unlock()
}

func (f *fakeFunctions) InvokeSync(ctx context.Context, region, function string, payload []byte, traceID string) (*invoke.Result, error) {
	var ev struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("fake: event is not JSON: %v", err)
	}
	c := call{function: function, size: len(payload)}
	for _, raw := range ev.Records {
		var tr testRecord
		json.Unmarshal(raw, &tr) //nolint:errcheck
		c.records = append(c.records, tr)
		c.seqs = append(c.seqs, tr.Seq)
	}
	f.mu.Lock()
	h := f.handle
	f.mu.Unlock()
	res, err := &invoke.Result{RequestID: awsproto.NewRequestID(), Payload: []byte(`null`)}, error(nil)
	if h != nil {
		res, err = h(c)
		if res != nil && res.RequestID == "" {
			res.RequestID = awsproto.NewRequestID()
		}
	}
	f.mu.Lock()
	if err == nil || !strings.Contains(err.Error(), "TooManyRequests") {
		f.calls = append(f.calls, c)
	}
	f.mu.Unlock()
	return res, err
}

func (f *fakeFunctions) EnqueueEvent(ctx context.Context, functionArn string, payload []byte, traceID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enqueued = append(f.enqueued, payload)
	f.enqTo = append(f.enqTo, functionArn)
	return awsproto.NewRequestID(), nil
}

func (f *fakeFunctions) FunctionARN(ctx context.Context, region, ref string) (string, error) {
	arn := ref
	if !strings.HasPrefix(ref, "arn:") {
		arn = "arn:aws:lambda:" + region + ":000000000000:function:" + ref
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known[arn] {
		return "", &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "Function not found: " + arn}
	}
	return arn, nil
}

func (f *fakeFunctions) snapshot() ([]call, [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...), append([][]byte(nil), f.enqueued...)
}

// fixture is a service on a real store with fakes around it.
type fixture struct {
	t       *testing.T
	dir     string
	st      *store.Store
	s       *Service
	fns     *fakeFunctions
	streams *memStreams
}

const streamARN = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000"

func newFixture(t *testing.T, fns *fakeFunctions, streams *memStreams) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), fns: fns, streams: streams}
	f.open()
	t.Cleanup(f.close)
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	ctx := context.Background()
	f.st = &store.Store{Dir: f.dir}
	if err := f.st.Open(ctx); err != nil {
		f.t.Fatal(err)
	}
	f.s = &Service{
		Store: f.st, Functions: f.fns, Streams: map[string]eventsource.Streams{"dynamodb": f.streams},
		RetryDelay: time.Millisecond, MaxRetryDelay: 4 * time.Millisecond, ThrottleDelay: time.Millisecond,
		ShardRefresh: 20 * time.Millisecond, Second: time.Millisecond,
	}
	if err := f.s.Open(ctx); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) close() {
	if f.s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f.s.Close(ctx)  //nolint:errcheck
	f.st.Close(ctx) //nolint:errcheck
	f.s = nil
}

// do sends one API request to the service and decodes its answer into out.
func (f *fixture) do(method, path string, body any, out any) (int, string) {
	f.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	r := httptest.NewRequest(method, path, rd)
	w := httptest.NewRecorder()
	f.s.ServeHTTP(w, r)
	if out != nil && w.Code < 300 {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			f.t.Fatalf("%s %s: %v: %s", method, path, err, w.Body)
		}
	}
	return w.Code, w.Header().Get("X-Amzn-Errortype")
}

type mappingOut struct {
	UUID                 string
	State                string
	LastProcessingResult string
	FunctionArn          string
}

// create makes a mapping of the test stream to function "fn" with extra
// members, failing the test if it is refused.
func (f *fixture) create(extra map[string]any) string {
	f.t.Helper()
	body := map[string]any{"EventSourceArn": streamARN, "FunctionName": "fn", "StartingPosition": "TRIM_HORIZON"}
	for k, v := range extra {
		body[k] = v
	}
	var out mappingOut
	if code, typ := f.do("POST", prefix+"/", body, &out); code != http.StatusAccepted {
		f.t.Fatalf("create: %d %s", code, typ)
	}
	return out.UUID
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// rec is a test record's Data.
func rec(key string, n int, seq string) string {
	b, _ := json.Marshal(testRecord{EventName: "INSERT", Key: key, N: n, Seq: seq})
	return string(b)
}

// putN writes n records of key to shard, each carrying its own sequence
// number, and returns the sequence numbers.
func (m *memStreams) putN(arn, shard, key string, n int, at time.Time) []string {
	var seqs []string
	for i := range n {
		m.mu.Lock()
		next := fmt.Sprintf("%021d", m.seq+1)
		m.mu.Unlock()
		seqs = append(seqs, m.put(arn, shard, key, rec(key, i, next), at))
	}
	return seqs
}

func fail() (*invoke.Result, error) {
	return &invoke.Result{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom","errorType":"Error"}`)}, nil
}

func ok(payload string) (*invoke.Result, error) {
	return &invoke.Result{Payload: []byte(payload)}, nil
}
