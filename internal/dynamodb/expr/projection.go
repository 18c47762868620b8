package expr

import (
	"slices"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// Projection is a ProjectionExpression or AttributesToGet: the paths an item
// is cut down to.
type Projection struct {
	paths []path
}

// ParseProjection parses a ProjectionExpression: document paths separated
// by commas. Errors are DynamoDB's ValidationExceptions.
func ParseProjection(src string, ps *Params) (*Projection, error) {
	const param = "ProjectionExpression"
	if err := ps.check(); err != nil {
		return nil, err
	}
	if err := checkSize(param, src); err != nil {
		return nil, err
	}
	// A projection has no keywords: "and" is a reserved word like any other.
	p := newParser(param, src, ps, nil)
	pr := &Projection{}
	for {
		o, err := p.pathOperand()
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
	p.notePathClash(pr.paths)
	if err := p.errs.firstOf(eReserved, eDepth, eAttrName, eOverlap, eConflict); err != nil {
		return nil, err
	}
	return pr, nil
}

// FromAttributesToGet is the legacy AttributesToGet: top-level names, which
// need no placeholders and may be reserved words.
func FromAttributesToGet(names []string) (*Projection, error) {
	if len(names) == 0 {
		return nil, validation("1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	pr := &Projection{}
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return nil, invalidParam("Duplicate value in attribute name: " + n)
		}
		pr.paths = append(pr.paths, path{{name: n}})
	}
	return pr, nil
}

// Apply returns a new item holding the parts of it the projection names
// (never nil for a non-nil it). Maps keep their structure; the projected
// elements of a list come out packed together in index order, as DynamoDB
// returns them.
func (pr *Projection) Apply(it attr.Item) attr.Item {
	if pr == nil {
		return it
	}
	return projectPaths(it, pr.paths)
}

// projectPaths copies each of paths that exists in it into a new item.
func projectPaths(it attr.Item, paths []path) attr.Item {
	// A tree of what to keep, built first so that list elements come out in
	// index order whatever order the paths were written in.
	root := &keep{}
	for _, pa := range paths {
		n := root
		for _, e := range pa {
			n = n.child(e)
		}
		n.whole = true
	}
	out := attr.Item{}
	for name, k := range root.names {
		if v, ok := it[name]; ok {
			if pv, ok := k.apply(v); ok {
				out[name] = pv
			}
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

// apply returns the part of v that k keeps, if any of it exists.
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
		return attr.Value{Kind: attr.M, Map: m}, len(m) > 0
	case k.indexes != nil && v.Kind == attr.L:
		idx := make([]int, 0, len(k.indexes))
		for i := range k.indexes {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		var l []attr.Value
		for _, i := range idx {
			if i < len(v.List) {
				if pv, ok := k.indexes[i].apply(v.List[i]); ok {
					l = append(l, pv)
				}
			}
		}
		return attr.Value{Kind: attr.L, List: l}, len(l) > 0
	}
	return attr.Value{}, false
}
