package oci

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// DefaultOutboundRange is where environments' addresses come from unless the
// server says otherwise: link-local, as a Lambda function's own interface is,
// and below the 169.254.169.254 and 169.254.170.2 that AWS SDKs treat as special.
var DefaultOutboundRange = netip.MustParsePrefix("169.254.64.0/18")

const (
	// linkPrefix begins the name of every environment's host end (then the host
	// end's address in hex, 15 characters in all), so that one rule matches the
	// environments of every Stratus server on the machine, and names derived from
	// addresses no other server holds cannot collide.
	linkPrefix = "stratus"
	// chunkBits is the size of the blocks servers claim from the range: a /24 is
	// 128 environments of a /31 each. A server claims another when it runs out.
	chunkBits = 24
	// lockDir holds one lock file per claimed chunk. A chunk belongs to whoever
	// holds its flock; the kernel drops it when a server dies, however it dies.
	lockDir = "/run/stratus/outbound"
)

// ErrRangeExhausted is returned by Network when every chunk of the outbound
// range is taken (by this server or others).
var ErrRangeExhausted = errors.New("oci: no free addresses left in the outbound range")

// CheckOutboundRange says whether p can be an outbound range: IPv4, its address
// the first of the prefix, room for at least two environments.
func CheckOutboundRange(p netip.Prefix) error {
	switch {
	case !p.IsValid() || !p.Addr().Is4():
		return fmt.Errorf("outbound range %s: want an IPv4 prefix such as %s", p, DefaultOutboundRange)
	case p.Masked() != p:
		return fmt.Errorf("outbound range %s: the address is not the first of the prefix (%s)", p, p.Masked())
	case p.Bits() > 30 || p.Bits() < 8:
		return fmt.Errorf("outbound range %s: want a prefix length from /8 to /30", p)
	}
	return nil
}

// outbound gives environments a route out: each gets a veth pair whose host end
// and eth0 share a /31 from the range, a default route via the host end, and
// NAT to the host's addresses (rules in nft.go). Addresses come from /24 chunks
// of the range this server claims as it needs them.
type outbound struct {
	rng   netip.Prefix
	rules *rules
	mtu   int // of the links; 0 for the kernel's default (1,500)

	mu   sync.Mutex
	held map[int]*os.File // claimed chunks by index: their locks, held until close
	// free are the host-end addresses of claimed chunks not in use, oldest
	// released first: a released address's link goes when the kernel destroys
	// its namespace, a little later, and by the time it comes round again it is
	// gone.
	free   []netip.Addr
	closed bool
}

// openOutbound claims the first chunk of rng, installs this server's rules in an
// nftables table named table, and turns IPv4 forwarding on (left on at close:
// other servers may need it).
func openOutbound(rng netip.Prefix, table string) (*outbound, error) {
	if err := CheckOutboundRange(rng); err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	if err := os.MkdirAll(lockDir, 0o700); err != nil {
		return nil, fmt.Errorf("oci: outbound: %w", err)
	}
	o := &outbound{rng: rng, held: map[int]*os.File{}, mtu: defaultRouteMTU()}
	o.mu.Lock()
	err := o.claimLocked()
	o.mu.Unlock()
	if err != nil {
		o.close()
		return nil, err
	}
	// Rules first: forwarding is never on without them.
	if o.rules, err = installRules(rng, table); err != nil {
		o.close()
		return nil, err
	}
	if err := enableForwarding(); err != nil {
		o.close()
		return nil, err
	}
	return o, nil
}

// defaultRouteMTU is the MTU of the link the host's default route leaves by,
// when it is below Ethernet's 1,500 (a tunnel, a VM's network): packets the size
// of a 1,500-byte link's would need path MTU discovery through NAT to get out,
// which many networks break. 0 otherwise.
func defaultRouteMTU() int {
	var routes []netlink.Route
	if dump(func() (err error) { routes, err = netlink.RouteList(nil, netlink.FAMILY_V4); return err }) != nil {
		return 0
	}
	for _, r := range routes {
		if r.Dst != nil {
			if ones, _ := r.Dst.Mask.Size(); ones != 0 {
				continue
			}
		}
		l, err := netlink.LinkByIndex(r.LinkIndex)
		if err == nil && l.Attrs().MTU > 0 && l.Attrs().MTU < 1500 {
			return l.Attrs().MTU
		}
	}
	return 0
}

func enableForwarding() error {
	const path = "/proc/sys/net/ipv4/ip_forward"
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == "1" {
		return nil
	}
	if err := os.WriteFile(path, []byte("1"), 0); err != nil {
		return fmt.Errorf("oci: outbound: IPv4 forwarding: %w", err)
	}
	return nil
}

// chunks is how many chunks the range holds.
func (o *outbound) chunks() int {
	if o.rng.Bits() >= chunkBits {
		return 1
	}
	return 1 << (chunkBits - o.rng.Bits())
}

// chunk is the i-th chunk of the range.
func (o *outbound) chunk(i int) netip.Prefix {
	bits := max(o.rng.Bits(), chunkBits)
	a := o.rng.Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	return netip.PrefixFrom(addrFrom(base+uint32(i)<<(32-bits)), bits)
}

func addrFrom(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func addrUint(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// claimLocked claims the first free chunk: its lock taken, no address or route
// of the host in it but the links of a dead server (removed here), its host-end
// addresses added to free. Chunks other servers gave up count as free again.
// o.mu must be held.
func (o *outbound) claimLocked() error {
	for i := range o.chunks() {
		if o.held[i] != nil {
			continue
		}
		c := o.chunk(i)
		name := filepath.Join(lockDir, strings.ReplaceAll(c.String(), "/", "_"))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("oci: outbound: %w", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				continue // another server's
			}
			return fmt.Errorf("oci: outbound: lock %s: %w", name, err)
		}
		ok, err := clearChunk(c)
		if err != nil {
			f.Close()
			return err
		}
		if !ok {
			f.Close()
			continue
		}
		o.held[i] = f
		first := addrUint(c.Addr())
		for off := uint32(0); off < uint32(1)<<(32-c.Bits()); off += 2 {
			o.free = append(o.free, addrFrom(first+off))
		}
		return nil
	}
	return ErrRangeExhausted
}

// clearChunk removes the links a dead server left in chunk c (their names carry
// their addresses; their namespaces may outlive the server while its containers
// do) and reports whether the chunk is free of the host's own addresses and
// routes. The caller holds the chunk's lock, so no live server uses it.
func clearChunk(c netip.Prefix) (bool, error) {
	var links []netlink.Link
	err := dump(func() (err error) { links, err = netlink.LinkList(); return err })
	if err != nil {
		return false, fmt.Errorf("oci: outbound: list links: %w", err)
	}
	ours := map[int]bool{}
	for _, l := range links {
		if a, ok := linkAddr(l.Attrs().Name); ok && c.Contains(a) {
			if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
				return false, fmt.Errorf("oci: outbound: remove stale %s: %w", l.Attrs().Name, err)
			}
			ours[l.Attrs().Index] = true
		}
	}
	var addrs []netlink.Addr
	err = dump(func() (err error) { addrs, err = netlink.AddrList(nil, netlink.FAMILY_V4); return err })
	if err != nil {
		return false, fmt.Errorf("oci: outbound: list addresses: %w", err)
	}
	for _, a := range addrs {
		if p, ok := netip.AddrFromSlice(a.IP.To4()); ok && c.Contains(p) && !ours[a.LinkIndex] {
			return false, nil
		}
	}
	var routes []netlink.Route
	err = dump(func() (err error) { routes, err = netlink.RouteList(nil, netlink.FAMILY_V4); return err })
	if err != nil {
		return false, fmt.Errorf("oci: outbound: list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || ours[r.LinkIndex] {
			continue
		}
		ones, _ := r.Dst.Mask.Size()
		if ones == 0 {
			continue // a default route does not claim the chunk
		}
		if p, ok := netip.AddrFromSlice(r.Dst.IP.To4()); ok && netip.PrefixFrom(p, ones).Overlaps(c) {
			return false, nil
		}
	}
	return true, nil
}

// dump runs a netlink dump until the kernel says it was not interrupted by a
// change (other environments' links come and go meanwhile): an interrupted one
// may miss entries.
func dump(f func() error) error {
	var err error
	for i := range 50 {
		if err = f(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
		time.Sleep(time.Duration(i) * time.Millisecond)
	}
	return err
}

// linkName is the host end's name for an environment whose host end is at a.
func linkName(a netip.Addr) string {
	return fmt.Sprintf("%s%08x", linkPrefix, addrUint(a))
}

// linkAddr reverses linkName.
func linkAddr(name string) (netip.Addr, bool) {
	h, ok := strings.CutPrefix(name, linkPrefix)
	if !ok || len(h) != 8 {
		return netip.Addr{}, false
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return netip.Addr{}, false
	}
	return addrFrom(uint32(v)), true
}

// alloc takes a host-end address; the environment's is the next one.
func (o *outbound) alloc() (netip.Addr, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return netip.Addr{}, net.ErrClosed
	}
	if len(o.free) == 0 {
		if err := o.claimLocked(); err != nil {
			return netip.Addr{}, err
		}
	}
	a := o.free[0]
	o.free = o.free[1:]
	return a, nil
}

// release returns a host-end address whose link is gone or going.
func (o *outbound) release(a netip.Addr) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.free = append(o.free, a)
}

// close removes the rules and gives up the chunks. Every environment's link must
// be gone first.
func (o *outbound) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	var err error
	if o.rules != nil {
		err = o.rules.remove()
	}
	for _, f := range o.held {
		f.Close()
	}
	o.held, o.free = nil, nil
	return err
}

// veth is one environment's link out.
type veth struct {
	o    *outbound
	host netip.Addr // the host end's; the environment's is the next
}

// connect gives n an eth0 with the environment's address and a default route,
// paired with a host end in Stratus's namespace.
func (o *outbound) connect(n *netns) (*veth, error) {
	// An address whose previous link the kernel has not destroyed yet is
	// skipped (its name is still taken) and comes round again later.
	for range 8 {
		host, err := o.alloc()
		if err != nil {
			return nil, err
		}
		v := &veth{o: o, host: host}
		err = v.wire(n)
		if errors.Is(err, errNameTaken) {
			o.release(host)
			continue
		}
		if err != nil {
			v.remove()
			return nil, fmt.Errorf("oci: outbound: %w", err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("oci: outbound: every address tried is still held by a link being destroyed")
}

// errNameTaken is wire's error when the host end's name is still taken.
var errNameTaken = errors.New("oci: outbound: link name taken")

// wire makes the pair from inside n, so that eth0 has its name from the start and
// the host end appears in Stratus's namespace without a move.
func (v *veth) wire(n *netns) error {
	name := linkName(v.host)
	p2p := net.CIDRMask(31, 32)
	err := n.onThread(func() error {
		la := netlink.NewLinkAttrs()
		la.Name, la.Flags, la.MTU = "eth0", net.FlagUp, v.o.mtu
		eth0 := &netlink.Veth{LinkAttrs: la, PeerName: name, PeerNamespace: netlink.NsFd(int(n.host.Fd()))}
		if err := netlink.LinkAdd(eth0); errors.Is(err, unix.EEXIST) {
			return errNameTaken
		} else if err != nil {
			return fmt.Errorf("veth %s: %w", name, err)
		}
		fn := v.host.Next()
		if err := netlink.AddrAdd(eth0, &netlink.Addr{IPNet: &net.IPNet{IP: fn.AsSlice(), Mask: p2p}}); err != nil {
			return fmt.Errorf("eth0 address: %w", err)
		}
		// Onlink: the gateway is the other end of the wire, up or not yet.
		r := &netlink.Route{LinkIndex: eth0.Index, Gw: v.host.AsSlice(), Flags: int(netlink.FLAG_ONLINK)}
		if err := netlink.RouteAdd(r); err != nil {
			return fmt.Errorf("default route: %w", err)
		}
		return nil
	}, true)
	if err != nil {
		return err
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("host end %s: %w", name, err)
	}
	if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: v.host.AsSlice(), Mask: p2p}}); err != nil {
		return fmt.Errorf("host end address: %w", err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("host end up: %w", err)
	}
	return v.waitUp(n, name)
}

// waitUp waits until both ends are operationally up. The kernel gives a link
// its queue only then, from a work queue, and until then drops what is sent on
// it: a function's first packet, or the ARP request before it, would be lost
// and resent only a second later (seen in one first connection out of ~30
// made at once). Best effort: after a second it gives up waiting.
func (v *veth) waitUp(n *netns, name string) error {
	deadline := time.Now().Add(time.Second)
	for up := false; ; time.Sleep(50 * time.Microsecond) {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return fmt.Errorf("host end %s: %w", name, err)
		}
		if !up && l.Attrs().OperState == netlink.OperUp {
			err := n.onThread(func() error {
				eth0, err := netlink.LinkByName("eth0")
				up = err == nil && eth0.Attrs().OperState == netlink.OperUp
				return err
			}, true)
			if err != nil {
				return fmt.Errorf("eth0: %w", err)
			}
		}
		if up || time.Now().After(deadline) {
			return nil
		}
	}
}

// close gives the address back. The pair goes with the namespace, which the
// kernel destroys once the container and Stratus's hold on it are gone: in a
// batch with other namespaces, where deleting the pair here would cost a wait
// for an RCU grace period (15-30 ms measured) per environment.
func (v *veth) close() { v.o.release(v.host) }

// remove deletes the pair of a connect that failed half way, then gives the
// address back; a pair it cannot delete keeps its address out of use.
func (v *veth) remove() {
	l, err := netlink.LinkByName(linkName(v.host))
	var nf netlink.LinkNotFoundError
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return
	default:
		if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
			return
		}
	}
	v.o.release(v.host)
}

// resolvConf is the host's name server configuration, which environments with
// outbound network see at the same path.
const resolvConf = "/etc/resolv.conf"

// openOutbound sets up s's outbound network: the addresses, the rules, and the
// host's resolv.conf mounted into every container.
func (s *Sandbox) openOutbound() error {
	o, err := openOutbound(s.OutboundRange, strings.TrimSuffix(s.prefix, "-"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(resolvConf); err == nil {
		// A mount point in the shared read-only root, made before any container.
		if err := os.WriteFile(filepath.Join(s.rootfs, resolvConf), nil, 0o644); err != nil {
			o.close() //nolint:errcheck
			return fmt.Errorf("oci: %w", err)
		}
		s.hostMounts = append(s.hostMounts, bind(resolvConf, resolvConf))
	}
	s.outbound = o
	return nil
}

// UnreachableNameservers returns the name servers of a resolv.conf (its
// contents) that an environment cannot reach: on a loopback (systemd-resolved's
// 127.0.0.53; an environment's loopback is its own, where nothing answers DNS) or
// at one of the host's own addresses host (the host drops what environments
// send it).
func UnreachableNameservers(conf []byte, host []netip.Addr) []string {
	var out []string
	for _, line := range strings.Split(string(conf), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil {
			continue
		}
		a = a.Unmap().WithZone("")
		if a.IsLoopback() || slices.Contains(host, a) {
			out = append(out, f[1])
		}
	}
	return out
}
