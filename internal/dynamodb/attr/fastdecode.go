package attr

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// The fast decoder reads the common shape of attribute values (one type
// member per value, strings without surprises) straight from the bytes, in
// one pass. Anything else (several members, null members, escapes it cannot
// take, an error of any kind) makes it give up, and the general decoder in
// json.go, which encoding/json drives, decodes the value again: that one
// defines the behaviour and the error reported, the fast one only the speed.

var errFallback = errors.New("attr: not the fast shape")

type fastDec struct {
	b []byte
	i int
}

func (d *fastDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDec) byte(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDec) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// str reads a JSON string. Escapes go through encoding/json, which also
// decides what invalid UTF-8 becomes.
func (d *fastDec) str() (string, error) {
	if !d.byte('"') {
		return "", errFallback
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !utf8.Valid(s) {
				return d.slowString(start - 1)
			}
			return string(s), nil
		case c == '\\':
			return d.slowString(start - 1)
		case c < 0x20:
			return "", errFallback
		}
		d.i++
	}
	return "", errFallback
}

// slowString decodes the string starting at the quote at from.
func (d *fastDec) slowString(from int) (string, error) {
	i := from + 1
	for i < len(d.b) {
		switch d.b[i] {
		case '\\':
			i += 2
			continue
		case '"':
			var s string
			if err := json.Unmarshal(d.b[from:i+1], &s); err != nil {
				return "", errFallback
			}
			d.i = i + 1
			return s, nil
		}
		i++
	}
	return "", errFallback
}

func (d *fastDec) literal(word string) bool {
	d.ws()
	if len(d.b)-d.i >= len(word) && string(d.b[d.i:d.i+len(word)]) == word {
		d.i += len(word)
		return true
	}
	return false
}

// item reads {"name": value, ...}.
func (d *fastDec) item(depth int) (Item, error) {
	if !d.byte('{') {
		return nil, errFallback
	}
	it := Item{}
	if d.byte('}') {
		return it, nil
	}
	for {
		name, err := d.str()
		if err != nil {
			return nil, err
		}
		if !d.byte(':') {
			return nil, errFallback
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		it[name] = v
		if d.byte(',') {
			continue
		}
		if d.byte('}') {
			return it, nil
		}
		return nil, errFallback
	}
}

// value reads {"T": ...} with exactly one member.
func (d *fastDec) value(depth int) (Value, error) {
	if depth > maxDepth || !d.byte('{') {
		return Value{}, errFallback
	}
	name, err := d.str()
	if err != nil || !d.byte(':') {
		return Value{}, errFallback
	}
	v := Value{Kind: kindOf(name)}
	switch v.Kind {
	case S:
		v.Str, err = d.str()
	case N:
		var s string
		if s, err = d.str(); err == nil {
			v.N, err = Canonical(s)
		}
	case B:
		var s string
		if s, err = d.str(); err == nil {
			v.Bin, err = base64.StdEncoding.DecodeString(s)
		}
	case BOOL:
		switch {
		case d.literal("true"):
			v.Bool = true
		case d.literal("false"):
		default:
			err = errFallback
		}
	case NULL:
		if !d.literal("true") {
			err = errFallback
		}
	case SS, NS, BS:
		if v.Set, err = d.strings(); err == nil {
			err = checkSet(&v)
		}
	case L:
		v.List, err = d.list(depth)
	case M:
		var m Item
		if m, err = d.item(depth + 1); err == nil {
			v.Map = m
		}
	default:
		err = errFallback
	}
	if err != nil || !d.byte('}') {
		return Value{}, errFallback
	}
	return v, nil
}

func (d *fastDec) strings() ([]string, error) {
	if !d.byte('[') {
		return nil, errFallback
	}
	var out []string
	if d.byte(']') {
		return []string{}, nil
	}
	for {
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if d.byte(',') {
			continue
		}
		if d.byte(']') {
			return out, nil
		}
		return nil, errFallback
	}
}

func (d *fastDec) list(depth int) ([]Value, error) {
	if !d.byte('[') {
		return nil, errFallback
	}
	out := []Value{}
	if d.byte(']') {
		return out, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if d.byte(',') {
			continue
		}
		if d.byte(']') {
			return out, nil
		}
		return nil, errFallback
	}
}

// fastItem decodes a whole item the fast way, or reports that it cannot.
func fastItem(b []byte) (Item, bool) {
	d := fastDec{b: b}
	it, err := d.item(0)
	if err != nil {
		return nil, false
	}
	d.ws()
	return it, d.i == len(b)
}

// fastValue decodes one value the fast way, or reports that it cannot.
func fastValue(b []byte) (Value, bool) {
	d := fastDec{b: b}
	v, err := d.value(0)
	if err != nil {
		return Value{}, false
	}
	d.ws()
	return v, d.i == len(b)
}
