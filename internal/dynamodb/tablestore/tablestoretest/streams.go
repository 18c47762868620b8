package tablestoretest

import (
	"context"
	"errors"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

const label1, label2 = "2025-01-01T00:00:00.000", "2025-01-02T00:00:00.000"

func streamTable(name, viewType string) tablestore.Table {
	t := newTable(name, "pk", attr.S, "sk", attr.N)
	t.Stream = tablestore.StreamSpec{Enabled: true, ViewType: viewType, Label: label1}
	return t
}

func (h *harness) records(table, label string, from uint64) []tablestore.StreamRecord {
	h.t.Helper()
	recs, err := h.s.ReadStream(h.ctx(), table, label, from, 0)
	h.must(err)
	return recs
}

func testStreamRecords(h *harness) {
	t := h.create(streamTable("t", "NEW_AND_OLD_IMAGES"))
	before := time.Now().Add(-time.Second)
	k1 := attr.Item{"pk": S("a"), "sk": N("1")}
	v1 := attr.Item{"pk": S("a"), "sk": N("1"), "v": S("one")}
	v2 := attr.Item{"pk": S("a"), "sk": N("1"), "v": S("two")}
	other := attr.Item{"pk": S("b"), "sk": N("2"), "x": N("5")}
	h.put(t, v1)
	h.put(t, other)
	h.put(t, v2)
	// Neither an ErrNoChange nor a delete of nothing makes a record.
	h.must(h.s.Write(h.ctx(), []tablestore.Op{{Table: "t", Key: k1, Apply: func(attr.Item) (attr.Item, error) { return nil, tablestore.ErrNoChange }}}))
	h.del(t, attr.Item{"pk": S("zzz"), "sk": N("1")})
	ttl := &tablestore.Identity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
	del := delOp(t, k1)
	del.Identity = ttl
	h.must(h.s.Write(h.ctx(), []tablestore.Op{del}))

	recs := h.records("t", label1, 0)
	want := []struct {
		event    string
		keys     attr.Item
		old, new attr.Item
		identity *tablestore.Identity
	}{
		{"INSERT", k1, nil, v1, nil},
		{"INSERT", keyOf(t, other), nil, other, nil},
		{"MODIFY", k1, v1, v2, nil},
		{"REMOVE", k1, v2, nil, ttl},
	}
	if len(recs) != len(want) {
		h.t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		r := recs[i]
		wantSize := attr.ItemSize(w.keys)
		if w.old != nil {
			wantSize += attr.ItemSize(w.old)
		}
		if w.new != nil {
			wantSize += attr.ItemSize(w.new)
		}
		if r.Seq != uint64(i+1) || r.Event != w.event || !sameItem(r.Keys, w.keys) || !sameItem(r.Old, w.old) || !sameItem(r.New, w.new) || r.Size != wantSize {
			h.t.Errorf("record %d = seq %d %s keys %s old %s new %s size %d, want seq %d %s keys %s old %s new %s size %d", i,
				r.Seq, r.Event, show(r.Keys), show(r.Old), show(r.New), r.Size, i+1, w.event, show(w.keys), show(w.old), show(w.new), wantSize)
		}
		if (r.Identity == nil) != (w.identity == nil) || r.Identity != nil && *r.Identity != *w.identity {
			h.t.Errorf("record %d identity %+v, want %+v", i, r.Identity, w.identity)
		}
		if r.Time.Before(before) || r.Time.After(time.Now().Add(time.Second)) || i > 0 && r.Time.Before(recs[i-1].Time) {
			h.t.Errorf("record %d time %v", i, r.Time)
		}
	}
	// Reading from the middle, with a limit.
	recs, err := h.s.ReadStream(h.ctx(), "t", label1, 2, 2)
	h.must(err)
	if len(recs) != 2 || recs[0].Seq != 2 || recs[1].Seq != 3 {
		h.t.Fatalf("ReadStream(2, 2) = %d records", len(recs))
	}
	if recs := h.records("t", label1, 5); len(recs) != 0 {
		h.t.Fatalf("ReadStream past the end = %d records", len(recs))
	}
	si, err := h.s.Stream(h.ctx(), "t", label1)
	h.must(err)
	if si.Table != "t" || si.Label != label1 || si.ViewType != "NEW_AND_OLD_IMAGES" || !si.Enabled ||
		si.First != 1 || si.Last != 4 || si.Next != 5 || si.Key != t.Key || !si.Created.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		h.t.Fatalf("StreamInfo = %+v", si)
	}
	if _, err := h.s.ReadStream(h.ctx(), "t", "nope", 0, 0); !errors.Is(err, tablestore.ErrStreamNotFound) {
		h.t.Fatalf("ReadStream of no stream: %v", err)
	}
	// A table without a stream writes none.
	u := h.create(newTable("u", "pk", attr.S, "sk", attr.N))
	h.put(u, v1)
	all, err := h.s.Streams(h.ctx(), "")
	h.must(err)
	if len(all) != 1 || all[0].Table != "t" {
		h.t.Fatalf("Streams = %+v", all)
	}
}

func testStreamViewTypes(h *harness) {
	for _, vt := range []string{"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"} {
		t := h.create(streamTable(vt, vt))
		v1 := attr.Item{"pk": S("a"), "sk": N("1"), "v": S("one")}
		v2 := attr.Item{"pk": S("a"), "sk": N("1"), "v": S("two")}
		h.put(t, v1)
		h.put(t, v2)
		h.del(t, keyOf(t, v1))
		recs := h.records(vt, label1, 0)
		if len(recs) != 3 {
			h.t.Fatalf("%s: %d records", vt, len(recs))
		}
		keepOld := vt == "OLD_IMAGE" || vt == "NEW_AND_OLD_IMAGES"
		keepNew := vt == "NEW_IMAGE" || vt == "NEW_AND_OLD_IMAGES"
		images := [][2]attr.Item{{nil, v1}, {v1, v2}, {v2, nil}}
		for i, r := range recs {
			wantOld, wantNew := images[i][0], images[i][1]
			if !keepOld {
				wantOld = nil
			}
			if !keepNew {
				wantNew = nil
			}
			size := attr.ItemSize(keyOf(t, v1))
			if wantOld != nil {
				size += attr.ItemSize(wantOld)
			}
			if wantNew != nil {
				size += attr.ItemSize(wantNew)
			}
			if !sameItem(r.Old, wantOld) || !sameItem(r.New, wantNew) || !sameItem(r.Keys, keyOf(t, v1)) || r.Size != size {
				h.t.Errorf("%s record %d: keys %s old %s new %s size %d, want old %s new %s size %d", vt, i,
					show(r.Keys), show(r.Old), show(r.New), r.Size, show(wantOld), show(wantNew), size)
			}
		}
	}
}

func testStreamOffOn(h *harness) {
	t := h.create(streamTable("t", "NEW_IMAGE"))
	h.put(t, attr.Item{"pk": S("a"), "sk": N("1")})
	got, err := h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		t.Stream.Enabled = false
		return nil
	})
	h.must(err)
	if got.Stream.Enabled || got.Stream.Label != label1 {
		h.t.Fatalf("stream spec after turning it off: %+v", got.Stream)
	}
	si, err := h.s.Stream(h.ctx(), "t", label1)
	h.must(err)
	if si.Enabled || si.Last != 1 {
		h.t.Fatalf("ended stream: %+v", si)
	}
	h.put(t, attr.Item{"pk": S("a"), "sk": N("2")})
	if recs := h.records("t", label1, 0); len(recs) != 1 {
		h.t.Fatalf("ended stream got %d records, want 1", len(recs))
	}
	_, err = h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		t.Stream = tablestore.StreamSpec{Enabled: true, ViewType: "KEYS_ONLY", Label: label2}
		return nil
	})
	h.must(err)
	h.put(t, attr.Item{"pk": S("a"), "sk": N("3"), "v": S("x")})
	recs := h.records("t", label2, 0)
	if len(recs) != 1 || recs[0].Seq != 1 || recs[0].New != nil || recs[0].Keys["sk"].N != "3" {
		h.t.Fatalf("new stream records: %+v", recs)
	}
	if recs := h.records("t", label1, 0); len(recs) != 1 {
		h.t.Fatalf("old stream got %d records, want 1", len(recs))
	}
	all, err := h.s.Streams(h.ctx(), "t")
	h.must(err)
	if len(all) != 2 || all[0].Label != label2 || !all[0].Enabled || all[1].Label != label1 || all[1].Enabled {
		h.t.Fatalf("Streams newest first: %+v", all)
	}
	// Deleting the table ends the stream and keeps it.
	_, err = h.s.DeleteTable(h.ctx(), "t")
	h.must(err)
	si, err = h.s.Stream(h.ctx(), "t", label2)
	h.must(err)
	if si.Enabled || si.Last != 1 {
		h.t.Fatalf("stream of a deleted table: %+v", si)
	}
}

func testStreamTrim(h *harness) {
	t := h.create(streamTable("t", "KEYS_ONLY"))
	for i := range 5 {
		h.put(t, attr.Item{"pk": S("a"), "sk": N(itoa(i))})
	}
	time.Sleep(5 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(5 * time.Millisecond)
	for i := 5; i < 8; i++ {
		h.put(t, attr.Item{"pk": S("a"), "sk": N(itoa(i))})
	}
	h.must(h.s.TrimStreams(h.ctx(), cutoff))
	if _, err := h.s.ReadStream(h.ctx(), "t", label1, 1, 0); !errors.Is(err, tablestore.ErrTrimmed) {
		h.t.Fatalf("ReadStream below the trim: %v, want ErrTrimmed", err)
	}
	if _, err := h.s.ReadStream(h.ctx(), "t", label1, 5, 0); !errors.Is(err, tablestore.ErrTrimmed) {
		h.t.Fatalf("ReadStream just below the trim: %v, want ErrTrimmed", err)
	}
	recs := h.records("t", label1, 0)
	if len(recs) != 3 || recs[0].Seq != 6 {
		h.t.Fatalf("after trim: %d records from %v", len(recs), recs)
	}
	if recs := h.records("t", label1, 6); len(recs) != 3 {
		h.t.Fatalf("from the oldest kept: %d records", len(recs))
	}
	si, err := h.s.Stream(h.ctx(), "t", label1)
	h.must(err)
	if si.First != 6 || si.Last != 8 || si.Next != 9 {
		h.t.Fatalf("after trim: %+v", si)
	}
	// Trimming everything keeps an enabled stream, empty, its numbers going on.
	h.must(h.s.TrimStreams(h.ctx(), time.Now().Add(time.Hour)))
	si, err = h.s.Stream(h.ctx(), "t", label1)
	h.must(err)
	if si.First != 0 || si.Last != 0 || si.Next != 9 {
		h.t.Fatalf("after trimming all: %+v", si)
	}
	if _, err := h.s.ReadStream(h.ctx(), "t", label1, 8, 0); !errors.Is(err, tablestore.ErrTrimmed) {
		h.t.Fatalf("ReadStream of a trimmed record of an empty stream: %v", err)
	}
	if recs := h.records("t", label1, 9); len(recs) != 0 {
		h.t.Fatalf("ReadStream from Next: %d records", len(recs))
	}
	h.put(t, attr.Item{"pk": S("a"), "sk": N("9")})
	if recs := h.records("t", label1, 0); len(recs) != 1 || recs[0].Seq != 9 {
		h.t.Fatalf("after trimming all and a write: %+v", recs)
	}
	// A disabled stream goes once it is empty.
	_, err = h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		t.Stream.Enabled = false
		return nil
	})
	h.must(err)
	h.must(h.s.TrimStreams(h.ctx(), cutoff))
	if _, err := h.s.Stream(h.ctx(), "t", label1); err != nil {
		h.t.Fatalf("a disabled stream with records went: %v", err)
	}
	h.must(h.s.TrimStreams(h.ctx(), time.Now().Add(time.Hour)))
	if _, err := h.s.Stream(h.ctx(), "t", label1); !errors.Is(err, tablestore.ErrStreamNotFound) {
		h.t.Fatalf("a disabled, empty stream after trim: %v", err)
	}
	// Many records trim too (an implementation may work in chunks).
	u := h.create(streamTable("u", "KEYS_ONLY"))
	var items []attr.Item
	for i := range 2500 {
		items = append(items, attr.Item{"pk": S("a"), "sk": N(itoa(i))})
	}
	h.put(u, items...)
	h.must(h.s.TrimStreams(h.ctx(), time.Now().Add(time.Hour)))
	if si, err := h.s.Stream(h.ctx(), "u", label1); err != nil || si.First != 0 || si.Next != 2501 {
		h.t.Fatalf("after trimming 2500: %+v %v", si, err)
	}
}

func testWaitStream(h *harness) {
	t := h.create(streamTable("t", "KEYS_ONLY"))
	h.put(t, attr.Item{"pk": S("a"), "sk": N("1")})
	// A record there: at once.
	ctx, cancel := context.WithTimeout(h.ctx(), 5*time.Second)
	defer cancel()
	h.must(h.s.WaitStream(ctx, "t", label1, 1))
	h.must(h.s.WaitStream(ctx, "t", label1, 0))
	// None yet: it waits for the commit that adds one.
	done := make(chan error, 1)
	go func() { done <- h.s.WaitStream(ctx, "t", label1, 2) }()
	select {
	case err := <-done:
		h.t.Fatalf("WaitStream returned before a record: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	// Writes elsewhere do not wake it for good.
	u := h.create(newTable("u", "pk", attr.S, "sk", attr.N))
	h.put(u, attr.Item{"pk": S("a"), "sk": N("1")})
	select {
	case err := <-done:
		h.t.Fatalf("WaitStream returned after another table's write: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	h.put(t, attr.Item{"pk": S("a"), "sk": N("2")})
	select {
	case err := <-done:
		h.must(err)
	case <-time.After(5 * time.Second):
		h.t.Fatal("WaitStream not woken by a commit")
	}
	// The context ends it.
	short, cancelShort := context.WithTimeout(h.ctx(), 20*time.Millisecond)
	defer cancelShort()
	if err := h.s.WaitStream(short, "t", label1, 3); !errors.Is(err, context.DeadlineExceeded) {
		h.t.Fatalf("WaitStream past its deadline: %v", err)
	}
	// Turning the stream off wakes a waiter: nothing more will come.
	go func() { done <- h.s.WaitStream(ctx, "t", label1, 3) }()
	time.Sleep(10 * time.Millisecond)
	_, err := h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		t.Stream.Enabled = false
		return nil
	})
	h.must(err)
	select {
	case err := <-done:
		h.must(err)
	case <-time.After(5 * time.Second):
		h.t.Fatal("WaitStream not woken by the stream's end")
	}
	if err := h.s.WaitStream(ctx, "t", "nope", 0); !errors.Is(err, tablestore.ErrStreamNotFound) {
		h.t.Fatalf("WaitStream of no stream: %v", err)
	}
}
