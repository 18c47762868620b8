package metering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

	mu      sync.Mutex
	buf     []record
	dropped int
	flushMu sync.Mutex // serialises publishing, so batches keep their order

	applied   atomic.Uint64 // the last stream sequence rolled up
	appliedC  chan struct{} // kicked after each rolled-up message
	kick      chan struct{}
	stop      chan struct{}
	done      sync.WaitGroup
	rollupCtx context.Context
	cancel    context.CancelFunc
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
		Durable:       rollupName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
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
	l.done.Add(2)
	go l.publishLoop()
	go l.rollupLoop(cons)
	return nil
}

// Metered implements invoke.Meter: it buffers the record and never blocks.
func (l *Ledger) Metered(u *invoke.Usage) {
	r := recordOf(u)
	l.mu.Lock()
	if len(l.buf) >= l.MaxBuffered {
		l.dropped++
		l.mu.Unlock()
		return
	}
	l.buf = append(l.buf, r)
	full := len(l.buf) >= l.FlushRecords
	l.mu.Unlock()
	if full {
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
	return nil
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
			// Buffered records are on disk; the rollup catches up on the next start.
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
	l.mu.Lock()
	rs := l.buf
	l.buf = nil
	dropped := l.dropped
	l.dropped = 0
	l.mu.Unlock()
	if dropped > 0 {
		slog.Warn("metering: usage records dropped, the ledger fell behind", "records", dropped)
	}
	if len(rs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := l.publish(ctx, rs); err != nil {
		l.mu.Lock()
		l.buf = append(rs, l.buf...)
		l.mu.Unlock()
		return err
	}
	return nil
}

// publish stores rs, one message per hour and at most maxBatchBytes each.
func (l *Ledger) publish(ctx context.Context, rs []record) error {
	byHour := map[int64][]record{}
	var hours []int64
	for _, r := range rs {
		h := hourOf(r.Start).Unix()
		if _, ok := byHour[h]; !ok {
			hours = append(hours, h)
		}
		byHour[h] = append(byHour[h], r)
	}
	for _, h := range hours {
		subject := subjectRoot + hourToken(time.Unix(h, 0))
		var body []byte
		for _, r := range byHour[h] {
			before := len(body)
			body = encodeBatch(body, []record{r})
			if len(body) > maxBatchBytes && before > 0 {
				if _, err := l.JS.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: body[:before]}); err != nil {
					return fmt.Errorf("metering: publish: %w", err)
				}
				body = append(body[:0], body[before:]...)
			}
		}
		if _, err := l.JS.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: body}); err != nil {
			return fmt.Errorf("metering: publish: %w", err)
		}
	}
	return nil
}
