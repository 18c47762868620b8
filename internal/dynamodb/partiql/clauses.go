package partiql

// The statements' clauses: SELECT ... FROM ... WHERE ... ORDER BY, the DML
// of UPDATE, DELETE and FROM ... SET, INSERT INTO and RETURNING, as
// SqlParser (with DynamoDB's ORDER BY) reads them.

import "strings"

type source struct {
	expr    *node
	aliased bool
	unpivot bool
}

type selectNode struct {
	distinct, value bool
	items           []*node // nil item for *
	aliased         bool
	from            []source
	joined          bool
	where           *node
	orderBy         []orderItem
	clauses         []string // GROUP BY, HAVING, LIMIT, OFFSET when present
}

type orderItem struct {
	expr *node
	desc bool
}

type dmlNode struct {
	from      []source
	joined    bool
	ops       []*node
	where     *node
	returning []returnElem
}

type insertNode struct {
	target     *node
	value      *node
	at         *node
	onConflict bool
	returning  []returnElem
}

type returnElem struct {
	mapping string // all_old, all_new, modified_old, modified_new
	column  *node  // nil for *
}

// selectTerm parses SELECT after its keyword.
func (p *parser) selectTerm(kw token) (*node, error) {
	s := &selectNode{}
	switch {
	case p.acceptKeyword("distinct"):
		s.distinct = true
	case p.acceptKeyword("all"):
	}
	if p.acceptKeyword("value") {
		s.value = true
		v, err := p.expr(-1)
		if err != nil {
			return nil, err
		}
		s.items = []*node{v}
	} else {
		for {
			if p.peek().kind == tStar {
				p.i++
				s.items = append(s.items, nil)
			} else {
				item, err := p.expr(-1)
				if err != nil {
					return nil, err
				}
				aliased, err := p.alias(true)
				if err != nil {
					return nil, err
				}
				s.aliased = s.aliased || aliased
				s.items = append(s.items, item)
			}
			if !p.isPunct(",") {
				break
			}
			p.i++
		}
	}
	if !p.acceptKeyword("from") {
		return nil, malformed(sFromAfterSelect)
	}
	var err error
	if s.from, s.joined, err = p.fromList(); err != nil {
		return nil, err
	}
	if p.acceptKeyword("where") {
		if s.where, err = p.expr(-1); err != nil {
			return nil, err
		}
	}
	if p.acceptKeyword("group") {
		s.clauses = append(s.clauses, "GROUP BY")
		p.acceptKeyword("partial")
		if !p.acceptKeyword("by") {
			return nil, malformed("Expected BY")
		}
		if _, err := p.aliasedArgs(); err != nil {
			return nil, err
		}
		if p.acceptKeyword("group") {
			if !p.acceptKeyword("as") {
				return nil, malformed("Expected AS keyword")
			}
			if t := p.next(); t.kind != tIdent && t.kind != tQuoted {
				return nil, malformed("Expected identifier for GROUP name")
			}
		}
	}
	if p.acceptKeyword("having") {
		s.clauses = append(s.clauses, "HAVING")
		if _, err := p.expr(-1); err != nil {
			return nil, err
		}
	}
	if p.acceptKeyword("order") {
		if !p.acceptKeyword("by") {
			return nil, malformed("Expected BY")
		}
		for {
			e, err := p.expr(-1)
			if err != nil {
				return nil, err
			}
			it := orderItem{expr: e}
			switch {
			case p.acceptKeyword("desc"):
				it.desc = true
			case p.acceptKeyword("asc"):
			}
			s.orderBy = append(s.orderBy, it)
			if !p.isPunct(",") {
				break
			}
			p.i++
		}
	}
	for _, c := range []string{"limit", "offset"} {
		if p.acceptKeyword(c) {
			s.clauses = append(s.clauses, strings.ToUpper(c))
			if _, err := p.expr(-1); err != nil {
				return nil, err
			}
		}
	}
	return &node{kind: nSelect, tok: kw, sel: s}, nil
}

// aliasedArgs parses expr [[AS] name] (, ...)*.
func (p *parser) aliasedArgs() ([]*node, error) {
	var items []*node
	for {
		n, err := p.expr(-1)
		if err != nil {
			return nil, err
		}
		if _, err := p.alias(true); err != nil {
			return nil, err
		}
		items = append(items, n)
		if !p.isPunct(",") {
			return items, nil
		}
		p.i++
	}
}

// alias parses an optional [AS] name, reporting whether there was one.
func (p *parser) alias(bare bool) (bool, error) {
	if p.acceptKeyword("as") {
		if t := p.peek(); t.kind != tIdent && t.kind != tQuoted {
			return false, malformed("Expected identifier for AS-alias")
		}
		p.i++
		return true, nil
	}
	if t := p.peek(); bare && (t.kind == tIdent || t.kind == tQuoted) {
		p.i++
		return true, nil
	}
	return false, nil
}

// sourceAliases parses the AS, AT and BY names a FROM source may have.
func (p *parser) sourceAliases() (bool, error) {
	aliased, err := p.alias(true)
	if err != nil {
		return false, err
	}
	for _, kw := range []string{"at", "by"} {
		if p.acceptKeyword(kw) {
			if t := p.peek(); t.kind != tIdent && t.kind != tQuoted {
				return false, malformed("Expected identifier for " + strings.ToUpper(kw) + "-alias")
			}
			p.i++
			aliased = true
		}
	}
	return aliased, nil
}

// fromList parses FROM's sources, joined by commas or JOINs.
func (p *parser) fromList() ([]source, bool, error) {
	var out []source
	joined := false
	for {
		unpivot := p.acceptKeyword("unpivot")
		e, err := p.expr(-1)
		if err != nil {
			return nil, false, err
		}
		aliased, err := p.sourceAliases()
		if err != nil {
			return nil, false, err
		}
		out = append(out, source{expr: e, aliased: aliased, unpivot: unpivot})
		if joined && p.acceptKeyword("on") {
			if _, err := p.expr(-1); err != nil {
				return nil, false, err
			}
		}
		switch {
		case p.isPunct(","):
			p.i++
		case p.peek().kind == tKeyword && joinWords[p.peek().text]:
			for p.peek().kind == tKeyword && joinWords[p.peek().text] {
				p.i++
			}
		default:
			return out, joined, nil
		}
		joined = true
	}
}

// fromTerm parses the FROM-first form of UPDATE: FROM t [WHERE c] SET ...
func (p *parser) fromTerm(kw token) (*node, error) {
	d := &dmlNode{}
	var err error
	if d.from, d.joined, err = p.fromList(); err != nil {
		return nil, err
	}
	if p.acceptKeyword("where") {
		if d.where, err = p.expr(-1); err != nil {
			return nil, err
		}
	}
	if d.ops, err = p.baseDMLs(); err != nil {
		return nil, err
	}
	if d.returning, err = p.returning(); err != nil {
		return nil, err
	}
	return &node{kind: nDML, tok: kw, dml: d}, nil
}

// legacyDML parses UPDATE t ... and DELETE FROM t ... after their keywords.
func (p *parser) legacyDML(kw token, ops func() ([]*node, error)) (*node, error) {
	target, err := p.path(true)
	if err != nil {
		return nil, err
	}
	aliased, err := p.sourceAliases()
	if err != nil {
		return nil, err
	}
	d := &dmlNode{from: []source{{expr: target, aliased: aliased}}}
	if d.ops, err = ops(); err != nil {
		return nil, err
	}
	if p.acceptKeyword("where") {
		if d.where, err = p.expr(-1); err != nil {
			return nil, err
		}
	}
	if d.returning, err = p.returning(); err != nil {
		return nil, err
	}
	return &node{kind: nDML, tok: kw, dml: d}, nil
}

// baseDMLs parses one or more of SET ..., REMOVE path and INSERT INTO ...
func (p *parser) baseDMLs() ([]*node, error) {
	var ops []*node
	for t := p.peek(); t.kind == tKeyword && (t.text == "set" || t.text == "remove" || t.text == "insert_into"); t = p.peek() {
		op, err := p.baseDML()
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return nil, malformed(sNoDML)
	}
	return ops, nil
}

func (p *parser) baseDML() (*node, error) {
	kw := p.next()
	switch kw.text {
	case "set":
		n := &node{kind: nSet, tok: kw}
		for {
			target, err := p.path(true)
			if err != nil {
				return nil, err
			}
			if !p.acceptKeywordOp("=") {
				return nil, malformed(sExpectEquals)
			}
			v, err := p.expr(-1)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, target, v)
			if !p.isPunct(",") {
				return n, nil
			}
			p.i++
		}
	case "remove":
		target, err := p.path(true)
		if err != nil {
			return nil, err
		}
		return &node{kind: nRemove, tok: kw, kids: []*node{target}}, nil
	}
	target, err := p.path(true)
	if err != nil {
		return nil, err
	}
	in := &insertNode{target: target}
	if !p.acceptKeyword("value") {
		if in.value, err = p.expr(-1); err != nil {
			return nil, err
		}
		return &node{kind: nInsert, tok: kw, ins: in}, nil
	}
	if in.value, err = p.expr(-1); err != nil {
		return nil, err
	}
	if p.acceptKeyword("at") {
		if in.at, err = p.expr(-1); err != nil {
			return nil, err
		}
	}
	if p.acceptKeyword("on_conflict") {
		if !p.acceptKeyword("where") {
			return nil, malformed(sOnConflict)
		}
		if _, err := p.expr(-1); err != nil {
			return nil, err
		}
		if !p.acceptKeyword("do_nothing") {
			return nil, malformed(sOnConflict)
		}
		in.onConflict = true
	}
	if in.returning, err = p.returning(); err != nil {
		return nil, err
	}
	return &node{kind: nInsertValue, tok: kw, ins: in}, nil
}

var returnMappings = map[string]bool{"all_old": true, "all_new": true, "modified_old": true, "modified_new": true}

// returning parses an optional RETURNING clause.
func (p *parser) returning() ([]returnElem, error) {
	if !p.acceptKeyword("returning") {
		return nil, nil
	}
	var out []returnElem
	for {
		t := p.peek()
		if t.kind != tKeyword || !returnMappings[t.text] {
			return nil, malformed(sReturningMapping)
		}
		p.i++
		e := returnElem{mapping: t.text}
		if p.peek().kind == tStar {
			p.i++
		} else {
			col, err := p.expr(-1)
			if err != nil {
				return nil, err
			}
			switch {
			case col.kind == nPath && len(col.comps) > 1:
				return nil, malformed(sReturningPaths)
			case col.kind != nPath && col.kind != nID && col.kind != nLit && col.kind != nParam && col.kind != nMissing:
				return nil, malformed(sReturningColumn)
			}
			e.column = col
		}
		out = append(out, e)
		if !p.isPunct(",") {
			return out, nil
		}
		p.i++
	}
}

// tableValues parses VALUES (a, b), (c, d) after its keyword: a bag of rows.
func (p *parser) tableValues(kw token) (*node, error) {
	n := &node{kind: nBag, tok: kw}
	for {
		if !p.isPunct("(") {
			return nil, malformed(sRowConstructor)
		}
		open := p.next()
		items, err := p.args()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")", "RIGHT_PAREN"); err != nil {
			return nil, err
		}
		n.kids = append(n.kids, &node{kind: nList, tok: open, kids: items})
		if !p.isPunct(",") {
			return n, nil
		}
		p.i++
	}
}
