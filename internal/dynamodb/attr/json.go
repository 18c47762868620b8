package attr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/stratus-run/stratus/internal/jsonenc"
)

// maxDepth is DynamoDB's limit on nesting lists and maps.
const maxDepth = 32

var (
	errEmpty      = validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	errManyTypes  = validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	errNullFalse  = validation("One or more parameter values were invalid: Null attribute value types must have the value of true")
	errEmptySS    = validation("One or more parameter values were invalid: An string set  may not be empty")
	errEmptyNS    = validation("One or more parameter values were invalid: An number set  may not be empty")
	errEmptyBS    = validation("One or more parameter values were invalid: Binary sets should not be empty")
	errDupNS      = validation("Input collection contains duplicates")
	errTooDeep    = validation("Nesting Levels have exceeded supported limits")
	errNotAnValue = errors.New("attr: an attribute value must be a JSON object")
)

// UnmarshalJSON decodes a value of the wire form ({"S":"x"}, {"N":"1"}, ...)
// and checks it as DynamoDB does. Semantic errors are ValidationExceptions
// (*awsproto.Error); JSON of the wrong shape gives other errors, which the
// service answers with SerializationException.
func (v *Value) UnmarshalJSON(b []byte) error {
	if d, ok := fastValue(b); ok {
		*v = d
		return nil
	}
	d, err := decodeValue(b, 0)
	if err != nil {
		return err
	}
	*v = d
	return nil
}

// UnmarshalJSON decodes an item: attribute names to values.
func (it *Item) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*it = nil
		return nil
	}
	if m, ok := fastItem(b); ok {
		*it = m
		return nil
	}
	m, err := decodeMap(b, 0)
	if err != nil {
		return err
	}
	*it = m
	return nil
}

func decodeMap(b []byte, depth int) (Item, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errNotAnValue
	}
	m := make(Item, len(raw))
	// In name order, so the error reported for several bad values is the same each time.
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range raw {
			if !yield(k) {
				return
			}
		}
	}) {
		v, err := decodeValue(raw[k], depth)
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

func decodeValue(b []byte, depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, errTooDeep
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Value{}, err
	}
	if raw == nil {
		return Value{}, errNotAnValue
	}
	// A member set to null counts as absent, as the SDKs' serializers omit it.
	for k, r := range raw {
		if string(r) == "null" {
			delete(raw, k)
		}
	}
	if len(raw) == 0 {
		return Value{}, errEmpty
	}
	var v Value
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range raw {
			if !yield(k) {
				return
			}
		}
	}) {
		k := kindOf(name)
		if k == Invalid {
			return Value{}, fmt.Errorf("attr: unknown attribute value type %q", name)
		}
		w, err := decodeKind(k, raw[name], depth)
		if err != nil {
			return Value{}, err
		}
		v = w
	}
	if len(raw) > 1 {
		return Value{}, errManyTypes
	}
	return v, nil
}

func decodeKind(k Kind, r json.RawMessage, depth int) (Value, error) {
	v := Value{Kind: k}
	var err error
	switch k {
	case S:
		err = json.Unmarshal(r, &v.Str)
	case N:
		var s string
		if err = json.Unmarshal(r, &s); err == nil {
			v.N, err = Canonical(s)
		}
	case B:
		var s string
		if err = json.Unmarshal(r, &s); err == nil {
			v.Bin, err = base64.StdEncoding.DecodeString(s)
		}
	case BOOL:
		err = json.Unmarshal(r, &v.Bool)
	case NULL:
		var t bool
		if err = json.Unmarshal(r, &t); err == nil && !t {
			err = errNullFalse
		}
	case SS, NS, BS:
		err = json.Unmarshal(r, &v.Set)
		if err == nil {
			err = checkSet(&v)
		}
	case L:
		var raw []json.RawMessage
		if err = json.Unmarshal(r, &raw); err == nil {
			v.List = make([]Value, len(raw))
			for i, e := range raw {
				if v.List[i], err = decodeValue(e, depth+1); err != nil {
					break
				}
			}
		}
	case M:
		var m Item
		if m, err = decodeMap(r, depth+1); err == nil {
			v.Map = m
		}
	}
	if err != nil {
		return Value{}, err
	}
	return v, nil
}

// checkSet canonicalizes a set's members and refuses empty sets and
// duplicates with DynamoDB's messages.
func checkSet(v *Value) error {
	if len(v.Set) == 0 {
		switch v.Kind {
		case SS:
			return errEmptySS
		case NS:
			return errEmptyNS
		}
		return errEmptyBS
	}
	seen := make(map[string]bool, len(v.Set))
	for i, m := range v.Set {
		switch v.Kind {
		case NS:
			c, err := Canonical(m)
			if err != nil {
				return err
			}
			v.Set[i] = c
		case BS:
			b, err := base64.StdEncoding.DecodeString(m)
			if err != nil {
				return err
			}
			v.Set[i] = string(b)
		}
		if seen[v.Set[i]] {
			switch v.Kind {
			case NS:
				return errDupNS
			case SS:
				return validation("One or more parameter values were invalid: Input collection " + setText(v.Set) + " contains duplicates.")
			}
			return validation("One or more parameter values were invalid: Input collection " + setText(v.Set) + "of type BS contains duplicates.")
		}
		seen[v.Set[i]] = true
	}
	return nil
}

func setText(members []string) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, m := range members {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m)
	}
	b.WriteByte(']')
	return b.String()
}

// MarshalJSON encodes the wire form.
func (v Value) MarshalJSON() ([]byte, error) { return AppendJSON(nil, v), nil }

// MarshalJSON encodes an item with its names in order.
func (it Item) MarshalJSON() ([]byte, error) {
	if it == nil {
		return []byte("null"), nil
	}
	return appendMap(nil, it), nil
}

// AppendItemJSON appends an item's wire form to dst, names in order ("null"
// for a nil item).
func AppendItemJSON(dst []byte, it Item) []byte {
	if it == nil {
		return append(dst, "null"...)
	}
	return appendMap(dst, it)
}

// AppendJSON appends v's wire form to dst.
func AppendJSON(dst []byte, v Value) []byte {
	dst = append(dst, `{"`...)
	dst = append(dst, v.Kind.String()...)
	dst = append(dst, `":`...)
	switch v.Kind {
	case S:
		dst = appendString(dst, v.Str)
	case N:
		dst = appendString(dst, v.N)
	case B:
		dst = appendBase64(dst, v.Bin)
	case BOOL:
		dst = strconv.AppendBool(dst, v.Bool)
	case NULL:
		dst = append(dst, "true"...)
	case SS, NS, BS:
		dst = append(dst, '[')
		for i, m := range v.Set {
			if i > 0 {
				dst = append(dst, ',')
			}
			if v.Kind == BS {
				dst = appendBase64(dst, []byte(m))
			} else {
				dst = appendString(dst, m)
			}
		}
		dst = append(dst, ']')
	case L:
		dst = append(dst, '[')
		for i, e := range v.List {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, e)
		}
		dst = append(dst, ']')
	case M:
		dst = appendMap(dst, v.Map)
	default:
		// An Invalid value has no wire form; null keeps the document valid.
		return append(dst[:len(dst)-len(`{"":`)], "null"...)
	}
	return append(dst, '}')
}

func appendMap(dst []byte, m map[string]Value) []byte {
	dst = append(dst, '{')
	var buf [16]string // most items have few attributes: no allocation for them
	names := buf[:0]
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for i, k := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = AppendJSON(dst, m[k])
	}
	return append(dst, '}')
}

func appendBase64(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

func appendString(dst []byte, s string) []byte { return jsonenc.AppendString(dst, s) }
