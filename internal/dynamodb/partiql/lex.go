package partiql

import (
	"strings"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // a bare identifier or keyword
	tQuoted         // a "double quoted" identifier
	tString         // a 'single quoted' string
	tNumber
	tPunct // ( ) [ ] { } , . = <> != < <= > >= << >> ? : * + -
)

type token struct {
	kind tokKind
	text string // the identifier, string or number without quotes; the punctuation
	pos  int
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits a statement into tokens; it fails on an unterminated quote or
// a character outside the language.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c):
			for i < len(src) && (isIdentStart(src[i]) || isDigit(src[i])) {
				i++
			}
			toks = append(toks, token{tIdent, src[start:i], start})
		case c == '"' || c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(src) {
					return nil, malformed("unterminated quote at position %d", start+1)
				}
				if src[i] == c {
					if i+1 < len(src) && src[i+1] == c {
						b.WriteByte(c)
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			kind := tString
			if c == '"' {
				kind = tQuoted
			}
			toks = append(toks, token{kind, b.String(), start})
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
			for i < len(src) && (isDigit(src[i]) || src[i] == '.') {
				i++
			}
			if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
				j := i + 1
				if j < len(src) && (src[j] == '+' || src[j] == '-') {
					j++
				}
				if j < len(src) && isDigit(src[j]) {
					i = j
					for i < len(src) && isDigit(src[i]) {
						i++
					}
				}
			}
			toks = append(toks, token{tNumber, src[start:i], start})
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "<>", "!=", "<=", ">=", "<<", ">>":
				i += 2
				toks = append(toks, token{tPunct, two, start})
				continue
			}
			if strings.IndexByte("()[]{},.=<>?:*+-", c) < 0 {
				return nil, malformed("unexpected character %q at position %d", string(c), start+1)
			}
			i++
			toks = append(toks, token{tPunct, string(c), start})
		}
	}
	return append(toks, token{kind: tEOF, pos: len(src)}), nil
}
