package attr

import (
	"bytes"
	"maps"
	"slices"
	"strings"
)

var kindNames = [...]string{Invalid: "", S: "S", N: "N", B: "B", BOOL: "BOOL", NULL: "NULL",
	SS: "SS", NS: "NS", BS: "BS", L: "L", M: "M"}

// String is the kind as the wire spells it ("" for Invalid).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return ""
}

// kindOf is the Kind of a wire name, Invalid for none.
func kindOf(name string) Kind {
	for k, n := range kindNames {
		if n == name && n != "" {
			return Kind(k)
		}
	}
	return Invalid
}

// Compare orders two scalar values of one kind as DynamoDB does: strings and
// binaries bytewise (UTF-8 for strings), numbers by value. ok is false for
// values of different kinds or kinds without an order.
func Compare(a, b Value) (c int, ok bool) {
	if a.Kind != b.Kind {
		return 0, false
	}
	switch a.Kind {
	case S:
		return strings.Compare(a.Str, b.Str), true
	case N:
		return CompareNumbers(a.N, b.N), true
	case B:
		return bytes.Compare(a.Bin, b.Bin), true
	}
	return 0, false
}

// Equal is DynamoDB's equality: numbers by value, sets regardless of order,
// lists and maps element by element.
func Equal(a, b Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case S:
		return a.Str == b.Str
	case N:
		return CompareNumbers(a.N, b.N) == 0
	case B:
		return bytes.Equal(a.Bin, b.Bin)
	case BOOL:
		return a.Bool == b.Bool
	case NULL:
		return true
	case SS, NS, BS:
		if len(a.Set) != len(b.Set) {
			return false
		}
		for _, m := range a.Set {
			if !slices.ContainsFunc(b.Set, func(o string) bool { return member(a.Kind, m, o) }) {
				return false
			}
		}
		return true
	case L:
		return slices.EqualFunc(a.List, b.List, Equal)
	case M:
		return ItemsEqual(a.Map, b.Map)
	}
	return false
}

// member reports whether two set members of kind k are the same member.
func member(k Kind, a, b string) bool {
	if k == NS {
		return CompareNumbers(a, b) == 0
	}
	return a == b
}

// ItemsEqual reports whether two items (or maps) hold equal attributes.
func ItemsEqual(a, b map[string]Value) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !Equal(v, w) {
			return false
		}
	}
	return true
}

// Clone copies v deeply, so the copy can be changed without touching v.
func (v Value) Clone() Value {
	switch v.Kind {
	case B:
		v.Bin = bytes.Clone(v.Bin)
	case SS, NS, BS:
		v.Set = slices.Clone(v.Set)
	case L:
		l := make([]Value, len(v.List))
		for i, e := range v.List {
			l[i] = e.Clone()
		}
		v.List = l
	case M:
		v.Map = map[string]Value(Item(v.Map).Clone())
	}
	return v
}

// Clone copies it deeply; nil stays nil.
func (it Item) Clone() Item {
	if it == nil {
		return nil
	}
	c := make(Item, len(it))
	for k, v := range it {
		c[k] = v.Clone()
	}
	return c
}

// Names returns the item's attribute names in order.
func (it Item) Names() []string { return slices.Sorted(maps.Keys(it)) }
