package expr

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// item decodes an item in DynamoDB's wire form; "" is no item.
func item(t testing.TB, js string) attr.Item {
	t.Helper()
	if js == "" {
		return nil
	}
	var it attr.Item
	if err := json.Unmarshal([]byte(js), &it); err != nil {
		t.Fatalf("item %s: %v", js, err)
	}
	return it
}

// values is the ExpressionAttributeValues every test may use.
const values = `{
	":s": {"S": "hello"}, ":h": {"S": "hel"}, ":ell": {"S": "ell"}, ":x": {"S": "x"}, ":a": {"S": "a"}, ":z": {"S": "z"},
	":S": {"S": "S"}, ":N": {"S": "N"}, ":SS": {"S": "SS"}, ":M": {"S": "M"}, ":on": {"S": "on"},
	":zero": {"N": "0"}, ":one": {"N": "1"}, ":two": {"N": "2"}, ":three": {"N": "3"}, ":n5": {"N": "5"},
	":n9": {"N": "9"}, ":n10": {"N": "10.0"}, ":n20": {"N": "20"}, ":n30": {"N": "30"}, ":n25": {"N": "2.50"},
	":b": {"B": "aGVsbG8="}, ":bpre": {"B": "aGVs"}, ":b12": {"B": "AQI="},
	":t": {"BOOL": true}, ":null": {"NULL": true},
	":ssRev": {"SS": ["b", "a"]}, ":ssA": {"SS": ["a"]}, ":ssAB": {"SS": ["a", "b"]}, ":ssNew": {"SS": ["b", "c"]},
	":nsOne": {"NS": ["1"]}, ":nsTwo": {"NS": ["2.50", "7"]},
	":l": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"k": {"S": "v"}}}]}, ":l2": {"L": [{"S": "y"}]}, ":empty": {"L": []},
	":m": {"M": {"k": {"S": "v"}}}, ":v": {"S": "v"}
}`

// sample is the item conditions are evaluated against.
const sample = `{
	"s": {"S": "hello"}, "n": {"N": "10"}, "b": {"B": "aGVsbG8="}, "t": {"BOOL": true}, "z": {"NULL": true},
	"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AQI="]},
	"l": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"k": {"S": "v"}}}]},
	"m": {"M": {"k": {"S": "v"}, "n": {"N": "3"}, "l": {"L": [{"N": "1"}]}}},
	"status": {"S": "on"}, "a.b": {"S": "dotted"}
}`

// params builds Params with the given names and the shared values, or the
// values given.
func params(t testing.TB, names map[string]string, vals string) *Params {
	t.Helper()
	if vals == "" {
		vals = values
	}
	return NewParams(names, item(t, vals))
}

// message is err's DynamoDB message, checking it is a ValidationException.
func message(t testing.TB, err error) string {
	t.Helper()
	var ae *awsproto.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *awsproto.Error", err, err)
	}
	if ae.Code != "ValidationException" || ae.Status != 400 {
		t.Fatalf("error %q: code %s, status %d", ae.Message, ae.Code, ae.Status)
	}
	return ae.Message
}

func TestConditionEval(t *testing.T) {
	names := map[string]string{"#st": "status", "#k": "k", "#dot": "a.b"}
	tests := []struct {
		expr string
		want bool
	}{
		// = and <>: by value and type; a absent attribute equals nothing.
		{"s = :s", true},
		{"s = :x", false},
		{"n = :n10", true}, // 10 and 10.0 are one number
		{"s = :n10", false},
		{"s <> :n10", true},
		{"s <> :s", false},
		{"absent = :s", false},
		{"absent <> :s", true},
		{"absent = gone", false},
		{"absent <> gone", true},
		{"ss = :ssRev", true}, // sets regardless of order
		{"ss = :ssA", false},
		{"l = :l", true},
		{"m.k = :v", true},
		{"t = :t", true},
		{"z = :null", true},
		{"b = :b", true},
		// Orderings: numbers by value, strings and binaries bytewise; other
		// types and mismatched types compare false.
		{"n < :n20", true},
		{"n < :n5", false},
		{"n > :n9", true}, // not "10" < "9"
		{"n <= :n10", true},
		{"n >= :n10", true},
		{"n > :n10", false},
		{"s < :x", true},
		{"s > :x", false},
		{"b > :bpre", true},
		{"n < :s", false},
		{"s >= :n5", false},
		{"l < :n5", false}, // a list attribute orders with nothing
		{"absent < :n5", false},
		{":n5 < n", true},
		{"absent < gone", false},
		// BETWEEN is inclusive.
		{"n BETWEEN :n5 AND :n20", true},
		{"n BETWEEN :n10 AND :n10", true},
		{"n BETWEEN :n20 AND :n30", false},
		{"s BETWEEN :a AND :z", true},
		{"s BETWEEN :x AND :z", false},
		{"n BETWEEN :a AND :z", false},
		{"absent BETWEEN :n5 AND :n20", false},
		{"n between :n5 and :n20", true}, // keywords in any case
		// IN
		{"n IN (:n5, :n10)", true},
		{"n IN (:n5)", false},
		{"s IN (:n10, :s)", true},
		{"absent IN (:n5)", false},
		{"ss IN (:ssRev)", true},
		// Logic and precedence: NOT binds tighter than AND, AND than OR.
		{"NOT s = :s", false},
		{"NOT NOT s = :s", true},
		{"NOT s = :s OR n = :n10", true},
		{"NOT (s = :s OR n = :n10)", false},
		{"s = :x AND n = :n5 OR n = :n10", true},
		{"s = :s OR n = :n5 AND n = :n20", true},
		{"(s = :s OR n = :n5) AND n = :n20", false},
		{"s = :s and n = :n10", true},
		// Functions.
		{"attribute_exists(s)", true},
		{"attribute_exists(absent)", false},
		{"attribute_exists(m.k)", true},
		{"attribute_exists(m.nope)", false},
		{"attribute_exists(l[2].k)", true},
		{"attribute_exists(l[3])", false},
		{"attribute_exists(s.k)", false}, // a path through a string
		{"attribute_exists(m[0])", false},
		{"attribute_not_exists(absent)", true},
		{"attribute_not_exists(s)", false},
		{"attribute_type(s, :S)", true},
		{"attribute_type(n, :S)", false},
		{"attribute_type(n, :N)", true},
		{"attribute_type(ss, :SS)", true},
		{"attribute_type(m, :M)", true},
		{"attribute_type(absent, :S)", false},
		{"begins_with(s, :h)", true},
		{"begins_with(s, :x)", false},
		{"begins_with(n, :h)", false},
		{"begins_with(b, :bpre)", true},
		{"begins_with(s, :bpre)", false},
		{"begins_with(absent, :h)", false},
		{"contains(s, :ell)", true},
		{"contains(s, :x)", false},
		{"contains(s, :n10)", false},
		{"contains(b, :bpre)", true},
		{"contains(ss, :a)", true},
		{"contains(ss, :x)", false},
		{"contains(ns, :n25)", true}, // 2.50 is the member 2.5
		{"contains(ns, :a)", false},
		{"contains(bs, :b12)", true},
		{"contains(l, :x)", true},
		{"contains(l, :m)", true},
		{"contains(l, :two)", true},
		{"contains(l, :one)", false},
		{"contains(n, :n10)", false},
		{"contains(absent, :x)", false},
		{"contains(m.l, :one)", true},
		{"size(s) = :n5", true}, // bytes
		{"size(b) = :n5", true},
		{"size(ss) = :two", true},
		{"size(l) = :three", true},
		{"size(m) = :three", true},
		{"size(m.l) = :one", true},
		{"size(n) >= :zero", false}, // numbers have no size
		{"size(t) >= :zero", false},
		{"size(absent) = :zero", false},
		{"size(absent) <> :zero", true},
		{":two < size(l)", true},
		{"size(s) BETWEEN :n5 AND :n10", true},
		// Names, nested paths, parenthesized operands.
		{"#st = :on", true},
		{"m.#k = :v", true},
		{"#dot = :s", false},
		{"attribute_exists(#dot)", true}, // a dot in a name is part of the name
		{"m.l[0] = :one", true},
		{"l[2].k = :v", true},
		{"(s) = :s", true},
		{"(m.l)[0] = :one", true},
		{"(m).k = :v", true},
		{"(size(s)) = :n5", true},
		{"(s = :s) AND (n = :n10)", true},
		{"(attribute_exists(s))", true},
		{"(s)between(:a)and(:z)", true},
	}
	it := item(t, sample)
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			c, err := ParseCondition("ConditionExpression", tc.expr, params(t, names, ""))
			if err != nil {
				t.Fatalf("ParseCondition: %v", err)
			}
			if got := c.Eval(it); got != tc.want {
				t.Errorf("Eval = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestConditionNoItem evaluates against a absent item: nothing exists, and
// only <> is true of a absent attribute (Alternator's tests record AWS
// accepting "q <> z" on an item that does not exist).
func TestConditionNoItem(t *testing.T) {
	for expr, want := range map[string]bool{
		"attribute_not_exists(a)":               true,
		"attribute_exists(a)":                   false,
		"a = :s":                                false,
		"a <> :s":                               true,
		"a < :n5":                               false,
		"NOT a = :s":                            true,
		"begins_with(a, :h)":                    false,
		"contains(a, :h)":                       false,
		"a IN (:s)":                             false,
		"size(a) = :zero":                       false,
		"attribute_not_exists(a.b[1])":          true,
		"a BETWEEN :n5 AND :n10 OR :one = :one": true,
	} {
		c, err := ParseCondition("ConditionExpression", expr, params(t, nil, ""))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if got := c.Eval(nil); got != want {
			t.Errorf("%s on no item = %v, want %v", expr, got, want)
		}
	}
}

func TestConditionTop(t *testing.T) {
	c, err := ParseCondition("FilterExpression", "a.b = :s AND (size(#n[0]) > :one OR contains(c, :x)) AND a.c = :s AND NOT attribute_exists(d)",
		params(t, map[string]string{"#n": "name"}, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Top(), []string{"a", "name", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("Top = %v, want %v", got, want)
	}
	var none *Condition
	if none.Top() != nil || !none.Eval(nil) {
		t.Error("a nil Condition reads nothing and is always met")
	}
}

// TestUnused checks Params.Unused after all of a request's expressions.
func TestUnused(t *testing.T) {
	vals := item(t, `{":a": {"S": "x"}, ":b": {"S": "y"}, ":c": {"S": "z"}}`)
	tests := []struct {
		names map[string]string
		parse func(*Params) error
		want  string
	}{
		{map[string]string{"#a": "a"}, func(p *Params) error {
			_, err := ParseCondition("ConditionExpression", "#a = :a AND b = :b AND c = :c", p)
			return err
		}, ""},
		{map[string]string{"#a": "a", "#z": "z", "#y": "y"}, func(p *Params) error {
			_, err := ParseCondition("ConditionExpression", "#a = :a AND b = :b AND c = :c", p)
			return err
		}, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#y, #z}"},
		{map[string]string{"#a": "a"}, func(p *Params) error {
			_, err := ParseUpdate("SET #a = :a", p)
			return err
		}, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b, :c}"},
		// Uses are shared by the expressions of one request.
		{map[string]string{"#a": "a", "#p": "p"}, func(p *Params) error {
			if _, err := ParseUpdate("SET #a = :a", p); err != nil {
				return err
			}
			if _, err := ParseCondition("ConditionExpression", "b = :b OR c = :c", p); err != nil {
				return err
			}
			_, err := ParseProjection("#p", p)
			return err
		}, ""},
	}
	for i, tc := range tests {
		p := NewParams(tc.names, vals)
		if err := tc.parse(p); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		err := p.Unused()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d: Unused = %v", i, err)
		case tc.want != "" && (err == nil || message(t, err) != tc.want):
			t.Errorf("%d: Unused = %v, want %q", i, err, tc.want)
		}
	}
	var none *Params
	if none.Unused() != nil {
		t.Error("nil Params have nothing unused")
	}
}
