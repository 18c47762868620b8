// Package sandboxtest is the conformance suite every sandbox.Sandbox implementation
// runs (process now, oci later), so they all keep the same contract.
package sandboxtest

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// Run checks sb against the Sandbox contract. The runtimes it starts are small
// /bin/sh scripts placed in a code directory.
func Run(t *testing.T, sb sandbox.Sandbox) {
	t.Run("output env and working directory", func(t *testing.T) {
		code := script(t, `echo "hello $GREETING"; pwd; echo oops >&2`)
		out := start(t, sb, code, []string{"GREETING=world"})
		if err := out.inst.Wait(); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		got := out.read(t)
		if !strings.Contains(got, "hello world\n") || !strings.Contains(got, "oops\n") || !strings.Contains(got, "\n") {
			t.Errorf("output %q", got)
		}
	})
	t.Run("exit status", func(t *testing.T) {
		out := start(t, sb, script(t, `exit 3`), nil)
		err := out.inst.Wait()
		var xe *exec.ExitError
		if !errors.As(err, &xe) || xe.ExitCode() != 3 || xe.ProcessState.String() != "exit status 3" {
			t.Errorf("Wait = %v, want exit status 3", err)
		}
	})
	t.Run("stop kills the whole tree", func(t *testing.T) {
		// The runtime leaves a background child behind and prints its pid.
		out := start(t, sb, script(t, `sleep 300 & echo $!; sleep 300`), nil)
		pid := out.firstLineInt(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := out.inst.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		var xe *exec.ExitError
		if err := out.inst.Wait(); !errors.As(err, &xe) {
			t.Errorf("Wait after Stop = %v, want a signal exit", err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("background child %d survived Stop", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := out.inst.Stop(ctx); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	})
	t.Run("stats", func(t *testing.T) {
		out := start(t, sb, script(t, `echo ready; sleep 300`), nil)
		out.firstLine(t)
		st, err := out.inst.Stats()
		if err != nil || st.MaxMemoryBytes <= 0 || st.MaxMemoryBytes > 1<<30 {
			t.Errorf("Stats = %+v, %v", st, err)
		}
		out.inst.Stop(context.Background()) //nolint:errcheck
	})
}

func script(t *testing.T, body string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type started struct {
	inst sandbox.Instance
	r    *os.File
}

func start(t *testing.T, sb sandbox.Sandbox, code string, env []string) *started {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	inst, err := sb.Start(context.Background(), sandbox.Spec{
		ID: "t", Command: []string{filepath.Join(code, "bootstrap")}, Env: append([]string{"PATH=/usr/bin:/bin"}, env...),
		CodeDir: code, MemoryMB: 128, Output: w,
	})
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		inst.Stop(context.Background()) //nolint:errcheck
		r.Close()
	})
	return &started{inst: inst, r: r}
}

func (s *started) read(t *testing.T) string {
	b, err := io.ReadAll(s.r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (s *started) firstLine(t *testing.T) string {
	t.Helper()
	var line []byte
	b := make([]byte, 1)
	s.r.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	for {
		n, err := s.r.Read(b)
		if err != nil {
			t.Fatalf("reading output: %v", err)
		}
		if n == 1 && b[0] == '\n' {
			return string(line)
		}
		line = append(line, b[:n]...)
	}
}

func (s *started) firstLineInt(t *testing.T) int {
	n, err := strconv.Atoi(s.firstLine(t))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
