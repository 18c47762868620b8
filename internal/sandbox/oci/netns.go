package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// netns is one environment's network namespace: loopback, and with outbound
// network an eth0 with a route out (outbound.go). Stratus keeps it
// open by a file descriptor, opens listeners inside it by entering it on a locked
// thread, and hands its path to the OCI runtime, which puts the container in it.
type netns struct {
	host *os.File // Stratus's own network namespace, to return to
	fd   *os.File
	// link is the way out with outbound network, made in the background from
	// newNetns (it costs a few ms, which the container's creation hides); it and
	// linkErr are set when linkDone, nil without outbound network, closes.
	link     *veth
	linkErr  error
	linkDone chan struct{}

	mu      sync.Mutex
	closed  bool
	lns     []net.Listener
	pending *slot // a container created ahead of need waiting in it, until Start takes it
}

var _ sandbox.Network = (*netns)(nil)

// newNetns creates a network namespace with loopback up and, when out is not
// nil, starts making a link out through it: linkReady waits for it.
func newNetns(host *os.File, out *outbound) (*netns, error) {
	n := &netns{host: host}
	err := n.onThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			return err
		}
		n.fd = f
		return loopbackUp()
	}, false)
	if err != nil {
		if n.fd != nil {
			n.fd.Close()
		}
		return nil, fmt.Errorf("oci: network namespace: %w", err)
	}
	if out != nil {
		n.linkDone = make(chan struct{})
		go func() {
			defer close(n.linkDone)
			n.link, n.linkErr = out.connect(n)
		}()
	}
	return n, nil
}

// linkReady waits for the link out, if the namespace gets one, and returns why
// it could not be made.
func (n *netns) linkReady() error {
	if n.linkDone == nil {
		return nil
	}
	<-n.linkDone
	return n.linkErr
}

// onThread runs f on a locked OS thread, inside n (enter) or on a thread f moves
// into a new namespace itself, and returns the thread to Stratus's namespace. A
// thread that cannot go back is never unlocked, so Go discards it.
func (n *netns) onThread(f func() error, enter bool) error {
	runtime.LockOSThread()
	if enter {
		if err := unix.Setns(int(n.fd.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			return fmt.Errorf("setns: %w", err)
		}
	}
	err := f()
	if serr := unix.Setns(int(n.host.Fd()), unix.CLONE_NEWNET); serr != nil {
		return errors.Join(err, fmt.Errorf("setns back: %w", serr))
	}
	runtime.UnlockOSThread()
	return err
}

// loopbackUp brings lo up in the calling thread's network namespace: a new
// namespace has it down, and nothing binds 127.0.0.1 until it is up.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	return nil
}

// path is how the OCI runtime finds the namespace: through Stratus's descriptor.
func (n *netns) path() string {
	return "/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(int(n.fd.Fd()))
}

// Listen opens a TCP listener at addr inside the namespace.
func (n *netns) Listen(addr string) (net.Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, net.ErrClosed
	}
	var ln net.Listener
	err := n.onThread(func() error {
		var err error
		// The socket belongs to the namespace of the thread that creates it,
		// wherever it is used afterwards.
		ln, err = net.Listen("tcp", addr)
		return err
	}, true)
	if err != nil {
		return nil, fmt.Errorf("oci: listen in the environment: %w", err)
	}
	n.lns = append(n.lns, ln)
	return ln, nil
}

// Forward listens at addr inside the namespace and relays every connection to
// addr on the host. Only that one address is relayed: the function reaches the
// AWS endpoint and nothing else of the host.
func (n *netns) Forward(addr string) error {
	ln, err := n.Listen(addr)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go relay(c, addr)
		}
	}()
	return nil
}

func relay(c net.Conn, addr string) {
	defer c.Close()
	// Dialled from an unlocked goroutine, so from Stratus's namespace.
	var d net.Dialer
	up, err := d.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(up, c) //nolint:errcheck
		if tc, ok := up.(*net.TCPConn); ok {
			tc.CloseWrite() //nolint:errcheck
		}
		close(done)
	}()
	io.Copy(c, up) //nolint:errcheck
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite() //nolint:errcheck
	}
	<-done
}

// Close closes the listeners and Stratus's hold on the namespace; the kernel frees
// it once the container is gone too. A waiting container Start never took goes.
func (n *netns) Close() error {
	if sl := n.takePending(); sl != nil {
		sl.discard()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	for _, ln := range n.lns {
		ln.Close()
	}
	if n.linkReady() == nil && n.link != nil {
		n.link.close()
	}
	return n.fd.Close()
}

func (n *netns) setPending(sl *slot) {
	n.mu.Lock()
	n.pending = sl
	n.mu.Unlock()
}

func (n *netns) takePending() *slot {
	n.mu.Lock()
	defer n.mu.Unlock()
	sl := n.pending
	n.pending = nil
	return sl
}

// Output hands out the read end of the waiting container's stdout and stderr;
// nil without one.
func (n *netns) Output() *os.File {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pending == nil || n.pending.outTaken {
		return nil
	}
	n.pending.outTaken = true
	return n.pending.out
}

// RuntimeConn hands out Stratus's end of the socket the waiting container holds
// as descriptor 3, for the engine to serve the Runtime API on; nil without one.
func (n *netns) RuntimeConn() net.Conn {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pending == nil || n.pending.conn == nil || n.pending.connTaken {
		return nil
	}
	n.pending.connTaken = true
	return n.pending.conn
}
