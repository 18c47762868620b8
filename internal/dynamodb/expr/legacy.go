package expr

import (
	"slices"
	"strings"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// The legacy conditional parameters (Expected, KeyConditions, QueryFilter,
// ScanFilter), as DynamoDB still accepts them, become conditions and key
// parts like the expressions' own. Their messages follow dynalite's tests
// and ScyllaDB Alternator's, both written against AWS.

// LegacyCondition is one entry of KeyConditions, QueryFilter or ScanFilter.
type LegacyCondition struct {
	AttributeValueList []attr.Value `json:"AttributeValueList"`
	ComparisonOperator string       `json:"ComparisonOperator"`
}

// Expected is one entry of Expected.
type Expected struct {
	Value              *attr.Value  `json:"Value"`
	Exists             *bool        `json:"Exists"`
	ComparisonOperator string       `json:"ComparisonOperator"`
	AttributeValueList []attr.Value `json:"AttributeValueList"`
}

// AttributeUpdate is one entry of AttributeUpdates.
type AttributeUpdate struct {
	Value  *attr.Value `json:"Value"`
	Action string      `json:"Action"` // PUT (default), ADD, DELETE
}

// legacyArgs is how many values each operator takes (-1: one or more).
var legacyArgs = map[string]int{
	"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "CONTAINS": 1, "NOT_CONTAINS": 1,
	"BEGINS_WITH": 1, "NULL": 0, "NOT_NULL": 0, "IN": -1, "BETWEEN": 2,
}

// legacyTypes are the value kinds each operator accepts; EQ and NE accept
// every kind ("EQ is supported for all data types, including lists and
// maps", says the API reference).
var legacyTypes = map[string][]attr.Kind{
	"LE": {attr.S, attr.N, attr.B}, "LT": {attr.S, attr.N, attr.B}, "GE": {attr.S, attr.N, attr.B}, "GT": {attr.S, attr.N, attr.B},
	"CONTAINS": {attr.S, attr.N, attr.B}, "NOT_CONTAINS": {attr.S, attr.N, attr.B}, "BEGINS_WITH": {attr.S, attr.B},
	"IN": {attr.S, attr.N, attr.B}, "BETWEEN": {attr.S, attr.N, attr.B},
}

// legacyOps names a key part's operator as the legacy parameters do.
var legacyOps = map[string]string{"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE", "BETWEEN": "BETWEEN", "BEGINS_WITH": "BEGINS_WITH"}

const operatorEnum = "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"

func invalidParam(msg string) error {
	return validation("One or more parameter values were invalid: " + msg)
}

// checkOperator refuses an unknown ComparisonOperator of the entry name of
// parameter param, as DynamoDB's request validation does.
func checkOperator(param, name, op string) error {
	field := strings.ToLower(param[:1]) + param[1:] + "." + name + ".member.comparisonOperator"
	if op == "" {
		return validation("1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null")
	}
	if _, ok := legacyArgs[op]; !ok {
		return validation("1 validation error detected: Value '" + op + "' at '" + field + "' failed to satisfy constraint: Member must satisfy enum value set: " + operatorEnum)
	}
	return nil
}

// checkLegacy checks the values of one legacy condition: their number, that
// they are of one type, and (checkTypes) that op takes that type.
func checkLegacy(op string, vals []attr.Value, checkTypes bool) error {
	n := legacyArgs[op]
	if n >= 0 && len(vals) != n || n < 0 && len(vals) == 0 {
		return invalidParam("Invalid number of argument(s) for the " + op + " ComparisonOperator")
	}
	for _, v := range vals[min(1, len(vals)):] {
		if v.Kind != vals[0].Kind {
			return invalidParam("AttributeValues inside AttributeValueList must be of same type")
		}
	}
	if kinds, ok := legacyTypes[op]; ok && checkTypes {
		for _, v := range vals {
			if !slices.Contains(kinds, v.Kind) {
				return invalidParam("ComparisonOperator " + op + " is not valid for " + v.Kind.String() + " AttributeValue type")
			}
		}
	}
	if op == "BETWEEN" {
		if c, ok := attr.Compare(vals[0], vals[1]); ok && c > 0 {
			return validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
		}
	}
	return nil
}

// legacyCond is the condition of operator op on attribute name.
func legacyCond(name, op string, vals []attr.Value) *cond {
	args := []*operand{{kind: oPath, path: path{{name: name}}}}
	for _, v := range vals {
		args = append(args, &operand{kind: oValue, val: v})
	}
	switch op {
	case "EQ", "NE", "LE", "LT", "GE", "GT":
		cmp := map[string]string{"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}[op]
		return &cond{kind: cCompare, cmp: cmp, args: args}
	case "NULL":
		return &cond{kind: cFunc, fn: "attribute_not_exists", args: args}
	case "NOT_NULL":
		return &cond{kind: cFunc, fn: "attribute_exists", args: args}
	case "CONTAINS":
		return &cond{kind: cFunc, fn: "contains", args: args}
	case "NOT_CONTAINS":
		return &cond{kind: cFunc, fn: "NOT_CONTAINS", args: args}
	case "BEGINS_WITH":
		return &cond{kind: cFunc, fn: "begins_with", args: args}
	case "IN":
		return &cond{kind: cIn, args: args}
	}
	return &cond{kind: cBetween, args: args}
}

// join combines conditions with ConditionalOperator (AND by default).
func join(kids []*cond, op string) (*Condition, error) {
	switch op {
	case "", "AND", "OR":
	default:
		return nil, validation("1 validation error detected: Value '" + op + "' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]")
	}
	switch len(kids) {
	case 0:
		return &Condition{root: &cond{kind: cTrue}}, nil
	case 1:
		return &Condition{root: kids[0]}, nil
	}
	kind := cAnd
	if op == "OR" {
		kind = cOr
	}
	return &Condition{root: &cond{kind: kind, kids: kids}}, nil
}

// FromConditions is QueryFilter or ScanFilter (param names which, for the
// messages), its entries joined by conditionalOperator ("", AND or OR).
func FromConditions(param string, conds map[string]LegacyCondition, conditionalOperator string) (*Condition, error) {
	var kids []*cond
	for _, name := range sortedKeys(conds) {
		c := conds[name]
		if err := checkOperator(param, name, c.ComparisonOperator); err != nil {
			return nil, err
		}
		if err := checkLegacy(c.ComparisonOperator, c.AttributeValueList, true); err != nil {
			return nil, err
		}
		kids = append(kids, legacyCond(name, c.ComparisonOperator, c.AttributeValueList))
	}
	return join(kids, conditionalOperator)
}

// FromExpected is Expected, its entries joined by conditionalOperator.
func FromExpected(exp map[string]Expected, conditionalOperator string) (*Condition, error) {
	var kids []*cond
	for _, name := range sortedKeys(exp) {
		k, err := expectedCond(name, exp[name])
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	return join(kids, conditionalOperator)
}

// expectedCond is one entry of Expected: a ComparisonOperator with its
// values, or Value and Exists.
func expectedCond(name string, c Expected) (*cond, error) {
	if c.AttributeValueList != nil && c.Value != nil {
		return nil, invalidParam("Value and AttributeValueList cannot be used together for Attribute: " + name)
	}
	if op := c.ComparisonOperator; op != "" {
		if _, ok := legacyArgs[op]; !ok {
			return nil, checkOperator("Expected", name, op)
		}
		if c.Exists != nil {
			return nil, invalidParam("Exists and ComparisonOperator cannot be used together for Attribute: " + name)
		}
		if op != "NULL" && op != "NOT_NULL" && c.AttributeValueList == nil && c.Value == nil {
			return nil, invalidParam("Value or AttributeValueList must be used with ComparisonOperator: " + op + " for Attribute: " + name)
		}
		vals := c.AttributeValueList
		if c.Value != nil {
			vals = []attr.Value{*c.Value}
		}
		if err := checkLegacy(op, vals, true); err != nil {
			return nil, err
		}
		return legacyCond(name, op, vals), nil
	}
	if c.AttributeValueList != nil {
		return nil, invalidParam("AttributeValueList can only be used with a ComparisonOperator for Attribute: " + name)
	}
	exists := c.Exists == nil || *c.Exists
	switch {
	case exists && c.Value == nil:
		shown := "null"
		if c.Exists != nil {
			shown = "true"
		}
		return nil, invalidParam("Value must be provided when Exists is " + shown + " for Attribute: " + name)
	case !exists && c.Value != nil:
		return nil, invalidParam("Value cannot be used when Exists is false for Attribute: " + name)
	case !exists:
		return legacyCond(name, "NULL", nil), nil
	}
	return legacyCond(name, "EQ", []attr.Value{*c.Value}), nil
}

// FromKeyConditions is Query's legacy KeyConditions: one or two entries of
// EQ, LE, LT, GE, GT, BEGINS_WITH or BETWEEN.
func FromKeyConditions(kc map[string]LegacyCondition) ([]KeyPart, error) {
	var parts []KeyPart
	for _, name := range sortedKeys(kc) {
		c := kc[name]
		if err := checkOperator("KeyConditions", name, c.ComparisonOperator); err != nil {
			return nil, err
		}
		if err := checkLegacy(c.ComparisonOperator, c.AttributeValueList, true); err != nil {
			return nil, err
		}
		parts = append(parts, KeyPart{Name: name, Op: c.ComparisonOperator, Values: c.AttributeValueList})
	}
	if len(parts) < 1 || len(parts) > 2 {
		return nil, errConditionCount
	}
	ops := map[string]string{"EQ": "=", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">", "BEGINS_WITH": "BEGINS_WITH", "BETWEEN": "BETWEEN"}
	for i := range parts {
		op, ok := ops[parts[i].Op]
		if !ok {
			// DynamoDB answers this once it knows the table (dynalite's
			// actions/query.js); here it comes before a missing table's
			// ResourceNotFoundException.
			return nil, validation("Attempted conditional constraint is not an indexable operation")
		}
		parts[i].Op = op
	}
	return parts, nil
}
