package invoke

import (
	"context"
	"net"
	"net/url"
	"os"

	"github.com/stratus-run/stratus/internal/runtimeapi"
	"github.com/stratus-run/stratus/internal/sandbox"
)

// openNetwork makes the environment's network and serves its Runtime API there, at
// Lambda's own address (127.0.0.1:9001) where the sandbox gives the environment a
// network of its own, and relays the AWS endpoint into it. With socket, the
// runtime also gets a connection to the Runtime API as descriptor 3 (inherits):
// one the network came with, or a socket pair whose child end is in extra, for
// the sandbox to pass on.
func (ev *env) openNetwork(socket bool) (extra []*os.File, inherits bool, err error) {
	netw, err := ev.e.Sandbox.Network(context.Background())
	if err != nil {
		return nil, false, err
	}
	ev.netw = netw
	var ready []net.Conn
	if socket {
		if rc, ok := netw.(sandbox.Prepared); ok {
			if c := rc.RuntimeConn(); c != nil {
				ready = []net.Conn{c}
			}
		}
		if ready == nil {
			if child, conn, err := runtimeapi.SocketPair(); err == nil {
				extra, ready = []*os.File{child}, []net.Conn{conn}
			}
		}
	}
	ln, err := netw.Listen("127.0.0.1:9001")
	if err != nil {
		return extra, false, err
	}
	ev.rapi = runtimeapi.Serve(ln, ev, ready...)
	if addr := endpointAddr(ev.e.Endpoint); addr != "" {
		return extra, ready != nil, netw.Forward(addr)
	}
	return extra, ready != nil, nil
}

// outputPipe is the pipe the runtime's stdout and stderr go to: the one the
// network came with, or a new one whose write end (w) the sandbox passes on.
func (ev *env) outputPipe() (r, w *os.File, err error) {
	if p, ok := ev.netw.(sandbox.Prepared); ok {
		if r := p.Output(); r != nil {
			return r, nil, nil
		}
	}
	return os.Pipe()
}

// endpointAddr is the host:port of an http endpoint URL, "" when it has none.
func endpointAddr(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return u.Host
}

// closeNetwork stops the Runtime API and releases the network.
func (ev *env) closeNetwork() {
	if ev.rapi != nil {
		ev.rapi.Close()
	}
	if ev.netw != nil {
		ev.netw.Close()
	}
}
