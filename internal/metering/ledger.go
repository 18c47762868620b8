package metering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/invoke"
)

const (
	streamName   = "USAGE"
	subjectRoot  = "usage.rec."
	rollupBucket = "usage-hourly"
	rollupName   = "rollup"
)

// Ledger is the durable usage ledger. It is an invoke.Meter: Metered copies a
// record into a buffer, a goroutine publishes the buffer to the USAGE stream in
// batches (one subject per hour), and a second goroutine rolls every stored batch
// into per-hour, per-function totals in the usage-hourly bucket, so a query reads
// one total per function and hour instead of every record.
//
// Set the exported fields, then Open; Close publishes what is buffered, so a clean
// stop loses nothing. A crash loses at most the records of the last FlushEvery.
type Ledger struct {
	JS jetstream.JetStream
	// FlushEvery and FlushRecords bound how long and how many records wait in
	// memory (defaults 100 ms and 1,000).
	FlushEvery   time.Duration
	FlushRecords int
	// MaxBuffered records are held at most; beyond it they are dropped and
	// counted rather than slow an invocation (default 1,000,000).
	MaxBuffered int

	stream jetstream.Stream
	kv     jetstream.KeyValue

	// The buffer is a lock-free stack of what Metered was handed: the invoke path
	// does one allocation and a compare-and-swap, never waits on a lock.
	head     atomic.Pointer[node]
	buffered atomic.Int64
	dropped  atomic.Int64
	flushMu  sync.Mutex // serialises publishing, so batches keep their order
	retry    []record   // what a failed publish left; guarded by flushMu

	applied   atomic.Uint64 // the last stream sequence rolled up
	appliedC  chan struct{} // kicked after each rolled-up message
	kick      chan struct{}
	stop      chan struct{}
	done      sync.WaitGroup
	rollupCtx context.Context
	cancel    context.CancelFunc
	consuming jetstream.ConsumeContext
}

var _ invoke.Meter = (*Ledger)(nil)

// Open creates (or reopens) the stream, the rollup bucket and its consumer, and
// starts publishing and rolling up.
func (l *Ledger) Open(ctx context.Context) error {
	if l.JS == nil {
		return errors.New("metering: JS is required")
	}
	if l.FlushEvery <= 0 {
		l.FlushEvery = 100 * time.Millisecond
	}
	if l.FlushRecords <= 0 {
		l.FlushRecords = 1000
	}
	if l.MaxBuffered <= 0 {
		l.MaxBuffered = 1_000_000
	}
	st, err := l.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        streamName,
		Subjects:    []string{subjectRoot + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Description: "Stratus usage ledger: one message per batch of invocation records",
	})
	if err != nil {
		return fmt.Errorf("metering: stream: %w", err)
	}
	kv, err := l.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      rollupBucket,
		Description: "Stratus usage per hour, function and architecture",
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("metering: rollup bucket: %w", err)
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   rollupName,
		AckPolicy: jetstream.AckExplicitPolicy,
		// A batch handed to a consumer that stopped (a clean stop can leave one
		// in its buffer, a kill -9 one in flight) blocks every later one until
		// AckWait; rolling one up takes milliseconds and is idempotent, so a
		// short wait costs nothing and a restart rolls up at once.
		AckWait:       5 * time.Second,
		MaxAckPending: 1, // strictly in order: a rollup skips a sequence it has passed
	})
	if err != nil {
		return fmt.Errorf("metering: rollup consumer: %w", err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("metering: rollup consumer: %w", err)
	}
	l.stream, l.kv = st, kv
	l.applied.Store(ci.AckFloor.Stream)
	l.appliedC = make(chan struct{}, 1)
	l.kick = make(chan struct{}, 1)
	l.stop = make(chan struct{})
	l.rollupCtx, l.cancel = context.WithCancel(context.Background())
	cc, err := l.startRollup(cons)
	if err != nil {
		l.cancel()
		return fmt.Errorf("metering: rollup consumer: %w", err)
	}
	l.consuming = cc
	l.done.Add(1)
	go l.publishLoop()
	return nil
}

type node struct {
	u    *invoke.Usage
	next *node
}

// Metered implements invoke.Meter: it keeps u (which the engine hands over and
// never touches again) and returns at once, without a lock.
func (l *Ledger) Metered(u *invoke.Usage) {
	n := l.buffered.Add(1)
	if n > int64(l.MaxBuffered) {
		l.buffered.Add(-1)
		l.dropped.Add(1)
		return
	}
	nd := &node{u: u}
	for {
		old := l.head.Load()
		nd.next = old
		if l.head.CompareAndSwap(old, nd) {
			break
		}
	}
	if n == int64(l.FlushRecords) {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// Throttled implements invoke.Meter: Lambda bills nothing for a throttled request.
func (l *Ledger) Throttled(*invoke.Function) {}

// Close publishes what is buffered and stops both goroutines.
func (l *Ledger) Close(ctx context.Context) error {
	if l.stop == nil {
		return nil
	}
	close(l.stop)
	done := make(chan struct{})
	go func() { l.done.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		l.cancel()
		return ctx.Err()
	}
	// What is stored but not yet rolled up is rolled up on the next start.
	l.consuming.Stop()
	select {
	case <-l.consuming.Closed():
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// settle waits a little for the rollup to take in what was just stored, so a
// clean stop leaves nothing for the next start to wait on.
func (l *Ledger) settle(most time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	info, err := l.stream.Info(ctx)
	cancel()
	if err != nil {
		return
	}
	deadline := time.After(most)
	poll := time.NewTicker(20 * time.Millisecond) // a query may take the kick
	defer poll.Stop()
	for l.applied.Load() < info.State.LastSeq {
		select {
		case <-l.appliedC:
		case <-poll.C:
		case <-deadline:
			return
		}
	}
}

func (l *Ledger) publishLoop() {
	defer l.done.Done()
	t := time.NewTicker(l.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			if err := l.Flush(context.Background()); err != nil {
				slog.Error("metering: usage records lost at shutdown", "err", err)
			}
			l.settle(2 * time.Second)
			l.cancel()
			return
		case <-t.C:
		case <-l.kick:
		}
		if err := l.Flush(context.Background()); err != nil {
			slog.Error("metering: cannot store usage records; will retry", "err", err)
		}
	}
}

// Flush publishes every buffered record and waits for JetStream to store them.
// On failure the records stay buffered for the next try.
func (l *Ledger) Flush(ctx context.Context) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	rs := l.retry
	l.retry = nil
	var taken []record
	for nd := l.head.Swap(nil); nd != nil; nd = nd.next {
		taken = append(taken, recordOf(nd.u))
	}
	l.buffered.Add(-int64(len(taken)))
	for i := len(taken) - 1; i >= 0; i-- { // the stack is newest first
		rs = append(rs, taken[i])
	}
	if dropped := l.dropped.Swap(0); dropped > 0 {
		slog.Warn("metering: usage records dropped, the ledger fell behind", "records", dropped)
	}
	if len(rs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if left, err := l.publish(ctx, rs); err != nil {
		l.retry = left
		return err
	}
	return nil
}

// publish stores rs, one message per hour and at most maxBatchBytes each. On
// failure it returns the records not stored, so a retry stores none twice.
func (l *Ledger) publish(ctx context.Context, rs []record) ([]record, error) {
	byHour := map[int64][]record{}
	var hours []int64
	for _, r := range rs {
		h := hourOf(r.Start).Unix()
		if _, ok := byHour[h]; !ok {
			hours = append(hours, h)
		}
		byHour[h] = append(byHour[h], r)
	}
	for i, h := range hours {
		subject := subjectRoot + hourToken(time.Unix(h, 0))
		hr := byHour[h]
		for len(hr) > 0 {
			var body []byte
			n := 0
			for n < len(hr) {
				next := encodeBatch(body, hr[n:n+1])
				if len(next) > maxBatchBytes && n > 0 {
					break
				}
				body, n = next, n+1
			}
			// A retry after a lost acknowledgement sends the same batch with the same
			// id, which JetStream's duplicate window drops.
			id := subject + "/" + hr[0].ID + "/" + hr[n-1].ID + "/" + strconv.Itoa(n)
			if _, err := l.JS.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: body}, jetstream.WithMsgID(id)); err != nil {
				left := append([]record(nil), hr...)
				for _, later := range hours[i+1:] {
					left = append(left, byHour[later]...)
				}
				return left, fmt.Errorf("metering: publish: %w", err)
			}
			hr = hr[n:]
		}
	}
	return nil, nil
}
