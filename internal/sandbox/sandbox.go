// Package sandbox defines the boundary between the invoke engine and whatever isolates
// one execution environment: a plain process group (sandbox/process) or an OCI
// container (sandbox/oci).
package sandbox

import (
	"context"
	"errors"
	"net"
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
	// OptDir is the host directory holding the function's layers, or "" without
	// layers; a container mounts it at /opt.
	OptDir string
	// Root, when set, is the host directory of a container image's unpacked root
	// file system (PackageType Image): the environment runs in it, read-only,
	// instead of the sandbox's own root of host runtime directories, and CodeDir
	// and OptDir are empty. Only a Sandbox that is an ImageRunner takes it.
	Root string
	// Cwd is the runtime's working directory as the environment sees it; ""
	// means the task root.
	Cwd string
	// MemoryMB is the function's MemorySize.
	MemoryMB int
	// EphemeralMB is the function's EphemeralStorage (the size of /tmp); 0 means
	// Lambda's default, 512.
	EphemeralMB int
	// Network is the environment's network, from the same sandbox's Network; the
	// runtime runs in it.
	Network Network
	// Output receives the runtime's stdout and stderr. The sandbox keeps its own
	// reference; the caller may close its copy once Start returns. nil when the
	// caller took the Network's Output (Prepared).
	Output *os.File
	// ExtraFiles are open files the runtime inherits as descriptors 3, 4, ... (a
	// Runtime API connection made ready for Stratus's own runtime clients). The
	// caller may close its copies once Start returns.
	ExtraFiles []*os.File
}

// Sandbox starts execution environments.
type Sandbox interface {
	// Network makes the network one environment's runtime will run in. The engine
	// serves the environment's Runtime API on it before the runtime starts, and
	// closes it once the environment is gone.
	Network(ctx context.Context) (Network, error)
	// Paths says where a function's code and layers (host directories; optDir may
	// be "") appear to its runtime.
	Paths(codeDir, optDir string) Paths
	// Start launches the runtime described by spec. It returns once the process
	// exists; it does not wait for the runtime to be ready.
	Start(ctx context.Context, spec Spec) (Instance, error)
	// Name is the sandbox kind as given to --sandbox.
	Name() string
}

// ImageRunner is implemented by a Sandbox that can run an environment in a
// container image's root (Spec.Root). The engine refuses image functions on a
// Sandbox that is not one (the process sandbox, which has no root of its own
// to give a process).
type ImageRunner interface {
	RunsImages() bool
}

// Paths are the locations a runtime sees.
type Paths struct {
	// TaskRoot is the function code's directory (LAMBDA_TASK_ROOT): /var/task in a
	// container, the host directory in the process sandbox.
	TaskRoot string
	// Opt is where the layers are: /opt in a container.
	Opt string
}

// Network is one environment's network. A container's is a network namespace of
// its own, with only loopback: a listener on it is reachable from that environment
// and from nothing else.
type Network interface {
	// Listen opens a TCP listener at addr (host:port) as the environment sees it.
	// In the process sandbox, which shares the host's network, the port is chosen
	// by the system instead; use the listener's Addr.
	Listen(addr string) (net.Listener, error)
	// Forward makes the host's TCP address addr reachable from inside the
	// environment at the same address (for the AWS endpoint functions call).
	Forward(addr string) error
	// Close releases the network and every listener it opened.
	Close() error
}

// Prepared is implemented by a Network whose environment comes with its output
// and a Runtime API socket made already (a container created ahead of need holds
// them from its creation). Each returns nil when there is none.
type Prepared interface {
	// Output is the read end of the pipe the runtime's stdout and stderr go to.
	// A caller that takes it passes no Spec.Output; the output ends once every
	// process of the environment has exited.
	Output() *os.File
	// RuntimeConn is Stratus's end of a socket the runtime inherits as
	// descriptor 3; a caller that takes it passes no ExtraFiles for it.
	RuntimeConn() net.Conn
}

// Instance is one running execution environment.
type Instance interface {
	// Wait blocks until every process of the environment has exited and returns
	// the runtime's exit error (nil for exit status 0), as os/exec describes it
	// (an *exec.ExitError). A runtime the kernel killed for exceeding the memory
	// limit has an error that also matches ErrOutOfMemory.
	Wait() error
	// Stop kills every process of the environment. It is safe to call more than
	// once and after the environment exited.
	Stop(ctx context.Context) error
	// Stats reports the environment's resource use so far.
	Stats() (Stats, error)
	// InitDone tells the sandbox that the runtime finished its init (its first
	// /next). Lambda runs init with a CPU burst and invocations with the CPU share
	// the memory size buys; a sandbox that limits CPU applies the share here.
	InitDone() error
	// Pause freezes every process of the environment, as Lambda does between
	// invocations; Resume thaws them. Sandboxes that cannot freeze do nothing.
	Pause() error
	Resume() error
}

// ErrOutOfMemory matches the Wait error of a runtime killed for using more memory
// than its function's MemorySize.
var ErrOutOfMemory = errors.New("sandbox: out of memory")

// Stats are resource figures of one environment.
type Stats struct {
	// MaxMemoryBytes is the peak resident memory of the runtime.
	MaxMemoryBytes int64
}
