package apigw

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports holds the house's import direction: API Gateway reaches functions
// through its Invoker interface, never through the Lambda service's package, and
// proxyevent (shared with function URLs) depends on no service.
func TestImports(t *testing.T) {
	for pkg, banned := range map[string][]string{
		".":             {"/internal/lambda", "/internal/edge"},
		"../proxyevent": {"/internal/lambda", "/internal/apigw", "/internal/invoke", "/internal/store"},
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
