package partiql

// The parser follows partiql-lang-kotlin's SqlParser, which DynamoDB runs:
// a statement is one expression (a Pratt parser over terms, SELECT, UPDATE,
// DELETE, FROM and INSERT INTO being terms), so that a statement the parser
// refuses is refused at the token and in the words DynamoDB's parser uses.
// What it accepts and DynamoDB does not run is refused afterwards, by the
// translation (translate.go).

import "strings"

type nodeKind uint8

const (
	nLit         nodeKind = iota + 1 // tok: tString, tNumber, tTrue, tFalse, tNull
	nMissing                         // MISSING
	nParam                           // ?: tok.ord
	nID                              // an identifier: tok (tIdent or tQuoted)
	nPath                            // kids[0] (the root) then comps
	nUnary                           // op "not", "-", "+": kids[0]
	nBinary                          // op: kids[0] op kids[1]
	nBetween                         // kids[0] BETWEEN kids[1] AND kids[2]; not for NOT BETWEEN
	nIn                              // kids[0] IN kids[1]; not for NOT IN
	nLike                            // kids[0] LIKE kids[1] [ESCAPE kids[2]]; not for NOT LIKE
	nIs                              // kids[0] IS op; not for IS NOT
	nCall                            // op (lower case) ( kids ), star for COUNT(*)
	nList                            // [ kids ] and ( a, b ) row values
	nBag                             // << kids >>
	nStruct                          // { kids[0]: kids[1], kids[2]: kids[3], ... }
	nSelect                          // sel
	nDML                             // dml: UPDATE, DELETE and FROM ... SET
	nInsertValue                     // ins: INSERT INTO t VALUE v
	nInsert                          // ins: INSERT INTO t <values> (several items)
	nSet                             // SET kids[0] = kids[1], kids[2] = kids[3], ...
	nRemove                          // REMOVE kids[0]
	nDelete                          // DELETE's operation
)

type node struct {
	kind  nodeKind
	tok   token
	op    string
	not   bool
	star  bool
	kids  []*node
	comps []comp
	sel   *selectNode
	dml   *dmlNode
	ins   *insertNode
}

// comp is one element of a path after its root: .name, .*, [expr] or [*].
type comp struct {
	dot   bool
	name  token // .name: tIdent or tQuoted
	star  bool
	index *node
}

// Binding powers, as OperatorPrecedenceGroups.
var infixPrec = map[string]int{
	"union": 5, "except": 5, "intersect": 5,
	"or": 10, "and": 20,
	"=": 40, "<>": 40, "is": 40, "is_not": 40, "in": 40, "not_in": 40,
	"<": 50, "<=": 50, ">": 50, ">=": 50, "between": 50, "not_between": 50, "like": 50, "not_like": 50,
	"+": 60, "-": 60, "||": 60,
	"*": 70, "/": 70, "%": 70,
}

const notPrec = 30

// typeNames are the names IS accepts, each with the name it aliases.
var typeNames = map[string]string{
	"missing": "missing", "null": "null", "boolean": "boolean", "bool": "boolean",
	"smallint": "smallint", "int2": "smallint", "integer2": "smallint", "int4": "integer4", "integer4": "integer4",
	"int8": "integer8", "integer8": "integer8", "bigint": "integer8", "int": "integer", "integer": "integer",
	"float": "float", "real": "real", "double_precision": "double_precision", "decimal": "decimal", "dec": "decimal",
	"numeric": "numeric", "timestamp": "timestamp", "date": "date", "time": "time",
	"character": "character", "char": "character", "character_varying": "character_varying", "varchar": "character_varying",
	"string": "string", "symbol": "symbol", "clob": "clob", "blob": "blob", "struct": "struct", "tuple": "tuple",
	"list": "list", "sexp": "sexp", "bag": "bag", "any": "any",
}

// functionKeywords are the keywords that name functions when a '(' follows.
var functionKeywords = map[string]bool{"exists": true, "count": true, "avg": true, "max": true, "min": true, "sum": true,
	"substring": true, "char_length": true, "character_length": true, "octet_length": true, "bit_length": true,
	"upper": true, "lower": true, "size": true, "sexp": true, "list": true, "bag": true}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isPunct(s string) bool { return p.peek().is(tPunct, s) }

func (p *parser) isKeyword(kw string) bool { return p.peek().is(tKeyword, kw) }

func (p *parser) acceptKeyword(kw string) bool {
	if p.isKeyword(kw) {
		p.i++
		return true
	}
	return false
}

// expectPunct consumes s or fails as SqlParser's deriveExpected does
// ("Expected RIGHT_PAREN").
func (p *parser) expectPunct(s, name string) error {
	if !p.isPunct(s) {
		return malformed("Expected " + name)
	}
	p.i++
	return nil
}

// atEnd reports whether only the end of the statement (perhaps after a ';')
// is left.
func (p *parser) atEnd() bool {
	t := p.peek()
	return t.kind == tEOF || t.is(tPunct, ";") && p.peekAt(1).kind == tEOF
}

// statement parses the whole statement as one expression.
func (p *parser) statement() (*node, error) {
	n, err := p.expr(-1)
	if err != nil {
		return nil, err
	}
	if !p.atEnd() {
		if p.isPunct(";") {
			return nil, malformed(sAfterSemicolon)
		}
		return nil, malformed(sLeftover)
	}
	return n, nil
}

// expr parses an expression whose operators bind more tightly than prec.
func (p *parser) expr(prec int) (*node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		ip := 0
		if t.kind == tOp || t.kind == tStar {
			ip = infixPrec[t.text]
		}
		if ip == 0 || prec >= ip {
			return left, nil
		}
		p.i++
		switch t.text {
		case "is", "is_not":
			typ, err := p.typeName()
			if err != nil {
				return nil, err
			}
			left = &node{kind: nIs, tok: t, op: typ, not: t.text == "is_not", kids: []*node{left}}
			continue
		case "in", "not_in":
			var right *node
			if p.isPunct("(") && !p.peekAt(1).is(tKeyword, "select") && !p.peekAt(1).is(tKeyword, "values") {
				open := p.next()
				items, err := p.args()
				if err != nil {
					return nil, err
				}
				if err := p.expectPunct(")", "RIGHT_PAREN"); err != nil {
					return nil, err
				}
				right = &node{kind: nList, tok: open, kids: items}
			} else if right, err = p.right(ip); err != nil {
				return nil, err
			}
			left = &node{kind: nIn, tok: t, not: t.text == "not_in", kids: []*node{left, right}}
			continue
		}
		right, err := p.right(ip)
		if err != nil {
			return nil, err
		}
		switch t.text {
		case "between", "not_between":
			if !p.acceptKeywordOp("and") {
				return nil, malformed("Expected AND keyword")
			}
			if p.atEnd() {
				return nil, malformed(sAfterAnd)
			}
			hi, err := p.expr(ip)
			if err != nil {
				return nil, err
			}
			left = &node{kind: nBetween, tok: t, not: t.text == "not_between", kids: []*node{left, right, hi}}
		case "like", "not_like":
			left = &node{kind: nLike, tok: t, not: t.text == "not_like", kids: []*node{left, right}}
			if p.acceptKeyword("escape") {
				if p.atEnd() {
					return nil, malformed("Expected expression after ESCAPE")
				}
				esc, err := p.expr(ip)
				if err != nil {
					return nil, err
				}
				left.kids = append(left.kids, esc)
			}
		default:
			left = &node{kind: nBinary, tok: t, op: t.text, kids: []*node{left, right}}
		}
	}
}

func (p *parser) acceptKeywordOp(op string) bool {
	if p.peek().is(tOp, op) {
		p.i++
		return true
	}
	return false
}

// right parses an infix operator's right operand; SqlParser refuses an
// operator with nothing but the end after it before it looks further.
func (p *parser) right(prec int) (*node, error) {
	if p.peek().kind == tEOF {
		return nil, malformed(sMissingRHS)
	}
	return p.expr(prec)
}

// unary parses NOT, unary + and - (folding a sign into a number, as the
// parser does) and otherwise a path.
func (p *parser) unary() (*node, error) {
	t := p.peek()
	if t.kind != tOp || t.text != "not" && t.text != "-" && t.text != "+" {
		return p.path(false)
	}
	p.i++
	if t.text == "not" {
		kid, err := p.expr(notPrec)
		if err != nil {
			return nil, err
		}
		return &node{kind: nUnary, tok: t, op: "not", kids: []*node{kid}}, nil
	}
	kid, err := p.unary()
	if err != nil {
		return nil, err
	}
	if kid.kind == nLit && kid.tok.kind == tNumber {
		if t.text == "-" {
			lit := *kid
			if rest, neg := strings.CutPrefix(lit.tok.text, "-"); neg {
				lit.tok.text = rest
			} else {
				lit.tok.text = "-" + lit.tok.text
			}
			return &lit, nil
		}
		return kid, nil
	}
	return &node{kind: nUnary, tok: t, op: t.text, kids: []*node{kid}}, nil
}

// path parses a term and the path elements after it. A simple path, as DML
// targets are, starts with an identifier and indexes only by literals.
func (p *parser) path(simple bool) (*node, error) {
	var root *node
	if simple {
		t := p.peek()
		if t.kind != tIdent && t.kind != tQuoted {
			return nil, malformed(sSimplePath)
		}
		p.i++
		root = &node{kind: nID, tok: t}
	} else {
		var err error
		if root, err = p.term(); err != nil {
			return nil, err
		}
	}
	var comps []comp
	for {
		switch {
		case p.isPunct("."):
			p.i++
			t := p.peek()
			switch {
			case t.kind == tIdent || t.kind == tQuoted:
				comps = append(comps, comp{dot: true, name: t})
			case t.kind == tStar:
				if simple {
					return nil, malformed(sSimplePathDot)
				}
				comps = append(comps, comp{dot: true, star: true})
			default:
				return nil, malformed(sPathDot)
			}
			p.i++
		case p.isPunct("["):
			p.i++
			if p.peek().kind == tStar {
				p.i++
				if err := p.expectPunct("]", "RIGHT_BRACKET"); err != nil {
					return nil, err
				}
				comps = append(comps, comp{star: true})
				continue
			}
			ix, err := p.expr(-1)
			if err != nil {
				return nil, err
			}
			if err := p.expectPunct("]", "RIGHT_BRACKET"); err != nil {
				return nil, err
			}
			if simple && ix.kind != nLit && ix.kind != nID {
				return nil, malformed(sSimplePathIndex)
			}
			comps = append(comps, comp{index: ix})
		default:
			if len(comps) == 0 {
				return root, nil
			}
			return &node{kind: nPath, tok: root.tok, kids: []*node{root}, comps: comps}, nil
		}
	}
}

// term parses what an expression starts with.
func (p *parser) term() (*node, error) {
	t := p.peek()
	switch t.kind {
	case tOp:
		return nil, malformed(sUnexpectedOperator)
	case tKeyword:
		switch t.text {
		case "select":
			p.i++
			return p.selectTerm(t)
		case "from":
			p.i++
			return p.fromTerm(t)
		case "update":
			p.i++
			return p.legacyDML(t, p.baseDMLs)
		case "delete":
			p.i++
			if !p.acceptKeyword("from") {
				return nil, malformed(sFromAfterDelete)
			}
			return p.legacyDML(t, func() ([]*node, error) { return []*node{{kind: nDelete, tok: t}}, nil })
		case "insert_into", "set", "remove":
			return p.baseDML()
		case "values":
			p.i++
			return p.tableValues(t)
		case "pivot":
			return nil, validation(mValueOrPivot)
		}
		if functionKeywords[t.text] && p.peekAt(1).is(tPunct, "(") {
			p.i += 2
			return p.call(t)
		}
		return nil, malformed(sUnexpectedKeyword)
	case tIdent, tQuoted:
		p.i++
		if p.isPunct("(") {
			p.i++
			return p.call(t)
		}
		return &node{kind: nID, tok: t}, nil
	case tParam:
		p.i++
		return &node{kind: nParam, tok: t}, nil
	case tString, tNumber, tTrue, tFalse, tNull:
		p.i++
		return &node{kind: nLit, tok: t}, nil
	case tMissing:
		p.i++
		return &node{kind: nMissing, tok: t}, nil
	case tPunct:
		switch t.text {
		case "(":
			p.i++
			items, err := p.args()
			if err != nil {
				return nil, err
			}
			if err := p.expectPunct(")", "RIGHT_PAREN"); err != nil {
				return nil, err
			}
			if len(items) == 1 {
				return items[0], nil
			}
			return &node{kind: nList, tok: t, kids: items}, nil
		case "[":
			return p.sequence(nList, "]", "RIGHT_BRACKET")
		case "<<":
			return p.sequence(nBag, ">>", "RIGHT_DOUBLE_ANGLE_BRACKET")
		case "{":
			return p.structLit()
		}
	}
	return nil, malformed(sUnexpectedTerm)
}

// args parses expr (, expr)*.
func (p *parser) args() ([]*node, error) {
	var items []*node
	for {
		n, err := p.expr(-1)
		if err != nil {
			return nil, err
		}
		items = append(items, n)
		if !p.isPunct(",") {
			return items, nil
		}
		p.i++
	}
}

// sequence parses a list or bag literal after its opening.
func (p *parser) sequence(kind nodeKind, closer, closerName string) (*node, error) {
	n := &node{kind: kind, tok: p.next()}
	if p.isPunct(closer) {
		p.i++
		return n, nil
	}
	items, err := p.args()
	if err != nil {
		return nil, err
	}
	n.kids = items
	return n, p.expectPunct(closer, closerName)
}

func (p *parser) structLit() (*node, error) {
	n := &node{kind: nStruct, tok: p.next()}
	if p.isPunct("}") {
		p.i++
		return n, nil
	}
	for {
		k, err := p.expr(-1)
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(":", "COLON"); err != nil {
			return nil, err
		}
		v, err := p.expr(-1)
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, k, v)
		if !p.isPunct(",") {
			break
		}
		p.i++
	}
	return n, p.expectPunct("}", "RIGHT_CURLY")
}

// call parses a function's arguments after its '('.
func (p *parser) call(name token) (*node, error) {
	n := &node{kind: nCall, tok: name, op: strings.ToLower(name.text)}
	aggregate := false
	switch n.op {
	case "count":
		switch {
		case p.isPunct(")"):
			return nil, malformed(sAggregateUnary)
		case p.peek().kind == tStar:
			p.i++
			n.star = true
			return n, p.expectPunct(")", "RIGHT_PAREN")
		}
		aggregate = true
	case "avg", "max", "min", "sum":
		aggregate = true
	}
	if aggregate {
		p.acceptKeyword("distinct")
		p.acceptKeyword("all")
	}
	switch {
	case p.peek().kind == tStar:
		return nil, malformed(name.text + "(*) is not allowed")
	case p.isPunct(")"):
		p.i++
	default:
		args, err := p.args()
		if err != nil {
			return nil, err
		}
		n.kids = args
		if err := p.expectPunct(")", "RIGHT_PAREN"); err != nil {
			return nil, err
		}
	}
	if aggregate && len(n.kids) != 1 {
		return nil, malformed(sAggregateUnary)
	}
	return n, nil
}

// typeName parses the type after IS: a type keyword and its parameters.
func (p *parser) typeName() (string, error) {
	t := p.peek()
	name := t.text
	if t.kind != tKeyword && t.kind != tNull && t.kind != tMissing {
		name = ""
	}
	canon, ok := typeNames[name]
	if !ok {
		return "", malformed(sTypeName)
	}
	p.i++
	if p.isPunct("(") {
		p.i++
		for {
			if a := p.next(); a.kind != tNumber || !isUnsigned(a.text) {
				return "", malformed(sTypeParam)
			}
			if !p.isPunct(",") {
				break
			}
			p.i++
		}
		if err := p.expectPunct(")", "RIGHT_PAREN"); err != nil {
			return "", err
		}
	}
	return canon, nil
}

func isUnsigned(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
