package metering

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Sum returns the usage of every function in [start, end), by the time each
// invocation started. Whole hours, days and months are read from the rollups
// (one total per function and hour at most); only the ragged hour at either end
// reads individual records. Records still buffered are stored first, so the
// answer includes every invocation metered before the call.
func (l *Ledger) Sum(ctx context.Context, start, end time.Time) (Usage, error) {
	out := Usage{}
	start, end = start.UTC(), end.UTC()
	if !start.Before(end) {
		return out, nil
	}
	if err := l.caughtUp(ctx); err != nil {
		return nil, err
	}
	filters, ragged := cover(start, end)
	if len(filters) > 0 {
		if err := l.sumRollups(ctx, filters, out); err != nil {
			return nil, err
		}
	}
	for _, h := range ragged {
		if err := l.sumRecords(ctx, h, start, end, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cover splits [start, end) into key filters for whole months, days and hours
// (yyyy.mm.>, yyyy.mm.dd.>, yyyy.mm.dd.hh.>) and the hours it covers in part.
func cover(start, end time.Time) (filters []string, ragged []time.Time) {
	a := start.Truncate(time.Hour)
	if !a.Equal(start) {
		ragged = append(ragged, a)
		a = a.Add(time.Hour)
	}
	b := end.Truncate(time.Hour)
	if !b.Equal(end) && (len(ragged) == 0 || !b.Equal(ragged[0])) {
		ragged = append(ragged, b)
	}
	for t := a; t.Before(b); {
		y, m, d := t.Date()
		switch {
		case d == 1 && t.Hour() == 0 && !time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).After(b):
			filters = append(filters, t.Format("2006.01")+".>")
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		case t.Hour() == 0 && !t.AddDate(0, 0, 1).After(b):
			filters = append(filters, t.Format("2006.01.02")+".>")
			t = t.AddDate(0, 0, 1)
		default:
			filters = append(filters, hourToken(t)+".>")
			t = t.Add(time.Hour)
		}
	}
	return filters, ragged
}

func (l *Ledger) sumRollups(ctx context.Context, filters []string, out Usage) error {
	w, err := l.kv.WatchFiltered(ctx, filters, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("metering: rollups: %w", err)
	}
	defer w.Stop() //nolint:errcheck
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("metering: rollups: watch ended")
			}
			if e == nil { // every stored value has been seen
				return nil
			}
			k, ok := parseRollupKey(e.Key())
			if !ok {
				continue
			}
			var v rollupValue
			if err := json.Unmarshal(e.Value(), &v); err != nil {
				return fmt.Errorf("metering: rollup %s: %w", e.Key(), err)
			}
			out.addAgg(k, v.Agg)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sumRecords adds the records of hour h that started in [start, end).
func (l *Ledger) sumRecords(ctx context.Context, h, start, end time.Time, out Usage) error {
	subject := subjectRoot + hourToken(h)
	info, err := l.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return fmt.Errorf("metering: stream info: %w", err)
	}
	if info.State.Subjects[subject] == 0 {
		return nil
	}
	c, err := l.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return fmt.Errorf("metering: consumer: %w", err)
	}
	s, e := start.UnixNano(), end.UnixNano()
	for {
		batch, err := c.FetchNoWait(500)
		if err != nil {
			return fmt.Errorf("metering: read: %w", err)
		}
		n := 0
		pending := uint64(1)
		for m := range batch.Messages() {
			n++
			if meta, err := m.Metadata(); err == nil {
				pending = meta.NumPending
			}
			rs, err := decodeBatch(m.Data())
			if err != nil {
				continue // logged when rolled up
			}
			for i := range rs {
				r := &rs[i]
				if r.Start >= s && r.Start < e {
					k := Key{r.Region, r.Function, r.Arch}
					a := out[k]
					a.add(r)
					out[k] = a
				}
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("metering: read: %w", err)
		}
		if n == 0 || pending == 0 {
			return nil
		}
	}
}
