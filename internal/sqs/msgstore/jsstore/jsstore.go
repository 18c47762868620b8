// Package jsstore is the msgstore.Store on NATS JetStream: messages in one
// stream with a subject per queue, per-message states in a second stream
// with a subject per message and one message kept per subject, so a new
// state replaces the old one without a delete.
package jsstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/sqs/msgstore"
	"github.com/stratus-run/stratus/internal/store"
)

// Stream and subject names. A queue id is a subject token ([A-Za-z0-9_-]).
const (
	msgStream     = "SQS_MESSAGES"
	stateStream   = "SQS_STATES"
	msgSubject    = "sqs.m."
	stateSubject  = "sqs.s."
	deleteBacklog = 4096
)

// Store is a msgstore.Store on an open store.Store. Open it, then Close it
// before the store.Store closes.
type Store struct {
	js       jetstream.JetStream
	msgs     jetstream.Stream
	states   jetstream.Stream
	mu       sync.Mutex
	stateSeq map[uint64]stateRef // message seq -> its state's stream seq
	stale    chan uint64         // state stream seqs to delete in the background
	done     chan struct{}
	closed   bool
}

type stateRef struct {
	queue string
	seq   uint64
}

var _ msgstore.Store = (*Store)(nil)

// Open creates (or binds to) the two streams and starts the background
// deleter of replaced or orphaned states.
func Open(ctx context.Context, st *store.Store) (*Store, error) {
	js := st.JetStream()
	msgs, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      msgStream,
		Subjects:  []string{msgSubject + ">"},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy,
		// Receipt-less direct gets are never needed; deletes are by sequence.
		Discard: jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("jsstore: stream %s: %w", msgStream, err)
	}
	states, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              stateStream,
		Subjects:          []string{stateSubject + ">"},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		MaxMsgsPerSubject: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("jsstore: stream %s: %w", stateStream, err)
	}
	s := &Store{js: js, msgs: msgs, states: states, stateSeq: map[uint64]stateRef{},
		stale: make(chan uint64, deleteBacklog), done: make(chan struct{})}
	go s.deleter()
	return s, nil
}

// Close stops the background deleter after it drained its backlog.
func (s *Store) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stale)
	s.mu.Unlock()
	<-s.done
}

// deleter removes states whose message is gone. Losing one of these deletes
// to a crash is harmless: Load drops states without a message.
func (s *Store) deleter() {
	defer close(s.done)
	for seq := range s.stale {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.states.DeleteMsg(ctx, seq); err != nil && !notFound(err) {
			slog.Warn("sqs: deleting a message state", "seq", seq, "err", err)
		}
		cancel()
	}
}

// dropStateLocked queues the state of message seq for deletion. s.mu held.
func (s *Store) dropStateLocked(seq uint64) {
	ref, ok := s.stateSeq[seq]
	if !ok {
		return
	}
	delete(s.stateSeq, seq)
	if s.closed {
		return
	}
	select {
	case s.stale <- ref.seq:
	default: // backlog full: the state stays until the next Load drops it
	}
}

func (s *Store) Append(ctx context.Context, queue string, data [][]byte) ([]uint64, error) {
	futures := make([]jetstream.PubAckFuture, len(data))
	subj := msgSubject + queue
	for i, d := range data {
		f, err := s.js.PublishAsync(subj, d, jetstream.WithExpectStream(msgStream))
		if err != nil {
			return nil, fmt.Errorf("jsstore: append: %w", err)
		}
		futures[i] = f
	}
	seqs := make([]uint64, len(data))
	for i, f := range futures {
		ack, err := wait(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("jsstore: append: %w", err)
		}
		seqs[i] = ack.Sequence
	}
	return seqs, nil
}

func (s *Store) SetStates(ctx context.Context, states []msgstore.State) error {
	futures := make([]jetstream.PubAckFuture, len(states))
	for i, st := range states {
		f, err := s.js.PublishAsync(stateSubject+st.Queue+"."+strconv.FormatUint(st.Seq, 10), st.Data,
			jetstream.WithExpectStream(stateStream))
		if err != nil {
			return fmt.Errorf("jsstore: state: %w", err)
		}
		futures[i] = f
	}
	for i, f := range futures {
		ack, err := wait(ctx, f)
		if err != nil {
			return fmt.Errorf("jsstore: state: %w", err)
		}
		s.mu.Lock()
		// The stream itself dropped the previous state of the subject.
		s.stateSeq[states[i].Seq] = stateRef{queue: states[i].Queue, seq: ack.Sequence}
		s.mu.Unlock()
	}
	return nil
}

func wait(ctx context.Context, f jetstream.PubAckFuture) (*jetstream.PubAck, error) {
	select {
	case ack := <-f.Ok():
		return ack, nil
	case err := <-f.Err():
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Store) Delete(ctx context.Context, seqs []uint64) error {
	for _, seq := range seqs {
		if err := s.msgs.DeleteMsg(ctx, seq); err != nil && !notFound(err) {
			return fmt.Errorf("jsstore: delete %d: %w", seq, err)
		}
		s.mu.Lock()
		s.dropStateLocked(seq)
		s.mu.Unlock()
	}
	return nil
}

func (s *Store) Purge(ctx context.Context, queue string, before uint64) error {
	opts := []jetstream.StreamPurgeOpt{jetstream.WithPurgeSubject(msgSubject + queue)}
	if before > 0 {
		opts = append(opts, jetstream.WithPurgeSequence(before))
	}
	if err := s.msgs.Purge(ctx, opts...); err != nil {
		return fmt.Errorf("jsstore: purge %s: %w", queue, err)
	}
	if before == 0 {
		if err := s.states.Purge(ctx, jetstream.WithPurgeSubject(stateSubject+queue+".>")); err != nil {
			return fmt.Errorf("jsstore: purge states of %s: %w", queue, err)
		}
		s.mu.Lock()
		for seq, ref := range s.stateSeq {
			if ref.queue == queue {
				delete(s.stateSeq, seq)
			}
		}
		s.mu.Unlock()
		return nil
	}
	s.mu.Lock()
	for seq, ref := range s.stateSeq {
		if ref.queue == queue && seq < before {
			s.dropStateLocked(seq)
		}
	}
	s.mu.Unlock()
	return nil
}

func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	info, err := s.msgs.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("jsstore: info: %w", err)
	}
	return info.State.LastSeq, nil
}

func (s *Store) Load(ctx context.Context, rec func(msgstore.Record) error, state func(msgstore.State) error) error {
	live := map[uint64]bool{}
	err := each(ctx, s.msgs, func(subject string, seq uint64, data []byte) error {
		q, ok := strings.CutPrefix(subject, msgSubject)
		if !ok {
			return nil
		}
		live[seq] = true
		return rec(msgstore.Record{Queue: q, Seq: seq, Data: data})
	})
	if err != nil {
		return err
	}
	return each(ctx, s.states, func(subject string, seq uint64, data []byte) error {
		rest, _ := strings.CutPrefix(subject, stateSubject)
		dot := strings.LastIndexByte(rest, '.')
		var msgSeq uint64
		if dot > 0 {
			msgSeq, _ = strconv.ParseUint(rest[dot+1:], 10, 64)
		}
		s.mu.Lock()
		if !live[msgSeq] {
			s.stateSeq[msgSeq] = stateRef{seq: seq}
			s.dropStateLocked(msgSeq)
			s.mu.Unlock()
			return nil
		}
		s.stateSeq[msgSeq] = stateRef{queue: rest[:dot], seq: seq}
		s.mu.Unlock()
		return state(msgstore.State{Queue: rest[:dot], Seq: msgSeq, Data: data})
	})
}

// each calls fn for every message of stream st, in order.
func each(ctx context.Context, st jetstream.Stream, fn func(subject string, seq uint64, data []byte) error) error {
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("jsstore: info: %w", err)
	}
	if info.State.Msgs == 0 {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("jsstore: replay: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return fmt.Errorf("jsstore: replay: %w", err)
	}
	defer it.Stop()
	for {
		m, err := it.Next()
		if err != nil {
			return fmt.Errorf("jsstore: replay: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("jsstore: replay: %w", err)
		}
		if err := fn(m.Subject(), meta.Sequence.Stream, m.Data()); err != nil {
			return err
		}
		if meta.NumPending == 0 || meta.Sequence.Stream >= info.State.LastSeq {
			return nil
		}
	}
}

func notFound(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		if apiErr.ErrorCode == jetstream.JSErrCodeMessageNotFound || apiErr.Code == 404 {
			return true
		}
		// A delete of a sequence never stored or already deleted fails with
		// the generic "message delete failed" code; its description says why.
		d := strings.ToLower(apiErr.Description)
		return strings.Contains(d, "eof") || strings.Contains(d, "not found") || strings.Contains(d, "no message")
	}
	// The server refusing a delete (the message is not there, or past the
	// stream's end) comes back as ErrMsgDeleteUnsuccessful with the API error
	// flattened into text; failures to reach the server are other errors.
	return errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful)
}
