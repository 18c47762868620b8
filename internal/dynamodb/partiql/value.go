package partiql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// maxDepth is how deep DynamoDB nests lists and maps (attr's limit).
const maxDepth = 32

// toValue converts a literal (or a parameter) to an attribute value as
// DynamoDB does: strings S, numbers N, TRUE and FALSE BOOL, NULL, [..] L,
// {..} M, <<..>> SS or NS. A refusal names where in the value it is, as
// DynamoDB's do: "root", then ".key" for a map's member and "[i]" for a
// list's (confirmed: "... under root.x", "... under root[1]").
func (t *translator) toValue(n *node, path string, depth int) (attr.Value, error) {
	if depth > maxDepth {
		return attr.Value{}, validation(mNesting)
	}
	switch n.kind {
	case nParam:
		return t.params[n.tok.ord-1], nil
	case nLit:
		switch n.tok.kind {
		case tString:
			return attr.Str(n.tok.text), nil
		case tNumber:
			return numberValue(n.tok.text, path)
		case tTrue, tFalse:
			return attr.Bool(n.tok.kind == tTrue), nil
		case tNull:
			return attr.Null(), nil
		}
	case nList:
		l := make([]attr.Value, len(n.kids))
		for i, k := range n.kids {
			var err error
			if l[i], err = t.toValue(k, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return attr.Value{}, err
			}
		}
		return attr.Value{Kind: attr.L, List: l}, nil
	case nStruct:
		m, err := t.tuple(n, path, func(key string) string { return path + "." + key }, depth)
		return attr.Value{Kind: attr.M, Map: m}, err
	case nBag:
		return setValue(n, path)
	}
	return attr.Value{}, validation(fmt.Sprintf(mDataType, exprNodeName(n), path))
}

// tuple converts a {'k': v, ...} literal; memberPath is where in the whole
// value a member is (INSERT's item names its attributes' values "root", not
// "root.k": confirmed by "... under root.x" for {'pk': 1, 'm': {'x': 1e126}}).
func (t *translator) tuple(n *node, path string, memberPath func(string) string, depth int) (map[string]attr.Value, error) {
	m := make(map[string]attr.Value, len(n.kids)/2)
	for i := 0; i < len(n.kids); i += 2 {
		k := n.kids[i]
		if k.kind != nLit || k.tok.kind != tString {
			return nil, validation(fmt.Sprintf(mTupleKey, literalType(k), path))
		}
		if k.tok.text == "" {
			return nil, validation(mEmptyPath)
		}
		v, err := t.toValue(n.kids[i+1], memberPath(k.tok.text), depth+1)
		if err != nil {
			return nil, err
		}
		if _, dup := m[k.tok.text]; dup {
			return nil, validation(fmt.Sprintf(mDuplicateKey, k.tok.text, path))
		}
		m[k.tok.text] = v
	}
	return m, nil
}

// item converts INSERT's VALUE.
func (t *translator) item(n *node) (attr.Item, error) {
	m, err := t.tuple(n, "root", func(string) string { return "root" }, -1)
	return attr.Item(m), err
}

// literalType is the type DynamoDB names for a tuple key that is no string:
// Ion's type for a literal, the AST class otherwise.
func literalType(n *node) string {
	if n.kind == nLit {
		switch n.tok.kind {
		case tNumber:
			if strings.ContainsAny(n.tok.text, ".eE") {
				return "DECIMAL"
			}
			return "INT"
		case tTrue, tFalse:
			return "BOOL"
		case tNull:
			return "NULL"
		}
	}
	return exprNodeName(n)
}

// numberValue converts a number literal. DynamoDB's range and precision
// messages get the place in the value appended (confirmed: "Number overflow.
// Attempting to store a number with magnitude larger than supported range
// under root").
func numberValue(text, path string) (attr.Value, error) {
	v, err := attr.Num(text)
	if err != nil {
		msg := err.Error()
		var ae *awsproto.Error
		if errors.As(err, &ae) {
			msg = ae.Message
		}
		return attr.Value{}, validation(msg + " under " + path)
	}
	// A decimal literal keeps its sign at zero, and DynamoDB refuses that
	// (DynamoDB Local's conversion; unconfirmed against AWS).
	if v.N == "0" && strings.HasPrefix(text, "-") && strings.ContainsAny(text, ".eE") {
		return attr.Value{}, validation(fmt.Sprintf(mNegativeZero, path))
	}
	return v, nil
}

// setValue converts a <<...>> literal: its first member decides between a
// string set and a number set, and parameters cannot be members (recorded
// from DynamoDB Local).
func setValue(n *node, path string) (attr.Value, error) {
	if len(n.kids) == 0 {
		return attr.Value{}, validation(mEmptyBag)
	}
	want := n.kids[0].tok.kind
	if n.kids[0].kind != nLit || want != tString && want != tNumber {
		return attr.Value{}, validation(mBagType)
	}
	out := attr.Value{Kind: attr.SS}
	if want == tNumber {
		out.Kind = attr.NS
	}
	seen := make(map[string]bool, len(n.kids))
	for _, k := range n.kids {
		if k.kind != nLit || k.tok.kind != want {
			return attr.Value{}, validation(mBagType)
		}
		m := k.tok.text
		if want == tNumber {
			v, err := numberValue(m, path)
			if err != nil {
				return attr.Value{}, err
			}
			m = v.N
		}
		if seen[m] {
			return attr.Value{}, validation(mBagDuplicates)
		}
		seen[m] = true
		out.Set = append(out.Set, m)
	}
	return out, nil
}
