package expr

import (
	"encoding/base64"
	"slices"
	"strings"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// condKind is a node of a condition.
type condKind uint8

const (
	cOr condKind = iota + 1
	cAnd
	cNot
	cCompare // args[0] cmp args[1]
	cBetween // args[0] BETWEEN args[1] AND args[2]
	cIn      // args[0] IN (args[1:])
	cFunc    // fn(args...)
	cTrue    // a legacy condition set with no conditions
)

type cond struct {
	kind condKind
	kids []*cond
	cmp  string // =, <>, <, <=, >, >=
	fn   string // attribute_exists, attribute_not_exists, attribute_type, begins_with, contains, and the legacy NOT_CONTAINS
	args []*operand
}

// Condition is a condition or filter expression, or the legacy parameters'
// equivalent, ready to evaluate against items.
type Condition struct {
	root *cond
}

// conditionKeywords cannot name attributes or functions in conditions.
var conditionKeywords = map[string]bool{"AND": true, "OR": true, "NOT": true, "BETWEEN": true, "IN": true}

// conditionFunctions are the functions of conditions, by their number of
// operands. size is one too, though only as an operand.
var conditionFunctions = map[string]int{
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2, "size": 1,
}

var comparators = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

// ParseCondition parses a ConditionExpression or FilterExpression (param
// names which, for the messages). Errors are DynamoDB's ValidationExceptions.
func ParseCondition(param, src string, ps *Params) (*Condition, error) {
	root, p, err := parseConditionTree(param, src, ps)
	if err != nil {
		return nil, err
	}
	if redundantParens(p.toks) {
		p.errs.add(eParens, invalid(param, "The expression has redundant parentheses;"))
	}
	if err := p.errs.conditionError(); err != nil {
		return nil, err
	}
	return &Condition{root: root}, nil
}

// parseConditionTree parses src with the condition grammar. It returns the
// parameter, size and syntax errors; the semantic ones are left in the
// parser, for the caller to answer in its grammar's order.
func parseConditionTree(param, src string, ps *Params) (*cond, *parser, error) {
	if err := ps.check(); err != nil {
		return nil, nil, err
	}
	if err := checkSize(param, src); err != nil {
		return nil, nil, err
	}
	p := newParser(param, src, ps, conditionKeywords)
	c, err := p.or()
	if err != nil {
		return nil, nil, err
	}
	if p.peek().kind != tEOF {
		return nil, nil, p.syntaxError()
	}
	return c, p, nil
}

func (p *parser) or() (*cond, error)  { return p.joined("OR", cOr, p.and) }
func (p *parser) and() (*cond, error) { return p.joined("AND", cAnd, p.not) }

// joined parses sub (kw sub)*, left-associative.
func (p *parser) joined(kw string, kind condKind, sub func() (*cond, error)) (*cond, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(kw) {
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = &cond{kind: kind, kids: []*cond{l, r}}
	}
	return l, nil
}

// not parses NOT* primary: NOT binds tighter than AND, and may repeat
// (Alternator's tests record AWS counting 1000 NOTs as operators, not
// refusing them as a syntax error).
func (p *parser) not() (*cond, error) {
	if !p.isKeyword("NOT") {
		return p.primary()
	}
	p.next()
	if err := p.operator(); err != nil {
		return nil, err
	}
	c, err := p.not()
	if err != nil {
		return nil, err
	}
	return &cond{kind: cNot, kids: []*cond{c}}, nil
}

// primary parses a parenthesized condition, a comparison, BETWEEN, IN or a
// function. A '(' may also open an operand ("(a) = :v", "(a.b).c = :v"):
// which it is depends on what follows its ')'.
func (p *parser) primary() (*cond, error) {
	if p.is("(") && !p.opensOperand() {
		p.next()
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	c, err := p.comparison()
	if err != nil {
		return nil, err
	}
	p.errs.closeCondition()
	return c, nil
}

// opensOperand reports whether the '(' at the current token groups an
// operand: its ')' is followed by a comparator, BETWEEN, IN or more path.
func (p *parser) opensOperand() bool {
	depth := 0
	for j := p.i; j < len(p.toks); j++ {
		t := p.toks[j]
		if t.kind != tPunct {
			continue
		}
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				n := p.toks[j+1]
				return n.kind == tPunct && (comparators[n.text] || n.text == "." || n.text == "[") ||
					n.kind == tIdent && (strings.EqualFold(n.text, "BETWEEN") || strings.EqualFold(n.text, "IN"))
			}
		}
	}
	return false
}

// comparison parses an operand and what follows it: a comparator, BETWEEN or
// IN and their operands, or nothing when the operand is a function call,
// which is then the condition itself.
func (p *parser) comparison() (*cond, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tPunct && comparators[t.text]:
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		p.misused(l, r)
		p.checkDistinct(t.text, l, r)
		if t.text != "=" && t.text != "<>" {
			p.checkOrderable(t.text, l, r)
		}
		return &cond{kind: cCompare, cmp: t.text, args: []*operand{l, r}}, nil
	case p.isKeyword("BETWEEN"):
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.syntaxError()
		}
		p.next()
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		p.misused(l, lo, hi)
		p.checkBetween(l, lo, hi)
		return &cond{kind: cBetween, args: []*operand{l, lo, hi}}, nil
	case p.isKeyword("IN"):
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		list, err := p.args(p.operand)
		if err != nil {
			return nil, err
		}
		all := append([]*operand{l}, list...)
		p.misused(all...)
		if len(list) > maxInOperands {
			// Wording recorded from DynamoDB (Local) by two other emulators'
			// tests; the "Invalid ...Expression: " prefix is assumed.
			p.errs.add(eOperand, invalid(p.param, "The IN operator is provided with too many operands; number of operands: %d", len(list)))
		}
		return &cond{kind: cIn, args: all}, nil
	case l.kind == oCall:
		if l.name == "size" {
			p.errs.add(eMisusedFn, misusedError(p.param, l.name))
		}
		return &cond{kind: cFunc, fn: l.name, args: l.args}, nil
	}
	return nil, p.syntaxError()
}

// operand parses a condition operand: a path, an :value, a function call,
// or any of them in parentheses; a parenthesized path may go on (a path
// grouped as "(a.b).c").
func (p *parser) operand() (*operand, error) {
	switch {
	case p.is("("):
		p.next()
		o, err := p.operand()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if !p.is(".") && !p.is("[") {
			return o, nil
		}
		if o.kind != oPath {
			return nil, p.syntaxError()
		}
		from := len(o.raw)
		raw, err := p.pathTail(slices.Clip(o.raw))
		if err != nil {
			return nil, err
		}
		return &operand{kind: oPath, raw: raw, path: p.notePath(raw, from)}, nil
	case p.peek().kind == tValue:
		return p.valueOperand(), nil
	case p.isCall():
		return p.call()
	}
	return p.pathOperand()
}

// call parses a function call and checks it. Any name parses; an unknown
// one is a semantic error, not a syntax error.
func (p *parser) call() (*operand, error) {
	name := p.next().text
	args, err := p.args(p.operand)
	if err != nil {
		return nil, err
	}
	o := &operand{kind: oCall, name: name, args: args}
	p.misused(args...)
	p.checkFunction(o)
	if p.is(".") || p.is("[") {
		return nil, p.syntaxError() // size(a).b
	}
	return o, nil
}

func misusedError(param, fn string) error {
	return invalid(param, "The function is not allowed to be used this way in an expression; function: %s", fn)
}

// misused notes a function other than size used where an operand belongs.
func (p *parser) misused(ops ...*operand) {
	for _, o := range ops {
		if o.kind == oCall && o.name != "size" {
			p.errs.add(eMisusedFn, misusedError(p.param, o.name))
			return
		}
	}
}

// checkDistinct refuses a path compared with itself.
func (p *parser) checkDistinct(op string, a, b *operand) {
	if a.kind == oPath && b.kind == oPath && a.path != nil && a.path.equal(b.path) {
		p.errs.add(eDistinct, invalid(p.param, "The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s", op, a.path))
	}
}

// checkOrderable refuses an :value that cannot be ordered (anything but a
// string, number or binary) as an operand of op. AWS refuses "a < :list"
// with a ValidationException while a list attribute just compares false
// (Alternator's tests); the wording is DynamoDB's for operand types, as its
// PartiQL front end answers it for "val < ?" with a BOOL.
func (p *parser) checkOrderable(op string, ops ...*operand) {
	for _, o := range ops {
		if ty := o.valueType(); ty != "" && ty != "S" && ty != "N" && ty != "B" {
			p.errs.add(eFunction, operandTypeError(p.param, op, ty))
			return
		}
	}
}

func operandTypeError(param, fn, ty string) error {
	return invalid(param, "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", fn, ty)
}

// checkBetween refuses bounds that cannot be ordered, are of different
// types, or are the wrong way round.
func (p *parser) checkBetween(v, lo, hi *operand) {
	p.checkOrderable("BETWEEN", v, lo, hi)
	if lo.kind != oValue || hi.kind != oValue || lo.val.Kind == attr.Invalid || hi.val.Kind == attr.Invalid {
		return
	}
	if lo.val.Kind != hi.val.Kind {
		p.errs.add(eFunction, invalid(p.param, "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: %s, upper bound operand: %s", shown(lo.val), shown(hi.val)))
		return
	}
	if c, ok := attr.Compare(lo.val, hi.val); ok && c > 0 {
		p.errs.add(eFunction, invalid(p.param, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: %s, upper bound operand: %s", shown(lo.val), shown(hi.val)))
	}
}

// shown is a scalar as DynamoDB prints it in BETWEEN messages: AttributeValue: {N:1}.
func shown(v attr.Value) string {
	var s string
	switch v.Kind {
	case attr.S:
		s = v.Str
	case attr.N:
		s = v.N
	case attr.B:
		s = base64.StdEncoding.EncodeToString(v.Bin)
	}
	return "AttributeValue: {" + v.Kind.String() + ":" + s + "}"
}

// resultType is the type a condition operand is known to have before any
// item is seen: an :value's, N for size(), BOOL for the condition functions
// (so begins_with(a, size(b)) is refused as operand type N); "" when it
// depends on the item.
func (o *operand) resultType() string {
	switch {
	case o.kind == oValue:
		return o.valueType()
	case o.kind != oCall:
		return ""
	case o.name == "size":
		return "N"
	case o.name == "begins_with" || o.name == "attribute_type" || o.name == "contains":
		return "BOOL"
	}
	return ""
}

var attributeTypes = []string{"S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"}

// checkFunction checks a condition function's name, number of operands and
// operand types.
func (p *parser) checkFunction(o *operand) {
	want, known := conditionFunctions[o.name]
	if !known {
		p.errs.add(eUnknownFn, invalid(p.param, "Invalid function name; function: %s", o.name))
		return
	}
	if len(o.args) != want {
		p.errs.add(eOperand, invalid(p.param, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", o.name, len(o.args)))
		return
	}
	if want == 2 {
		p.checkDistinct(o.name, o.args[0], o.args[1])
	}
	switch o.name {
	case "attribute_exists", "attribute_not_exists":
		if o.args[0].kind != oPath {
			p.errs.add(eFunction, invalid(p.param, "Operator or function requires a document path; operator or function: %s", o.name))
		}
	case "begins_with":
		for _, a := range o.args {
			if ty := a.resultType(); ty != "" && ty != "S" && ty != "B" {
				p.errs.add(eFunction, operandTypeError(p.param, o.name, ty))
				return
			}
		}
	case "attribute_type":
		t := o.args[1]
		switch ty := t.resultType(); {
		case ty == "":
			p.errs.add(eFunction, operandTypeError(p.param, o.name, "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"))
		case ty != "S":
			p.errs.add(eFunction, operandTypeError(p.param, o.name, ty))
		case !slices.Contains(attributeTypes, t.val.Str):
			p.errs.add(eFunction, invalid(p.param, "Invalid attribute type name found; type: %s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", t.val.Str))
		}
	case "size":
		// size(:s) is accepted and measures the value (dynalite's tests
		// record AWS refusing only N, BOOL and NULL operands).
		if ty := o.args[0].resultType(); ty == "N" || ty == "BOOL" || ty == "NULL" {
			p.errs.add(eFunction, operandTypeError(p.param, o.name, ty))
		}
	}
}

// redundantParens reports whether some parenthesized group holds nothing
// but another parenthesized group, as in "((a = b))" or "a > ((b))", which
// DynamoDB refuses. The parentheses of a function call or of IN's list are
// not a group: "size((a))" is not redundant, "size(((a)))" is.
func redundantParens(toks []token) bool {
	match := make([]int, len(toks))
	var open []int
	for i, t := range toks {
		if t.kind != tPunct {
			continue
		}
		switch t.text {
		case "(":
			open = append(open, i)
		case ")":
			if len(open) > 0 {
				match[open[len(open)-1]] = i
				open = open[:len(open)-1]
			}
		}
	}
	for i, t := range toks {
		if t.kind != tPunct || t.text != "(" || match[i] == 0 || i > 0 && opensList(toks[i-1]) {
			continue
		}
		if inner := i + 1; toks[inner].kind == tPunct && toks[inner].text == "(" && match[inner] == match[i]-1 {
			return true
		}
	}
	return false
}

// opensList reports whether a '(' after t opens a function's operands or
// IN's list rather than a group.
func opensList(t token) bool {
	return t.kind == tIdent && (!conditionKeywords[strings.ToUpper(t.text)] || strings.EqualFold(t.text, "IN"))
}
