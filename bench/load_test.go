package bench

import (
	"context"
	"encoding/base64"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// These tests are quick and start nothing; the benchmarks are in invoke_test.go.

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 4 is the 2nd", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 4 is the max", ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("Percentile(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestRunBounds(t *testing.T) {
	var n atomic.Int64
	count := func(context.Context) error { n.Add(1); return nil }
	st, err := Run(context.Background(), Load{Clients: 4, MaxRequests: 1000, MaxDuration: time.Minute}, count)
	if err != nil || st.Requests != 1000 || n.Load() != 1000 || st.Clients != 4 || len(st.Samples) != 1000 {
		t.Errorf("count bound: %d requests, %d calls, %v", st.Requests, n.Load(), err)
	}
	slow := func(context.Context) error { time.Sleep(time.Millisecond); return nil }
	st, err = Run(context.Background(), Load{Clients: 2, MaxRequests: 1 << 30, MaxDuration: 50 * time.Millisecond}, slow)
	if err != nil || st.Requests == 0 || st.Elapsed > time.Second {
		t.Errorf("time bound: %d requests in %v, %v", st.Requests, st.Elapsed, err)
	}
	boom := errors.New("boom")
	fail := func(context.Context) error { return boom }
	if _, err := Run(context.Background(), Load{Clients: 3, MaxRequests: 100, MaxDuration: time.Minute}, fail); !errors.Is(err, boom) {
		t.Errorf("a failing call: got %v, want %v", err, boom)
	}
}

func TestPayload(t *testing.T) {
	for _, n := range []int{12, 100, 4096} {
		p, err := Payload(n)
		if err != nil || len(p) != n {
			t.Errorf("Payload(%d) = %d bytes, %v", n, len(p), err)
		}
	}
	if _, err := Payload(11); err == nil {
		t.Error("Payload(11) succeeded")
	}
}

func TestInitDuration(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	report := "REPORT RequestId: x\tDuration: 1.20 ms\tBilled Duration: 6 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\tInit Duration: 4.56 ms\t"
	got, err := initDuration(enc("START RequestId: x Version: $LATEST\nEND RequestId: x\n" + report + "\n"))
	if err != nil || got != 4560*time.Microsecond {
		t.Errorf("initDuration = %v, %v; want 4.56ms", got, err)
	}
	if _, err := initDuration(enc("REPORT RequestId: x\tDuration: 1.20 ms\t\n")); err == nil {
		t.Error("a warm REPORT gave an Init Duration")
	}
	if _, err := initDuration("not base64!"); err == nil {
		t.Error("a bad log tail gave an Init Duration")
	}
}

func TestAttr(t *testing.T) {
	line := `time=2026-11-26T21:00:00Z level=INFO msg="stratus is serving" endpoint=http://127.0.0.1:41234 data_dir=/tmp/x`
	if got, ok := attr(line, "endpoint"); !ok || got != "http://127.0.0.1:41234" {
		t.Errorf("attr = %q, %v", got, ok)
	}
	if _, ok := attr(line, "missing"); ok {
		t.Error("found a missing attribute")
	}
}
