package expr

import (
	"sort"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// Projection is a ProjectionExpression or AttributesToGet: the paths an item
// is cut down to.
type Projection struct {
	paths []path
}

var projectionErrorOrder = []string{eReserved, eDepth, eAttrName, eOverlap, eConflict}

// ParseProjection parses a ProjectionExpression: paths separated by commas.
func ParseProjection(src string, ps *Params) (*Projection, error) {
	const param = "ProjectionExpression"
	if ps != nil && ps.err != nil {
		return nil, ps.err
	}
	if err := checkSize(param, src); err != nil {
		return nil, err
	}
	p := newParser(param, src)
	var e errs
	pr := &Projection{}
	for {
		o, err := p.pathOperand(ps, &e)
		if err != nil {
			return nil, err
		}
		pr.paths = append(pr.paths, o.path)
		if !p.is(",") {
			break
		}
		p.next()
	}
	if p.peek().kind != tEOF {
		return nil, p.syntaxError()
	}
	if e.byClass[eAttrName] == nil {
		if err := overlapError(param, pr.paths); err != nil {
			e.add(eOverlap, err)
		}
	}
	if err := e.first(projectionErrorOrder...); err != nil {
		return nil, err
	}
	return pr, nil
}

// FromAttributesToGet is the legacy AttributesToGet: top-level names, which
// need no placeholders and may be reserved words.
func FromAttributesToGet(names []string) (*Projection, error) {
	pr := &Projection{}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, validation("One or more parameter values were invalid: Duplicate value in attribute name: " + n)
		}
		seen[n] = true
		pr.paths = append(pr.paths, path{{name: n}})
	}
	return pr, nil
}

// Apply returns the parts of it the projection names. Elements of a list
// come out in their order, packed together, as DynamoDB returns them.
func (pr *Projection) Apply(it attr.Item) attr.Item {
	out := attr.Item{}
	if pr == nil {
		return it
	}
	return projectPaths(it, pr.paths, out)
}

// projectPaths copies each path of paths that exists in it into out.
func projectPaths(it attr.Item, paths []path, out attr.Item) attr.Item {
	// A tree of what to keep, built first so list elements can be packed in
	// index order whatever order the paths were written in.
	root := &keep{}
	for _, pa := range paths {
		n := root
		for _, e := range pa {
			n = n.child(e)
		}
		n.whole = true
	}
	for name, k := range root.names {
		v, ok := it[name]
		if !ok {
			continue
		}
		if pv, ok := k.apply(v); ok {
			out[name] = pv
		}
	}
	return out
}

// keep is a node of a projection tree: the whole value, or some of its map
// keys or list elements.
type keep struct {
	whole   bool
	names   map[string]*keep
	indexes map[int]*keep
}

func (k *keep) child(e elem) *keep {
	if e.isIndex {
		if k.indexes == nil {
			k.indexes = map[int]*keep{}
		}
		if k.indexes[e.index] == nil {
			k.indexes[e.index] = &keep{}
		}
		return k.indexes[e.index]
	}
	if k.names == nil {
		k.names = map[string]*keep{}
	}
	if k.names[e.name] == nil {
		k.names[e.name] = &keep{}
	}
	return k.names[e.name]
}

func (k *keep) apply(v attr.Value) (attr.Value, bool) {
	if k.whole {
		return v, true
	}
	switch {
	case k.names != nil && v.Kind == attr.M:
		m := map[string]attr.Value{}
		for name, c := range k.names {
			if e, ok := v.Map[name]; ok {
				if pv, ok := c.apply(e); ok {
					m[name] = pv
				}
			}
		}
		if len(m) == 0 {
			return attr.Value{}, false
		}
		return attr.Value{Kind: attr.M, Map: m}, true
	case k.indexes != nil && v.Kind == attr.L:
		idx := make([]int, 0, len(k.indexes))
		for i := range k.indexes {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		var l []attr.Value
		for _, i := range idx {
			if i < len(v.List) {
				if pv, ok := k.indexes[i].apply(v.List[i]); ok {
					l = append(l, pv)
				}
			}
		}
		if len(l) == 0 {
			return attr.Value{}, false
		}
		return attr.Value{Kind: attr.L, List: l}, true
	}
	return attr.Value{}, false
}
