package expr

import (
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// KeyPart is one condition of a KeyConditionExpression (or of the legacy
// KeyConditions), on one top-level key attribute.
type KeyPart struct {
	Name   string       // attribute name (placeholders resolved)
	Op     string       // "=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"
	Values []attr.Value // 1, or 2 for BETWEEN
}

// ParseKeyCondition parses a KeyConditionExpression: one or two conditions
// joined by AND, each comparing a top-level attribute with values (either
// way round: ":lo <= sk" is "sk >= :lo"), BETWEEN or begins_with. Which
// attributes are the keys is the caller's to check.
func ParseKeyCondition(src string, ps *Params) ([]KeyPart, error) {
	const param = "KeyConditionExpression"
	root, p, err := parseConditionTree(param, src, ps)
	if err != nil {
		return nil, err
	}
	// Unlike the other condition expressions, DynamoDB accepts
	// "((pk = :pk)) AND ((sk = :sk))" here (dynamodb-conformance's
	// keyConditionParens test), so redundant parentheses are not checked.
	if err := p.errs.conditionError(); err != nil {
		return nil, err
	}
	var kc keyConds
	if err := kc.walk(root); err != nil {
		return nil, err
	}
	for _, kp := range kc.parts {
		if err := checkLegacy(legacyOps[kp.Op], kp.Values, true); err != nil {
			return nil, err
		}
	}
	if len(kc.parts) > 2 {
		return nil, errConditionCount
	}
	return kc.parts, nil
}

// errConditionCount is DynamoDB's answer to a key condition with no part or
// more than two (dynalite's tests, for both KeyConditionExpression and
// KeyConditions).
var errConditionCount = validation("Conditions can be of length 1 or 2 only")

// The messages of a key condition's structure, as dynalite's tests record
// AWS's answers: without the "Invalid KeyConditionExpression: " prefix, but
// for the nested attributes one, which another emulator recorded from AWS
// in 2026 with the prefix.
const (
	keyBadOperator   = "Invalid operator used in KeyConditionExpression: "
	keyBadCondition  = "Invalid condition in KeyConditionExpression: "
	keyNestedOps     = "KeyConditionExpressions cannot contain nested operations"
	keyNestedAttrs   = "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"
	keyMultipleNames = keyBadCondition + "Multiple attribute names used in one condition"
	keyNoAttribute   = keyBadCondition + "No key attribute specified"
	keyOnePerKey     = "KeyConditionExpressions must only contain one condition per key"
)

type keyConds struct {
	parts []KeyPart
}

// flipped is a comparator with its operands swapped.
var flipped = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// walk checks c, in the order DynamoDB does (each node before its
// operands, left to right), and collects its parts.
func (kc *keyConds) walk(c *cond) error {
	switch {
	case c.kind == cOr:
		return validation(keyBadOperator + "OR")
	case c.kind == cNot:
		return validation(keyBadOperator + "NOT")
	case c.kind == cIn:
		return validation(keyBadOperator + "IN")
	case c.kind == cCompare && c.cmp == "<>":
		return validation(keyBadOperator + "<>")
	case c.kind == cFunc && c.fn != "begins_with":
		return validation(keyBadOperator + c.fn)
	case c.kind == cBetween && c.args[0].kind != oPath:
		return validation(keyBadCondition + "BETWEEN operator must have the key attribute as its first operand")
	case c.kind == cFunc && c.args[0].kind != oPath:
		return validation(keyBadCondition + "begins_with operator must have the key attribute as its first operand")
	case c.kind == cAnd:
		for _, k := range c.kids {
			if err := kc.walk(k); err != nil {
				return err
			}
		}
		return nil
	}
	key := -1
	for i, a := range c.args {
		switch a.kind {
		case oPath:
			if key >= 0 {
				return validation(keyMultipleNames)
			}
			if len(a.path) > 1 {
				return validation(keyNestedAttrs)
			}
			key = i
		case oCall:
			return validation(keyNestedOps) // size(), the only function an operand can be
		}
	}
	if key < 0 {
		return validation(keyNoAttribute)
	}
	name := c.args[key].path[0].name
	for _, kp := range kc.parts {
		if kp.Name == name {
			return validation(keyOnePerKey)
		}
	}
	kp := KeyPart{Name: name}
	switch c.kind {
	case cCompare:
		kp.Op = c.cmp
		if key != 0 {
			kp.Op = flipped[c.cmp]
		}
	case cBetween:
		kp.Op = "BETWEEN"
	default:
		kp.Op = "BEGINS_WITH"
	}
	for i, a := range c.args {
		if i != key {
			kp.Values = append(kp.Values, a.val)
		}
	}
	kc.parts = append(kc.parts, kp)
	return nil
}
