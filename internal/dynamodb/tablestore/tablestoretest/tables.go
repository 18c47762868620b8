package tablestoretest

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// fullTable is a table with every field set.
func fullTable(name string) tablestore.Table {
	t := newTable(name, "pk", attr.S, "sk", attr.N)
	t.Status = "CREATING"
	t.BillingMode = "PROVISIONED"
	t.BillingModeChanged = time.Date(2025, 2, 3, 4, 5, 6, 7000000, time.UTC)
	t.Throughput = tablestore.Throughput{Read: 5, Write: 7, LastIncrease: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), DecreasesToday: 2}
	t.TTL = tablestore.TTLSpec{Attribute: "exp", Enabled: true}
	t.Tags = map[string]string{"team": "a", "env": "dev"}
	t.DeletionProtection = true
	t.TableClass = "STANDARD_INFREQUENT_ACCESS"
	t.SSE = map[string]string{"Status": "ENABLED", "SSEType": "KMS"}
	addIndex(&t, "lsi", false, "pk", attr.S, "l", attr.B, "INCLUDE", "x", "y")
	addIndex(&t, "gsi", true, "g", attr.N, "", attr.Invalid, "KEYS_ONLY")
	t.Indexes[1].Throughput = tablestore.Throughput{Read: 1, Write: 2}
	return t
}

func (h *harness) wantTable(got, want tablestore.Table) {
	h.t.Helper()
	if !reflect.DeepEqual(got, want) {
		h.t.Fatalf("table =\n%+v\nwant\n%+v", got, want)
	}
}

func testTables(h *harness) {
	want := fullTable("b-table")
	h.create(want)
	h.create(newTable("a-table", "id", attr.S, "", attr.Invalid))
	h.create(newTable("c", "id", attr.B, "", attr.Invalid))
	err := h.s.CreateTable(h.ctx(), newTable("b-table", "x", attr.S, "", attr.Invalid))
	if !errors.Is(err, tablestore.ErrTableExists) {
		h.t.Fatalf("CreateTable of a taken name: %v, want ErrTableExists", err)
	}
	got, err := h.s.Table(h.ctx(), "b-table")
	h.must(err)
	h.wantTable(got, want)

	// What Table returns is the caller's.
	got.Tags["team"] = "changed"
	got.Indexes[0].Projection.NonKeyAttributes[0] = "changed"
	got.Attributes[0].Name = "changed"
	again, err := h.s.Table(h.ctx(), "b-table")
	h.must(err)
	h.wantTable(again, want)

	names, err := h.s.Tables(h.ctx())
	h.must(err)
	if !slices.Equal(names, []string{"a-table", "b-table", "c"}) {
		h.t.Fatalf("Tables = %q", names)
	}
}

func testTableNotFound(h *harness) {
	ctx := h.ctx()
	key := attr.Item{"id": S("x")}
	nf := func(what string, err error) {
		h.t.Helper()
		if !errors.Is(err, tablestore.ErrTableNotFound) {
			h.t.Errorf("%s: %v, want ErrTableNotFound", what, err)
		}
	}
	_, err := h.s.Table(ctx, "none")
	nf("Table", err)
	_, err = h.s.Get(ctx, "none", key)
	nf("Get", err)
	nf("Write", h.s.Write(ctx, []tablestore.Op{{Table: "none", Key: key, Apply: func(attr.Item) (attr.Item, error) { return key, nil }}}))
	nf("Query", h.s.Query(ctx, tablestore.Query{Table: "none", Hash: S("x")}, func(attr.Item) bool { return true }))
	nf("Scan", h.s.Scan(ctx, tablestore.Scan{Table: "none"}, func(attr.Item) bool { return true }))
	_, err = h.s.Stats(ctx, "none", "")
	nf("Stats", err)
	_, err = h.s.UpdateTable(ctx, "none", func(*tablestore.Table) error { return nil })
	nf("UpdateTable", err)
	_, err = h.s.DeleteTable(ctx, "none")
	nf("DeleteTable", err)

	h.create(newTable("t", "id", attr.S, "", attr.Invalid))
	_, err = h.s.Stats(ctx, "t", "nope")
	if !errors.Is(err, tablestore.ErrIndexNotFound) {
		h.t.Errorf("Stats of a missing index: %v", err)
	}
	err = h.s.Query(ctx, tablestore.Query{Table: "t", Index: "nope", Hash: S("x")}, func(attr.Item) bool { return true })
	if !errors.Is(err, tablestore.ErrIndexNotFound) {
		h.t.Errorf("Query of a missing index: %v", err)
	}
	err = h.s.Scan(ctx, tablestore.Scan{Table: "t", Index: "nope"}, func(attr.Item) bool { return true })
	if !errors.Is(err, tablestore.ErrIndexNotFound) {
		h.t.Errorf("Scan of a missing index: %v", err)
	}
	_, err = h.s.Stream(ctx, "t", "2025-01-01T00:00:00.000")
	if !errors.Is(err, tablestore.ErrStreamNotFound) {
		h.t.Errorf("Stream of a table without one: %v", err)
	}
}

func testUpdateTable(h *harness) {
	t := h.create(fullTable("t"))
	got, err := h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		t.Status = "ACTIVE"
		t.Throughput.Read = 50
		t.Tags["new"] = "tag"
		return nil
	})
	h.must(err)
	t.Status = "ACTIVE"
	t.Throughput.Read = 50
	t.Tags = map[string]string{"team": "a", "env": "dev", "new": "tag"}
	h.wantTable(got, t)
	stored, err := h.s.Table(h.ctx(), "t")
	h.must(err)
	h.wantTable(stored, t)

	// fn failing changes nothing and is returned.
	_, err = h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		t.Status = "DELETING"
		return errTest
	})
	if !errors.Is(err, errTest) {
		h.t.Fatalf("UpdateTable with fn failing: %v", err)
	}
	stored, err = h.s.Table(h.ctx(), "t")
	h.must(err)
	h.wantTable(stored, t)
}

func testDeleteTable(h *harness) {
	t := newTable("t", "pk", attr.S, "sk", attr.N)
	addIndex(&t, "g", true, "g", attr.S, "", attr.Invalid, "ALL")
	t.Stream = tablestore.StreamSpec{Enabled: true, ViewType: "NEW_IMAGE", Label: "2025-01-01T00:00:00.000"}
	h.create(t)
	var items []attr.Item
	for i := range 50 {
		items = append(items, attr.Item{"pk": S("a"), "sk": N(itoa(i)), "g": S("x")})
	}
	h.put(t, items...)
	old, err := h.s.DeleteTable(h.ctx(), "t")
	h.must(err)
	if old.Name != "t" || len(old.Indexes) != 1 || !old.Stream.Enabled {
		h.t.Fatalf("DeleteTable returned %+v", old)
	}
	if _, err := h.s.Table(h.ctx(), "t"); !errors.Is(err, tablestore.ErrTableNotFound) {
		h.t.Fatalf("Table after DeleteTable: %v", err)
	}
	if _, err := h.s.DeleteTable(h.ctx(), "t"); !errors.Is(err, tablestore.ErrTableNotFound) {
		h.t.Fatalf("DeleteTable again: %v", err)
	}
	// The stream stays, disabled, with its records.
	si, err := h.s.Stream(h.ctx(), "t", "2025-01-01T00:00:00.000")
	h.must(err)
	if si.Enabled || si.First != 1 || si.Last != 50 {
		h.t.Fatalf("stream after DeleteTable: %+v", si)
	}
	recs, err := h.s.ReadStream(h.ctx(), "t", si.Label, 0, 100)
	h.must(err)
	if len(recs) != 50 {
		h.t.Fatalf("%d records after DeleteTable", len(recs))
	}

	// The name is free, and the new table has nothing of the old.
	t2 := newTable("t", "pk", attr.S, "sk", attr.N)
	addIndex(&t2, "g", true, "g", attr.S, "", attr.Invalid, "ALL")
	h.create(t2)
	if got := h.scan(tablestore.Scan{Table: "t"}); len(got) != 0 {
		h.t.Fatalf("new table has %d items", len(got))
	}
	if got := h.query(tablestore.Query{Table: "t", Index: "g", Hash: S("x")}); len(got) != 0 {
		h.t.Fatalf("new table's index has %d items", len(got))
	}
	if st := h.stats("t", ""); st != (tablestore.Stats{}) {
		h.t.Fatalf("new table's stats %+v", st)
	}
	if st := h.stats("t", "g"); st != (tablestore.Stats{}) {
		h.t.Fatalf("new table's index stats %+v", st)
	}
	if it := h.get(t2, attr.Item{"pk": S("a"), "sk": N("1")}); it != nil {
		h.t.Fatalf("new table has %s", show(it))
	}
	h.put(t2, attr.Item{"pk": S("b"), "sk": N("1"), "g": S("x")})
	if got := h.scan(tablestore.Scan{Table: "t", Index: "g"}); len(got) != 1 {
		h.t.Fatalf("new table's index has %d items, want 1", len(got))
	}
}

func testReopen(h *harness) {
	full := fullTable("full")
	full.Stream = tablestore.StreamSpec{Enabled: true, ViewType: "NEW_AND_OLD_IMAGES", Label: "2025-01-01T00:00:00.000"}
	h.create(full)
	plain := h.create(newTable("plain", "id", attr.N, "", attr.Invalid))
	var items []attr.Item
	for i := range 30 {
		items = append(items, attr.Item{"pk": S("p" + itoa(i%3)), "sk": N(itoa(i)), "g": N(itoa(i % 5)), "l": B(byte(i)), "x": S("xx")})
	}
	h.put(full, items...)
	h.put(plain, attr.Item{"id": N("-1.5"), "v": attr.Bool(true)})
	h.del(full, attr.Item{"pk": S("p0"), "sk": N("0")})
	wantTables, err := h.s.Tables(h.ctx())
	h.must(err)
	wantFull, err := h.s.Table(h.ctx(), "full")
	h.must(err)
	wantScan := h.scan(tablestore.Scan{Table: "full"})
	wantG := h.scan(tablestore.Scan{Table: "full", Index: "gsi"})
	wantStats := []tablestore.Stats{h.stats("full", ""), h.stats("full", "lsi"), h.stats("full", "gsi"), h.stats("plain", "")}
	wantStreams, err := h.s.Streams(h.ctx(), "")
	h.must(err)
	wantRecs, err := h.s.ReadStream(h.ctx(), "full", full.Stream.Label, 0, 1000)
	h.must(err)

	h.reopen()

	gotTables, err := h.s.Tables(h.ctx())
	h.must(err)
	if !slices.Equal(gotTables, wantTables) {
		h.t.Fatalf("Tables after reopen = %q, want %q", gotTables, wantTables)
	}
	gotFull, err := h.s.Table(h.ctx(), "full")
	h.must(err)
	h.wantTable(gotFull, wantFull)
	sameItems(h, "scan after reopen", h.scan(tablestore.Scan{Table: "full"}), wantScan)
	sameItems(h, "index scan after reopen", h.scan(tablestore.Scan{Table: "full", Index: "gsi"}), wantG)
	if it := h.get(plain, attr.Item{"id": N("-1.5")}); !sameItem(it, attr.Item{"id": N("-1.5"), "v": attr.Bool(true)}) {
		h.t.Fatalf("Get after reopen = %s", show(it))
	}
	gotStats := []tablestore.Stats{h.stats("full", ""), h.stats("full", "lsi"), h.stats("full", "gsi"), h.stats("plain", "")}
	if !slices.Equal(gotStats, wantStats) || wantStats[0].Items != 29 {
		h.t.Fatalf("stats after reopen = %+v, want %+v", gotStats, wantStats)
	}
	gotStreams, err := h.s.Streams(h.ctx(), "")
	h.must(err)
	if !reflect.DeepEqual(gotStreams, wantStreams) {
		h.t.Fatalf("streams after reopen = %+v, want %+v", gotStreams, wantStreams)
	}
	gotRecs, err := h.s.ReadStream(h.ctx(), "full", full.Stream.Label, 0, 1000)
	h.must(err)
	if len(gotRecs) != 31 || len(gotRecs) != len(wantRecs) {
		h.t.Fatalf("%d records after reopen, want 31", len(gotRecs))
	}
	for i := range gotRecs {
		g, w := gotRecs[i], wantRecs[i]
		if g.Seq != w.Seq || !g.Time.Equal(w.Time) || g.Event != w.Event || g.Size != w.Size ||
			!sameItem(g.Keys, w.Keys) || !sameItem(g.Old, w.Old) || !sameItem(g.New, w.New) {
			h.t.Fatalf("record %d after reopen = %+v, want %+v", i, g, w)
		}
	}
	// And it keeps working: the stream goes on from where it was.
	h.put(full, attr.Item{"pk": S("new"), "sk": N("1")})
	si, err := h.s.Stream(h.ctx(), "full", full.Stream.Label)
	h.must(err)
	if si.Last != 32 || si.Next != 33 {
		h.t.Fatalf("stream after a write after reopen: %+v", si)
	}
}

func testClosed(h *harness) {
	t := h.create(newTable("t", "id", attr.S, "", attr.Invalid))
	h.close()
	ctx := h.ctx()
	key := attr.Item{"id": S("x")}
	closed := func(what string, err error) {
		h.t.Helper()
		if !errors.Is(err, tablestore.ErrClosed) {
			h.t.Errorf("%s on a closed store: %v, want ErrClosed", what, err)
		}
	}
	_, err := h.s.Get(ctx, t.Name, key)
	closed("Get", err)
	closed("Write", h.s.Write(ctx, []tablestore.Op{putOp(t, key)}))
	_, err = h.s.Table(ctx, t.Name)
	closed("Table", err)
	closed("CreateTable", h.s.CreateTable(ctx, newTable("u", "id", attr.S, "", attr.Invalid)))
	closed("Scan", h.s.Scan(ctx, tablestore.Scan{Table: t.Name}, func(attr.Item) bool { return true }))
	_, err = h.s.Streams(ctx, "")
	closed("Streams", err)
}

// sameItems fails unless got and want hold the same items in the same order.
func sameItems(h *harness, what string, got, want []attr.Item) {
	h.t.Helper()
	if len(got) != len(want) {
		h.t.Fatalf("%s: %d items, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !sameItem(got[i], want[i]) {
			h.t.Fatalf("%s: item %d = %s, want %s", what, i, show(got[i]), show(want[i]))
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
