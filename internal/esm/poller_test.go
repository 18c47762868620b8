package esm

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/invoke"
)

const shard0 = "shardId-00000001"

// delivered flattens the sequence numbers of successful calls.
func delivered(calls []call) map[string]int {
	m := map[string]int{}
	for _, c := range calls {
		for _, s := range c.seqs {
			m[s]++
		}
	}
	return m
}

func TestBatching(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	tests := []struct {
		name   string
		extra  map[string]any
		pre    bool // written before the mapping exists
		write  func(m *memStreams, f *fakeFunctions)
		total  int
		verify func(t *testing.T, calls []call, sizes []int)
	}{
		{
			name:  "full batches then the rest",
			extra: map[string]any{"BatchSize": 100},
			pre:   true,
			write: func(m *memStreams, _ *fakeFunctions) { m.putN(streamARN, shard0, "k", 250, time.Now()) },
			total: 250,
			verify: func(t *testing.T, calls []call, _ []int) {
				var got []int
				for _, c := range calls {
					got = append(got, len(c.seqs))
				}
				if len(got) != 3 || got[0] != 100 || got[1] != 100 || got[2] != 50 {
					t.Errorf("batch sizes %v, want [100 100 50]", got)
				}
			},
		},
		{
			name:  "a batching window gathers records that trickle in",
			extra: map[string]any{"BatchSize": 10, "MaximumBatchingWindowInSeconds": 300}, // 300 ms here
			write: func(m *memStreams, _ *fakeFunctions) {
				m.putN(streamARN, shard0, "k", 1, time.Now())
				time.Sleep(30 * time.Millisecond)
				m.putN(streamARN, shard0, "k", 4, time.Now())
			},
			total: 5,
			verify: func(t *testing.T, calls []call, _ []int) {
				if len(calls) != 1 || len(calls[0].seqs) != 5 {
					t.Errorf("%d calls (first of %d records), want one of 5", len(calls), len(calls[0].seqs))
				}
			},
		},
		{
			name:  "without a window the first record goes at once",
			extra: map[string]any{"BatchSize": 10},
			write: func(m *memStreams, f *fakeFunctions) {
				m.putN(streamARN, shard0, "k", 1, time.Now())
				for {
					if calls, _ := f.snapshot(); len(calls) > 0 {
						break
					}
					time.Sleep(time.Millisecond)
				}
				m.putN(streamARN, shard0, "k", 4, time.Now())
			},
			total: 5,
			verify: func(t *testing.T, calls []call, _ []int) {
				if len(calls) < 2 || len(calls[0].seqs) != 1 {
					t.Errorf("%d calls, want the first record alone first", len(calls))
				}
			},
		},
		{
			name:  "batches stay within the 6 MB payload",
			extra: map[string]any{"BatchSize": 100},
			pre:   true,
			write: func(m *memStreams, _ *fakeFunctions) {
				for range 13 {
					m.put(streamARN, shard0, "k", `{"eventName":"INSERT","pad":"`+big+`"}`, time.Now())
				}
			},
			total: 13,
			verify: func(t *testing.T, calls []call, sizes []int) {
				for i, n := range sizes {
					if n > maxPayload {
						t.Errorf("call %d carried %d bytes", i, n)
					}
				}
				if len(calls) != 3 || len(calls[0].records) != 5 {
					t.Errorf("%d calls, want batches of 5, 5, 3", len(calls))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fns := newFakeFunctions("fn")
			var mu sync.Mutex
			var sizes []int
			fns.setHandler(func(c call) (*invoke.Result, error) {
				mu.Lock()
				sizes = append(sizes, c.size)
				mu.Unlock()
				return ok(`null`)
			})
			m := newMemStreams()
			m.addShard(streamARN, shard0, "")
			f := newFixture(t, fns, m)
			if tt.pre {
				tt.write(m, fns)
			}
			f.create(tt.extra)
			if !tt.pre {
				tt.write(m, fns)
			}
			eventually(t, "every record", func() bool {
				calls, _ := fns.snapshot()
				n := 0
				for _, c := range calls {
					n += len(c.records)
				}
				return n >= tt.total
			})
			calls, _ := fns.snapshot()
			mu.Lock()
			defer mu.Unlock()
			tt.verify(t, calls, sizes)
		})
	}
}

func TestFilterCriteriaDropsRecordsAndCheckpointsPastThem(t *testing.T) {
	fns := newFakeFunctions("fn")
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	var want []string
	for i := range 10 {
		name := "MODIFY"
		if i%3 == 0 {
			name = "INSERT"
		}
		seq := m.put(streamARN, shard0, "k", `{"eventName":"`+name+`","key":"k","n":1}`, time.Now())
		if name == "INSERT" {
			want = append(want, seq)
		}
	}
	last := m.put(streamARN, shard0, "k", `{"eventName":"REMOVE"}`, time.Now())
	uuid := f.create(map[string]any{"FilterCriteria": map[string]any{"Filters": []map[string]any{{"Pattern": `{"eventName":["INSERT"]}`}}}})
	eventually(t, "the checkpoint past the last record", func() bool {
		cp, _, err := f.s.checkpoints.Get(context.Background(), checkpointKey(uuid, shard0))
		return err == nil && cp.Seq == last
	})
	calls, _ := fns.snapshot()
	got := 0
	for _, c := range calls {
		for _, r := range c.records {
			if r.EventName != "INSERT" {
				t.Errorf("a %s record reached the function", r.EventName)
			}
			got++
		}
	}
	if got != len(want) {
		t.Errorf("%d records delivered, want the %d INSERTs", got, len(want))
	}
}

// failureOf decodes an on-failure record.
type failureOf struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	Version            string          `json:"version"`
	Timestamp          string          `json:"timestamp"`
	DDBStreamBatchInfo streamBatchInfo `json:"DDBStreamBatchInfo"`
}

func decodeFailures(t *testing.T, raw [][]byte) []failureOf {
	t.Helper()
	var out []failureOf
	for _, b := range raw {
		var f failureOf
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("on-failure record %s: %v", b, err)
		}
		out = append(out, f)
	}
	return out
}

func TestRetries(t *testing.T) {
	dest := fnARN("dest")
	tests := []struct {
		name      string
		extra     map[string]any
		failFirst int // invocations that fail before the function recovers (-1: forever)
		wantCalls int // invocations of the first batch
		wantDest  string
	}{
		{"retried until it succeeds", map[string]any{}, 3, 4, ""},
		{"retries exhausted go to the destination", map[string]any{"MaximumRetryAttempts": 2}, -1, 3, conditionRetriesExhausted},
		{"no retries", map[string]any{"MaximumRetryAttempts": 0}, -1, 1, conditionRetriesExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fns := newFakeFunctions("fn", "dest")
			var n atomic.Int32
			var firstSeq string
			fns.setHandler(func(c call) (*invoke.Result, error) {
				if c.seqs[0] != firstSeq {
					return ok(`null`)
				}
				if i := n.Add(1); tt.failFirst < 0 || int(i) <= tt.failFirst {
					return fail()
				}
				return ok(`null`)
			})
			m := newMemStreams()
			m.addShard(streamARN, shard0, "")
			f := newFixture(t, fns, m)
			seqs := m.putN(streamARN, shard0, "k", 5, time.Now())
			firstSeq = seqs[0]
			extra := map[string]any{"BatchSize": 5, "DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": dest}}}
			for k, v := range tt.extra {
				extra[k] = v
			}
			f.create(extra)
			// A later record is delivered once the first batch is settled.
			later := m.putN(streamARN, shard0, "k", 1, time.Now())[0]
			eventually(t, "the later record", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[later] > 0 })
			calls, enq := fns.snapshot()
			first := 0
			for _, c := range calls {
				if c.seqs[0] == firstSeq {
					first++
					if len(c.seqs) != 5 {
						t.Errorf("a retry carried %d records, want the same 5", len(c.seqs))
					}
				}
			}
			if first != tt.wantCalls {
				t.Errorf("first batch invoked %d times, want %d", first, tt.wantCalls)
			}
			fails := decodeFailures(t, enq)
			if tt.wantDest == "" {
				if len(fails) != 0 {
					t.Errorf("%d on-failure records, want none", len(fails))
				}
				return
			}
			if len(fails) != 1 || fails[0].RequestContext.Condition != tt.wantDest || fails[0].RequestContext.ApproximateInvokeCount != tt.wantCalls {
				t.Fatalf("on-failure records %+v", fails)
			}
			if fails[0].DDBStreamBatchInfo.BatchSize != 5 || fails[0].DDBStreamBatchInfo.StartSequenceNumber != seqs[0] || fails[0].DDBStreamBatchInfo.EndSequenceNumber != seqs[4] {
				t.Errorf("batch info %+v", fails[0].DDBStreamBatchInfo)
			}
		})
	}
}

func TestBisectIsolatesThePoisonedRecord(t *testing.T) {
	fns := newFakeFunctions("fn", "dest")
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	start := time.Now().Add(-time.Second).Truncate(time.Millisecond)
	seqs := m.putN(streamARN, shard0, "k", 16, start)
	poison := seqs[11]
	fns.setHandler(func(c call) (*invoke.Result, error) {
		for _, s := range c.seqs {
			if s == poison {
				return fail()
			}
		}
		return ok(`null`)
	})
	f.create(map[string]any{"BatchSize": 16, "BisectBatchOnFunctionError": true, "MaximumRetryAttempts": 1,
		"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": fnARN("dest")}}})
	eventually(t, "an on-failure record", func() bool { _, enq := fns.snapshot(); return len(enq) > 0 })
	time.Sleep(50 * time.Millisecond) // a second one would be a defect
	calls, enq := fns.snapshot()
	if len(enq) != 1 {
		t.Fatalf("%d on-failure records, want 1", len(enq))
	}
	// Every other record was delivered in a successful call.
	okSeqs := map[string]bool{}
	for _, c := range calls {
		bad := false
		for _, s := range c.seqs {
			bad = bad || s == poison
		}
		if !bad {
			for _, s := range c.seqs {
				okSeqs[s] = true
			}
		}
	}
	for _, s := range seqs {
		if s != poison && !okSeqs[s] {
			t.Errorf("record %s never succeeded", s)
		}
	}
	// The invocation record as AWS's: every member, in its shape.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(enq[0], &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "DDBStreamBatchInfo,requestContext,responseContext,timestamp,version" {
		t.Errorf("members %v", keys)
	}
	fr := decodeFailures(t, enq)[0]
	bi := fr.DDBStreamBatchInfo
	want := streamBatchInfo{ShardID: shard0, StartSequenceNumber: poison, EndSequenceNumber: poison,
		ApproximateArrivalOfFirstRecord: start.UTC().Format(timeLayout), ApproximateArrivalOfLastRecord: start.UTC().Format(timeLayout),
		BatchSize: 1, StreamArn: streamARN}
	if bi != want {
		t.Errorf("batch info\n%+v, want\n%+v", bi, want)
	}
	rc := fr.RequestContext
	if rc.Condition != conditionRetriesExhausted || rc.ApproximateInvokeCount != 2 || rc.FunctionArn != fnARN("fn") || rc.RequestID == "" {
		t.Errorf("requestContext %+v", rc)
	}
	if r := fr.ResponseContext; r.StatusCode != 200 || r.ExecutedVersion != "$LATEST" || r.FunctionError != "Unhandled" {
		t.Errorf("responseContext %+v", r)
	}
	if fr.Version != "1.0" {
		t.Errorf("version %q", fr.Version)
	}
	if _, err := time.Parse(timeLayout, fr.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", fr.Timestamp, err)
	}
}

func TestReportBatchItemFailures(t *testing.T) {
	tests := []struct {
		name     string
		response func(seqs []string) string
		wantNext func(seqs []string) []string // the records of the second call
	}{
		{"retried from the lowest failed record",
			func(s []string) string {
				return `{"batchItemFailures":[{"itemIdentifier":"` + s[6] + `"},{"itemIdentifier":"` + s[4] + `"}]}`
			},
			func(s []string) []string { return s[4:] }},
		{"an unknown identifier fails the whole batch",
			func(s []string) string { return `{"batchItemFailures":[{"itemIdentifier":"nope"}]}` },
			func(s []string) []string { return s }},
		{"an empty identifier fails the whole batch",
			func(s []string) string { return `{"batchItemFailures":[{"itemIdentifier":""}]}` },
			func(s []string) []string { return s }},
		{"an empty list is success",
			func(s []string) string { return `{"batchItemFailures":[]}` },
			func(s []string) []string { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fns := newFakeFunctions("fn")
			m := newMemStreams()
			m.addShard(streamARN, shard0, "")
			f := newFixture(t, fns, m)
			seqs := m.putN(streamARN, shard0, "k", 10, time.Now())
			var n atomic.Int32
			fns.setHandler(func(c call) (*invoke.Result, error) {
				if n.Add(1) == 1 {
					return ok(tt.response(c.seqs))
				}
				return ok(`{}`)
			})
			uuid := f.create(map[string]any{"BatchSize": 10, "FunctionResponseTypes": []string{"ReportBatchItemFailures"}})
			eventually(t, "the checkpoint at the end", func() bool {
				cp, _, err := f.s.checkpoints.Get(context.Background(), checkpointKey(uuid, shard0))
				return err == nil && cp.Seq == seqs[9]
			})
			calls, _ := fns.snapshot()
			want := tt.wantNext(seqs)
			if want == nil {
				if len(calls) != 1 {
					t.Errorf("%d calls, want 1", len(calls))
				}
				return
			}
			if len(calls) != 2 || strings.Join(calls[1].seqs, ",") != strings.Join(want, ",") {
				t.Errorf("second call %v, want %v", calls[len(calls)-1].seqs, want)
			}
		})
	}
}

func TestRecordAge(t *testing.T) {
	t.Run("records too old are never invoked", func(t *testing.T) {
		fns := newFakeFunctions("fn", "dest")
		m := newMemStreams()
		m.addShard(streamARN, shard0, "")
		f := newFixture(t, fns, m)
		old := m.putN(streamARN, shard0, "k", 3, time.Now().Add(-time.Hour))
		fresh := m.putN(streamARN, shard0, "k", 2, time.Now().Add(time.Hour))
		f.create(map[string]any{"MaximumRecordAgeInSeconds": 60, "DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": fnARN("dest")}}})
		eventually(t, "the fresh records", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[fresh[1]] > 0 })
		calls, enq := fns.snapshot()
		for _, s := range old {
			if delivered(calls)[s] > 0 {
				t.Errorf("expired record %s was invoked", s)
			}
		}
		fails := decodeFailures(t, enq)
		if len(fails) != 1 || fails[0].RequestContext.Condition != conditionRecordAge || fails[0].RequestContext.ApproximateInvokeCount != 0 ||
			fails[0].DDBStreamBatchInfo.BatchSize != 3 || fails[0].DDBStreamBatchInfo.StartSequenceNumber != old[0] {
			t.Errorf("on-failure records %+v", fails)
		}
	})
	t.Run("a failing batch ages out while retried", func(t *testing.T) {
		fns := newFakeFunctions("fn", "dest")
		fns.setHandler(func(call) (*invoke.Result, error) { return fail() })
		m := newMemStreams()
		m.addShard(streamARN, shard0, "")
		f := newFixture(t, fns, m)
		m.putN(streamARN, shard0, "k", 2, time.Now())
		f.create(map[string]any{"MaximumRecordAgeInSeconds": 60, "DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": fnARN("dest")}}})
		eventually(t, "an on-failure record", func() bool { _, enq := fns.snapshot(); return len(enq) > 0 })
		calls, enq := fns.snapshot()
		fr := decodeFailures(t, enq)[0]
		if fr.RequestContext.Condition != conditionRecordAge || fr.RequestContext.ApproximateInvokeCount < 2 || fr.ResponseContext.FunctionError != "Unhandled" {
			t.Errorf("on-failure record %+v after %d calls", fr, len(calls))
		}
	})
}

func TestThrottlesSpendNoAttempts(t *testing.T) {
	fns := newFakeFunctions("fn", "dest")
	var n atomic.Int32
	fns.setHandler(func(call) (*invoke.Result, error) {
		if n.Add(1) <= 5 {
			return nil, &awsproto.Error{Code: "TooManyRequestsException", Status: http.StatusTooManyRequests, Message: "Rate Exceeded."}
		}
		return ok(`null`)
	})
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	seqs := m.putN(streamARN, shard0, "k", 3, time.Now())
	f.create(map[string]any{"MaximumRetryAttempts": 0, "DestinationConfig": map[string]any{"OnFailure": map[string]any{"Destination": fnARN("dest")}}})
	eventually(t, "the batch", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[seqs[2]] > 0 })
	if _, enq := fns.snapshot(); len(enq) != 0 {
		t.Errorf("throttled batch went to the destination")
	}
}

func TestParallelizationKeepsPerKeyOrder(t *testing.T) {
	fns := newFakeFunctions("fn")
	var mu sync.Mutex
	arrivals := map[string][]int{}
	var inflight, peak atomic.Int32
	fns.setHandler(func(c call) (*invoke.Result, error) {
		now := inflight.Add(1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		for _, r := range c.records {
			arrivals[r.Key] = append(arrivals[r.Key], r.N)
		}
		mu.Unlock()
		inflight.Add(-1)
		return ok(`null`)
	})
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	const keys, per = 12, 20
	for i := range per {
		for k := range keys {
			m.put(streamARN, shard0, string(rune('a'+k)), `{"eventName":"INSERT","key":"`+string(rune('a'+k))+`","n":`+itoa(i)+`}`, time.Now())
		}
	}
	f.create(map[string]any{"BatchSize": 5, "ParallelizationFactor": 4})
	eventually(t, "every record", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range arrivals {
			n += len(a)
		}
		return n == keys*per
	})
	mu.Lock()
	defer mu.Unlock()
	for k, a := range arrivals {
		if !sort.IntsAreSorted(a) || len(a) != per {
			t.Errorf("key %s arrived as %v", k, a)
		}
	}
	if peak.Load() < 2 {
		t.Errorf("at most %d batches ran at once, want concurrency", peak.Load())
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestCheckpointsResumeAfterRestart(t *testing.T) {
	fns := newFakeFunctions("fn")
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	first := m.putN(streamARN, shard0, "k", 30, time.Now())
	f.create(map[string]any{"BatchSize": 10})
	eventually(t, "the first records", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[first[29]] > 0 })
	f.close()
	before, _ := fns.snapshot()

	f.open()
	second := m.putN(streamARN, shard0, "k", 5, time.Now())
	eventually(t, "the new records", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[second[4]] > 0 })
	after, _ := fns.snapshot()
	for _, c := range after[len(before):] {
		for _, s := range c.seqs {
			for _, old := range first {
				if s == old {
					t.Fatalf("record %s delivered again after the restart", s)
				}
			}
		}
	}
}

func TestLatestStartsAtTheEnd(t *testing.T) {
	fns := newFakeFunctions("fn")
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	old := m.putN(streamARN, shard0, "k", 5, time.Now())
	uuid := f.create(map[string]any{"StartingPosition": "LATEST"})
	eventually(t, "the starting position", func() bool {
		_, _, err := f.s.checkpoints.Get(context.Background(), initKey(uuid))
		return err == nil
	})
	fresh := m.putN(streamARN, shard0, "k", 2, time.Now())
	eventually(t, "the new records", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[fresh[1]] > 0 })
	calls, _ := fns.snapshot()
	if d := delivered(calls); d[old[4]] > 0 || len(d) != 2 {
		t.Errorf("delivered %v, want only the 2 records after LATEST", d)
	}
}

func TestParentShardsBeforeChildren(t *testing.T) {
	fns := newFakeFunctions("fn")
	m := newMemStreams()
	m.addShard(streamARN, "parent", "")
	m.addShard(streamARN, "child", "parent")
	f := newFixture(t, fns, m)
	p := m.putN(streamARN, "parent", "k", 5, time.Now())
	c := m.putN(streamARN, "child", "k", 5, time.Now())
	var mu sync.Mutex
	var order []string
	fns.setHandler(func(cl call) (*invoke.Result, error) {
		mu.Lock()
		order = append(order, cl.seqs...)
		mu.Unlock()
		return ok(`null`)
	})
	f.create(map[string]any{"BatchSize": 2})
	time.Sleep(60 * time.Millisecond) // the child waits while the parent is open
	mu.Lock()
	for _, s := range order {
		if s >= c[0] {
			t.Errorf("child record %s read while the parent is open", s)
		}
	}
	mu.Unlock()
	m.closeShard(streamARN, "parent")
	eventually(t, "the child's records", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[c[4]] > 0 })
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(order, ",") != strings.Join(append(append([]string{}, p...), c...), ",") {
		t.Errorf("order %v", order)
	}
}

func TestDisableEnableDelete(t *testing.T) {
	fns := newFakeFunctions("fn")
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	a := m.putN(streamARN, shard0, "k", 3, time.Now())
	uuid := f.create(nil)
	eventually(t, "the first records", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[a[2]] > 0 })
	var out mappingOut
	if code, _ := f.do("PUT", prefix+"/"+uuid, map[string]any{"Enabled": false}, &out); code != http.StatusAccepted || out.State != stateDisabling {
		t.Fatalf("disable: %d %+v", code, out)
	}
	eventually(t, "Disabled", func() bool { f.do("GET", prefix+"/"+uuid, nil, &out); return out.State == stateDisabled })
	if out.LastProcessingResult != resultOK {
		t.Errorf("LastProcessingResult %q", out.LastProcessingResult)
	}
	b := m.putN(streamARN, shard0, "k", 2, time.Now())
	time.Sleep(50 * time.Millisecond)
	if calls, _ := fns.snapshot(); delivered(calls)[b[0]] > 0 {
		t.Fatal("a disabled mapping delivered a record")
	}
	if code, _ := f.do("PUT", prefix+"/"+uuid, map[string]any{"Enabled": true}, &out); code != http.StatusAccepted || out.State != stateEnabling {
		t.Fatalf("enable: %d %+v", code, out)
	}
	eventually(t, "the records written while disabled", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[b[1]] > 0 })
	if calls, _ := fns.snapshot(); delivered(calls)[a[0]] != 1 {
		t.Errorf("record %s delivered %d times", a[0], delivered(calls)[a[0]])
	}
	if code, _ := f.do("DELETE", prefix+"/"+uuid, nil, &out); code != http.StatusAccepted || out.State != stateDeleting {
		t.Fatalf("delete: %d %+v", code, out)
	}
	eventually(t, "the mapping gone", func() bool {
		code, _ := f.do("GET", prefix+"/"+uuid, nil, nil)
		return code == http.StatusNotFound
	})
	eventually(t, "its checkpoints gone", func() bool {
		keys, _ := f.s.checkpoints.Keys(context.Background())
		for _, k := range keys {
			if strings.HasPrefix(k, uuid) {
				return false
			}
		}
		return true
	})
}

func TestIdleShardsAreNotPolled(t *testing.T) {
	fns := newFakeFunctions("fn")
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	f.create(nil)
	time.Sleep(50 * time.Millisecond)
	m.mu.Lock()
	r0 := m.reads
	m.mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	m.mu.Lock()
	reads := m.reads - r0
	m.mu.Unlock()
	if reads > 2 {
		t.Errorf("%d reads of an idle shard in 200 ms", reads)
	}
	s := m.putN(streamARN, shard0, "k", 1, time.Now())
	eventually(t, "the record", func() bool { calls, _ := fns.snapshot(); return delivered(calls)[s[0]] > 0 })
}
