package expr

import (
	"slices"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// DynamoDB's runtime errors of an update (DynamoDB Local's message catalogue
// and the API reference's list for UpdateItem).
var (
	errNoAttribute = validation("The provided expression refers to an attribute that does not exist in the item")
	errOperandType = validation("An operand in the update expression has an incorrect data type")
	errBadPath     = validation("The document path provided in the update expression is invalid for update")
	errLegacyType  = validation("Type mismatch for attribute to update")
)

// Apply applies the update to item, which the caller owns and which may be
// changed in place, and returns the result, or DynamoDB's error for an
// update the item does not allow. Every value is computed from the item as
// it was before the update, so "SET a = b, b = a" swaps; list indexes mean
// what they meant before it, so "REMOVE l[1] SET l[3] = :v" sets the
// element that was fourth.
func (u *Update) Apply(item attr.Item) (attr.Item, error) {
	if item == nil {
		item = attr.Item{}
	}
	vals := make([]attr.Value, len(u.actions))
	for i, a := range u.actions {
		if a.kind == aSet {
			v, err := a.val.value(item)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
	}
	for _, i := range u.order() {
		a := u.actions[i]
		var err error
		switch a.kind {
		case aSet:
			err = modify(item, a.path, func(attr.Value, bool) (attr.Value, bool, error) { return vals[i], true, nil })
		case aRemove:
			err = modify(item, a.path, func(cur attr.Value, _ bool) (attr.Value, bool, error) { return cur, false, nil })
		case aAdd:
			err = modify(item, a.path, a.add)
		case aDelete:
			err = modify(item, a.path, a.delete)
		}
		if err != nil {
			return nil, err
		}
	}
	return item, nil
}

// order is the order in which to apply the actions. The paths never overlap,
// so only lists care: the writes go first, by path, so that elements set
// past a list's end are appended by index (as the developer guide says they
// are); then the removals, from the last path to the first, so that each
// removal leaves the indexes still to come where they were.
func (u *Update) order() []int {
	idx := make([]int, len(u.actions))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		a, b := u.actions[x], u.actions[y]
		switch ra, rb := a.kind == aRemove, b.kind == aRemove; {
		case ra && rb:
			return b.path.compare(a.path)
		case ra:
			return 1
		case rb:
			return -1
		}
		return a.path.compare(b.path)
	})
	return idx
}

// value computes a SET action's value from item.
func (o *operand) value(item attr.Item) (attr.Value, error) {
	switch o.kind {
	case oValue:
		return o.val, nil
	case oPath:
		if v, ok := o.path.get(item); ok {
			return v, nil
		}
		return attr.Value{}, errNoAttribute
	case oCall:
		if o.name == "if_not_exists" {
			if v, ok := o.args[0].path.get(item); ok {
				return v, nil
			}
			return o.args[1].value(item)
		}
		return o.listAppend(item)
	case oArith:
		return o.arith(item)
	}
	return attr.Value{}, errOperandType
}

// operands computes a function's two operands, each of kind k; the first is
// checked before the second is computed, as DynamoDB does.
func (o *operand) operands(item attr.Item, k attr.Kind) (attr.Value, attr.Value, error) {
	var vs [2]attr.Value
	for i, arg := range o.args {
		v, err := arg.value(item)
		if err != nil {
			return attr.Value{}, attr.Value{}, err
		}
		if v.Kind != k {
			return attr.Value{}, attr.Value{}, errOperandType
		}
		vs[i] = v
	}
	return vs[0], vs[1], nil
}

func (o *operand) listAppend(item attr.Item) (attr.Value, error) {
	a, b, err := o.operands(item, attr.L)
	if err != nil {
		return attr.Value{}, err
	}
	l := make([]attr.Value, 0, len(a.List)+len(b.List))
	return attr.Value{Kind: attr.L, List: append(append(l, a.List...), b.List...)}, nil
}

func (o *operand) arith(item attr.Item) (attr.Value, error) {
	a, b, err := o.operands(item, attr.N)
	if err != nil {
		return attr.Value{}, err
	}
	var n string
	if o.name == "+" {
		n, err = attr.Add(a.N, b.N)
	} else {
		n, err = attr.Sub(a.N, b.N)
	}
	if err != nil {
		return attr.Value{}, err
	}
	return attr.Value{Kind: attr.N, N: n}, nil
}

// change is what to do with the value at a path: given the current value
// (and whether there is one), the new value, or keep false to remove it.
type change func(cur attr.Value, exists bool) (v attr.Value, keep bool, err error)

// modify applies f at pa in item. Maps and lists on the way are copied
// before they change: their values may be shared with the item as it was.
func modify(item attr.Item, pa path, f change) error {
	name := pa[0].name
	if len(pa) == 1 {
		cur, ok := item[name]
		v, keep, err := f(cur, ok)
		switch {
		case err != nil:
			return err
		case keep:
			item[name] = v
		default:
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

// modifyIn applies f at rest inside v and returns the changed copy of v.
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
	if !(e.isIndex && v.Kind == attr.L || !e.isIndex && v.Kind == attr.M) {
		return attr.Value{}, errBadPath
	}
	cur, exists := childOf(v, e)
	nv, keep, err := f(cur, exists)
	if err != nil {
		return attr.Value{}, err
	}
	v = shallowCopy(v)
	switch {
	case !e.isIndex && keep:
		v.Map[e.name] = nv
	case !e.isIndex:
		delete(v.Map, e.name)
	case keep && exists:
		v.List[e.index] = nv
	case keep:
		// An index past the end appends, as DynamoDB does.
		v.List = append(v.List, nv)
	case exists:
		v.List = slices.Delete(v.List, e.index, e.index+1)
	}
	return v, nil
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

// mismatch is the error for an ADD or DELETE operand of the wrong type.
func (a action) mismatch() error {
	if a.legacy {
		return errLegacyType
	}
	return errOperandType
}

// add is ADD: to a number, to a set (a union), or (AttributeUpdates only)
// to a list; a missing attribute is created with the operand.
func (a action) add(cur attr.Value, exists bool) (attr.Value, bool, error) {
	arg := a.val.val
	switch {
	case !exists:
		return arg, true, nil
	case cur.Kind != arg.Kind:
		return attr.Value{}, false, a.mismatch()
	case arg.Kind == attr.N:
		n, err := attr.Add(cur.N, arg.N)
		return attr.Value{Kind: attr.N, N: n}, err == nil, err
	case arg.Kind == attr.L:
		return attr.Value{Kind: attr.L, List: append(slices.Clone(cur.List), arg.List...)}, true, nil
	}
	set := slices.Clone(cur.Set)
	for _, m := range arg.Set {
		if !hasMember(arg.Kind, set, m) {
			set = append(set, m)
		}
	}
	return attr.Value{Kind: cur.Kind, Set: set}, true, nil
}

// delete is DELETE: the operand's members leave the set; a set left empty
// is removed, DynamoDB having no empty sets; a missing attribute stays so.
func (a action) delete(cur attr.Value, exists bool) (attr.Value, bool, error) {
	arg := a.val.val
	if !exists {
		return cur, false, nil
	}
	if cur.Kind != arg.Kind {
		return attr.Value{}, false, a.mismatch()
	}
	var set []string
	for _, m := range cur.Set {
		if !hasMember(arg.Kind, arg.Set, m) {
			set = append(set, m)
		}
	}
	return attr.Value{Kind: cur.Kind, Set: set}, len(set) > 0, nil
}
