package partiql

import (
	"fmt"
	"strings"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// Where a condition sits, for the message DynamoDB gives when it is no
// condition.
const (
	atWhere = iota
	underAndOr
	underNot
)

// How tightly a rendered condition binds, as in DynamoDB's condition
// grammar (and PartiQL's): OR, then AND, then NOT, then the rest.
const (
	bindOr = iota + 1
	bindAnd
	bindNot
	bindAtom
)

var comparators = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

// isTypes are the types IS tests, as attribute_type names them; MISSING is
// attribute_exists's.
var isTypes = map[string]string{"null": "NULL", "boolean": "BOOL", "string": "S", "numeric": "N",
	"blob": "B", "struct": "M", "tuple": "M", "list": "L"}

// where renders WHERE as a condition expression and gathers its key
// conditions.
func (t *translator) where(n *node) error {
	c, _, err := t.cond(n, atWhere)
	if err != nil {
		return err
	}
	t.st.Where = c
	t.conjuncts(n)
	return nil
}

func paren(s string, wrap bool) string {
	if wrap {
		return "(" + s + ")"
	}
	return s
}

// cond renders a condition and how tightly it binds.
func (t *translator) cond(n *node, at int) (string, int, error) {
	switch {
	case n.kind == nBinary && (n.op == "and" || n.op == "or"):
		bind, kw := bindAnd, " AND "
		if n.op == "or" {
			bind, kw = bindOr, " OR "
		}
		l, lb, err := t.cond(n.kids[0], underAndOr)
		if err != nil {
			return "", 0, err
		}
		r, rb, err := t.cond(n.kids[1], underAndOr)
		if err != nil {
			return "", 0, err
		}
		return paren(l, lb < bind) + kw + paren(r, rb < bind), bind, nil
	case n.kind == nUnary && n.op == "not":
		c, b, err := t.cond(n.kids[0], underNot)
		if err != nil {
			return "", 0, err
		}
		return "NOT " + paren(c, b < bindNot), bindNot, nil
	case n.kind == nBinary && comparators[n.op]:
		ops, err := t.operands(n.kids)
		if err != nil {
			return "", 0, err
		}
		return ops[0] + " " + n.op + " " + ops[1], bindAtom, nil
	case n.kind == nBetween:
		ops, err := t.operands(n.kids)
		if err != nil {
			return "", 0, err
		}
		return negated(ops[0]+" BETWEEN "+ops[1]+" AND "+ops[2], n.not)
	case n.kind == nIn:
		if !isPath(n.kids[0]) || n.kids[1].kind != nList || len(n.kids[1].kids) == 0 {
			return "", 0, validation(mIN)
		}
		ops, err := t.operands(append([]*node{n.kids[0]}, n.kids[1].kids...))
		if err != nil {
			return "", 0, err
		}
		return negated(ops[0]+" IN ("+strings.Join(ops[1:], ", ")+")", n.not)
	case n.kind == nIs:
		return t.isCond(n)
	case n.kind == nLike:
		// Wording of the operator's name unconfirmed.
		return "", 0, validation(fmt.Sprintf(mConditionOp, "like"))
	case n.kind == nCall:
		switch n.op {
		case "begins_with", "contains", "attribute_type":
			// Their arity and operand types are left to the condition
			// expression's checks, which DynamoDB shares.
			ops, err := t.operands(n.kids)
			if err != nil {
				return "", 0, err
			}
			return n.op + "(" + strings.Join(ops, ", ") + ")", bindAtom, nil
		case "exists":
			return "", 0, validation(mExists)
		case "size":
		default:
			return "", 0, validation(fmt.Sprintf(mFunction, n.op))
		}
	case n.kind == nBinary || n.kind == nUnary:
		return "", 0, validation(fmt.Sprintf(mConditionOp, n.op))
	}
	switch at {
	case underAndOr:
		return "", 0, validation(mAndOrOperand)
	case underNot:
		return "", 0, validation(mNotOperand)
	}
	return "", 0, validation(mWhereBoolean)
}

func negated(c string, not bool) (string, int, error) {
	if not {
		return "NOT " + c, bindNot, nil
	}
	return c, bindAtom, nil
}

// isCond renders IS [NOT] MISSING, NULL, BOOLEAN, STRING, ...
func (t *translator) isCond(n *node) (string, int, error) {
	if !isPath(n.kids[0]) {
		return "", 0, validation(mISOperand)
	}
	p, _, err := t.path(n.kids[0])
	if err != nil {
		return "", 0, err
	}
	if n.op == "missing" {
		if n.not {
			return "attribute_exists(" + p + ")", bindAtom, nil
		}
		return "attribute_not_exists(" + p + ")", bindAtom, nil
	}
	ty, ok := isTypes[n.op]
	if !ok {
		// The type's spelling in the message is unconfirmed.
		return "", 0, validation(fmt.Sprintf(mISType, strings.ToUpper(n.op)))
	}
	return negated("attribute_type("+p+", "+t.addValue(attr.Str(ty))+")", n.not)
}

// operands renders the operands of a comparison or function.
func (t *translator) operands(ns []*node) ([]string, error) {
	out := make([]string, len(ns))
	for i, n := range ns {
		var err error
		if out[i], err = t.operand(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *translator) operand(n *node) (string, error) {
	switch {
	case isPath(n):
		p, _, err := t.path(n)
		return p, err
	case isValue(n):
		return t.value(n)
	case n.kind == nMissing:
		return "", validation(mMissing)
	case n.kind == nCall && n.op == "size":
		ops, err := t.operands(n.kids)
		if err != nil {
			return "", err
		}
		return "size(" + strings.Join(ops, ", ") + ")", nil
	case n.kind == nCall && n.op != "begins_with" && n.op != "contains" && n.op != "attribute_type":
		return "", validation(fmt.Sprintf(mFunction, n.op))
	}
	return "", validation(fmt.Sprintf(mConditionOp, opName(n)))
}

// flipped is the comparison with its operands swapped.
var flipped = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// conjuncts gathers the top-level AND conjuncts of WHERE that compare one
// attribute with values into Equal and Range. It runs after cond, which
// converted the values.
func (t *translator) conjuncts(n *node) {
	switch {
	case n.kind == nBinary && n.op == "and":
		t.conjuncts(n.kids[0])
		t.conjuncts(n.kids[1])
	case n.kind == nBinary && flipped[n.op] != "":
		a, v, op := n.kids[0], n.kids[1], n.op
		if v.kind == nID && isValue(a) {
			a, v, op = v, a, flipped[op]
		}
		if a.kind == nID && isValue(v) {
			t.keyCond(a.tok.text, op, t.vals[v])
		}
	case n.kind == nBetween && !n.not && n.kids[0].kind == nID && isValue(n.kids[1]) && isValue(n.kids[2]):
		t.keyCond(n.kids[0].tok.text, "BETWEEN", t.vals[n.kids[1]], t.vals[n.kids[2]])
	case n.kind == nCall && n.op == "begins_with" && len(n.kids) == 2 && n.kids[0].kind == nID && isValue(n.kids[1]):
		t.keyCond(n.kids[0].tok.text, "BEGINS_WITH", t.vals[n.kids[1]])
	}
}

func (t *translator) keyCond(name, op string, vals ...attr.Value) {
	if op == "=" {
		if _, ok := t.st.Equal[name]; !ok {
			if t.st.Equal == nil {
				t.st.Equal = map[string]attr.Value{}
			}
			t.st.Equal[name] = vals[0]
		}
		return
	}
	if _, ok := t.st.Range[name]; !ok {
		if t.st.Range == nil {
			t.st.Range = map[string]RangeCond{}
		}
		t.st.Range[name] = RangeCond{Op: op, Values: vals}
	}
}
