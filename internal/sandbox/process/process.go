// Package process runs each execution environment as a plain child process in its
// own process group. It is the fastest sandbox and isolates nothing beyond the
// process group and rlimits: for development and machines without an OCI runtime.
package process

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

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
	// Setpgid puts the runtime and all it forks in one group, so Stop kills every
	// process the function left behind. Pdeathsig ends the runtime if Stratus dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in := &instance{cmd: cmd, done: make(chan struct{})}
	go func() {
		in.err = cmd.Wait()
		close(in.done)
	}()
	return in, nil
}

type instance struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done closes

	stopOnce sync.Once
}

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

// Stats reads the runtime's peak resident set (VmHWM) from /proc.
func (in *instance) Stats() (sandbox.Stats, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(in.cmd.Process.Pid) + "/status")
	if err != nil {
		return sandbox.Stats{}, fmt.Errorf("process: stats: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err != nil {
				return sandbox.Stats{}, fmt.Errorf("process: stats: %w", err)
			}
			return sandbox.Stats{MaxMemoryBytes: kb * 1024}, nil
		}
	}
	return sandbox.Stats{}, errors.New("process: stats: no VmHWM")
}
