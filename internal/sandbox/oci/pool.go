package oci

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/stratus-run/stratus/internal/runtimeapi"
	"github.com/stratus-run/stratus/internal/sandbox"
)

// Creating a container (crun create) takes 25 to 35 ms here, most of a cold
// start. The pool creates containers ahead of need, before anyone knows which
// function will run in them, and specialises one when an environment starts:
// the function's code and layers are bind-mounted into the slot's mount points,
// whose mounts propagate into the waiting container (they are shared in the
// launcher's namespace and slaves in the container's); the memory and CPU limits
// are written to its cgroups; and its init, a shell reading its stdin, is handed
// the runtime's environment and command and execs it. What is left on the cold
// path is a few mounts, a few cgroup writes and a shell's start.

// poolMemMB is a waiting container's memory limit until it is specialised: the
// largest a function may have.
const poolMemMB = 10240

// slot is one container created ahead of need, in its own network namespace.
type slot struct {
	s      *Sandbox
	in     *instance // created, not started: its init waits on the exec FIFO
	dir    string    // the slot's mount points: task, opt and tmp
	ns     *netns
	script *os.File // the shell's stdin: the runtime's environment and command
	out    *os.File // the read end of the container's stdout and stderr
	outW   *os.File // its write end, kept for a container made instead (unsuited)
	conn   net.Conn // Stratus's end of the socket the container holds as fd 3
	child  *os.File // the container's end, kept likewise
	disk   *tmpDisk // the /tmp file system bound at tmp; nil with tmpfs

	// Set under ns.mu: the engine took out (reads the runtime's output) and conn
	// (serves the Runtime API on it).
	outTaken, connTaken bool
	handedOut           atomic.Bool // Network gave ns out: whoever took it closes it
	released            sync.Once
	replaced            sync.Once
	p                   *pool // the pool it came from, once taken
}

// replace has the pool create a slot in place of this one: once this one's
// cold start has had its mounts (the pool's creation shares the launcher's
// thread, and CPU), or once it is discarded.
func (sl *slot) replace() {
	if sl.p != nil {
		sl.replaced.Do(func() { sl.p.want <- struct{}{} })
	}
}

// pool keeps up to size slots ready, refilled in the background.
type pool struct {
	s     *Sandbox
	ready chan *slot
	want  chan struct{} // one token per slot to create
	done  chan struct{}
	wg    sync.WaitGroup
	seq   atomic.Uint64
	log   *slog.Logger

	specialised, unsuited atomic.Int64
}

// PoolStats describe the containers created ahead of need.
type PoolStats struct {
	Ready       int   // created and waiting
	Specialised int64 // environments started in one
	Unsuited    int64 // environments whose spec a waiting container could not take
}

// PoolStats reports the pool's figures; zero without a pool.
func (s *Sandbox) PoolStats() PoolStats {
	p := s.pool
	if p == nil {
		return PoolStats{}
	}
	return PoolStats{Ready: len(p.ready), Specialised: p.specialised.Load(), Unsuited: p.unsuited.Load()}
}

// poolFillers is how many containers the pool creates at once: creation is
// mostly CPU, which the cold starts it serves need too.
const poolFillers = 1

func newPool(s *Sandbox, size int, log *slog.Logger) *pool {
	p := &pool{s: s, ready: make(chan *slot, size), want: make(chan struct{}, size), done: make(chan struct{}), log: log}
	for range size {
		p.want <- struct{}{}
	}
	for range poolFillers {
		p.wg.Add(1)
		go p.fill()
	}
	return p
}

func (p *pool) fill() {
	defer p.wg.Done()
	for {
		select {
		case <-p.done:
			return
		case <-p.want:
		}
		sl, err := p.s.newSlot("pool-" + strconv.FormatUint(p.seq.Add(1), 10))
		if err != nil {
			p.log.Warn("oci: creating a container ahead of need failed", "err", err)
			p.want <- struct{}{}
			select {
			case <-p.done:
				return
			case <-time.After(time.Second):
			}
			continue
		}
		select {
		case p.ready <- sl:
		case <-p.done:
			sl.discard()
			return
		}
	}
}

// take returns a ready slot, or nil when none is.
func (p *pool) take() *slot {
	for {
		select {
		case sl := <-p.ready:
			sl.p = p
			select {
			case <-sl.in.done: // its init died while waiting
				sl.discard()
				continue
			default:
			}
			return sl
		default:
			return nil
		}
	}
}

// close stops refilling and removes the slots not taken.
func (p *pool) close() {
	close(p.done)
	p.wg.Wait()
	for {
		select {
		case sl := <-p.ready:
			sl.discard()
		default:
			return
		}
	}
}

// newSlot creates a container that waits, in a network namespace of its own, to
// be specialised.
func (s *Sandbox) newSlot(name string) (sl *slot, err error) {
	sl = &slot{s: s, dir: filepath.Join(s.StateDir, "slots", name)}
	defer func() {
		if err != nil {
			sl.discard()
		}
	}()
	if sl.ns, err = newNetns(s.hostNS, s.outbound); err != nil {
		return nil, err
	}
	for _, d := range []string{"task", "opt", "tmp"} {
		if err := os.MkdirAll(filepath.Join(sl.dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("oci: %w", err)
		}
	}
	if s.tmp != nil {
		if sl.disk, err = s.tmp.make(defaultTmpMB); err != nil {
			// Better a /tmp counted as memory than no container ahead.
			s.log.Warn("oci: no disk for a waiting container's /tmp; it gets a tmpfs", "err", err)
			sl.disk, err = nil, nil
		}
	}
	if err := s.launch.do(sl.mountPoints); err != nil {
		return nil, fmt.Errorf("oci: slot mounts: %w", err)
	}
	stdin, script, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer stdin.Close()
	sl.script = script
	if sl.out, sl.outW, err = os.Pipe(); err != nil {
		return nil, err
	}
	if sl.child, sl.conn, err = runtimeapi.SocketPair(); err != nil {
		return nil, err
	}

	id := s.prefix + name
	conf := s.config(sandbox.Spec{
		Command: []string{"/bin/sh", "-s"}, CodeDir: filepath.Join(sl.dir, "task"),
		OptDir: filepath.Join(sl.dir, "opt"), MemoryMB: poolMemMB,
	}, sl.ns, "/stratus/"+id, false)
	conf.Process.Cwd = "/"
	conf.Linux.RootfsPropagation = "rslave"
	for i, m := range conf.Mounts {
		switch m.Destination {
		case "/var/task", "/opt":
			conf.Mounts[i].Options = append(m.Options, "rslave")
		case "/tmp":
			opts := []string{"rbind", "nosuid", "nodev"}
			if sl.disk != nil {
				opts = append(opts, "rslave")
			}
			conf.Mounts[i] = specs.Mount{Destination: "/tmp", Type: "bind", Source: filepath.Join(sl.dir, "tmp"), Options: opts}
		}
	}
	in, err := s.create(id, conf, stdin, sl.outW, []*os.File{sl.child}, sl, nil)
	if err != nil {
		return nil, err
	}
	sl.in = in
	// A waiting container has its link out before a cold start takes it.
	if err := sl.ns.linkReady(); err != nil {
		return nil, err
	}
	return sl, nil
}

// mountPoints runs on the launcher's thread: task and opt become shared mounts,
// so that what is mounted on them later shows in the container too. tmp gets
// the slot's disk, of Lambda's default size, bound onto a shared mount too, so
// that a function wanting another size can have another disk mounted over it;
// or else a tmpfs of the default size.
func (sl *slot) mountPoints() error {
	points := []string{"task", "opt"}
	if sl.disk != nil {
		points = append(points, "tmp")
	}
	for _, d := range points {
		p := filepath.Join(sl.dir, d)
		if err := unix.Mount(p, p, "", unix.MS_BIND, ""); err != nil {
			return err
		}
		if err := unix.Mount("", p, "", unix.MS_SHARED, ""); err != nil {
			return err
		}
	}
	if sl.disk != nil {
		return sl.bind(sl.disk.mnt, "tmp", 0)
	}
	return unix.Mount("tmpfs", filepath.Join(sl.dir, "tmp"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV,
		"mode=1777,size="+strconv.Itoa(defaultTmpMB)+"m")
}

// bindReadOnly mounts src on the slot's mount point d, read-only. The bind is
// made detached (open_tree), made read-only, and only then attached, so that
// the copy propagated into the container is read-only from the start (a
// remount of d would not propagate), and nothing is unmounted on the way: an
// unmount waits for an RCU grace period, milliseconds.
func (sl *slot) bindReadOnly(src, d string) error {
	return sl.bind(src, d, unix.MOUNT_ATTR_RDONLY)
}

// bind mounts src on the slot's mount point d, as bindReadOnly does, with the
// mount attributes attr besides nosuid and nodev.
func (sl *slot) bind(src, d string, attr uint64) error {
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("open_tree %s: %w", src, err)
	}
	defer unix.Close(fd)
	ma := &unix.MountAttr{Attr_set: attr | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, ma); err != nil {
		return fmt.Errorf("mount_setattr: %w", err)
	}
	return unix.MoveMount(fd, "", unix.AT_FDCWD, filepath.Join(sl.dir, d), unix.MOVE_MOUNT_F_EMPTY_PATH)
}

// unmountAll runs in the launcher's namespace once the container is gone.
func (sl *slot) unmountAll() error {
	for _, d := range []string{"task", "opt", "tmp"} {
		p := filepath.Join(sl.dir, d)
		// Each mount stacked on the point goes with one detach.
		for range 4 {
			if unix.Unmount(p, unix.MNT_DETACH) != nil {
				break
			}
		}
	}
	return nil
}

// discard removes a slot that will not run a function.
func (sl *slot) discard() {
	if sl.in != nil {
		sl.in.Stop(context.Background()) //nolint:errcheck // remove releases the rest
		return
	}
	sl.release()
}

// release frees what the slot holds beyond the container, once: called when the
// container is removed, or when creating it failed.
func (sl *slot) release() {
	sl.released.Do(sl.free)
	sl.replace()
}

func (sl *slot) free() {
	closeFile(sl.script)
	if sl.ns != nil {
		sl.ns.mu.Lock()
	}
	if !sl.outTaken {
		closeFile(sl.out)
	}
	if sl.conn != nil && !sl.connTaken {
		sl.conn.Close()
	}
	if sl.ns != nil {
		sl.ns.mu.Unlock()
		if !sl.handedOut.Load() {
			sl.ns.Close() // never handed out: nobody else will close it
		}
	}
	closeFile(sl.outW)
	closeFile(sl.child)
	sl.s.launch.tidyUp(sl.unmountAll) //nolint:errcheck
	sl.disk.release()
	os.RemoveAll(sl.dir)
}

// errUnsuited says a slot cannot run spec; the caller creates a container of the
// environment's own instead.
var errUnsuited = errors.New("oci: spec unsuited to a pre-created container")

// specialise makes the slot's container run spec. It returns errUnsuited,
// having changed nothing, for what a waiting container cannot take on: extra
// files, or an output of the caller's own (the container writes to the pipe
// the network handed out).
func (sl *slot) specialise(spec sandbox.Spec) (*instance, error) {
	s, in := sl.s, sl.in
	// A pre-created container has the host runtime root; an image's is its own.
	if len(spec.ExtraFiles) > 0 || spec.Output != nil || spec.Root != "" {
		return nil, errUnsuited
	}
	script, err := s.startScript(spec, sl.connTaken)
	if err != nil {
		return nil, err
	}
	var bigger *tmpDisk
	if sl.disk != nil && sl.disk.mb != tmpMB(spec) {
		// The disk made ahead has Lambda's default size; this function wants
		// another, mounted over it. The hidden one goes with the slot's mounts.
		if bigger, err = s.tmp.make(tmpMB(spec)); err != nil {
			// A container of its own will do, with a tmpfs if need be.
			return nil, fmt.Errorf("%w: %w", errUnsuited, err)
		}
		go sl.disk.release()
		sl.disk = bigger
	}
	err = s.launch.do(func() error {
		if err := sl.bindReadOnly(spec.CodeDir, "task"); err != nil {
			return err
		}
		if spec.OptDir != "" {
			if err := sl.bindReadOnly(spec.OptDir, "opt"); err != nil {
				return err
			}
		}
		if bigger != nil {
			return sl.bind(bigger.mnt, "tmp", 0)
		}
		if sl.disk != nil {
			return nil
		}
		if mb := spec.EphemeralMB; mb > 0 && mb != defaultTmpMB {
			return unix.Mount("", filepath.Join(sl.dir, "tmp"), "", unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV,
				"mode=1777,size="+strconv.Itoa(mb)+"m")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("oci: mounting the code: %w", err)
	}
	if err := in.limit(spec.MemoryMB); err != nil {
		return nil, err
	}
	if !sl.connTaken {
		sl.conn.Close()
		sl.conn = nil
	}
	// The container holds its own copies; the engine's reader must see the end
	// of the output once the container's processes are gone.
	closeFile(sl.outW)
	closeFile(sl.child)
	sl.outW, sl.child = nil, nil
	if _, err := sl.script.Write(script); err != nil {
		return nil, fmt.Errorf("oci: handing the container its runtime: %w", err)
	}
	sl.script.Close()
	sl.script = nil
	if err := s.start(in.id, in.logFile()); err != nil {
		return nil, err
	}
	return in, nil
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}
