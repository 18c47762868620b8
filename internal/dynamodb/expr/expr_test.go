package expr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// item decodes an item from DynamoDB's JSON.
func item(t testing.TB, s string) attr.Item {
	t.Helper()
	var it attr.Item
	if err := json.Unmarshal([]byte(s), &it); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return it
}

func show(it attr.Item) string {
	b, _ := json.Marshal(it)
	return string(b)
}

const doc = `{"id":{"S":"a"},"n":{"N":"5"},"s":{"S":"hello"},"b":{"B":"AQID"},"t":{"BOOL":true},"z":{"NULL":true},
"ss":{"SS":["x","y"]},"ns":{"NS":["1","2"]},"l":{"L":[{"S":"p"},{"N":"7"},{"M":{"q":{"S":"r"}}}]},
"m":{"M":{"k":{"S":"v"},"deep":{"M":{"x":{"N":"1"}}}}}}`

var values = `{":five":{"N":"5"},":six":{"N":"6.0"},":hel":{"S":"hel"},":hello":{"S":"hello"},":x":{"S":"x"},":S":{"S":"S"},
":one":{"N":"1"},":seven":{"N":"7"},":r":{"S":"r"},":bin":{"B":"AQ=="},":true":{"BOOL":true},":list":{"L":[{"S":"p"}]},
":ss":{"SS":["x","y"]},":y":{"S":"y"},":w":{"S":"w"},":N":{"S":"N"},":bogus":{"S":"STRING"}}`

func params(t testing.TB, names map[string]string) *Params {
	return NewParams(names, item(t, values))
}

func TestConditionEval(t *testing.T) {
	it := item(t, doc)
	for src, want := range map[string]bool{
		"n = :five":                              true,
		"n < :six":                               true,
		"n <> :five":                             false,
		"n > :five":                              false,
		"n >= :five AND n <= :five":              true,
		"n BETWEEN :one AND :six":                true,
		"n BETWEEN :six AND :six":                false,
		"n IN (:one, :five)":                     true,
		"s IN (:hel, :x)":                        false,
		"s > :hel":                               true,
		"s < :five":                              false, // different kinds never order
		"s <> :five":                             true,
		"nope <> :five":                          true,
		"nope = :five":                           false,
		"nope < :five":                           false,
		"begins_with(s, :hel)":                   true,
		"begins_with(b, :bin)":                   true,
		"begins_with(n, :hel)":                   false,
		"contains(s, :hel)":                      true,
		"contains(ss, :x)":                       true,
		"contains(ss, :w)":                       false,
		"contains(ns, :one)":                     true,
		"contains(l, :seven)":                    true,
		"attribute_exists(m.deep.x)":             true,
		"attribute_exists(m.deep.y)":             false,
		"attribute_not_exists(l[5])":             true,
		"attribute_exists(l[2].q)":               true,
		"l[2].q = :r":                            true,
		"attribute_type(s, :S)":                  true,
		"attribute_type(n, :N)":                  true,
		"attribute_type(s, :N)":                  false,
		"size(s) = :five":                        true,
		"size(ss) < :five":                       true,
		"size(l) > size(ss)":                     true,
		"size(n) = :one":                         false,
		"t = :true":                              true,
		"ss = :ss":                               true,
		"NOT n = :five":                          false,
		"n = :one OR s = :hello":                 true,
		"n = :one OR s = :hel AND t = :true":     false,
		"(n = :one OR s = :hello) AND t = :true": true,
		"NOT (n = :one OR s = :hel)":             true,
		"#n = :five":                             true,
		"l[0] IN (:list, :x)":                    false,
	} {
		c, err := ParseCondition("ConditionExpression", src, params(t, map[string]string{"#n": "n"}))
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := c.Eval(it); got != want {
			t.Errorf("%s = %v, want %v", src, got, want)
		}
	}
	c, _ := ParseCondition("ConditionExpression", "attribute_not_exists(id)", nil)
	if !c.Eval(nil) {
		t.Error("attribute_not_exists on no item")
	}
}

func wantError(t *testing.T, what string, err error, msg string) {
	t.Helper()
	var ae *awsproto.Error
	if !errors.As(err, &ae) || ae.Code != "ValidationException" || ae.Message != msg {
		t.Errorf("%s: %v\n  want %q", what, err, msg)
	}
}

func TestConditionErrors(t *testing.T) {
	names := map[string]string{"#n": "n"}
	for src, msg := range map[string]string{
		"":                          "Invalid ConditionExpression: The expression can not be empty;",
		"a = ":                      `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="`,
		"a == :five":                `Invalid ConditionExpression: Syntax error; token: "=", near: "== :five"`,
		"a = :five extra":           `Invalid ConditionExpression: Syntax error; token: "extra", near: ":five extra"`,
		"status = :five":            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status",
		"#x = :five":                "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x",
		"a = :nope":                 "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope",
		"begins_with(a)":            "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1",
		"foo(a)":                    "Invalid ConditionExpression: Invalid function name; function: foo",
		"begins_with(a, :five)":     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
		"attribute_exists(:five)":   "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists",
		"attribute_type(a, :bogus)": "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
		"a BETWEEN :six AND :five":  "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:6}, upper bound operand: AttributeValue: {N:5}",
		"a BETWEEN :five AND :x":    "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:x}",
		"a = a":                     "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]",
		"size(a)":                   "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size",
		"a = attribute_exists(b)":   "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists",
		"((a = :five))":             "Invalid ConditionExpression: The expression has redundant parentheses;",
		"a IN (" + strings.Repeat(":five, ", 100) + ":five)": "Invalid ConditionExpression: The expression contains too many operands for the IN operator; operator: IN, number of operands: 101",
		"a.b[x] = :five": `Invalid ConditionExpression: Syntax error; token: "x", near: "[x]"`,
		"status = :nope": "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status",
	} {
		_, err := ParseCondition("ConditionExpression", src, params(t, names))
		wantError(t, src, err, msg)
	}
	_, err := ParseCondition("FilterExpression", strings.Repeat("a", 4097), nil)
	wantError(t, "size", err, "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4097")
}

func TestParams(t *testing.T) {
	p := NewParams(map[string]string{"#a": "a", "#b": "b"}, item(t, `{":v":{"S":"x"},":w":{"S":"y"}}`))
	if _, err := ParseCondition("ConditionExpression", "#a = :v", p); err != nil {
		t.Fatal(err)
	}
	wantError(t, "unused names", p.Unused(), "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}")
	p = NewParams(nil, item(t, `{":v":{"S":"x"},":w":{"S":"y"}}`))
	ParseCondition("ConditionExpression", "a = :v", p) //nolint:errcheck
	wantError(t, "unused values", p.Unused(), "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}")
	_, err := ParseCondition("ConditionExpression", "a = :v", NewParams(map[string]string{}, nil))
	wantError(t, "empty names", err, "ExpressionAttributeNames must not be empty")
	_, err = ParseCondition("ConditionExpression", "a = :v", NewParams(map[string]string{"a": "b"}, nil))
	wantError(t, "bad key", err, `ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`)
}

func TestUpdate(t *testing.T) {
	names := map[string]string{"#n": "n"}
	for _, tc := range []struct{ src, vals, in, want string }{
		{"SET n = n + :v", `{":v":{"N":"1.5"}}`, `{"n":{"N":"1"}}`, `{"n":{"N":"2.5"}}`},
		{"SET n = :v - n", `{":v":{"N":"1"}}`, `{"n":{"N":"3"}}`, `{"n":{"N":"-2"}}`},
		{"SET a = b, b = a", `null`, `{"a":{"S":"x"},"b":{"S":"y"}}`, `{"a":{"S":"y"},"b":{"S":"x"}}`},
		{"SET l = list_append(l, :v)", `{":v":{"L":[{"S":"z"}]}}`, `{"l":{"L":[{"S":"a"}]}}`, `{"l":{"L":[{"S":"a"},{"S":"z"}]}}`},
		{"SET l = list_append(:v, l)", `{":v":{"L":[{"S":"z"}]}}`, `{"l":{"L":[{"S":"a"}]}}`, `{"l":{"L":[{"S":"z"},{"S":"a"}]}}`},
		{"SET c = if_not_exists(c, :v)", `{":v":{"N":"0"}}`, `{}`, `{"c":{"N":"0"}}`},
		{"SET c = if_not_exists(c, :v)", `{":v":{"N":"0"}}`, `{"c":{"N":"9"}}`, `{"c":{"N":"9"}}`},
		{"SET c = if_not_exists(c, :z) + :v", `{":v":{"N":"1"},":z":{"N":"0"}}`, `{}`, `{"c":{"N":"1"}}`},
		{"SET m.a.b = :v", `{":v":{"S":"x"}}`, `{"m":{"M":{"a":{"M":{}}}}}`, `{"m":{"M":{"a":{"M":{"b":{"S":"x"}}}}}}`},
		{"SET l[1] = :v", `{":v":{"S":"x"}}`, `{"l":{"L":[{"S":"a"},{"S":"b"}]}}`, `{"l":{"L":[{"S":"a"},{"S":"x"}]}}`},
		{"SET l[9] = :v", `{":v":{"S":"x"}}`, `{"l":{"L":[{"S":"a"}]}}`, `{"l":{"L":[{"S":"a"},{"S":"x"}]}}`},
		{"REMOVE l[0], l[2]", `null`, `{"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]}}`, `{"l":{"L":[{"S":"b"},{"S":"d"}]}}`},
		{"REMOVE a, m.x", `null`, `{"a":{"S":"x"},"m":{"M":{"x":{"S":"y"},"k":{"S":"z"}}}}`, `{"m":{"M":{"k":{"S":"z"}}}}`},
		{"REMOVE nope", `null`, `{"a":{"S":"x"}}`, `{"a":{"S":"x"}}`},
		{"ADD #n :v", `{":v":{"N":"2"}}`, `{"n":{"N":"3"}}`, `{"n":{"N":"5"}}`},
		{"ADD #n :v", `{":v":{"N":"2"}}`, `{}`, `{"n":{"N":"2"}}`},
		{"ADD s :v", `{":v":{"SS":["b","c"]}}`, `{"s":{"SS":["a","b"]}}`, `{"s":{"SS":["a","b","c"]}}`},
		{"ADD s :v", `{":v":{"NS":["1"]}}`, `{}`, `{"s":{"NS":["1"]}}`},
		{"DELETE s :v", `{":v":{"SS":["a"]}}`, `{"s":{"SS":["a","b"]}}`, `{"s":{"SS":["b"]}}`},
		{"DELETE s :v", `{":v":{"SS":["a","b"]}}`, `{"s":{"SS":["a","b"]}}`, `{}`},
		{"DELETE s :v", `{":v":{"NS":["1.0"]}}`, `{"s":{"NS":["1","2"]}}`, `{"s":{"NS":["2"]}}`},
		{"DELETE s :v", `{":v":{"SS":["a"]}}`, `{}`, `{}`},
		{"set a = :v remove b add c :n", `{":v":{"S":"x"},":n":{"N":"1"}}`, `{"b":{"S":"y"}}`, `{"a":{"S":"x"},"c":{"N":"1"}}`},
	} {
		var vals attr.Item
		json.Unmarshal([]byte(tc.vals), &vals) //nolint:errcheck
		u, err := ParseUpdate(tc.src, NewParams(names, vals))
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		in := item(t, tc.in)
		before := show(in)
		shared := in.Clone()
		got, err := u.Apply(shared)
		if err != nil {
			t.Errorf("%s on %s: %v", tc.src, tc.in, err)
			continue
		}
		if !attr.ItemsEqual(got, item(t, tc.want)) {
			t.Errorf("%s on %s = %s, want %s", tc.src, tc.in, show(got), tc.want)
		}
		if show(in) != before {
			t.Errorf("%s changed the item it was given a copy of", tc.src)
		}
	}
}

func TestUpdateRuntimeErrors(t *testing.T) {
	for _, tc := range []struct{ src, vals, in, msg string }{
		{"SET a = b", `null`, `{}`, "The provided expression refers to an attribute that does not exist in the item"},
		{"SET a = b + :v", `{":v":{"N":"1"}}`, `{"b":{"S":"x"}}`, "An operand in the update expression has an incorrect data type"},
		{"SET a = list_append(b, :v)", `{":v":{"L":[]}}`, `{"b":{"S":"x"}}`, "An operand in the update expression has an incorrect data type"},
		{"SET a.b = :v", `{":v":{"N":"1"}}`, `{}`, "The document path provided in the update expression is invalid for update"},
		{"SET a[0] = :v", `{":v":{"N":"1"}}`, `{"a":{"M":{}}}`, "The document path provided in the update expression is invalid for update"},
		{"ADD a :v", `{":v":{"N":"1"}}`, `{"a":{"S":"x"}}`, "An operand in the update expression has an incorrect data type"},
		{"DELETE a :v", `{":v":{"SS":["x"]}}`, `{"a":{"NS":["1"]}}`, "An operand in the update expression has an incorrect data type"},
		{"SET a = a + :v", `{":v":{"N":"1e125"}}`, `{"a":{"N":"9e125"}}`, "Number overflow. Attempting to store a number with magnitude larger than supported range"},
	} {
		var vals attr.Item
		json.Unmarshal([]byte(tc.vals), &vals) //nolint:errcheck
		u, err := ParseUpdate(tc.src, NewParams(nil, vals))
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		_, err = u.Apply(item(t, tc.in))
		wantError(t, tc.src+" on "+tc.in, err, tc.msg)
	}
}

func TestUpdateErrors(t *testing.T) {
	vals := `{":v":{"N":"1"},":s":{"S":"x"},":l":{"L":[]}}`
	for src, msg := range map[string]string{
		"SET a = :v SET b = :v":         `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`,
		"SET a = :v, a = :v":            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]",
		"SET a.b = :v REMOVE a":         "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]",
		"SET a[1] = :v REMOVE a.b":      "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]",
		"ADD a :s":                      "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING",
		"DELETE a :v":                   "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER",
		"SET a = :s + :v":               "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S",
		"SET a = list_append(:v, :l)":   "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: N",
		"SET a = if_not_exists(:v, :v)": "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists",
		"SET a = foo(b)":                "Invalid UpdateExpression: Invalid function name; function: foo",
		"SET a = :nope":                 "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope",
		"SET a :v":                      `Invalid UpdateExpression: Syntax error; token: ":v", near: "a :v"`,
		"PUT a = :v":                    `Invalid UpdateExpression: Syntax error; token: "PUT", near: "PUT a"`,
		"SET name = :v":                 "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name",
		"REMOVE":                        `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "REMOVE"`,
	} {
		var v attr.Item
		json.Unmarshal([]byte(vals), &v) //nolint:errcheck
		_, err := ParseUpdate(src, NewParams(nil, v))
		wantError(t, src, err, msg)
	}
}

func TestUpdatedAndTop(t *testing.T) {
	var vals attr.Item
	json.Unmarshal([]byte(`{":v":{"N":"1"}}`), &vals) //nolint:errcheck
	u, err := ParseUpdate("SET m.a = :v, c = :v REMOVE gone", NewParams(nil, vals))
	if err != nil {
		t.Fatal(err)
	}
	it := item(t, `{"m":{"M":{"a":{"N":"0"},"b":{"N":"2"}}},"c":{"N":"3"},"gone":{"S":"x"},"other":{"S":"y"}}`)
	if got := show(u.Updated(it)); got != `{"c":{"N":"3"},"gone":{"S":"x"},"m":{"M":{"a":{"N":"0"}}}}` {
		t.Errorf("Updated = %s", got)
	}
	if got := u.Top(); strings.Join(got, ",") != "m,c,gone" {
		t.Errorf("Top = %v", got)
	}
}

func TestProjection(t *testing.T) {
	it := item(t, doc)
	for src, want := range map[string]string{
		"id, n":         `{"id":{"S":"a"},"n":{"N":"5"}}`,
		"m.deep.x, m.k": `{"m":{"M":{"deep":{"M":{"x":{"N":"1"}}},"k":{"S":"v"}}}}`,
		"l[2].q, l[0]":  `{"l":{"L":[{"S":"p"},{"M":{"q":{"S":"r"}}}]}}`,
		"l[9], nope":    `{}`,
		"#s":            `{"s":{"S":"hello"}}`,
	} {
		pr, err := ParseProjection(src, params(t, map[string]string{"#s": "s"}))
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := show(pr.Apply(it)); got != want {
			t.Errorf("%s = %s, want %s", src, got, want)
		}
	}
	_, err := ParseProjection("a, a.b", nil)
	wantError(t, "overlap", err, "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]")
	_, err = ParseProjection("a, size", nil)
	wantError(t, "reserved", err, "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: size")
	pr, _ := FromAttributesToGet([]string{"size", "n"})
	if got := show(pr.Apply(it)); got != `{"n":{"N":"5"}}` {
		t.Errorf("AttributesToGet = %s", got)
	}
}

func TestKeyCondition(t *testing.T) {
	ps := params(t, map[string]string{"#k": "sk"})
	parts, err := ParseKeyCondition("id = :x AND #k BETWEEN :one AND :five", ps)
	if err != nil || len(parts) != 2 || parts[0].Name != "id" || parts[0].Op != "=" || parts[1].Name != "sk" || parts[1].Op != "BETWEEN" || len(parts[1].Values) != 2 {
		t.Errorf("parts = %+v, %v", parts, err)
	}
	parts, err = ParseKeyCondition("begins_with(sk, :hel) AND id = :x", params(t, nil))
	if err != nil || len(parts) != 2 || parts[0].Op != "BEGINS_WITH" {
		t.Errorf("begins_with: %+v %v", parts, err)
	}
	for src, msg := range map[string]string{
		"id = :x OR sk = :x":           "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR",
		"id <> :x":                     "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>",
		"contains(id, :x)":             "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: contains",
		"id = :x AND id = :x":          "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
		"a = :x AND b = :x AND c = :x": "Invalid KeyConditionExpression: The expression has too many key conditions",
		"a.b = :x":                     "Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested attributes; attribute: [a, b]",
	} {
		_, err := ParseKeyCondition(src, params(t, nil))
		wantError(t, src, err, msg)
	}
}

func TestLegacy(t *testing.T) {
	it := item(t, doc)
	v := func(s string) attr.Value { return item(t, `{"v":`+s+`}`)["v"] }
	c, err := FromConditions("ScanFilter", map[string]LegacyCondition{
		"n": {ComparisonOperator: "GT", AttributeValueList: []attr.Value{v(`{"N":"4"}`)}},
		"s": {ComparisonOperator: "BEGINS_WITH", AttributeValueList: []attr.Value{v(`{"S":"he"}`)}},
	}, "")
	if err != nil || !c.Eval(it) {
		t.Errorf("FromConditions: %v", err)
	}
	c, _ = FromConditions("ScanFilter", map[string]LegacyCondition{
		"n":  {ComparisonOperator: "LT", AttributeValueList: []attr.Value{v(`{"N":"4"}`)}},
		"zz": {ComparisonOperator: "NULL"},
	}, "OR")
	if !c.Eval(it) {
		t.Error("OR of a false and a true")
	}
	_, err = FromConditions("ScanFilter", map[string]LegacyCondition{"n": {ComparisonOperator: "EQ"}}, "")
	wantError(t, "EQ without values", err, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator")
	_, err = FromConditions("ScanFilter", map[string]LegacyCondition{"n": {ComparisonOperator: "LT", AttributeValueList: []attr.Value{v(`{"SS":["a"]}`)}}}, "")
	wantError(t, "LT on a set", err, "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type")

	f := false
	c, err = FromExpected(map[string]Expected{"missing": {Exists: &f}, "n": {Value: &attr.Value{Kind: attr.N, N: "5"}}}, "")
	if err != nil || !c.Eval(it) {
		t.Errorf("FromExpected: %v", err)
	}
	_, err = FromExpected(map[string]Expected{"n": {}}, "")
	wantError(t, "Expected without value", err, "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: n")

	u, err := FromAttributeUpdates(map[string]AttributeUpdate{
		"n":  {Action: "ADD", Value: &attr.Value{Kind: attr.N, N: "1"}},
		"s":  {Action: "DELETE"},
		"ss": {Action: "DELETE", Value: &attr.Value{Kind: attr.SS, Set: []string{"x"}}},
		"nw": {Value: &attr.Value{Kind: attr.S, Str: "new"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := u.Apply(it.Clone())
	if err != nil || got["n"].N != "6" || got["s"].Kind != attr.Invalid || len(got["ss"].Set) != 1 || got["nw"].Str != "new" {
		t.Errorf("AttributeUpdates: %s %v", show(got), err)
	}
	parts, err := FromKeyConditions(map[string]LegacyCondition{"id": {ComparisonOperator: "EQ", AttributeValueList: []attr.Value{v(`{"S":"a"}`)}}})
	if err != nil || len(parts) != 1 || parts[0].Op != "=" {
		t.Errorf("FromKeyConditions: %+v %v", parts, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a = :v", "SET a = a + :v REMOVE b[1]", "a.b[2], #n", "begins_with(a, :v) AND NOT (b IN (:v, :v) OR size(c) > :v)",
		"id = :v AND sk BETWEEN :v AND :v", "((a = :v))", "ADD s :v DELETE t :v", "SET a = list_append(if_not_exists(a, :v), :v)"} {
		f.Add(s)
	}
	vals := attr.Item{":v": attr.Value{Kind: attr.N, N: "1"}}
	f.Fuzz(func(t *testing.T, src string) {
		names := map[string]string{"#n": "n"}
		if c, err := ParseCondition("ConditionExpression", src, NewParams(names, vals)); err == nil {
			c.Eval(attr.Item{"a": attr.Str("x")})
			c.Top()
		}
		if u, err := ParseUpdate(src, NewParams(names, vals)); err == nil {
			u.Apply(attr.Item{"a": attr.Value{Kind: attr.L, List: []attr.Value{attr.Str("x")}}}) //nolint:errcheck
			u.Updated(attr.Item{"a": attr.Str("x")})
		}
		if pr, err := ParseProjection(src, NewParams(names, vals)); err == nil {
			pr.Apply(attr.Item{"a": attr.Str("x")})
		}
		ParseKeyCondition(src, NewParams(names, vals)) //nolint:errcheck
	})
}
