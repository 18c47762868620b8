// Package attr is DynamoDB's type system: attribute values, their JSON wire
// form, numbers of 38 digits, the order of key values, and item sizes as AWS
// counts them.
package attr

// Kind is an attribute value's type, named as on the wire.
type Kind uint8

// The kinds, in the wire's spelling (Kind.String).
const (
	Invalid Kind = iota
	S            // string
	N            // number: Value.N holds its canonical decimal text
	B            // binary
	BOOL
	NULL
	SS // string set
	NS // number set: Value.Set holds canonical decimal texts
	BS // binary set: Value.Set holds the bytes as strings
	L
	M
)

// Value is one attribute value. Only the fields of its Kind are set:
//
//	S      Str
//	N      N (canonical: no exponent, no leading zeros, no trailing fraction zeros, "-" only below zero)
//	B      Bin
//	BOOL   Bool
//	NULL   (nothing)
//	SS/NS/BS Set: the members, distinct; BS members are the bytes as Go strings
//	L      List
//	M      Map
//
// Values are treated as immutable once built: code that changes an item copies
// the parts it changes (Clone).
type Value struct {
	Kind Kind
	Str  string
	N    string
	Bin  []byte
	Bool bool
	Set  []string
	List []Value
	Map  map[string]Value
}

// Item is a whole item, or a key: attribute name to value.
type Item map[string]Value

// Convenience constructors, for code and tests that build values.

// Str returns an S value.
func Str(s string) Value { return Value{Kind: S, Str: s} }

// Bin returns a B value.
func Bin(b []byte) Value { return Value{Kind: B, Bin: b} }

// Bool returns a BOOL value.
func Bool(b bool) Value { return Value{Kind: BOOL, Bool: b} }

// Null returns the NULL value.
func Null() Value { return Value{Kind: NULL} }
