// Package process runs each execution environment as a plain child process in its
// own process group. It is the fastest sandbox and isolates nothing beyond the
// process group and rlimits: for development and machines without an OCI runtime.
package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// Sandbox starts runtimes as child processes.
type Sandbox struct{}

var _ sandbox.Sandbox = (*Sandbox)(nil)
var _ sandbox.Instance = (*instance)(nil)

// Name returns "process".
func (*Sandbox) Name() string { return "process" }

// Start forks the runtime in a new process group with the spec's environment and the
// code directory as its working directory. Command[0] is resolved inside CodeDir when
// it is not absolute.
func (*Sandbox) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	if len(spec.Command) == 0 {
		return nil, errors.New("process: empty command")
	}
	cmd := exec.Command(spec.Command[0], spec.Command[1:]...)
	cmd.Dir = spec.CodeDir
	cmd.Env = spec.Env
	cmd.Stdout = spec.Output
	cmd.Stderr = spec.Output
	cmd.ExtraFiles = spec.ExtraFiles
	// Setpgid puts the runtime and all it forks in one group, so Stop kills every
	// process the function left behind. Pdeathsig ends the runtime if Stratus dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in := &instance{cmd: cmd, done: make(chan struct{})}
	// Kept open for Stats, which runs once per invocation: a pread of an open
	// /proc file costs a few µs where opening it each time costs tens.
	proc := "/proc/" + strconv.Itoa(cmd.Process.Pid)
	in.status, _ = os.Open(proc + "/status")
	in.statm, _ = os.Open(proc + "/statm")
	go func() {
		in.err = cmd.Wait()
		in.mu.Lock()
		for _, f := range []*os.File{in.status, in.statm} {
			if f != nil {
				f.Close()
			}
		}
		in.status, in.statm = nil, nil
		in.mu.Unlock()
		close(in.done)
	}()
	return in, nil
}

type instance struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done closes

	stopOnce sync.Once

	mu     sync.Mutex
	status *os.File // /proc/<pid>/status while the runtime lives
	statm  *os.File // /proc/<pid>/statm while the runtime lives
	buf    [4096]byte
	peak   int64     // highest resident set seen, bytes
	hwmAt  time.Time // when VmHWM was last read into peak
}

// hwmEvery is how often Stats reads the kernel's peak (VmHWM), which costs several
// times the current-RSS read it makes every time; between reads, a resident set
// above the known peak triggers one at once.
const hwmEvery = 250 * time.Millisecond

// InitDone does nothing: the process sandbox limits no CPU.
func (in *instance) InitDone() error { return nil }

// Pause does nothing: a process group could be stopped with SIGSTOP, but a runtime
// that the process sandbox shares the host with may handle or observe it.
func (in *instance) Pause() error { return nil }

// Resume does nothing (see Pause).
func (in *instance) Resume() error { return nil }

func (in *instance) Wait() error {
	<-in.done
	return in.err
}

func (in *instance) Stop(ctx context.Context) error {
	in.stopOnce.Do(func() {
		// The negative pid addresses the whole process group.
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	})
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats reports the runtime's peak resident set: the kernel's VmHWM, refreshed when
// the current resident set passes the last known peak or hwmEvery has passed.
func (in *instance) Stats() (sandbox.Stats, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.status == nil || in.statm == nil {
		return sandbox.Stats{}, errors.New("process: stats: the runtime has exited")
	}
	rss, err := in.residentLocked()
	if err != nil {
		return sandbox.Stats{}, err
	}
	if rss > in.peak || time.Since(in.hwmAt) >= hwmEvery {
		hwm, err := in.hwmLocked()
		if err != nil {
			return sandbox.Stats{}, err
		}
		in.peak, in.hwmAt = max(in.peak, hwm, rss), time.Now()
	}
	return sandbox.Stats{MaxMemoryBytes: in.peak}, nil
}

// residentLocked reads the current resident set from statm (its second field, in
// pages).
func (in *instance) residentLocked() (int64, error) {
	n, err := in.statm.ReadAt(in.buf[:128], 0)
	if n == 0 && err != nil {
		return 0, fmt.Errorf("process: stats: %w", err)
	}
	f := bytes.Fields(in.buf[:n])
	if len(f) < 2 {
		return 0, errors.New("process: stats: short statm")
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("process: stats: %w", err)
	}
	return pages * int64(os.Getpagesize()), nil
}

// hwmLocked reads VmHWM from status.
func (in *instance) hwmLocked() (int64, error) {
	n, err := in.status.ReadAt(in.buf[:], 0)
	if n == 0 && err != nil {
		return 0, fmt.Errorf("process: stats: %w", err)
	}
	b := in.buf[:n]
	i := bytes.Index(b, []byte("\nVmHWM:"))
	if i < 0 {
		return 0, errors.New("process: stats: no VmHWM")
	}
	line := b[i+len("\nVmHWM:"):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("process: stats: %w", err)
	}
	return kb * 1024, nil
}
