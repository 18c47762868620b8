package tablestoretest

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

func testGetPutDelete(h *harness) {
	t := h.create(newTable("t", "pk", attr.S, "sk", attr.N))
	key := attr.Item{"pk": S("a"), "sk": N("1")}
	if it := h.get(t, key); it != nil {
		h.t.Fatalf("Get of nothing = %s", show(it))
	}
	it := attr.Item{"pk": S("a"), "sk": N("1"), "s": S("x"), "n": N("-0.25"), "b": B(0, 1, 2),
		"t": attr.Bool(true), "f": attr.Bool(false), "z": attr.Null(),
		"ss": {Kind: attr.SS, Set: []string{"a", "b"}}, "ns": {Kind: attr.NS, Set: []string{"1", "2.5"}},
		"bs": {Kind: attr.BS, Set: []string{"\x00", "\xff"}},
		"l":  {Kind: attr.L, List: []attr.Value{S("x"), N("1"), {Kind: attr.L}, {Kind: attr.M, Map: map[string]attr.Value{}}}},
		"m":  {Kind: attr.M, Map: map[string]attr.Value{"deep": {Kind: attr.M, Map: map[string]attr.Value{"x": B(9)}}}},
		"":   S("empty name is not allowed by the service, but the store keeps what it gets")}
	h.put(t, it)
	got := h.get(t, key)
	if !sameItem(got, it) {
		h.t.Fatalf("Get = %s, want %s", show(got), show(it))
	}
	// What Get returns is the caller's.
	got["s"] = S("changed")
	if again := h.get(t, key); !sameItem(again, it) {
		h.t.Fatalf("Get after changing a returned item = %s", show(again))
	}
	// Apply gets the current item; overwrite.
	var seen attr.Item
	h.must(h.s.Write(h.ctx(), []tablestore.Op{{Table: "t", Key: key, Apply: func(old attr.Item) (attr.Item, error) {
		seen = old
		return attr.Item{"pk": S("a"), "sk": N("1"), "v": N("2")}, nil
	}}}))
	if !sameItem(seen, it) {
		h.t.Fatalf("Apply got %s, want %s", show(seen), show(it))
	}
	if got := h.get(t, key); !sameItem(got, attr.Item{"pk": S("a"), "sk": N("1"), "v": N("2")}) {
		h.t.Fatalf("after overwrite Get = %s", show(got))
	}
	// Another key of the same hash is another item.
	if got := h.get(t, attr.Item{"pk": S("a"), "sk": N("1.0001")}); got != nil {
		h.t.Fatalf("Get of another key = %s", show(got))
	}
	h.del(t, key)
	if got := h.get(t, key); got != nil {
		h.t.Fatalf("after delete Get = %s", show(got))
	}
	// Deleting nothing, by ErrNoChange or by nil, is fine.
	h.del(t, key)
	h.must(h.s.Write(h.ctx(), []tablestore.Op{{Table: "t", Key: key, Apply: func(attr.Item) (attr.Item, error) { return nil, nil }}}))
	if st := h.stats("t", ""); st != (tablestore.Stats{}) {
		h.t.Fatalf("stats after delete = %+v", st)
	}
	// An Apply returning an item of another key fails the Write.
	err := h.s.Write(h.ctx(), []tablestore.Op{{Table: "t", Key: key, Apply: func(attr.Item) (attr.Item, error) {
		return attr.Item{"pk": S("a"), "sk": N("2")}, nil
	}}})
	if err == nil {
		h.t.Fatal("Write of an item whose key is not the Op's succeeded")
	}
}

func testHashOnly(h *harness) {
	t := h.create(newTable("t", "id", attr.B, "", attr.Invalid))
	h.put(t, attr.Item{"id": B(1), "v": S("one")}, attr.Item{"id": B(1, 0), "v": S("one-zero")}, attr.Item{"id": B(0xff), "v": S("ff")})
	for _, c := range []struct {
		key  []byte
		want string
	}{{[]byte{1}, "one"}, {[]byte{1, 0}, "one-zero"}, {[]byte{0xff}, "ff"}} {
		got := h.query(tablestore.Query{Table: "t", Hash: B(c.key...)})
		if len(got) != 1 || got[0]["v"].Str != c.want {
			h.t.Fatalf("Query %x = %v", c.key, attrs(got, "v"))
		}
	}
	if got := h.query(tablestore.Query{Table: "t", Hash: B(2)}); len(got) != 0 {
		h.t.Fatalf("Query of an absent hash = %v", attrs(got, "v"))
	}
	h.wantAttrs("scan", h.scan(tablestore.Scan{Table: "t"}), "id", []attr.Value{B(1), B(1, 0), B(0xff)})
}

// orderTest puts the range key values sorted (ascending, as DynamoDB orders
// them) in a random order and checks Query both ways.
func orderTest(h *harness, kind attr.Kind, sorted []attr.Value) {
	t := h.create(newTable("t", "pk", attr.S, "sk", kind))
	var items []attr.Item
	for _, v := range sorted {
		items = append(items, attr.Item{"pk": S("h"), "sk": v})
		items = append(items, attr.Item{"pk": S("other"), "sk": v})
	}
	rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	h.put(t, items...)
	h.wantAttrs("forward", h.query(tablestore.Query{Table: "t", Hash: S("h")}), "sk", sorted)
	rev := slices.Clone(sorted)
	slices.Reverse(rev)
	h.wantAttrs("backward", h.query(tablestore.Query{Table: "t", Hash: S("h"), Backward: true}), "sk", rev)
}

func testOrderN(h *harness) {
	var sorted []attr.Value
	for _, n := range []string{"-1e125", "-123456789012345678901234567890", "-1000", "-100", "-99.99", "-10", "-2",
		"-1.5", "-1.05", "-1", "-0.5", "-0.05", "-0.000001", "0", "1e-130", "0.000001", "0.05", "0.5", "1", "1.05", "1.5", "2",
		"9.99", "10", "99", "100", "100.5", "1000", "1e38", "9.9999999999999999999999999999999999999e125"} {
		sorted = append(sorted, N(n))
	}
	orderTest(h, attr.N, sorted)
}

func testOrderS(h *harness) {
	var sorted []attr.Value
	for _, s := range []string{"\x00", "\x00\x00", "\x00\x01", "\x01", "A", "B", "Z", "a", "a\x00", "a\x00\x00", "a\x01", "aa", "ab", "b", "é", "日本", "\U0001F600"} {
		sorted = append(sorted, S(s))
	}
	orderTest(h, attr.S, sorted)
}

func testOrderB(h *harness) {
	sorted := []attr.Value{B(0), B(0, 0), B(0, 0, 0), B(0, 1), B(0, 0xff), B(1), B(1, 0), B(0x7f), B(0x80), B(0xfe, 0xff), B(0xff), B(0xff, 0), B(0xff, 0xff), B(0xff, 0xff, 0xff)}
	orderTest(h, attr.B, sorted)
}

func nums(ns ...int) []attr.Value {
	out := make([]attr.Value, len(ns))
	for i, n := range ns {
		out[i] = N(itoa(n))
	}
	return out
}

func span(a, b int) []int {
	var out []int
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}

// testRangeConditions runs every range condition on a table (sk) and on a
// local index (l = 100 - sk), both ways, from the start and from each Start.
func testRangeConditions(h *harness) {
	t := newTable("t", "pk", attr.S, "sk", attr.N)
	addIndex(&t, "lsi", false, "pk", attr.S, "l", attr.N, "ALL")
	h.create(t)
	var items []attr.Item
	for i := -10; i <= 10; i++ {
		items = append(items, attr.Item{"pk": S("h"), "sk": N(itoa(i)), "l": N(itoa(100 - i))})
		items = append(items, attr.Item{"pk": S("g"), "sk": N(itoa(i)), "l": N(itoa(100 - i))})
	}
	h.put(t, items...)
	cases := []struct {
		op   string
		a, b int
		want []int // ascending
	}{
		{"=", 3, 0, []int{3}},
		{"=", 11, 0, nil},
		{"<", 3, 0, span(-10, 2)},
		{"<", -10, 0, nil},
		{"<=", 3, 0, span(-10, 3)},
		{"<=", -11, 0, nil},
		{">", 3, 0, span(4, 10)},
		{">", 10, 0, nil},
		{">=", 3, 0, span(3, 10)},
		{">=", -100, 0, span(-10, 10)},
		{"BETWEEN", -2, 4, span(-2, 4)},
		{"BETWEEN", 4, 4, []int{4}},
		{"BETWEEN", 20, 30, nil},
		{"", 0, 0, span(-10, 10)},
	}
	for _, c := range cases {
		for _, onIndex := range []bool{false, true} {
			name, attrName := "", "sk"
			want := slices.Clone(c.want)
			if onIndex {
				// The index orders by l = 100 - sk: the condition is on l.
				name, attrName = "lsi", "l"
				for i := range want {
					want[i] = 100 - want[i]
				}
				slices.Sort(want)
			}
			for _, backward := range []bool{false, true} {
				q := tablestore.Query{Table: "t", Index: name, Hash: S("h"), Backward: backward}
				if c.op != "" {
					q.Range = &tablestore.Range{Op: c.op, Values: [2]attr.Value{N(itoa(c.a)), N(itoa(c.b))}}
					if onIndex && c.op != "BETWEEN" && c.op != "=" {
						q.Range.Values[0] = N(itoa(100 - c.a))
						q.Range.Op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}[c.op]
					}
					if onIndex && c.op == "BETWEEN" {
						q.Range.Values = [2]attr.Value{N(itoa(100 - c.b)), N(itoa(100 - c.a))}
					}
					if onIndex && c.op == "=" {
						q.Range.Values[0] = N(itoa(100 - c.a))
					}
				}
				w := slices.Clone(want)
				if backward {
					slices.Reverse(w)
				}
				got := h.query(q)
				h.wantAttrs(c.op+" "+name+dir(backward), got, attrName, nums(w...))
				// From each item as Start, the rest.
				for i, it := range got {
					q.Start = attr.Item{"pk": it["pk"], "sk": it["sk"]}
					if onIndex {
						q.Start["l"] = it["l"]
					}
					h.wantAttrs(c.op+" "+name+dir(backward)+" from "+show(q.Start), h.query(q), attrName, nums(w[i+1:]...))
				}
			}
		}
	}
	// A Query stops when visit says so.
	n := 0
	h.must(h.s.Query(h.ctx(), tablestore.Query{Table: "t", Hash: S("h")}, func(attr.Item) bool { n++; return n < 3 }))
	if n != 3 {
		h.t.Fatalf("visit returning false after 3: %d visits", n)
	}
}

func dir(backward bool) string {
	if backward {
		return " backward"
	}
	return " forward"
}

func testBeginsWith(h *harness) {
	ts := h.create(newTable("s", "pk", attr.S, "sk", attr.S))
	var items []attr.Item
	strs := []string{"a", "ab", "ab\x00", "ab\xff", "abc", "abd", "ac", "b", "ÿ", "ÿa", "ÿÿ", "Āx"}
	for _, s := range strs {
		items = append(items, attr.Item{"pk": S("h"), "sk": S(s)})
	}
	h.put(ts, items...)
	tb := h.create(newTable("b", "pk", attr.S, "sk", attr.B))
	bins := [][]byte{{0x61}, {0x61, 0xff}, {0x61, 0xff, 0x00}, {0x61, 0xff, 0xff}, {0x62}, {0xff}, {0xff, 0xff}, {0xff, 0xff, 1}}
	items = nil
	for _, b := range bins {
		items = append(items, attr.Item{"pk": S("h"), "sk": B(b...)})
	}
	h.put(tb, items...)
	for _, c := range []struct {
		table  string
		prefix attr.Value
		want   []attr.Value
	}{
		{"s", S("ab"), []attr.Value{S("ab"), S("ab\x00"), S("abc"), S("abd"), S("ab\xff")}},
		{"s", S("abc"), []attr.Value{S("abc")}},
		{"s", S("abz"), nil},
		{"s", S("ÿ"), []attr.Value{S("ÿ"), S("ÿa"), S("ÿÿ")}},
		{"s", S("b"), []attr.Value{S("b")}},
		{"b", B(0x61, 0xff), []attr.Value{B(0x61, 0xff), B(0x61, 0xff, 0), B(0x61, 0xff, 0xff)}},
		{"b", B(0xff), []attr.Value{B(0xff), B(0xff, 0xff), B(0xff, 0xff, 1)}},
		{"b", B(0xff, 0xff), []attr.Value{B(0xff, 0xff), B(0xff, 0xff, 1)}},
		{"b", B(0x60), nil},
	} {
		q := tablestore.Query{Table: c.table, Hash: S("h"), Range: &tablestore.Range{Op: "BEGINS_WITH", Values: [2]attr.Value{c.prefix}}}
		got := h.query(q)
		h.wantAttrs("begins_with "+showValue(c.prefix), got, "sk", c.want)
		q.Backward = true
		rev := slices.Clone(c.want)
		slices.Reverse(rev)
		got = h.query(q)
		h.wantAttrs("begins_with backward "+showValue(c.prefix), got, "sk", rev)
		if len(got) > 1 {
			q.Start = attr.Item{"pk": S("h"), "sk": got[0]["sk"]}
			h.wantAttrs("begins_with backward with Start", h.query(q), "sk", rev[1:])
		}
	}
}

// testWriteAtomic: one failing Apply fails the Write, writes nothing, and
// every Apply still runs.
func testWriteAtomic(h *harness) {
	t := newTable("t", "pk", attr.S, "", attr.Invalid)
	addIndex(&t, "g", true, "g", attr.S, "", attr.Invalid, "ALL")
	t.Stream = tablestore.StreamSpec{Enabled: true, ViewType: "NEW_IMAGE", Label: "2025-01-01T00:00:00.000"}
	h.create(t)
	u := h.create(newTable("u", "pk", attr.S, "", attr.Invalid))
	h.put(t, attr.Item{"pk": S("keep"), "g": S("x"), "v": N("1")})
	var ran []int
	op := func(i int, table, pk string, err error) tablestore.Op {
		return tablestore.Op{Table: table, Key: attr.Item{"pk": S(pk)}, Apply: func(old attr.Item) (attr.Item, error) {
			ran = append(ran, i)
			if err != nil {
				return nil, err
			}
			return attr.Item{"pk": S(pk), "g": S("x"), "v": N("2")}, nil
		}}
	}
	second := errors.New("second failure")
	ran = nil
	err := h.s.Write(h.ctx(), []tablestore.Op{
		op(0, "t", "keep", nil), op(1, "u", "a", nil), op(2, "t", "b", errTest), op(3, "t", "c", nil), op(4, "u", "d", second),
	})
	if !errors.Is(err, errTest) || errors.Is(err, second) {
		h.t.Fatalf("Write = %v, want the first failure", err)
	}
	if !slices.Equal(ran, []int{0, 1, 2, 3, 4}) {
		h.t.Fatalf("Applies run: %v, want all", ran)
	}
	if it := h.get(t, attr.Item{"pk": S("keep")}); it["v"].N != "1" {
		h.t.Fatalf("after a failed Write: %s", show(it))
	}
	for _, c := range []struct {
		t  tablestore.Table
		pk string
	}{{u, "a"}, {t, "c"}} {
		if it := h.get(c.t, attr.Item{"pk": S(c.pk)}); it != nil {
			h.t.Fatalf("a failed Write stored %s", show(it))
		}
	}
	if st := h.stats("t", ""); st.Items != 1 {
		h.t.Fatalf("stats after a failed Write: %+v", st)
	}
	if got := h.query(tablestore.Query{Table: "t", Index: "g", Hash: S("x")}); len(got) != 1 || got[0]["v"].N != "1" {
		h.t.Fatalf("index after a failed Write: %v", attrs(got, "v"))
	}
	if si, err := h.s.Stream(h.ctx(), "t", t.Stream.Label); err != nil || si.Last != 1 {
		h.t.Fatalf("stream after a failed Write: %+v %v", si, err)
	}
	// The same ops without the failures all commit, ErrNoChange ones excepted.
	ran = nil
	h.must(h.s.Write(h.ctx(), []tablestore.Op{
		op(0, "t", "keep", nil), op(1, "u", "a", nil), op(2, "t", "b", tablestore.ErrNoChange), op(3, "t", "c", nil),
	}))
	if it := h.get(t, attr.Item{"pk": S("keep")}); it["v"].N != "2" {
		h.t.Fatalf("after the Write: %s", show(it))
	}
	if it := h.get(t, attr.Item{"pk": S("b")}); it != nil {
		h.t.Fatalf("ErrNoChange stored %s", show(it))
	}
	if it := h.get(u, attr.Item{"pk": S("a")}); it == nil {
		h.t.Fatal("the Write's op on u did not store")
	}
	// A panicking Apply is a failure, not a crash.
	err = h.s.Write(h.ctx(), []tablestore.Op{{Table: "u", Key: attr.Item{"pk": S("p")}, Apply: func(attr.Item) (attr.Item, error) { panic("boom") }}})
	if err == nil {
		h.t.Fatal("a panicking Apply succeeded")
	}
	h.put(u, attr.Item{"pk": S("after-panic")})
}

// testWriteSameItemTwice: a later op of one Write sees an earlier op's change.
func testWriteSameItemTwice(h *harness) {
	t := h.create(newTable("t", "pk", attr.S, "", attr.Invalid))
	key := attr.Item{"pk": S("a")}
	var second attr.Item
	h.must(h.s.Write(h.ctx(), []tablestore.Op{
		putOp(t, attr.Item{"pk": S("a"), "v": N("1")}),
		{Table: "t", Key: key, Apply: func(old attr.Item) (attr.Item, error) {
			second = old
			return attr.Item{"pk": S("a"), "v": N("2")}, nil
		}},
	}))
	if second["v"].N != "1" {
		h.t.Fatalf("second op saw %s", show(second))
	}
	if it := h.get(t, key); it["v"].N != "2" {
		h.t.Fatalf("after two ops %s", show(it))
	}
	if st := h.stats("t", ""); st.Items != 1 || st.Bytes != attr.ItemSize(attr.Item{"pk": S("a"), "v": N("2")}) {
		h.t.Fatalf("stats %+v", st)
	}
}

// testConcurrentCounter: 16 goroutines × 50 read-modify-writes of one counter
// end at 800, and its stream tells each step once, in order.
func testConcurrentCounter(h *harness) {
	t := newTable("t", "pk", attr.S, "", attr.Invalid)
	t.Stream = tablestore.StreamSpec{Enabled: true, ViewType: "NEW_AND_OLD_IMAGES", Label: "2025-01-01T00:00:00.000"}
	h.create(t)
	key := attr.Item{"pk": S("counter")}
	incr := func(old attr.Item) (attr.Item, error) {
		n := "0"
		if old != nil {
			v, ok := old["n"]
			if !ok || v.Kind != attr.N {
				return nil, errTest
			}
			n = v.N
		}
		next, err := attr.Add(n, "1")
		if err != nil {
			return nil, err
		}
		return attr.Item{"pk": S("counter"), "n": {Kind: attr.N, N: next}}, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 50 {
				if err := h.s.Write(h.ctx(), []tablestore.Op{{Table: "t", Key: key, Apply: incr}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		h.t.Fatal(err)
	}
	if it := h.get(t, key); it["n"].N != "800" {
		h.t.Fatalf("counter = %s, want 800", show(it))
	}
	recs, err := h.s.ReadStream(h.ctx(), "t", t.Stream.Label, 0, 1000)
	h.must(err)
	if len(recs) != 800 {
		h.t.Fatalf("%d stream records, want 800", len(recs))
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			h.t.Fatalf("record %d has Seq %d", i, r.Seq)
		}
		if r.New["n"].N != itoa(i+1) || i > 0 && r.Old["n"].N != itoa(i) {
			h.t.Fatalf("record %d: old %s new %s", i, show(r.Old), show(r.New))
		}
	}
}

func testStats(h *harness) {
	t := newTable("t", "pk", attr.S, "sk", attr.N)
	addIndex(&t, "all", true, "g", attr.S, "", attr.Invalid, "ALL")
	addIndex(&t, "keys", true, "g", attr.S, "gr", attr.N, "KEYS_ONLY")
	addIndex(&t, "inc", false, "pk", attr.S, "l", attr.S, "INCLUDE", "x")
	h.create(t)
	model := map[string]attr.Item{}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		sk := N(itoa(r.IntN(60)))
		k := "h" + sk.N
		if r.IntN(4) == 0 {
			h.del(t, attr.Item{"pk": S("h"), "sk": sk})
			delete(model, k)
			continue
		}
		it := attr.Item{"pk": S("h"), "sk": sk, "pad": S(string(make([]byte, r.IntN(50))))}
		if r.IntN(2) == 0 {
			it["g"] = S("g" + itoa(r.IntN(3)))
		}
		if r.IntN(2) == 0 {
			it["gr"] = N(itoa(r.IntN(3)))
		}
		if r.IntN(2) == 0 {
			it["l"] = S("l")
			it["x"] = B(1, 2, 3)
		}
		h.put(t, it)
		model[k] = it
	}
	want := map[string]tablestore.Stats{}
	for _, it := range model {
		add := func(index string, size int64) {
			st := want[index]
			st.Items++
			st.Bytes += size
			want[index] = st
		}
		add("", attr.ItemSize(it))
		if _, ok := it["g"]; ok {
			add("all", attr.ItemSize(it))
			if _, ok := it["gr"]; ok {
				add("keys", attr.ItemSize(attr.Item{"pk": it["pk"], "sk": it["sk"], "g": it["g"], "gr": it["gr"]}))
			}
		}
		if _, ok := it["l"]; ok {
			add("inc", attr.ItemSize(attr.Item{"pk": it["pk"], "sk": it["sk"], "l": it["l"], "x": it["x"]}))
		}
	}
	for _, index := range []string{"", "all", "keys", "inc"} {
		if got := h.stats("t", index); got != want[index] {
			h.t.Errorf("Stats(%q) = %+v, want %+v", index, got, want[index])
		}
		var n int64
		h.must(h.s.Scan(h.ctx(), tablestore.Scan{Table: "t", Index: index}, func(attr.Item) bool { n++; return true }))
		if n != want[index].Items {
			h.t.Errorf("Scan(%q) visits %d items, want %d", index, n, want[index].Items)
		}
	}
}
