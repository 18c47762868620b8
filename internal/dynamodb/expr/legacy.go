package expr

import (
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// The legacy conditional parameters (Expected, KeyConditions, QueryFilter,
// ScanFilter) and AttributeUpdates, as DynamoDB still accepts them.

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
	Action string      `json:"Action"`
}

// legacyArgs is how many values each operator takes (-1: one or more).
var legacyArgs = map[string]int{
	"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "CONTAINS": 1, "NOT_CONTAINS": 1,
	"BEGINS_WITH": 1, "NULL": 0, "NOT_NULL": 0, "IN": -1, "BETWEEN": 2,
}

// legacyTypes are the value kinds each operator accepts.
var legacyTypes = map[string][]attr.Kind{
	"EQ": {attr.S, attr.N, attr.B, attr.SS, attr.NS, attr.BS}, "NE": {attr.S, attr.N, attr.B, attr.SS, attr.NS, attr.BS},
	"LE": {attr.S, attr.N, attr.B}, "LT": {attr.S, attr.N, attr.B}, "GE": {attr.S, attr.N, attr.B}, "GT": {attr.S, attr.N, attr.B},
	"CONTAINS": {attr.S, attr.N, attr.B}, "NOT_CONTAINS": {attr.S, attr.N, attr.B}, "BEGINS_WITH": {attr.S, attr.B},
	"IN": {attr.S, attr.N, attr.B}, "BETWEEN": {attr.S, attr.N, attr.B},
}

func invalidParam(msg string) error {
	return validation("One or more parameter values were invalid: " + msg)
}

// legacyCond builds the condition of one operator on attribute name.
func legacyCond(name, op string, vals []attr.Value, checkTypes bool) (*cond, error) {
	n, ok := legacyArgs[op]
	if !ok {
		return nil, validation("1 validation error detected: Value '" + op + "' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]")
	}
	if (n >= 0 && len(vals) != n) || (n < 0 && len(vals) == 0) {
		return nil, invalidParam("Invalid number of argument(s) for the " + op + " ComparisonOperator")
	}
	for _, v := range vals[min(1, len(vals)):] {
		if v.Kind != vals[0].Kind {
			return nil, invalidParam("AttributeValues inside AttributeValueList must be of same type")
		}
	}
	if checkTypes {
		for _, v := range vals {
			okKind := false
			for _, k := range legacyTypes[op] {
				okKind = okKind || k == v.Kind
			}
			if !okKind {
				return nil, invalidParam("ComparisonOperator " + op + " is not valid for " + v.Kind.String() + " AttributeValue type")
			}
		}
	}
	if op == "BETWEEN" {
		if c, ok := attr.Compare(vals[0], vals[1]); ok && c > 0 {
			return nil, validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
		}
	}
	target := &operand{kind: oPath, path: path{{name: name}}}
	args := []*operand{target}
	for _, v := range vals {
		args = append(args, &operand{kind: oValue, val: v})
	}
	switch op {
	case "EQ", "NE", "LE", "LT", "GE", "GT":
		cmp := map[string]string{"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}[op]
		return &cond{kind: cCompare, cmp: cmp, args: args}, nil
	case "NULL":
		return &cond{kind: cFunc, fn: "attribute_not_exists", args: args}, nil
	case "NOT_NULL":
		return &cond{kind: cFunc, fn: "attribute_exists", args: args}, nil
	case "CONTAINS":
		return &cond{kind: cFunc, fn: "contains", args: args}, nil
	case "NOT_CONTAINS":
		// True for an attribute that does not contain the value; false for a
		// missing one, as DynamoDB documents.
		return &cond{kind: cFunc, fn: "NOT_CONTAINS", args: args}, nil
	case "BEGINS_WITH":
		return &cond{kind: cFunc, fn: "begins_with", args: args}, nil
	case "IN":
		return &cond{kind: cIn, args: args}, nil
	}
	return &cond{kind: cBetween, args: args}, nil
}

// join combines conditions with ConditionalOperator (AND by default).
func join(kids []*cond, op string) (*Condition, error) {
	switch op {
	case "", "AND", "OR":
	default:
		return nil, validation("1 validation error detected: Value '" + op + "' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [AND, OR]")
	}
	if len(kids) == 0 {
		return &Condition{root: &cond{kind: cTrue}}, nil
	}
	if len(kids) == 1 {
		return &Condition{root: kids[0]}, nil
	}
	kind := cAnd
	if op == "OR" {
		kind = cOr
	}
	return &Condition{root: &cond{kind: kind, kids: kids}}, nil
}

// FromConditions is QueryFilter or ScanFilter (param names which).
func FromConditions(param string, conds map[string]LegacyCondition, conditionalOperator string) (*Condition, error) {
	var kids []*cond
	for _, name := range sortedKeys(conds) {
		c := conds[name]
		k, err := legacyCond(name, c.ComparisonOperator, c.AttributeValueList, true)
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	return join(kids, conditionalOperator)
}

// FromExpected is Expected.
func FromExpected(exp map[string]Expected, conditionalOperator string) (*Condition, error) {
	var kids []*cond
	for _, name := range sortedKeys(exp) {
		c := exp[name]
		if c.AttributeValueList != nil && c.Value != nil {
			return nil, invalidParam("Value and AttributeValueList cannot be used together for Attribute: " + name)
		}
		if c.ComparisonOperator != "" {
			if c.Exists != nil {
				return nil, invalidParam("Exists and ComparisonOperator cannot be used together for Attribute: " + name)
			}
			vals := c.AttributeValueList
			if c.Value != nil {
				vals = []attr.Value{*c.Value}
			}
			if c.ComparisonOperator != "NULL" && c.ComparisonOperator != "NOT_NULL" && c.AttributeValueList == nil && c.Value == nil {
				return nil, invalidParam("Value or AttributeValueList must be used with ComparisonOperator: " + c.ComparisonOperator + " for Attribute: " + name)
			}
			k, err := legacyCond(name, c.ComparisonOperator, vals, false)
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
			continue
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
			k, _ := legacyCond(name, "NULL", nil, false)
			kids = append(kids, k)
		default:
			k, err := legacyCond(name, "EQ", []attr.Value{*c.Value}, false)
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
	}
	return join(kids, conditionalOperator)
}

// FromKeyConditions is Query's legacy KeyConditions.
func FromKeyConditions(kc map[string]LegacyCondition) ([]KeyPart, error) {
	var parts []KeyPart
	for _, name := range sortedKeys(kc) {
		c := kc[name]
		switch c.ComparisonOperator {
		case "EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN":
		default:
			if _, ok := legacyArgs[c.ComparisonOperator]; ok {
				return nil, invalidParam("Attempted conditional constraint is not an indexable operation")
			}
		}
		if _, err := legacyCond(name, c.ComparisonOperator, c.AttributeValueList, true); err != nil {
			return nil, err
		}
		op := map[string]string{"EQ": "=", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">", "BEGINS_WITH": "BEGINS_WITH", "BETWEEN": "BETWEEN"}[c.ComparisonOperator]
		parts = append(parts, KeyPart{Name: name, Op: op, Values: c.AttributeValueList})
	}
	return parts, nil
}
