package tablestoretest

import (
	"errors"
	"slices"
	"sync"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// testLocalIndex: a local index holds the items with its range key, in its
// order, follows overwrites and deletes, and visits whole items.
func testLocalIndex(h *harness) {
	t := newTable("t", "pk", attr.S, "sk", attr.N)
	addIndex(&t, "lsi", false, "pk", attr.S, "l", attr.S, "KEYS_ONLY")
	h.create(t)
	h.put(t,
		attr.Item{"pk": S("a"), "sk": N("1"), "l": S("c"), "v": S("whole")},
		attr.Item{"pk": S("a"), "sk": N("2"), "l": S("a")},
		attr.Item{"pk": S("a"), "sk": N("3")}, // not in the index
		attr.Item{"pk": S("a"), "sk": N("4"), "l": N("1")},
		attr.Item{"pk": S("a"), "sk": N("5"), "l": S("b")},
		attr.Item{"pk": S("b"), "sk": N("1"), "l": S("a")},
	)
	q := tablestore.Query{Table: "t", Index: "lsi", Hash: S("a")}
	got := h.query(q)
	h.wantAttrs("lsi", got, "sk", nums(2, 5, 1))
	if got[2]["v"].Str != "whole" {
		h.t.Fatalf("index Query visits %s, want the whole item", show(got[2]))
	}
	// Overwrite moves the entry; losing the attribute drops it; gaining adds it.
	h.put(t,
		attr.Item{"pk": S("a"), "sk": N("1"), "l": S("0")},
		attr.Item{"pk": S("a"), "sk": N("2")},
		attr.Item{"pk": S("a"), "sk": N("3"), "l": S("z")},
	)
	h.wantAttrs("lsi after overwrites", h.query(q), "sk", nums(1, 5, 3))
	h.del(t, attr.Item{"pk": S("a"), "sk": N("5")})
	h.wantAttrs("lsi after delete", h.query(q), "sk", nums(1, 3))
	// Equal index keys are in table key order.
	h.put(t, attr.Item{"pk": S("a"), "sk": N("-7"), "l": S("z")}, attr.Item{"pk": S("a"), "sk": N("10"), "l": S("z")})
	h.wantAttrs("lsi ties", h.query(q), "sk", nums(1, -7, 3, 10))
	q.Backward = true
	h.wantAttrs("lsi ties backward", h.query(q), "sk", nums(10, 3, -7, 1))
	if st := h.stats("t", "lsi"); st.Items != 5 { // and pk b's
		h.t.Fatalf("lsi stats %+v", st)
	}
}

// testGlobalIndex: a sparse global index of another hash key, maintained on
// put, overwrite and delete.
func testGlobalIndex(h *harness) {
	t := newTable("t", "pk", attr.S, "sk", attr.N)
	addIndex(&t, "gsi", true, "g", attr.N, "gr", attr.B, "ALL")
	addIndex(&t, "ghash", true, "g", attr.N, "", attr.Invalid, "ALL")
	h.create(t)
	h.put(t,
		attr.Item{"pk": S("a"), "sk": N("1"), "g": N("7"), "gr": B(3)},
		attr.Item{"pk": S("b"), "sk": N("1"), "g": N("7"), "gr": B(1)},
		attr.Item{"pk": S("c"), "sk": N("1"), "g": N("7")},             // in ghash only
		attr.Item{"pk": S("d"), "sk": N("1"), "gr": B(1)},              // in neither
		attr.Item{"pk": S("e"), "sk": N("1"), "g": S("7"), "gr": B(1)}, // g of another kind: in neither
		attr.Item{"pk": S("f"), "sk": N("1"), "g": N("8"), "gr": B(2)},
	)
	q := tablestore.Query{Table: "t", Index: "gsi", Hash: N("7")}
	h.wantAttrs("gsi", h.query(q), "pk", []attr.Value{S("b"), S("a")})
	h.wantAttrs("ghash", h.query(tablestore.Query{Table: "t", Index: "ghash", Hash: N("7")}), "pk", []attr.Value{S("a"), S("b"), S("c")})
	h.wantAttrs("gsi 8", h.query(tablestore.Query{Table: "t", Index: "gsi", Hash: N("8")}), "pk", []attr.Value{S("f")})
	q.Range = &tablestore.Range{Op: ">", Values: [2]attr.Value{B(1)}}
	h.wantAttrs("gsi range", h.query(q), "pk", []attr.Value{S("a")})
	q.Range = nil

	// Change the index hash: the entry moves to the other hash key.
	h.put(t, attr.Item{"pk": S("a"), "sk": N("1"), "g": N("8"), "gr": B(3)})
	h.wantAttrs("gsi 7 after move", h.query(q), "pk", []attr.Value{S("b")})
	h.wantAttrs("gsi 8 after move", h.query(tablestore.Query{Table: "t", Index: "gsi", Hash: N("8")}), "pk", []attr.Value{S("f"), S("a")})
	// Dropping the index range key leaves gsi, stays in ghash.
	h.put(t, attr.Item{"pk": S("b"), "sk": N("1"), "g": N("7"), "other": S("x")})
	if got := h.query(q); len(got) != 0 {
		h.t.Fatalf("gsi 7 = %v, want none", attrs(got, "pk"))
	}
	got := h.query(tablestore.Query{Table: "t", Index: "ghash", Hash: N("7")})
	h.wantAttrs("ghash after", got, "pk", []attr.Value{S("b"), S("c")})
	if got[0]["other"].Str != "x" {
		h.t.Fatalf("ghash visits a stale item %s", show(got[0]))
	}
	h.del(t, attr.Item{"pk": S("c"), "sk": N("1")})
	h.wantAttrs("ghash after delete", h.query(tablestore.Query{Table: "t", Index: "ghash", Hash: N("7")}), "pk", []attr.Value{S("b")})
	for index, want := range map[string]int64{"gsi": 2, "ghash": 3, "": 5} {
		if st := h.stats("t", index); st.Items != want {
			h.t.Errorf("stats(%q) = %+v, want %d items", index, st, want)
		}
	}
}

// testIndexStart: on an index, Start (index key and table key) resumes after
// that entry among entries of equal index keys, both ways.
func testIndexStart(h *harness) {
	t := newTable("t", "pk", attr.S, "sk", attr.S)
	addIndex(&t, "g", true, "g", attr.S, "gr", attr.N, "ALL")
	h.create(t)
	var items []attr.Item
	for _, pk := range []string{"a", "b"} {
		for _, sk := range []string{"x", "y"} {
			for _, gr := range []string{"1", "2"} {
				items = append(items, attr.Item{"pk": S(pk), "sk": S(sk + gr), "g": S("G"), "gr": N(gr)})
			}
		}
	}
	h.put(t, items...)
	q := tablestore.Query{Table: "t", Index: "g", Hash: S("G")}
	all := h.query(q)
	want := []string{"a/x1", "a/y1", "b/x1", "b/y1", "a/x2", "a/y2", "b/x2", "b/y2"}
	keys := func(items []attr.Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it["pk"].Str+"/"+it["sk"].Str)
		}
		return out
	}
	if got := keys(all); !slices.Equal(got, want) {
		h.t.Fatalf("index order %v, want %v", got, want)
	}
	for _, backward := range []bool{false, true} {
		w := slices.Clone(want)
		if backward {
			slices.Reverse(w)
		}
		q.Backward = backward
		for i := range w {
			pk, sk, _ := cut(w[i])
			gr := sk[1:]
			q.Start = attr.Item{"pk": S(pk), "sk": S(sk), "g": S("G"), "gr": N(gr)}
			if got := keys(h.query(q)); !slices.Equal(got, w[i+1:]) {
				h.t.Fatalf("%s from %s: %v, want %v", dir(backward), w[i], got, w[i+1:])
			}
		}
	}
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func testScan(h *harness) {
	t := newTable("t", "pk", attr.N, "sk", attr.S)
	addIndex(&t, "g", true, "g", attr.S, "", attr.Invalid, "ALL")
	h.create(t)
	var items []attr.Item
	for i := range 40 {
		it := attr.Item{"pk": N(itoa(i%7 - 3)), "sk": S(itoa(i))}
		if i%2 == 0 {
			it["g"] = S(itoa(i % 5))
		}
		items = append(items, it)
	}
	h.put(t, items...)
	for _, index := range []string{"", "g"} {
		all := h.scan(tablestore.Scan{Table: "t", Index: index})
		want := 40
		if index == "g" {
			want = 20
		}
		if len(all) != want {
			h.t.Fatalf("Scan(%q) = %d items, want %d", index, len(all), want)
		}
		// Pages of 3, resumed from each page's last key, visit the same.
		var paged []attr.Item
		var start attr.Item
		for {
			var page []attr.Item
			h.must(h.s.Scan(h.ctx(), tablestore.Scan{Table: "t", Index: index, Start: start}, func(it attr.Item) bool {
				page = append(page, it)
				return len(page) < 3
			}))
			paged = append(paged, page...)
			if len(page) < 3 {
				break
			}
			last := page[len(page)-1]
			start = keyOf(t, last)
			if index == "g" {
				start["g"] = last["g"]
			}
		}
		sameItems(h, "paged scan "+index, paged, all)
	}
	// The table's scan is in key order: hash keys grouped, range keys sorted.
	all := h.scan(tablestore.Scan{Table: "t"})
	seen := map[string]bool{}
	for i, it := range all {
		pk := it["pk"].N
		if i > 0 && all[i-1]["pk"].N != pk {
			if seen[pk] {
				h.t.Fatalf("hash key %s in two runs of the scan", pk)
			}
		}
		seen[pk] = true
		if i > 0 && all[i-1]["pk"].N == pk && all[i-1]["sk"].Str >= it["sk"].Str {
			h.t.Fatalf("scan not in range key order at %d", i)
		}
	}
}

// testScanSegments: the segments of a parallel scan split the items, each in
// exactly one, a hash key's items all in the same.
func testScanSegments(h *harness) {
	t := newTable("t", "pk", attr.S, "sk", attr.N)
	addIndex(&t, "g", true, "g", attr.N, "", attr.Invalid, "ALL")
	h.create(t)
	var items []attr.Item
	for i := range 200 {
		items = append(items, attr.Item{"pk": S("p" + itoa(i%37)), "sk": N(itoa(i)), "g": N(itoa(i % 11))})
	}
	h.put(t, items...)
	for _, index := range []string{"", "g"} {
		hashName := "pk"
		if index == "g" {
			hashName = "g"
		}
		for _, total := range []int{1, 2, 3, 7, 50} {
			seen := map[string]int{}
			segOf := map[string]int{}
			used := 0
			for seg := range total {
				got := h.scan(tablestore.Scan{Table: "t", Index: index, Segment: seg, TotalSegments: total})
				if len(got) > 0 {
					used++
				}
				for _, it := range got {
					seen[it["pk"].Str+"/"+it["sk"].N]++
					hk := showValue(it[hashName])
					if s, ok := segOf[hk]; ok && s != seg {
						h.t.Fatalf("%q: hash key %s in segments %d and %d", index, hk, s, seg)
					}
					segOf[hk] = seg
				}
				// Resumable from a Start within the segment.
				if len(got) > 2 {
					start := keyOf(t, got[1])
					if index == "g" {
						start["g"] = got[1]["g"]
					}
					rest := h.scan(tablestore.Scan{Table: "t", Index: index, Segment: seg, TotalSegments: total, Start: start})
					sameItems(h, "segment resumed", rest, got[2:])
				}
			}
			if len(seen) != 200 {
				h.t.Fatalf("%q in %d segments: %d items seen, want 200", index, total, len(seen))
			}
			for k, n := range seen {
				if n != 1 {
					h.t.Fatalf("%q in %d segments: %s seen %d times", index, total, k, n)
				}
			}
			if total >= 2 && total <= 7 && used < 2 {
				h.t.Errorf("%q in %d segments: all items in %d segment", index, total, used)
			}
		}
	}
}

// testBackfill: a global index added to a table with items is built from them
// (in the background, maybe), while writes go on; queries on it never return
// part of it.
func testBackfill(h *harness) {
	t := h.create(newTable("t", "pk", attr.S, "sk", attr.N))
	const n = 2500
	var items []attr.Item
	for i := range n {
		it := attr.Item{"pk": S("p" + itoa(i%10)), "sk": N(itoa(i))}
		if i%3 != 0 {
			it["g"] = S("g" + itoa(i%4))
		}
		items = append(items, it)
	}
	h.put(t, items...)
	got, err := h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		addIndex(t, "new", true, "g", attr.S, "sk", attr.N, "ALL")
		t.Indexes[0].Status = "ACTIVE" // the store owns it while building
		return nil
	})
	h.must(err)
	ix, ok := got.Index("new")
	if !ok {
		h.t.Fatal("UpdateTable lost the new index")
	}
	if ix.Status != "CREATING" && ix.Status != "ACTIVE" || ix.Status == "ACTIVE" && ix.Backfilling {
		h.t.Fatalf("new index returned as %s, backfilling %v", ix.Status, ix.Backfilling)
	}
	// Writes while it builds: some items gain the key, some lose it, some go.
	model := map[string]attr.Item{}
	for _, it := range items {
		model[it["pk"].Str+"/"+it["sk"].N] = it
	}
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		for i := 0; i < n; i += 25 {
			it := attr.Item{"pk": S("p" + itoa(i%10)), "sk": N(itoa(i))}
			switch i % 3 {
			case 0:
				it["g"] = S("g9")
			case 1:
				delete(it, "g")
			}
			op := putOp(t, it)
			if i%7 == 0 {
				op = delOp(t, keyOf(t, it))
			}
			if writeErr = h.s.Write(h.ctx(), []tablestore.Op{op}); writeErr != nil {
				return
			}
			if i%7 == 0 {
				delete(model, it["pk"].Str+"/"+it["sk"].N)
			} else {
				model[it["pk"].Str+"/"+it["sk"].N] = it
			}
		}
	})
	// A query while it builds is complete or refused, never partial: g1 has
	// g1Items, of which the writer changes at most n/25.
	g1Items := 0
	for _, it := range items {
		if it["g"].Str == "g1" {
			g1Items++
		}
	}
	for range 20 {
		var count int
		err := h.s.Query(h.ctx(), tablestore.Query{Table: "t", Index: "new", Hash: S("g1")}, func(attr.Item) bool { count++; return true })
		if errors.Is(err, tablestore.ErrBackfilling) {
			continue
		}
		h.must(err)
		if count < g1Items-n/25 {
			h.t.Fatalf("Query during the build got %d items of %d", count, g1Items)
		}
	}
	wg.Wait()
	h.must(writeErr)
	h.waitActive("t", "new")
	want := map[string]int64{}
	var wantStats tablestore.Stats
	for _, it := range model {
		if g, ok := it["g"]; ok {
			want[g.Str]++
			wantStats.Items++
			wantStats.Bytes += attr.ItemSize(it)
		}
	}
	var total int64
	for _, g := range []string{"g0", "g1", "g2", "g3", "g9"} {
		got := h.query(tablestore.Query{Table: "t", Index: "new", Hash: S(g)})
		if int64(len(got)) != want[g] {
			h.t.Errorf("index %s has %d items, want %d", g, len(got), want[g])
		}
		for i, it := range got {
			if m := model[it["pk"].Str+"/"+it["sk"].N]; !sameItem(it, m) {
				h.t.Fatalf("index %s visits %s, want %s", g, show(it), show(m))
			}
			if i > 0 && attrNum(got[i-1]["sk"]) > attrNum(it["sk"]) {
				h.t.Fatalf("index %s out of order", g)
			}
		}
		total += int64(len(got))
	}
	if st := h.stats("t", "new"); st != wantStats || total != wantStats.Items {
		h.t.Fatalf("index stats %+v, want %+v (%d entries)", st, wantStats, total)
	}
}

func attrNum(v attr.Value) int {
	n := 0
	neg := false
	for _, c := range v.N {
		if c == '-' {
			neg = true
			continue
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// testDropIndex: a removed index is gone with its entries; one added again
// under the same name starts empty, then holds what the table has.
func testDropIndex(h *harness) {
	t := newTable("t", "pk", attr.S, "", attr.Invalid)
	addIndex(&t, "g", true, "g", attr.S, "", attr.Invalid, "ALL")
	h.create(t)
	h.put(t, attr.Item{"pk": S("a"), "g": S("x")}, attr.Item{"pk": S("b"), "g": S("x")})
	_, err := h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		t.Indexes = nil
		return nil
	})
	h.must(err)
	if err := h.s.Query(h.ctx(), tablestore.Query{Table: "t", Index: "g", Hash: S("x")}, func(attr.Item) bool { return true }); !errors.Is(err, tablestore.ErrIndexNotFound) {
		h.t.Fatalf("Query of a dropped index: %v", err)
	}
	if _, err := h.s.Stats(h.ctx(), "t", "g"); !errors.Is(err, tablestore.ErrIndexNotFound) {
		h.t.Fatalf("Stats of a dropped index: %v", err)
	}
	// Writes go on without it.
	h.del(t, attr.Item{"pk": S("a")})
	h.put(t, attr.Item{"pk": S("c"), "g": S("x")})
	_, err = h.s.UpdateTable(h.ctx(), "t", func(t *tablestore.Table) error {
		addIndex(t, "g", true, "g", attr.S, "", attr.Invalid, "ALL")
		return nil
	})
	h.must(err)
	h.waitActive("t", "g")
	h.wantAttrs("index added again", h.query(tablestore.Query{Table: "t", Index: "g", Hash: S("x")}), "pk", []attr.Value{S("b"), S("c")})
	if st := h.stats("t", "g"); st.Items != 2 {
		h.t.Fatalf("stats of the index added again: %+v", st)
	}
}
