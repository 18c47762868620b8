package jsstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/sqs/msgstore"
	"github.com/stratus-run/stratus/internal/sqs/msgstore/msgstoretest"
	"github.com/stratus-run/stratus/internal/store"
)

type harness struct {
	dir string
	st  *store.Store
	s   *Store
}

func (h *harness) Open(t *testing.T) msgstore.Store {
	t.Helper()
	ctx := context.Background()
	h.st = &store.Store{Dir: h.dir}
	if err := h.st.Open(ctx); err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	s, err := Open(ctx, h.st)
	if err != nil {
		t.Fatalf("jsstore.Open: %v", err)
	}
	h.s = s
	return s
}

func (h *harness) close() {
	if h.s != nil {
		h.s.Close()
		h.s = nil
	}
	if h.st != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.st.Close(ctx) //nolint:errcheck
		h.st = nil
	}
}

func (h *harness) Reopen(t *testing.T) msgstore.Store {
	h.close()
	return h.Open(t)
}

func TestConformance(t *testing.T) {
	msgstoretest.Run(t, func(t *testing.T) msgstoretest.Harness {
		h := &harness{dir: t.TempDir()}
		t.Cleanup(h.close)
		return h
	})
}

func streamMsgs(t *testing.T, s *Store) (msgs, states uint64) {
	t.Helper()
	ctx := context.Background()
	mi, err := s.msgs.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	si, err := s.states.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return mi.State.Msgs, si.State.Msgs
}

func appendData(t *testing.T, s *Store, queue string, n int) []uint64 {
	t.Helper()
	data := make([][]byte, n)
	for i := range data {
		data[i] = []byte(fmt.Sprintf("m%d", i))
	}
	seqs, err := s.Append(context.Background(), queue, data)
	if err != nil {
		t.Fatal(err)
	}
	return seqs
}

func setState(t *testing.T, s *Store, queue string, seqs []uint64) {
	t.Helper()
	states := make([]msgstore.State, len(seqs))
	for i, seq := range seqs {
		states[i] = msgstore.State{Queue: queue, Seq: seq, Data: []byte(`{"c":1}`)}
	}
	if err := s.SetStates(context.Background(), states); err != nil {
		t.Fatal(err)
	}
}

// TestCompaction: deleted messages and their states leave both streams, by
// purges, without a per-message delete.
func TestCompaction(t *testing.T) {
	h := &harness{dir: t.TempDir()}
	t.Cleanup(h.close)
	s := h.Open(t).(*Store)
	seqs := appendData(t, s, "q1", 200)
	other := appendData(t, s, "q2", 10)
	setState(t, s, "q1", seqs)
	if err := s.Delete(context.Background(), seqs); err != nil {
		t.Fatal(err)
	}
	s.compact()
	if m, st := streamMsgs(t, s); m != 10 || st != 0 {
		t.Fatalf("after compaction: %d messages (want q2's 10), %d states (want 0)", m, st)
	}
	s = h.Reopen(t).(*Store)
	got := load(t, s)
	if len(got) != 10 || got[0] != other[0] {
		t.Fatalf("reloaded %v, want q2's messages", got)
	}
}

// TestPinned: a message that stays alive at the head of its queue does not
// hold back the removal of the dead behind it, nor of the state stream.
func TestPinned(t *testing.T) {
	h := &harness{dir: t.TempDir()}
	t.Cleanup(h.close)
	s := h.Open(t).(*Store)
	head := appendData(t, s, "q", 1)
	setState(t, s, "q", head)
	for range 3 {
		seqs := appendData(t, s, "q", 2000)
		setState(t, s, "q", seqs)
		if err := s.Delete(context.Background(), seqs); err != nil {
			t.Fatal(err)
		}
		s.compact()
	}
	s.compact()
	m, st := streamMsgs(t, s)
	t.Logf("pinned: %d messages, %d states left of 6001", m, st)
	if m > 1+pinnedDeadMax || st > pinnedLag+1+pinnedDeadMax {
		t.Fatalf("pinned: %d messages, %d states left", m, st)
	}
	s = h.Reopen(t).(*Store)
	var states []msgstore.State
	var recs []uint64
	if err := s.Load(context.Background(), func(r msgstore.Record) error { recs = append(recs, r.Seq); return nil },
		func(x msgstore.State) error { states = append(states, x); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0] != head[0] || len(states) != 1 || states[0].Seq != head[0] || string(states[0].Data) != `{"c":1}` {
		t.Fatalf("reloaded %v with states %v, want only the head and its state", recs, states)
	}
}

// TestStateAfterDelete: a state written for a message already deleted does
// not bring it back.
func TestStateAfterDelete(t *testing.T) {
	h := &harness{dir: t.TempDir()}
	t.Cleanup(h.close)
	s := h.Open(t).(*Store)
	seqs := appendData(t, s, "q", 1)
	if err := s.Delete(context.Background(), seqs); err != nil {
		t.Fatal(err)
	}
	setState(t, s, "q", seqs)
	s = h.Reopen(t).(*Store)
	if got := load(t, s); len(got) != 0 {
		t.Fatalf("deleted message came back: %v", got)
	}
}

func load(t *testing.T, s *Store) []uint64 {
	t.Helper()
	var seqs []uint64
	if err := s.Load(context.Background(), func(r msgstore.Record) error { seqs = append(seqs, r.Seq); return nil },
		func(msgstore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return seqs
}
