package bolt

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

func codecSeeds() []attr.Item {
	return []attr.Item{
		{},
		{"k": attr.Str("")},
		{"pk": attr.Str("user#1"), "n": {Kind: attr.N, N: "-12.5"}, "b": attr.Bin([]byte{0, 1, 0xff}),
			"t": attr.Bool(true), "f": attr.Bool(false), "z": attr.Null()},
		{"ss": {Kind: attr.SS, Set: []string{"a", "b"}}, "ns": {Kind: attr.NS, Set: []string{"1", "2"}},
			"bs": {Kind: attr.BS, Set: []string{"\x00"}}},
		{"l": {Kind: attr.L, List: []attr.Value{attr.Str("x"), {Kind: attr.L, List: []attr.Value{}}, {Kind: attr.M, Map: map[string]attr.Value{"y": attr.Null()}}}},
			"m": {Kind: attr.M, Map: map[string]attr.Value{}}},
	}
}

// TestCodecRoundTrip: every kind decodes to what was encoded.
func TestCodecRoundTrip(t *testing.T) {
	for _, it := range codecSeeds() {
		got, err := decodeItem(appendItem(nil, it))
		if err != nil {
			t.Fatalf("%v: %v", it, err)
		}
		if !sameItem(got, it) {
			t.Fatalf("round trip of %v = %v", it, got)
		}
	}
	// Garbage after an item, and truncations, are errors.
	b := appendItem(nil, codecSeeds()[2])
	if _, err := decodeItem(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	for i := range len(b) {
		if _, err := decodeItem(b[:i]); err == nil {
			t.Fatalf("truncation to %d bytes accepted", i)
		}
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := tablestore.StreamRecord{Seq: 7, Time: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Event: "MODIFY",
		Keys: attr.Item{"pk": attr.Str("a")}, Old: attr.Item{"pk": attr.Str("a"), "v": attr.Str("1")},
		New: attr.Item{"pk": attr.Str("a")}, Size: 42, Identity: &tablestore.Identity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}}
	got, err := decodeRecord(7, appendRecord(nil, &r))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip = %+v, want %+v", got, r)
	}
	r.Old, r.New, r.Identity, r.Event = nil, nil, nil, "REMOVE"
	got, err = decodeRecord(7, appendRecord(nil, &r))
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, r)
	}
}

// FuzzCodec: decoding never panics; what decodes encodes to bytes that decode
// to the same item.
func FuzzCodec(f *testing.F) {
	for _, it := range codecSeeds() {
		f.Add(appendItem(nil, it))
	}
	f.Add([]byte{1, 1, 'a', byte(attr.L), 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := decodeItem(b)
		if err != nil {
			return
		}
		again, err := decodeItem(appendItem(nil, it))
		if err != nil {
			t.Fatalf("re-encoded item does not decode: %v", err)
		}
		if !sameItem(it, again) {
			t.Fatalf("round trip changed %v to %v", it, again)
		}
		decodeRecord(1, b) // must not panic either
	})
}

// sameItem compares structurally (the codec keeps exactly what it gets, so
// stricter than attr.Equal: an N's text, a set's order).
func sameItem(a, b attr.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !sameValue(v, w) {
			return false
		}
	}
	return true
}

func sameValue(a, b attr.Value) bool {
	if a.Kind != b.Kind || a.Str != b.Str || a.N != b.N || !bytes.Equal(a.Bin, b.Bin) || a.Bool != b.Bool ||
		len(a.Set) != len(b.Set) || len(a.List) != len(b.List) || len(a.Map) != len(b.Map) {
		return false
	}
	for i := range a.Set {
		if a.Set[i] != b.Set[i] {
			return false
		}
	}
	for i := range a.List {
		if !sameValue(a.List[i], b.List[i]) {
			return false
		}
	}
	for k, v := range a.Map {
		if w, ok := b.Map[k]; !ok || !sameValue(v, w) {
			return false
		}
	}
	return true
}
