package partiql

import (
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
)

// FuzzParse checks that Parse never panics, and that what it accepts was
// rewritten within the expression grammar: the expression parsers may
// refuse an operand's type or a function's arity, as DynamoDB would, but
// never its syntax.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`SELECT * FROM "Music" WHERE a = ? AND b BETWEEN 1 AND 2 ORDER BY a DESC`,
		`SELECT a, b.c[2], "d"['e'] FROM Music."ix" WHERE begins_with(x, 'y') OR NOT (z IS MISSING AND w IN [1, 2])`,
		`INSERT INTO "Music" VALUE {'a': [1, {'b': <<'x'>>}], 'n': -1.5e3, 'z': NULL, 't': TRUE, 'p': ?}`,
		`UPDATE "Music" SET a = a + ?, b = list_append(b, [1]), c = set_add(c, <<1>>) REMOVE d[0] WHERE pk = 'x' RETURNING ALL NEW *`,
		`DELETE FROM "Music" WHERE "pk" = 'it''s' AND size(l) > 2 RETURNING ALL OLD *`,
		`FROM "Music" WHERE pk = 1 SET v = if_not_exists(v, 0) - 1;`,
		"SELECT * FROM \"Music\" -- comment\n WHERE /* c */ a IS NOT NULL",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		params := make([]attr.Value, strings.Count(s, "?"))
		for i := range params {
			params[i] = attr.Str("p")
		}
		st, err := Parse(s, params)
		if err != nil {
			return
		}
		if st.Kind < Select || st.Kind > Delete || st.Table == "" {
			t.Fatalf("%q: %+v", s, st)
		}
		ps := expr.NewParams(st.Names, st.Values)
		// The expression parsers' syntax errors say "Syntax error"; their
		// other refusals are DynamoDB's, shared by PartiQL.
		syntax := func(what, src string, err error) {
			if err != nil && strings.Contains(err.Error(), "Syntax error") {
				t.Fatalf("%q: %s %q: %v", s, what, src, err)
			}
		}
		if st.Where != "" {
			_, err := expr.ParseCondition("ConditionExpression", st.Where, ps)
			syntax("Where", st.Where, err)
		}
		if st.Update != "" {
			_, err := expr.ParseUpdate(st.Update, ps)
			syntax("Update", st.Update, err)
		}
		if st.Projection != "" {
			_, err := expr.ParseProjection(st.Projection, ps)
			syntax("Projection", st.Projection, err)
		}
	})
}
