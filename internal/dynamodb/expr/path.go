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

// parsePath parses name ( '.' name | '[' digits ']' )*, the current token
// being the first name (an identifier or a #name).
func (p *parser) parsePath() ([]rawElem, error) {
	t := p.peek()
	if t.kind != tIdent && t.kind != tName {
		return nil, p.syntaxError()
	}
	p.next()
	raw := []rawElem{{tok: t}}
	for {
		switch {
		case p.is("."):
			p.next()
			t := p.peek()
			if t.kind != tIdent && t.kind != tName {
				return nil, p.syntaxError()
			}
			p.next()
			raw = append(raw, rawElem{tok: t})
		case p.is("["):
			p.next()
			t := p.peek()
			if t.kind != tNumber {
				return nil, p.syntaxError()
			}
			n, err := strconv.Atoi(t.text)
			if err != nil || n > 1<<31-1 {
				// DynamoDB Local's catalogue has "List index is not within the
				// allowable range"; the detail is unconfirmed.
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

// reservedIn returns the first identifier of raw that is a reserved word.
func reservedIn(raw []rawElem) (string, bool) {
	for _, e := range raw {
		if !e.isIndex && e.tok.kind == tIdent && isReserved(e.tok.text) {
			return e.tok.text, true
		}
	}
	return "", false
}

// resolve turns raw into a path, looking #names up in ps. It returns the
// first undefined #name when there is one.
func resolve(raw []rawElem, ps *Params) (path, string, bool) {
	out := make(path, len(raw))
	for i, e := range raw {
		switch {
		case e.isIndex:
			out[i] = elem{index: e.index, isIndex: true}
		case e.tok.kind == tName:
			n, ok := ps.name(e.tok.text)
			if !ok {
				return nil, e.tok.text, false
			}
			out[i] = elem{name: n}
		default:
			out[i] = elem{name: e.tok.text}
		}
	}
	return out, "", true
}

// String is the path as DynamoDB prints it in overlap messages: [a, b, [2]].
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
		switch {
		case e.isIndex && v.Kind == attr.L:
			if e.index >= len(v.List) {
				return attr.Value{}, false
			}
			v = v.List[e.index]
		case !e.isIndex && v.Kind == attr.M:
			v, ok = v.Map[e.name]
			if !ok {
				return attr.Value{}, false
			}
		default:
			return attr.Value{}, false
		}
	}
	return v, true
}

// overlapError returns DynamoDB's error for the first two paths of paths that
// overlap (one is a prefix of the other), or else that conflict (one indexes
// a list where the other names a map key), or nil.
func overlapError(param string, paths []path) error {
	var conflict error
	for j := 1; j < len(paths); j++ {
		for i := 0; i < j; i++ {
			a, b := paths[i], paths[j]
			overlap := true
			for k := 0; k < len(a) && k < len(b); k++ {
				if a[k].isIndex != b[k].isIndex {
					if conflict == nil {
						conflict = invalid(param, "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", a, b)
					}
					overlap = false
					break
				}
				if a[k] != b[k] {
					overlap = false
					break
				}
			}
			if overlap {
				return invalid(param, "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", a, b)
			}
		}
	}
	return conflict
}

// depthError refuses a path deeper than DynamoDB allows.
func depthError(param string, raw []rawElem) error {
	if len(raw) > maxPathDepth {
		// Wording from DynamoDB Local's message catalogue (DOC_PATH_TOO_DEEP);
		// the detail is unconfirmed.
		return invalid(param, "The document path has too many nesting levels; nesting levels: %d", len(raw))
	}
	return nil
}
