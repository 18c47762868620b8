package partiql

import (
	"strconv"
	"strings"
)

type tokKind uint8

const (
	tEOF     tokKind = iota
	tIdent           // a bare identifier that is no keyword, as written
	tQuoted          // a "double quoted" identifier, unquoted
	tKeyword         // lower case; pairs PartiQL reads as one are joined by '_' ("insert_into", "all_old")
	tOp              // lower case: + - / % < <= > >= = <> || @ and or not in is like between not_in is_not ...
	tStar            // *: a projection, a wildcard or multiplication
	tString          // a 'single quoted' string, unquoted
	tNumber          // number text as written
	tTrue
	tFalse
	tNull
	tMissing
	tParam // ?
	tPunct // ( ) [ ] { } , . : ; << >>
)

type token struct {
	kind tokKind
	text string
	pos  int
	ord  int // a ?'s 1-based position among the statement's parameters
}

func (t token) is(kind tokKind, text string) bool { return t.kind == kind && t.text == text }

// keywords are PartiQL's reserved words (SQL-92's and PartiQL's own, as
// partiql-lang-kotlin's LexerConstants.kt lists them): DynamoDB refuses them
// as bare attribute names ("WHERE pad = 'x'" is a syntax error there; a name
// like that must be quoted). The operators and literals among them are
// lexed as such.
var keywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`absolute action add all allocate alter any are as asc assertion at
		authorization avg begin bit bit_length by cascade cascaded case cast catalog char character
		character_length char_length check close coalesce collate collation column commit connect
		connection constraint constraints continue convert corresponding count create cross current
		current_date current_time current_timestamp current_user cursor date deallocate dec decimal declare
		default deferrable deferred delete desc describe descriptor diagnostics disconnect distinct domain
		double drop else end end-exec escape exception exec execute exists external extract date_add
		date_diff fetch first float for foreign found from full get global go goto grant group having
		identity immediate indicator initially inner input insensitive insert int integer interval into
		isolation join key language last left level local lower match max min module names national
		natural nchar next no nullif numeric octet_length of on only open option order outer output
		overlaps pad partial position precision prepare preserve primary prior privileges procedure public
		read real references relative restrict revoke right rollback rows schema scroll section select
		session session_user set size smallint some space sql sqlcode sqlerror sqlstate substring sum
		system_user table temporary then time timestamp to transaction translate translation trim unique
		unknown update upper usage user using value values varchar varying view when whenever where with
		work write zone
		can_cast can_lossless_cast pivot unpivot limit offset tuple remove index let integer2 int2
		integer4 int4 integer8 int8 bigint conflict do nothing returning modified new old bool boolean
		string symbol clob blob struct list sexp bag`) {
		m[w] = true
	}
	return m
}()

// wordOps are the keywords that are operators.
var wordOps = map[string]bool{"and": true, "or": true, "not": true, "in": true, "is": true, "like": true,
	"between": true, "union": true, "except": true, "intersect": true}

// joined are the pairs of words PartiQL's lexer reads as one token.
var joined = map[[2]string]string{
	{"not", "in"}: "not_in", {"is", "not"}: "is_not", {"not", "between"}: "not_between", {"not", "like"}: "not_like",
	{"insert", "into"}: "insert_into", {"all", "old"}: "all_old", {"all", "new"}: "all_new",
	{"modified", "old"}: "modified_old", {"modified", "new"}: "modified_new",
	{"on", "conflict"}: "on_conflict", {"do", "nothing"}: "do_nothing",
	{"character", "varying"}: "character_varying", {"double", "precision"}: "double_precision",
}

// joinWords start SQL's joins; DynamoDB reads one table, so the parser
// needs only to see one starting.
var joinWords = map[string]bool{"join": true, "cross": true, "inner": true, "left": true, "right": true, "full": true, "outer": true}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// errLex is the lexer's refusal: DynamoDB says nothing after the colon
// (confirmed for "# note" and an unterminated /* comment).
var errLex = malformed("")

// lex splits a statement into tokens, ending with tEOF. It fails on an
// unterminated quote or comment, a character outside the language, and a
// number whose exponent or scale does not fit in 32 bits (Java's BigDecimal
// refuses those, confirmed for 1e2147483648).
func lex(src string) ([]token, error) {
	var toks []token
	params := 0
	for i := 0; i < len(src); {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, errLex
			}
			i += end + 4
		case isIdentStart(c):
			for i < len(src) && (isIdentStart(src[i]) || isDigit(src[i])) {
				i++
			}
			toks = append(toks, word(src[start:i], start))
		case c == '"' || c == '\'':
			text, n, ok := quoted(src[i:])
			if !ok {
				return nil, errLex
			}
			i += n
			kind := tString
			if c == '"' {
				kind = tQuoted
			}
			toks = append(toks, token{kind: kind, text: text, pos: start})
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]) && !endsOperand(toks):
			n, ok := number(src[i:])
			if !ok {
				return nil, errLex
			}
			i += n
			toks = append(toks, token{kind: tNumber, text: src[start:i], pos: start})
		case c == '?':
			i++
			params++
			toks = append(toks, token{kind: tParam, text: "?", pos: start, ord: params})
		case c == '*':
			i++
			toks = append(toks, token{kind: tStar, text: "*", pos: start})
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "<=", ">=", "<>", "||":
				i += 2
				toks = append(toks, token{kind: tOp, text: two, pos: start})
				continue
			case "!=":
				i += 2
				toks = append(toks, token{kind: tOp, text: "<>", pos: start})
				continue
			case "<<", ">>":
				i += 2
				toks = append(toks, token{kind: tPunct, text: two, pos: start})
				continue
			}
			switch {
			case strings.IndexByte("+-/%<>=@", c) >= 0:
				toks = append(toks, token{kind: tOp, text: string(c), pos: start})
			case strings.IndexByte("()[]{},.:;", c) >= 0:
				toks = append(toks, token{kind: tPunct, text: string(c), pos: start})
			default:
				return nil, errLex
			}
			i++
		}
	}
	return append(joinPairs(toks), token{kind: tEOF, pos: len(src)}), nil
}

// word classifies a bare word.
func word(w string, pos int) token {
	lw := strings.ToLower(w)
	switch {
	case lw == "true":
		return token{kind: tTrue, text: lw, pos: pos}
	case lw == "false":
		return token{kind: tFalse, text: lw, pos: pos}
	case lw == "null":
		return token{kind: tNull, text: lw, pos: pos}
	case lw == "missing":
		return token{kind: tMissing, text: lw, pos: pos}
	case wordOps[lw]:
		return token{kind: tOp, text: lw, pos: pos}
	case keywords[lw]:
		return token{kind: tKeyword, text: lw, pos: pos}
	}
	return token{kind: tIdent, text: w, pos: pos}
}

// joinPairs merges the word pairs PartiQL reads as one token.
func joinPairs(toks []token) []token {
	out := toks[:0]
	for _, t := range toks {
		if n := len(out); n > 0 && (t.kind == tKeyword || t.kind == tOp) && (out[n-1].kind == tKeyword || out[n-1].kind == tOp) {
			if j, ok := joined[[2]string{out[n-1].text, t.text}]; ok {
				kind := tKeyword
				if wordOps[out[n-1].text] {
					kind = tOp
				}
				out[n-1] = token{kind: kind, text: j, pos: out[n-1].pos}
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// endsOperand reports whether the last token ends an operand, so that a '.'
// after it is a path's and not a number's (a.5 is no number).
func endsOperand(toks []token) bool {
	if len(toks) == 0 {
		return false
	}
	t := toks[len(toks)-1]
	return t.kind == tIdent || t.kind == tQuoted || t.kind == tPunct && (t.text == ")" || t.text == "]")
}

// quoted reads a quoted string at the start of s, whose quote is doubled
// inside it; n counts both quotes.
func quoted(s string) (text string, n int, ok bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

// number reads digits[.digits][e[+-]digits] (or .digits...) at the start of
// s and returns its length.
func number(s string) (int, bool) {
	i, frac := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			frac++
		}
	}
	if i == len(s) || s[i] != 'e' && s[i] != 'E' {
		return i, true
	}
	j := i + 1
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	k := j
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k == j {
		return 0, false
	}
	// BigDecimal holds the exponent's negation, the scale, in 32 bits.
	exp, err := strconv.ParseInt(s[i+1:k], 10, 32)
	if err != nil || int64(frac)-exp > 1<<31-1 || int64(frac)-exp < -1<<31 {
		return 0, false
	}
	return k, true
}
