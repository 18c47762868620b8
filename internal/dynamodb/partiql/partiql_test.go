package partiql

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
)

func num(s string) attr.Value {
	v, err := attr.Num(s)
	if err != nil {
		panic(err)
	}
	return v
}

func str(s string) attr.Value { return attr.Str(s) }

func list(vs ...attr.Value) attr.Value { return attr.Value{Kind: attr.L, List: vs} }

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// differences lists the fields in which got is not want.
func differences(got, want *Statement) []string {
	var d []string
	field := func(name string, ok bool, g, w any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s = %s, want %s", name, js(g), js(w)))
		}
	}
	field("Kind", got.Kind == want.Kind, got.Kind, want.Kind)
	field("Table", got.Table == want.Table, got.Table, want.Table)
	field("Index", got.Index == want.Index, got.Index, want.Index)
	field("Where", got.Where == want.Where, got.Where, want.Where)
	field("Names", fmt.Sprint(got.Names) == fmt.Sprint(want.Names) && (got.Names == nil) == (want.Names == nil), got.Names, want.Names)
	field("Values", attr.ItemsEqual(got.Values, want.Values) && (got.Values == nil) == (want.Values == nil), got.Values, want.Values)
	field("Equal", attr.ItemsEqual(got.Equal, want.Equal) && (got.Equal == nil) == (want.Equal == nil), got.Equal, want.Equal)
	field("Range", js(got.Range) == js(want.Range), got.Range, want.Range)
	field("Projection", got.Projection == want.Projection, got.Projection, want.Projection)
	field("OrderBy", slices.Equal(got.OrderBy, want.OrderBy), got.OrderBy, want.OrderBy)
	field("Descending", got.Descending == want.Descending, got.Descending, want.Descending)
	field("Item", attr.ItemsEqual(got.Item, want.Item) && (got.Item == nil) == (want.Item == nil), got.Item, want.Item)
	field("Update", got.Update == want.Update, got.Update, want.Update)
	field("Returning", got.Returning == want.Returning, got.Returning, want.Returning)
	return d
}

// checkExpressions parses what a statement was rewritten into with the
// parsers the service runs it through, so that a rewrite outside their
// grammar fails here.
func checkExpressions(t *testing.T, st *Statement) {
	t.Helper()
	ps := expr.NewParams(st.Names, st.Values)
	if st.Where != "" {
		if _, err := expr.ParseCondition("ConditionExpression", st.Where, ps); err != nil {
			t.Errorf("Where %q: %v", st.Where, err)
		}
	}
	if st.Update != "" {
		if _, err := expr.ParseUpdate(st.Update, ps); err != nil {
			t.Errorf("Update %q: %v", st.Update, err)
		}
	}
	if st.Projection != "" {
		if _, err := expr.ParseProjection(st.Projection, ps); err != nil {
			t.Errorf("Projection %q: %v", st.Projection, err)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stmt   string
		params []attr.Value
		want   Statement
	}{
		{"the brief's example", `SELECT * FROM "Music" WHERE "a" = 'x' AND b.c > 5`, nil, Statement{
			Kind: Select, Table: "Music", Where: "#p0 = :p0 AND #p1.#p2 > :p1",
			Names:  map[string]string{"#p0": "a", "#p1": "b", "#p2": "c"},
			Values: attr.Item{":p0": str("x"), ":p1": num("5")},
			Equal:  map[string]attr.Value{"a": str("x")},
		}},
		{"select by key with a parameter", `SELECT * FROM Music WHERE Artist = 'Acme' AND SongTitle >= ?`, []attr.Value{str("M")}, Statement{
			Kind: Select, Table: "Music", Where: "#p0 = :p0 AND #p1 >= :p1",
			Names:  map[string]string{"#p0": "Artist", "#p1": "SongTitle"},
			Values: attr.Item{":p0": str("Acme"), ":p1": str("M")},
			Equal:  map[string]attr.Value{"Artist": str("Acme")},
			Range:  map[string]RangeCond{"SongTitle": {">=", []attr.Value{str("M")}}},
		}},
		{"keywords in any case, projection, index, ORDER BY DESC",
			`select a, b.c[2], "d"['e'] from Music."ByYear" where "Year" between 1990 and 2000 order by "Year" desc`, nil, Statement{
				Kind: Select, Table: "Music", Index: "ByYear", Projection: "#p0, #p1.#p2[2], #p3.#p4", Where: "#p5 BETWEEN :p0 AND :p1",
				Names:   map[string]string{"#p0": "a", "#p1": "b", "#p2": "c", "#p3": "d", "#p4": "e", "#p5": "Year"},
				Values:  attr.Item{":p0": num("1990"), ":p1": num("2000")},
				Range:   map[string]RangeCond{"Year": {"BETWEEN", []attr.Value{num("1990"), num("2000")}}},
				OrderBy: []string{"Year"}, Descending: true,
			}},
		{"ORDER BY ASC, and an index of quoted names", `SELECT * FROM "Music"."By-Year" WHERE pk = 1 ORDER BY pk, sk ASC`, nil, Statement{
			Kind: Select, Table: "Music", Index: "By-Year", Where: "#p0 = :p0",
			Names: map[string]string{"#p0": "pk"}, Values: attr.Item{":p0": num("1")}, Equal: map[string]attr.Value{"pk": num("1")},
			OrderBy: []string{"pk", "sk"},
		}},
		{"quoting: quoted names keep their case and dots, and one name has one placeholder",
			`SELECT "Artist", artist, "a.b" FROM "Music" WHERE "Artist" = 'x' OR artist = 'y'`, nil, Statement{
				Kind: Select, Table: "Music", Projection: "#p0, #p1, #p2", Where: "#p0 = :p0 OR #p1 = :p1",
				Names:  map[string]string{"#p0": "Artist", "#p1": "artist", "#p2": "a.b"},
				Values: attr.Item{":p0": str("x"), ":p1": str("y")},
			}},
		{"paths", `SELECT a.b, l[0], m['k'], "q"."r", x[1].y[2] FROM "Music"`, nil, Statement{
			Kind: Select, Table: "Music", Projection: "#p0.#p1, #p2[0], #p3.#p4, #p5.#p6, #p7[1].#p8[2]",
			Names: map[string]string{"#p0": "a", "#p1": "b", "#p2": "l", "#p3": "m", "#p4": "k", "#p5": "q", "#p6": "r", "#p7": "x", "#p8": "y"},
		}},
		{"comments, a semicolon, strings with quotes and question marks",
			"SELECT * FROM \"Music\" -- the table\n WHERE /* a comment */ a = 'it''s ?';", nil, Statement{
				Kind: Select, Table: "Music", Where: "#p0 = :p0",
				Names: map[string]string{"#p0": "a"}, Values: attr.Item{":p0": str("it's ?")}, Equal: map[string]attr.Value{"a": str("it's ?")},
			}},
		{"WHERE's functions and operators",
			`SELECT * FROM "Music" WHERE a IS MISSING AND b IS NOT MISSING AND c IS NULL AND d IS NOT NULL AND e IS BOOLEAN AND f IS STRING
			AND g IN ('x', 'y') AND h NOT IN [1] AND i <> 1 AND j != 2 AND begins_with(k, 'p') AND contains(l, 'q')
			AND attribute_type(m, 'N') AND size(n) >= 3`, nil, Statement{
				Kind: Select, Table: "Music",
				Where: "attribute_not_exists(#p0) AND attribute_exists(#p1) AND attribute_type(#p2, :p0) AND NOT attribute_type(#p3, :p1) AND " +
					"attribute_type(#p4, :p2) AND attribute_type(#p5, :p3) AND #p6 IN (:p4, :p5) AND NOT #p7 IN (:p6) AND #p8 <> :p7 AND #p9 <> :p8 AND " +
					"begins_with(#p10, :p9) AND contains(#p11, :p10) AND attribute_type(#p12, :p11) AND size(#p13) >= :p12",
				Names: map[string]string{"#p0": "a", "#p1": "b", "#p2": "c", "#p3": "d", "#p4": "e", "#p5": "f", "#p6": "g", "#p7": "h",
					"#p8": "i", "#p9": "j", "#p10": "k", "#p11": "l", "#p12": "m", "#p13": "n"},
				Values: attr.Item{":p0": str("NULL"), ":p1": str("NULL"), ":p2": str("BOOL"), ":p3": str("S"), ":p4": str("x"), ":p5": str("y"),
					":p6": num("1"), ":p7": num("1"), ":p8": num("2"), ":p9": str("p"), ":p10": str("q"), ":p11": str("N"), ":p12": num("3")},
				Range: map[string]RangeCond{"k": {"BEGINS_WITH", []attr.Value{str("p")}}},
			}},
		{"precedence: parentheses where DynamoDB's grammar needs them; only top-level conjuncts are key conditions",
			`SELECT * FROM "Music" WHERE pk = 1 AND (b = 2 OR c = 3) AND NOT (d = 4 AND e = 5) AND NOT f BETWEEN 1 AND 2 AND 5 < sk`, nil, Statement{
				Kind: Select, Table: "Music",
				Where: "#p0 = :p0 AND (#p1 = :p1 OR #p2 = :p2) AND NOT (#p3 = :p3 AND #p4 = :p4) AND NOT #p5 BETWEEN :p5 AND :p6 AND :p7 < #p6",
				Names: map[string]string{"#p0": "pk", "#p1": "b", "#p2": "c", "#p3": "d", "#p4": "e", "#p5": "f", "#p6": "sk"},
				Values: attr.Item{":p0": num("1"), ":p1": num("2"), ":p2": num("3"), ":p3": num("4"), ":p4": num("5"), ":p5": num("1"),
					":p6": num("2"), ":p7": num("5")},
				Equal: map[string]attr.Value{"pk": num("1")},
				Range: map[string]RangeCond{"sk": {">", []attr.Value{num("5")}}},
			}},
		{"an OR at the top leaves no key", `SELECT * FROM "Music" WHERE pk = 1 AND sk = 2 OR pk = 3`, nil, Statement{
			Kind: Select, Table: "Music", Where: "#p0 = :p0 AND #p1 = :p1 OR #p0 = :p2",
			Names: map[string]string{"#p0": "pk", "#p1": "sk"}, Values: attr.Item{":p0": num("1"), ":p1": num("2"), ":p2": num("3")},
		}},
		{"the first of two conditions on one attribute is the key's", `SELECT * FROM "Music" WHERE pk = 'a' AND pk = 'b' AND sk < 9 AND sk > 1`, nil, Statement{
			Kind: Select, Table: "Music", Where: "#p0 = :p0 AND #p0 = :p1 AND #p1 < :p2 AND #p1 > :p3",
			Names: map[string]string{"#p0": "pk", "#p1": "sk"}, Values: attr.Item{":p0": str("a"), ":p1": str("b"), ":p2": num("9"), ":p3": num("1")},
			Equal: map[string]attr.Value{"pk": str("a")}, Range: map[string]RangeCond{"sk": {"<", []attr.Value{num("9")}}},
		}},
		{"literals of every type in WHERE", `SELECT * FROM "Music" WHERE a = [1, 'x'] AND b = {'k': TRUE} AND c = NULL AND d = false AND e = <<'s'>> AND f = -0.50e1`, nil, Statement{
			Kind: Select, Table: "Music", Where: "#p0 = :p0 AND #p1 = :p1 AND #p2 = :p2 AND #p3 = :p3 AND #p4 = :p4 AND #p5 = :p5",
			Names: map[string]string{"#p0": "a", "#p1": "b", "#p2": "c", "#p3": "d", "#p4": "e", "#p5": "f"},
			Values: attr.Item{":p0": list(num("1"), str("x")), ":p1": {Kind: attr.M, Map: map[string]attr.Value{"k": attr.Bool(true)}},
				":p2": attr.Null(), ":p3": attr.Bool(false), ":p4": {Kind: attr.SS, Set: []string{"s"}}, ":p5": num("-5")},
			Equal: map[string]attr.Value{"a": list(num("1"), str("x")), "b": {Kind: attr.M, Map: map[string]attr.Value{"k": attr.Bool(true)}},
				"c": attr.Null(), "d": attr.Bool(false), "e": {Kind: attr.SS, Set: []string{"s"}}, "f": num("-5")},
		}},
		{"INSERT with literals of every type", `INSERT INTO "Music" VALUE {'pk': 'it''s', 'n': -1.50, 'e': 15E-1, 'b': TRUE, 'f': false, 'z': NULL,
			'l': [1, 'x', [true]], 'm': {'k': <<'a', 'b'>>, 'ns': <<1, 2.0, -3>>}, 'em': {}, 'el': [], 'p': ?}`, []attr.Value{attr.Bin([]byte{1})}, Statement{
			Kind: Insert, Table: "Music",
			Item: attr.Item{"pk": str("it's"), "n": num("-1.5"), "e": num("1.5"), "b": attr.Bool(true), "f": attr.Bool(false), "z": attr.Null(),
				"l":  list(num("1"), str("x"), list(attr.Bool(true))),
				"m":  {Kind: attr.M, Map: map[string]attr.Value{"k": {Kind: attr.SS, Set: []string{"a", "b"}}, "ns": {Kind: attr.NS, Set: []string{"1", "2", "-3"}}}},
				"em": {Kind: attr.M, Map: map[string]attr.Value{}}, "el": list(), "p": attr.Bin([]byte{1})},
		}},
		{"UPDATE with every kind of SET, REMOVE and RETURNING",
			`UPDATE "Music" SET a = a + 1, b = list_append(b, [2]) SET c = set_add(c, <<'x'>>) REMOVE d[0] SET e = set_delete(e, ?), f = if_not_exists(f, 0) - ?
			WHERE pk = 'k' RETURNING MODIFIED NEW *`, []attr.Value{{Kind: attr.NS, Set: []string{"3"}}, num("2")}, Statement{
				Kind: Update, Table: "Music", Where: "#p6 = :p6", Returning: "MODIFIED_NEW",
				Update: "SET #p0 = #p0 + :p0, #p1 = list_append(#p1, :p1), #p5 = if_not_exists(#p5, :p4) - :p5 REMOVE #p3[0] ADD #p2 :p2 DELETE #p4 :p3",
				Names:  map[string]string{"#p0": "a", "#p1": "b", "#p2": "c", "#p3": "d", "#p4": "e", "#p5": "f", "#p6": "pk"},
				Values: attr.Item{":p0": num("1"), ":p1": list(num("2")), ":p2": {Kind: attr.SS, Set: []string{"x"}}, ":p3": {Kind: attr.NS, Set: []string{"3"}},
					":p4": num("0"), ":p5": num("2"), ":p6": str("k")},
				Equal: map[string]attr.Value{"pk": str("k")},
			}},
		{"UPDATE's other RETURNINGs", `UPDATE "Music" REMOVE a WHERE pk = 1 RETURNING ALL OLD *`, nil, Statement{
			Kind: Update, Table: "Music", Update: "REMOVE #p0", Where: "#p1 = :p0", Returning: "ALL_OLD",
			Names: map[string]string{"#p0": "a", "#p1": "pk"}, Values: attr.Item{":p0": num("1")}, Equal: map[string]attr.Value{"pk": num("1")},
		}},
		{"the FROM-first UPDATE", `FROM "Music" WHERE pk = 'a' SET v = 1 RETURNING MODIFIED OLD *`, nil, Statement{
			Kind: Update, Table: "Music", Update: "SET #p0 = :p0", Where: "#p1 = :p1", Returning: "MODIFIED_OLD",
			Names: map[string]string{"#p0": "v", "#p1": "pk"}, Values: attr.Item{":p0": num("1"), ":p1": str("a")},
			Equal: map[string]attr.Value{"pk": str("a")},
		}},
		{"an UPDATE without WHERE parses (the key check is the caller's)", `UPDATE "Music" SET a = b`, nil, Statement{
			Kind: Update, Table: "Music", Update: "SET #p0 = #p1", Names: map[string]string{"#p0": "a", "#p1": "b"},
		}},
		{"DELETE", `DELETE FROM "Music" WHERE pk = ? AND sk = ? RETURNING ALL OLD *`, []attr.Value{str("a"), num("1")}, Statement{
			Kind: Delete, Table: "Music", Where: "#p0 = :p0 AND #p1 = :p1", Returning: "ALL_OLD",
			Names: map[string]string{"#p0": "pk", "#p1": "sk"}, Values: attr.Item{":p0": str("a"), ":p1": num("1")},
			Equal: map[string]attr.Value{"pk": str("a"), "sk": num("1")},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Parse(tc.stmt, tc.params)
			if err != nil {
				t.Fatalf("%s: %v", tc.stmt, err)
			}
			for _, d := range differences(st, &tc.want) {
				t.Error(d)
			}
			checkExpressions(t, st)
		})
	}
}

func TestParseErrors(t *testing.T) {
	const wf = "Statement wasn't well formed, can't be processed: "
	one := []attr.Value{str("x")}
	for _, tc := range []struct {
		stmt   string
		params []attr.Value
		msg    string
	}{
		// Parameters.
		{`SELECT * FROM "Music" WHERE a = ?`, nil, "Number of parameters in request and statement don't match."},
		{`SELECT * FROM "Music" WHERE a = ? AND b = ?`, one, "Number of parameters in request and statement don't match."},
		{`SELECT * FROM "Music"`, one, "Number of parameters in request and statement don't match."},
		{`SELECT * FROM "Music" WHERE a = '?'`, one, "Number of parameters in request and statement don't match."},

		// What DynamoDB's parser refuses, in its words (confirmed against AWS).
		{`SLECT * FROM "Music"`, nil, wf + "Expected data manipulation"},
		{`UPDATE Payment-dev SET a = 1 WHERE pk = 1`, nil, wf + "Expected data manipulation"},
		{`UPDATE "Music" WHERE pk = 1`, nil, wf + "Expected data manipulation"},
		{`SELECT * FROM "Music" WHERE`, nil, wf + "Unexpected term"},
		{`SELECT * FROM "Music" WHERE;`, nil, wf + "Unexpected term"},
		{`SELECT * FROM "Music" WHERE NOT`, nil, wf + "Unexpected term"},
		{`SELECT * FROM "Music" WHERE (`, nil, wf + "Unexpected term"},
		{`SELECT * FROM`, nil, wf + "Unexpected term"},
		{`SELECT * FROM "Music" WHERE a IN ()`, nil, wf + "Unexpected term"},
		{`SELECT * FROM "Music" WHERE pk = 'p1' AND`, nil, wf + "Missing right-hand side expression of infix operator"},
		{`SELECT * FROM "Music" WHERE pk = 'p1' OR`, nil, wf + "Missing right-hand side expression of infix operator"},
		{`SELECT * FROM "Music" WHERE ORDER BY pk`, nil, wf + "Unexpected keyword"},
		{`SELECT * FROM "Music" WHERE pad = 'x'`, nil, wf + "Unexpected keyword"},
		{`CREATE TABLE "Music"`, nil, wf + "Unexpected keyword"},
		{`SELECT * FROM "Music" WHERE IS NULL`, nil, wf + "Unexpected operator"},
		{`SELECT * FROM "Music" WHERE pk = LIKE`, nil, wf + "Unexpected operator"},
		{`SELECT * FROM "Music" WHERE pk = 'a' AND x IS FOO`, nil, wf + "Expected type name"},
		{`DELETE FROM`, nil, wf + "Expected identifier for simple path"},
		{`DELETE FROM;`, nil, wf + "Expected identifier for simple path"},
		{`DELETE FROM WHERE pk = 'a'`, nil, wf + "Expected identifier for simple path"},
		{`UPDATE "Music" SET 'a' = 1 WHERE pk = 1`, nil, wf + "Expected identifier for simple path"},
		{`SELECT * FROM "Music" WHERE pk = 1 foo`, nil, wf + "Unexpected token after expression"},
		{`SELECT * FROM "Music" WHERE pk = 1 e5`, nil, wf + "Unexpected token after expression"},
		{`SELECT * FROM "Music" WHERE pk = 1)`, nil, wf + "Unexpected token after expression"},
		{`SELECT * FROM "Music" ORDER BY pk WHERE pk = 1`, nil, wf + "Unexpected token after expression"},
		{`DELETE FROM "Music" WHERE pk = 1 ORDER BY pk`, nil, wf + "Unexpected token after expression"},
		{`INSERT INTO "Music" VALUE {'pk': 1} foo`, nil, wf + "Unexpected token after expression"},
		{`INSERT INTO "Music" t VALUE {'pk': 'x'}`, nil, wf + "Unexpected token after expression"},
		{`UPDATE "Music" SET a = 9 WHERE pk = 1 foo`, nil, wf + "Unexpected token after expression"},
		{`UPDATE "Music" REMOVE a, b WHERE pk = 1`, nil, wf + "Unexpected token after expression"},
		{`FROM "Music" SET c = 1 WHERE pk = 'x'`, nil, wf + "Unexpected token after expression"},
		{`SELECT * FROM "Music" WHERE pk = 1; SELECT * FROM "Music"`, nil, wf + "Unexpected token after semicolon. (Only one query is allowed.)"},
		// The lexer's refusals say nothing after the colon (confirmed).
		{`SELECT * FROM "Music" WHERE pk = 1e2147483648`, nil, wf},
		{`SELECT * FROM "Music" WHERE pk = 1.5e-2147483647`, nil, wf},
		{`SELECT * FROM "Music" WHERE pk = 1 # note`, nil, wf},
		{`SELECT * FROM "Music" WHERE pk = 1 /* note`, nil, wf},
		{`SELECT * FROM "Music" WHERE a = 'x`, nil, wf},
		{`SELECT * FROM "Music WHERE a = 1`, nil, wf},
		// The parser's other words (SqlParser.kt).
		{`DELETE "Music" WHERE pk = 1`, nil, wf + "Expected FROM after DELETE"},
		{`SELECT * "Music"`, nil, wf + "Expected FROM after SELECT list"},
		{`UPDATE "Music" SET a 1 WHERE pk = 1`, nil, wf + "Expected '='"},
		{`SELECT * FROM "Music" WHERE a BETWEEN 1`, nil, wf + "Expected AND keyword"},
		{`SELECT * FROM "Music" WHERE a BETWEEN 1 AND`, nil, wf + "Expected expression after AND"},
		{`SELECT * FROM "Music" WHERE a IN (1, 2`, nil, wf + "Expected RIGHT_PAREN"},
		{`SELECT * FROM "Music" WHERE a IN [1, 2`, nil, wf + "Expected RIGHT_BRACKET"},
		{`INSERT INTO "Music" VALUE {'a' 1}`, nil, wf + "Expected COLON"},
		{`INSERT INTO "Music" VALUE {'a': <<1>}`, nil, wf + "Unexpected term"},
		{`SELECT a.value FROM "Music"`, nil, wf + "Invalid path dot component"},
		{`UPDATE "Music" RETURNING NEW * SET a = 1`, nil, wf + "Expected data manipulation"},
		{`UPDATE "Music" SET a = 1 WHERE pk = 1 RETURNING NEW *`, nil, wf + "Expected ( MODIFIED | ALL ) ( NEW | OLD ) in each returning element."},

		// What DynamoDB's translation refuses.
		{`SELECT * FROM "Music" t WHERE pk = 'x'`, nil, "Aliasing is not supported"},
		{`SELECT * FROM "Music" AS t WHERE pk = 'x'`, nil, "Aliasing is not supported"},
		{`UPDATE "Music" t SET a = 3 WHERE pk = 'x'`, nil, "Aliasing is not supported"},
		{`DELETE FROM "Music" t WHERE pk = 'x'`, nil, "Aliasing is not supported"},
		{`SELECT a AS b FROM "Music"`, nil, "Aliasing is not supported"},
		{`x IS INT4`, nil, "Unsupported operation: IsType"},
		{`'x'`, nil, "Unsupported operation: Lit"},
		{`SELECT * FROM "Music" WHERE a = 1 LIMIT 1`, nil, "Unsupported clause: LIMIT"},
		{`SELECT a FROM "Music" GROUP BY a`, nil, "Unsupported clause: GROUP BY"},
		{`SELECT DISTINCT a FROM "Music"`, nil, "Unsupported clause: DISTINCT"},
		{`SELECT VALUE a FROM "Music"`, nil, "Select projection doesn't support value or pivot keywords"},
		{`SELECT * FROM "Music", "Other"`, nil, "Only select from a single table or index is supported."},
		{`SELECT * FROM "Music" JOIN "Other" ON a = b`, nil, "Only select from a single table or index is supported."},
		{`SELECT * FROM "Music"."i"."x"`, nil, "A path may contain at most 2 components in the FROM clause"},
		{`SELECT * FROM 'Music'`, nil, "Unexpected from source"},
		{`SELECT * FROM "ab"`, nil, "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'."},
		{`UPDATE "Music"."idx" SET a = 1 WHERE pk = 1`, nil, "This operation is not supported on an index"},
		{`SELECT *, a FROM "Music"`, nil, "Other attributes should not be present in the projection when '*' is used."},
		{`SELECT a.z, b.z FROM "Music"`, nil, "Duplicate identifiers in select clause: z"},
		{`SELECT COUNT(*) FROM "Music"`, nil, "Unsupported operation: CallAgg"},
		{`SELECT a[*] FROM "Music"`, nil, "Wildcard path component like a[*].b are not supported"},
		{`SELECT a.* FROM "Music"`, nil, "Unpivot path component like a.*.b are not supported"},
		{`SELECT l[-1] FROM "Music"`, nil, "List index is not within the allowable range; index: [-1]"},
		{`SELECT l[1.5] FROM "Music"`, nil, "Unexpected path component"},
		{`SELECT "" FROM "Music"`, nil, "Path component cannot be an empty string"},
		{`SELECT * FROM "Music" ORDER BY pk`, nil, "Must have WHERE clause in the statement when using ORDER BY clause."},
		{`SELECT * FROM "Music" WHERE pk = 1 ORDER BY a.b`, nil, "Argument to ORDER BY must be of type VariableReference. Type: Path"},
		{`SELECT * FROM "Music" WHERE EXISTS(SELECT * FROM "Music" WHERE pk = 1)`, nil, "EXISTS can only be used in ExecuteTransaction write requests."},
		{`EXISTS(SELECT * FROM "Music" WHERE pk = 1 AND a = 2)`, nil, "EXISTS can only be used in ExecuteTransaction write requests."},
		{`SELECT * FROM "Music" WHERE a = MISSING`, nil, "MISSING must be compared using IS operator"},
		{`SELECT * FROM "Music" WHERE a IN []`, nil, "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"},
		{`SELECT * FROM "Music" WHERE 'x' IN [a]`, nil, "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"},
		{`SELECT * FROM "Music" WHERE a IN ?`, one, "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"},
		{`SELECT * FROM "Music" WHERE 1 IS MISSING`, nil, "The left hand side argument to IS must be a Variable Reference, Literal, or Path"},
		{`SELECT * FROM "Music" WHERE a IS INT`, nil, "Unsupported data type for IS operator: INTEGER. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"},
		{`SELECT * FROM "Music" WHERE a LIKE 'x%'`, nil, "Unsupported operator in Condition Expression. Operator: like"},
		{`SELECT * FROM "Music" WHERE a + 1 = 2`, nil, "Unsupported operator in Condition Expression. Operator: +"},
		{`SELECT * FROM "Music" WHERE foo(a)`, nil, "Unrecognized function: foo"},
		{`SELECT * FROM "Music" WHERE attribute_exists(a)`, nil, "Unrecognized function: attribute_exists"},
		{`SELECT * FROM "Music" WHERE a`, nil, "WHERE clause must contain an expression that resolves to a boolean"},
		{`SELECT * FROM "Music" WHERE size(a)`, nil, "WHERE clause must contain an expression that resolves to a boolean"},
		{`SELECT * FROM "Music" WHERE a AND b = 1`, nil, "The arguments to AND/OR must be Expressions"},
		{`SELECT * FROM "Music" WHERE NOT 'x'`, nil, "The argument to NOT must be a Type or Expression"},
		{`INSERT INTO "Music" VALUES ('a', 1)`, nil, "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"},
		{`INSERT INTO "Music" <<{'pk': 'a'}>>`, nil, "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"},
		{`INSERT INTO "Music" VALUE ?`, []attr.Value{{Kind: attr.M, Map: map[string]attr.Value{}}}, "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."},
		{`INSERT INTO "Music" VALUE {'a': 1} RETURNING ALL OLD *`, nil, "RETURNING is not supported in INSERT"},
		{`INSERT INTO "Music" VALUE {'a': 1} AT 'x'`, nil, "AT is not supported in insert statements."},
		{`FROM "Music" WHERE pk = 1 INSERT INTO "Music" VALUE {'a': 1}`, nil, "Unsupported FROM ... WHERE ... clause in INSERT statement."},
		{`INSERT INTO "Music" VALUE {a: 1}`, nil, "Tuple keys must be of type String. Actual type: VariableReference under root"},
		{`INSERT INTO "Music" VALUE {'m': {1: 2}}`, nil, "Tuple keys must be of type String. Actual type: INT under root"},
		{`INSERT INTO "Music" VALUE {'a': 1, 'a': 2}`, nil, "Duplicate keys in tuple. Key: a under root"},
		{`INSERT INTO "Music" VALUE {'a': b}`, nil, "Unsupported data type: VariableReference under key root"},
		{`INSERT INTO "Music" VALUE {'a': MISSING}`, nil, "Unsupported data type: LiteralMissing under key root"},
		{`INSERT INTO "Music" VALUE {'a': <<>>}`, nil, "Empty bags are not supported"},
		{`INSERT INTO "Music" VALUE {'a': <<1, 'b'>>}`, nil, "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"},
		{`INSERT INTO "Music" VALUE {'a': <<?>>}`, one, "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"},
		{`INSERT INTO "Music" VALUE {'a': <<true>>}`, nil, "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"},
		{`INSERT INTO "Music" VALUE {'a': <<'x', 'x'>>}`, nil, "Input collection contains duplicates"},
		{`INSERT INTO "Music" VALUE {'a': <<1, 1.0>>}`, nil, "Input collection contains duplicates"},
		{`DELETE FROM "Music" WHERE pk = 1 RETURNING ALL NEW *`, nil, "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."},
		{`DELETE FROM "Music" WHERE pk = 1 RETURNING MODIFIED OLD *`, nil, "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in DELETE statements."},
		{`UPDATE "Music" SET a = 1 WHERE pk = 1 RETURNING ALL NEW a`, nil, "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"},
		{`UPDATE "Music" SET a = 1 WHERE pk = 1 RETURNING ALL NEW *, ALL OLD *`, nil, "Invalid syntax with multiple returning elements in RETURNING clause"},
		{`UPDATE "Music" SET a = set_add(b, <<'x'>>) WHERE pk = 1`, nil, "The first argument to SET_ADD must equal the assignment value"},
		{`UPDATE "Music" SET a = set_delete(a) WHERE pk = 1`, nil, "SET_DELETE must have exactly two arguments"},
		{`UPDATE "Music" SET a = set_add(a, 'x') WHERE pk = 1`, nil, "The second argument to SET_ADD must be a value with type SET"},
		{`UPDATE "Music" SET a = set_add(a, ?) WHERE pk = 1`, one, "The second argument to SET_ADD must be a value with type SET"},
		{`UPDATE "Music" SET a = b IS NULL WHERE pk = 1`, nil, "IS operator is not supported in update expressions"},
		{`UPDATE "Music" SET a = a * 2 WHERE pk = 1`, nil, "Unsupported operator in Update Expression. Operator: *"},
		{`UPDATE "Music" SET a = a + 1 + 2 WHERE pk = 1`, nil, "Unsupported operator in Update Expression. Operator: +"},
		{`UPDATE "Music" SET a = upper(b) WHERE pk = 1`, nil, "Unrecognized function: upper"},

		// Numbers outside DynamoDB's range name their place (confirmed).
		{`SELECT * FROM "Music" WHERE pk = 1e126`, nil, "Number overflow. Attempting to store a number with magnitude larger than supported range under root"},
		{`SELECT * FROM "Music" WHERE pk = 1e-131`, nil, "Number underflow. Attempting to store a number with magnitude smaller than supported range under root"},
		{`SELECT * FROM "Music" WHERE pk = 123456789012345678901234567890123456789`, nil, "Attempting to store more than 38 significant digits in a Number under root"},
		{`INSERT INTO "Music" VALUE {'pk': 1e126}`, nil, "Number overflow. Attempting to store a number with magnitude larger than supported range under root"},
		{`UPDATE "Music" SET a = 1e-131 WHERE pk = 1`, nil, "Number underflow. Attempting to store a number with magnitude smaller than supported range under root"},
		{`INSERT INTO "Music" VALUE {'pk': 1, 'm': {'x': 1e126}}`, nil, "Number overflow. Attempting to store a number with magnitude larger than supported range under root.x"},
		{`INSERT INTO "Music" VALUE {'pk': 1, 'l': [1, 1e126]}`, nil, "Number overflow. Attempting to store a number with magnitude larger than supported range under root[1]"},
		{`INSERT INTO "Music" VALUE {'pk': -0.0}`, nil, "Negative zero decimal is not supported under key root"},
		{`INSERT INTO "Music" VALUE {'l': ` + strings.Repeat("[", 34) + strings.Repeat("]", 34) + `}`, nil, "Nesting Levels have exceeded supported limits"},
	} {
		_, err := Parse(tc.stmt, tc.params)
		var ae *awsproto.Error
		if !errors.As(err, &ae) || ae.Code != "ValidationException" || ae.Status != 400 || ae.Message != tc.msg {
			t.Errorf("%s:\n got %v\nwant %q", tc.stmt, err, tc.msg)
		}
	}
}

// TestNesting checks the deepest list DynamoDB stores is accepted.
func TestNesting(t *testing.T) {
	stmt := `INSERT INTO "Music" VALUE {'l': ` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `}`
	if _, err := Parse(stmt, nil); err != nil {
		t.Fatal(err)
	}
}
