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
	kind actKind
	path path
	val  *operand // SET's value, ADD's and DELETE's :value
}

// Update is an UpdateExpression or AttributeUpdates, ready to apply.
type Update struct {
	actions []action
}

var updateErrorOrder = []string{eReserved, eUnknownFn, eSection, eDepth, eAttrName, eAttrVal, eOverlap, eConflict, eOperand, eFunction}

// ParseUpdate parses an UpdateExpression: SET, REMOVE, ADD and DELETE
// clauses, each at most once, in any order.
func ParseUpdate(src string, ps *Params) (*Update, error) {
	const param = "UpdateExpression"
	if ps != nil && ps.err != nil {
		return nil, ps.err
	}
	if err := checkSize(param, src); err != nil {
		return nil, err
	}
	p := newParser(param, src)
	var e errs
	u := &Update{}
	seen := map[string]bool{}
	for p.peek().kind != tEOF {
		t := p.peek()
		clause := strings.ToUpper(t.text)
		if t.kind != tIdent || (clause != "SET" && clause != "REMOVE" && clause != "ADD" && clause != "DELETE") {
			return nil, p.syntaxError()
		}
		p.next()
		if seen[clause] {
			e.add(eSection, invalid(param, "The \"%s\" section can only be used once in an update expression;", clause))
		}
		seen[clause] = true
		for {
			a, err := p.updateAction(clause, ps, &e)
			if err != nil {
				return nil, err
			}
			u.actions = append(u.actions, a)
			if !p.is(",") {
				break
			}
			p.next()
		}
	}
	if len(u.actions) == 0 {
		return nil, p.syntaxError()
	}
	if e.byClass[eAttrName] == nil {
		paths := make([]path, len(u.actions))
		for i, a := range u.actions {
			paths[i] = a.path
		}
		if err := overlapError(param, paths); err != nil {
			if strings.Contains(err.Error(), "overlap") {
				e.add(eOverlap, err)
			} else {
				e.add(eConflict, err)
			}
		}
	}
	if err := e.first(updateErrorOrder...); err != nil {
		return nil, err
	}
	return u, nil
}

func (p *parser) updateAction(clause string, ps *Params, e *errs) (action, error) {
	t := p.peek()
	if t.kind != tIdent && t.kind != tName {
		return action{}, p.syntaxError()
	}
	target, err := p.pathOperand(ps, e)
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
		if a.val, err = p.setValue(ps, e); err != nil {
			return action{}, err
		}
	case "REMOVE":
		a.kind = aRemove
	case "ADD", "DELETE":
		a.kind = aAdd
		if clause == "DELETE" {
			a.kind = aDelete
		}
		if p.peek().kind != tValue {
			return action{}, p.syntaxError()
		}
		a.val = p.valueOperand(ps, e)
		if k := a.val.val.Kind; k != attr.Invalid {
			ok := k == attr.SS || k == attr.NS || k == attr.BS || (clause == "ADD" && k == attr.N)
			if !ok {
				e.add(eOperand, invalid(p.param, "Incorrect operand type for operator or function; operator: %s, operand type: %s", clause, typeName(k)))
			}
		}
	}
	return a, nil
}

// setValue parses operand [ (+|-) operand ].
func (p *parser) setValue(ps *Params, e *errs) (*operand, error) {
	l, err := p.updateOperand(ps, e)
	if err != nil {
		return nil, err
	}
	if p.is("+") || p.is("-") {
		op := p.next().text
		if err := p.operator(); err != nil {
			return nil, err
		}
		r, err := p.updateOperand(ps, e)
		if err != nil {
			return nil, err
		}
		for _, o := range []*operand{l, r} {
			if ty := o.staticType(); ty != "" && ty != "N" {
				e.add(eFunction, invalid(p.param, "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op, ty))
			}
		}
		kind := oPlus
		if op == "-" {
			kind = oMinus
		}
		return &operand{kind: kind, name: op, args: []*operand{l, r}}, nil
	}
	return l, nil
}

// updateOperand parses a path, a value, if_not_exists(...) or list_append(...).
func (p *parser) updateOperand(ps *Params, e *errs) (*operand, error) {
	t := p.peek()
	switch {
	case t.kind == tValue:
		return p.valueOperand(ps, e), nil
	case t.kind == tIdent && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(":
		p.next()
		if err := p.operator(); err != nil {
			return nil, err
		}
		args, err := p.args(func() (*operand, error) { return p.updateOperand(ps, e) })
		if err != nil {
			return nil, err
		}
		o := &operand{name: t.text, args: args}
		switch t.text {
		case "if_not_exists":
			o.kind = oIfNotExists
		case "list_append":
			o.kind = oListAppend
		default:
			e.add(eUnknownFn, invalid(p.param, "Invalid function name; function: %s", t.text))
			o.kind = oFunc
			return o, nil
		}
		if len(args) != 2 {
			e.add(eFunction, invalid(p.param, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", t.text, len(args)))
			return o, nil
		}
		switch o.kind {
		case oIfNotExists:
			if args[0].kind != oPath {
				e.add(eFunction, invalid(p.param, "Operator or function requires a document path; operator or function: if_not_exists"))
			}
		case oListAppend:
			for _, a := range args {
				if ty := a.staticType(); ty != "" && ty != "L" {
					e.add(eFunction, invalid(p.param, "Incorrect operand type for operator or function; operator or function: list_append, operand type: %s", ty))
					break
				}
			}
		}
		return o, nil
	case t.kind == tIdent || t.kind == tName:
		return p.pathOperand(ps, e)
	}
	return nil, p.syntaxError()
}

// staticType is the type of a value operand ("" for anything that depends
// on the item).
func (o *operand) staticType() string {
	if o.kind == oValue {
		return o.val.Kind.String()
	}
	return ""
}

// FromAttributeUpdates is the legacy AttributeUpdates: PUT, ADD or DELETE
// per top-level attribute.
func FromAttributeUpdates(au map[string]AttributeUpdate) (*Update, error) {
	u := &Update{}
	for _, name := range sortedKeys(au) {
		up := au[name]
		pa := path{{name: name}}
		switch up.Action {
		case "", "PUT":
			if up.Value == nil {
				return nil, validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
			}
			u.actions = append(u.actions, action{kind: aSet, path: pa, val: &operand{kind: oValue, val: *up.Value}})
		case "ADD":
			if up.Value == nil {
				return nil, validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
			}
			k := up.Value.Kind
			if k != attr.N && k != attr.SS && k != attr.NS && k != attr.BS && k != attr.L {
				return nil, validation("One or more parameter values were invalid: ADD action is not supported for the type " + typeName(k))
			}
			u.actions = append(u.actions, action{kind: aAdd, path: pa, val: &operand{kind: oValue, val: *up.Value}})
		case "DELETE":
			if up.Value == nil {
				u.actions = append(u.actions, action{kind: aRemove, path: pa})
				continue
			}
			if k := up.Value.Kind; k != attr.SS && k != attr.NS && k != attr.BS {
				return nil, validation("One or more parameter values were invalid: DELETE action with value is not supported for the type " + typeName(k))
			}
			u.actions = append(u.actions, action{kind: aDelete, path: pa, val: &operand{kind: oValue, val: *up.Value}})
		default:
			return nil, validation("1 validation error detected: Value '" + up.Action + "' at 'attributeUpdates." + name + ".member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
		}
	}
	return u, nil
}

// Top returns the distinct top-level attribute names the update writes.
func (u *Update) Top() []string {
	var names []string
	for _, a := range u.actions {
		if !slices.Contains(names, a.path[0].name) {
			names = append(names, a.path[0].name)
		}
	}
	return names
}

// Updated returns the parts of item at the paths the update wrote, for
// ReturnValues UPDATED_OLD and UPDATED_NEW; nil when there are none.
func (u *Update) Updated(item attr.Item) attr.Item {
	paths := make([]path, len(u.actions))
	for i, a := range u.actions {
		paths[i] = a.path
	}
	out := projectPaths(item, paths, attr.Item{})
	if len(out) == 0 {
		return nil
	}
	return out
}

var (
	errNoAttribute = validation("The provided expression refers to an attribute that does not exist in the item")
	errOperandType = validation("An operand in the update expression has an incorrect data type")
	errBadPath     = validation("The document path provided in the update expression is invalid for update")
)

// Apply applies the update to item, which the caller owns, and returns the
// result. Every value is computed from the item as it was before the update.
func (u *Update) Apply(item attr.Item) (attr.Item, error) {
	if item == nil {
		item = attr.Item{}
	}
	vals := make([]attr.Value, len(u.actions))
	for i, a := range u.actions {
		if a.kind != aSet {
			continue
		}
		v, err := a.val.value(item)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	// Removals from one list go from the highest index down, so each index
	// means what it meant in the item as it was.
	order := make([]int, len(u.actions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		a, b := u.actions[x], u.actions[y]
		if a.kind == aRemove && b.kind == aRemove {
			return b.path.compare(a.path)
		}
		return 0
	})
	for _, i := range order {
		a := u.actions[i]
		var err error
		switch a.kind {
		case aSet:
			err = setPath(item, a.path, vals[i])
		case aRemove:
			err = removePath(item, a.path)
		case aAdd, aDelete:
			err = addDelete(item, a)
		}
		if err != nil {
			return nil, err
		}
	}
	return item, nil
}

// value computes a SET action's value from item.
func (o *operand) value(item attr.Item) (attr.Value, error) {
	switch o.kind {
	case oValue:
		return o.val, nil
	case oPath:
		v, ok := o.path.get(item)
		if !ok {
			return attr.Value{}, errNoAttribute
		}
		return v, nil
	case oIfNotExists:
		if v, ok := o.args[0].path.get(item); ok {
			return v, nil
		}
		return o.args[1].value(item)
	case oListAppend:
		a, err := o.args[0].value(item)
		if err != nil {
			return attr.Value{}, err
		}
		b, err := o.args[1].value(item)
		if err != nil {
			return attr.Value{}, err
		}
		if a.Kind != attr.L || b.Kind != attr.L {
			return attr.Value{}, errOperandType
		}
		l := make([]attr.Value, 0, len(a.List)+len(b.List))
		return attr.Value{Kind: attr.L, List: append(append(l, a.List...), b.List...)}, nil
	case oPlus, oMinus:
		a, err := o.args[0].value(item)
		if err != nil {
			return attr.Value{}, err
		}
		b, err := o.args[1].value(item)
		if err != nil {
			return attr.Value{}, err
		}
		if a.Kind != attr.N || b.Kind != attr.N {
			return attr.Value{}, errOperandType
		}
		var n string
		if o.kind == oPlus {
			n, err = attr.Add(a.N, b.N)
		} else {
			n, err = attr.Sub(a.N, b.N)
		}
		if err != nil {
			return attr.Value{}, err
		}
		return attr.Value{Kind: attr.N, N: n}, nil
	}
	return attr.Value{}, errOperandType
}

// change is what to do with the value at a path: given the current value
// (and whether there is one), the new value, or keep false to remove it.
type change func(cur attr.Value, exists bool) (v attr.Value, keep bool, err error)

// modify applies f at pa in item. Maps and lists on the way are copied
// before they change: values are shared with the item as it was.
func modify(item attr.Item, pa path, f change) error {
	name := pa[0].name
	if len(pa) == 1 {
		cur, ok := item[name]
		v, keep, err := f(cur, ok)
		if err != nil {
			return err
		}
		if keep {
			item[name] = v
		} else {
			delete(item, name)
		}
		return nil
	}
	child, ok := item[name]
	if !ok {
		return errBadPath
	}
	nc, err := modifyIn(child, pa[1:], f)
	if err != nil {
		return err
	}
	item[name] = nc
	return nil
}

func modifyIn(v attr.Value, rest path, f change) (attr.Value, error) {
	e := rest[0]
	if len(rest) > 1 {
		child, ok := childOf(v, e)
		if !ok {
			return attr.Value{}, errBadPath
		}
		nc, err := modifyIn(child, rest[1:], f)
		if err != nil {
			return attr.Value{}, err
		}
		v = shallowCopy(v)
		if e.isIndex {
			v.List[e.index] = nc
		} else {
			v.Map[e.name] = nc
		}
		return v, nil
	}
	switch {
	case e.isIndex && v.Kind == attr.L:
		exists := e.index < len(v.List)
		var cur attr.Value
		if exists {
			cur = v.List[e.index]
		}
		nv, keep, err := f(cur, exists)
		if err != nil {
			return attr.Value{}, err
		}
		v = shallowCopy(v)
		switch {
		case !keep && exists:
			v.List = slices.Delete(v.List, e.index, e.index+1)
		case keep && exists:
			v.List[e.index] = nv
		case keep:
			// An index past the end appends, as DynamoDB does.
			v.List = append(v.List, nv)
		}
		return v, nil
	case !e.isIndex && v.Kind == attr.M:
		cur, exists := v.Map[e.name]
		nv, keep, err := f(cur, exists)
		if err != nil {
			return attr.Value{}, err
		}
		v = shallowCopy(v)
		if keep {
			v.Map[e.name] = nv
		} else {
			delete(v.Map, e.name)
		}
		return v, nil
	}
	return attr.Value{}, errBadPath
}

func childOf(v attr.Value, e elem) (attr.Value, bool) {
	switch {
	case e.isIndex && v.Kind == attr.L:
		if e.index < len(v.List) {
			return v.List[e.index], true
		}
	case !e.isIndex && v.Kind == attr.M:
		c, ok := v.Map[e.name]
		return c, ok
	}
	return attr.Value{}, false
}

// shallowCopy copies a map's or list's top level, so it can be changed.
func shallowCopy(v attr.Value) attr.Value {
	switch v.Kind {
	case attr.M:
		m := make(map[string]attr.Value, len(v.Map)+1)
		for k, e := range v.Map {
			m[k] = e
		}
		v.Map = m
	case attr.L:
		v.List = slices.Clone(v.List)
	}
	return v
}

func setPath(item attr.Item, pa path, v attr.Value) error {
	return modify(item, pa, func(attr.Value, bool) (attr.Value, bool, error) { return v, true, nil })
}

func removePath(item attr.Item, pa path) error {
	return modify(item, pa, func(cur attr.Value, _ bool) (attr.Value, bool, error) { return cur, false, nil })
}

// addDelete is ADD (to a number or a set; creating the attribute when
// missing) and DELETE (members from a set; an emptied set is removed).
func addDelete(item attr.Item, a action) error {
	arg := a.val.val
	return modify(item, a.path, func(cur attr.Value, exists bool) (attr.Value, bool, error) {
		if !exists {
			if a.kind == aDelete {
				return cur, false, nil
			}
			return arg, true, nil
		}
		if cur.Kind != arg.Kind {
			return attr.Value{}, false, errOperandType
		}
		switch {
		case arg.Kind == attr.N:
			n, err := attr.Add(cur.N, arg.N)
			return attr.Value{Kind: attr.N, N: n}, true, err
		case arg.Kind == attr.L:
			// The legacy AttributeUpdates ADD appends to a list.
			return attr.Value{Kind: attr.L, List: append(slices.Clone(cur.List), arg.List...)}, true, nil
		case a.kind == aAdd:
			set := slices.Clone(cur.Set)
			for _, m := range arg.Set {
				if !hasMember(arg.Kind, set, m) {
					set = append(set, m)
				}
			}
			return attr.Value{Kind: cur.Kind, Set: set}, true, nil
		default:
			var set []string
			for _, m := range cur.Set {
				if !hasMember(arg.Kind, arg.Set, m) {
					set = append(set, m)
				}
			}
			if len(set) == 0 {
				return cur, false, nil
			}
			return attr.Value{Kind: cur.Kind, Set: set}, true, nil
		}
	})
}

func hasMember(k attr.Kind, set []string, m string) bool {
	if k == attr.NS {
		return slices.ContainsFunc(set, func(o string) bool { return attr.CompareNumbers(o, m) == 0 })
	}
	return slices.Contains(set, m)
}
