package resources

import (
	"regexp"
	"strings"
	"testing"
)

func TestPhysicalName(t *testing.T) {
	suffix := regexp.MustCompile(`-[A-Z0-9]{13}$`)
	for _, tc := range []struct {
		stack, logical string
		max            int
	}{
		{"app", "Fn", 64},
		{strings.Repeat("s", 100), strings.Repeat("L", 100), 64},
		{"app", "Queue", 80 - len(".fifo")},
	} {
		got := physicalName(Env{StackName: tc.stack, LogicalID: tc.logical}, tc.max)
		if len(got) > tc.max || !suffix.MatchString(got) || !strings.HasPrefix(got, tc.stack[:min(len(tc.stack), 10)]) {
			t.Errorf("physicalName(%s, %s, %d) = %q", tc.stack, tc.logical, tc.max, got)
		}
	}
	a, b := physicalName(Env{StackName: "s", LogicalID: "l"}, 64), physicalName(Env{StackName: "s", LogicalID: "l"}, 64)
	if a == b {
		t.Errorf("two generated names are the same: %s", a)
	}
}

func TestChangedCoercesScalars(t *testing.T) {
	for _, tc := range []struct {
		old, new props
		want     bool
	}{
		{props{"M": "128"}, props{"M": 128.0}, false},
		{props{"B": "true"}, props{"B": true}, false},
		{props{"M": 128.0}, props{"M": 256.0}, true},
		{props{"M": 128.0}, props{}, true},
		{props{"O": map[string]any{"a": []any{"1", 2.0}}}, props{"O": map[string]any{"a": []any{1.0, "2"}}}, false},
		{props{"O": map[string]any{"a": []any{"1"}}}, props{"O": map[string]any{"a": []any{"1", "2"}}}, true},
	} {
		for _, k := range []string{"M", "B", "O"} {
			if got := changed(tc.old, tc.new, k); got != tc.want && (tc.old[k] != nil || tc.new[k] != nil) {
				t.Errorf("changed(%v, %v, %s) = %v, want %v", tc.old, tc.new, k, got, tc.want)
			}
		}
	}
}

func TestNumericProperties(t *testing.T) {
	p := props{"A": "42", "B": 7.0, "C": "x", "D": " 9 "}
	if n, err := p.int32p("A"); err != nil || *n != 42 {
		t.Errorf("A: %v %v", n, err)
	}
	if n, err := p.int32p("B"); err != nil || *n != 7 {
		t.Errorf("B: %v %v", n, err)
	}
	if _, err := p.int32p("C"); err == nil || err.Error() != `Property C: "x" is not an integer` {
		t.Errorf("C: %v", err)
	}
	if n, err := p.int64p("D"); err != nil || *n != 9 {
		t.Errorf("D: %v %v", n, err)
	}
	if n, err := p.int32p("Missing"); err != nil || n != nil {
		t.Errorf("absent property: %v %v", n, err)
	}
	if p.str("B") != "7" {
		t.Errorf("str(B) = %q", p.str("B"))
	}
}

func TestUnqualified(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:lambda:us-east-1:000000000000:function:f:3":    "arn:aws:lambda:us-east-1:000000000000:function:f",
		"arn:aws:lambda:us-east-1:000000000000:function:f":      "arn:aws:lambda:us-east-1:000000000000:function:f",
		"arn:aws:lambda:us-east-1:000000000000:function:f:live": "arn:aws:lambda:us-east-1:000000000000:function:f",
	} {
		if got := unqualified(in); got != want {
			t.Errorf("unqualified(%s) = %s", in, got)
		}
	}
}

func TestRetag(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new map[string]string
		untagged []string
		tagged   bool
	}{
		{"add", nil, map[string]string{"a": "1"}, nil, true},
		{"drop one", map[string]string{"a": "1", "b": "2"}, map[string]string{"a": "3"}, []string{"b"}, true},
		{"drop all", map[string]string{"a": "1"}, map[string]string{}, []string{"a"}, false},
		{"none", nil, nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var untagged []string
			tagged := false
			err := retag(tc.old, tc.new, func(keys []string) error {
				untagged = keys
				return nil
			}, func(tags map[string]string) error {
				tagged = true
				if len(tags) != len(tc.new) {
					t.Errorf("tag got %v, want %v", tags, tc.new)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(untagged, ",") != strings.Join(tc.untagged, ",") || tagged != tc.tagged {
				t.Fatalf("untagged %v tagged %v, want %v %v", untagged, tagged, tc.untagged, tc.tagged)
			}
		})
	}
}
