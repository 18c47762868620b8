package expr

import (
	"encoding/json"
	"testing"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// parts renders key parts for comparison: name op values.
func parts(kps []KeyPart) string {
	var out []string
	for _, kp := range kps {
		b, _ := json.Marshal(kp.Values)
		out = append(out, kp.Name+" "+kp.Op+" "+string(b))
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func TestKeyCondition(t *testing.T) {
	names := map[string]string{"#pk": "pk", "#sk": "sk"}
	tests := []struct{ expr, want string }{
		{"pk = :s", `["pk = [{\"S\":\"hello\"}]"]`},
		{"#pk = :s", `["pk = [{\"S\":\"hello\"}]"]`},
		{"pk = :s AND sk < :n5", `["pk = [{\"S\":\"hello\"}]","sk \u003c [{\"N\":\"5\"}]"]`},
		{"pk = :s AND sk <= :n5", `["pk = [{\"S\":\"hello\"}]","sk \u003c= [{\"N\":\"5\"}]"]`},
		{"pk = :s AND sk > :n5", `["pk = [{\"S\":\"hello\"}]","sk \u003e [{\"N\":\"5\"}]"]`},
		{"pk = :s AND sk >= :n5", `["pk = [{\"S\":\"hello\"}]","sk \u003e= [{\"N\":\"5\"}]"]`},
		{"pk = :s AND sk BETWEEN :a AND :z", `["pk = [{\"S\":\"hello\"}]","sk BETWEEN [{\"S\":\"a\"},{\"S\":\"z\"}]"]`},
		{"pk = :s AND begins_with(sk, :h)", `["pk = [{\"S\":\"hello\"}]","sk BEGINS_WITH [{\"S\":\"hel\"}]"]`},
		// The value may come first; the comparator turns round.
		{":s = pk", `["pk = [{\"S\":\"hello\"}]"]`},
		{"#pk = :s AND :a <= #sk", `["pk = [{\"S\":\"hello\"}]","sk \u003e= [{\"S\":\"a\"}]"]`},
		{"pk = :s AND :a < sk", `["pk = [{\"S\":\"hello\"}]","sk \u003e [{\"S\":\"a\"}]"]`},
		{"pk = :s AND :a > sk", `["pk = [{\"S\":\"hello\"}]","sk \u003c [{\"S\":\"a\"}]"]`},
		{"pk = :s AND :a >= sk", `["pk = [{\"S\":\"hello\"}]","sk \u003c= [{\"S\":\"a\"}]"]`},
		// Either order; parentheses, even doubled.
		{"sk = :a AND pk = :s", `["sk = [{\"S\":\"a\"}]","pk = [{\"S\":\"hello\"}]"]`},
		{"(#pk = :s) AND (#sk = :a)", `["pk = [{\"S\":\"hello\"}]","sk = [{\"S\":\"a\"}]"]`},
		{"(#pk = :s AND #sk = :a)", `["pk = [{\"S\":\"hello\"}]","sk = [{\"S\":\"a\"}]"]`},
		{"((#pk = :s)) AND ((#sk = :a))", `["pk = [{\"S\":\"hello\"}]","sk = [{\"S\":\"a\"}]"]`},
		{"(pk) = :s", `["pk = [{\"S\":\"hello\"}]"]`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			p := params(t, names, "")
			got, err := ParseKeyCondition(tc.expr, p)
			if err != nil {
				t.Fatal(err)
			}
			if s := parts(got); s != tc.want {
				t.Errorf("got %s, want %s", s, tc.want)
			}
		})
	}
}

func TestKeyConditions(t *testing.T) {
	s := attr.Str("x")
	n := func(v string) attr.Value { return mustNum(t, v) }
	got, err := FromKeyConditions(map[string]LegacyCondition{
		"pk": {ComparisonOperator: "EQ", AttributeValueList: []attr.Value{s}},
		"sk": {ComparisonOperator: "BETWEEN", AttributeValueList: []attr.Value{n("1"), n("2")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s, want := parts(got), `["pk = [{\"S\":\"x\"}]","sk BETWEEN [{\"N\":\"1\"},{\"N\":\"2\"}]"]`; s != want {
		t.Errorf("got %s, want %s", s, want)
	}
	for op, want := range map[string]string{"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "BEGINS_WITH": "BEGINS_WITH"} {
		got, err := FromKeyConditions(map[string]LegacyCondition{"pk": {ComparisonOperator: op, AttributeValueList: []attr.Value{s}}})
		if err != nil || len(got) != 1 || got[0].Op != want {
			t.Errorf("%s: %v, %v; want op %s", op, got, err, want)
		}
	}
	three := map[string]LegacyCondition{}
	for _, k := range []string{"a", "b", "c"} {
		three[k] = LegacyCondition{ComparisonOperator: "EQ", AttributeValueList: []attr.Value{s}}
	}
	for name, tc := range map[string]struct {
		kc   map[string]LegacyCondition
		want string
	}{
		"none":         {map[string]LegacyCondition{}, "Conditions can be of length 1 or 2 only"},
		"three":        {three, "Conditions can be of length 1 or 2 only"},
		"not indexed":  {map[string]LegacyCondition{"pk": {ComparisonOperator: "NULL"}}, "Attempted conditional constraint is not an indexable operation"},
		"IN":           {map[string]LegacyCondition{"pk": {ComparisonOperator: "IN", AttributeValueList: []attr.Value{s}}}, "Attempted conditional constraint is not an indexable operation"},
		"arguments":    {map[string]LegacyCondition{"pk": {ComparisonOperator: "EQ"}}, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"},
		"between type": {map[string]LegacyCondition{"pk": {ComparisonOperator: "BETWEEN", AttributeValueList: []attr.Value{attr.Bool(true), attr.Bool(true)}}}, "One or more parameter values were invalid: ComparisonOperator BETWEEN is not valid for BOOL AttributeValue type"},
		"between order": {map[string]LegacyCondition{"pk": {ComparisonOperator: "BETWEEN", AttributeValueList: []attr.Value{attr.Str("b"), attr.Str("a")}}},
			"The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
		"operator": {map[string]LegacyCondition{"pk": {ComparisonOperator: "LIKE"}},
			"1 validation error detected: Value 'LIKE' at 'keyConditions.pk.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: " + operatorEnum},
		"no operator": {map[string]LegacyCondition{"pk": {}},
			"1 validation error detected: Value null at 'keyConditions.pk.member.comparisonOperator' failed to satisfy constraint: Member must not be null"},
	} {
		if _, err := FromKeyConditions(tc.kc); err == nil || message(t, err) != tc.want {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}
