package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/stratus-run/stratus/internal/sandbox/oci"
	"github.com/stratus-run/stratus/internal/testnet"
)

// TestFunctionNetwork runs real functions against a stand-in for the internet (a
// network namespace of the test's own, reached through the host): with
// --function-network outbound they reach it, masqueraded behind the host's
// address, and still reach neither the host nor each other; without, nothing.
func TestFunctionNetwork(t *testing.T) {
	skipWithoutOCI(t)
	t.Parallel()
	inet := testnet.New(t)
	// A listener on every host address stands for the host's services.
	host, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	go func() {
		for {
			c, err := host.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, "host")
			c.Close()
		}
	}()
	hostPort := strconv.Itoa(host.Addr().(*net.TCPAddr).Port)
	before := envLinks(t)

	ts := startServer(t, "", "--sandbox", "oci", "--function-network", "outbound")
	u, _ := url.Parse(ts.URL)
	c := ts.lambdaClient()
	createFn(t, c, "bystander", "echo")
	createFn(t, c, "net", "connect")
	createFn(t, c, "peer", "listen")
	createFn(t, c, "resolv", "read")
	var peer struct{ Addrs []string }
	if err := json.Unmarshal(invokeFn(t, c, "peer", `{"Port":7000}`).Payload, &peer); err != nil || len(peer.Addrs) != 1 {
		t.Fatalf("peer's addresses: %v %v", peer.Addrs, err)
	}
	if a, err := netip.ParseAddr(peer.Addrs[0]); err != nil || !oci.DefaultOutboundRange.Contains(a) {
		t.Errorf("peer's address %s is not from %s", peer.Addrs[0], oci.DefaultOutboundRange)
	}

	attack(t, c, "reach the internet, masqueraded", func(t *testing.T) {
		got := connect(t, ts, inet.AddrPort())[inet.AddrPort()]
		// The far host has a route to its link only: it answers the host's
		// address there, never an environment's own.
		if ip, _, _ := strings.Cut(strings.TrimPrefix(got, "connected: "), ":"); ip != inet.Gateway.String() {
			t.Errorf("%s: %s, want a connection from %s", inet.AddrPort(), got, inet.Gateway)
		}
	})

	attack(t, c, "reach the host, Stratus or another environment with outbound on", func(t *testing.T) {
		targets := []string{net.JoinHostPort(peer.Addrs[0], "7000")}
		// Every address of the host: the environments' host ends, the far
		// host's link, the host's own interfaces.
		var addrs []netlink.Addr
		err := consistent(func() (err error) { addrs, err = netlink.AddrList(nil, netlink.FAMILY_V4); return err })
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if !a.IP.IsLoopback() {
				targets = append(targets, net.JoinHostPort(a.IP.String(), hostPort), net.JoinHostPort(a.IP.String(), u.Port()))
			}
		}
		for addr, got := range connect(t, ts, targets...) {
			if !strings.HasPrefix(got, "error: ") {
				t.Errorf("reached %s: %s", addr, got)
			}
		}
	})

	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	got := payloadMap(t, invokeFn(t, c, "resolv", `{"Paths":["/etc/resolv.conf"]}`))["/etc/resolv.conf"]
	if got != string(resolv[:min(len(resolv), 64)]) {
		t.Errorf("/etc/resolv.conf inside: %q", got)
	}

	ts.Stop(t)
	// The kernel deletes the pairs with the namespaces, in the background.
	deadline := time.Now().Add(10 * time.Second)
	for envLinks(t) > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := envLinks(t); n > before {
		t.Errorf("%d environment links left after the server stopped, %d before it started", n, before)
	}

	off := startServer(t, "", "--sandbox", "oci")
	c = off.lambdaClient()
	createFn(t, c, "net", "connect")
	if got := connect(t, off, inet.AddrPort())[inet.AddrPort()]; !strings.HasPrefix(got, "error: ") {
		t.Errorf("without --function-network outbound, a function reached %s: %s", inet.AddrPort(), got)
	}
}

// connect has the server's function "net" connect to each address.
func connect(t *testing.T, ts *testServer, addrs ...string) map[string]string {
	t.Helper()
	ev, _ := json.Marshal(map[string]any{"Addrs": addrs})
	return payloadMap(t, invokeFn(t, ts.lambdaClient(), "net", string(ev)))
}

// envLinks counts the host's links named as environments' host ends with
// addresses in the default range.
func envLinks(t *testing.T) int {
	t.Helper()
	var links []netlink.Link
	if err := consistent(func() (err error) { links, err = netlink.LinkList(); return err }); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range links {
		h, ok := strings.CutPrefix(l.Attrs().Name, "stratus")
		v, err := strconv.ParseUint(h, 16, 32)
		if ok && len(h) == 8 && err == nil {
			a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
			if oci.DefaultOutboundRange.Contains(a) {
				n++
			}
		}
	}
	return n
}

func TestFunctionNetworkFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--function-network", "outbound"}, true},
		{[]string{"--function-network", "outbound", "--function-network-range", "10.250.0.0/16"}, true},
		{[]string{"--function-network", "host"}, false},
		{[]string{"--function-network-range", "10.250.0.1/16"}, false},
		{[]string{"--function-network-range", "fd00::/64"}, false},
		{[]string{"--function-network-range", "10.0.0.0/31"}, false},
	} {
		m := &Main{Stderr: io.Discard}
		if err := m.ParseFlags(c.args); (err == nil) != c.ok {
			t.Errorf("%v: %v", c.args, err)
		}
	}
	m := &Main{Stderr: io.Discard}
	m.ParseFlags(nil) //nolint:errcheck
	if m.FunctionNetwork != "none" || m.FunctionRange != oci.DefaultOutboundRange {
		t.Errorf("defaults: %q %s", m.FunctionNetwork, m.FunctionRange)
	}
}

// The process sandbox shares the host's network: outbound changes nothing, and
// the server says so.
func TestFunctionNetworkProcess(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "", "--sandbox", "process", "--function-network", "outbound")
	if !strings.Contains(ts.stderr.String(), "--function-network has no effect in the process sandbox") {
		t.Errorf("no word of it in the log:\n%s", ts.stderr.String())
	}
}

// consistent retries a netlink dump that other tests' links interrupted.
func consistent(f func() error) error {
	var err error
	for range 50 {
		if err = f(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return err
}
