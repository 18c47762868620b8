package expr

import (
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// KeyPart is one condition of a KeyConditionExpression, on one key attribute.
type KeyPart struct {
	Name   string
	Op     string // "=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"
	Values []attr.Value
}

var keyConditionErrorOrder = []string{eUnknownFn, eReserved, eDepth, eAttrName, eAttrVal, eOperand, eFunction}

// ParseKeyCondition parses a KeyConditionExpression: one or two conditions
// joined by AND, each comparing a top-level attribute with values.
func ParseKeyCondition(src string, ps *Params) ([]KeyPart, error) {
	const param = "KeyConditionExpression"
	if ps != nil && ps.err != nil {
		return nil, ps.err
	}
	if err := checkSize(param, src); err != nil {
		return nil, err
	}
	p := newParser(param, src)
	var e errs
	c, err := p.or(ps, &e)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, p.syntaxError()
	}
	if err := e.first(conditionErrorOrder...); err != nil {
		return nil, err
	}
	var parts []KeyPart
	var collect func(c *cond) error
	collect = func(c *cond) error {
		switch c.kind {
		case cAnd:
			for _, k := range c.kids {
				if err := collect(k); err != nil {
					return err
				}
			}
			return nil
		case cOr, cNot:
			op := "OR"
			if c.kind == cNot {
				op = "NOT"
			}
			return invalid(param, "Invalid operator used in KeyConditionExpression: %s", op)
		case cIn:
			return invalid(param, "Invalid operator used in KeyConditionExpression: IN")
		case cCompare:
			if c.cmp == "<>" {
				return invalid(param, "Invalid operator used in KeyConditionExpression: <>")
			}
			return part(param, c.cmp, c.args, &parts)
		case cBetween:
			return part(param, "BETWEEN", c.args, &parts)
		case cFunc:
			if c.fn != "begins_with" {
				return invalid(param, "Invalid operator used in KeyConditionExpression: %s", c.fn)
			}
			return part(param, "BEGINS_WITH", c.args, &parts)
		}
		return invalid(param, "Invalid condition in KeyConditionExpression")
	}
	if err := collect(c); err != nil {
		return nil, err
	}
	if len(parts) > 2 {
		return nil, invalid(param, "The expression has too many key conditions")
	}
	if len(parts) == 2 && parts[0].Name == parts[1].Name {
		return nil, invalid(param, "KeyConditionExpressions must only contain one condition per key")
	}
	return parts, nil
}

// part adds one key condition: a top-level attribute on the left, values on the right.
func part(param, op string, args []*operand, parts *[]KeyPart) error {
	key := args[0]
	if key.kind != oPath {
		if len(args) == 2 && args[1].kind == oPath {
			// :v = a is accepted the other way round for =, as DynamoDB does.
			if op != "=" {
				return invalid(param, "Invalid condition in KeyConditionExpression: %s operator must have the key attribute as its first operand", op)
			}
			args = []*operand{args[1], args[0]}
			key = args[0]
		} else {
			return invalid(param, "Invalid condition in KeyConditionExpression: No key attribute specified")
		}
	}
	if len(key.path) != 1 {
		return invalid(param, "KeyConditionExpressions cannot contain nested attributes; attribute: %s", key.path)
	}
	kp := KeyPart{Name: key.path[0].name, Op: op}
	for _, a := range args[1:] {
		if a.kind != oValue {
			return invalid(param, "Invalid condition in KeyConditionExpression: %s operator must have values on the right", op)
		}
		kp.Values = append(kp.Values, a.val)
	}
	*parts = append(*parts, kp)
	return nil
}
