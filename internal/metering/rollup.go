package metering

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// rollupValue is one hour's total of one function on one architecture. Seq is the
// last stream message added in, which makes applying a message idempotent: a
// message redelivered after a crash (rolled up but not yet acknowledged) is
// skipped, so no invocation is counted twice.
type rollupValue struct {
	Seq uint64 `json:"seq"`
	Agg
}

func rollupKey(hour string, k Key) string {
	return hour + "." + k.Region + "." + k.Function + "." + k.Architecture
}

// parseRollupKey is the inverse of rollupKey.
func parseRollupKey(key string) (Key, bool) {
	p := strings.Split(key, ".")
	if len(p) != 7 {
		return Key{}, false
	}
	return Key{Region: p[4], Function: p[5], Architecture: p[6]}, true
}

// startRollup consumes the stream one message at a time (MaxAckPending 1), in
// order; a message that fails is redelivered before any later one.
func (l *Ledger) startRollup(cons jetstream.Consumer) (jetstream.ConsumeContext, error) {
	return cons.Consume(func(m jetstream.Msg) {
		if err := l.applyMessage(l.rollupCtx, m); err != nil {
			if l.rollupCtx.Err() == nil {
				slog.Error("metering: rollup", "err", err)
			}
			m.NakWithDelay(time.Second) //nolint:errcheck
		}
	})
}

// applyMessage adds one stored batch to its hour's rollups, then acknowledges it.
func (l *Ledger) applyMessage(ctx context.Context, m jetstream.Msg) error {
	meta, err := m.Metadata()
	if err != nil {
		return err
	}
	seq := meta.Sequence.Stream
	rs, err := decodeBatch(m.Data())
	if err != nil {
		// Only Stratus writes this stream; a batch it cannot read is logged and
		// passed over rather than block every later one.
		slog.Error("metering: unreadable usage batch skipped", "seq", seq, "err", err)
	}
	hour := strings.TrimPrefix(m.Subject(), subjectRoot)
	sums := Usage{}
	for i := range rs {
		r := &rs[i]
		k := Key{r.Region, r.Function, r.Arch}
		a := sums[k]
		a.add(r)
		sums[k] = a
	}
	for k, a := range sums {
		if err := l.addRollup(ctx, rollupKey(hour, k), seq, a); err != nil {
			return err
		}
	}
	if err := m.DoubleAck(ctx); err != nil {
		return fmt.Errorf("metering: ack: %w", err)
	}
	if seq > l.applied.Load() {
		l.applied.Store(seq)
	}
	select {
	case l.appliedC <- struct{}{}:
	default:
	}
	return nil
}

func (l *Ledger) addRollup(ctx context.Context, key string, seq uint64, a Agg) error {
	e, err := l.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		b, _ := json.Marshal(rollupValue{Seq: seq, Agg: a})
		if _, err := l.kv.Create(ctx, key, b); err != nil {
			return fmt.Errorf("metering: rollup %s: %w", key, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("metering: rollup %s: %w", key, err)
	}
	var v rollupValue
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return fmt.Errorf("metering: rollup %s: %w", key, err)
	}
	if v.Seq >= seq {
		return nil // already added in before a restart
	}
	v.Seq = seq
	v.Agg.merge(a)
	b, _ := json.Marshal(v)
	if _, err := l.kv.Update(ctx, key, b, e.Revision()); err != nil {
		return fmt.Errorf("metering: rollup %s: %w", key, err)
	}
	return nil
}

// caughtUp flushes the buffer and waits until every stored batch is rolled up.
func (l *Ledger) caughtUp(ctx context.Context) error {
	if err := l.Flush(ctx); err != nil {
		return err
	}
	info, err := l.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("metering: stream info: %w", err)
	}
	last := info.State.LastSeq
	// Waits while the rollup moves; gives up only once it has made no progress
	// for stall (a slow machine rolls up slowly, a stuck rollup not at all).
	const stall = 10 * time.Second
	seen, since := l.applied.Load(), time.Now()
	for {
		at := l.applied.Load()
		if at >= last {
			return nil
		}
		if at != seen {
			seen, since = at, time.Now()
		}
		if time.Since(since) > stall {
			return fmt.Errorf("metering: rollup is behind (at %d of %d) and not moving", at, last)
		}
		select {
		case <-l.appliedC:
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("metering: rollup is behind (at %d of %d): %w", at, last, ctx.Err())
		}
	}
}
