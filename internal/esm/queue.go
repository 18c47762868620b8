package esm

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/eventsource"
)

// queuePoller polls one mapping's queue (SQS) with as many workers as the
// mapping may run invocations at once. Each worker gathers a batch (up to
// BatchSize messages, or until MaximumBatchingWindowInSeconds passes, or the
// 6 MB payload bound), drops and deletes the messages no filter matches, and
// invokes the function. Messages handled are deleted; messages not handled are
// left hidden until their visibility timeout ends, so the queue hands them out
// again and its own redrive policy moves them to its dead-letter queue after
// maxReceiveCount receives, as Lambda leaves it to SQS. While a batch runs its
// messages stay hidden: their visibility is extended before it ends. A FIFO
// queue hands out no message of a group while another of it is hidden, which
// keeps each group in order across workers.
type queuePoller struct {
	s       *Service
	p       *poller
	rec     record
	queues  eventsource.Queues
	filters *filters
}

// defaultQueueConcurrency is how many batches of one queue mapping run at
// once without a ScalingConfig: the five pollers Lambda starts a queue with.
const defaultQueueConcurrency = 5

// longPoll is how long a receive waits for a first message (SQS's maximum).
const longPoll = 20 * time.Second

// run polls until the poller is stopped, then waits for its workers to settle
// the batches they are invoking.
func (qp *queuePoller) run(ctx context.Context) {
	qp.filters = compileFilters(qp.rec.Filters)
	n := qp.rec.MaxConcurrency
	if n <= 0 {
		n = defaultQueueConcurrency
	}
	stop := qp.p.stopCh
	// Receives end as soon as the mapping stops; invocations run to their end
	// under ctx, so a batch in flight is settled rather than abandoned.
	rctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-stop:
		case <-rctx.Done():
		}
		cancel()
	}()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			qp.worker(ctx, rctx, stop)
		}()
	}
	wg.Wait()
	cancel()
}

func (qp *queuePoller) worker(ctx, rctx context.Context, stop <-chan struct{}) {
	d := &deliverer{s: qp.s, rec: qp.rec}
	failures := 0
	for !stopped(stop) && rctx.Err() == nil {
		info, err := qp.queues.Describe(rctx, qp.rec.EventSourceArn)
		var msgs []eventsource.QueueMessage
		if err == nil {
			msgs, err = qp.collect(rctx, info)
		}
		if err != nil && rctx.Err() == nil {
			failures++
			slog.Warn("esm: cannot receive from the queue", "uuid", qp.rec.UUID, "source", qp.rec.EventSourceArn, "err", err)
			qp.s.results.Store(qp.rec.UUID, "PROBLEM: Queue not found or not readable")
			if !sleep(rctx, stop, backoff(qp.s.RetryDelay, failures, qp.s.MaxRetryDelay)) {
				// The messages taken are left to reappear after their visibility timeout.
				return
			}
			continue
		}
		failures = 0
		if len(msgs) > 0 {
			qp.handle(ctx, stop, d, info, msgs)
		}
	}
}

// collect gathers one batch. With no batching window it is what one long
// poll returns (up to 10); with one it keeps receiving until BatchSize
// messages, the window's end, or the payload bound. Messages beyond the bound
// are made visible again at once.
func (qp *queuePoller) collect(ctx context.Context, info eventsource.QueueInfo) ([]eventsource.QueueMessage, error) {
	window := time.Duration(qp.rec.MaxBatchingWindow) * qp.s.Second
	vis := info.VisibilityTimeout
	var msgs []eventsource.QueueMessage
	size := 0
	var deadline time.Time
	for {
		wait := longPoll
		if len(msgs) > 0 {
			wait = time.Until(deadline)
			if wait <= 0 {
				return msgs, nil
			}
		}
		got, err := qp.queues.Receive(ctx, qp.rec.EventSourceArn, min(10, qp.rec.BatchSize-len(msgs)), vis, wait)
		if err == nil && ctx.Err() != nil && len(got) == 0 {
			// A receive cut short by the mapping stopping answers nothing.
			err = ctx.Err()
		}
		if err != nil {
			if len(msgs) > 0 && ctx.Err() != nil {
				return msgs, nil // stopping: hand in what was taken
			}
			return msgs, err
		}
		if len(msgs) == 0 && len(got) > 0 {
			deadline = time.Now().Add(window)
		}
		for i, m := range got {
			if len(msgs) > 0 && eventSize(len(msgs)+1, size+m.Size) > maxPayload {
				qp.release(got[i:])
				return msgs, nil
			}
			msgs = append(msgs, m)
			size += m.Size
		}
		if len(msgs) > 0 && (window == 0 || len(msgs) >= qp.rec.BatchSize) {
			return msgs, nil
		}
	}
}

// release makes messages visible again at once.
func (qp *queuePoller) release(msgs []eventsource.QueueMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := qp.queues.ChangeVisibility(ctx, qp.rec.EventSourceArn, receipts(msgs), 0); err != nil {
		slog.Warn("esm: cannot release messages; they reappear after their visibility timeout", "uuid", qp.rec.UUID, "err", err)
	}
}

// handle filters a batch, invokes the function with what is left and settles
// each message.
func (qp *queuePoller) handle(ctx context.Context, stop <-chan struct{}, d *deliverer, info eventsource.QueueInfo, msgs []eventsource.QueueMessage) {
	keep := msgs[:0:0]
	var dropped []eventsource.QueueMessage
	for _, m := range msgs {
		if qp.filters.matchQueueRecord(m.Data) {
			keep = append(keep, m)
		} else {
			dropped = append(dropped, m)
		}
	}
	// Lambda deletes the messages its filters drop.
	qp.delete(ctx, dropped)
	if len(keep) == 0 {
		return
	}
	recs := make([]eventsource.Record, len(keep))
	for i, m := range keep {
		recs[i] = eventsource.Record{Seq: m.ID, Time: m.Sent, Data: m.Data, Size: m.Size, PartitionKey: m.GroupID}
	}
	endExtend := qp.extend(ctx, info.VisibilityTimeout, keep)
	defer endExtend()
	throttles := 0
	for {
		a := d.invoke(ctx, recs)
		if ctx.Err() != nil {
			return
		}
		if a.err != nil && !a.counted {
			// Throttled, or the function is not there for now: the batch is
			// kept hidden and tried again, so throttling spends no receive.
			throttles++
			if !sleep(ctx, stop, backoff(qp.s.ThrottleDelay, throttles, qp.s.MaxRetryDelay)) {
				return
			}
			continue
		}
		if a.failed() {
			// The whole batch failed: it reappears after the visibility timeout.
			return
		}
		if !qp.rec.ReportBatchItemFailures {
			qp.delete(ctx, keep)
			return
		}
		failed, full := queueFailures(a.payload, keep, info.FIFO)
		if full {
			return
		}
		var done []eventsource.QueueMessage
		for i, m := range keep {
			if !failed[i] {
				done = append(done, m)
			}
		}
		qp.delete(ctx, done)
		return
	}
}

// extend keeps msgs hidden while their batch runs: before half of the
// visibility timeout has passed, it is started again. The returned func stops
// it; the messages then keep the rest of their last timeout.
func (qp *queuePoller) extend(ctx context.Context, vis time.Duration, msgs []eventsource.QueueMessage) func() {
	if vis <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(vis/2, 10*time.Millisecond))
		defer t.Stop()
		hs := receipts(msgs)
		for {
			select {
			case <-t.C:
				if err := qp.queues.ChangeVisibility(ctx, qp.rec.EventSourceArn, hs, vis); err != nil {
					slog.Warn("esm: cannot extend a batch's visibility", "uuid", qp.rec.UUID, "err", err)
				}
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// delete removes handled messages from the queue. A message that cannot be
// deleted is handed out again: at least once.
func (qp *queuePoller) delete(ctx context.Context, msgs []eventsource.QueueMessage) {
	if len(msgs) == 0 {
		return
	}
	if err := qp.queues.Delete(ctx, qp.rec.EventSourceArn, receipts(msgs)); err != nil {
		slog.Warn("esm: cannot delete handled messages; they will be delivered again", "uuid", qp.rec.UUID, "err", err)
	}
}

func receipts(msgs []eventsource.QueueMessage) []string {
	hs := make([]string, len(msgs))
	for i, m := range msgs {
		hs[i] = m.Receipt
	}
	return hs
}

// queueFailures reads a ReportBatchItemFailures response to a queue batch:
// which messages failed, or full when the response fails the whole batch. As
// AWS documents, an empty or null response or list is success, and an item
// whose itemIdentifier is missing, empty or no message's id fails the batch.
// In a FIFO batch every message of a group after its first failed one counts
// as failed too, so the group's order holds when it is handed out again.
func queueFailures(payload []byte, msgs []eventsource.QueueMessage, fifo bool) (failed []bool, full bool) {
	ids, full := reportedFailures(payload)
	if full {
		return nil, true
	}
	failed = make([]bool, len(msgs))
	for _, id := range ids {
		found := false
		for i := range msgs {
			if msgs[i].ID == id {
				failed[i], found = true, true
			}
		}
		if !found {
			return nil, true
		}
	}
	if fifo {
		broken := map[string]bool{}
		for i, m := range msgs {
			if broken[m.GroupID] {
				failed[i] = true
			} else if failed[i] {
				broken[m.GroupID] = true
			}
		}
	}
	return failed, false
}

// matchQueueRecord matches an SQS record against the filters. As Lambda
// does, a body that is a JSON object is matched as that object (patterns say
// {"body": {"field": [...]}}); any other body as its plain string.
func (f *filters) matchQueueRecord(data []byte) bool {
	if f == nil || len(f.patterns) == 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var rec map[string]any
	if dec.Decode(&rec) != nil {
		return false
	}
	if body, ok := rec["body"].(string); ok {
		bd := json.NewDecoder(bytes.NewReader([]byte(body)))
		bd.UseNumber()
		var v map[string]any
		if bd.Decode(&v) == nil && !bd.More() {
			rec["body"] = v
		}
	}
	for _, p := range f.patterns {
		if p != nil && p.MatchValue(rec) {
			return true
		}
	}
	return false
}
