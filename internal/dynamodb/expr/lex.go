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
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{tIdent, src[start:i], start, i})
			continue
		case c >= '0' && c <= '9':
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
			toks = append(toks, token{tNumber, src[start:i], start, i})
			continue
		case (c == '#' || c == ':') && i+1 < len(src) && isIdentPart(src[i+1]):
			i++
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			kind := tName
			if c == ':' {
				kind = tValue
			}
			toks = append(toks, token{kind, src[start:i], start, i})
			continue
		}
		if strings.IndexByte("()[],.=+-", c) >= 0 {
			i++
		} else if c == '<' || c == '>' {
			i++
			if i < len(src) && (src[i] == '=' || c == '<' && src[i] == '>') {
				i++
			}
		} else {
			_, n := utf8.DecodeRuneInString(src[i:])
			i += n
			toks = append(toks, token{tOther, src[start:i], start, i})
			continue
		}
		toks = append(toks, token{tPunct, src[start:i], start, i})
	}
	return append(toks, token{tEOF, "", len(src), len(src)})
}

// parser is the state shared by the grammars: the tokens, the position, and
// the operator count DynamoDB limits.
type parser struct {
	param string // "ConditionExpression", "UpdateExpression", ...
	src   string
	toks  []token
	i     int
	ops   int
}

func newParser(param, src string) *parser {
	return &parser{param: param, src: src, toks: lex(src)}
}

func (p *parser) peek() token { return p.toks[p.i] }

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
// the token before it to the end of the token after it: for "SET _123 = :v"
// it answers token: "_", near: "SET _123" (ScyllaDB's Alternator tests, moto
// and dynalite record the same shape from AWS).
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
	} else if i+1 < len(p.toks) && p.toks[i+1].kind != tEOF {
		end = p.toks[i+1].end
	}
	return invalid(p.param, "Syntax error; token: \"%s\", near: \"%s\"", text, p.src[start:end])
}

// operator counts one operator or function toward DynamoDB's limit.
func (p *parser) operator() error {
	p.ops++
	if p.ops > maxOperators {
		// Wording from DynamoDB Local's message catalogue (MAX_OPERATORS_EXCEEDED);
		// the detail after ";" is unconfirmed.
		return invalid(p.param, "The expression contains too many operators; operator count: %d", p.ops)
	}
	return nil
}
