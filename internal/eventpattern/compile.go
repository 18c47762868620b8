package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// The compiler reads the pattern token by token, in the order Event Ruler's
// JsonRuleCompiler does, so that a malformed pattern fails on the same check
// with the same sentence.

type tokKind uint8

const (
	tkObjStart tokKind = iota
	tkObjEnd
	tkArrStart
	tkArrEnd
	tkString // a string value or an object key
	tkNumber
	tkTrue
	tkFalse
	tkNull
)

type token struct {
	kind tokKind
	text string // what Jackson's getText gives: the string unquoted, the number's literal, "]", "{"...
}

type compiler struct {
	dec  *json.Decoder
	opts Options
}

func newCompiler(pattern []byte, opts Options) *compiler {
	d := json.NewDecoder(bytes.NewReader(pattern))
	d.UseNumber()
	return &compiler{dec: d, opts: opts}
}

func (c *compiler) next() (token, error) {
	t, err := c.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return token{}, invalid("Unexpected end-of-input")
		}
		// Stratus's wording: Jackson's own parse errors cannot be reproduced.
		return token{}, invalid("Invalid JSON: " + err.Error())
	}
	switch v := t.(type) {
	case json.Delim:
		switch v {
		case '{':
			return token{tkObjStart, "{"}, nil
		case '}':
			return token{tkObjEnd, "}"}, nil
		case '[':
			return token{tkArrStart, "["}, nil
		default:
			return token{tkArrEnd, "]"}, nil
		}
	case string:
		return token{tkString, v}, nil
	case json.Number:
		return token{tkNumber, string(v)}, nil
	case bool:
		if v {
			return token{tkTrue, "true"}, nil
		}
		return token{tkFalse, "false"}, nil
	default:
		return token{tkNull, "null"}, nil
	}
}

func (c *compiler) compile() (*object, error) {
	t, err := c.next()
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) && e.Reason == "Unexpected end-of-input" {
			return nil, invalid("Filter is not an object")
		}
		return nil, err
	}
	if t.kind != tkObjStart {
		return nil, invalid("Filter is not an object")
	}
	root, err := c.object(false, 1, 1)
	if err != nil {
		return nil, err
	}
	// Jackson stops at the end of the object; encoding/json would let
	// anything follow. Refuse it, so that `{...} garbage` is not taken for
	// the pattern it starts with.
	if _, err := c.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("Invalid JSON: unexpected content after the pattern")
	}
	return root, nil
}

// reservedInOr are the names Event Ruler refuses as field names inside "$or"
// (Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
var reservedInOr = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true,
	"anything-but": true, "exists": true, "wildcard": true, "numeric": true, "cidr": true, "html": true,
	"=": true, "<": true, "<=": true, ">": true, ">=": true,
	"regex": true, "not-wildcard": true, "not-equals-ignore-case": true,
	"date-after": true, "date-on-or-after": true, "date-before": true, "date-on-or-before": true, "in-date-range": true,
	"ip-address-in-range": true, "ip-address-not-in-range": true,
}

// object compiles a pattern object whose '{' has been read. level is the key
// nesting (1 at the top; "$or" does not add to it); depth counts every
// nested object and "$or", for maxNesting.
func (c *compiler) object(inOr bool, level, depth int) (*object, error) {
	if depth > maxNesting {
		// Stratus's sentence; see maxNesting.
		return nil, invalid("Event pattern is nested more than " + strconv.Itoa(maxNesting) + " levels deep")
	}
	o := &object{}
	empty := true
	for {
		t, err := c.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tkObjEnd {
			break
		}
		empty = false
		key := t.text
		if key == "$or" {
			alts, err := c.or(level, depth)
			if err != nil {
				return nil, err
			}
			o.ors = append(o.ors, alts)
			continue
		}
		if inOr && reservedInOr[key] {
			return nil, invalid(key + " is Ruler reserved fieldName which cannot be used inside $or.")
		}
		v, err := c.next()
		if err != nil {
			return nil, err
		}
		switch v.kind {
		case tkObjStart:
			if c.opts.Dialect == SNSMessageAttributes {
				// moto's wording of AWS's answer (moto/sns/utils.py).
				return nil, invalid("Filter policy scope MessageAttributes does not support nested filter policy")
			}
			sub, err := c.object(inOr, level+1, depth+1)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{key: key, obj: sub})
		case tkArrStart:
			l, err := c.leaf()
			if err != nil {
				return nil, err
			}
			o.setLeaf(key, l)
		default:
			return nil, invalid(`"` + key + `" must be an object or an array`)
		}
	}
	if empty {
		return nil, invalid("Empty objects are not allowed")
	}
	return o, nil
}

// setLeaf adds a leaf; a key given twice keeps its last array, as Event
// Ruler does by default.
func (o *object) setLeaf(key string, l *leaf) {
	for i := range o.fields {
		if o.fields[i].key == key && o.fields[i].leaf != nil {
			o.fields[i].leaf = l
			return
		}
	}
	o.fields = append(o.fields, field{key: key, leaf: l})
}

func (c *compiler) or(level, depth int) ([]*object, error) {
	t, err := c.next()
	if err != nil {
		return nil, err
	}
	if t.kind != tkArrStart {
		return nil, invalid("It must be an Array followed with $or.")
	}
	var alts []*object
	for {
		t, err := c.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tkArrEnd {
			break
		}
		if t.kind != tkObjStart {
			return nil, invalid("Only JSON object is allowed in array of $or relationship.")
		}
		alt, err := c.object(true, level, depth+1)
		if err != nil {
			return nil, err
		}
		alts = append(alts, alt)
	}
	if len(alts) < 2 {
		return nil, invalid("There must have at least 2 Objects in $or relationship.")
	}
	return alts, nil
}

// leaf compiles a pattern array whose '[' has been read.
func (c *compiler) leaf() (*leaf, error) {
	l := &leaf{}
	for {
		t, err := c.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tkArrEnd:
			if l.entries == 0 {
				return nil, invalid("Empty arrays are not allowed")
			}
			return l, nil
		case tkObjStart:
			if err := c.expression(l); err != nil {
				return nil, err
			}
		case tkString:
			// A string that is an IP address matches the address in any
			// spelling, as Event Ruler turns it into a one-address range.
			if ip, ok := parseIP(t.text); ok {
				l.add(matcher{kind: mIP, s: t.text, ip: ip})
			} else {
				l.add(matcher{kind: mString, s: t.text})
			}
		case tkNumber:
			// Event Ruler adds a numeric match only when the number is
			// exactly comparable, and always the literal one.
			n, ok, exact := parseMicrosExact(t.text)
			l.add(matcher{kind: mNumber, s: t.text, micros: n, numOK: ok && exact})
		case tkTrue:
			l.add(matcher{kind: mLiteral, lit: vTrue})
		case tkFalse:
			l.add(matcher{kind: mLiteral, lit: vFalse})
		case tkNull:
			l.add(matcher{kind: mLiteral, lit: vNull})
		default:
			return nil, invalid("Match value must be String, number, true, false, or null")
		}
	}
}

func (l *leaf) add(m matcher) {
	l.entries++
	l.matchers = append(l.matchers, m)
	l.note(m)
}

// note records which forms of an event value m compares.
func (l *leaf) note(m matcher) {
	switch m.kind {
	case mNumber, mRange:
		l.wantNum = true
	case mIP, mCIDR:
		l.wantIP = true
	case mAnythingBut:
		for _, n := range m.not {
			l.note(n)
		}
	}
}

const onlyOneKey = "Only one key allowed in match expression"

// end reads the '}' that must close an expression, failing with reason.
func (c *compiler) end(reason string) error {
	t, err := c.next()
	if err != nil {
		return err
	}
	if t.kind != tkObjEnd {
		return invalid(reason)
	}
	return nil
}

// stringOperand reads an operator's string operand and the '}' after it.
func (c *compiler) stringOperand(notString string) (string, error) {
	return parsedOperand(c, notString, func(s string) (string, error) { return s, nil })
}

// asError adapts a parser returning *Error, so a nil *Error stays a nil error.
func asError[T any](parse func(string) (T, *Error)) func(string) (T, error) {
	return func(s string) (T, error) {
		v, err := parse(s)
		if err != nil {
			return v, err
		}
		return v, nil
	}
}

// parsedOperand reads an operator's string operand, parses it, then reads
// the '}' after it: a malformed operand is reported before a second key.
func parsedOperand[T any](c *compiler, notString string, parse func(string) (T, error)) (T, error) {
	var zero T
	t, err := c.next()
	if err != nil {
		return zero, err
	}
	if t.kind != tkString {
		return zero, invalid(notString)
	}
	v, err := parse(t.text)
	if err != nil {
		return zero, err
	}
	return v, c.end(onlyOneKey)
}

// expression compiles a match expression ({"prefix": ...}) whose '{' has
// been read, adding it to l.
func (c *compiler) expression(l *leaf) error {
	t, err := c.next()
	if err != nil {
		return err
	}
	if t.kind != tkString {
		return invalid("Match expression name not found")
	}
	switch name := t.text; name {
	case "exactly":
		s, err := c.stringOperand("exact match pattern must be a string")
		if err != nil {
			return err
		}
		l.add(matcher{kind: mString, s: s})
	case "prefix", "suffix":
		m, err := c.affix(name)
		if err != nil {
			return err
		}
		l.add(m)
	case "equals-ignore-case":
		s, err := c.stringOperand("equals-ignore-case match pattern must be a string")
		if err != nil {
			return err
		}
		l.add(matcher{kind: mFold, s: s})
	case "wildcard":
		w, err := parsedOperand(c, "wildcard match pattern must be a string", asError(parseWildcard))
		if err != nil {
			return err
		}
		l.add(matcher{kind: mWildcard, w: w})
	case "cidr":
		// Event Ruler's message for a non-string cidr names prefix; it is
		// kept as it is.
		r, err := parsedOperand(c, "prefix match pattern must be a string", asError(parseCIDR))
		if err != nil {
			return err
		}
		l.add(matcher{kind: mCIDR, cidr: r})
	case "exists":
		v, err := c.next()
		if err != nil {
			return err
		}
		switch v.kind {
		case tkTrue:
			l.existsTrue = true
		case tkFalse:
			l.existsFalse = true
		default:
			return invalid("exists match pattern must be either true or false.")
		}
		if err := c.end(onlyOneKey); err != nil {
			return err
		}
		l.entries++
	case "numeric":
		v, err := c.next()
		if err != nil {
			return err
		}
		if v.kind != tkArrStart {
			return invalid("Value of numeric must be an array.")
		}
		m, err := c.numeric()
		if err != nil {
			return err
		}
		if err := c.end(tooManyNumeric); err != nil {
			return err
		}
		l.add(m)
	case "anything-but":
		m, err := c.anythingBut()
		if err != nil {
			return err
		}
		l.add(m)
	default:
		return invalid("Unrecognized match type " + name)
	}
	return nil
}

// affix compiles the operand of "prefix" or "suffix": a string, or
// {"equals-ignore-case": string}.
func (c *compiler) affix(name string) (matcher, error) {
	kind, fold := mPrefix, mPrefixFold
	exprName, unsupported := "Prefix expression name not found", "Unsupported prefix pattern: "
	if name == "suffix" {
		kind, fold = mSuffix, mSuffixFold
		exprName, unsupported = "Suffix expression name not found", "Unsupported suffix pattern: "
	}
	t, err := c.next()
	if err != nil {
		return matcher{}, err
	}
	switch t.kind {
	case tkString:
		return matcher{kind: kind, s: t.text}, c.end(onlyOneKey)
	case tkObjStart:
		op, err := c.next()
		if err != nil {
			return matcher{}, err
		}
		if op.kind != tkString {
			return matcher{}, invalid(exprName)
		}
		if op.text != "equals-ignore-case" {
			return matcher{}, invalid(unsupported + op.text)
		}
		s, err := c.stringOperand("equals-ignore-case match pattern must be a string")
		if err != nil {
			return matcher{}, err
		}
		return matcher{kind: fold, s: s}, c.end(onlyOneKey)
	}
	return matcher{}, invalid(name + " match pattern must be a string")
}

const tooManyNumeric = "Too many elements in numeric expression"

// numericOperand reads the number after operator op.
func (c *compiler) numericOperand(op string) (string, error) {
	t, err := c.next()
	if err != nil {
		return "", err
	}
	if t.kind != tkNumber {
		name := op
		if op == "=" {
			name = "equals"
		}
		return "", invalid("Value of " + name + " must be numeric")
	}
	return t.text, nil
}

// numeric compiles the array of a "numeric" expression, whose '[' has been
// read, into a range. Event Ruler's bounds apply: "<" and "<=" start at
// -5e9, ">" and ">=" end at 5e9, so [">", 5e9] has no room and is refused.
func (c *compiler) numeric() (matcher, error) {
	t, err := c.next()
	if err != nil {
		return matcher{}, err
	}
	if t.kind != tkString {
		return matcher{}, invalid("Invalid member in numeric match: " + t.text)
	}
	op := t.text
	switch op {
	case "=":
		v, err := c.numericOperand(op)
		if err != nil {
			return matcher{}, err
		}
		if err := c.arrayEnd(tooManyNumeric); err != nil {
			return matcher{}, err
		}
		n, ok := parseMicros(v)
		if !ok {
			return matcher{}, invalid(rangeReason)
		}
		return matcher{kind: mRange, lo: n, hi: n}, nil
	case "<", "<=":
		v, err := c.numericOperand(op)
		if err != nil {
			return matcher{}, err
		}
		if err := c.arrayEnd(tooManyNumeric); err != nil {
			return matcher{}, err
		}
		return between("-5e9", false, v, op == "<")
	case ">", ">=":
		bottom, err := c.numericOperand(op)
		if err != nil {
			return matcher{}, err
		}
		t, err := c.next()
		if err != nil {
			return matcher{}, err
		}
		if t.kind == tkArrEnd {
			return between(bottom, op == ">", "5e9", false)
		}
		if t.kind != tkString {
			return matcher{}, invalid("Bad value in numeric range: " + t.text)
		}
		top := t.text
		if top != "<" && top != "<=" {
			return matcher{}, invalid("Bad numeric range operator: " + top)
		}
		v, err := c.numericOperand(top)
		if err != nil {
			return matcher{}, err
		}
		if err := c.arrayEnd("Too many terms in numeric range expression"); err != nil {
			return matcher{}, err
		}
		return between(bottom, op == ">", v, top == "<")
	}
	return matcher{}, invalid("Unrecognized numeric range operator: " + op)
}

func (c *compiler) arrayEnd(reason string) error {
	t, err := c.next()
	if err != nil {
		return err
	}
	if t.kind != tkArrEnd {
		return invalid(reason)
	}
	return nil
}

// between is Event Ruler's Range.between: the order is checked first, then
// each bound's range.
func between(bottom string, openBottom bool, top string, openTop bool) (matcher, error) {
	b, _ := strconv.ParseFloat(bottom, 64)
	t, _ := strconv.ParseFloat(top, 64)
	if b >= t {
		return matcher{}, invalid("Bottom must be less than top")
	}
	lo, ok1 := parseMicros(bottom)
	hi, ok2 := parseMicros(top)
	if !ok1 || !ok2 {
		return matcher{}, invalid(rangeReason)
	}
	return matcher{kind: mRange, lo: lo, loOpen: openBottom, hi: hi, hiOpen: openTop}, nil
}

// anythingBut compiles the operand of "anything-but" and the '}' (or two)
// after it.
func (c *compiler) anythingBut() (matcher, error) {
	sub := "" // "", or the operator of a nested expression
	t, err := c.next()
	if err != nil {
		return matcher{}, err
	}
	if t.kind == tkObjStart {
		op, err := c.next()
		if err != nil {
			return matcher{}, err
		}
		if op.kind != tkString {
			return matcher{}, invalid("Anything-But expression name not found")
		}
		switch op.text {
		case "equals-ignore-case", "prefix", "suffix", "wildcard":
			sub = op.text
		default:
			return matcher{}, invalid("Unsupported anything-but pattern: " + op.text)
		}
		if t, err = c.next(); err != nil {
			return matcher{}, err
		}
	}
	if t.kind != tkArrStart && t.kind != tkString && t.kind != tkNumber {
		return matcher{}, invalid("Value of anything-but must be an array or single string/number value.")
	}
	var not []matcher
	if sub == "" {
		not, err = c.anythingButValues(t)
	} else {
		not, err = c.anythingButSet(t, sub)
	}
	if err != nil {
		return matcher{}, err
	}
	if err := c.end(tooManyNumeric); err != nil {
		return matcher{}, err
	}
	if sub != "" {
		if err := c.end(tooManyNumeric); err != nil {
			return matcher{}, err
		}
	}
	return matcher{kind: mAnythingBut, not: not}, nil
}

// anythingButValues compiles plain anything-but: one string or number, or a
// list of only strings or only numbers. Strings exclude themselves exactly;
// numbers exclude the number, however spelled.
func (c *compiler) anythingButValues(t token) ([]matcher, error) {
	value := func(t token) (matcher, error) {
		if t.kind == tkString {
			return matcher{kind: mString, s: t.text}, nil
		}
		n, ok := parseMicros(t.text)
		if !ok {
			return matcher{}, invalid(rangeReason)
		}
		return matcher{kind: mRange, lo: n, hi: n}, nil
	}
	if t.kind != tkArrStart {
		m, err := value(t)
		return []matcher{m}, err
	}
	var not []matcher
	strs, nums := false, false
	for {
		t, err := c.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tkArrEnd {
			break
		}
		switch t.kind {
		case tkString:
			strs = true
		case tkNumber:
			nums = true
		default:
			return nil, invalid("Inside anything but list, start|null|boolean is not supported.")
		}
		m, err := value(t)
		if err != nil {
			return nil, err
		}
		not = append(not, m)
	}
	if strs == nums {
		return nil, invalid("Inside anything but list, either all values are number or string, mixed type is not supported")
	}
	return not, nil
}

// anythingButSet compiles the strings of anything-but's equals-ignore-case,
// prefix, suffix or wildcard: one, or a list.
func (c *compiler) anythingButSet(t token, sub string) ([]matcher, error) {
	value := func(t token) (matcher, error) {
		if t.kind != tkString {
			switch sub {
			case "equals-ignore-case":
				return matcher{}, invalid("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
			case "wildcard":
				return matcher{}, invalid("wildcard match pattern must be a string")
			}
			return matcher{}, invalid("prefix/suffix match pattern must be a string")
		}
		switch sub {
		case "equals-ignore-case":
			return matcher{kind: mFold, s: t.text}, nil
		case "wildcard":
			w, err := parseWildcard(t.text)
			if err != nil {
				return matcher{}, err
			}
			return matcher{kind: mWildcard, w: w}, nil
		}
		if t.text == "" {
			return matcher{}, invalid("Null prefix/suffix not allowed")
		}
		if sub == "prefix" {
			return matcher{kind: mPrefix, s: t.text}, nil
		}
		return matcher{kind: mSuffix, s: t.text}, nil
	}
	if t.kind != tkArrStart {
		m, err := value(t)
		return []matcher{m}, err
	}
	var not []matcher
	for {
		t, err := c.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tkArrEnd {
			return not, nil
		}
		m, err := value(t)
		if err != nil {
			return nil, err
		}
		not = append(not, m)
	}
}
