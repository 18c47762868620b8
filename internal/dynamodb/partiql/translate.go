package partiql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// translator turns a parsed statement into a Statement, refusing what
// DynamoDB's translation refuses. Every name it meets gets one #placeholder,
// every literal and parameter its own :placeholder.
// The Statement's maps are made on their first entry, so that they are nil
// when empty.
type translator struct {
	params []attr.Value
	st     *Statement
	names  map[string]string    // attribute name → placeholder
	vals   map[*node]attr.Value // each placed literal's value, for Equal and Range
}

func translate(n *node, params []attr.Value) (*Statement, error) {
	t := &translator{params: params, st: &Statement{}, names: map[string]string{}, vals: map[*node]attr.Value{}}
	var err error
	switch n.kind {
	case nSelect:
		err = t.selectStmt(n.sel)
	case nDML:
		err = t.dmlStmt(n.dml)
	case nInsertValue:
		err = t.insertStmt(n.ins)
	case nInsert:
		err = validation(mInsertMany)
	case nSet, nRemove:
		// SET or REMOVE with no table. Wording unconfirmed.
		err = validation(mDMLFrom)
	default:
		if n.kind == nCall && n.op == "exists" {
			err = validation(mExists)
		} else {
			err = validation(fmt.Sprintf(mOperation, astName(n)))
		}
	}
	if err != nil {
		return nil, err
	}
	return t.st, nil
}

// name is the placeholder of an attribute name.
func (t *translator) name(n string) string {
	if ph, ok := t.names[n]; ok {
		return ph
	}
	ph := "#p" + strconv.Itoa(len(t.names))
	t.names[n] = ph
	if t.st.Names == nil {
		t.st.Names = map[string]string{}
	}
	t.st.Names[ph] = n
	return ph
}

// value is the placeholder of the value of literal or parameter n, converted
// as DynamoDB converts it.
func (t *translator) value(n *node) (string, error) {
	v, err := t.toValue(n, "root", 0)
	if err != nil {
		return "", err
	}
	t.vals[n] = v
	return t.addValue(v), nil
}

// addValue is a new placeholder for v.
func (t *translator) addValue(v attr.Value) string {
	if t.st.Values == nil {
		t.st.Values = attr.Item{}
	}
	ph := ":p" + strconv.Itoa(len(t.st.Values))
	t.st.Values[ph] = v
	return ph
}

func isValue(n *node) bool {
	switch n.kind {
	case nLit, nParam, nList, nBag, nStruct:
		return true
	}
	return false
}

func isPath(n *node) bool { return n.kind == nID || n.kind == nPath }

// path renders an attribute path over placeholders; last is its last name
// with the indexes after it ("k[1]" for m.k[1]), the name SELECT gives it.
func (t *translator) path(n *node) (text, last string, err error) {
	root := n
	if n.kind == nPath {
		root = n.kids[0]
	}
	if root.kind != nID {
		return "", "", validation(mPathComponent)
	}
	if root.tok.text == "" {
		return "", "", validation(mEmptyPath)
	}
	var b strings.Builder
	b.WriteString(t.name(root.tok.text))
	last = root.tok.text
	for _, c := range n.comps {
		var elem string
		switch {
		case c.dot && c.star:
			return "", "", validation(mUnpivot)
		case c.star:
			return "", "", validation(mWildcard)
		case c.dot:
			elem = c.name.text
		case c.index.kind == nLit && c.index.tok.kind == tString:
			elem = c.index.tok.text
		case c.index.kind == nLit && c.index.tok.kind == tNumber:
			ix, err := listIndex(c.index.tok.text)
			if err != nil {
				return "", "", err
			}
			b.WriteString(ix)
			last += ix
			continue
		default:
			return "", "", validation(mPathComponent)
		}
		if elem == "" {
			return "", "", validation(mEmptyPath)
		}
		b.WriteString("." + t.name(elem))
		last = elem
	}
	return b.String(), last, nil
}

// listIndex renders [n] for a number literal that is a list index.
func listIndex(text string) (string, error) {
	digits, neg := strings.CutPrefix(text, "-")
	if !isUnsigned(digits) {
		return "", validation(mPathComponent)
	}
	n, err := strconv.ParseInt(digits, 10, 32)
	if neg || err != nil {
		// Wording of the detail unconfirmed (DynamoDB Local's catalogue).
		return "", validation(fmt.Sprintf(mListIndex, text))
	}
	return "[" + strconv.FormatInt(n, 10) + "]", nil
}

// table reads FROM's source: "t" or "t"."index". DML statements take only a
// table.
func table(src source, dml bool) (tbl, index string, err error) {
	bad := mFromSource
	if dml {
		bad = mDMLFrom
	}
	e := src.expr
	switch {
	case src.aliased:
		return "", "", validation(mAlias)
	case src.unpivot:
		return "", "", validation(bad)
	case e.kind == nID:
		tbl = e.tok.text
	case e.kind == nPath && e.kids[0].kind == nID && dotNames(e.comps):
		if len(e.comps) > 1 {
			return "", "", validation(mFromPath)
		}
		tbl, index = e.kids[0].tok.text, e.comps[0].name.text
	default:
		return "", "", validation(bad)
	}
	if dml && index != "" {
		// Wording for a DML statement on an index unconfirmed.
		return "", "", validation(mOnIndex)
	}
	if !validTableName(tbl) {
		return "", "", validation(mTableName)
	}
	return tbl, index, nil
}

func dotNames(comps []comp) bool {
	for _, c := range comps {
		if !c.dot || c.star {
			return false
		}
	}
	return true
}

func validTableName(s string) bool {
	if len(s) < 3 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (t *translator) selectStmt(s *selectNode) error {
	if len(s.from) > 1 || s.joined {
		return validation(mMultipleFrom)
	}
	var err error
	if t.st.Table, t.st.Index, err = table(s.from[0], false); err != nil {
		return err
	}
	t.st.Kind = Select
	switch {
	case s.value:
		return validation(mValueOrPivot)
	case s.distinct:
		// Wording unconfirmed.
		return validation(fmt.Sprintf(mClause, "DISTINCT"))
	case len(s.clauses) > 0:
		return validation(fmt.Sprintf(mClause, s.clauses[0]))
	case s.aliased:
		return validation(mAlias)
	}
	if err := t.projection(s.items); err != nil {
		return err
	}
	if s.where != nil {
		if err := t.where(s.where); err != nil {
			return err
		}
	}
	if len(s.orderBy) > 0 && s.where == nil {
		return validation(mOrderByWhere)
	}
	for _, o := range s.orderBy {
		if o.expr.kind != nID {
			return validation(fmt.Sprintf(mOrderByType, exprNodeName(o.expr)))
		}
		t.st.OrderBy = append(t.st.OrderBy, o.expr.tok.text)
		t.st.Descending = o.desc
	}
	return nil
}

// projection renders SELECT's list (nil items are *).
func (t *translator) projection(items []*node) error {
	if len(items) == 1 && items[0] == nil {
		return nil
	}
	var paths []string
	seen := map[string]bool{}
	for _, it := range items {
		if it == nil {
			return validation(mStarAndOthers)
		}
		if !isPath(it) {
			// Wording unconfirmed: DynamoDB Local refuses functions, bags
			// and parameters here with messages not recorded.
			return validation(fmt.Sprintf(mOperation, astName(it)))
		}
		p, last, err := t.path(it)
		if err != nil {
			return err
		}
		// SELECT names each result by its path's last name, so two that
		// share it clash (recorded from DynamoDB Local).
		if seen[last] {
			return validation(fmt.Sprintf(mDuplicateSelect, last))
		}
		seen[last] = true
		paths = append(paths, p)
	}
	t.st.Projection = strings.Join(paths, ", ")
	return nil
}

func (t *translator) insertStmt(in *insertNode) error {
	var err error
	if t.st.Table, _, err = table(source{expr: in.target}, true); err != nil {
		return err
	}
	t.st.Kind = Insert
	switch {
	case in.at != nil:
		return validation(mInsertAt)
	case in.onConflict:
		return validation(fmt.Sprintf(mClause, "ON CONFLICT"))
	case in.returning != nil:
		return validation(mInsertReturning)
	case in.value.kind != nStruct:
		return validation(mItemSyntax)
	}
	t.st.Item, err = t.item(in.value)
	return err
}

func (t *translator) dmlStmt(d *dmlNode) error {
	t.st.Kind = Update
	for _, op := range d.ops {
		switch op.kind {
		case nInsert, nInsertValue:
			return validation(mInsertFrom)
		case nDelete:
			t.st.Kind = Delete
		}
	}
	if len(d.from) > 1 || d.joined {
		return validation(mDMLFrom)
	}
	var err error
	if t.st.Table, _, err = table(d.from[0], true); err != nil {
		return err
	}
	if t.st.Kind == Update {
		if err := t.update(d.ops); err != nil {
			return err
		}
	}
	if d.where != nil {
		if err := t.where(d.where); err != nil {
			return err
		}
	}
	return t.returning(d.returning)
}

func (t *translator) returning(elems []returnElem) error {
	switch {
	case len(elems) == 0:
		return nil
	case len(elems) > 1:
		return validation(mReturningMany)
	case elems[0].column != nil:
		return validation(mReturningStar)
	}
	r := strings.ToUpper(elems[0].mapping)
	if t.st.Kind == Delete && r != "ALL_OLD" {
		return validation(fmt.Sprintf(mDeleteReturning, strings.ReplaceAll(r, "_", " ")+" *"))
	}
	t.st.Returning = r
	return nil
}

// update renders SET and REMOVE operations as one update expression.
func (t *translator) update(ops []*node) error {
	var set, remove, add, del []string
	for _, op := range ops {
		if op.kind == nRemove {
			p, _, err := t.path(op.kids[0])
			if err != nil {
				return err
			}
			remove = append(remove, p)
			continue
		}
		for i := 0; i < len(op.kids); i += 2 {
			target, _, err := t.path(op.kids[i])
			if err != nil {
				return err
			}
			v := op.kids[i+1]
			if v.kind == nCall && (v.op == "set_add" || v.op == "set_delete") {
				action, err := t.setFunction(target, v)
				if err != nil {
					return err
				}
				if v.op == "set_add" {
					add = append(add, action)
				} else {
					del = append(del, action)
				}
				continue
			}
			val, err := t.setValue(v)
			if err != nil {
				return err
			}
			set = append(set, target+" = "+val)
		}
	}
	var clauses []string
	for _, c := range []struct {
		kw      string
		actions []string
	}{{"SET", set}, {"REMOVE", remove}, {"ADD", add}, {"DELETE", del}} {
		if len(c.actions) > 0 {
			clauses = append(clauses, c.kw+" "+strings.Join(c.actions, ", "))
		}
	}
	t.st.Update = strings.Join(clauses, " ")
	return nil
}

// setFunction renders SET a = set_add(a, <<...>>) as ADD's "a :v" (and
// set_delete as DELETE's).
func (t *translator) setFunction(target string, call *node) (string, error) {
	fn := strings.ToUpper(strings.TrimPrefix(call.op, "set_"))
	if len(call.kids) != 2 {
		return "", validation(fmt.Sprintf(mSetArgs, fn))
	}
	first, set := call.kids[0], call.kids[1]
	if !isPath(first) {
		return "", validation(fmt.Sprintf(mSetFirstArg, fn))
	}
	if p, _, err := t.path(first); err != nil || p != target {
		return "", validation(fmt.Sprintf(mSetFirstArg, fn))
	}
	isSet := set.kind == nBag
	if set.kind == nParam {
		switch t.params[set.tok.ord-1].Kind {
		case attr.SS, attr.NS, attr.BS:
			isSet = true
		}
	}
	if !isSet {
		return "", validation(fmt.Sprintf(mSetSecondArg, fn))
	}
	v, err := t.value(set)
	if err != nil {
		return "", err
	}
	return target + " " + v, nil
}

// setValue renders SET's right-hand side: an operand, or two added or
// subtracted.
func (t *translator) setValue(n *node) (string, error) {
	if n.kind == nBinary && (n.op == "+" || n.op == "-") {
		l, err := t.setOperand(n.kids[0])
		if err != nil {
			return "", err
		}
		r, err := t.setOperand(n.kids[1])
		if err != nil {
			return "", err
		}
		return l + " " + n.op + " " + r, nil
	}
	return t.setOperand(n)
}

func (t *translator) setOperand(n *node) (string, error) {
	switch {
	case isPath(n):
		p, _, err := t.path(n)
		return p, err
	case isValue(n):
		return t.value(n)
	case n.kind == nCall && (n.op == "list_append" || n.op == "if_not_exists"):
		args := make([]string, len(n.kids))
		for i, a := range n.kids {
			var err error
			if args[i], err = t.setOperand(a); err != nil {
				return "", err
			}
		}
		return n.op + "(" + strings.Join(args, ", ") + ")", nil
	case n.kind == nCall:
		return "", validation(fmt.Sprintf(mFunction, n.op))
	case n.kind == nIs:
		return "", validation(mISInUpdate)
	case n.kind == nMissing:
		return t.value(n)
	}
	return "", validation(fmt.Sprintf(mUpdateOp, opName(n)))
}

// opName is the operator of n as DynamoDB's messages name it.
func opName(n *node) string {
	switch n.kind {
	case nBinary, nUnary:
		return n.op
	case nBetween:
		return "between"
	case nIn:
		return "in"
	case nLike:
		return "like"
	case nIs:
		return "is"
	case nCall:
		return n.op
	}
	return astName(n)
}

// astName is the name of n's kind in PartiQL's AST (PartiqlAst), as DynamoDB
// names what it does not run ("Unsupported operation: IsType", confirmed).
func astName(n *node) string {
	switch n.kind {
	case nLit:
		return "Lit"
	case nMissing:
		return "Missing"
	case nParam:
		return "Parameter"
	case nID:
		return "Id"
	case nPath:
		return "Path"
	case nUnary:
		return map[string]string{"not": "Not", "-": "Neg", "+": "Pos"}[n.op]
	case nBinary:
		if name, ok := binaryNames[n.op]; ok {
			return name
		}
		return "BagOp"
	case nBetween:
		return "Between"
	case nIn:
		return "InCollection"
	case nLike:
		return "Like"
	case nIs:
		return "IsType"
	case nCall:
		if n.op == "count" || n.op == "avg" || n.op == "max" || n.op == "min" || n.op == "sum" {
			return "CallAgg"
		}
		return "Call"
	case nList:
		return "List"
	case nBag:
		return "Bag"
	case nStruct:
		return "Struct"
	case nSelect:
		return "Select"
	}
	return "Dml"
}

var binaryNames = map[string]string{"+": "Plus", "-": "Minus", "*": "Times", "/": "Divide", "%": "Modulo", "||": "Concat",
	"and": "And", "or": "Or", "=": "Eq", "<>": "Ne", "<": "Lt", "<=": "Lte", ">": "Gt", ">=": "Gte"}

// exprNodeName is the name of n's class in the older AST (ExprNode) that
// DynamoDB's value conversion and ORDER BY checks name in their messages.
func exprNodeName(n *node) string {
	switch n.kind {
	case nLit:
		return "Literal"
	case nMissing:
		return "LiteralMissing"
	case nParam:
		return "Parameter"
	case nID:
		return "VariableReference"
	case nPath:
		return "Path"
	case nList, nBag:
		return "Seq"
	case nStruct:
		return "Struct"
	case nIs:
		return "Typed"
	case nCall:
		if astName(n) == "CallAgg" {
			return "CallAgg"
		}
	case nSelect:
		return "Select"
	}
	return "NAry"
}
