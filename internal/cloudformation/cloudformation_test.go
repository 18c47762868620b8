package cloudformation

import (
	"reflect"
	"testing"
)

func TestParseS3URL(t *testing.T) {
	for _, c := range []struct {
		url, bucket, key string
		ok               bool
	}{
		{"http://127.0.0.1:4566/bkt/dir/t.yaml", "bkt", "dir/t.yaml", true},
		{"https://s3.amazonaws.com/bkt/t.yaml", "bkt", "t.yaml", true},
		{"https://s3.eu-west-1.amazonaws.com/bkt/t.yaml", "bkt", "t.yaml", true},
		{"https://s3-eu-west-1.amazonaws.com/bkt/t.yaml", "bkt", "t.yaml", true},
		{"https://bkt.s3.amazonaws.com/a/t.yaml", "bkt", "a/t.yaml", true},
		{"https://my.bkt.s3.us-east-1.amazonaws.com/t%20x.yaml", "my.bkt", "t x.yaml", true},
		{"https://bkt.s3-us-west-2.amazonaws.com/t.yaml", "bkt", "t.yaml", true},
		{"https://s3.amazonaws.com/bkt", "", "", false},
		{"https://example.com/", "", "", false},
		{"ftp://s3.amazonaws.com/bkt/t.yaml", "", "", false},
		{"not a url", "", "", false},
		{"https://bkt.s3.amazonaws.com/", "", "", false},
	} {
		b, k, ok := parseS3URL(c.url)
		if b != c.bucket || k != c.key || ok != c.ok {
			t.Errorf("parseS3URL(%q) = %q, %q, %v; want %q, %q, %v", c.url, b, k, ok, c.bucket, c.key, c.ok)
		}
	}
}

func TestDeleteOrder(t *testing.T) {
	rs := map[string]*res{
		"Role":    {Logical: "Role"},
		"Queue":   {Logical: "Queue"},
		"Fn":      {Logical: "Fn", Deps: []string{"Role", "Queue"}},
		"Mapping": {Logical: "Mapping", Deps: []string{"Fn", "Queue"}},
		"Alone":   {Logical: "Alone", Deps: []string{"Gone"}}, // a dependency no longer in the stack
	}
	want := [][]string{{"Alone", "Mapping"}, {"Fn"}, {"Queue", "Role"}}
	if got := deleteOrder(rs); !reflect.DeepEqual(got, want) {
		t.Fatalf("deleteOrder = %v, want %v", got, want)
	}
	cyc := map[string]*res{"A": {Deps: []string{"B"}}, "B": {Deps: []string{"A"}}}
	if got := deleteOrder(cyc); !reflect.DeepEqual(got, [][]string{{"A", "B"}}) {
		t.Fatalf("deleteOrder of a cycle = %v", got)
	}
}

// TestTransitions checks the lifecycle table: every operation's end states
// are reachable from where it starts, and final states lead only to a new
// operation.
func TestTransitions(t *testing.T) {
	paths := [][]string{
		{"", statusCreateInProgress, statusCreateComplete, statusUpdateInProgress, statusUpdateCleanup, statusUpdateComplete, statusDeleteInProgress, statusDeleteComplete},
		{"", statusCreateInProgress, statusRollbackInProgress, statusRollbackComplete, statusDeleteInProgress, statusDeleteComplete},
		{"", statusReview, statusCreateInProgress, statusCreateFailed, statusDeleteInProgress, statusDeleteFailed, statusDeleteInProgress},
		{statusUpdateComplete, statusUpdateInProgress, statusUpdateRollbackInProgress, statusUpdateRollbackCleanup, statusUpdateRollbackComplete, statusUpdateInProgress},
		{"", statusReview, statusDeleteComplete},
	}
	for _, p := range paths {
		for i := 1; i < len(p); i++ {
			if !canTransition(p[i-1], p[i]) {
				t.Errorf("%s -> %s not allowed", p[i-1], p[i])
			}
		}
	}
	for _, bad := range [][2]string{{statusDeleteComplete, statusCreateInProgress}, {statusRollbackComplete, statusUpdateInProgress}, {statusCreateInProgress, statusDeleteInProgress}} {
		if canTransition(bad[0], bad[1]) {
			t.Errorf("%s -> %s allowed", bad[0], bad[1])
		}
	}
	for from := range transitions {
		if inProgress(from) && updatable(from) {
			t.Errorf("%s is both in progress and updatable", from)
		}
	}
}
