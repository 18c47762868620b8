// Package testnet makes a stand-in for the internet in tests of functions'
// outbound network: a network namespace of the test's own, wired to the host by a
// veth pair, serving TCP. Tests send traffic to nothing but it.
package testnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Range is where the hosts' links get their /30s: outside the functions' default
// range (169.254.64.0/18), so reaching a Host takes routing and NAT.
var Range = netip.MustParsePrefix("169.254.200.0/24")

// lockDir holds a lock per /30 of Range: several test processes may make hosts
// at once.
const lockDir = "/run/stratus/testnet"

// Host is a machine on the far side of a link from the host. It has one route,
// to its link, so it can answer only connections that come from the host's own
// address on that link, as a masqueraded one does.
type Host struct {
	// Addr is the host's address, inside its namespace.
	Addr netip.Addr
	// Gateway is the address of the link's end on the host side.
	Gateway netip.Addr
	// Port is where it serves: each connection gets the address it came from,
	// as "ip:port\n", and is closed.
	Port int

	link string
	ns   *os.File
	lock *os.File
	ln   net.Listener
}

// New starts a Host, removed when the test ends. It needs root; it skips the test
// without.
func New(t testing.TB) *Host {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("testnet: needs root")
	}
	h, err := start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	return h
}

// AddrPort is where the Host serves.
func (h *Host) AddrPort() string { return net.JoinHostPort(h.Addr.String(), strconv.Itoa(h.Port)) }

func start() (*Host, error) {
	if err := os.MkdirAll(lockDir, 0o700); err != nil {
		return nil, err
	}
	h := &Host{}
	for i := 0; i < 64; i++ {
		f, err := os.OpenFile(filepath.Join(lockDir, strconv.Itoa(i)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
			f.Close()
			continue
		}
		h.lock = f
		base := Range.Addr().As4()
		base[3] = byte(i * 4)
		h.Gateway = netip.AddrFrom4(base).Next()
		h.Addr = h.Gateway.Next()
		h.link = fmt.Sprintf("stxtest%02d", i)
		break
	}
	if h.lock == nil {
		return nil, errors.New("testnet: every /30 of the range is in use")
	}
	if err := h.wire(); err != nil {
		h.close()
		return nil, fmt.Errorf("testnet: %w", err)
	}
	go h.serve()
	return h, nil
}

// wire makes the namespace, the veth pair and the listener.
func (h *Host) wire() error {
	// A link of a killed test run holds the name still.
	if l, err := netlink.LinkByName(h.link); err == nil {
		netlink.LinkDel(l) //nolint:errcheck
	}
	mask := net.CIDRMask(30, 32)
	err := onThread(func(self *os.File) error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return err
		}
		var err error
		if h.ns, err = os.Open("/proc/thread-self/ns/net"); err != nil {
			return err
		}
		la := netlink.NewLinkAttrs()
		la.Name, la.Flags = "eth0", net.FlagUp
		eth0 := &netlink.Veth{LinkAttrs: la, PeerName: h.link, PeerNamespace: netlink.NsFd(int(self.Fd()))}
		if err := netlink.LinkAdd(eth0); err != nil {
			return err
		}
		if err := netlink.AddrAdd(eth0, &netlink.Addr{IPNet: &net.IPNet{IP: h.Addr.AsSlice(), Mask: mask}}); err != nil {
			return err
		}
		h.ln, err = net.Listen("tcp", net.JoinHostPort(h.Addr.String(), "0"))
		return err
	})
	if err != nil {
		return err
	}
	h.Port = h.ln.Addr().(*net.TCPAddr).Port
	l, err := netlink.LinkByName(h.link)
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: h.Gateway.AsSlice(), Mask: mask}}); err != nil {
		return err
	}
	return netlink.LinkSetUp(l)
}

// onThread runs f on a locked thread given the namespace it started in, and
// returns the thread there.
func onThread(f func(self *os.File) error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	err = f(self)
	if serr := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); serr != nil {
		return errors.Join(err, serr) // the thread stays locked, so Go discards it
	}
	runtime.UnlockOSThread()
	return err
}

func (h *Host) serve() {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		wg.Go(func() {
			defer c.Close()
			fmt.Fprintln(c, c.RemoteAddr().String())
		})
	}
}

func (h *Host) close() {
	if h.ln != nil {
		h.ln.Close()
	}
	if l, err := netlink.LinkByName(h.link); h.link != "" && err == nil {
		netlink.LinkDel(l) //nolint:errcheck
	}
	if h.ns != nil {
		h.ns.Close()
	}
	if h.lock != nil {
		h.lock.Close()
	}
}
