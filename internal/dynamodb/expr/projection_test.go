package expr

import "testing"

func TestProjectionApply(t *testing.T) {
	it := item(t, sample)
	names := map[string]string{"#st": "status", "#dot": "a.b"}
	tests := []struct{ expr, want string }{
		{"s", `{"s": {"S": "hello"}}`},
		{"s, n, absent", `{"s": {"S": "hello"}, "n": {"N": "10"}}`},
		{"#st, #dot", `{"status": {"S": "on"}, "a.b": {"S": "dotted"}}`},
		// Nested maps keep their structure, with only the named keys.
		{"m.k", `{"m": {"M": {"k": {"S": "v"}}}}`},
		{"m.k, m.l", `{"m": {"M": {"k": {"S": "v"}, "l": {"L": [{"N": "1"}]}}}}`},
		{"m.l[0]", `{"m": {"M": {"l": {"L": [{"N": "1"}]}}}}`},
		{"m.gone, s", `{"s": {"S": "hello"}}`},
		// List elements come out packed, in index order.
		{"l[2], l[0]", `{"l": {"L": [{"S": "x"}, {"M": {"k": {"S": "v"}}}]}}`},
		{"l[1]", `{"l": {"L": [{"N": "2"}]}}`},
		{"l[2].k", `{"l": {"L": [{"M": {"k": {"S": "v"}}}]}}`},
		{"l[5], l[2].gone", `{}`},
		{"l[0], l[9]", `{"l": {"L": [{"S": "x"}]}}`},
		// Paths through values of another kind find nothing.
		{"s.k, m[0], l.k", `{}`},
		{"s[0]", `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			pr, err := ParseProjection(tc.expr, params(t, names, ""))
			if err != nil {
				t.Fatal(err)
			}
			got := pr.Apply(it)
			if got == nil {
				t.Fatal("Apply returned nil")
			}
			if want := item(t, tc.want); !same(got, want) {
				t.Errorf("got %s, want %s", show(got), show(want))
			}
		})
	}
	if got := (*Projection)(nil).Apply(it); !same(got, it) {
		t.Error("a nil Projection keeps every attribute")
	}
}

func TestAttributesToGet(t *testing.T) {
	pr, err := FromAttributesToGet([]string{"status", "s", "a.b", "absent"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pr.Apply(item(t, sample)), item(t, `{"status": {"S": "on"}, "s": {"S": "hello"}, "a.b": {"S": "dotted"}}`); !same(got, want) {
		t.Errorf("got %s, want %s", show(got), show(want))
	}
	for names, want := range map[string]string{
		"dup":   "One or more parameter values were invalid: Duplicate value in attribute name: a",
		"empty": "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
	} {
		list := []string{"a", "b", "a"}
		if names == "empty" {
			list = []string{}
		}
		if _, err := FromAttributesToGet(list); err == nil || message(t, err) != want {
			t.Errorf("%s: %v, want %q", names, err, want)
		}
	}
}
