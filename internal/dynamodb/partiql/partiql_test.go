package partiql

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/expr"
)

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// checkExpressions parses what a statement was rewritten into with the
// expression parsers the service uses, so a rewrite they refuse fails here.
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
	n := func(s string) attr.Value { v, _ := attr.Num(s); return v }
	for _, tc := range []struct {
		stmt   string
		params []attr.Value
		check  func(*Statement) bool
	}{
		{`SELECT * FROM "Music" WHERE Artist = 'Acme' AND SongTitle >= ?`, []attr.Value{attr.Str("M")}, func(st *Statement) bool {
			return st.Kind == Select && st.Table == "Music" && st.Index == "" && st.Projection == "" &&
				st.Where == "#p0 = :v0 AND #p1 >= :v1" && st.Names["#p1"] == "SongTitle" &&
				attr.Equal(st.Equal["Artist"], attr.Str("Acme")) && st.Range["SongTitle"].Op == ">="
		}},
		{`select a, b.c[2], "d"['e'] from Music."ByYear" where "Year" between 1990 and 2000 order by Year desc`, nil, func(st *Statement) bool {
			return st.Table == "Music" && st.Index == "ByYear" && st.Projection == "#p0, #p1.#p2[2], #p3.#p4" && st.Descending &&
				st.Range["Year"].Op == "BETWEEN" && attr.Equal(st.Range["Year"].Values[1], n("2000"))
		}},
		{`SELECT * FROM t WHERE begins_with(sk, 'ab') AND pk = 1 OR x = 2`, nil, func(st *Statement) bool {
			return len(st.Equal) == 0 && len(st.Range) == 0 // an OR at the top leaves no key
		}},
		{`SELECT * FROM t WHERE pk = 'a' AND begins_with(sk, 'ab') AND x IS MISSING AND y IS NOT NULL AND z IN ['a', 'b'] AND w <> 'q'`, nil, func(st *Statement) bool {
			return st.Range["sk"].Op == "BEGINS_WITH" && st.Where == "#p0 = :v0 AND begins_with(#p1, :v1) AND attribute_not_exists(#p2) AND NOT attribute_type(#p3, :v2) AND #p4 IN (:v3, :v4) AND #p5 <> :v5" &&
				attr.Equal(st.Values[":v2"], attr.Str("NULL"))
		}},
		{`INSERT INTO "t" VALUE {'pk': 'it''s', 'n': -1.50, 'b': TRUE, 'z': NULL, 'l': [1, 'x'], 'm': {'k': <<'a', 'b'>>}, 'ns': <<1, 2>>, 'p': ?}`,
			[]attr.Value{attr.Bin([]byte{1})}, func(st *Statement) bool {
				it := st.Item
				return st.Kind == Insert && it["pk"].Str == "it's" && it["n"].N == "-1.5" && it["b"].Bool && it["z"].Kind == attr.NULL &&
					len(it["l"].List) == 2 && it["m"].Map["k"].Kind == attr.SS && it["ns"].Kind == attr.NS && it["p"].Kind == attr.B
			}},
		{`UPDATE t SET a = a + 1, b = list_append(b, [2]) SET c = set_add(c, <<'x'>>) REMOVE d[0] SET e = set_delete(e, <<3>>) WHERE pk = 'k' RETURNING MODIFIED NEW *`, nil, func(st *Statement) bool {
			return st.Kind == Update && st.Returning == "MODIFIED_NEW" &&
				st.Update == "SET #p0 = #p0 + :v0, #p1 = list_append(#p1, :v1) REMOVE #p3[0] ADD #p2 :v2 DELETE #p4 :v3" &&
				attr.Equal(st.Equal["pk"], attr.Str("k"))
		}},
		{`DELETE FROM t WHERE pk = ? AND sk = ? RETURNING ALL OLD *`, []attr.Value{attr.Str("a"), n("1")}, func(st *Statement) bool {
			return st.Kind == Delete && st.Returning == "ALL_OLD" && attr.Equal(st.Equal["sk"], n("1"))
		}},
		{`SELECT * FROM t WHERE size(l) > 2 AND NOT (a = 1)`, nil, func(st *Statement) bool {
			return st.Where == "size(#p0) > :v0 AND NOT (#p1 = :v1)" && len(st.Equal) == 0 && len(st.Range) == 0
		}},
	} {
		st, err := Parse(tc.stmt, tc.params)
		if err != nil {
			t.Errorf("%s: %v", tc.stmt, err)
			continue
		}
		if !tc.check(st) {
			t.Errorf("%s:\n %s", tc.stmt, js(st))
		}
		checkExpressions(t, st)
	}
}

func TestParseErrors(t *testing.T) {
	for stmt, msg := range map[string]string{
		`SELECT * FROM t WHERE a = ?`:                   "Number of parameters in request and statement don't match.",
		`SELECT * FROM t`:                               "Number of parameters in request and statement don't match.", // one parameter given below
		`SELEC * FROM t`:                                "Statement wasn't well formed, can't be processed: unexpected token SELEC at position 1",
		`SELECT * FROM t WHERE`:                         "Statement wasn't well formed, can't be processed: unexpected end of statement",
		`SELECT * FROM 't'`:                             "Statement wasn't well formed, can't be processed: unexpected token 't' at position 15",
		`SELECT * FROM t WHERE a = 'x`:                  "Statement wasn't well formed, can't be processed: unterminated quote at position 27",
		`INSERT INTO t VALUE {a: 1}`:                    "Statement wasn't well formed, can't be processed: tuple keys must be strings at position 22",
		`INSERT INTO t VALUE {'a': <<1, 'b'>>}`:         "Statement wasn't well formed, can't be processed: the members of a set must be of one type",
		`DELETE FROM t WHERE a = 1 RETURNING ALL NEW *`: "Statement wasn't well formed, can't be processed: DELETE supports RETURNING ALL OLD * only",
		`UPDATE t WHERE a = 1`:                          "Statement wasn't well formed, can't be processed: unexpected token WHERE at position 10",
		`SELECT * FROM t WHERE a = 1 LIMIT 1`:           "Statement wasn't well formed, can't be processed: unexpected token LIMIT at position 29",
		`SELECT * FROM t WHERE a = 1e400`:               "Number overflow. Attempting to store a number with magnitude larger than supported range",
	} {
		var params []attr.Value
		if stmt == `SELECT * FROM t` {
			params = []attr.Value{attr.Str("x")}
		}
		_, err := Parse(stmt, params)
		var ae *awsproto.Error
		if !errors.As(err, &ae) || ae.Code != "ValidationException" || ae.Message != msg {
			t.Errorf("%s: %v\n  want %q", stmt, err, msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`SELECT * FROM t WHERE a = ? AND b BETWEEN 1 AND 2`, `INSERT INTO t VALUE {'a': [1, {'b': <<'x'>>}]}`,
		`UPDATE t SET a = a + ? REMOVE b WHERE pk = 'x' RETURNING ALL NEW *`, `DELETE FROM "t" WHERE "pk" = 'it''s'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := Parse(s, []attr.Value{attr.Str("p")})
		if err != nil {
			return
		}
		ps := expr.NewParams(st.Names, st.Values)
		if st.Where != "" {
			expr.ParseCondition("ConditionExpression", st.Where, ps) //nolint:errcheck
		}
		if st.Update != "" {
			expr.ParseUpdate(st.Update, ps) //nolint:errcheck
		}
	})
}
