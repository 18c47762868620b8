// Package sandbox defines the boundary between the invoke engine and whatever isolates
// one execution environment: a plain process group (sandbox/process) or an OCI
// container (sandbox/oci, later).
package sandbox

import (
	"context"
	"os"
)

// Spec describes one execution environment's runtime process.
type Spec struct {
	// ID names the environment (unique per server run).
	ID string
	// Command is the runtime's argv; Command[0] is a path inside the environment.
	Command []string
	// Env is the complete environment of the runtime, as KEY=value.
	Env []string
	// CodeDir is the host directory holding the unpacked function code; it is the
	// runtime's working directory and, in a container, is mounted at /var/task.
	CodeDir string
	// MemoryMB is the function's MemorySize.
	MemoryMB int
	// Output receives the runtime's stdout and stderr. The sandbox keeps its own
	// reference; the caller may close its copy once Start returns.
	Output *os.File
	// ExtraFiles are open files the runtime inherits as descriptors 3, 4, ... (a
	// Runtime API connection made ready for Stratus's own runtime clients). The
	// caller may close its copies once Start returns.
	ExtraFiles []*os.File
}

// Sandbox starts execution environments.
type Sandbox interface {
	// Start launches the runtime described by spec. It returns once the process
	// exists; it does not wait for the runtime to be ready.
	Start(ctx context.Context, spec Spec) (Instance, error)
	// Name is the sandbox kind as given to --sandbox.
	Name() string
}

// Instance is one running execution environment.
type Instance interface {
	// Wait blocks until every process of the environment has exited and returns
	// the runtime's exit error (nil for exit status 0), as os/exec describes it.
	Wait() error
	// Stop kills every process of the environment. It is safe to call more than
	// once and after the environment exited.
	Stop(ctx context.Context) error
	// Stats reports the environment's resource use so far.
	Stats() (Stats, error)
}

// Stats are resource figures of one environment.
type Stats struct {
	// MaxMemoryBytes is the peak resident memory of the runtime.
	MaxMemoryBytes int64
}
