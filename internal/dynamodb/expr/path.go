package expr

import (
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// elem is one element of a document path: a map key (or top-level attribute
// name) or a list index.
type elem struct {
	name    string
	index   int
	isIndex bool
}

// path is a resolved document path: its first element is always a name.
type path []elem

// rawElem is a path element as written: an identifier (checked against the
// reserved words), a #name (resolved from the Params) or an index.
type rawElem struct {
	tok     token
	index   int
	isIndex bool
}

// pathName reads one name element of a path: an identifier the grammar does
// not keep for itself, or a #name.
func (p *parser) pathName() (rawElem, error) {
	t := p.peek()
	if (t.kind != tIdent || p.grammarWord(t)) && t.kind != tName {
		return rawElem{}, p.syntaxError()
	}
	p.next()
	return rawElem{tok: t}, nil
}

// path parses name ( '.' name | '[' digits ']' )*.
func (p *parser) path() ([]rawElem, error) {
	head, err := p.pathName()
	if err != nil {
		return nil, err
	}
	return p.pathTail([]rawElem{head})
}

// pathTail parses the '.' name and '[' digits ']' elements after raw.
func (p *parser) pathTail(raw []rawElem) ([]rawElem, error) {
	for {
		switch {
		case p.is("."):
			p.next()
			e, err := p.pathName()
			if err != nil {
				return nil, err
			}
			raw = append(raw, e)
		case p.is("["):
			p.next()
			t := p.peek()
			if t.kind != tNumber {
				return nil, p.syntaxError()
			}
			n, err := strconv.Atoi(t.text)
			if err != nil || n > 1<<31-1 {
				// DynamoDB Local's message catalogue has "List index is not
				// within the allowable range"; the detail is unconfirmed.
				return nil, invalid(p.param, "List index is not within the allowable range; index: %s", t.text)
			}
			p.next()
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			raw = append(raw, rawElem{tok: t, index: n, isIndex: true})
		default:
			return raw, nil
		}
	}
}

// notePath records the errors of raw's elements from from on (reserved
// words, undefined #names) and of raw as a whole (its depth), and returns
// raw resolved, or nil when a #name is undefined.
func (p *parser) notePath(raw []rawElem, from int) path {
	if len(raw) > maxPathDepth {
		// Wording from DynamoDB Local's message catalogue (DOC_PATH_TOO_DEEP);
		// the detail "nesting levels: 33" is what DynamoDB Local answers.
		p.errs.add(eDepth, invalid(p.param, "The document path has too many nesting levels; nesting levels: %d", len(raw)))
	}
	for _, e := range raw[from:] {
		switch {
		case e.isIndex:
		case e.tok.kind == tIdent:
			if isReserved(e.tok.text) {
				p.errs.add(eReserved, invalid(p.param, "Attribute name is a reserved keyword; reserved keyword: %s", e.tok.text))
			}
		default:
			if _, ok := p.ps.name(e.tok.text); !ok {
				err := invalid(p.param, "An expression attribute name used in the document path is not defined; attribute name: %s", e.tok.text)
				p.errs.add(eAttrName, err)
				p.errs.add(ePlaceholder, err)
			}
		}
	}
	return resolve(raw, p.ps)
}

// resolve turns raw into a path, looking #names up in ps; nil when one is
// not defined.
func resolve(raw []rawElem, ps *Params) path {
	out := make(path, len(raw))
	for i, e := range raw {
		switch {
		case e.isIndex:
			out[i] = elem{index: e.index, isIndex: true}
		case e.tok.kind == tName:
			n, ok := ps.name(e.tok.text)
			if !ok {
				return nil
			}
			out[i] = elem{name: n}
		default:
			out[i] = elem{name: e.tok.text}
		}
	}
	return out
}

// String is the path as DynamoDB prints it in its messages: [a, b, [2]].
func (pa path) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range pa {
		if i > 0 {
			b.WriteString(", ")
		}
		if e.isIndex {
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		} else {
			b.WriteString(e.name)
		}
	}
	b.WriteByte(']')
	return b.String()
}

func (pa path) equal(o path) bool {
	if len(pa) != len(o) {
		return false
	}
	for i := range pa {
		if pa[i] != o[i] {
			return false
		}
	}
	return true
}

// compare orders paths element by element, names by bytes and indexes by
// number, a name before an index; a prefix sorts first.
func (pa path) compare(o path) int {
	for i := 0; i < len(pa) && i < len(o); i++ {
		a, b := pa[i], o[i]
		switch {
		case a.isIndex != b.isIndex:
			if b.isIndex {
				return -1
			}
			return 1
		case a.isIndex:
			if a.index != b.index {
				if a.index < b.index {
					return -1
				}
				return 1
			}
		default:
			if c := strings.Compare(a.name, b.name); c != 0 {
				return c
			}
		}
	}
	return len(pa) - len(o)
}

// get returns the value at pa in item, if there is one.
func (pa path) get(item attr.Item) (attr.Value, bool) {
	if len(pa) == 0 || item == nil {
		return attr.Value{}, false
	}
	v, ok := item[pa[0].name]
	if !ok {
		return attr.Value{}, false
	}
	for _, e := range pa[1:] {
		if v, ok = childOf(v, e); !ok {
			return attr.Value{}, false
		}
	}
	return v, true
}

// childOf is v's element e: a list's element, a map's entry.
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

// notePathClash records the first two of paths that overlap (one is a
// prefix of the other) and the first two that conflict (they agree up to an
// element that is an index in one and a name in the other), each path
// checked against those before it, as DynamoDB reports them. A nil path (an
// undefined #name) clashes with nothing.
func (p *parser) notePathClash(paths []path) {
	for j := 1; j < len(paths); j++ {
		for i := 0; i < j; i++ {
			a, b := paths[i], paths[j]
			if a == nil || b == nil {
				continue
			}
			switch clash(a, b) {
			case clashOverlap:
				p.errs.add(eOverlap, invalid(p.param, "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", a, b))
				return
			case clashConflict:
				p.errs.add(eConflict, invalid(p.param, "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", a, b))
			}
		}
	}
}

const (
	clashNone = iota
	clashOverlap
	clashConflict
)

func clash(a, b path) int {
	for k := 0; k < len(a) && k < len(b); k++ {
		if a[k].isIndex != b[k].isIndex {
			return clashConflict
		}
		if a[k] != b[k] {
			return clashNone
		}
	}
	return clashOverlap
}
