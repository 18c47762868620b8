// Package oci runs each execution environment as a container under an OCI runtime
// (crun, or runc): a read-only root made of the host's runtime directories, the
// code at /var/task and layers at /opt, a private disk /tmp sized by EphemeralStorage,
// Lambda's unprivileged user with no capabilities and a seccomp filter against
// namespace, mount, keyring, BPF and module calls, its own pid, mount, ipc, uts
// and network namespaces, and cgroup limits derived from MemorySize as Lambda's
// (memory; CPU at one vCPU per 1,769 MB; 1,024 pids; 1,024 open files). Between
// invocations the engine freezes it with the cgroup freezer.
package oci

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// Sandbox starts containers. Set the exported fields, then Open.
type Sandbox struct {
	// Runtime is the OCI runtime binary; "" finds crun, then runc, on PATH.
	Runtime string
	// StateDir holds the shared root skeleton and each container's bundle.
	StateDir string
	// Shared are host directories every environment sees read-only at the same
	// path: the runtime clients Stratus writes for the managed runtimes.
	Shared []string
	// OutboundRange, when valid, gives every environment outbound network: a
	// veth pair with addresses from this range (see CheckOutboundRange;
	// DefaultOutboundRange is a good choice), a default route out and NAT to the
	// host's addresses, and the host's /etc/resolv.conf. Zero: loopback only, and
	// the host's netfilter and links are left alone.
	OutboundRange netip.Prefix
	// Pool is how many containers to keep created ahead of need, so that a cold
	// start skips the container's creation; 0 creates each on demand.
	Pool int
	// Logger receives the pool's warnings; nil discards them.
	Logger *slog.Logger

	prefix         string // container ids: unique per Sandbox, as several servers may share a machine
	rootfs         string
	hostMounts     []specs.Mount
	swapAccounting bool
	launch         *launcher
	hostNS         *os.File
	outbound       *outbound
	pool           *pool
	tmp            *tmpDisks // nil: /tmp is a tmpfs, counted as memory
	log            *slog.Logger
	// imageRoots remembers the image roots whose mount points are made
	// (prepareImageRoot), so a cold start checks them once per root.
	imageRoots sync.Map // host path → struct{}
	// tmpfsOnly makes Open skip the disks, as on a machine without loop
	// devices or mkfs.ext4: for tests of that fallback.
	tmpfsOnly bool
}

var _ sandbox.Sandbox = (*Sandbox)(nil)

// Name returns "oci".
func (*Sandbox) Name() string { return "oci" }

// cgroupRoot is where the v1 controllers are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// Open finds the runtime, prepares the shared root skeleton and the launcher, and
// proves it all works by running one container. An error means this machine
// cannot run the oci sandbox; the caller may fall back to process.
func (s *Sandbox) Open() error {
	if s.StateDir == "" {
		return errors.New("oci: StateDir is required")
	}
	if s.Runtime == "" {
		for _, name := range []string{"crun", "runc"} {
			if p, err := exec.LookPath(name); err == nil {
				s.Runtime = p
				break
			}
		}
		if s.Runtime == "" {
			return errors.New("oci: neither crun nor runc is installed")
		}
	}
	if os.Geteuid() != 0 {
		return errors.New("oci: needs root (cgroups and namespaces)")
	}
	var b [4]byte
	rand.Read(b[:]) //nolint:errcheck
	s.prefix = "stratus-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:]) + "-"
	// Slots a killed server left: their mounts were in its launcher's namespace.
	if err := os.RemoveAll(filepath.Join(s.StateDir, "slots")); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(s.StateDir, "bundles"), 0o700); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	if err := s.makeRoot(); err != nil {
		return err
	}
	_, err := os.Stat(filepath.Join(cgroupRoot, "memory", "memory.memsw.limit_in_bytes"))
	s.swapAccounting = err == nil
	// The containers' init processes outlive the runtime's own process; as their
	// subreaper, Stratus can wait for them and read how they ended.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("oci: subreaper: %w", err)
	}
	keepFreezerActive()
	if s.hostNS, err = os.Open("/proc/self/ns/net"); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	if s.launch, err = startLauncher(s.StateDir); err != nil {
		return err
	}
	s.log = s.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.tmpfsOnly {
		s.log.Warn("oci: /tmp is a tmpfs, which counts against the function's memory")
	} else if s.tmp, err = openTmpDisks(s.StateDir, s.launch); err != nil {
		s.tmp = nil
		s.log.Warn("oci: /tmp falls back to tmpfs, which counts against the function's memory", "err", err)
	}
	if s.OutboundRange.IsValid() {
		if err := s.openOutbound(); err != nil {
			return err
		}
	}
	if err := s.probe(); err != nil {
		if s.tmp != nil {
			s.tmp.close()
			s.tmp = nil
		}
		if s.outbound != nil {
			// The caller may fall back to process and never Close.
			s.outbound.close() //nolint:errcheck
			s.outbound = nil
		}
		return err
	}
	// Containers a killed server left behind, frozen or not, go in the background.
	go s.removeStale()
	if s.Pool > 0 {
		s.pool = newPool(s, s.Pool, s.log)
	}
	return nil
}

// Close releases the launcher's thread. Every environment must be stopped first.
func (s *Sandbox) Close() error {
	if s.pool != nil {
		s.pool.close()
		s.pool = nil
	}
	if s.tmp != nil {
		s.tmp.close()
		s.tmp = nil
	}
	if s.launch != nil {
		s.launch.close()
	}
	if s.hostNS != nil {
		s.hostNS.Close()
		s.hostNS = nil
	}
	if s.outbound != nil {
		return s.outbound.close()
	}
	return nil
}

// keepFreezerActive keeps one empty freezer cgroup frozen for good. The v1
// freezer turns a kernel static key on when the first cgroup freezes and off when
// the last thaws, and patching the kernel's code for it costs about 250 µs per
// transition; with the key held on, a pause or resume costs a few µs (measured by
// BenchmarkPauseResume: 331 µs for both without, 9 µs with). Best effort: without
// it freezing still works, slower.
func keepFreezerActive() {
	dir := filepath.Join(cgroupRoot, "freezer", "stratus", "anchor")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("FROZEN"), 0) //nolint:errcheck
}

// probe runs /bin/true in a container, so a runtime that cannot work here
// (missing kernel features, a refusing cgroup setup) is found at startup.
func (s *Sandbox) probe() error {
	dir, err := os.MkdirTemp(s.StateDir, "probe-")
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755) //nolint:errcheck
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\necho ok\n"), 0o755)
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	netw, err := s.Network(context.Background())
	if err != nil {
		w.Close()
		return err
	}
	defer netw.Close()
	inst, err := s.Start(context.Background(), sandbox.Spec{
		ID: "probe", Command: []string{"/var/task/bootstrap"}, Env: []string{"PATH=/usr/bin:/bin"},
		CodeDir: dir, MemoryMB: 128, Network: netw, Output: w,
	})
	w.Close()
	if err != nil {
		return fmt.Errorf("oci: probe: %w", err)
	}
	out := make([]byte, 64)
	n, _ := r.Read(out)
	if err := inst.Wait(); err != nil || strings.TrimSpace(string(out[:n])) != "ok" {
		return fmt.Errorf("oci: probe container: %v %q", err, out[:n])
	}
	return nil
}

// Network creates the environment's network namespace.
// With a pool it is the namespace of a container created ahead of need, which
// Start then specialises.
func (s *Sandbox) Network(context.Context) (sandbox.Network, error) {
	if s.pool != nil {
		if sl := s.pool.take(); sl != nil {
			sl.handedOut.Store(true)
			sl.ns.setPending(sl)
			return sl.ns, nil
		}
	}
	return newNetns(s.hostNS, s.outbound)
}

// Paths returns Lambda's own: code at /var/task, layers at /opt.
func (*Sandbox) Paths(string, string) sandbox.Paths {
	return sandbox.Paths{TaskRoot: "/var/task", Opt: "/opt"}
}

// Start runs the environment's runtime: in the container created ahead of need
// that waits in spec's network namespace, if there is one and it suits spec, or
// else in a container of its own, created now. It returns once the runtime
// process exists inside it.
func (s *Sandbox) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	if len(spec.Command) == 0 {
		return nil, errors.New("oci: empty command")
	}
	ns, ok := spec.Network.(*netns)
	if !ok {
		return nil, errors.New("oci: the spec's Network is not one of this sandbox's")
	}
	if sl := ns.takePending(); sl != nil {
		in, err := sl.specialise(spec)
		sl.replace()
		if err == nil {
			s.pool.specialised.Add(1)
			return in, nil
		}
		if !errors.Is(err, errUnsuited) {
			sl.discard()
			return nil, err
		}
		s.pool.unsuited.Add(1)
		// A container of its own instead, with what the caller took from the
		// network: the output pipe's write end, the Runtime API socket's other end.
		if spec.Output == nil {
			spec.Output = sl.outW
		}
		if sl.connTaken {
			spec.ExtraFiles = append([]*os.File{sl.child}, spec.ExtraFiles...)
		}
		defer sl.discard()
	}
	if spec.Output == nil {
		return nil, errors.New("oci: no output for the environment")
	}
	resolv := false
	if spec.Root != "" {
		var err error
		if resolv, err = s.prepareImageRoot(spec.Root); err != nil {
			return nil, err
		}
	}
	id := s.prefix + spec.ID
	conf := s.config(spec, ns, "/stratus/"+id, resolv)
	var dk *tmpDisk
	if s.tmp != nil {
		var err error
		if dk, err = s.tmp.make(tmpMB(spec)); err != nil {
			// Better a /tmp counted as memory than no environment.
			s.log.Warn("oci: no disk for /tmp; this environment's is a tmpfs", "err", err)
		} else {
			setTmp(conf, dk.mnt, "rbind", "nosuid", "nodev")
		}
	}
	in, err := s.create(id, conf, nil, spec.Output, spec.ExtraFiles, nil, dk)
	if err != nil {
		dk.release()
		return nil, err
	}
	in.memMB = spec.MemoryMB
	// The link out was being made while the runtime created the container.
	if err := ns.linkReady(); err != nil {
		in.Stop(ctx) //nolint:errcheck
		return nil, err
	}
	if err := s.start(id, in.logFile()); err != nil {
		in.Stop(ctx) //nolint:errcheck
		return nil, err
	}
	return in, nil
}

// create writes a container's bundle and creates it: its init exists, in its
// namespaces and cgroups, and waits to be started. The container's stdin is
// stdin (nil: /dev/null), its stdout and stderr output, and extra its
// descriptors 3 and up. The instance releases dk, its /tmp, when removed.
func (s *Sandbox) create(id string, conf *specs.Spec, stdin, output *os.File, extra []*os.File, sl *slot, dk *tmpDisk) (*instance, error) {
	bundle := filepath.Join(s.StateDir, "bundles", id)
	if err := os.Mkdir(bundle, 0o700); err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	b, err := json.Marshal(conf)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	in := &instance{s: s, id: id, bundle: bundle, cgroup: conf.Linux.CgroupsPath, slot: sl, disk: dk, done: make(chan struct{})}
	pidFile := filepath.Join(bundle, "pid")
	// The container inherits the runtime's stdout and stderr, so the runtime's
	// own errors go to a log file instead.
	// create, then start: created, the container's init waits for start, so it is
	// reparented to Stratus before it can exit; with run --detach a runtime that
	// exits at once can be reaped by crun itself, taking its exit status along.
	args := []string{"--log", in.logFile(), "create", "--bundle", bundle, "--pid-file", pidFile}
	if n := len(extra); n > 0 {
		// Descriptors 3 and up pass through to the container's init.
		args = append(args, "--preserve-fds", strconv.Itoa(n))
	}
	cmd := exec.Command(s.Runtime, append(args, id)...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.Stdout, cmd.Stderr = output, output
	cmd.ExtraFiles = extra
	if err := s.launch.start(cmd); err != nil {
		os.RemoveAll(bundle)
		return nil, fmt.Errorf("oci: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		msg, _ := os.ReadFile(in.logFile())
		in.remove()
		return nil, fmt.Errorf("oci: %s create: %v: %s", filepath.Base(s.Runtime), err, strings.TrimSpace(string(msg)))
	}
	pb, err := os.ReadFile(pidFile)
	if err != nil {
		in.remove()
		return nil, fmt.Errorf("oci: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pb)))
	if err != nil {
		in.remove()
		return nil, fmt.Errorf("oci: pid file: %w", err)
	}
	if err := in.attach(pid); err != nil {
		in.remove()
		return nil, err
	}
	return in, nil
}

// start lets the created container's init exec the runtime. crun's init waits
// for a byte on the exec FIFO in the container's state directory, which is all
// `crun start` writes; writing it here saves an exec of crun on every cold start.
// Other runtimes (runc reads the FIFO the other way round) are asked to start.
func (s *Sandbox) start(id, logFile string) error {
	if filepath.Base(s.Runtime) == "crun" {
		fifo := filepath.Join(s.stateRoot(), id, "exec.fifo")
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			_, err = f.Write([]byte{0})
			f.Close()
			os.Remove(fifo) // as crun start does: the container counts as running
			if err == nil {
				return nil
			}
		}
		// Fall through: let crun say what is wrong.
	}
	if out, err := s.launch.run(exec.Command(s.Runtime, "--log", logFile, "start", id)); err != nil {
		msg, _ := os.ReadFile(logFile)
		return fmt.Errorf("oci: %s start: %v: %s%s", filepath.Base(s.Runtime), err, out, msg)
	}
	return nil
}

// stateRoot is where the runtime keeps its containers' state (its --root default).
func (s *Sandbox) stateRoot() string { return "/run/" + filepath.Base(s.Runtime) }

// removeStale deletes the containers of Stratus servers that died without
// stopping them (killed): their ids carry the server's pid.
func (s *Sandbox) removeStale() {
	ents, err := os.ReadDir(s.stateRoot())
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), "stratus-")
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() || unix.Kill(pid, 0) == nil {
			continue
		}
		s.launch.run(exec.Command(s.Runtime, "delete", "--force", e.Name())) //nolint:errcheck
	}
}
