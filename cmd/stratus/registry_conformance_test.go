package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRegistryConformance runs the OCI distribution-spec conformance suite
// against a real server with --auth none: every API and data test of spec 1.1
// (pull, push, content discovery with the referrers API, content management),
// and again with the "dev" profile, which adds upload cancel, required
// Docker-Content-Digest headers and pushes with ?tag= parameters.
func TestRegistryConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite, a separate go test")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	ts := startServer(t, "")
	for _, version := range []string{"1.1", "dev"} {
		t.Run(version, func(t *testing.T) {
			results := t.TempDir()
			cmd := exec.Command(goBin, "test", "-count=1", "-v", "github.com/opencontainers/distribution-spec/conformance")
			cmd.Env = append(os.Environ(),
				"OCI_REGISTRY="+strings.TrimPrefix(ts.URL, "http://"),
				"OCI_TLS=disabled",
				"OCI_VERSION="+version,
				// Each profile in repositories of its own: its pushes and
				// deletes do not see the other's.
				"OCI_REPO1=conformance-"+version+"/repo1",
				"OCI_REPO2=conformance-"+version+"/repo2",
				"OCI_RESULTS_DIR="+results,
				// The legacy switches, as the suite's older CI setups set them.
				"OCI_TEST_PULL=1", "OCI_TEST_PUSH=1", "OCI_TEST_CONTENT_DISCOVERY=1", "OCI_TEST_CONTENT_MANAGEMENT=1",
			)
			out, err := cmd.CombinedOutput()
			if err != nil || strings.Contains(string(out), "Conformance test detected a failure") {
				t.Fatalf("conformance suite failed: %v\n%s\nserver log:\n%s", err, out, ts.stderr.String())
			}
			// The suite returns without failing when it cannot even start (a
			// bad config): its results file proves it ran.
			if _, err := os.Stat(filepath.Join(results, "results.yaml")); err != nil {
				t.Fatalf("conformance suite wrote no results: %v\n%s", err, out)
			}
			if bad := badStatus.FindString(string(out)); bad != "" {
				t.Errorf("conformance output has %q:\n%s", bad, out)
			}
			t.Logf("%s", tailLines(string(out), 90))
		})
	}
}

// badStatus matches a result line of the suite's summary that did not pass.
var badStatus = regexp.MustCompile(`(?m)\.\.\.:\s+(FAIL|Error|Skip)$`)

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
