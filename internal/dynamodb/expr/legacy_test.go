package expr

import (
	"testing"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// vals decodes a list of values in the wire form.
func vals(t testing.TB, js ...string) []attr.Value {
	t.Helper()
	var out []attr.Value
	for _, s := range js {
		it := item(t, `{"v": `+s+`}`)
		out = append(out, it["v"])
	}
	return out
}

func TestLegacyConditions(t *testing.T) {
	it := item(t, sample)
	tests := []struct {
		attr, op string
		args     []string
		want     bool
	}{
		{"s", "EQ", []string{`{"S":"hello"}`}, true},
		{"s", "EQ", []string{`{"N":"1"}`}, false},
		{"ss", "EQ", []string{`{"SS":["b","a"]}`}, true},
		{"l", "EQ", []string{`{"L":[{"S":"x"},{"N":"2"},{"M":{"k":{"S":"v"}}}]}`}, true},
		{"s", "NE", []string{`{"S":"hello"}`}, false},
		{"s", "NE", []string{`{"N":"1"}`}, true},
		{"absent", "NE", []string{`{"N":"1"}`}, true},
		{"n", "LT", []string{`{"N":"11"}`}, true},
		{"n", "LE", []string{`{"N":"10"}`}, true},
		{"n", "GT", []string{`{"N":"9"}`}, true},
		{"n", "GE", []string{`{"N":"11"}`}, false},
		{"n", "GT", []string{`{"S":"1"}`}, false},
		{"s", "NOT_NULL", nil, true},
		{"absent", "NOT_NULL", nil, false},
		{"absent", "NULL", nil, true},
		{"z", "NULL", nil, false}, // a NULL attribute exists
		{"s", "CONTAINS", []string{`{"S":"ell"}`}, true},
		{"ss", "CONTAINS", []string{`{"S":"a"}`}, true},
		{"ns", "CONTAINS", []string{`{"N":"2.5"}`}, true},
		{"l", "CONTAINS", []string{`{"S":"x"}`}, true},
		{"absent", "CONTAINS", []string{`{"S":"x"}`}, false},
		{"s", "NOT_CONTAINS", []string{`{"S":"xyz"}`}, true},
		{"s", "NOT_CONTAINS", []string{`{"S":"ell"}`}, false},
		{"b", "NOT_CONTAINS", []string{`{"S":"ell"}`}, true}, // another type contains nothing
		{"absent", "NOT_CONTAINS", []string{`{"S":"x"}`}, false},
		{"s", "BEGINS_WITH", []string{`{"S":"he"}`}, true},
		{"b", "BEGINS_WITH", []string{`{"B":"aGU="}`}, true},
		{"n", "IN", []string{`{"N":"1"}`, `{"N":"10"}`}, true},
		{"n", "IN", []string{`{"N":"1"}`}, false},
		{"n", "BETWEEN", []string{`{"N":"10"}`, `{"N":"20"}`}, true},
		{"s", "BETWEEN", []string{`{"S":"i"}`, `{"S":"z"}`}, false},
	}
	for _, tc := range tests {
		c, err := FromConditions("ScanFilter", map[string]LegacyCondition{tc.attr: {ComparisonOperator: tc.op, AttributeValueList: vals(t, tc.args...)}}, "")
		if err != nil {
			t.Fatalf("%s %s: %v", tc.attr, tc.op, err)
		}
		if got := c.Eval(it); got != tc.want {
			t.Errorf("%s %s %v = %v, want %v", tc.attr, tc.op, tc.args, got, tc.want)
		}
	}

	two := map[string]LegacyCondition{
		"s": {ComparisonOperator: "EQ", AttributeValueList: vals(t, `{"S":"hello"}`)},
		"n": {ComparisonOperator: "EQ", AttributeValueList: vals(t, `{"N":"1"}`)},
	}
	for op, want := range map[string]bool{"": false, "AND": false, "OR": true} {
		c, err := FromConditions("QueryFilter", two, op)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Eval(it); got != want {
			t.Errorf("ConditionalOperator %q = %v, want %v", op, got, want)
		}
	}
	if c, err := FromConditions("ScanFilter", map[string]LegacyCondition{}, ""); err != nil || !c.Eval(it) {
		t.Errorf("an empty filter passes everything: %v", err)
	}
}

func TestLegacyConditionMessages(t *testing.T) {
	const inv = "One or more parameter values were invalid: "
	tests := []struct {
		op   string
		args []string
		want string
	}{
		{"EQ", nil, inv + "Invalid number of argument(s) for the EQ ComparisonOperator"},
		{"EQ", []string{`{"S":"a"}`, `{"S":"a"}`}, inv + "Invalid number of argument(s) for the EQ ComparisonOperator"},
		{"NULL", []string{`{"S":"a"}`}, inv + "Invalid number of argument(s) for the NULL ComparisonOperator"},
		{"IN", nil, inv + "Invalid number of argument(s) for the IN ComparisonOperator"},
		{"BETWEEN", []string{`{"S":"a"}`}, inv + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"},
		{"IN", []string{`{"S":"b"}`, `{"N":"1"}`}, inv + "AttributeValues inside AttributeValueList must be of same type"},
		{"LT", []string{`{"BOOL":true}`}, inv + "ComparisonOperator LT is not valid for BOOL AttributeValue type"},
		{"GE", []string{`{"SS":["a"]}`}, inv + "ComparisonOperator GE is not valid for SS AttributeValue type"},
		{"IN", []string{`{"L":[]}`}, inv + "ComparisonOperator IN is not valid for L AttributeValue type"},
		{"CONTAINS", []string{`{"NS":["1"]}`}, inv + "ComparisonOperator CONTAINS is not valid for NS AttributeValue type"},
		{"NOT_CONTAINS", []string{`{"M":{}}`}, inv + "ComparisonOperator NOT_CONTAINS is not valid for M AttributeValue type"},
		{"BEGINS_WITH", []string{`{"N":"1"}`}, inv + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"},
		{"BETWEEN", []string{`{"NULL":true}`, `{"NULL":true}`}, inv + "ComparisonOperator BETWEEN is not valid for NULL AttributeValue type"},
		{"BETWEEN", []string{`{"S":"b"}`, `{"S":"a"}`}, "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
		{"LIKE", nil, "1 validation error detected: Value 'LIKE' at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: " + operatorEnum},
		{"", nil, "1 validation error detected: Value null at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null"},
	}
	for _, tc := range tests {
		_, err := FromConditions("ScanFilter", map[string]LegacyCondition{"a": {ComparisonOperator: tc.op, AttributeValueList: vals(t, tc.args...)}}, "")
		if err == nil || message(t, err) != tc.want {
			t.Errorf("%s %v: %v, want %q", tc.op, tc.args, err, tc.want)
		}
	}
	_, err := FromConditions("QueryFilter", map[string]LegacyCondition{"a": {ComparisonOperator: "NULL"}}, "XOR")
	if want := "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"; err == nil || message(t, err) != want {
		t.Errorf("ConditionalOperator XOR: %v, want %q", err, want)
	}
}

func TestExpected(t *testing.T) {
	yes, no := true, false
	v := func(js string) *attr.Value { x := vals(t, js)[0]; return &x }
	it := item(t, sample)
	for _, tc := range []struct {
		name string
		exp  Expected
		want bool
	}{
		{"value", Expected{Value: v(`{"S":"hello"}`)}, true},
		{"other value", Expected{Value: v(`{"S":"bye"}`)}, false},
		{"exists with value", Expected{Exists: &yes, Value: v(`{"S":"hello"}`)}, true},
		{"not exists", Expected{Exists: &no}, false},
		{"operator", Expected{ComparisonOperator: "BEGINS_WITH", AttributeValueList: vals(t, `{"S":"he"}`)}, true},
		{"operator with Value", Expected{ComparisonOperator: "NE", Value: v(`{"S":"bye"}`)}, true},
		{"operator without values", Expected{ComparisonOperator: "NOT_NULL"}, true},
		{"any type for EQ", Expected{ComparisonOperator: "EQ", Value: v(`{"BOOL":true}`)}, false},
	} {
		c, err := FromExpected(map[string]Expected{"s": tc.exp}, "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.Eval(it); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
	if c, err := FromExpected(map[string]Expected{"absent": {Exists: &no}}, ""); err != nil || !c.Eval(it) || !c.Eval(nil) {
		t.Errorf("Exists false of an absent attribute: %v", err)
	}
	both := map[string]Expected{"s": {Value: v(`{"S":"bye"}`)}, "n": {Value: v(`{"N":"10"}`)}}
	if c, err := FromExpected(both, "OR"); err != nil || !c.Eval(it) {
		t.Errorf("OR: %v", err)
	}
	if c, err := FromExpected(both, "AND"); err != nil || c.Eval(it) {
		t.Errorf("AND: %v", err)
	}

	const inv = "One or more parameter values were invalid: "
	for _, tc := range []struct {
		exp  Expected
		want string
	}{
		{Expected{Value: v(`{"S":"x"}`), AttributeValueList: vals(t, `{"S":"x"}`)}, inv + "Value and AttributeValueList cannot be used together for Attribute: a"},
		{Expected{ComparisonOperator: "EQ", Exists: &yes, Value: v(`{"S":"x"}`)}, inv + "Exists and ComparisonOperator cannot be used together for Attribute: a"},
		{Expected{ComparisonOperator: "EQ"}, inv + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"},
		{Expected{AttributeValueList: vals(t, `{"S":"x"}`)}, inv + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"},
		{Expected{}, inv + "Value must be provided when Exists is null for Attribute: a"},
		{Expected{Exists: &yes}, inv + "Value must be provided when Exists is true for Attribute: a"},
		{Expected{Exists: &no, Value: v(`{"S":"x"}`)}, inv + "Value cannot be used when Exists is false for Attribute: a"},
		{Expected{ComparisonOperator: "EQ", AttributeValueList: vals(t, `{"S":"x"}`, `{"S":"y"}`)}, inv + "Invalid number of argument(s) for the EQ ComparisonOperator"},
		{Expected{ComparisonOperator: "NOT_CONTAINS", AttributeValueList: vals(t, `{"L":[{"N":"1"}]}`)}, inv + "ComparisonOperator NOT_CONTAINS is not valid for L AttributeValue type"},
		{Expected{ComparisonOperator: "BEGINS_WITH", Value: v(`{"N":"3"}`)}, inv + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"},
		{Expected{ComparisonOperator: "BETWEEN", AttributeValueList: vals(t, `{"N":"4"}`, `{"N":"3"}`)}, "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
		{Expected{ComparisonOperator: "ABOUT", Value: v(`{"N":"3"}`)}, "1 validation error detected: Value 'ABOUT' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: " + operatorEnum},
	} {
		if _, err := FromExpected(map[string]Expected{"a": tc.exp}, ""); err == nil || message(t, err) != tc.want {
			t.Errorf("%+v: %v, want %q", tc.exp, err, tc.want)
		}
	}
}
