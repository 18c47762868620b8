package process

import (
	"context"
	"net"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// hostNetwork is the host's own network: the process sandbox isolates nothing, so
// a runtime reaches whatever the host reaches.
type hostNetwork struct{}

// Network returns the host's network.
func (*Sandbox) Network(context.Context) (sandbox.Network, error) { return hostNetwork{}, nil }

// Paths returns the host directories themselves: a process cannot see them
// elsewhere. Without layers Opt is /opt, as Lambda's.
func (*Sandbox) Paths(codeDir, optDir string) sandbox.Paths {
	if optDir == "" {
		optDir = "/opt"
	}
	return sandbox.Paths{TaskRoot: codeDir, Opt: optDir}
}

// Listen listens on addr's host with a port the system picks, since a fixed port
// would collide between environments sharing the host.
func (hostNetwork) Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
}

// Forward does nothing: the host's addresses are reachable as they are.
func (hostNetwork) Forward(string) error { return nil }

func (hostNetwork) Close() error { return nil }
