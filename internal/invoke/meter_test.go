package invoke

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

type recordingMeter struct {
	mu        sync.Mutex
	usages    []Usage
	throttles []string
	seen      chan struct{}
}

func (m *recordingMeter) Metered(u *Usage) {
	m.mu.Lock()
	m.usages = append(m.usages, *u)
	m.mu.Unlock()
	m.seen <- struct{}{}
}

func (m *recordingMeter) Throttled(fn *Function) {
	m.mu.Lock()
	m.throttles = append(m.throttles, fn.Name)
	m.mu.Unlock()
}

func TestMeterSeesEveryInvocation(t *testing.T) {
	// The runtime answers "fail" with an error, sleeps past the timeout on "hang",
	// and echoes anything else.
	sb := &goSandbox{runtime: func(ctx context.Context, api string, out io.Writer) error {
		r := rt{ctx, api}
		for {
			id, body, _, err := r.next()
			if err != nil {
				return nil
			}
			switch string(body) {
			case `"fail"`:
				r.post("invocation/"+id+"/error", `{"errorType":"E","errorMessage":"m"}`)
			case `"hang"`:
				<-ctx.Done()
				return nil
			default:
				r.post("invocation/"+id+"/response", string(body))
			}
		}
	}}
	m := &recordingMeter{seen: make(chan struct{}, 16)}
	e := newEngine(t, sb, func(e *Engine) { e.Meter = m; e.BillingGranularity = 100 * time.Millisecond })
	fn := testFunction(t, "metered")
	fn.Architecture = "arm64"
	fn.Timeout = 300 * time.Millisecond
	ctx := context.Background()
	for _, p := range []string{`"a"`, `"b"`, `"fail"`, `"hang"`} {
		if _, err := e.Invoke(ctx, &Request{Function: fn, Payload: []byte(p)}); err != nil {
			t.Fatal(err)
		}
		<-m.seen
	}
	none := testFunction(t, "held")
	none.Reserved = 0
	_, err := e.Invoke(ctx, &Request{Function: none, Payload: []byte(`{}`)})
	var ae *awsproto.Error
	if !errors.As(err, &ae) || ae.Code != "TooManyRequestsException" {
		t.Fatalf("want a throttle, got %v", err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	want := []struct {
		outcome Outcome
		cold    bool
	}{{OutcomeOK, true}, {OutcomeOK, false}, {OutcomeError, false}, {OutcomeTimeout, false}}
	for i, u := range m.usages {
		if u.Outcome != want[i].outcome || u.ColdStart != want[i].cold || u.Function != "metered" || u.Region != "us-east-1" ||
			u.Architecture != "arm64" || u.MemoryMB != 128 || u.RequestID == "" || u.Start.IsZero() {
			t.Errorf("usage %d: %+v", i, u)
		}
		if u.Billed != BilledDuration(u.Duration, u.InitDuration, 100*time.Millisecond) || u.Billed%(100*time.Millisecond) != 0 {
			t.Errorf("usage %d billed %s for %s + init %s", i, u.Billed, u.Duration, u.InitDuration)
		}
		if (u.InitDuration > 0) != want[i].cold {
			t.Errorf("usage %d: init %s, cold %v", i, u.InitDuration, want[i].cold)
		}
	}
	if len(m.usages) != 4 || m.usages[3].Duration < fn.Timeout {
		t.Errorf("usages %+v", m.usages)
	}
	if len(m.throttles) != 1 || m.throttles[0] != "held" {
		t.Errorf("throttles %v", m.throttles)
	}
}
