package oci_test

import (
	"os/exec"
	"testing"

	"github.com/stratus-run/stratus/internal/sandbox/oci"
	"github.com/stratus-run/stratus/internal/sandbox/sandboxtest"
)

// newSandbox opens an oci sandbox; it skips only where no OCI runtime is
// installed at all (CI installs crun), and fails where one is but does not work.
func newSandbox(t *testing.T) *oci.Sandbox {
	t.Helper()
	_, crun := exec.LookPath("crun")
	_, runc := exec.LookPath("runc")
	if crun != nil && runc != nil {
		t.Skip("no OCI runtime (crun or runc) installed")
	}
	sb := &oci.Sandbox{StateDir: t.TempDir()}
	if err := sb.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	return sb
}

func TestConformance(t *testing.T) { sandboxtest.Run(t, newSandbox(t)) }
