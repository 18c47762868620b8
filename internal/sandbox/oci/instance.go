package oci

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// instance is one running container. Its init process (the runtime) is a child
// of Stratus by reparenting (Stratus is the subreaper); when it exits, the pid
// namespace takes every other process of the container with it.
type instance struct {
	s      *Sandbox
	id     string
	bundle string
	cgroup string
	pid    int
	slot   *slot    // the pool's, for a container created ahead of need
	disk   *tmpDisk // its /tmp, for a container of its own; nil with tmpfs

	done chan struct{}
	err  error // set before done closes

	stopOnce sync.Once

	mu      sync.Mutex
	memMB   int
	usage   *os.File // memory.max_usage_in_bytes, open while the container lives
	freezer *os.File // freezer.state
	buf     [64]byte
}

var _ sandbox.Instance = (*instance)(nil)

func (in *instance) cgroupFile(controller, name string) string {
	return filepath.Join(cgroupRoot, controller, in.cgroup, name)
}

// attach takes the container's init process as pid and starts watching it.
func (in *instance) attach(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	in.pid = pid
	// Kept open: Stats runs once per invocation and Pause/Resume twice, and an
	// open cgroup file costs a pread where opening it costs tens of µs.
	in.usage, _ = os.Open(in.cgroupFile("memory", "memory.max_usage_in_bytes"))
	in.freezer, _ = os.OpenFile(in.cgroupFile("freezer", "freezer.state"), os.O_WRONLY, 0)
	go func() {
		st, err := p.Wait()
		switch {
		case err != nil:
			in.err = err
		case !st.Success():
			in.err = &exec.ExitError{ProcessState: st}
			if in.oomKilled() {
				in.err = &oomError{in.err.(*exec.ExitError)}
			}
		}
		in.mu.Lock()
		for _, f := range []*os.File{in.usage, in.freezer} {
			if f != nil {
				f.Close()
			}
		}
		in.usage, in.freezer = nil, nil
		in.mu.Unlock()
		in.remove()
		close(in.done)
	}()
	return nil
}

// oomKilled reports whether the kernel's OOM killer acted in the container's
// memory cgroup; read after the runtime exits, before the cgroup is removed.
func (in *instance) oomKilled() bool {
	b, err := os.ReadFile(in.cgroupFile("memory", "memory.oom_control"))
	return err == nil && oomKills(b) > 0
}

// oomKills reads the oom_kill count from a v1 memory.oom_control file; 0 when it
// has none (kernels before 4.13 do not count).
func oomKills(b []byte) int {
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("oom_kill ")); ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
			if err == nil && n > 0 {
				return n
			}
			return 0
		}
	}
	return 0
}

// remove deletes the container's state, cgroups and bundle.
func (in *instance) remove() {
	cmd := exec.Command(in.s.Runtime, "delete", "--force", in.id)
	in.s.launch.run(cmd) //nolint:errcheck // a container that never got created has nothing to delete
	os.RemoveAll(in.bundle)
	in.disk.release()
	if in.slot != nil {
		in.slot.release()
	}
}

func (in *instance) logFile() string { return filepath.Join(in.bundle, "log") }

// limit sets the limits of a container created ahead of need to a function of
// memMB's (memory, with swap; the CPU waits for InitDone) and forgets the
// memory peak of its wait. Memory goes down before memory+swap, which may never be the lower.
func (in *instance) limit(memMB int) error {
	in.memMB = memMB
	mem := strconv.FormatInt(int64(memMB)<<20, 10)
	writes := [][2]string{
		{in.cgroupFile("memory", "memory.limit_in_bytes"), mem},
	}
	if in.s.swapAccounting {
		writes = append(writes, [2]string{in.cgroupFile("memory", "memory.memsw.limit_in_bytes"), mem})
	}
	writes = append(writes,
		[2]string{in.cgroupFile("memory", "memory.max_usage_in_bytes"), "0"},
	)
	for _, w := range writes {
		if err := os.WriteFile(w[0], []byte(w[1]), 0); err != nil {
			return fmt.Errorf("oci: limits: %w", err)
		}
	}
	return nil
}

// oomError is the exit of a runtime the OOM killer ended.
type oomError struct{ *exec.ExitError }

func (e *oomError) Unwrap() error        { return e.ExitError }
func (e *oomError) Is(target error) bool { return target == sandbox.ErrOutOfMemory }

func (in *instance) Wait() error {
	<-in.done
	return in.err
}

// Stop kills the container's init, which ends its pid namespace, and thaws it:
// frozen processes take a SIGKILL only once thawed.
func (in *instance) Stop(ctx context.Context) error {
	in.stopOnce.Do(func() {
		syscall.Kill(in.pid, syscall.SIGKILL) //nolint:errcheck
		in.mu.Lock()
		in.writeFreezerLocked("THAWED") //nolint:errcheck
		in.mu.Unlock()
	})
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// InitDone sets the CPU weight (cpuShares) and quota (cpuQuota) the memory size
// buys; init ran with a burst.
func (in *instance) InitDone() error {
	shares := strconv.Itoa(cpuShares(in.memMB))
	if err := os.WriteFile(in.cgroupFile("cpu", "cpu.shares"), []byte(shares), 0); err != nil {
		return fmt.Errorf("oci: cpu shares: %w", err)
	}
	q := strconv.FormatInt(cpuQuota(in.memMB), 10)
	if err := os.WriteFile(in.cgroupFile("cpu", "cpu.cfs_quota_us"), []byte(q), 0); err != nil {
		return fmt.Errorf("oci: cpu quota: %w", err)
	}
	return nil
}

// Pause freezes the container (cgroup v1 freezer). The write starts the freeze;
// the kernel completes it without Stratus waiting.
func (in *instance) Pause() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.writeFreezerLocked("FROZEN")
}

// Resume thaws the container.
func (in *instance) Resume() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.writeFreezerLocked("THAWED")
}

func (in *instance) writeFreezerLocked(state string) error {
	if in.freezer == nil {
		return nil // exited, or no freezer controller
	}
	_, err := in.freezer.WriteAt([]byte(state), 0)
	return err
}

// Stats reports the container's peak memory as its memory cgroup counts it.
func (in *instance) Stats() (sandbox.Stats, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.usage == nil {
		return sandbox.Stats{}, fmt.Errorf("oci: stats: the runtime has exited")
	}
	n, err := in.usage.ReadAt(in.buf[:], 0)
	if n == 0 && err != nil {
		return sandbox.Stats{}, fmt.Errorf("oci: stats: %w", err)
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(in.buf[:n])), 10, 64)
	if err != nil {
		return sandbox.Stats{}, fmt.Errorf("oci: stats: %w", err)
	}
	return sandbox.Stats{MaxMemoryBytes: v}, nil
}
