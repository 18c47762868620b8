package sam

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SAM names a REST API deployment after the SHA1 of str() of its Python definition object.
// That string depends on Python 2.7's dict iteration order and on which strings came from the
// template (printed u'...') and which SAM wrote itself ('...'), because SAM keeps emulating
// Python 2.7 so that deployment ids never change. pyDict records what that emulation needs:
// insertion order and, per key and string, whether it came from the template.

// uni is a string that came from the template; Python 2.7 printed it as u'...'.
type uni string

// pyDict is an insertion-ordered object whose keys remember their origin.
type pyDict struct {
	keys   []string
	vals   map[string]any
	uniKey map[string]bool
}

func newPyDict() *pyDict {
	return &pyDict{vals: map[string]any{}, uniKey: map[string]bool{}}
}

// set stores v under key; fromTemplate marks the key as a template string.
func (d *pyDict) set(key string, fromTemplate bool, v any) {
	if _, ok := d.vals[key]; !ok {
		d.keys = append(d.keys, key)
		d.uniKey[key] = fromTemplate
	}
	d.vals[key] = v
}

func (d *pyDict) get(key string) (any, bool) {
	v, ok := d.vals[key]
	return v, ok
}

// child returns the object under key, creating it as Python's setdefault(key, {}) would.
func (d *pyDict) child(key string, fromTemplate bool) *pyDict {
	if c, ok := d.vals[key].(*pyDict); ok {
		return c
	}
	c := newPyDict()
	d.set(key, fromTemplate, c)
	return c
}

// fromTemplate converts a value read from the template; without the template's key order,
// keys are inserted sorted, which gives Python's order whenever no two keys collide.
func fromTemplate(v any) any {
	switch x := v.(type) {
	case map[string]any:
		d := newPyDict()
		for _, k := range sortedKeys(x) {
			d.set(k, true, fromTemplate(x[k]))
		}
		return d
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromTemplate(e)
		}
		return out
	case string:
		return uni(x)
	}
	return v
}

// plain converts back to the map[string]any form of the rest of the transform.
func plain(v any) any {
	switch x := v.(type) {
	case *pyDict:
		out := make(map[string]any, len(x.vals))
		for k, e := range x.vals {
			out[k] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case uni:
		return string(x)
	}
	return v
}

// py27Hash is Python 2.7's string hash as an unsigned machine word.
func py27Hash(s string) uint64 {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(s)
	x := uint64(r) << 7
	for _, c := range s {
		x = (1000003 * x) ^ uint64(c)
	}
	return x ^ uint64(n)
}

// py27Keys replays Python 2.7's open-addressing dict table to find its iteration order.
type py27Keys struct {
	slots      map[uint64]string
	size, fill int
	mask       uint64
}

func newPy27Keys() *py27Keys { return &py27Keys{slots: map[uint64]string{}, mask: 7} }

func (k *py27Keys) index(key string) uint64 {
	h := py27Hash(key)
	i := h & k.mask
	if cur, ok := k.slots[i]; !ok || cur == key {
		return i
	}
	walker, perturb := i, h
	for {
		walker = (walker << 2) + walker + perturb + 1
		i = walker & k.mask
		cur, ok := k.slots[i]
		if !ok || cur == key {
			return i
		}
		perturb >>= 5
	}
}

func (k *py27Keys) add(key string) {
	start := k.size
	i := k.index(key)
	if _, ok := k.slots[i]; !ok {
		k.size++
		k.fill++
		k.slots[i] = key
	}
	if k.size > start && uint64(k.fill*3) >= (k.mask+1)*2 {
		factor := 4
		if k.size > 50000 {
			factor = 2
		}
		k.resize(k.size * factor)
	}
}

func (k *py27Keys) resize(request int) {
	n := uint64(8)
	for n <= uint64(request) {
		n <<= 1
	}
	old := k.order()
	k.slots, k.size, k.fill, k.mask = map[uint64]string{}, 0, 0, n-1
	for _, key := range old {
		k.add(key)
	}
}

func (k *py27Keys) order() []string {
	idx := make([]uint64, 0, len(k.slots))
	for i := range k.slots {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	out := make([]string, len(idx))
	for j, i := range idx {
		out[j] = k.slots[i]
	}
	return out
}

// py27Order is the order Python 2.7 iterates keys inserted in the given order, after SAM's
// deep copy (which re-inserts them in that order).
func py27Order(keys []string) []string {
	k := newPy27Keys()
	for _, key := range keys {
		k.add(key)
	}
	c := newPy27Keys()
	for _, key := range k.order() {
		c.add(key)
	}
	return c.order()
}

// pyRepr renders v as SAM's str() of it does.
func pyRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case *pyDict:
		b.WriteByte('{')
		for i, k := range py27Order(x.keys) {
			if i > 0 {
				b.WriteString(", ")
			}
			if x.uniKey[k] {
				writeRepr(b, uni(k))
			} else {
				writeRepr(b, k)
			}
			b.WriteString(": ")
			writeRepr(b, x.vals[k])
		}
		b.WriteByte('}')
	case map[string]any:
		// Dicts SAM builds with Python 3 literals, such as {"Ref": ...}; they keep insertion
		// order, and SAM's have one key or are written in sorted order here.
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, k)
			b.WriteString(": ")
			writeRepr(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		b.WriteByte(']')
	case uni:
		b.WriteByte('u')
		b.WriteString(quoteEscaped(unicodeEscape(string(x))))
	case string:
		b.WriteString(pyQuote(x))
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case nil:
		b.WriteString("None")
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e16 {
			// YAML integers reach here as float64 when the template was JSON.
			b.WriteString(strconv.FormatInt(int64(x), 10))
		} else {
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	default:
		b.WriteString(pyQuote(""))
	}
}

// unicodeEscape is Python's s.encode("unicode_escape").decode("ascii") followed by SAM's
// undoing of the doubled backslashes.
func unicodeEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || (r >= 0x7f && r < 0x100):
			b.WriteString(`\x` + hex2(r))
		case r >= 0x100 && r <= 0xffff:
			b.WriteString(`\u` + hex4(r))
		case r > 0xffff:
			s := strconv.FormatInt(int64(r), 16)
			b.WriteString(`\U` + strings.Repeat("0", 8-len(s)) + s)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hex2(r rune) string {
	s := strconv.FormatInt(int64(r), 16)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

// quoteEscaped quotes an already escaped ASCII string as repr does, escaping only the quote.
func quoteEscaped(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	return q + strings.ReplaceAll(s, q, `\`+q) + q
}

// pyQuote is Python 3's repr of an ASCII-safe str: single quotes unless the string holds a
// single quote and no double quote.
func pyQuote(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteString(`\` + string(q))
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x` + hex2(r))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
