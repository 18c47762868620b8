// Package async is the durable queue behind asynchronous invocations: events are
// stored in a JetStream stream (file storage) before they are accepted, delivered by
// a durable pull consumer with explicit acks, and removed only once a handler says
// their outcome is fully dealt with. It knows nothing of Lambda: the handler decides
// what an attempt means.
package async

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/lifecycle"
	"github.com/stratus-run/stratus/internal/store"
)

// Event is one accepted asynchronous invocation, as stored in the queue.
type Event struct {
	// ID is the request id the caller was given; every attempt runs with it.
	ID            string          `json:"id"`
	Region        string          `json:"region"`
	Function      string          `json:"function"`
	Qualifier     string          `json:"qualifier,omitempty"`
	Payload       json.RawMessage `json:"payload"`
	TraceID       string          `json:"traceId,omitempty"`
	ClientContext string          `json:"clientContext,omitempty"`
	// Accepted is when the event was first accepted; its age counts from here.
	Accepted time.Time `json:"accepted"`
	// Attempts is how many times the event ran in the function (throttles do not
	// count).
	Attempts int `json:"attempts,omitempty"`
	// NotBefore delays the next attempt (a retry's backoff).
	NotBefore time.Time `json:"notBefore,omitzero"`
	// Last is the outcome of the latest attempt, kept for the failure record.
	Last *Attempt `json:"last,omitempty"`
}

// Attempt is what one run of an event ended with.
type Attempt struct {
	FunctionError string          `json:"functionError,omitempty"`
	Response      json.RawMessage `json:"response,omitempty"`
	Version       string          `json:"version,omitempty"`
}

// Outcome is what a Handler made of one delivery.
type Outcome int

const (
	// Done: the event's outcome is fully handled (retry queued, destination sent,
	// or dropped); it is removed from the queue.
	Done Outcome = iota
	// Throttled: the event could not run now; it is delivered again after a
	// backoff, unchanged.
	Throttled
	// Abandoned: the server is stopping; the event stays queued for the next run.
	Abandoned
)

// maxWaiting is the consumer's bound on waiting pull requests.
const maxWaiting = 4096

// Handler handles one delivery of ev. ctx ends when the queue closes.
type Handler func(ctx context.Context, ev *Event) Outcome

// Queue is the durable event queue. Set the exported fields, then Open; Close
// stops delivery, leaving unfinished events in the stream.
type Queue struct {
	Store *store.Store
	// Handle is called for every delivery, from Workers goroutines at once. Required.
	Handle Handler
	// Stream names the JetStream stream (default "LAMBDA_ASYNC").
	Stream string
	// Workers bounds how many events are handled at once (default 256, at most
	// 2048).
	Workers int
	// AckWait is how long a delivered event may go without a heartbeat before
	// JetStream hands it out again (default 30 s); running events send heartbeats
	// every AckWait/3, so only events of a dead server are redelivered.
	AckWait time.Duration
	// ThrottleMin and ThrottleMax bound the backoff of throttled events (default
	// 1 s and 5 minutes, Lambda's range); it doubles with every throttle.
	ThrottleMin, ThrottleMax time.Duration

	js      jetstream.JetStream
	stream  jetstream.Stream
	cons    jetstream.Consumer
	subject string
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Open creates (or binds to) the stream and its consumer and starts delivering.
func (q *Queue) Open(ctx context.Context) error {
	if q.Handle == nil {
		return errors.New("async: Handle is required")
	}
	if q.Stream == "" {
		q.Stream = "LAMBDA_ASYNC"
	}
	if q.Workers <= 0 {
		q.Workers = 256
	}
	q.Workers = min(q.Workers, maxWaiting/2)
	if q.AckWait <= 0 {
		q.AckWait = 30 * time.Second
	}
	if q.ThrottleMin <= 0 {
		q.ThrottleMin = time.Second
	}
	if q.ThrottleMax < q.ThrottleMin {
		q.ThrottleMax = max(5*time.Minute, q.ThrottleMin)
	}
	q.js = q.Store.JetStream()
	q.subject = "async." + q.Stream
	st, err := q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:     q.Stream,
		Subjects: []string{q.subject},
		Storage:  jetstream.FileStorage,
		// An event leaves the stream when its delivery is acked, not before.
		Retention: jetstream.WorkQueuePolicy,
	})
	if err != nil {
		return fmt.Errorf("async: stream %s: %w", q.Stream, err)
	}
	q.stream = st
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   "deliver",
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   q.AckWait,
		// Never give up on an event: retries are the handler's business, and a
		// throttled event waits as long as its age allows.
		MaxDeliver: -1,
		// Events waiting out a backoff count as pending; allow many.
		MaxAckPending: 1 << 20,
		// Every worker keeps one pull request waiting. JetStream cannot change
		// this on an existing consumer, so it is fixed and Workers bounded by it.
		MaxWaiting: maxWaiting,
	})
	if err != nil {
		return fmt.Errorf("async: consumer: %w", err)
	}
	q.cons = cons
	wctx, cancel := context.WithCancel(context.Background())
	q.cancel = cancel
	for range q.Workers {
		q.wg.Add(1)
		go q.work(wctx)
	}
	return nil
}

// Close stops delivery and waits for the handlers running until ctx ends. Events
// not yet done stay in the stream and are delivered after the next Open.
func (q *Queue) Close(ctx context.Context) error {
	if q.cancel == nil {
		return nil
	}
	q.cancel()
	return lifecycle.Wait(ctx, q.wg.Wait)
}

// Publish stores ev durably: it returns nil only once JetStream has written it
// to its stream (the publish ack).
func (q *Queue) Publish(ctx context.Context, ev *Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if _, err := q.js.Publish(ctx, q.subject, b); err != nil {
		return fmt.Errorf("async: publish: %w", err)
	}
	return nil
}

// work pulls one event at a time, so no event waits in a local buffer while its
// ack timer runs.
func (q *Queue) work(ctx context.Context) {
	defer q.wg.Done()
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		msg, err := q.cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) &&
				!errors.Is(err, jetstream.ErrNoMessages) {
				// The store is stopping or briefly unavailable; do not spin.
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
			continue
		}
		q.deliver(ctx, msg)
	}
}

func (q *Queue) deliver(ctx context.Context, msg jetstream.Msg) {
	var ev Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		// Not an event this code wrote: keep nothing that can never be handled.
		slog.Error("async: dropping undecodable event", "err", err)
		msg.TermWithReason("undecodable") //nolint:errcheck
		return
	}
	if wait := time.Until(ev.NotBefore); wait > 0 {
		msg.NakWithDelay(wait) //nolint:errcheck
		return
	}
	hctx, stop := context.WithCancel(ctx)
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		t := time.NewTicker(q.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				msg.InProgress() //nolint:errcheck
			}
		}
	}()
	out := q.Handle(hctx, &ev)
	stop()
	<-beat
	switch out {
	case Done:
		// A plain ack: were it lost, the event would run again (at least once),
		// which costs less than waiting for a confirmation of every ack.
		if err := msg.Ack(); err != nil {
			slog.Warn("async: ack failed; the event will be delivered again", "id", ev.ID, "err", err)
		}
	case Throttled:
		msg.NakWithDelay(q.throttleDelay(msg)) //nolint:errcheck
	case Abandoned:
		msg.Nak() //nolint:errcheck
	}
}

// throttleDelay doubles with every delivery of the message, within bounds.
func (q *Queue) throttleDelay(msg jetstream.Msg) time.Duration {
	n := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		n = md.NumDelivered
	}
	d := q.ThrottleMin
	for i := uint64(1); i < n && d < q.ThrottleMax; i++ {
		d *= 2
	}
	return min(d, q.ThrottleMax)
}

// Stats is what the queue holds now.
type Stats struct {
	// Depth counts events accepted and not yet done: waiting, backing off after a
	// throttle or a failed attempt, or running.
	Depth uint64
	// OldestAge is the age of the oldest such event (since it was first
	// accepted), or 0 with none.
	OldestAge time.Duration
}

// Stats reads the queue's depth and the age of its oldest event.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	info, err := q.stream.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("async: stream info: %w", err)
	}
	s := Stats{Depth: info.State.Msgs}
	if s.Depth == 0 {
		return s, nil
	}
	// A retried event is published again with its first acceptance time, so the
	// oldest message is the oldest event but not always the first in the stream;
	// the first one is a close, cheap bound.
	raw, err := q.stream.GetMsg(ctx, info.State.FirstSeq)
	if err != nil {
		return s, nil // acked between the two reads
	}
	var ev Event
	if json.Unmarshal(raw.Data, &ev) == nil && !ev.Accepted.IsZero() {
		s.OldestAge = time.Since(ev.Accepted)
	} else {
		s.OldestAge = time.Since(raw.Time)
	}
	return s, nil
}

// StatsPath is the internal endpoint that reports Stats.
const StatsPath = "GET /_stratus/async-queue"

// ServeStats answers StatsPath with {"Depth": n, "OldestAgeMs": ms}.
func (q *Queue) ServeStats(w http.ResponseWriter, r *http.Request) {
	s, err := q.Stats(r.Context())
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"message": err.Error()}) //nolint:errcheck
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"Depth": s.Depth, "OldestAgeMs": s.OldestAge.Milliseconds()}) //nolint:errcheck
}
