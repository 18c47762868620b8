package logs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// An event is stored as one message on its stream's subject: 8 bytes of timestamp
// and 8 of ingestion time (milliseconds, big-endian), then the message.

// event is one stored log event.
type event struct {
	Stream    string
	Timestamp int64
	Ingestion int64
	Message   []byte
	Seq       uint64 // the JetStream sequence: unique, increasing with each append
}

// before orders events by timestamp, then by append.
func (e *event) before(o *event) bool {
	if e.Timestamp != o.Timestamp {
		return e.Timestamp < o.Timestamp
	}
	return e.Seq < o.Seq
}

func encodeEvent(ts, ingest int64, msg []byte) []byte {
	b := make([]byte, 16+len(msg))
	binary.BigEndian.PutUint64(b, uint64(ts))
	binary.BigEndian.PutUint64(b[8:], uint64(ingest))
	copy(b[16:], msg)
	return b
}

func decodeEvent(b []byte) (ts, ingest int64, msg []byte, ok bool) {
	if len(b) < 16 {
		return 0, 0, nil, false
	}
	return int64(binary.BigEndian.Uint64(b)), int64(binary.BigEndian.Uint64(b[8:])), b[16:], true
}

// pendingEvent is an event to append.
type pendingEvent struct {
	subject   string
	timestamp int64
	message   []byte
}

// publishWindow is how many events are in flight, unacknowledged, at once.
const publishWindow = 1000

// appendEvents publishes the events (asynchronously, publishWindow at a time) and
// waits for every acknowledgement: when it returns nil they are on disk.
func (s *Service) appendEvents(ctx context.Context, evs []pendingEvent, ingest int64) error {
	futures := make([]jetstream.PubAckFuture, 0, min(len(evs), publishWindow))
	for len(evs) > 0 {
		chunk := evs[:min(len(evs), publishWindow)]
		evs = evs[len(chunk):]
		futures = futures[:0]
		for _, e := range chunk {
			m := &nats.Msg{Subject: e.subject, Data: encodeEvent(e.timestamp, ingest, e.message)}
			f, err := s.js.PublishMsgAsync(m, jetstream.WithExpectStream(eventsStream))
			if err != nil {
				return fmt.Errorf("logs: publish: %w", err)
			}
			futures = append(futures, f)
		}
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return fmt.Errorf("logs: publish: %w", err)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// readEvents returns the stored events on subjects matching filter, in append
// order: all of them when from is 0, else (at least) every one with a timestamp at
// or after from. It reads with an ordered consumer and stops at what was stored
// when it started.
func (s *Service) readEvents(ctx context.Context, filter string, from int64) ([]event, error) {
	info, err := s.events.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return nil, fmt.Errorf("logs: stream info: %w", err)
	}
	total := uint64(0)
	for _, n := range info.State.Subjects {
		total += n
	}
	if total == 0 {
		return nil, nil
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}}
	if from > 0 {
		// An event is stored no earlier than tooNewAhead before its timestamp
		// (PutLogEvents refuses events further in the future), so the events from
		// that time on hold every event with a timestamp at or after from.
		t := time.UnixMilli(from).Add(-tooNewAhead - time.Minute)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	c, err := s.events.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("logs: consumer: %w", err)
	}
	out := make([]event, 0, min(total, 4096))
	for {
		batch, err := c.FetchNoWait(1000)
		if err != nil {
			return nil, fmt.Errorf("logs: fetch: %w", err)
		}
		n := 0
		pending := uint64(1)
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			pending = md.NumPending
			ts, in, msg, ok := decodeEvent(m.Data())
			if !ok {
				continue
			}
			out = append(out, event{Stream: streamOfSubject(m.Subject()), Timestamp: ts, Ingestion: in, Message: msg, Seq: md.Sequence.Stream})
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, fmt.Errorf("logs: fetch: %w", err)
		}
		if n == 0 || pending == 0 {
			break
		}
	}
	return out, nil
}

// sortEvents orders events by timestamp, then append order.
func sortEvents(evs []event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].before(&evs[j]) })
}

// cutoff is the oldest timestamp a group's retention keeps (0: keep everything).
func (s *Service) cutoff(retentionDays int32) int64 {
	if retentionDays <= 0 {
		return 0
	}
	return s.Now().Add(-time.Duration(retentionDays) * 24 * time.Hour).UnixMilli()
}

// Sweep purges, for every group with a retention policy, the events of each stream
// up to the first one still within retention. Reads skip older events anyway, so a
// late sweep shows nothing it should not.
func (s *Service) Sweep(ctx context.Context) error {
	type job struct {
		subject string
		cutoff  int64
	}
	var jobs []job
	s.mu.RLock()
	for _, g := range s.cache {
		c := s.cutoff(g.rec.Retention)
		if c == 0 {
			continue
		}
		for name := range g.streams {
			jobs = append(jobs, job{streamSubject(g.rec.Region, g.rec.Name, name), c})
		}
	}
	s.mu.RUnlock()
	var errs []error
	for _, j := range jobs {
		evs, err := s.readEvents(ctx, j.subject, 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		keep := uint64(0) // the first sequence to keep; 0 when all go
		for _, e := range evs {
			if e.Timestamp >= j.cutoff {
				keep = e.Seq
				break
			}
		}
		if len(evs) == 0 || keep == evs[0].Seq {
			continue
		}
		opts := []jetstream.StreamPurgeOpt{jetstream.WithPurgeSubject(j.subject)}
		if keep != 0 {
			opts = append(opts, jetstream.WithPurgeSequence(keep))
		}
		if err := s.events.Purge(ctx, opts...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// purgeSubject removes every event on the subject.
func (s *Service) purgeSubject(ctx context.Context, subject string) error {
	if err := s.events.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
		return fmt.Errorf("logs: purge: %w", err)
	}
	return nil
}
