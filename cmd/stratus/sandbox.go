package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/stratus-run/stratus/internal/sandbox"
	"github.com/stratus-run/stratus/internal/sandbox/oci"
	"github.com/stratus-run/stratus/internal/sandbox/process"
)

// openSandbox builds the sandbox --sandbox names. auto takes oci when an OCI
// runtime is installed and passes its startup probe, and otherwise process,
// saying why: functions then run unisolated.
func (m *Main) openSandbox(logger *slog.Logger) (sandbox.Sandbox, error) {
	switch m.SandboxKind {
	case "process":
		return &process.Sandbox{}, nil
	case "oci", "auto":
	default:
		return nil, fmt.Errorf("--sandbox must be oci, process or auto, not %q", m.SandboxKind)
	}
	sb := &oci.Sandbox{
		StateDir: filepath.Join(m.DataDir, "oci"),
		Shared:   []string{filepath.Join(m.DataDir, "runtimes")},
		Pool:     m.SandboxPool,
		Logger:   logger,
	}
	// The Java runtime client is compiled into the user's cache directory, shared
	// by every server of the machine; make it exist so that it can be mounted.
	if d, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(d, "stratus")
		if os.MkdirAll(dir, 0o755) == nil {
			sb.Shared = append(sb.Shared, dir)
		}
	}
	if err := os.MkdirAll(sb.Shared[0], 0o755); err != nil {
		return nil, err
	}
	err := sb.Open()
	if err == nil {
		return sb, nil
	}
	if m.SandboxKind == "oci" {
		return nil, fmt.Errorf("--sandbox oci: %w", err)
	}
	logger.Warn("the oci sandbox is unavailable; functions run as plain processes, NOT ISOLATED from each other or the host (install crun and run as root for isolation, or pass --sandbox process to silence this)", "err", err)
	return &process.Sandbox{}, nil
}
