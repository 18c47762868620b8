package eventpattern

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wildcard is a compiled "wildcard" operand: the literal runs between its
// '*'s, escapes resolved. Only '*' is special, so a greedy leftmost search
// decides a match in time linear in the value (per run), with no
// backtracking to blow up on hostile patterns.
type wildcard struct {
	parts []string // len(parts)-1 stars separate them
}

// parseWildcard compiles s with Event Ruler's rules and messages: "\*" is a
// literal star, "\\" a backslash, any other escape is refused, and so are
// two stars in a row. Positions count bytes of the value in quotes, as
// Event Ruler's parser sees it.
func parseWildcard(s string) (wildcard, *Error) {
	var w wildcard
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return wildcard{}, invalid("Consecutive wildcard characters at pos " + strconv.Itoa(i+1))
			}
			w.parts = append(w.parts, cur.String())
			cur.Reset()
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\') {
				cur.WriteByte(s[i+1])
				i++
				continue
			}
			return wildcard{}, invalid("Invalid escape character at pos " + strconv.Itoa(i+1))
		default:
			cur.WriteByte(c)
		}
	}
	w.parts = append(w.parts, cur.String())
	return w, nil
}

func (w wildcard) match(s string) bool {
	p := w.parts
	if len(p) == 1 {
		return s == p[0]
	}
	first, last := p[0], p[len(p)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, part := range p[1 : len(p)-1] {
		i := strings.Index(mid, part)
		if i < 0 {
			return false
		}
		mid = mid[i+len(part):]
	}
	return true
}

// foldEq reports whether two runes are equal under Unicode simple case
// folding.
func foldEq(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix ignoring case.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRuneInString(prefix)
		if !foldEq(r1, r2) {
			return false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return true
}

// hasSuffixFold is strings.HasSuffix ignoring case.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeLastRuneInString(s)
		r2, n2 := utf8.DecodeLastRuneInString(suffix)
		if !foldEq(r1, r2) {
			return false
		}
		s, suffix = s[:len(s)-n1], suffix[:len(suffix)-n2]
	}
	return true
}
