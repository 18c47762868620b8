package eventpattern

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
)

// object is a compiled pattern object: its fields are ANDed, and so are its
// "$or" groups, each of which needs one of its alternatives to match.
type object struct {
	fields []field
	ors    [][]*object
}

// field is one key of a pattern object: either a nested object or a leaf.
type field struct {
	key  string
	obj  *object
	leaf *leaf
}

// leaf is a pattern array: it matches when any event value there matches any
// matcher, or by the presence or absence of values ("exists").
type leaf struct {
	matchers    []matcher
	existsTrue  bool
	existsFalse bool
	entries     int  // the array's length, for SNS's combination count
	wantNum     bool // some matcher compares numbers
	wantIP      bool // some matcher compares IP addresses
}

type matchKind uint8

const (
	mString      matchKind = iota // s exactly (also "exactly")
	mIP                           // s exactly, or the same address as ip
	mNumber                       // literal s, or the same number
	mLiteral                      // null, true or false: lit
	mPrefix                       // begins with s
	mPrefixFold                   // begins with s, ignoring case
	mSuffix                       // ends with s
	mSuffixFold                   // ends with s, ignoring case
	mFold                         // equals s, ignoring case
	mWildcard                     // w
	mRange                        // a number within lo..hi
	mCIDR                         // an address within cidr
	mAnythingBut                  // any value none of not matches
)

// matcher is one entry of a pattern array (other than "exists").
type matcher struct {
	kind   matchKind
	s      string
	lit    valKind
	ip     netip.Addr
	micros int64
	numOK  bool // micros holds s's value (mNumber)
	lo, hi int64
	loOpen bool
	hiOpen bool
	cidr   ipRange
	w      wildcard
	not    []matcher // mAnythingBut's exclusions
}

type valKind uint8

const (
	vString valKind = iota
	vNumber
	vTrue
	vFalse
	vNull
)

// scalar is one event value at a leaf, with the forms the leaf's matchers
// compare computed once.
type scalar struct {
	kind   valKind
	s      string // the string, or the number's literal text
	micros int64
	numOK  bool
	ip     netip.Addr
	ipOK   bool
}

// matchAt matches the event value found at this object's key (nil when the
// key is absent). An object is matched directly; an array matches when one
// of its objects does, arrays flattened; anything else, or an array without
// objects, is matched as an empty object, so that only "exists": false and
// anything else that holds of absent fields can match it.
func (o *object) matchAt(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return o.match(t)
	case []any:
		found := false
		if o.matchArray(t, &found) {
			return true
		}
		if found {
			return false
		}
	}
	return o.match(nil)
}

func (o *object) matchArray(a []any, found *bool) bool {
	for _, e := range a {
		switch t := e.(type) {
		case map[string]any:
			*found = true
			if o.match(t) {
				return true
			}
		case []any:
			if o.matchArray(t, found) {
				return true
			}
		}
	}
	return false
}

func (o *object) match(m map[string]any) bool {
	for i := range o.fields {
		f := &o.fields[i]
		v, ok := m[f.key]
		if f.leaf != nil {
			if !f.leaf.match(v, ok) {
				return false
			}
		} else if !f.obj.matchAt(v) {
			return false
		}
	}
	for _, alts := range o.ors {
		any := false
		for _, alt := range alts {
			if alt.match(m) {
				any = true
				break
			}
		}
		if !any {
			return false
		}
	}
	return true
}

// match matches the event value v at this leaf (present false when absent).
func (l *leaf) match(v any, present bool) bool {
	if !present {
		return l.existsFalse
	}
	hasValue := false
	if l.matchValues(v, &hasValue) {
		return true
	}
	if hasValue {
		return l.existsTrue
	}
	return l.existsFalse
}

func (l *leaf) matchValues(v any, hasValue *bool) bool {
	var sc scalar
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if l.matchValues(e, hasValue) {
				return true
			}
		}
		return false
	case map[string]any:
		return false // an object is not a value of a leaf
	case string:
		sc = scalar{kind: vString, s: t}
		if l.wantIP {
			sc.ip, sc.ipOK = parseIP(t)
		}
	case json.Number:
		sc = scalar{kind: vNumber, s: string(t)}
	case float64:
		sc = scalar{kind: vNumber, s: strconv.FormatFloat(t, 'f', -1, 64)}
	case int:
		sc = scalar{kind: vNumber, s: strconv.Itoa(t)}
	case int64:
		sc = scalar{kind: vNumber, s: strconv.FormatInt(t, 10)}
	case bool:
		sc.kind = vFalse
		if t {
			sc.kind = vTrue
		}
	case nil:
		sc.kind = vNull
	default:
		return false // not a decoded JSON value
	}
	*hasValue = true
	if sc.kind == vNumber && l.wantNum {
		sc.micros, sc.numOK = parseMicros(sc.s)
	}
	for i := range l.matchers {
		if l.matchers[i].match(&sc) {
			return true
		}
	}
	return false
}

func (m *matcher) match(v *scalar) bool {
	switch m.kind {
	case mString:
		return v.kind == vString && v.s == m.s
	case mIP:
		return v.kind == vString && (v.s == m.s || v.ipOK && v.ip == m.ip)
	case mNumber:
		return v.kind == vNumber && (v.s == m.s || m.numOK && v.numOK && v.micros == m.micros)
	case mLiteral:
		return v.kind == m.lit
	case mPrefix:
		return v.kind == vString && strings.HasPrefix(v.s, m.s)
	case mPrefixFold:
		return v.kind == vString && hasPrefixFold(v.s, m.s)
	case mSuffix:
		return v.kind == vString && strings.HasSuffix(v.s, m.s)
	case mSuffixFold:
		return v.kind == vString && hasSuffixFold(v.s, m.s)
	case mFold:
		return v.kind == vString && strings.EqualFold(v.s, m.s)
	case mWildcard:
		return v.kind == vString && m.w.match(v.s)
	case mRange:
		if v.kind != vNumber || !v.numOK {
			return false
		}
		n := v.micros
		if n < m.lo || m.loOpen && n == m.lo {
			return false
		}
		return n < m.hi || !m.hiOpen && n == m.hi
	case mCIDR:
		return v.kind == vString && v.ipOK && m.cidr.contains(v.ip)
	case mAnythingBut:
		// Any present value that is not excluded matches, whatever its
		// type: AWS matches a null against {"anything-but": ["x"]}
		// (LocalStack's snapshot tests, PR #9925).
		for i := range m.not {
			if m.not[i].match(v) {
				return false
			}
		}
		return true
	}
	return false
}
