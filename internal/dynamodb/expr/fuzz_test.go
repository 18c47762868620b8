package expr

import (
	"errors"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// FuzzParse checks that no input makes a parser panic, that every refusal
// is a ValidationException, and that whatever parses can be evaluated and
// applied without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a = :s", "NOT (a < :n5 OR b BETWEEN :a AND :z) AND c IN (:s, :x)", "attribute_exists(m.l[0].k)",
		"begins_with(#st, :h) AND contains(ss, :a) AND size(l) > :one", "((a = :s))", "(a.b)[1] = :s",
		"size(size(a)) > :s", "attribute_type(a, :S)", "foo(a)", "a < :l", "a BETWEEN :n20 AND :n5",
		"SET a = :s, b = a + :one REMOVE c[1] ADD d :one DELETE e :ssA", "SET l[10] = list_append(if_not_exists(l, :empty), :l2)",
		"SET a.b = :s, a[1] = :x", "REMOVE l[0], l[2]", "SET m.k = m.l[0] - :n25", "a, b.c, d[1]", "#dot, l[2].k",
		"pk = :s AND sk BETWEEN :a AND :z", ":a <= sk AND pk = :s", "begins_with(sk, :h) AND pk = :s",
		"", "(", ")", "((((", "a[", "a[99999999999999999999]", "#", ":", "a.", "ü", "SET", "SET a = (:s",
	} {
		f.Add(s)
	}
	it := item(f, sample)
	vals := item(f, values)
	names := map[string]string{"#st": "status", "#dot": "a.b", "#k": "k"}
	check := func(t *testing.T, err error) {
		var ae *awsproto.Error
		if !errors.As(err, &ae) || ae.Code != "ValidationException" {
			t.Fatalf("error %v is not a ValidationException", err)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		if c, err := ParseCondition("ConditionExpression", src, NewParams(names, vals)); err != nil {
			check(t, err)
		} else {
			c.Eval(it)
			c.Eval(nil)
			c.Top()
		}
		if _, err := ParseKeyCondition(src, NewParams(names, vals)); err != nil {
			check(t, err)
		}
		if u, err := ParseUpdate(src, NewParams(names, vals)); err != nil {
			check(t, err)
		} else {
			u.Top()
			if next, err := u.Apply(it.Clone()); err != nil {
				check(t, err)
			} else {
				u.Updated(next)
			}
			if _, err := u.Apply(nil); err != nil {
				check(t, err)
			}
			u.Updated(it)
		}
		p := NewParams(names, vals)
		if pr, err := ParseProjection(src, p); err != nil {
			check(t, err)
		} else {
			pr.Apply(it)
			if err := p.Unused(); err == nil {
				t.Fatalf("projection %q used every value", src)
			}
		}
	})
}
