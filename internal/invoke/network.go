package invoke

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/stratus-run/stratus/internal/caller"
	"github.com/stratus-run/stratus/internal/runtimeapi"
	"github.com/stratus-run/stratus/internal/sandbox"
)

// openNetwork makes the environment's network and serves its Runtime API there, at
// Lambda's own address (127.0.0.1:9001) where the sandbox gives the environment a
// network of its own, and the AWS endpoint (see Engine.EndpointHandler). With
// socket, the runtime also gets a connection to the Runtime API as descriptor 3
// (inherits): one the network came with, or a socket pair whose child end is in
// extra, for the sandbox to pass on.
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
	inherits = ready != nil
	ln, err := netw.Listen("127.0.0.1:9001")
	if err != nil {
		return extra, inherits, err
	}
	ev.rapi = runtimeapi.Serve(ln, ev, ready...)
	addr := endpointAddr(ev.e.Endpoint)
	switch {
	case addr == "":
		return extra, inherits, nil
	case ev.e.EndpointHandler != nil:
		return extra, inherits, ev.serveEndpoint(addr)
	default:
		ev.endpointURL = ev.e.Endpoint
		return extra, inherits, netw.Forward(addr)
	}
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

// serveEndpoint serves the AWS endpoint on a listener in the environment's network
// at addr (in the process sandbox, at a port of the environment's own). Every
// request on it carries the environment's identity: in a sandbox with a network
// of its own per environment only this environment can connect there, so no
// function can pass its calls off as another's, whatever it sends. (The process
// sandbox isolates nothing: there a function could dial another's port.)
func (ev *env) serveEndpoint(addr string) error {
	ln, err := ev.netw.Listen(addr)
	if err != nil {
		return err
	}
	fn := ev.pool.fn
	id := &caller.Identity{Region: fn.Region, Function: fn.Name, Arn: fn.Arn, Version: fn.Version, EnvID: ev.id,
		RequestID: ev.currentRequestID}
	ctx := caller.With(context.Background(), id)
	ev.endpoint = &http.Server{
		Handler:           ev.e.EndpointHandler,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ReadHeaderTimeout: 30 * time.Second,
	}
	ev.endpointURL = "http://" + ln.Addr().String()
	go ev.endpoint.Serve(ln) //nolint:errcheck // ends with ErrServerClosed
	return nil
}

// currentRequestID is the id of the invocation the runtime is working on, "" when
// none.
func (ev *env) currentRequestID() string {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.cur != nil {
		return ev.cur.id
	}
	return ""
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

// closeNetwork stops the Runtime API and the AWS endpoint (closing the function's
// open connections to it) and releases the network.
func (ev *env) closeNetwork() {
	if ev.rapi != nil {
		ev.rapi.Close()
	}
	if ev.endpoint != nil {
		ev.endpoint.Close() //nolint:errcheck // closing listeners already closed
	}
	if ev.netw != nil {
		ev.netw.Close()
	}
}
