package oci

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"github.com/stratus-run/stratus/internal/testnet"
)

// testRange is this package's own, apart from the servers' default range that
// other packages' tests use at the same time.
var testRange = netip.MustParsePrefix("169.254.160.0/23")

func hostNS(t testing.TB) *os.File {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	f, err := os.Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func openTestOutbound(t testing.TB, rng netip.Prefix) *outbound {
	t.Helper()
	name := fmt.Sprintf("stratus-%d-test%d", os.Getpid(), time.Now().UnixNano())
	o, err := openOutbound(rng, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.close() })
	return o
}

func newTestNetns(t testing.TB, host *os.File, o *outbound) *netns {
	t.Helper()
	n, err := newNetns(host, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.linkReady(); err != nil {
		t.Fatal(err)
	}
	return n
}

// dialFrom connects to addr from inside n and returns the first line it gets.
func dialFrom(n *netns, addr string) (string, error) {
	var line string
	err := n.onThread(func() error {
		c, err := net.DialTimeout("tcp", addr, 250*time.Millisecond)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second)) //nolint:errcheck
		line, err = bufio.NewReader(c).ReadString('\n')
		return err
	}, true)
	return strings.TrimSpace(line), err
}

// linksIn counts the host's environment links with addresses in p.
func linksIn(t testing.TB, p netip.Prefix) int {
	t.Helper()
	var links []netlink.Link
	if err := dump(func() (err error) { links, err = netlink.LinkList(); return err }); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range links {
		if a, ok := linkAddr(l.Attrs().Name); ok && p.Contains(a) {
			n++
		}
	}
	return n
}

// greeter serves "hello\n" on every connection at addr until the test ends.
func greeter(t testing.TB, ln net.Listener) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, "hello")
			c.Close()
		}
	}()
}

func TestOutbound(t *testing.T) {
	host := hostNS(t)
	inet := testnet.New(t)
	o := openTestOutbound(t, testRange)
	before := linksIn(t, testRange)
	a := newTestNetns(t, host, o)
	b := newTestNetns(t, host, o)
	if got := linksIn(t, testRange) - before; got != 2 {
		t.Errorf("%d links for two environments", got)
	}
	// Up at once, both ends: until the kernel has given them their queues,
	// packets are dropped and a first connection waits a second to retry.
	l, err := netlink.LinkByName(linkName(a.link.host))
	if err != nil || l.Attrs().MTU != cmp.Or(o.mtu, 1500) || l.Attrs().OperState != netlink.OperUp {
		t.Errorf("host end: %v, want MTU %d and up", err, cmp.Or(o.mtu, 1500))
	}
	a.onThread(func() error { //nolint:errcheck
		if eth0, err := netlink.LinkByName("eth0"); err != nil || eth0.Attrs().OperState != netlink.OperUp {
			t.Errorf("eth0 not up: %v", err)
		}
		return nil
	}, true)

	// Out, masqueraded: the far host sees the host's own address on its link
	// (it has no route to the range, so nothing else could answer).
	got, err := dialFrom(a, inet.AddrPort())
	if err != nil {
		t.Fatalf("outbound: %v", err)
	}
	if ip, _, _ := strings.Cut(got, ":"); ip != inet.Gateway.String() {
		t.Errorf("the far host saw the connection come from %s, want %s", got, inet.Gateway)
	}

	// Not to another environment, though it listens on every address.
	ln, err := b.Listen("0.0.0.0:7000")
	if err != nil {
		t.Fatal(err)
	}
	greeter(t, ln)
	bAddr := b.link.host.Next()
	if got, err := dialFrom(b, net.JoinHostPort(bAddr.String(), "7000")); err != nil || got != "hello" {
		t.Fatalf("the environment's own listener: %q %v", got, err)
	}
	// Nor to anything on the host: a listener on every host address stands for
	// Stratus's ports and the host's services.
	hl, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	greeter(t, hl)
	port := strconv.Itoa(hl.Addr().(*net.TCPAddr).Port)
	targets := []string{
		net.JoinHostPort(bAddr.String(), "7000"),
		net.JoinHostPort(b.link.host.String(), "7000"),
		net.JoinHostPort(a.link.host.String(), port),
		net.JoinHostPort(inet.Gateway.String(), port),
	}
	var addrs []netlink.Addr
	if err := dump(func() (err error) { addrs, err = netlink.AddrList(nil, netlink.FAMILY_V4); return err }); err != nil {
		t.Fatal(err)
	}
	for _, ad := range addrs {
		if !ad.IP.IsLoopback() {
			targets = append(targets, net.JoinHostPort(ad.IP.String(), port))
		}
	}
	var wg sync.WaitGroup
	for _, addr := range targets {
		wg.Go(func() {
			if got, err := dialFrom(a, addr); err == nil {
				t.Errorf("an environment reached %s: %q", addr, got)
			}
		})
	}
	wg.Wait()

	// Without outbound, loopback only.
	c := newTestNetns(t, host, nil)
	if got, err := dialFrom(c, inet.AddrPort()); err == nil {
		t.Errorf("an environment without outbound network reached %s: %q", inet.AddrPort(), got)
	}

	a.Close()
	b.Close()
	// The kernel deletes the pairs with the namespaces, in the background.
	deadline := time.Now().Add(5 * time.Second)
	for linksIn(t, testRange) != before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := linksIn(t, testRange); got != before {
		t.Errorf("%d links in the range after closing both environments, %d before", got, before)
	}
	name := o.rules.table.Name
	if err := o.close(); err != nil {
		t.Fatal(err)
	}
	conn, _ := nftables.New()
	if _, err := conn.ListTableOfFamily(name, nftables.TableFamilyINet); err == nil {
		t.Errorf("table %s is still there after close", name)
	}
}

// Two servers on one machine get different chunks, however their chunks were
// left by a killed server; a chunk the host uses itself is skipped.
func TestOutboundChunks(t *testing.T) {
	host := hostNS(t)
	rng := netip.MustParsePrefix("169.254.168.0/22")
	// A killed server's link in the first chunk, holding its name.
	stale := netip.MustParsePrefix("169.254.168.0/24")
	mkVeth(t, linkName(stale.Addr()), netip.Prefix{})
	// The host's own address in the second chunk.
	mkVeth(t, "stxchunk1", netip.MustParsePrefix("169.254.169.9/24"))

	o1 := openTestOutbound(t, rng)
	if len(o1.held) != 1 || o1.held[0] == nil {
		t.Fatalf("first server's chunks: %v", o1.held)
	}
	if _, err := netlink.LinkByName(linkName(stale.Addr())); err == nil {
		t.Error("the stale link is still there")
	}
	n := newTestNetns(t, host, o1)
	if !stale.Contains(n.link.host) {
		t.Errorf("first server's environment at %s, want in %s", n.link.host, stale)
	}
	o2 := openTestOutbound(t, rng)
	if want := netip.MustParsePrefix("169.254.170.0/24"); !want.Contains(o2.free[0]) {
		t.Errorf("second server's next address %s, want in %s", o2.free[0], want)
	}
	// A name still taken (by a link the kernel has yet to destroy) is skipped.
	taken := o2.free[0]
	mkVeth(t, linkName(taken), netip.Prefix{})
	if n2 := newTestNetns(t, host, o2); n2.link.host == taken {
		t.Errorf("an environment was given %s, whose name is taken", taken)
	}
	o3 := openTestOutbound(t, rng)
	o4, err := openOutbound(rng, "stratus-test-none")
	if err == nil {
		o4.close()
	}
	if !errors.Is(err, ErrRangeExhausted) {
		t.Errorf("a fourth server on a range of three usable chunks: %v", err)
	}
	// A server whose chunk is full claims the next free one.
	for range 128 {
		o3.alloc() //nolint:errcheck
	}
	if _, err := o3.alloc(); !errors.Is(err, ErrRangeExhausted) {
		t.Errorf("alloc past the range: %v", err)
	}
	o1.close()
	if _, err := o3.alloc(); err != nil {
		t.Errorf("alloc once the first server gave its chunk up: %v", err)
	}
}

// mkVeth adds a veth pair named name (and name+"p") with addr on it, if valid,
// removed when the test ends.
func mkVeth(t *testing.T, name string, addr netip.Prefix) {
	t.Helper()
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name[:min(len(name), 13)] + "p"}
	if err := netlink.LinkAdd(v); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(v) }) //nolint:errcheck
	if addr.IsValid() {
		ipn := &net.IPNet{IP: addr.Addr().AsSlice(), Mask: net.CIDRMask(addr.Bits(), 32)}
		if err := netlink.AddrAdd(v, &netlink.Addr{IPNet: ipn}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLinkName(t *testing.T) {
	a := netip.MustParsePrefix("169.254.64.0/18").Addr()
	if got := linkName(a); got != "stratusa9fe4000" || len(got) > 15 {
		t.Errorf("linkName(%s) = %q", a, got)
	}
	if got, ok := linkAddr(linkName(a)); !ok || got != a {
		t.Errorf("linkAddr: %s %v", got, ok)
	}
	for _, name := range []string{"eth0", "stratus", "stratusa9fe40", "stratuszzzzzzzz"} {
		if _, ok := linkAddr(name); ok {
			t.Errorf("linkAddr(%q) ok", name)
		}
	}
}

func TestChunk(t *testing.T) {
	for _, c := range []struct {
		rng  string
		n    int
		last string
	}{
		{"169.254.64.0/18", 64, "169.254.127.0/24"},
		{"10.0.0.0/24", 1, "10.0.0.0/24"},
		{"10.0.0.0/28", 1, "10.0.0.0/28"},
	} {
		o := &outbound{rng: netip.MustParsePrefix(c.rng)}
		if o.chunks() != c.n || o.chunk(c.n-1).String() != c.last {
			t.Errorf("%s: %d chunks, last %s", c.rng, o.chunks(), o.chunk(c.n-1))
		}
	}
}

func TestCheckOutboundRange(t *testing.T) {
	for s, ok := range map[string]bool{
		"169.254.64.0/18": true, "10.200.0.0/16": true, "10.0.0.0/30": true,
		"10.0.0.0/31": false, "169.254.64.1/18": false, "fd00::/64": false, "0.0.0.0/0": false,
	} {
		p, _ := netip.ParsePrefix(s)
		if err := CheckOutboundRange(p); (err == nil) != ok {
			t.Errorf("CheckOutboundRange(%s) = %v", s, err)
		}
	}
}

func TestUnreachableNameservers(t *testing.T) {
	conf := "# comment\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver ::1\nnameserver 192.0.2.2\nnameserver fe80::1%eth0\noptions edns0\nsearch x\n"
	host := []netip.Addr{netip.MustParseAddr("192.0.2.2")}
	if got := strings.Join(UnreachableNameservers([]byte(conf), host), ","); got != "127.0.0.53,::1,192.0.2.2" {
		t.Errorf("UnreachableNameservers = %s", got)
	}
}

// BenchmarkNetwork is what outbound network adds to making and closing one
// environment's network namespace (a veth pair, two addresses, a route, and
// deleting the pair), against the loopback-only namespace run in the same run.
func BenchmarkNetwork(b *testing.B) {
	host := hostNS(b)
	o := openTestOutbound(b, testRange)
	cycle := func(out *outbound) {
		n, err := newNetns(host, out)
		if err != nil {
			b.Fatal(err)
		}
		if err := n.linkReady(); err != nil {
			b.Fatal(err)
		}
		n.Close()
	}
	t0 := time.Now()
	for range b.N {
		cycle(nil)
	}
	base := time.Since(t0)
	b.ResetTimer()
	for range b.N {
		cycle(o)
	}
	b.StopTimer()
	b.ReportMetric(float64(base.Microseconds())/float64(b.N), "us-loopback")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us-outbound")
	b.ReportMetric(float64(b.Elapsed())/float64(base), "x-loopback")
}

// A killed server's table goes when another server opens; a live one's stays.
func TestOutboundStaleTable(t *testing.T) {
	hostNS(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	stale := &nftables.Table{Family: nftables.TableFamilyINet, Name: fmt.Sprintf("stratus-%d-dead", dead.Process.Pid)}
	live := &nftables.Table{Family: nftables.TableFamilyINet, Name: fmt.Sprintf("stratus-%d-live", os.Getppid())}
	conn.AddTable(stale)
	conn.AddTable(live)
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.DelTable(live)
		conn.Flush() //nolint:errcheck
	})
	openTestOutbound(t, netip.MustParsePrefix("169.254.172.0/24"))
	if _, err := conn.ListTableOfFamily(stale.Name, nftables.TableFamilyINet); err == nil {
		t.Error("the dead server's table is still there")
		conn.DelTable(stale)
		conn.Flush() //nolint:errcheck
	}
	if _, err := conn.ListTableOfFamily(live.Name, nftables.TableFamilyINet); err != nil {
		t.Errorf("a live server's table is gone: %v", err)
	}
}

// Without OutboundRange a sandbox adds no table and no link.
func TestNoOutboundTouchesNothing(t *testing.T) {
	hostNS(t)
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	ours := func() int {
		tables, err := conn.ListTablesOfFamily(nftables.TableFamilyINet)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, tb := range tables {
			if pid, ok := tableOwner(tb.Name); ok && pid == os.Getpid() {
				n++
			}
		}
		return n
	}
	before := ours()
	sb := &Sandbox{StateDir: t.TempDir()}
	if err := sb.Open(); err != nil {
		t.Skipf("no working OCI runtime: %v", err)
	}
	defer sb.Close()
	netw, err := sb.Network(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer netw.Close()
	if sb.outbound != nil || netw.(*netns).link != nil || ours() != before {
		t.Errorf("a sandbox without outbound network made a table or a link")
	}
}

// Environments made at once past a chunk's 128 get distinct addresses from a
// second chunk.
func TestOutboundMany(t *testing.T) {
	host := hostNS(t)
	rng := netip.MustParsePrefix("169.254.176.0/23")
	o := openTestOutbound(t, rng)
	const n = 150
	nets := make([]*netns, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ns, err := newNetns(host, o)
			if err != nil {
				t.Error(err)
				return
			}
			nets[i] = ns
			if err := ns.linkReady(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[netip.Addr]bool{}
	for _, ns := range nets {
		if ns == nil {
			continue
		}
		if ns.link == nil {
			continue
		}
		if seen[ns.link.host] || !rng.Contains(ns.link.host) {
			t.Errorf("address %s twice or outside %s", ns.link.host, rng)
		}
		seen[ns.link.host] = true
	}
	if got := linksIn(t, rng); got != n {
		t.Errorf("%d links for %d environments", got, n)
	}
	for _, ns := range nets {
		if ns != nil {
			ns.Close()
		}
	}
}
