package expr

import (
	"bytes"
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

// The order in which DynamoDB reports a condition's semantic errors.
var conditionErrorOrder = []string{eParens, eUnknownFn, eMisusedFn, eReserved, eDepth, eAttrName, eAttrVal, eOperand, eInOperands, eDistinct, eFunction}

// ParseCondition parses a ConditionExpression or FilterExpression (param
// names which, for the messages).
func ParseCondition(param, src string, ps *Params) (*Condition, error) {
	if ps != nil && ps.err != nil {
		return nil, ps.err
	}
	if err := checkSize(param, src); err != nil {
		return nil, err
	}
	p := newParser(param, src)
	var e errs
	c, err := p.or(ps, &e)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, p.syntaxError()
	}
	if err := e.first(conditionErrorOrder...); err != nil {
		return nil, err
	}
	return &Condition{root: c}, nil
}

func (p *parser) or(ps *Params, e *errs) (*cond, error) {
	l, err := p.and(ps, e)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("OR") {
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		r, err := p.and(ps, e)
		if err != nil {
			return nil, err
		}
		l = &cond{kind: cOr, kids: []*cond{l, r}}
	}
	return l, nil
}

func (p *parser) and(ps *Params, e *errs) (*cond, error) {
	l, err := p.not(ps, e)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("AND") {
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		r, err := p.not(ps, e)
		if err != nil {
			return nil, err
		}
		l = &cond{kind: cAnd, kids: []*cond{l, r}}
	}
	return l, nil
}

func (p *parser) not(ps *Params, e *errs) (*cond, error) {
	if p.isKeyword("NOT") {
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		c, err := p.not(ps, e)
		if err != nil {
			return nil, err
		}
		return &cond{kind: cNot, kids: []*cond{c}}, nil
	}
	return p.primary(ps, e)
}

// conditionFunctions are the functions that are conditions, by their operand count.
var conditionFunctions = map[string]int{
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2,
}

func (p *parser) primary(ps *Params, e *errs) (*cond, error) {
	if p.is("(") {
		p.next()
		if p.is("(") {
			// ((x)): DynamoDB refuses parentheses that group nothing more.
			save := p.i
			p.next()
			inner, err := p.or(ps, e)
			if err == nil && p.is(")") {
				p.next()
				if p.is(")") {
					e.add(eParens, invalid(p.param, "The expression has redundant parentheses;"))
					p.next()
					return inner, nil
				}
			}
			p.i = save
		}
		c, err := p.or(ps, e)
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	t := p.peek()
	if t.kind == tIdent && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(" {
		if _, ok := conditionFunctions[t.text]; ok {
			return p.function(ps, e)
		}
		if t.text != "size" {
			e.add(eUnknownFn, invalid(p.param, "Invalid function name; function: %s", t.text))
			return p.function(ps, e)
		}
	}
	l, err := p.condOperand(ps, e)
	if err != nil {
		return nil, err
	}
	switch {
	case p.is("=") || p.is("<>") || p.is("<") || p.is("<=") || p.is(">") || p.is(">="):
		cmp := p.next().text
		if err := p.operator(); err != nil {
			return nil, err
		}
		r, err := p.condOperand(ps, e)
		if err != nil {
			return nil, err
		}
		p.misused(e, l, r)
		c := &cond{kind: cCompare, cmp: cmp, args: []*operand{l, r}}
		p.checkDistinct(e, cmp, l, r)
		return c, nil
	case p.isKeyword("BETWEEN"):
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		lo, err := p.condOperand(ps, e)
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.syntaxError()
		}
		p.next()
		hi, err := p.condOperand(ps, e)
		if err != nil {
			return nil, err
		}
		p.misused(e, l, lo, hi)
		p.checkBetween(e, lo, hi)
		return &cond{kind: cBetween, args: []*operand{l, lo, hi}}, nil
	case p.isKeyword("IN"):
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		list, err := p.args(func() (*operand, error) { return p.condOperand(ps, e) })
		if err != nil {
			return nil, err
		}
		if len(list) > maxInOperands {
			e.add(eInOperands, invalid(p.param, "The expression contains too many operands for the IN operator; operator: IN, number of operands: %d", len(list)))
		}
		all := append([]*operand{l}, list...)
		p.misused(e, all...)
		return &cond{kind: cIn, args: all}, nil
	}
	if (l.kind == oSize || l.kind == oFunc) && (p.peek().kind == tEOF || p.is(")") || p.isKeyword("AND") || p.isKeyword("OR")) {
		// size(a) alone is not a condition.
		e.add(eMisusedFn, invalid(p.param, "The function is not allowed to be used this way in an expression; function: %s", l.name))
		return &cond{kind: cTrue}, nil
	}
	return nil, p.syntaxError()
}

// condOperand parses a path, a value or size(path).
func (p *parser) condOperand(ps *Params, e *errs) (*operand, error) {
	t := p.peek()
	switch {
	case t.kind == tValue:
		return p.valueOperand(ps, e), nil
	case t.kind == tIdent && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(":
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		args, err := p.args(func() (*operand, error) { return p.condOperand(ps, e) })
		if err != nil {
			return nil, err
		}
		if t.text != "size" {
			if _, ok := conditionFunctions[t.text]; !ok {
				e.add(eUnknownFn, invalid(p.param, "Invalid function name; function: %s", t.text))
			}
			return &operand{kind: oFunc, name: t.text, args: args}, nil
		}
		if len(args) != 1 {
			e.add(eOperand, invalid(p.param, "Incorrect number of operands for operator or function; operator or function: size, number of operands: %d", len(args)))
			return &operand{kind: oSize, name: "size", args: args}, nil
		}
		if args[0].kind != oPath {
			if ty := args[0].typeOf(); ty == "N" || ty == "BOOL" || ty == "NULL" {
				e.add(eFunction, invalid(p.param, "Incorrect operand type for operator or function; operator or function: size, operand type: %s", ty))
			} else {
				e.add(eFunction, invalid(p.param, "Operator or function requires a document path; operator or function: size"))
			}
		}
		return &operand{kind: oSize, name: "size", args: args}, nil
	case t.kind == tIdent || t.kind == tName:
		return p.pathOperand(ps, e)
	}
	return nil, p.syntaxError()
}

// misused notes a condition function used where an operand belongs.
func (p *parser) misused(e *errs, ops ...*operand) {
	for _, o := range ops {
		if o.kind == oFunc {
			e.add(eMisusedFn, invalid(p.param, "The function is not allowed to be used this way in an expression; function: %s", o.name))
		}
	}
}

// checkDistinct refuses a path compared with itself.
func (p *parser) checkDistinct(e *errs, op string, a, b *operand) {
	if a.kind == oPath && b.kind == oPath && a.path != nil && a.path.equal(b.path) {
		e.add(eDistinct, invalid(p.param, "The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s", op, a.path))
	}
}

// checkBetween refuses literal bounds of different types or in the wrong order.
func (p *parser) checkBetween(e *errs, lo, hi *operand) {
	if lo.kind != oValue || hi.kind != oValue || lo.val.Kind == attr.Invalid || hi.val.Kind == attr.Invalid {
		return
	}
	show := func(v attr.Value) string { return "AttributeValue: {" + v.Kind.String() + ":" + scalarText(v) + "}" }
	if lo.val.Kind != hi.val.Kind {
		e.add(eFunction, invalid(p.param, "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: %s, upper bound operand: %s", show(lo.val), show(hi.val)))
		return
	}
	if c, ok := attr.Compare(lo.val, hi.val); ok && c > 0 {
		e.add(eFunction, invalid(p.param, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: %s, upper bound operand: %s", show(lo.val), show(hi.val)))
	}
}

func scalarText(v attr.Value) string {
	switch v.Kind {
	case attr.S:
		return v.Str
	case attr.N:
		return v.N
	case attr.B:
		return string(v.Bin)
	}
	return ""
}

var attributeTypes = []string{"S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"}

// function parses one of the condition functions and checks its operands.
func (p *parser) function(ps *Params, e *errs) (*cond, error) {
	name := p.next().text
	if err := p.operator(); err != nil {
		return nil, err
	}
	args, err := p.args(func() (*operand, error) { return p.condOperand(ps, e) })
	if err != nil {
		return nil, err
	}
	c := &cond{kind: cFunc, fn: name, args: args}
	want, known := conditionFunctions[name]
	if !known {
		return c, nil
	}
	p.misused(e, args...)
	if len(args) != want {
		e.add(eOperand, invalid(p.param, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args)))
		return c, nil
	}
	if len(args) == 2 {
		p.checkDistinct(e, name, args[0], args[1])
	}
	switch name {
	case "attribute_exists", "attribute_not_exists":
		if args[0].kind != oPath {
			e.add(eFunction, invalid(p.param, "Operator or function requires a document path; operator or function: %s", name))
		}
	case "begins_with":
		for _, a := range args {
			if ty := a.typeOf(); ty != "" && ty != "S" && ty != "B" {
				e.add(eFunction, invalid(p.param, "Incorrect operand type for operator or function; operator or function: begins_with, operand type: %s", ty))
				break
			}
		}
	case "attribute_type":
		ty := args[1].typeOf()
		if args[1].kind != oValue || ty != "S" {
			if ty == "" {
				ty = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
			}
			e.add(eFunction, invalid(p.param, "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: %s", ty))
		} else if !slices.Contains(attributeTypes, args[1].val.Str) {
			e.add(eFunction, invalid(p.param, "Invalid attribute type name found; type: %s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", args[1].val.Str))
		}
	}
	return c, nil
}

// Eval reports whether item (nil: no item) meets the condition.
func (c *Condition) Eval(item attr.Item) bool {
	if c == nil || c.root == nil {
		return true
	}
	return c.root.eval(item)
}

func (c *cond) eval(item attr.Item) bool {
	switch c.kind {
	case cTrue:
		return true
	case cOr:
		for _, k := range c.kids {
			if k.eval(item) {
				return true
			}
		}
		return false
	case cAnd:
		for _, k := range c.kids {
			if !k.eval(item) {
				return false
			}
		}
		return true
	case cNot:
		return !c.kids[0].eval(item)
	case cCompare:
		a, ok1 := c.args[0].eval(item)
		b, ok2 := c.args[1].eval(item)
		if !ok1 || !ok2 {
			// A missing attribute equals nothing and orders with nothing.
			return c.cmp == "<>"
		}
		return compare(c.cmp, a, b)
	case cBetween:
		v, ok := c.args[0].eval(item)
		lo, ok1 := c.args[1].eval(item)
		hi, ok2 := c.args[2].eval(item)
		return ok && ok1 && ok2 && compare(">=", v, lo) && compare("<=", v, hi)
	case cIn:
		v, ok := c.args[0].eval(item)
		if !ok {
			return false
		}
		for _, o := range c.args[1:] {
			if w, ok := o.eval(item); ok && attr.Equal(v, w) {
				return true
			}
		}
		return false
	case cFunc:
		return c.evalFunc(item)
	}
	return false
}

// compare applies a comparison: = and <> to any values, the orderings to
// two values of one scalar kind (anything else is false).
func compare(op string, a, b attr.Value) bool {
	switch op {
	case "=":
		return attr.Equal(a, b)
	case "<>":
		return !attr.Equal(a, b)
	}
	n, ok := attr.Compare(a, b)
	if !ok {
		return false
	}
	switch op {
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	case ">=":
		return n >= 0
	}
	return false
}

func (c *cond) evalFunc(item attr.Item) bool {
	switch c.fn {
	case "attribute_exists":
		_, ok := c.args[0].eval(item)
		return ok
	case "attribute_not_exists":
		_, ok := c.args[0].eval(item)
		return !ok
	case "attribute_type":
		v, ok := c.args[0].eval(item)
		t, ok2 := c.args[1].eval(item)
		return ok && ok2 && t.Kind == attr.S && v.Kind.String() == t.Str
	case "begins_with":
		v, ok := c.args[0].eval(item)
		pre, ok2 := c.args[1].eval(item)
		if !ok || !ok2 || v.Kind != pre.Kind {
			return false
		}
		switch v.Kind {
		case attr.S:
			return strings.HasPrefix(v.Str, pre.Str)
		case attr.B:
			return bytes.HasPrefix(v.Bin, pre.Bin)
		}
		return false
	case "contains", "NOT_CONTAINS":
		v, ok := c.args[0].eval(item)
		w, ok2 := c.args[1].eval(item)
		if !ok || !ok2 {
			return false
		}
		has := contains(v, w)
		if c.fn == "NOT_CONTAINS" {
			return !has
		}
		return has
	}
	return false
}

// contains is contains(): a substring of a string, a subsequence of a
// binary, a member of a set (of the member's kind), an element of a list.
func contains(v, w attr.Value) bool {
	switch v.Kind {
	case attr.S:
		return w.Kind == attr.S && strings.Contains(v.Str, w.Str)
	case attr.B:
		return w.Kind == attr.B && bytes.Contains(v.Bin, w.Bin)
	case attr.SS:
		return w.Kind == attr.S && slices.Contains(v.Set, w.Str)
	case attr.NS:
		return w.Kind == attr.N && slices.ContainsFunc(v.Set, func(m string) bool { return attr.CompareNumbers(m, w.N) == 0 })
	case attr.BS:
		return w.Kind == attr.B && slices.Contains(v.Set, string(w.Bin))
	case attr.L:
		return slices.ContainsFunc(v.List, func(e attr.Value) bool { return attr.Equal(e, w) })
	}
	return false
}

// Top returns the distinct top-level attribute names the condition reads.
func (c *Condition) Top() []string {
	if c == nil || c.root == nil {
		return nil
	}
	var names []string
	var walk func(*cond)
	var walkOp func(*operand)
	walkOp = func(o *operand) {
		if o.kind == oPath && len(o.path) > 0 && !slices.Contains(names, o.path[0].name) {
			names = append(names, o.path[0].name)
		}
		for _, a := range o.args {
			walkOp(a)
		}
	}
	walk = func(c *cond) {
		for _, k := range c.kids {
			walk(k)
		}
		for _, a := range c.args {
			walkOp(a)
		}
	}
	walk(c.root)
	return names
}
