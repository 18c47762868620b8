// Package msgstoretest is the conformance suite every msgstore.Store runs.
package msgstoretest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stratus-run/stratus/internal/sqs/msgstore"
)

// Harness opens a store on fresh storage, and reopens it on the same storage
// after closing the previous one (the restart of a process).
type Harness interface {
	Open(t *testing.T) msgstore.Store
	Reopen(t *testing.T) msgstore.Store
}

// Run runs the suite against stores h opens.
func Run(t *testing.T, h func(t *testing.T) Harness) {
	t.Run("AppendLoadInOrder", func(t *testing.T) { testAppendLoad(t, h(t)) })
	t.Run("StatesReplaceAndSurvive", func(t *testing.T) { testStates(t, h(t)) })
	t.Run("DeleteDropsMessageAndState", func(t *testing.T) { testDelete(t, h(t)) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, h(t)) })
}

type loaded struct {
	recs   []msgstore.Record
	states map[uint64]string
}

func load(t *testing.T, s msgstore.Store) loaded {
	t.Helper()
	l := loaded{states: map[uint64]string{}}
	err := s.Load(context.Background(), func(r msgstore.Record) error {
		l.recs = append(l.recs, r)
		return nil
	}, func(st msgstore.State) error {
		l.states[st.Seq] = st.Queue + ":" + string(st.Data)
		return nil
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return l
}

func datas(recs []msgstore.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Queue+":"+string(r.Data))
	}
	return out
}

func appendN(t *testing.T, s msgstore.Store, queue string, data ...string) []uint64 {
	t.Helper()
	var b [][]byte
	for _, d := range data {
		b = append(b, []byte(d))
	}
	seqs, err := s.Append(context.Background(), queue, b)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if len(seqs) != len(data) {
		t.Fatalf("Append gave %d seqs for %d messages", len(seqs), len(data))
	}
	return seqs
}

func testAppendLoad(t *testing.T, h Harness) {
	s := h.Open(t)
	a := appendN(t, s, "qa", "1", "2")
	b := appendN(t, s, "qb", "3")
	all := append(a, b...)
	if !slices.IsSorted(all) || all[0] == 0 {
		t.Fatalf("sequence numbers %v are not rising from 1", all)
	}
	last, err := s.LastSeq(context.Background())
	if err != nil || last != all[2] {
		t.Fatalf("LastSeq = %d, %v; want %d", last, err, all[2])
	}
	want := []string{"qa:1", "qa:2", "qb:3"}
	if got := datas(load(t, s).recs); !slices.Equal(got, want) {
		t.Fatalf("Load = %v, want %v", got, want)
	}
	s = h.Reopen(t)
	l := load(t, s)
	if got := datas(l.recs); !slices.Equal(got, want) {
		t.Fatalf("after reopen Load = %v, want %v", got, want)
	}
	for i, r := range l.recs {
		if r.Seq != all[i] {
			t.Fatalf("record %d has seq %d, want %d", i, r.Seq, all[i])
		}
	}
}

func testStates(t *testing.T, h Harness) {
	s := h.Open(t)
	seqs := appendN(t, s, "q", "m1", "m2")
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if err := s.SetStates(ctx, []msgstore.State{{Queue: "q", Seq: seqs[0], Data: []byte(fmt.Sprint(i))}}); err != nil {
			t.Fatalf("SetStates: %v", err)
		}
	}
	s = h.Reopen(t)
	l := load(t, s)
	if len(l.states) != 1 || l.states[seqs[0]] != "q:3" {
		t.Fatalf("states after reopen = %v, want only {%d: q:3}", l.states, seqs[0])
	}
}

func testDelete(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	seqs := appendN(t, s, "q", "a", "b", "c")
	if err := s.SetStates(ctx, []msgstore.State{{Queue: "q", Seq: seqs[1], Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, []uint64{seqs[1], seqs[1] + 1000}); err != nil {
		t.Fatalf("Delete (with a sequence never stored): %v", err)
	}
	if err := s.Delete(ctx, []uint64{seqs[1]}); err != nil {
		t.Fatalf("Delete twice: %v", err)
	}
	s = h.Reopen(t)
	l := load(t, s)
	if got := datas(l.recs); !slices.Equal(got, []string{"q:a", "q:c"}) {
		t.Fatalf("Load after delete = %v", got)
	}
	if len(l.states) != 0 {
		t.Fatalf("state of a deleted message survived: %v", l.states)
	}
}

func testPurge(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := context.Background()
	a := appendN(t, s, "qa", "a1", "a2", "a3")
	appendN(t, s, "qb", "b1")
	if err := s.SetStates(ctx, []msgstore.State{{Queue: "qa", Seq: a[0], Data: []byte("x")}, {Queue: "qa", Seq: a[2], Data: []byte("y")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx, "qa", a[2]); err != nil {
		t.Fatalf("Purge before: %v", err)
	}
	l := load(t, s)
	if got := datas(l.recs); !slices.Equal(got, []string{"qa:a3", "qb:b1"}) {
		t.Fatalf("after Purge(before %d) = %v", a[2], got)
	}
	if len(l.states) != 1 || l.states[a[2]] != "qa:y" {
		t.Fatalf("states after partial purge = %v", l.states)
	}
	if err := s.Purge(ctx, "qa", 0); err != nil {
		t.Fatalf("Purge all: %v", err)
	}
	s = h.Reopen(t)
	l = load(t, s)
	if got := datas(l.recs); !slices.Equal(got, []string{"qb:b1"}) {
		t.Fatalf("after Purge all = %v", got)
	}
	if len(l.states) != 0 {
		t.Fatalf("states after purge = %v", l.states)
	}
}
