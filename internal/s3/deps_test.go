package s3

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports holds the house's import direction: S3 reaches functions through its
// Functions interface, never through the Lambda service's package or the engine,
// and its store knows nothing of S3's wire protocol.
func TestImports(t *testing.T) {
	for pkg, banned := range map[string][]string{
		".":              {"/internal/lambda", "/internal/edge", "/internal/invoke", "/internal/apigw"},
		"./objstore/...": {"/internal/lambda", "/internal/edge", "/internal/invoke", "/internal/awsproto", "/internal/s3"},
	} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range banned {
				if strings.HasSuffix(dep, b) {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
}
