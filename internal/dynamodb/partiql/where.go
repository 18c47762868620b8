package partiql

import (
	"strings"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// conjunct is a condition on one top-level attribute against literals.
type conjunct struct {
	name string
	op   string
	vals []attr.Value
}

// where parses WHERE's condition into st.Where, st.Equal and st.Range.
func (p *parser) where() error {
	text, conj, err := p.or()
	if err != nil {
		return err
	}
	p.st.Where = text
	for _, c := range conj {
		if c.op == "=" {
			if _, dup := p.st.Equal[c.name]; !dup {
				p.st.Equal[c.name] = c.vals[0]
			}
			continue
		}
		if _, dup := p.st.Range[c.name]; !dup {
			p.st.Range[c.name] = RangeCond{Op: c.op, Values: c.vals}
		}
	}
	return nil
}

func (p *parser) or() (string, []conjunct, error) {
	l, conj, err := p.and()
	if err != nil {
		return "", nil, err
	}
	for p.keyword("OR") {
		r, _, err := p.and()
		if err != nil {
			return "", nil, err
		}
		l, conj = l+" OR "+r, nil
	}
	return l, conj, nil
}

func (p *parser) and() (string, []conjunct, error) {
	l, conj, err := p.not()
	if err != nil {
		return "", nil, err
	}
	for p.keyword("AND") {
		r, rc, err := p.not()
		if err != nil {
			return "", nil, err
		}
		l, conj = l+" AND "+r, append(conj, rc...)
	}
	return l, conj, nil
}

func (p *parser) not() (string, []conjunct, error) {
	if p.keyword("NOT") {
		c, _, err := p.not()
		if err != nil {
			return "", nil, err
		}
		return "NOT " + c, nil, nil
	}
	return p.primary()
}

var comparisons = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *parser) primary() (string, []conjunct, error) {
	if p.punct("(") {
		c, conj, err := p.or()
		if err != nil {
			return "", nil, err
		}
		if err := p.expect(")"); err != nil {
			return "", nil, err
		}
		return "(" + c + ")", conj, nil
	}
	if t := p.peek(); t.kind == tIdent && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(" {
		switch fn := strings.ToLower(t.text); fn {
		case "begins_with", "contains", "attribute_type":
			p.i += 2
			pa, err := p.path()
			if err != nil {
				return "", nil, err
			}
			top, simple := p.lastTop, p.lastSimple
			if err := p.expect(","); err != nil {
				return "", nil, err
			}
			v, lit, err := p.valueLit()
			if err != nil {
				return "", nil, err
			}
			if err := p.expect(")"); err != nil {
				return "", nil, err
			}
			var conj []conjunct
			if fn == "begins_with" && simple {
				conj = []conjunct{{top, "BEGINS_WITH", []attr.Value{lit}}}
			}
			return fn + "(" + pa + ", " + v + ")", conj, nil
		case "exists":
			return "", nil, malformed("EXISTS is supported only in ExecuteTransaction")
		}
	}
	l, err := p.operand()
	if err != nil {
		return "", nil, err
	}
	top, simple := p.lastTop, p.lastSimple && strings.HasPrefix(l, "#")
	t := p.peek()
	if cmp, ok := comparisons[t.text]; ok && t.kind == tPunct {
		p.i++
		start := len(p.st.Values)
		r, err := p.operand()
		if err != nil {
			return "", nil, err
		}
		var conj []conjunct
		if simple && cmp != "<>" && strings.HasPrefix(r, ":") && len(p.st.Values) == start+1 {
			conj = []conjunct{{top, cmp, []attr.Value{p.st.Values[r]}}}
		}
		return l + " " + cmp + " " + r, conj, nil
	}
	switch {
	case p.keyword("BETWEEN"):
		lo, lov, err := p.valueLit()
		if err != nil {
			return "", nil, err
		}
		if err := p.expectKeyword("AND"); err != nil {
			return "", nil, err
		}
		hi, hiv, err := p.valueLit()
		if err != nil {
			return "", nil, err
		}
		var conj []conjunct
		if simple {
			conj = []conjunct{{top, "BETWEEN", []attr.Value{lov, hiv}}}
		}
		return l + " BETWEEN " + lo + " AND " + hi, conj, nil
	case p.keyword("IN"):
		closer := ")"
		if p.punct("[") {
			closer = "]"
		} else if err := p.expect("("); err != nil {
			return "", nil, err
		}
		var vals []string
		for {
			v, err := p.operand()
			if err != nil {
				return "", nil, err
			}
			vals = append(vals, v)
			if !p.punct(",") {
				break
			}
		}
		if err := p.expect(closer); err != nil {
			return "", nil, err
		}
		return l + " IN (" + strings.Join(vals, ", ") + ")", nil, nil
	case p.keyword("IS"):
		neg := p.keyword("NOT")
		var c string
		switch {
		case p.keyword("MISSING"):
			c = "attribute_not_exists(" + l + ")"
			if neg {
				c = "attribute_exists(" + l + ")"
			}
		case p.keyword("NULL"):
			c = "attribute_type(" + l + ", " + p.valueRef(attr.Str("NULL")) + ")"
			if neg {
				c = "NOT " + c
			}
		default:
			return "", nil, p.unexpected()
		}
		return c, nil, nil
	}
	return "", nil, p.unexpected()
}

// operand is a path, size(path), a literal or a ? parameter.
func (p *parser) operand() (string, error) {
	t := p.peek()
	switch {
	case t.kind == tIdent && strings.EqualFold(t.text, "size") && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(":
		p.i += 2
		pa, err := p.path()
		if err != nil {
			return "", err
		}
		if err := p.expect(")"); err != nil {
			return "", err
		}
		p.lastSimple = false
		return "size(" + pa + ")", nil
	case t.kind == tIdent && !isLiteralKeyword(t.text), t.kind == tQuoted:
		return p.path()
	}
	v, _, err := p.valueLit()
	return v, err
}

func isLiteralKeyword(s string) bool {
	switch strings.ToUpper(s) {
	case "TRUE", "FALSE", "NULL", "MISSING":
		return true
	}
	return false
}

// value parses a literal or ? and returns its placeholder.
func (p *parser) value() (string, error) {
	v, _, err := p.valueLit()
	return v, err
}

// valueLit parses a literal or ? and returns its placeholder and value.
func (p *parser) valueLit() (string, attr.Value, error) {
	if p.punct("?") {
		if p.used >= len(p.params) {
			return "", attr.Value{}, errParamCount
		}
		v := p.params[p.used]
		p.used++
		return p.valueRef(v), v, nil
	}
	v, err := p.literal()
	if err != nil {
		return "", attr.Value{}, err
	}
	return p.valueRef(v), v, nil
}

// literal parses a PartiQL value: 'string', number, TRUE, FALSE, NULL,
// [list], {'k': v} tuples and <<sets>> of strings or numbers.
func (p *parser) literal() (attr.Value, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return attr.Str(t.text), nil
	case tNumber:
		return attr.Num(t.text)
	case tIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE":
			return attr.Bool(true), nil
		case "FALSE":
			return attr.Bool(false), nil
		case "NULL":
			return attr.Null(), nil
		}
	case tPunct:
		switch t.text {
		case "-", "+":
			n := p.next()
			if n.kind != tNumber {
				p.i--
				return attr.Value{}, p.unexpected()
			}
			return attr.Num(t.text + n.text)
		case "?":
			if p.used >= len(p.params) {
				return attr.Value{}, errParamCount
			}
			p.used++
			return p.params[p.used-1], nil
		case "[":
			l := []attr.Value{}
			if p.punct("]") {
				return attr.Value{Kind: attr.L, List: l}, nil
			}
			for {
				v, err := p.literal()
				if err != nil {
					return attr.Value{}, err
				}
				l = append(l, v)
				if !p.punct(",") {
					break
				}
			}
			if err := p.expect("]"); err != nil {
				return attr.Value{}, err
			}
			return attr.Value{Kind: attr.L, List: l}, nil
		case "{":
			m := map[string]attr.Value{}
			if p.punct("}") {
				return attr.Value{Kind: attr.M, Map: m}, nil
			}
			for {
				k := p.next()
				if k.kind != tString {
					p.i--
					return attr.Value{}, malformed("tuple keys must be strings at position %d", k.pos+1)
				}
				if err := p.expect(":"); err != nil {
					return attr.Value{}, err
				}
				v, err := p.literal()
				if err != nil {
					return attr.Value{}, err
				}
				if _, dup := m[k.text]; dup {
					return attr.Value{}, validation("Duplicate key in tuple: " + k.text)
				}
				m[k.text] = v
				if !p.punct(",") {
					break
				}
			}
			if err := p.expect("}"); err != nil {
				return attr.Value{}, err
			}
			return attr.Value{Kind: attr.M, Map: m}, nil
		case "<<":
			return p.set()
		}
	}
	if t.kind != tEOF {
		p.i--
	}
	return attr.Value{}, p.unexpected()
}

// set parses the members of <<...>> after its opening.
func (p *parser) set() (attr.Value, error) {
	var members []attr.Value
	if !p.punct(">>") {
		for {
			v, err := p.literal()
			if err != nil {
				return attr.Value{}, err
			}
			members = append(members, v)
			if !p.punct(",") {
				break
			}
		}
		if err := p.expect(">>"); err != nil {
			return attr.Value{}, err
		}
	}
	if len(members) == 0 {
		return attr.Value{}, validation("One or more parameter values were invalid: An string set  may not be empty")
	}
	kind := members[0].Kind
	setKind := map[attr.Kind]attr.Kind{attr.S: attr.SS, attr.N: attr.NS, attr.B: attr.BS}[kind]
	if setKind == attr.Invalid {
		return attr.Value{}, malformed("sets hold strings, numbers or binaries")
	}
	out := attr.Value{Kind: setKind}
	seen := map[string]bool{}
	for _, m := range members {
		if m.Kind != kind {
			return attr.Value{}, malformed("the members of a set must be of one type")
		}
		s := m.Str
		switch kind {
		case attr.N:
			s = m.N
		case attr.B:
			s = string(m.Bin)
		}
		if seen[s] {
			return attr.Value{}, validation("One or more parameter values were invalid: Input collection contains duplicates")
		}
		seen[s] = true
		out.Set = append(out.Set, s)
	}
	return out, nil
}
