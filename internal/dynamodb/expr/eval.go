package expr

import (
	"bytes"
	"slices"
	"strings"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// Eval reports whether item (nil: no item) meets the condition. A missing
// attribute equals nothing and orders with nothing, so every comparison with
// one is false except <>; values of different types are likewise unequal
// and unordered.
func (c *Condition) Eval(item attr.Item) bool {
	if c == nil || c.root == nil {
		return true
	}
	return c.root.eval(item)
}

func (c *cond) eval(item attr.Item) bool {
	switch c.kind {
	case cTrue:
		return true
	case cOr:
		return slices.ContainsFunc(c.kids, func(k *cond) bool { return k.eval(item) })
	case cAnd:
		return !slices.ContainsFunc(c.kids, func(k *cond) bool { return !k.eval(item) })
	case cNot:
		return !c.kids[0].eval(item)
	case cCompare:
		a, ok1 := c.args[0].eval(item)
		b, ok2 := c.args[1].eval(item)
		if !ok1 || !ok2 {
			return c.cmp == "<>"
		}
		return compare(c.cmp, a, b)
	case cBetween:
		v, ok := c.args[0].eval(item)
		lo, ok1 := c.args[1].eval(item)
		hi, ok2 := c.args[2].eval(item)
		return ok && ok1 && ok2 && compare(">=", v, lo) && compare("<=", v, hi)
	case cIn:
		v, ok := c.args[0].eval(item)
		return ok && slices.ContainsFunc(c.args[1:], func(o *operand) bool {
			w, ok := o.eval(item)
			return ok && attr.Equal(v, w)
		})
	case cFunc:
		return c.evalFunc(item)
	}
	return false
}

// compare applies a comparator: = and <> to any values, the orderings to
// two values of one scalar kind (anything else is false).
func compare(op string, a, b attr.Value) bool {
	switch op {
	case "=":
		return attr.Equal(a, b)
	case "<>":
		return !attr.Equal(a, b)
	}
	n, ok := attr.Compare(a, b)
	if !ok {
		return false
	}
	switch op {
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	case ">=":
		return n >= 0
	}
	return false
}

func (c *cond) evalFunc(item attr.Item) bool {
	v, ok := c.args[0].eval(item)
	switch c.fn {
	case "attribute_exists":
		return ok
	case "attribute_not_exists":
		return !ok
	}
	w, ok2 := c.args[1].eval(item)
	if !ok || !ok2 {
		// NOT_CONTAINS of a missing attribute is false too, unlike NE:
		// Alternator's tests record AWS failing the condition.
		return false
	}
	switch c.fn {
	case "attribute_type":
		return w.Kind == attr.S && v.Kind.String() == w.Str
	case "begins_with":
		switch {
		case v.Kind == attr.S && w.Kind == attr.S:
			return strings.HasPrefix(v.Str, w.Str)
		case v.Kind == attr.B && w.Kind == attr.B:
			return bytes.HasPrefix(v.Bin, w.Bin)
		}
		return false
	case "contains":
		return contains(v, w)
	case "NOT_CONTAINS":
		return !contains(v, w)
	}
	return false
}

// contains is contains(): a substring of a string, a subsequence of a
// binary, a member of a set (of the member's kind), an element of a list.
func contains(v, w attr.Value) bool {
	switch v.Kind {
	case attr.S:
		return w.Kind == attr.S && strings.Contains(v.Str, w.Str)
	case attr.B:
		return w.Kind == attr.B && bytes.Contains(v.Bin, w.Bin)
	case attr.SS:
		return w.Kind == attr.S && slices.Contains(v.Set, w.Str)
	case attr.NS:
		return w.Kind == attr.N && hasMember(attr.NS, v.Set, w.N)
	case attr.BS:
		return w.Kind == attr.B && slices.Contains(v.Set, string(w.Bin))
	case attr.L:
		return slices.ContainsFunc(v.List, func(e attr.Value) bool { return attr.Equal(e, w) })
	}
	return false
}

// hasMember reports whether set, of kind k, holds m (numbers by value).
func hasMember(k attr.Kind, set []string, m string) bool {
	if k == attr.NS {
		return slices.ContainsFunc(set, func(o string) bool { return attr.CompareNumbers(o, m) == 0 })
	}
	return slices.Contains(set, m)
}

// Top returns the distinct top-level attribute names the condition reads,
// in the order they appear.
func (c *Condition) Top() []string {
	if c == nil || c.root == nil {
		return nil
	}
	var names []string
	var walkOp func(*operand)
	walkOp = func(o *operand) {
		if o.kind == oPath && len(o.path) > 0 && !slices.Contains(names, o.path[0].name) {
			names = append(names, o.path[0].name)
		}
		for _, a := range o.args {
			walkOp(a)
		}
	}
	var walk func(*cond)
	walk = func(c *cond) {
		for _, k := range c.kids {
			walk(k)
		}
		for _, a := range c.args {
			walkOp(a)
		}
	}
	walk(c.root)
	return names
}
