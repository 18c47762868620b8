package expr

import (
	"strings"
	"unicode/utf8"
)

// tokKind is the class of a token of DynamoDB's expression lexer.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // [A-Za-z][A-Za-z0-9_]*: a name, a keyword or a function
	tName           // #[A-Za-z0-9_]+
	tValue          // :[A-Za-z0-9_]+
	tNumber         // [0-9]+, only meaningful as a list index
	tPunct          // ( ) [ ] , . = <> < <= > >= + -
	tOther          // any other character, always a syntax error
)

type token struct {
	kind     tokKind
	text     string
	pos, end int // byte offsets in the source
}

// Names may not start with a digit or an underscore: DynamoDB's lexer reads
// "_123" as the unknown token "_" followed by the number 123 (ScyllaDB's
// Alternator tests record AWS answering token: "_", near: "SET _123").
func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' || c == '_' }

// lex splits src into tokens, ending with one tEOF. It never fails: a
// character outside the language becomes a tOther token, which the parser
// reports as DynamoDB does, as a syntax error at that token.
func lex(src string) []token {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		kind := tPunct
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isIdentStart(c):
			kind, i = tIdent, scanIdent(src, i+1)
		case c >= '0' && c <= '9':
			kind = tNumber
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
		case (c == '#' || c == ':') && i+1 < len(src) && isIdentPart(src[i+1]):
			kind, i = tName, scanIdent(src, i+1)
			if c == ':' {
				kind = tValue
			}
		case strings.IndexByte("()[],.=+-", c) >= 0:
			i++
		case c == '<' || c == '>':
			i++
			if i < len(src) && (src[i] == '=' || c == '<' && src[i] == '>') {
				i++
			}
		default:
			_, n := utf8.DecodeRuneInString(src[i:])
			kind, i = tOther, i+n
		}
		toks = append(toks, token{kind, src[start:i], start, i})
	}
	return append(toks, token{tEOF, "", len(src), len(src)})
}

func scanIdent(src string, i int) int {
	for i < len(src) && isIdentPart(src[i]) {
		i++
	}
	return i
}

// parser is the state shared by the grammars: the tokens and the position,
// the placeholders, the operator count DynamoDB limits and the semantic
// errors found so far (reported only once the whole expression parsed).
type parser struct {
	param    string // "ConditionExpression", "UpdateExpression", ...
	src      string
	toks     []token
	i        int
	ops      int
	ps       *Params
	errs     errs
	keywords map[string]bool // words the grammar keeps for itself, in upper case: never names
}

func newParser(param, src string, ps *Params, keywords map[string]bool) *parser {
	return &parser{param: param, src: src, toks: lex(src), ps: ps, keywords: keywords}
}

func (p *parser) peek() token { return p.toks[p.i] }

// peekAt returns the token n places ahead (the tEOF at the end when there
// are fewer).
func (p *parser) peekAt(n int) token { return p.toks[min(p.i+n, len(p.toks)-1)] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// is reports whether the current token is the punctuation s.
func (p *parser) is(s string) bool {
	t := p.toks[p.i]
	return t.kind == tPunct && t.text == s
}

// isKeyword reports whether the current token is keyword kw, in any case.
func (p *parser) isKeyword(kw string) bool {
	t := p.toks[p.i]
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

// grammarWord reports whether t is one of the grammar's own words, which
// cannot name an attribute or a function.
func (p *parser) grammarWord(t token) bool {
	return t.kind == tIdent && p.keywords[strings.ToUpper(t.text)]
}

// isCall reports whether the current token starts a function call.
func (p *parser) isCall() bool {
	t := p.peek()
	n := p.peekAt(1)
	return t.kind == tIdent && !p.grammarWord(t) && n.kind == tPunct && n.text == "("
}

// expect consumes punctuation s or fails with a syntax error at the current token.
func (p *parser) expect(s string) error {
	if !p.is(s) {
		return p.syntaxError()
	}
	p.i++
	return nil
}

// syntaxError is DynamoDB's syntax error at the current token. DynamoDB quotes
// the token ("<EOF>" at the end) and, as "near", the source from the start of
// the token before it to the end of the token after it. AWS answers recorded
// by others: "ADD hits : incr" gives token: ":", near: "hits : incr";
// "INVALID SYNTAX HERE" gives token: "INVALID", near: "INVALID SYNTAX"; the
// projection "a," gives token: "<EOF>", near: ",".
func (p *parser) syntaxError() error {
	i := p.i
	t := p.toks[i]
	text := t.text
	start, end := t.pos, t.end
	if i > 0 {
		start = p.toks[i-1].pos
	}
	if t.kind == tEOF {
		text = "<EOF>"
		if i > 0 {
			end = p.toks[i-1].end
		}
	} else if p.toks[i+1].kind != tEOF {
		end = p.toks[i+1].end
	}
	return invalid(p.param, "Syntax error; token: \"%s\", near: \"%s\"", text, p.src[start:end])
}

// operator counts one operator toward DynamoDB's limit, failing at once past
// it. Comparators, AND, OR, NOT, BETWEEN, IN, + and - count; parentheses and
// function calls do not: Alternator's tests record AWS refusing 909 "<" and
// "or" with "operator count: 301", and 1355 nested calls of an unknown
// function with the unknown function's error.
func (p *parser) operator() error {
	p.ops++
	if p.ops > maxOperators {
		return invalid(p.param, "The expression contains too many operators; operator count: %d", p.ops)
	}
	return nil
}

// args parses '(' operand (',' operand)* ')' with sub parsing each operand.
func (p *parser) args(sub func() (*operand, error)) ([]*operand, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []*operand
	for {
		o, err := sub()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
		if !p.is(",") {
			break
		}
		p.next()
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return out, nil
}
