// Package tablestoretest is the conformance suite of tablestore.Store: every
// implementation's test calls Run.
package tablestoretest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Run runs the suite. open opens a Store in dir, a fresh directory or one a
// Store opened before and was closed on (the suite closes what it opens, and
// reopens on the same dir to check what survives).
func Run(t *testing.T, open func(t *testing.T, dir string) tablestore.Store) {
	tests := []struct {
		name string
		fn   func(*harness)
	}{
		{"Tables", testTables},
		{"TableNotFound", testTableNotFound},
		{"UpdateTable", testUpdateTable},
		{"DeleteTable", testDeleteTable},
		{"GetPutDelete", testGetPutDelete},
		{"HashOnly", testHashOnly},
		{"OrderN", testOrderN},
		{"OrderS", testOrderS},
		{"OrderB", testOrderB},
		{"RangeConditions", testRangeConditions},
		{"BeginsWith", testBeginsWith},
		{"WriteAtomic", testWriteAtomic},
		{"WriteSameItemTwice", testWriteSameItemTwice},
		{"ConcurrentCounter", testConcurrentCounter},
		{"Stats", testStats},
		{"LocalIndex", testLocalIndex},
		{"GlobalIndex", testGlobalIndex},
		{"IndexStart", testIndexStart},
		{"Scan", testScan},
		{"ScanSegments", testScanSegments},
		{"Backfill", testBackfill},
		{"DropIndex", testDropIndex},
		{"StreamRecords", testStreamRecords},
		{"StreamViewTypes", testStreamViewTypes},
		{"StreamOffOn", testStreamOffOn},
		{"StreamTrim", testStreamTrim},
		{"WaitStream", testWaitStream},
		{"Reopen", testReopen},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, dir: t.TempDir(), open: open}
			h.s = open(t, h.dir)
			t.Cleanup(func() { h.close() })
			tc.fn(h)
		})
	}
}

// harness is one subtest's store.
type harness struct {
	t      *testing.T
	dir    string
	open   func(*testing.T, string) tablestore.Store
	s      tablestore.Store
	closed bool
}

func (h *harness) ctx() context.Context { return h.t.Context() }

func (h *harness) close() {
	if !h.closed {
		h.closed = true
		if err := h.s.Close(); err != nil {
			h.t.Errorf("Close: %v", err)
		}
	}
}

// reopen closes the store and opens another on the same directory.
func (h *harness) reopen() {
	h.t.Helper()
	h.close()
	h.s = h.open(h.t, h.dir)
	h.closed = false
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// Values and items.

// S, N and B make attribute values; N panics on text that is not a number.
func S(s string) attr.Value  { return attr.Str(s) }
func B(b ...byte) attr.Value { return attr.Bin(b) }
func N(s string) attr.Value {
	v, err := attr.Num(s)
	if err != nil {
		panic(fmt.Sprintf("tablestoretest: N(%q): %v", s, err))
	}
	return v
}

// show renders an item for failure messages, names sorted.
func show(it attr.Item) string {
	if it == nil {
		return "<nil>"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(it)) {
		parts = append(parts, k+"="+showValue(it[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func showValue(v attr.Value) string {
	switch v.Kind {
	case attr.S:
		return fmt.Sprintf("S:%q", v.Str)
	case attr.N:
		return "N:" + v.N
	case attr.B:
		return fmt.Sprintf("B:%x", v.Bin)
	}
	return fmt.Sprintf("%v:%+v", v.Kind, v)
}

// sameItem reports whether a and b hold the same attributes (attr.Equal).
func sameItem(a, b attr.Item) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !attr.Equal(v, w) {
			return false
		}
	}
	return true
}

// Tables.

// newTable returns a PAY_PER_REQUEST table keyed by hash (and rng, if not "")
// of the given kinds.
func newTable(name, hash string, hk attr.Kind, rng string, rk attr.Kind) tablestore.Table {
	t := tablestore.Table{
		Name: name, ID: "id-" + name, Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Status: "ACTIVE", BillingMode: "PAY_PER_REQUEST",
		Key:        tablestore.KeySchema{Hash: hash, HashKind: hk, Range: rng, RangeKind: rk},
		Attributes: []tablestore.AttributeDefinition{{Name: hash, Kind: hk}},
	}
	if rng != "" {
		t.Attributes = append(t.Attributes, tablestore.AttributeDefinition{Name: rng, Kind: rk})
	}
	return t
}

// addIndex adds an index keyed by hash (and rng) to t, with its attribute
// definitions.
func addIndex(t *tablestore.Table, name string, global bool, hash string, hk attr.Kind, rng string, rk attr.Kind, proj string, include ...string) {
	ix := tablestore.Index{Name: name, Global: global, Status: "ACTIVE",
		Key:        tablestore.KeySchema{Hash: hash, HashKind: hk, Range: rng, RangeKind: rk},
		Projection: tablestore.Projection{Type: proj, NonKeyAttributes: include}}
	t.Indexes = append(t.Indexes, ix)
	for _, a := range []tablestore.AttributeDefinition{{Name: hash, Kind: hk}, {Name: rng, Kind: rk}} {
		if a.Name == "" || slices.ContainsFunc(t.Attributes, func(b tablestore.AttributeDefinition) bool { return b.Name == a.Name }) {
			continue
		}
		t.Attributes = append(t.Attributes, a)
	}
}

func (h *harness) create(t tablestore.Table) tablestore.Table {
	h.t.Helper()
	h.must(h.s.CreateTable(h.ctx(), t))
	return t
}

func keyOf(t tablestore.Table, it attr.Item) attr.Item {
	k := attr.Item{t.Key.Hash: it[t.Key.Hash]}
	if t.Key.Range != "" {
		k[t.Key.Range] = it[t.Key.Range]
	}
	return k
}

// putOp is an Op that stores it whatever is there.
func putOp(t tablestore.Table, it attr.Item) tablestore.Op {
	return tablestore.Op{Table: t.Name, Key: keyOf(t, it), Apply: func(attr.Item) (attr.Item, error) { return it, nil }}
}

// delOp is an Op that deletes the item of key (ErrNoChange if there is none).
func delOp(t tablestore.Table, key attr.Item) tablestore.Op {
	return tablestore.Op{Table: t.Name, Key: key, Apply: func(old attr.Item) (attr.Item, error) {
		if old == nil {
			return nil, tablestore.ErrNoChange
		}
		return nil, nil
	}}
}

func (h *harness) put(t tablestore.Table, items ...attr.Item) {
	h.t.Helper()
	for len(items) > 0 {
		n := min(len(items), 100)
		ops := make([]tablestore.Op, n)
		for i, it := range items[:n] {
			ops[i] = putOp(t, it)
		}
		h.must(h.s.Write(h.ctx(), ops))
		items = items[n:]
	}
}

func (h *harness) del(t tablestore.Table, key attr.Item) {
	h.t.Helper()
	h.must(h.s.Write(h.ctx(), []tablestore.Op{delOp(t, key)}))
}

func (h *harness) get(t tablestore.Table, key attr.Item) attr.Item {
	h.t.Helper()
	it, err := h.s.Get(h.ctx(), t.Name, key)
	h.must(err)
	return it
}

// query returns what q visits, whole.
func (h *harness) query(q tablestore.Query) []attr.Item {
	h.t.Helper()
	var out []attr.Item
	h.must(h.s.Query(h.ctx(), q, func(it attr.Item) bool { out = append(out, it); return true }))
	return out
}

func (h *harness) scan(sc tablestore.Scan) []attr.Item {
	h.t.Helper()
	var out []attr.Item
	h.must(h.s.Scan(h.ctx(), sc, func(it attr.Item) bool { out = append(out, it); return true }))
	return out
}

// attrs returns attribute name of each item, shown.
func attrs(items []attr.Item, name string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		if v, ok := it[name]; ok {
			out[i] = showValue(v)
		} else {
			out[i] = "<none>"
		}
	}
	return out
}

func shows(vs []attr.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = showValue(v)
	}
	return out
}

func (h *harness) wantAttrs(what string, items []attr.Item, name string, want []attr.Value) {
	h.t.Helper()
	if got, w := attrs(items, name), shows(want); !slices.Equal(got, w) {
		h.t.Fatalf("%s: %s =\n%v\nwant\n%v", what, name, got, w)
	}
}

func (h *harness) stats(table, index string) tablestore.Stats {
	h.t.Helper()
	st, err := h.s.Stats(h.ctx(), table, index)
	h.must(err)
	return st
}

// waitActive waits until index of table is ACTIVE and not Backfilling.
func (h *harness) waitActive(table, index string) tablestore.Table {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		t, err := h.s.Table(h.ctx(), table)
		h.must(err)
		ix, ok := t.Index(index)
		if !ok {
			h.t.Fatalf("index %s gone", index)
		}
		if ix.Status == "ACTIVE" && !ix.Backfilling {
			return t
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("index %s still %s (backfilling %v)", index, ix.Status, ix.Backfilling)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

var errTest = errors.New("tablestoretest: failing on purpose")
