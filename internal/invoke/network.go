package invoke

import (
	"context"
	"net"
	"net/url"

	"github.com/stratus-run/stratus/internal/runtimeapi"
)

// openNetwork makes the environment's network and serves its Runtime API there, at
// Lambda's own address (127.0.0.1:9001) where the sandbox gives the environment a
// network of its own, and relays the AWS endpoint into it. ready are connections
// made beforehand (a socket the runtime inherits), served first.
func (ev *env) openNetwork(ready ...net.Conn) error {
	netw, err := ev.e.Sandbox.Network(context.Background())
	if err != nil {
		return err
	}
	ev.netw = netw
	ln, err := netw.Listen("127.0.0.1:9001")
	if err != nil {
		return err
	}
	ev.rapi = runtimeapi.Serve(ln, ev, ready...)
	if addr := endpointAddr(ev.e.Endpoint); addr != "" {
		return netw.Forward(addr)
	}
	return nil
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
