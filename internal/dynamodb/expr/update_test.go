package expr

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// same reports whether two items are equal as DynamoDB compares them.
func same(a, b attr.Item) bool { return attr.ItemsEqual(a, b) }

func show(it attr.Item) string {
	b, _ := json.Marshal(it)
	return string(b)
}

func TestUpdateApply(t *testing.T) {
	const base = `{
		"pk": {"S": "k"}, "s": {"S": "hello"}, "n": {"N": "10"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]},
		"l": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"k": {"S": "v"}}}]},
		"m": {"M": {"k": {"S": "v"}, "l": {"L": [{"N": "1"}]}, "box": {"M": {"solo": {"N": "1"}}}}}
	}`
	// with returns base with the given attributes replaced ("" removes one).
	with := func(changes map[string]string) string {
		it := item(t, base)
		for k, v := range changes {
			if v == "" {
				delete(it, k)
				continue
			}
			var val attr.Value
			if err := json.Unmarshal([]byte(v), &val); err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			it[k] = val
		}
		return show(it)
	}
	const (
		errNoAttr   = "The provided expression refers to an attribute that does not exist in the item"
		errType     = "An operand in the update expression has an incorrect data type"
		errPath     = "The document path provided in the update expression is invalid for update"
		errOverflow = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	)
	tests := []struct {
		name, expr, before, want, err string
	}{
		// SET and arithmetic.
		{"set new", "SET a = :s", base, with(map[string]string{"a": `{"S":"hello"}`}), ""},
		{"set replaces", "SET s = :one", base, with(map[string]string{"s": `{"N":"1"}`}), ""},
		{"set on a new item", "SET a = :s", `{"pk": {"S": "k"}}`, `{"pk": {"S": "k"}, "a": {"S": "hello"}}`, ""},
		{"plus", "SET n = n + :one", base, with(map[string]string{"n": `{"N":"11"}`}), ""},
		{"plus, value first", "SET n = :one + n", base, with(map[string]string{"n": `{"N":"11"}`}), ""},
		{"minus", "SET n = n - :n25", base, with(map[string]string{"n": `{"N":"7.5"}`}), ""},
		{"minus below zero", "SET n = :one - n", base, with(map[string]string{"n": `{"N":"-9"}`}), ""},
		{"plus of two paths", "SET x = n + m.l[0]", base, with(map[string]string{"x": `{"N":"11"}`}), ""},
		{"plus in parentheses", "SET x = (:one + :two)", base, with(map[string]string{"x": `{"N":"3"}`}), ""},
		{"plus of a string attribute", "SET n = s + :one", base, "", errType},
		{"plus of a missing attribute", "SET n = gone + :one", base, "", errNoAttr},
		{"the first operand is checked first", "SET n = s + gone", base, "", errType},
		{"plus overflows", "SET n = :big + :big", base, "", errOverflow},
		{"copy a missing attribute", "SET c = gone", base, "", errNoAttr},
		{"reads before writes", "SET x = :one, y = x", base, "", errNoAttr},
		{"swap", "SET s = n, n = s", base, with(map[string]string{"s": `{"N":"10"}`, "n": `{"S":"hello"}`}), ""},
		{"copy then remove", "REMOVE s SET c = s", base, with(map[string]string{"s": "", "c": `{"S":"hello"}`}), ""},
		// list_append, both orders, and if_not_exists.
		{"append", "SET l = list_append(l, :l2)", base, with(map[string]string{"l": `{"L":[{"S":"x"},{"N":"2"},{"M":{"k":{"S":"v"}}},{"S":"y"}]}`}), ""},
		{"prepend", "SET l = list_append(:l2, l)", base, with(map[string]string{"l": `{"L":[{"S":"y"},{"S":"x"},{"N":"2"},{"M":{"k":{"S":"v"}}}]}`}), ""},
		{"append to a new list", "SET a = list_append(if_not_exists(a, :empty), :l2)", base, with(map[string]string{"a": `{"L":[{"S":"y"}]}`}), ""},
		{"append to a string", "SET s = list_append(s, :l2)", base, "", errType},
		{"append a missing list", "SET a = list_append(gone, :l2)", base, "", errNoAttr},
		{"if_not_exists of an attribute there", "SET n = if_not_exists(n, :one)", base, base, ""},
		{"if_not_exists of one not there", "SET a = if_not_exists(a, :one)", base, with(map[string]string{"a": `{"N":"1"}`}), ""},
		{"if_not_exists copies", "SET a = if_not_exists(s, :one)", base, with(map[string]string{"a": `{"S":"hello"}`}), ""},
		{"if_not_exists of two missing", "SET a = if_not_exists(gone, gone2)", base, "", errNoAttr},
		{"if_not_exists plus", "SET a = if_not_exists(a, :one) + :two", base, with(map[string]string{"a": `{"N":"3"}`}), ""},
		// Nested paths.
		{"set in a map", "SET m.k = :x", base, with(map[string]string{"m": `{"M":{"k":{"S":"x"},"l":{"L":[{"N":"1"}]},"box":{"M":{"solo":{"N":"1"}}}}}`}), ""},
		{"add a key to a map", "SET m.fresh = :x", base, with(map[string]string{"m": `{"M":{"k":{"S":"v"},"fresh":{"S":"x"},"l":{"L":[{"N":"1"}]},"box":{"M":{"solo":{"N":"1"}}}}}`}), ""},
		{"set in a list in a map", "SET m.l[0] = :x", base, with(map[string]string{"m": `{"M":{"k":{"S":"v"},"l":{"L":[{"S":"x"}]},"box":{"M":{"solo":{"N":"1"}}}}}`}), ""},
		{"set in a map in a list", "SET l[2].k = :x", base, with(map[string]string{"l": `{"L":[{"S":"x"},{"N":"2"},{"M":{"k":{"S":"x"}}}]}`}), ""},
		{"index past the end appends", "SET l[10] = :x", base, with(map[string]string{"l": `{"L":[{"S":"x"},{"N":"2"},{"M":{"k":{"S":"v"}}},{"S":"x"}]}`}), ""},
		{"appends go by index", "SET l[84] = :one, l[37] = :two, l[50] = :three", base,
			with(map[string]string{"l": `{"L":[{"S":"x"},{"N":"2"},{"M":{"k":{"S":"v"}}},{"N":"2"},{"N":"3"},{"N":"1"}]}`}), ""},
		{"set in an empty list", "SET a[0] = :x", `{"a": {"L": []}}`, `{"a": {"L": [{"S": "x"}]}}`, ""},
		{"missing map on the way", "SET gone.k = :x", base, "", errPath},
		{"missing deeper map", "SET m.gone.k = :x", base, "", errPath},
		{"a key of a string", "SET s.k = :x", base, "", errPath},
		{"an index of a map", "SET m[0] = :x", base, "", errPath},
		{"an index of a string", "SET s[0] = :x", base, "", errPath},
		{"a key of a list", "SET l.k = :x", base, "", errPath},
		{"a missing element on the way", "SET l[7].k = :x", base, "", errPath},
		{"a nested path on no item", "SET c.c = :x", `{"pk": {"S": "k"}}`, "", errPath},
		// REMOVE.
		{"remove", "REMOVE s, n", base, with(map[string]string{"s": "", "n": ""}), ""},
		{"remove a missing attribute", "REMOVE gone", base, base, ""},
		{"remove from a map", "REMOVE m.k", base, with(map[string]string{"m": `{"M":{"l":{"L":[{"N":"1"}]},"box":{"M":{"solo":{"N":"1"}}}}}`}), ""},
		{"remove a map's only key", "REMOVE m.box.solo", base, with(map[string]string{"m": `{"M":{"k":{"S":"v"},"l":{"L":[{"N":"1"}]},"box":{"M":{}}}}`}), ""},
		{"remove shifts", "REMOVE l[0]", base, with(map[string]string{"l": `{"L":[{"N":"2"},{"M":{"k":{"S":"v"}}}]}`}), ""},
		{"remove two by their old indexes", "REMOVE l[0], l[1]", base, with(map[string]string{"l": `{"L":[{"M":{"k":{"S":"v"}}}]}`}), ""},
		{"remove two in any order", "REMOVE l[2], l[0]", base, with(map[string]string{"l": `{"L":[{"N":"2"}]}`}), ""},
		{"remove the only element", "REMOVE m.l[0]", base, with(map[string]string{"m": `{"M":{"k":{"S":"v"},"l":{"L":[]},"box":{"M":{"solo":{"N":"1"}}}}}`}), ""},
		{"remove past the end", "REMOVE l[17]", base, base, ""},
		{"remove then set by old index", "REMOVE a[1] SET a[3] = :n20", `{"a": {"L": [{"N":"2"},{"N":"3"},{"N":"4"},{"N":"5"},{"N":"6"},{"N":"7"}]}}`,
			`{"a": {"L": [{"N":"2"},{"N":"4"},{"N":"20"},{"N":"6"},{"N":"7"}]}}`, ""},
		{"set then remove by old index", "SET a[3] = :n20 REMOVE a[1]", `{"a": {"L": [{"N":"2"},{"N":"3"},{"N":"4"},{"N":"5"},{"N":"6"},{"N":"7"}]}}`,
			`{"a": {"L": [{"N":"2"},{"N":"4"},{"N":"20"},{"N":"6"},{"N":"7"}]}}`, ""},
		{"remove nested and sibling", "REMOVE a.c[1].x.y[1], a.c[1].q", `{"a": {"M": {"b": {"N": "3"}, "c": {"L": [{"S": "hi"}, {"M": {"x": {"M": {"y": {"L": [{"N": "3"}, {"N": "5"}, {"N": "7"}]}}}, "q": {"N": "2"}}}]}}}}`,
			`{"a": {"M": {"b": {"N": "3"}, "c": {"L": [{"S": "hi"}, {"M": {"x": {"M": {"y": {"L": [{"N": "3"}, {"N": "7"}]}}}}}]}}}}`, ""},
		{"remove below a missing map", "REMOVE gone.k", base, "", errPath},
		{"remove below a string", "REMOVE s.k", base, "", errPath},
		{"remove an index of a string", "REMOVE s[0]", base, "", errPath},
		// ADD.
		{"add to a number", "ADD n :one", base, with(map[string]string{"n": `{"N":"11"}`}), ""},
		{"add creates a number", "ADD a :n5", base, with(map[string]string{"a": `{"N":"5"}`}), ""},
		{"add to a set", "ADD ss :ssNew", base, with(map[string]string{"ss": `{"SS":["a","b","c"]}`}), ""},
		{"add numbers to a set", "ADD ns :nsTwo", base, with(map[string]string{"ns": `{"NS":["1","2.5","7"]}`}), ""},
		{"add creates a set", "ADD a :ssA", base, with(map[string]string{"a": `{"SS":["a"]}`}), ""},
		{"add in a map", "ADD m.c :one", base, with(map[string]string{"m": `{"M":{"k":{"S":"v"},"c":{"N":"1"},"l":{"L":[{"N":"1"}]},"box":{"M":{"solo":{"N":"1"}}}}}`}), ""},
		{"add a number to a string", "ADD s :one", base, "", errType},
		{"add numbers to strings", "ADD ss :nsOne", base, "", errType},
		{"add a set to a number", "ADD n :ssA", base, "", errType},
		{"add on a new item", "ADD c :one", `{"pk": {"S": "k"}}`, `{"pk": {"S": "k"}, "c": {"N": "1"}}`, ""},
		// DELETE.
		{"delete members", "DELETE ss :ssA", base, with(map[string]string{"ss": `{"SS":["b"]}`}), ""},
		{"delete numbers by value", "DELETE ns :nsTwo", base, with(map[string]string{"ns": `{"NS":["1"]}`}), ""},
		{"delete every member removes the set", "DELETE ss :ssAB", base, with(map[string]string{"ss": ""}), ""},
		{"delete a member not there", "DELETE ss :ssNew", base, with(map[string]string{"ss": `{"SS":["a"]}`}), ""},
		{"delete from a missing attribute", "DELETE gone :ssA", base, base, ""},
		{"delete from a string", "DELETE s :ssA", base, "", errType},
		{"delete strings from numbers", "DELETE ns :ssA", base, "", errType},
		// All four at once.
		{"every clause", "SET a = :s REMOVE s ADD n :one DELETE ss :ssA", base,
			with(map[string]string{"a": `{"S":"hello"}`, "s": "", "n": `{"N":"11"}`, "ss": `{"SS":["b"]}`}), ""},
	}
	vals := item(t, values)
	vals[":big"] = mustNum(t, "9E+125")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ParseUpdate(tc.expr, NewParams(nil, vals))
			if err != nil {
				t.Fatalf("ParseUpdate(%q): %v", tc.expr, err)
			}
			got, err := u.Apply(item(t, tc.before))
			if tc.err != "" {
				if err == nil || message(t, err) != tc.err {
					t.Fatalf("Apply = %s, %v; want error %q", show(got), err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if want := item(t, tc.want); !same(got, want) {
				t.Errorf("Apply\n got %s\nwant %s", show(got), show(want))
			}
		})
	}
}

func mustNum(t testing.TB, s string) attr.Value {
	t.Helper()
	v, err := attr.Num(s)
	if err != nil {
		t.Fatalf("Num(%s): %v", s, err)
	}
	return v
}

// TestUpdateSharesNothing checks that Apply leaves values it copied from the
// item before (and the operands) untouched: the caller may keep the old item.
func TestUpdateSharesNothing(t *testing.T) {
	old := item(t, `{"m": {"M": {"l": {"L": [{"N": "1"}, {"N": "2"}]}, "k": {"S": "v"}}}, "ss": {"SS": ["a", "b"]}}`)
	keep := old.Clone()
	u, err := ParseUpdate("SET m.l[0] = :x, m.n = :one REMOVE m.k ADD ss :ssNew", params(t, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	// A shallow copy, as a caller that cloned only the top level would pass.
	next := attr.Item{}
	for k, v := range old {
		next[k] = v
	}
	if _, err := u.Apply(next); err != nil {
		t.Fatal(err)
	}
	if !same(old, keep) {
		t.Errorf("the old item changed: %s", show(old))
	}
}

func TestUpdateTopAndUpdated(t *testing.T) {
	u, err := ParseUpdate("SET a.b = :s, c = :one REMOVE d ADD a.n :one", params(t, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Top(), []string{"a", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("Top = %v, want %v", got, want)
	}
	old := item(t, `{"a": {"M": {"b": {"S": "x"}, "other": {"S": "y"}}}, "d": {"N": "4"}, "e": {"N": "5"}}`)
	if got, want := u.Updated(old), item(t, `{"a": {"M": {"b": {"S": "x"}}}, "d": {"N": "4"}}`); !same(got, want) {
		t.Errorf("Updated(old) = %s, want %s", show(got), show(want))
	}
	next, err := u.Apply(old.Clone())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Updated(next), item(t, `{"a": {"M": {"b": {"S": "hello"}, "n": {"N": "1"}}}, "c": {"N": "1"}}`); !same(got, want) {
		t.Errorf("Updated(new) = %s, want %s", show(got), show(want))
	}
	if got := u.Updated(item(t, `{"z": {"N": "1"}}`)); got != nil {
		t.Errorf("Updated of an item with none of the paths = %s, want nil", show(got))
	}
}

func TestAttributeUpdates(t *testing.T) {
	v := func(js string) *attr.Value {
		var val attr.Value
		if err := json.Unmarshal([]byte(js), &val); err != nil {
			t.Fatal(err)
		}
		return &val
	}
	before := `{"pk": {"S": "k"}, "n": {"N": "1"}, "ss": {"SS": ["a"]}, "l": {"L": [{"S": "x"}]}, "s": {"S": "v"}}`
	tests := []struct {
		name string
		au   map[string]AttributeUpdate
		want string // the item after, or the error message
	}{
		{"put", map[string]AttributeUpdate{"s": {Value: v(`{"N":"2"}`)}, "t": {Action: "PUT", Value: v(`{"S":"t"}`)}},
			`{"pk": {"S": "k"}, "n": {"N": "1"}, "ss": {"SS": ["a"]}, "l": {"L": [{"S": "x"}]}, "s": {"N": "2"}, "t": {"S": "t"}}`},
		{"add", map[string]AttributeUpdate{"n": {Action: "ADD", Value: v(`{"N":"2"}`)}, "ss": {Action: "ADD", Value: v(`{"SS":["b"]}`)},
			"l": {Action: "ADD", Value: v(`{"L":[{"S":"y"}]}`)}, "new": {Action: "ADD", Value: v(`{"N":"5"}`)}},
			`{"pk": {"S": "k"}, "n": {"N": "3"}, "ss": {"SS": ["a", "b"]}, "l": {"L": [{"S": "x"}, {"S": "y"}]}, "s": {"S": "v"}, "new": {"N": "5"}}`},
		{"delete", map[string]AttributeUpdate{"s": {Action: "DELETE"}, "ss": {Action: "DELETE", Value: v(`{"SS":["a"]}`)}, "gone": {Action: "DELETE"}},
			`{"pk": {"S": "k"}, "n": {"N": "1"}, "l": {"L": [{"S": "x"}]}}`},
		{"no value", map[string]AttributeUpdate{"s": {}}, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"},
		{"add no value", map[string]AttributeUpdate{"s": {Action: "ADD"}}, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"},
		{"add a string", map[string]AttributeUpdate{"s": {Action: "ADD", Value: v(`{"S":"x"}`)}}, "One or more parameter values were invalid: Action ADD is not supported for the type S"},
		{"add a binary", map[string]AttributeUpdate{"s": {Action: "ADD", Value: v(`{"B":"Yg=="}`)}}, "One or more parameter values were invalid: Action ADD is not supported for the type B"},
		{"delete a number", map[string]AttributeUpdate{"s": {Action: "DELETE", Value: v(`{"N":"1"}`)}}, "One or more parameter values were invalid: Action DELETE is not supported for the type N"},
		{"an unknown action", map[string]AttributeUpdate{"s": {Action: "MERGE", Value: v(`{"N":"1"}`)}},
			"1 validation error detected: Value 'MERGE' at 'attributeUpdates.s.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"},
		{"add numbers to strings", map[string]AttributeUpdate{"ss": {Action: "ADD", Value: v(`{"NS":["2"]}`)}}, "Type mismatch for attribute to update"},
		{"add a number to a set", map[string]AttributeUpdate{"ss": {Action: "ADD", Value: v(`{"N":"2"}`)}}, "Type mismatch for attribute to update"},
		{"delete from a number", map[string]AttributeUpdate{"n": {Action: "DELETE", Value: v(`{"NS":["1"]}`)}}, "Type mismatch for attribute to update"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := FromAttributeUpdates(tc.au)
			if err == nil {
				var got attr.Item
				if got, err = u.Apply(item(t, before)); err == nil {
					if want := item(t, tc.want); !same(got, want) {
						t.Errorf("got %s, want %s", show(got), show(want))
					}
					return
				}
			}
			if got := message(t, err); got != tc.want {
				t.Errorf("error %q, want %q", got, tc.want)
			}
		})
	}
}
