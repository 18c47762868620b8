package async

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/store"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st := &store.Store{Dir: dir}
	if err := st.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) }) //nolint:errcheck
	return st
}

func openQueue(t *testing.T, st *store.Store, q *Queue) *Queue {
	t.Helper()
	q.Store = st
	if err := q.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) }) //nolint:errcheck
	return q
}

func publish(t *testing.T, q *Queue, ev *Event) {
	t.Helper()
	if ev.Accepted.IsZero() {
		ev.Accepted = time.Now()
	}
	if ev.Payload == nil {
		ev.Payload = []byte(`{}`)
	}
	if err := q.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, within time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// counter counts deliveries per event id.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[id]++
	return c.n[id]
}

func (c *counter) get(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

func TestQueueDeliversOnceAndEmpties(t *testing.T) {
	st := openStore(t, t.TempDir())
	var seen counter
	q := openQueue(t, st, &Queue{Handle: func(ctx context.Context, ev *Event) Outcome { seen.add(ev.ID); return Done }})
	for _, id := range []string{"a", "b", "c"} {
		publish(t, q, &Event{ID: id, Payload: []byte(`{"x":1}`)})
	}
	eventually(t, 5*time.Second, func() bool { return seen.get("a")+seen.get("b")+seen.get("c") == 3 }, "three deliveries")
	eventually(t, 5*time.Second, func() bool { s, _ := q.Stats(context.Background()); return s.Depth == 0 }, "an empty queue")
	time.Sleep(100 * time.Millisecond)
	for _, id := range []string{"a", "b", "c"} {
		if n := seen.get(id); n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

func TestQueueThrottledEventsComeBack(t *testing.T) {
	st := openStore(t, t.TempDir())
	var seen counter
	q := openQueue(t, st, &Queue{ThrottleMin: 5 * time.Millisecond, ThrottleMax: 20 * time.Millisecond,
		Handle: func(ctx context.Context, ev *Event) Outcome {
			if seen.add(ev.ID) <= 3 {
				return Throttled
			}
			return Done
		}})
	publish(t, q, &Event{ID: "t"})
	eventually(t, 5*time.Second, func() bool { return seen.get("t") == 4 }, "four deliveries")
	time.Sleep(100 * time.Millisecond)
	if n := seen.get("t"); n != 4 {
		t.Errorf("delivered %d times after Done", n)
	}
}

func TestQueueWaitsForNotBefore(t *testing.T) {
	st := openStore(t, t.TempDir())
	var at atomic.Int64
	q := openQueue(t, st, &Queue{Handle: func(ctx context.Context, ev *Event) Outcome { at.Store(time.Now().UnixNano()); return Done }})
	start := time.Now()
	publish(t, q, &Event{ID: "later", NotBefore: start.Add(300 * time.Millisecond)})
	eventually(t, 5*time.Second, func() bool { return at.Load() != 0 }, "a delivery")
	if d := time.Duration(at.Load() - start.UnixNano()); d < 300*time.Millisecond {
		t.Errorf("handled after %s, before NotBefore", d)
	}
}

// A handler running for several AckWaits keeps its event: heartbeats stop
// JetStream from handing it to another worker.
func TestQueueLongHandlerNotRedelivered(t *testing.T) {
	st := openStore(t, t.TempDir())
	var seen counter
	// The handler outlasts three AckWaits; the ack wait is long enough that a
	// heartbeat (every AckWait/3) delayed by a loaded machine still arrives in time.
	q := openQueue(t, st, &Queue{AckWait: 800 * time.Millisecond, Handle: func(ctx context.Context, ev *Event) Outcome {
		seen.add(ev.ID)
		time.Sleep(2500 * time.Millisecond)
		return Done
	}})
	publish(t, q, &Event{ID: "long"})
	eventually(t, 10*time.Second, func() bool { s, _ := q.Stats(context.Background()); return s.Depth == 0 }, "the event done")
	if n := seen.get("long"); n != 1 {
		t.Errorf("delivered %d times", n)
	}
}

func TestQueueStatsAndRestart(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	release := make(chan struct{})
	q := openQueue(t, st, &Queue{Workers: 1, Handle: func(ctx context.Context, ev *Event) Outcome {
		select {
		case <-release:
			return Done
		case <-ctx.Done():
			return Abandoned
		}
	}})
	publish(t, q, &Event{ID: "old", Accepted: time.Now().Add(-time.Minute)})
	publish(t, q, &Event{ID: "new"})
	s, err := q.Stats(context.Background())
	if err != nil || s.Depth != 2 || s.OldestAge < time.Minute || s.OldestAge > 2*time.Minute {
		t.Fatalf("stats %+v %v", s, err)
	}
	// Stopping mid-delivery keeps both events for the next run.
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close(context.Background()) //nolint:errcheck
	st2 := openStore(t, dir)
	var seen counter
	q2 := openQueue(t, st2, &Queue{AckWait: 500 * time.Millisecond, Handle: func(ctx context.Context, ev *Event) Outcome { seen.add(ev.ID); return Done }})
	eventually(t, 10*time.Second, func() bool { return seen.get("old") >= 1 && seen.get("new") >= 1 }, "both events after restart")
	eventually(t, 5*time.Second, func() bool { s, _ := q2.Stats(context.Background()); return s.Depth == 0 }, "an empty queue")
	close(release)
}

func TestDeadLetters(t *testing.T) {
	st := openStore(t, t.TempDir())
	d := &DeadLetters{Store: st}
	if err := d.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, target := range []string{"arn:aws:sqs:us-east-1:000000000000:a", "arn:aws:sns:us-east-1:000000000000:b", "arn:aws:sqs:us-east-1:000000000000:a"} {
		if err := d.Put(ctx, DeadLetter{TargetArn: target, Body: string(rune('0' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.List(ctx, "arn:aws:sqs:us-east-1:000000000000:a")
	if err != nil || len(got) != 2 || got[0].Body != "0" || got[1].Body != "2" {
		t.Fatalf("list a: %v %+v", err, got)
	}
	got, err = d.List(ctx, "arn:aws:sqs:us-east-1:000000000000:none")
	if err != nil || len(got) != 0 {
		t.Fatalf("list none: %v %+v", err, got)
	}
}

func TestDeadLettersDrain(t *testing.T) {
	st := openStore(t, t.TempDir())
	ctx := context.Background()
	d := &DeadLetters{Store: st}
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"arn:aws:sqs:us-east-1:000000000000:a", "arn:aws:sqs:us-east-1:000000000000:gone", "arn:aws:sqs:us-east-1:000000000000:a"} {
		if err := d.Put(ctx, DeadLetter{TargetArn: target, Body: target}); err != nil {
			t.Fatal(err)
		}
	}
	var sent []string
	send := func(dl DeadLetter) error {
		if strings.HasSuffix(dl.TargetArn, ":gone") {
			return errors.New("no such queue")
		}
		sent = append(sent, dl.Body)
		return nil
	}
	moved, kept, err := d.Drain(ctx, send)
	if err != nil || moved != 2 || kept != 1 || len(sent) != 2 {
		t.Fatalf("first drain: moved %d kept %d err %v sent %v", moved, kept, err, sent)
	}
	// What was moved is gone; what was kept is offered again.
	moved, kept, err = d.Drain(ctx, func(DeadLetter) error { return nil })
	if err != nil || moved != 1 || kept != 0 {
		t.Fatalf("second drain: moved %d kept %d err %v", moved, kept, err)
	}
	if _, err := st.JetStream().Stream(ctx, d.Stream); err == nil {
		t.Error("the emptied stream is still there")
	}
}
