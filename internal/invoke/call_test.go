package invoke

import (
	"strings"
	"testing"
)

func TestLambdaTrace(t *testing.T) {
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	cases := []struct {
		in, wantPrefix, wantSuffix, parent string
	}{
		// A caller's SDK passes its own _X_AMZN_TRACE_ID on: same Root, new Parent.
		{"Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1", "Root=" + root + ";Parent=", ";Sampled=1", "53995c3f42cd8ad8"},
		{"Root=" + root, "Root=" + root + ";Parent=", ";Sampled=0", ""},
		{"Root=" + root + ";Sampled=?;Lineage=a87bd80c:1", "Root=" + root + ";Parent=", ";Sampled=?;Lineage=a87bd80c:1", ""},
		{" Root=" + root + " ; Parent=abc", "Root=" + root + ";Parent=", ";Sampled=0", "abc"},
	}
	for _, c := range cases {
		h, parent := lambdaTrace(c.in)
		if !strings.HasPrefix(h, c.wantPrefix) || !strings.HasSuffix(h, c.wantSuffix) || parent != c.parent {
			t.Errorf("lambdaTrace(%q) = %q, %q", c.in, h, parent)
		}
		if seg := strings.TrimPrefix(strings.Split(h, ";")[1], "Parent="); len(seg) != 16 || seg == c.parent {
			t.Errorf("lambdaTrace(%q): own segment %q", c.in, seg)
		}
	}
	// No valid Root: a new trace.
	for _, in := range []string{"", "Root=2-5759e988-bd862e3fe1be46a994272793", "Root=1-5759e988-BD862E3FE1BE46A994272793", "garbage", "Root=1-5759e988"} {
		h, parent := lambdaTrace(in)
		if !strings.HasPrefix(h, "Root=1-") || strings.Contains(h, "bd862e3f") || parent != "" {
			t.Errorf("lambdaTrace(%q) = %q, %q; want a new trace", in, h, parent)
		}
	}
}
