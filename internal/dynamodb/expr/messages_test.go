package expr

import (
	"strings"
	"testing"
)

// parseAs parses src as the expression kind names, for the message tables.
func parseAs(kind, src string, p *Params) error {
	var err error
	switch kind {
	case "cond":
		_, err = ParseCondition("ConditionExpression", src, p)
	case "filter":
		_, err = ParseCondition("FilterExpression", src, p)
	case "update":
		_, err = ParseUpdate(src, p)
	case "proj":
		_, err = ParseProjection(src, p)
	case "key":
		_, err = ParseKeyCondition(src, p)
	default:
		panic(kind)
	}
	return err
}

type messageCase struct {
	kind  string // cond, filter, update, proj, key
	src   string
	names map[string]string
	want  string // the whole message
}

// short is s cut to a readable subtest name.
func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func runMessages(t *testing.T, cases []messageCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.kind+"/"+short(tc.src), func(t *testing.T) {
			err := parseAs(tc.kind, tc.src, params(t, tc.names, ""))
			if err == nil {
				t.Fatalf("parsed; want %q", tc.want)
			}
			if got := message(t, err); got != tc.want {
				t.Errorf("message\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

const (
	ce = "Invalid ConditionExpression: "
	fe = "Invalid FilterExpression: "
	ue = "Invalid UpdateExpression: "
	pe = "Invalid ProjectionExpression: "
	ke = "Invalid KeyConditionExpression: "
)

func TestSyntaxErrors(t *testing.T) {
	runMessages(t, []messageCase{
		// Recorded from AWS by others (see lex.go's syntaxError).
		{"update", "INVALID SYNTAX HERE", nil, ue + `Syntax error; token: "INVALID", near: "INVALID SYNTAX"`},
		{"update", "ADD hits : incr", nil, ue + `Syntax error; token: ":", near: "hits : incr"`},
		{"update", "SET _123 = :s", nil, ue + `Syntax error; token: "_", near: "SET _123"`},
		{"proj", "a,", nil, pe + `Syntax error; token: "<EOF>", near: ","`},
		{"proj", "a b", nil, pe + `Syntax error; token: "b", near: "a b"`},
		{"proj", "!!! INVALID !!!", nil, pe + `Syntax error; token: "!", near: "!!"`},
		{"cond", "attribute_type()", nil, ce + `Syntax error; token: ")", near: "()"`},
		// The same rule elsewhere.
		{"cond", "a = ", nil, ce + `Syntax error; token: "<EOF>", near: "="`},
		{"cond", "a", nil, ce + `Syntax error; token: "<EOF>", near: "a"`},
		{"filter", "things are not gonna be ok", nil, fe + `Syntax error; token: "are", near: "things are not"`},
		{"filter", "a > 4", nil, fe + `Syntax error; token: "4", near: "> 4"`},
		{"filter", "a in b, c", nil, fe + `Syntax error; token: "b", near: "in b,"`},
		{"filter", "a in (b,c,)", nil, fe + `Syntax error; token: ")", near: ",)"`},
		{"filter", "a > between", nil, fe + `Syntax error; token: "between", near: "> between"`},
		{"filter", "a.and = :s", nil, fe + `Syntax error; token: "and", near: ".and ="`},
		{"filter", "ü > a", nil, fe + `Syntax error; token: "ü", near: "ü >"`},
		{"filter", "#$.b > a", nil, fe + `Syntax error; token: "#", near: "#$"`},
		{"filter", "size(a).b > a", nil, fe + `Syntax error; token: ".", near: ").b"`},
		{"filter", "(size(a)).b > a", nil, fe + `Syntax error; token: ".", near: ").b"`},
		{"filter", "b[:a] > a", nil, fe + `Syntax error; token: ":a", near: "[:a]"`},
		{"filter", "b[1.5] > a", nil, fe + `Syntax error; token: ".", near: "1.5"`},
		{"filter", "(a = :s", nil, fe + `Syntax error; token: "<EOF>", near: ":s"`},
		{"filter", "a = :s)", nil, fe + `Syntax error; token: ")", near: ":s)"`},
		{"filter", "a BETWEEN :s", nil, fe + `Syntax error; token: "<EOF>", near: ":s"`},
		{"filter", "a = :s AND", nil, fe + `Syntax error; token: "<EOF>", near: "AND"`},
		{"filter", "a = :", nil, fe + `Syntax error; token: ":", near: "= :"`},
		{"filter", "_f(a)", nil, fe + `Syntax error; token: "_", near: "_f"`},
		{"update", "SET", nil, ue + `Syntax error; token: "<EOF>", near: "SET"`},
		{"update", "SET a", nil, ue + `Syntax error; token: "<EOF>", near: "a"`},
		{"update", "SET a = :s + :s + :s", nil, ue + `Syntax error; token: "+", near: ":s + :s"`},
		{"update", "SET a = :s, REMOVE b", nil, ue + `Syntax error; token: "REMOVE", near: ", REMOVE b"`},
		{"update", "SET c = if_not_exists(c, :one+:two)", nil, ue + `Syntax error; token: "+", near: ":one+:two"`},
		{"update", "SET a[:x] = :s", nil, ue + `Syntax error; token: ":x", near: "[:x]"`},
		{"update", "SET a[#x] = :s", nil, ue + `Syntax error; token: "#x", near: "[#x]"`},
		{"update", "SET :a = :s", nil, ue + `Syntax error; token: ":a", near: "SET :a ="`},
		{"update", "SET a = _f(b)", nil, ue + `Syntax error; token: "_", near: "= _f"`},
		{"update", "HELLO b = :s", nil, ue + `Syntax error; token: "HELLO", near: "HELLO b"`},
		{"update", "ADD a b", nil, ue + `Syntax error; token: "b", near: "a b"`},
		{"update", "   ", nil, ue + `Syntax error; token: "<EOF>", near: ""`},
		{"key", "pk = ", nil, ke + `Syntax error; token: "<EOF>", near: "="`},
	})
}

func TestConditionMessages(t *testing.T) {
	hundredAndOne := make([]string, 101)
	for i := range hundredAndOne {
		hundredAndOne[i] = ":s"
	}
	deep := "a" + strings.Repeat("[0]", 32) // 33 elements
	runMessages(t, []messageCase{
		{"cond", "", nil, ce + "The expression can not be empty;"},
		{"filter", strings.Repeat(" ", 4091) + "a = :s", nil, fe + "Expression size has exceeded the maximum allowed size; expression size: 4097"},
		{"filter", strings.Repeat("NOT ", 300) + "a = :s", nil, fe + "The expression contains too many operators; operator count: 301"},
		{"filter", "a IN (" + strings.Join(hundredAndOne, ", ") + ")", nil, fe + "The IN operator is provided with too many operands; number of operands: 101"},
		{"filter", deep + " = :s", nil, fe + "The document path has too many nesting levels; nesting levels: 33"},
		{"filter", "a[99999999999] = :s", nil, fe + "List index is not within the allowable range; index: 99999999999"},

		// Redundant parentheses, the first class of all.
		{"cond", "((attribute_not_exists(pk)))", nil, ce + "The expression has redundant parentheses;"},
		{"filter", "((a = :s))", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "a=a and a > ((views))", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "(a)between(((b.c)).d)and(c)", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "a > whatever((:s), ((a)))", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "a=a AND ((a=a AND a=a)) AND a=a", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "a=a OR ((a=a OR (a=a OR a=a)))", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "NOT ((a = :s))", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "(((a = :s)) OR b = :s)", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "size(((a))) > :one", nil, fe + "The expression has redundant parentheses;"},

		// Function names: any name parses, and is case-sensitive.
		{"filter", "foo(a)", nil, fe + "Invalid function name; function: foo"},
		{"filter", "a=a and whatever((:s)) > a", nil, fe + "Invalid function name; function: whatever"},
		{"filter", "attRIbute_exIsts((views), #a)", nil, fe + "Invalid function name; function: attRIbute_exIsts"},
		{"filter", "a < f(f(f(b)))", nil, fe + "Invalid function name; function: f"},

		// Functions where they do not belong.
		{"filter", "a=a and attribute_exists((views), (#a)) > b", nil, fe + "The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"filter", "attribute_type(things, :s) > b", nil, fe + "The function is not allowed to be used this way in an expression; function: attribute_type"},
		{"filter", "begins_with(things, a) > b", nil, fe + "The function is not allowed to be used this way in an expression; function: begins_with"},
		{"filter", "contains(:s, c) > b", nil, fe + "The function is not allowed to be used this way in an expression; function: contains"},
		{"filter", "size(contains(a, b)) > a", nil, fe + "The function is not allowed to be used this way in an expression; function: contains"},
		{"filter", "size(things)", nil, fe + "The function is not allowed to be used this way in an expression; function: size"},
		{"filter", "(size(things))", nil, fe + "The function is not allowed to be used this way in an expression; function: size"},
		{"filter", "a = :s AND NOT size(things)", nil, fe + "The function is not allowed to be used this way in an expression; function: size"},
		{"filter", "a between b and attribute_exists(things)", nil, fe + "The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"filter", "a in (b, attribute_exists(things))", nil, fe + "The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"filter", "attribute_exists(status) = :s", nil, fe + "The function is not allowed to be used this way in an expression; function: attribute_exists"},

		// Reserved words, as written.
		{"cond", "status = :s", nil, ce + "Attribute name is a reserved keyword; reserved keyword: status"},
		{"filter", ":s < abOrT", nil, fe + "Attribute name is a reserved keyword; reserved keyword: abOrT"},
		{"filter", "m.Status = :s", nil, fe + "Attribute name is a reserved keyword; reserved keyword: Status"},
		{"filter", "attribute_exists(views, #a)", nil, fe + "Attribute name is a reserved keyword; reserved keyword: views"},

		// Placeholders: the first undefined one in the expression, name or value.
		{"cond", "#n = :s", nil, ce + "An expression attribute name used in the document path is not defined; attribute name: #n"},
		{"cond", "a = :nope", nil, ce + "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"filter", "begins_with(:hello, #a, #b)", nil, fe + "An expression attribute value used in expression is not defined; attribute value: :hello"},
		{"filter", "attribute_exists(#Pictures.RearView, :s) and a=a", nil, fe + "An expression attribute name used in the document path is not defined; attribute name: #Pictures"},
		{"filter", "(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", nil, fe + "An expression attribute name used in the document path is not defined; attribute name: #P"},
		{"filter", "(a)between(b.c[45].#d)and(:s)", nil, fe + "An expression attribute name used in the document path is not defined; attribute name: #d"},
		{"filter", "#_ > a", nil, fe + "An expression attribute name used in the document path is not defined; attribute name: #_"},

		// Numbers of operands.
		{"filter", "attribute_exists(things, a) and a=a", nil, fe + "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
		{"filter", "attribute_type(things)", nil, fe + "Incorrect number of operands for operator or function; operator or function: attribute_type, number of operands: 1"},
		{"filter", "begins_with(things, size(a), b)", nil, fe + "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3"},
		{"filter", "contains(things)", nil, fe + "Incorrect number of operands for operator or function; operator or function: contains, number of operands: 1"},
		{"filter", "size(things, a) > b", nil, fe + "Incorrect number of operands for operator or function; operator or function: size, number of operands: 2"},
		{"cond", "begins_with(a)", nil, ce + "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"},

		// A path compared with itself.
		{"filter", "a = a AND #a = b AND :s > a", map[string]string{"#a": "a"}, fe + "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{"filter", "#a <> a", map[string]string{"#a": "a"}, fe + "The first operand must be distinct from the remaining operands for this operator or function; operator: <>, first operand: [a]"},
		{"filter", "((a=a) OR (a=a))", nil, fe + "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{"filter", "contains(ab.bc[1].a, ab.bc[1].#a)", map[string]string{"#a": "a"}, fe + "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [ab, bc, [1], a]"},
		{"cond", "contains(#a, #a)", map[string]string{"#a": "data"}, ce + "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [data]"},

		// Operand types.
		{"filter", "attribute_type(a, size(a)) and a=a and a=:s", nil, fe + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
		{"filter", "attribute_type(a, :n5)", nil, fe + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
		{"filter", "attribute_type(a, :l)", nil, fe + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: L"},
		{"filter", "attribute_type(a, b)", nil, fe + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"},
		{"filter", "attribute_type(a, :x)", nil, fe + "Invalid attribute type name found; type: x, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
		{"filter", "begins_with(a, :n5)", nil, fe + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"filter", "begins_with(a, size(a)) and a=:s", nil, fe + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"filter", "begins_with(:ssA, a)", nil, fe + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: SS"},
		{"filter", "begins_with(a, :t)", nil, fe + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: BOOL"},
		{"filter", "size(size(a)) > :s", nil, fe + "Incorrect operand type for operator or function; operator or function: size, operand type: N"},
		{"filter", "attribute_not_exists(size(:n5))", nil, fe + "Incorrect operand type for operator or function; operator or function: size, operand type: N"},
		{"filter", "size(:t) > a", nil, fe + "Incorrect operand type for operator or function; operator or function: size, operand type: BOOL"},
		{"filter", "size(:null) > a", nil, fe + "Incorrect operand type for operator or function; operator or function: size, operand type: NULL"},
		{"filter", "attribute_exists(:s) and a=a", nil, fe + "Operator or function requires a document path; operator or function: attribute_exists"},
		{"filter", "attribute_not_exists(size(:s))", nil, fe + "Operator or function requires a document path; operator or function: attribute_not_exists"},
		{"cond", "a < :l", nil, ce + "Incorrect operand type for operator or function; operator or function: <, operand type: L"},
		{"cond", ":ssA >= a", nil, ce + "Incorrect operand type for operator or function; operator or function: >=, operand type: SS"},
		{"cond", "a BETWEEN :t AND :t", nil, ce + "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL"},

		// BETWEEN's bounds.
		{"cond", "a BETWEEN :n20 AND :n5", nil, ce + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:20}, upper bound operand: AttributeValue: {N:5}"},
		{"cond", "a BETWEEN :n5 AND :s", nil, ce + "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:hello}"},
		{"cond", "a BETWEEN :b AND :bpre", nil, ce + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {B:aGVsbG8=}, upper bound operand: AttributeValue: {B:aGVs}"},

		// The order of the classes: each beats the ones after it.
		{"filter", "((a = a)) AND foo(b)", nil, fe + "The expression has redundant parentheses;"},
		{"filter", "attribute_exists(b) = :s AND foo(b)", nil, fe + "Invalid function name; function: foo"},
		{"filter", "status = :s AND attribute_exists(b) = :s", nil, fe + "The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"filter", "#nope = :s AND status = :s", nil, fe + "Attribute name is a reserved keyword; reserved keyword: status"},
		{"filter", "begins_with(a, :n5, :n5) AND #nope = :s", nil, fe + "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3"},
		{"filter", "begins_with(#nope, :n5, :n5)", nil, fe + "An expression attribute name used in the document path is not defined; attribute name: #nope"},
		{"filter", "begins_with(a, :n5) AND a = a", nil, fe + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"filter", "a = a AND begins_with(a, :n5)", nil, fe + "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{"filter", "contains(a, a) AND begins_with(:n5, b, c)", nil, fe + "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a]"},
		{"filter", "begins_with(a, :n5) AND contains(#a, a)", map[string]string{"#a": "a"}, fe + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
	})
}

func TestUpdateMessages(t *testing.T) {
	runMessages(t, []messageCase{
		{"update", "", nil, ue + "The expression can not be empty;"},
		{"update", "SET a = :s" + strings.Repeat(" ", 4087), nil, ue + "Expression size has exceeded the maximum allowed size; expression size: 4097"},
		{"update", "SET status = :s", nil, ue + "Attribute name is a reserved keyword; reserved keyword: status"},
		{"update", "SET a = status", nil, ue + "Attribute name is a reserved keyword; reserved keyword: status"},
		{"update", "SET a = f(b, c, d)", nil, ue + "Invalid function name; function: f"},
		{"update", "SET a = LIST_APPEND(:l, :l2)", nil, ue + "Invalid function name; function: LIST_APPEND"},
		{"update", "SET a = list_append(list_append(:l, :l2), :l2)", nil, ue + "The function is not allowed to be used this way in an expression; function: list_append"},
		{"update", "SET a = :s SET b = :s", nil, ue + `The "SET" section can only be used once in an update expression;`},
		{"update", "REMOVE a SET b = :s REMOVE c", nil, ue + `The "REMOVE" section can only be used once in an update expression;`},
		{"update", "SET #n = :s", nil, ue + "An expression attribute name used in the document path is not defined; attribute name: #n"},
		{"update", "SET a = :nope", nil, ue + "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"update", "SET a = :nope, #n = :s", nil, ue + "An expression attribute name used in the document path is not defined; attribute name: #n"},
		{"update", "SET b = if_not_exists(:nope, :s)", nil, ue + "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"update", "SET a = :s REMOVE a", nil, ue + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"update", "SET a = :s, a = :x", nil, ue + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"update", "SET #a1 = :s, #a2 = :x", map[string]string{"#a1": "a", "#a2": "a"}, ue + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"update", "SET a.b = :s, a = :x", nil, ue + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"},
		{"update", "SET a[1][1] = :s ADD a[1] :one", nil, ue + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [1], [1]], path two: [a, [1]]"},
		{"update", "SET a.b = :s, a[1] = :x", nil, ue + "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"},
		{"update", "SET a.b.c = :s, a.b[2] = :x", nil, ue + "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b, c], path two: [a, b, [2]]"},
		{"update", "SET a.b = :s, a[1] = :x, a = :z", nil, ue + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"},
		{"update", "ADD a :s", nil, ue + "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
		{"update", "ADD a :b", nil, ue + "Incorrect operand type for operator or function; operator: ADD, operand type: BINARY"},
		{"update", "ADD a :l", nil, ue + "Incorrect operand type for operator or function; operator: ADD, operand type: LIST"},
		{"update", "ADD a :m", nil, ue + "Incorrect operand type for operator or function; operator: ADD, operand type: MAP"},
		{"update", "ADD a :null", nil, ue + "Incorrect operand type for operator or function; operator: ADD, operand type: NULL"},
		{"update", "DELETE a :n5", nil, ue + "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"},
		{"update", "DELETE a :t", nil, ue + "Incorrect operand type for operator or function; operator: DELETE, operand type: BOOLEAN"},
		{"update", "SET a = list_append(:l)", nil, ue + "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"},
		{"update", "SET a = if_not_exists(a, :s, :x)", nil, ue + "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 3"},
		{"update", "SET b = if_not_exists(:s, :x)", nil, ue + "Operator or function requires a document path; operator or function: if_not_exists"},
		{"update", "SET b = if_not_exists(if_not_exists(a, :s), :x)", nil, ue + "Operator or function requires a document path; operator or function: if_not_exists"},
		{"update", "SET a = list_append(:l, :s)", nil, ue + "Incorrect operand type for operator or function; operator or function: list_append, operand type: S"},
		{"update", "SET a = :s + :one", nil, ue + "Incorrect operand type for operator or function; operator or function: +, operand type: S"},
		{"update", "SET a = :one - :l", nil, ue + "Incorrect operand type for operator or function; operator or function: -, operand type: L"},
		// The order of the classes.
		{"update", "SET status = f(:nope)", nil, ue + "Attribute name is a reserved keyword; reserved keyword: status"},
		{"update", "SET a = f(:nope) SET b = :s", nil, ue + "Invalid function name; function: f"},
		{"update", "SET a = :nope SET b = :s", nil, ue + `The "SET" section can only be used once in an update expression;`},
		{"update", "SET a = :nope, a = :s", nil, ue + "An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"update", "ADD a :s, a :s", nil, ue + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"update", "SET a = :s + :one ADD b :s", nil, ue + "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
	})
}

func TestProjectionMessages(t *testing.T) {
	runMessages(t, []messageCase{
		{"proj", "", nil, pe + "The expression can not be empty;"},
		{"proj", strings.Repeat("a", 4097), nil, pe + "Expression size has exceeded the maximum allowed size; expression size: 4097"},
		{"proj", "a, status", nil, pe + "Attribute name is a reserved keyword; reserved keyword: status"},
		{"proj", "and", nil, pe + "Attribute name is a reserved keyword; reserved keyword: and"},
		{"proj", "a, #n", nil, pe + "An expression attribute name used in the document path is not defined; attribute name: #n"},
		{"proj", "a, a", nil, pe + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"proj", "a.b, c, a", nil, pe + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"},
		{"proj", "a.b, a[0]", nil, pe + "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"},
		{"proj", "#n, status", nil, pe + "Attribute name is a reserved keyword; reserved keyword: status"},
	})
}

func TestKeyConditionMessages(t *testing.T) {
	runMessages(t, []messageCase{
		{"key", "", nil, ke + "The expression can not be empty;"},
		{"key", "a = a", nil, ke + "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{"key", "attribute_type(a, b)", nil, ke + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"},
		{"key", "a between :n5 and :s", nil, ke + "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:hello}"},
		{"key", "a between :n20 and :n5", nil, ke + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:20}, upper bound operand: AttributeValue: {N:5}"},
		{"key", "begins_with(a, :n5)", nil, ke + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		// The structure of a key condition, as dynalite's tests record it.
		{"key", "attribute_type(a, :S)", nil, "Invalid operator used in KeyConditionExpression: attribute_type"},
		{"key", "a > b and size(b) > c or a > c", nil, "Invalid operator used in KeyConditionExpression: OR"},
		{"key", "a in (b, size(c), d)", nil, "Invalid operator used in KeyConditionExpression: IN"},
		{"key", "attribute_exists(a)", nil, "Invalid operator used in KeyConditionExpression: attribute_exists"},
		{"key", "attribute_not_exists(a)", nil, "Invalid operator used in KeyConditionExpression: attribute_not_exists"},
		{"key", "contains(a.d, b)", nil, "Invalid operator used in KeyConditionExpression: contains"},
		{"key", "not a > b", nil, "Invalid operator used in KeyConditionExpression: NOT"},
		{"key", "a <> b", nil, "Invalid operator used in KeyConditionExpression: <>"},
		{"key", ":a between size(b) and size(a) and b > :s", nil, "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"},
		{"key", "begins_with(:a, b) and a > :s", nil, "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"},
		{"key", "size(b) > a AND a.b > b AND b > c", nil, "KeyConditionExpressions cannot contain nested operations"},
		{"key", "a > size(b.d)", nil, "KeyConditionExpressions cannot contain nested operations"},
		{"key", "b > a.b", nil, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{"key", "b between c[1] and d", nil, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{"key", "a between b and size(a)", nil, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{"key", "begins_with(a, b)", nil, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{"key", "b.d > a AND c.d > e.f", nil, ke + "KeyConditionExpressions cannot have conditions on nested attributes"},
		{"key", "b[0] > :s", nil, ke + "KeyConditionExpressions cannot have conditions on nested attributes"},
		{"key", "#pk = :s AND #sk.foo = :x", map[string]string{"#pk": "pk", "#sk": "sk"}, ke + "KeyConditionExpressions cannot have conditions on nested attributes"},
		{"key", ":n5 > :one AND a < :n5", nil, "Invalid condition in KeyConditionExpression: No key attribute specified"},
		{"key", "b > :one AND b < :n5 and c = :one and d = :one", nil, "KeyConditionExpressions must only contain one condition per key"},
		{"key", "(a > :one and b > :one) and (b > :one and c > :one)", nil, "KeyConditionExpressions must only contain one condition per key"},
		{"key", ":s = a and b = :s and :s = c", nil, "Conditions can be of length 1 or 2 only"},
		{"key", "a < :ssA", nil, ke + "Incorrect operand type for operator or function; operator or function: <, operand type: SS"},
	})
}

func TestParamsMessages(t *testing.T) {
	vals := item(t, `{":a": {"S": "x"}}`)
	tests := []struct {
		names map[string]string
		vals  map[string]bool // nil: vals; empty: an empty map
		want  string
	}{
		{map[string]string{}, nil, "ExpressionAttributeNames must not be empty"},
		{nil, map[string]bool{}, "ExpressionAttributeValues must not be empty"},
		{map[string]string{"a": "a"}, nil, `ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
		{map[string]string{"#ok": "a", "#a-b": "a"}, nil, `ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b"`},
		{map[string]string{"#": "a"}, nil, `ExpressionAttributeNames contains invalid key: Syntax error; key: "#"`},
		{nil, map[string]bool{"v": true}, `ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`},
		{map[string]string{"a": "a"}, map[string]bool{}, `ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
	}
	for _, tc := range tests {
		v := vals
		if tc.vals != nil {
			v = item(t, `{}`)
			for k := range tc.vals {
				v[k] = vals[":a"]
			}
		}
		p := NewParams(tc.names, v)
		for _, kind := range []string{"cond", "update", "proj", "key"} {
			err := parseAs(kind, "a = :a", p)
			if kind == "update" {
				err = parseAs(kind, "SET a = :a", p)
			}
			if kind == "proj" {
				err = parseAs(kind, "a", p)
			}
			if err == nil || message(t, err) != tc.want {
				t.Errorf("%s with %v, %v: %v, want %q", kind, tc.names, tc.vals, err, tc.want)
			}
		}
		if err := p.Unused(); err == nil || message(t, err) != tc.want {
			t.Errorf("Unused with %v, %v: %v, want %q", tc.names, tc.vals, err, tc.want)
		}
	}
}

// TestAccepted lists expressions DynamoDB accepts that look close to ones
// it refuses.
func TestAccepted(t *testing.T) {
	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = ":s"
	}
	for _, tc := range []struct{ kind, src string }{
		{"filter", "size((s)) = :n5"},
		{"filter", "s IN ((:s), :x)"},
		{"filter", "((s = :s) OR (n = :n5))"},
		{"filter", "s IN (" + strings.Join(hundred, ", ") + ")"},
		{"filter", strings.Repeat("NOT ", 299) + "s = :s"},
		{"filter", "a" + strings.Repeat("[0]", 31) + " = :s"},
		{"filter", strings.Repeat(" ", 4090) + "s = :s"},
		{"filter", "attribute_type(a, :S) AND attribute_type(b, :SS)"},
		{"filter", "size(:s) > :one"},
		{"filter", ":s = :s"},
		{"update", "set b = :s"},
		{"update", "  SeT   b=:s  "},
		{"update", "SET a = list_append(if_not_exists(a, :empty), :l)"},
		{"update", "SET b = if_not_exists(b, :one)+:two"},
		{"update", "SET a = (:one + :two)"},
		{"update", "SET a = (:one) + (:two)"},
		{"update", "SET a = :s REMOVE b ADD c :one DELETE d :ssA"},
		{"update", "SET a.b = :s, a.c.d = :x, b.x = :one REMOVE a.x, b.y"},
		{"update", "SET a = if_not_exists(b, if_not_exists(c, :s))"},
		{"update", "REMOVE a[1], a[2]"},
		{"update", "SET #Alpha_Numeric_123 = :s, #123 = :x, #_ = :one"},
		{"proj", "a, b.c, d[1], d[2].e"},
		{"key", "((pk = :s)) AND ((sk = :a))"},
		{"key", "(pk = :s AND sk > :a)"},
	} {
		names := map[string]string{"#Alpha_Numeric_123": "x1", "#123": "x2", "#_": "x3"}
		if err := parseAs(tc.kind, tc.src, params(t, names, "")); err != nil {
			t.Errorf("%s %q: %v", tc.kind, tc.src, err)
		}
	}
}
