package expr

import (
	"strconv"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// opKind is what an operand is.
type opKind uint8

const (
	oPath  opKind = iota + 1 // a document path
	oValue                   // an :value
	oCall                    // a function call: size(...) in conditions, if_not_exists(...) and list_append(...) in updates
	oArith                   // a + b or a - b, in updates
)

// operand is one side of a comparison, an argument of a function, or the
// value of a SET action.
type operand struct {
	kind opKind
	raw  []rawElem  // oPath, as written
	path path       // oPath, resolved; nil when a #name is undefined
	val  attr.Value // oValue; Kind Invalid when the :value is undefined
	name string     // oCall: the function as written; oArith: "+" or "-"
	args []*operand // oCall, oArith
}

// pathOperand parses a document path at the current token and notes its
// reserved words and undefined names.
func (p *parser) pathOperand() (*operand, error) {
	raw, err := p.path()
	if err != nil {
		return nil, err
	}
	return &operand{kind: oPath, raw: raw, path: p.notePath(raw, 0)}, nil
}

// valueOperand resolves the :value at the current token.
func (p *parser) valueOperand() *operand {
	t := p.next()
	v, ok := p.ps.value(t.text)
	if !ok {
		err := invalid(p.param, "An expression attribute value used in expression is not defined; attribute value: %s", t.text)
		p.errs.add(eAttrVal, err)
		p.errs.add(ePlaceholder, err)
	}
	return &operand{kind: oValue, val: v}
}

// valueType is the type of an :value operand, as DynamoDB names types in
// operand messages ("N", "SS", "L", ...); "" for any other operand, whose
// type depends on the item.
func (o *operand) valueType() string {
	if o.kind == oValue {
		return o.val.Kind.String()
	}
	return ""
}

// eval returns a condition operand's value in item, and whether it has one.
func (o *operand) eval(item attr.Item) (attr.Value, bool) {
	switch o.kind {
	case oPath:
		return o.path.get(item)
	case oValue:
		return o.val, o.val.Kind != attr.Invalid
	case oCall:
		if o.name != "size" {
			return attr.Value{}, false
		}
		v, ok := o.args[0].eval(item)
		if !ok {
			return attr.Value{}, false
		}
		n, ok := sizeOf(v)
		if !ok {
			return attr.Value{}, false
		}
		return attr.Value{Kind: attr.N, N: strconv.Itoa(n)}, true
	}
	return attr.Value{}, false
}

// sizeOf is size(): a string's length in bytes, a binary's, the members of
// a set or list or map; none for numbers, booleans and nulls, which then
// compare with nothing.
func sizeOf(v attr.Value) (int, bool) {
	switch v.Kind {
	case attr.S:
		return len(v.Str), true
	case attr.B:
		return len(v.Bin), true
	case attr.SS, attr.NS, attr.BS:
		return len(v.Set), true
	case attr.L:
		return len(v.List), true
	case attr.M:
		return len(v.Map), true
	}
	return 0, false
}
