package expr

import (
	"strconv"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// opKind is what an operand is.
type opKind uint8

const (
	oPath        opKind = iota + 1 // a document path
	oValue                         // an :value
	oSize                          // size(path)
	oIfNotExists                   // if_not_exists(path, operand), updates only
	oListAppend                    // list_append(a, b), updates only
	oPlus                          // a + b, updates only
	oMinus                         // a - b, updates only
	oFunc                          // a condition function used as an operand: always refused
)

// operand is one side of a comparison, or the value of a SET action.
type operand struct {
	kind opKind
	path path
	raw  []rawElem
	val  attr.Value
	name string // the function's name, as written
	args []*operand
}

// errs collects a parse's semantic errors by class; DynamoDB reports the
// first of the first class that has one, in a fixed order of classes, after
// the whole expression parsed.
type errs struct {
	byClass map[string]error
}

func (e *errs) add(class string, err error) {
	if e.byClass == nil {
		e.byClass = map[string]error{}
	}
	if _, ok := e.byClass[class]; !ok {
		e.byClass[class] = err
	}
}

func (e *errs) first(order ...string) error {
	for _, c := range order {
		if err := e.byClass[c]; err != nil {
			return err
		}
	}
	return nil
}

// The classes, named as dynalite names them.
const (
	eParens     = "parens"
	eUnknownFn  = "unknownFunction"
	eMisusedFn  = "misusedFunction"
	eReserved   = "reserved"
	eAttrName   = "attrName"
	eAttrVal    = "attrVal"
	eOperand    = "operand"
	eDistinct   = "distinct"
	eFunction   = "function"
	eSection    = "section"
	eOverlap    = "pathOverlap"
	eConflict   = "pathConflict"
	eDepth      = "depth"
	eInOperands = "inOperands"
)

// pathOperand parses a path at the current token and resolves it, noting
// reserved words and undefined names.
func (p *parser) pathOperand(ps *Params, e *errs) (*operand, error) {
	raw, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	if err := depthError(p.param, raw); err != nil {
		e.add(eDepth, err)
	}
	if w, ok := reservedIn(raw); ok {
		e.add(eReserved, invalid(p.param, "Attribute name is a reserved keyword; reserved keyword: %s", w))
	}
	pa, undefined, ok := resolve(raw, ps)
	if !ok {
		e.add(eAttrName, invalid(p.param, "An expression attribute name used in the document path is not defined; attribute name: %s", undefined))
	}
	return &operand{kind: oPath, path: pa, raw: raw}, nil
}

// valueOperand resolves the :value at the current token.
func (p *parser) valueOperand(ps *Params, e *errs) *operand {
	t := p.next()
	v, ok := ps.value(t.text)
	if !ok {
		e.add(eAttrVal, invalid(p.param, "An expression attribute value used in expression is not defined; attribute value: %s", t.text))
	}
	return &operand{kind: oValue, val: v}
}

// args parses '(' operand (',' operand)* ')' with sub parsing each operand.
func (p *parser) args(sub func() (*operand, error)) ([]*operand, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []*operand
	for {
		o, err := sub()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
		if p.is(",") {
			p.next()
			continue
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return out, nil
	}
}

// typeOf is the type an operand is known to have before evaluation ("" when
// it depends on the item): a value's kind, or N for size().
func (o *operand) typeOf() string {
	switch o.kind {
	case oValue:
		return o.val.Kind.String()
	case oSize:
		return "N"
	}
	return ""
}

// eval returns the operand's value in item, and whether it has one.
func (o *operand) eval(item attr.Item) (attr.Value, bool) {
	switch o.kind {
	case oPath:
		return o.path.get(item)
	case oValue:
		return o.val, o.val.Kind != attr.Invalid
	case oSize:
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
// a set or list or map; none for other kinds.
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
