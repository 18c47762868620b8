// Package jsstore is the msgstore.Store on NATS JetStream: messages in one
// stream with a subject per queue, per-message states in a second stream
// with a subject per message and one message kept per subject, so a new
// state replaces the old one without a delete.
//
// A delete is a tombstone: an empty state, durable with one publish, which
// replaces the message's state. Removing messages one by one from a stream
// costs a JetStream API round trip each and, when a queue drains, a message
// block deleted and created again per message: three times the cost of the
// rest of a send, receive and delete together. Instead a compactor purges
// each queue's subject below its oldest message still alive, and the state
// stream below its oldest state still needed, a few times a second. A
// message that stays alive long pins only what is behind it: past a bound
// the dead messages behind it are removed one by one, and live states
// pinning the state stream are written again at its end.
package jsstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	msgStream    = "SQS_MESSAGES"
	stateStream  = "SQS_STATES"
	msgSubject   = "sqs.m."
	stateSubject = "sqs.s."
)

// Compaction: how often it runs when something was deleted, how many dead
// messages may wait behind a live one before they are removed one by one,
// and how far behind the state stream's end a live state may pin it.
const (
	compactEvery  = 200 * time.Millisecond
	pinnedDeadMax = 1024
	pinnedLag     = 4096
)

// Store is a msgstore.Store on an open store.Store. Open it, then Close it
// before the store.Store closes.
type Store struct {
	js     jetstream.JetStream
	msgs   jetstream.Stream
	states jetstream.Stream

	mu sync.Mutex
	// queues tracks, per queue, the messages still in the message stream:
	// alive, or dead (tombstoned) and not yet compacted away.
	queues map[string]*queueSeqs
	// owner is the queue of every message in queues.
	owner map[uint64]string
	// stateOf is the state stream entry of a message in queues that has one
	// (its latest state or its tombstone).
	stateOf map[uint64]stateRef
	// Appends and state writes in flight: each floor is one more than the
	// highest sequence acknowledged when it started, below which it cannot
	// land, so compaction keeps what it may write.
	msgFloors, stateFloors map[int]uint64
	nextFloor              int
	maxMsg, maxState       uint64
	dirty                  bool

	stop   chan struct{}
	done   chan struct{}
	closed bool
}

type queueSeqs struct {
	seqs []uint64 // ascending: alive and dead
	dead map[uint64]bool
}

type stateRef struct {
	seq  uint64 // in the state stream
	data []byte // the state, or nil for a tombstone
}

var _ msgstore.Store = (*Store)(nil)

// Open creates (or binds to) the two streams and starts the compactor.
func Open(ctx context.Context, st *store.Store) (*Store, error) {
	js := st.JetStream()
	msgs, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      msgStream,
		Subjects:  []string{msgSubject + ">"},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy,
		Discard:   jetstream.DiscardOld,
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
	s := &Store{js: js, msgs: msgs, states: states,
		queues: map[string]*queueSeqs{}, owner: map[uint64]string{}, stateOf: map[uint64]stateRef{},
		msgFloors: map[int]uint64{}, stateFloors: map[int]uint64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go s.compactor()
	return s, nil
}

// Close stops the compactor after a last pass.
func (s *Store) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
}

// floor registers a write in flight; the returned func ends it.
func (s *Store) floor(floors map[int]uint64, top uint64) func() {
	s.mu.Lock()
	id := s.nextFloor
	s.nextFloor++
	floors[id] = top + 1
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(floors, id)
		s.mu.Unlock()
	}
}

func (s *Store) Append(ctx context.Context, queue string, data [][]byte) ([]uint64, error) {
	s.mu.Lock()
	top := s.maxMsg
	s.mu.Unlock()
	defer s.floor(s.msgFloors, top)()
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
	s.mu.Lock()
	for _, seq := range seqs {
		s.addLocked(queue, seq)
	}
	s.mu.Unlock()
	return seqs, nil
}

// addLocked tracks message seq of queue. s.mu held.
func (s *Store) addLocked(queue string, seq uint64) {
	q := s.queues[queue]
	if q == nil {
		q = &queueSeqs{dead: map[uint64]bool{}}
		s.queues[queue] = q
	}
	// Concurrent appends may be acknowledged out of order.
	i := len(q.seqs)
	for i > 0 && q.seqs[i-1] > seq {
		i--
	}
	q.seqs = slices.Insert(q.seqs, i, seq)
	s.owner[seq] = queue
	s.maxMsg = max(s.maxMsg, seq)
}

func (s *Store) SetStates(ctx context.Context, states []msgstore.State) error {
	return s.writeStates(ctx, states)
}

// writeStates publishes states (nil Data: tombstones) and records where they
// landed.
func (s *Store) writeStates(ctx context.Context, states []msgstore.State) error {
	s.mu.Lock()
	top := s.maxState
	kept := states[:0:0]
	for _, st := range states {
		if len(st.Data) > 0 {
			if q := s.queues[st.Queue]; q != nil && q.dead[st.Seq] {
				continue // deleted meanwhile
			}
		}
		kept = append(kept, st)
	}
	states = kept
	s.mu.Unlock()
	defer s.floor(s.stateFloors, top)()
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
		st := states[i]
		s.mu.Lock()
		s.maxState = max(s.maxState, ack.Sequence)
		if _, ok := s.owner[st.Seq]; ok {
			// The stream itself dropped the subject's previous entry.
			if cur, ok := s.stateOf[st.Seq]; !ok || cur.seq < ack.Sequence {
				s.stateOf[st.Seq] = stateRef{seq: ack.Sequence, data: st.Data}
			}
		}
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

// Delete marks the messages dead before their tombstones are written, so a
// state write racing with it is dropped rather than revive the message.
func (s *Store) Delete(ctx context.Context, seqs []uint64) error {
	s.mu.Lock()
	var tomb []msgstore.State
	for _, seq := range seqs {
		if q, ok := s.owner[seq]; ok && !s.queues[q].dead[seq] {
			s.queues[q].dead[seq] = true
			tomb = append(tomb, msgstore.State{Queue: q, Seq: seq})
		}
	}
	s.mu.Unlock()
	if len(tomb) == 0 {
		return nil
	}
	if err := s.writeStates(ctx, tomb); err != nil {
		s.mu.Lock()
		for _, st := range tomb {
			if q := s.queues[st.Queue]; q != nil {
				delete(q.dead, st.Seq)
			}
		}
		s.mu.Unlock()
		return fmt.Errorf("jsstore: delete: %w", err)
	}
	s.mu.Lock()
	s.dirty = true
	s.mu.Unlock()
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
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[queue]
	if q == nil {
		return nil
	}
	n := len(q.seqs)
	if before > 0 {
		n, _ = slices.BinarySearch(q.seqs, before)
	}
	s.forgetLocked(q, n)
	return nil
}

// forgetLocked stops tracking the first n messages of q, gone from the
// message stream; their states go with the next compaction. s.mu held.
func (s *Store) forgetLocked(q *queueSeqs, n int) {
	for _, seq := range q.seqs[:n] {
		delete(q.dead, seq)
		delete(s.owner, seq)
		delete(s.stateOf, seq)
	}
	q.seqs = slices.Delete(q.seqs, 0, n)
	s.dirty = true
}

func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	info, err := s.msgs.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("jsstore: info: %w", err)
	}
	return info.State.LastSeq, nil
}

func (s *Store) compactor() {
	defer close(s.done)
	t := time.NewTicker(compactEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			s.compact()
			return
		case <-t.C:
		}
		s.compact()
	}
}

// compact removes what deletes left behind; see the package comment.
func (s *Store) compact() {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return
	}
	s.dirty = false
	msgFloor := minFloor(s.msgFloors)
	type purge struct {
		queue  string
		before uint64
	}
	var purges []purge
	var oneByOne []uint64
	for name, q := range s.queues {
		n := 0
		for n < len(q.seqs) && q.dead[q.seqs[n]] && q.seqs[n] < msgFloor {
			n++
		}
		if n > 0 {
			before := min(msgFloor, q.seqs[n-1]+1)
			if n < len(q.seqs) {
				before = min(before, q.seqs[n])
			}
			purges = append(purges, purge{queue: name, before: before})
		}
		// Dead messages behind a live one: removed one by one when there are
		// many, or when their tombstones hold the state stream far back.
		if len(q.dead) > n {
			many := len(q.dead)-n > pinnedDeadMax
			for seq := range q.dead {
				if (n == len(q.seqs) || seq >= q.seqs[n]) && (many || s.stateOf[seq].seq+pinnedLag < s.maxState) {
					oneByOne = append(oneByOne, seq)
				}
			}
		}
	}
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, p := range purges {
		err := s.msgs.Purge(ctx, jetstream.WithPurgeSubject(msgSubject+p.queue), jetstream.WithPurgeSequence(p.before))
		s.mu.Lock()
		if err != nil {
			slog.Warn("sqs: compacting a queue's messages", "queue", p.queue, "err", err)
			s.dirty = true
		} else if q := s.queues[p.queue]; q != nil {
			n, _ := slices.BinarySearch(q.seqs, p.before)
			s.forgetLocked(q, n)
		}
		s.mu.Unlock()
	}
	for _, seq := range oneByOne {
		err := s.msgs.DeleteMsg(ctx, seq)
		s.mu.Lock()
		if err != nil && !notFound(err) {
			slog.Warn("sqs: removing a deleted message", "seq", seq, "err", err)
			s.dirty = true
		} else if q := s.queues[s.owner[seq]]; q != nil {
			if i, ok := slices.BinarySearch(q.seqs, seq); ok {
				q.seqs = slices.Delete(q.seqs, i, i+1)
			}
			delete(q.dead, seq)
			delete(s.owner, seq)
			delete(s.stateOf, seq)
		}
		s.mu.Unlock()
	}
	s.compactStates(ctx)
}

// compactStates purges the state stream below the oldest entry still
// needed, writing live states that pin it far behind its end again.
func (s *Store) compactStates(ctx context.Context) {
	s.mu.Lock()
	lowest := minFloor(s.stateFloors)
	if m := s.maxState + 1; m < lowest {
		lowest = m
	}
	var rewrite []msgstore.State
	for seq, ref := range s.stateOf {
		if ref.data != nil && ref.seq+pinnedLag < s.maxState {
			rewrite = append(rewrite, msgstore.State{Queue: s.owner[seq], Seq: seq, Data: ref.data})
			continue
		}
		lowest = min(lowest, ref.seq)
	}
	s.mu.Unlock()
	if len(rewrite) > 0 {
		if err := s.writeStates(ctx, rewrite); err != nil {
			slog.Warn("sqs: rewriting message states", "err", err)
			return
		}
		s.mu.Lock()
		for _, st := range rewrite {
			if ref, ok := s.stateOf[st.Seq]; ok {
				lowest = min(lowest, ref.seq)
			}
		}
		s.mu.Unlock()
	}
	info, err := s.states.Info(ctx)
	if err != nil || info.State.Msgs == 0 || info.State.FirstSeq >= lowest {
		return
	}
	if err := s.states.Purge(ctx, jetstream.WithPurgeSequence(lowest)); err != nil {
		slog.Warn("sqs: compacting message states", "err", err)
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
	}
}

func minFloor(floors map[int]uint64) uint64 {
	m := ^uint64(0)
	for _, f := range floors {
		m = min(m, f)
	}
	return m
}

// Load reads the states first, to know the tombstones, then the messages,
// then hands over the states of the messages alive.
func (s *Store) Load(ctx context.Context, rec func(msgstore.Record) error, state func(msgstore.State) error) error {
	type loaded struct {
		queue string
		ref   stateRef
	}
	states := map[uint64]loaded{}
	err := each(ctx, s.states, func(subject string, seq uint64, data []byte) error {
		rest, _ := strings.CutPrefix(subject, stateSubject)
		dot := strings.LastIndexByte(rest, '.')
		if dot <= 0 {
			return nil
		}
		msgSeq, err := strconv.ParseUint(rest[dot+1:], 10, 64)
		if err != nil {
			return nil
		}
		if len(data) > 0 {
			data = slices.Clone(data)
		} else {
			data = nil
		}
		states[msgSeq] = loaded{queue: rest[:dot], ref: stateRef{seq: seq, data: data}}
		s.mu.Lock()
		s.maxState = max(s.maxState, seq)
		s.mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	err = each(ctx, s.msgs, func(subject string, seq uint64, data []byte) error {
		q, ok := strings.CutPrefix(subject, msgSubject)
		if !ok {
			return nil
		}
		st, hasState := states[seq]
		s.mu.Lock()
		s.addLocked(q, seq)
		if hasState {
			s.stateOf[seq] = st.ref
			if st.ref.data == nil {
				s.queues[q].dead[seq] = true
				s.dirty = true
			}
		}
		s.mu.Unlock()
		if hasState && st.ref.data == nil {
			return nil
		}
		return rec(msgstore.Record{Queue: q, Seq: seq, Data: data})
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.dirty = true // states of messages gone are purged by the next compaction
	s.mu.Unlock()
	seqs := make([]uint64, 0, len(states))
	for seq := range states {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	for _, seq := range seqs {
		st := states[seq]
		s.mu.Lock()
		q, alive := s.owner[seq]
		alive = alive && !s.queues[q].dead[seq]
		s.mu.Unlock()
		if !alive || st.ref.data == nil {
			continue
		}
		if err := state(msgstore.State{Queue: st.queue, Seq: seq, Data: st.ref.data}); err != nil {
			return err
		}
	}
	return nil
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
