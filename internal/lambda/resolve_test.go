package lambda

import (
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/invoke"
)

// resolveService is a Service whose caches hold function f with version 1 and
// alias live (version 1, with 0.25 of calls to version 2).
func resolveService() *Service {
	s := &Service{Account: "000000000000", cache: map[string]*entry{}, vcache: map[string]*versionEntry{}, acache: map[string]*aliasEntry{}}
	arn := s.arn("us-east-1", "f")
	s.cache["us-east-1/f"] = &entry{rec: record{Name: "f", Region: "us-east-1"}, fn: &invoke.Function{Key: "us-east-1/f/$LATEST", Arn: arn, Version: "$LATEST"}}
	for _, n := range []string{"1", "2"} {
		s.vcache["us-east-1/f/"+n] = &versionEntry{fn: &invoke.Function{Key: "us-east-1/f/" + n, Arn: arn, Version: n}, arn: arn + ":" + n}
	}
	s.acache["us-east-1/f/live"] = &aliasEntry{rec: aliasRecord{Name: "live", Version: "1"}, arn: arn + ":live", extra: "2", weight: 0.25}
	return s
}

// TestResolveInvokeWarmPathAllocs guards the warm invoke path: resolving an
// unqualified name allocates nothing.
func TestResolveInvokeWarmPathAllocs(t *testing.T) {
	s := resolveService()
	if n := testing.AllocsPerRun(1000, func() {
		if _, _, err := s.resolveInvoke("us-east-1", "f", ""); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("unqualified resolveInvoke allocates %v times", n)
	}
}

func TestResolveInvokeQualifiers(t *testing.T) {
	s := resolveService()
	arn := s.arn("us-east-1", "f")
	for _, tc := range []struct{ q, version, invoked, err string }{
		{"", "$LATEST", arn, ""},
		{"$LATEST", "$LATEST", arn + ":$LATEST", ""},
		{"2", "2", arn + ":2", ""},
		{"3", "", "", "Function not found: " + arn + ":3"},
		{"nope", "", "", "Function not found: " + arn + ":nope"},
	} {
		fn, invoked, err := s.resolveInvoke("us-east-1", "f", tc.q)
		if tc.err != "" {
			if ae := awsproto.As(err); ae == nil || ae.Code != "ResourceNotFoundException" || ae.Message != tc.err || fn != nil {
				t.Errorf("%q: %v %v", tc.q, fn, err)
			}
			continue
		}
		if err != nil || fn.Version != tc.version || invoked != tc.invoked {
			t.Errorf("%q: version %v, invoked %q, %v", tc.q, fn, invoked, err)
		}
	}
	// The alias runs version 2 about a quarter of the time, always as the alias.
	counts := map[string]int{}
	for range 4000 {
		fn, invoked, err := s.resolveInvoke("us-east-1", "f", "live")
		if err != nil || invoked != arn+":live" {
			t.Fatalf("live: %q %v", invoked, err)
		}
		counts[fn.Version]++
	}
	// 4 sigma of the binomial (n=4000, p=0.25) is about 110.
	if counts["2"] < 1000-110 || counts["2"] > 1000+110 || counts["1"]+counts["2"] != 4000 {
		t.Errorf("alias picks %v", counts)
	}
}
