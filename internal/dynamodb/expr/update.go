package expr

import (
	"slices"
	"strings"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// actKind is an update action's clause.
type actKind uint8

const (
	aSet actKind = iota + 1
	aRemove
	aAdd
	aDelete
)

type action struct {
	kind   actKind
	path   path
	val    *operand // SET's value, ADD's and DELETE's :value
	legacy bool     // from AttributeUpdates, which words a type mismatch its own way
}

// Update is an UpdateExpression or AttributeUpdates, ready to apply.
type Update struct {
	actions []action
}

// updateKeywords are the clause names, which cannot name attributes.
var updateKeywords = map[string]bool{"SET": true, "REMOVE": true, "ADD": true, "DELETE": true}

// ParseUpdate parses an UpdateExpression: SET, REMOVE, ADD and DELETE
// clauses, each at most once, in any order. Errors are DynamoDB's
// ValidationExceptions.
func ParseUpdate(src string, ps *Params) (*Update, error) {
	const param = "UpdateExpression"
	if err := ps.check(); err != nil {
		return nil, err
	}
	if err := checkSize(param, src); err != nil {
		return nil, err
	}
	p := newParser(param, src, ps, updateKeywords)
	u := &Update{}
	seen := map[string]bool{}
	for {
		t := p.peek()
		clause := strings.ToUpper(t.text)
		if t.kind != tIdent || !updateKeywords[clause] {
			return nil, p.syntaxError()
		}
		p.next()
		for {
			a, err := p.updateAction(clause)
			if err != nil {
				return nil, err
			}
			u.actions = append(u.actions, a)
			if !p.is(",") {
				break
			}
			p.next()
		}
		if seen[clause] {
			p.errs.add(eSection, invalid(param, "The \"%s\" section can only be used once in an update expression;", clause))
		}
		seen[clause] = true
		if p.peek().kind == tEOF {
			break
		}
	}
	paths := make([]path, len(u.actions))
	for i, a := range u.actions {
		paths[i] = a.path
	}
	p.notePathClash(paths)
	if err := p.errs.firstOf(eReserved, eUnknownFn, eMisusedFn, eSection, eDepth, eAttrName, eAttrVal, eOverlap, eConflict, eOperand, eFunction); err != nil {
		return nil, err
	}
	return u, nil
}

func (p *parser) updateAction(clause string) (action, error) {
	target, err := p.pathOperand()
	if err != nil {
		return action{}, err
	}
	a := action{path: target.path}
	switch clause {
	case "SET":
		a.kind = aSet
		if err := p.expect("="); err != nil {
			return action{}, err
		}
		if a.val, err = p.setValue(); err != nil {
			return action{}, err
		}
	case "REMOVE":
		a.kind = aRemove
	default:
		a.kind = aAdd
		if clause == "DELETE" {
			a.kind = aDelete
		}
		if p.peek().kind != tValue {
			return action{}, p.syntaxError()
		}
		a.val = p.valueOperand()
		k := a.val.val.Kind
		if k != attr.Invalid && !isSet(k) && (a.kind == aDelete || k != attr.N) {
			p.errs.add(eOperand, invalid(p.param, "Incorrect operand type for operator or function; operator: %s, operand type: %s", clause, typeName(k)))
		}
	}
	return a, nil
}

// setValue parses a SET action's value: operand [ (+|-) operand ], possibly
// in parentheses. Only two operands add: "a + b + c" is a syntax error.
func (p *parser) setValue() (*operand, error) {
	if p.is("(") && p.wrapsValue() {
		p.next()
		v, err := p.setValue()
		if err != nil {
			return nil, err
		}
		return v, p.expect(")")
	}
	l, err := p.updateOperand()
	if err != nil {
		return nil, err
	}
	if !p.is("+") && !p.is("-") {
		return l, nil
	}
	op := p.next().text
	if err := p.operator(); err != nil {
		return nil, err
	}
	r, err := p.updateOperand()
	if err != nil {
		return nil, err
	}
	for _, o := range []*operand{l, r} {
		if ty := o.valueType(); ty != "" && ty != "N" {
			p.errs.add(eFunction, operandTypeError(p.param, op, ty))
			break
		}
	}
	return &operand{kind: oArith, name: op, args: []*operand{l, r}}, nil
}

// wrapsValue reports whether the '(' at the current token encloses a whole
// SET value, its ')' ending the action.
func (p *parser) wrapsValue() bool {
	depth := 0
	for j := p.i; j < len(p.toks); j++ {
		t := p.toks[j]
		if t.kind == tPunct && t.text == "(" {
			depth++
		}
		if t.kind == tPunct && t.text == ")" {
			if depth--; depth == 0 {
				n := p.toks[j+1]
				return n.kind == tEOF || n.kind == tPunct && n.text == "," || p.grammarWord(n)
			}
		}
	}
	return false
}

// updateOperand parses a path, an :value, if_not_exists(...) or
// list_append(...), possibly in parentheses.
func (p *parser) updateOperand() (*operand, error) {
	switch {
	case p.is("("):
		p.next()
		o, err := p.updateOperand()
		if err != nil {
			return nil, err
		}
		return o, p.expect(")")
	case p.peek().kind == tValue:
		return p.valueOperand(), nil
	case p.isCall():
		return p.updateCall()
	}
	return p.pathOperand()
}

// updateCall parses and checks a function of SET values.
func (p *parser) updateCall() (*operand, error) {
	name := p.next().text
	args, err := p.args(p.updateOperand)
	if err != nil {
		return nil, err
	}
	o := &operand{kind: oCall, name: name, args: args}
	if name != "if_not_exists" && name != "list_append" {
		// Names are case-sensitive: AWS refuses LIST_APPEND (Alternator's tests).
		p.errs.add(eUnknownFn, invalid(p.param, "Invalid function name; function: %s", name))
		return o, nil
	}
	if name == "list_append" {
		// AWS refuses list_append(list_append(...), ...) so, though it takes
		// list_append(if_not_exists(...), ...) (Alternator's tests).
		for _, a := range args {
			if a.kind == oCall && a.name == "list_append" {
				p.errs.add(eMisusedFn, misusedError(p.param, a.name))
			}
		}
	}
	if len(args) != 2 {
		p.errs.add(eFunction, invalid(p.param, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args)))
		return o, nil
	}
	switch name {
	case "if_not_exists":
		if args[0].kind != oPath {
			p.errs.add(eFunction, invalid(p.param, "Operator or function requires a document path; operator or function: if_not_exists"))
		}
	case "list_append":
		for _, a := range args {
			if ty := a.valueType(); ty != "" && ty != "L" {
				p.errs.add(eFunction, operandTypeError(p.param, name, ty))
				break
			}
		}
	}
	return o, nil
}

// FromAttributeUpdates is the legacy AttributeUpdates: PUT (the default),
// ADD or DELETE per top-level attribute.
func FromAttributeUpdates(au map[string]AttributeUpdate) (*Update, error) {
	u := &Update{}
	for _, name := range sortedKeys(au) {
		up := au[name]
		a := action{path: path{{name: name}}, legacy: true}
		if up.Value != nil {
			a.val = &operand{kind: oValue, val: *up.Value}
		}
		switch up.Action {
		case "", "PUT", "ADD":
			if up.Value == nil {
				return nil, invalidParam("Only DELETE action is allowed when no attribute value is specified")
			}
			a.kind = aSet
			if up.Action == "ADD" {
				a.kind = aAdd
				if k := up.Value.Kind; k != attr.N && k != attr.L && !isSet(k) {
					return nil, invalidParam("Action ADD is not supported for the type " + k.String())
				}
			}
		case "DELETE":
			a.kind = aRemove
			if up.Value != nil {
				a.kind = aDelete
				if k := up.Value.Kind; !isSet(k) {
					return nil, invalidParam("Action DELETE is not supported for the type " + k.String())
				}
			}
		default:
			return nil, validation("1 validation error detected: Value '" + up.Action + "' at 'attributeUpdates." + name + ".member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
		}
		u.actions = append(u.actions, a)
	}
	return u, nil
}

// Top returns the distinct top-level attribute names the update writes, in
// the order the update names them.
func (u *Update) Top() []string {
	var names []string
	for _, a := range u.actions {
		if len(a.path) > 0 && !slices.Contains(names, a.path[0].name) {
			names = append(names, a.path[0].name)
		}
	}
	return names
}

// Updated returns the parts of item at the paths the update wrote, for
// ReturnValues UPDATED_OLD (item before the update) and UPDATED_NEW (after);
// nil when none of them is in item.
func (u *Update) Updated(item attr.Item) attr.Item {
	paths := make([]path, len(u.actions))
	for i, a := range u.actions {
		paths[i] = a.path
	}
	out := projectPaths(item, paths)
	if len(out) == 0 {
		return nil
	}
	return out
}
