// Package sandboxtest is the conformance suite every sandbox.Sandbox implementation
// runs (process and oci), so they all keep the same contract.
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
	"sync/atomic"
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
	t.Run("extra files", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		out := startWith(t, sb, script(t, `echo through-fd-3 >&3`), nil, []*os.File{w})
		w.Close()
		if err := out.inst.Wait(); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		b, _ := io.ReadAll(r)
		if string(b) != "through-fd-3\n" {
			t.Errorf("descriptor 3 carried %q", b)
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
		// The runtime leaves a background child behind that keeps writing; the
		// output reaches EOF only once every process holding it is gone. (A pid
		// printed from inside would mean nothing in a container's pid namespace.)
		out := start(t, sb, script(t, `(while :; do echo tick; sleep 0.05; done) & echo started; sleep 300`), nil)
		if got := out.firstLine(t); got != "started" && got != "tick" {
			t.Fatalf("first line %q", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := out.inst.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		var xe *exec.ExitError
		if err := out.inst.Wait(); !errors.As(err, &xe) || xe.String() != "signal: killed" {
			t.Errorf("Wait after Stop = %v, want signal: killed", err)
		}
		out.r.SetReadDeadline(time.Now().Add(3 * time.Second)) //nolint:errcheck
		if _, err := io.Copy(io.Discard, out.r); err != nil {
			t.Fatalf("the background child survived Stop: %v", err)
		}
		if err := out.inst.Stop(ctx); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	})
	t.Run("pause and resume", func(t *testing.T) {
		out := start(t, sb, script(t, `while :; do echo tick; sleep 0.02; done`), nil)
		out.firstLine(t)
		if err := out.inst.Pause(); err != nil {
			t.Fatalf("Pause: %v", err)
		}
		if err := out.inst.Resume(); err != nil {
			t.Fatalf("Resume: %v", err)
		}
		out.firstLine(t) // it runs again
		// A paused environment can still be stopped.
		if err := out.inst.Pause(); err != nil {
			t.Fatalf("Pause: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := out.inst.Stop(ctx); err != nil {
			t.Fatalf("Stop while paused: %v", err)
		}
	})
	t.Run("network", func(t *testing.T) {
		netw, err := sb.Network(context.Background())
		if err != nil {
			t.Fatalf("Network: %v", err)
		}
		defer netw.Close()
		ln, err := netw.Listen("127.0.0.1:9001")
		if err != nil {
			t.Fatalf("Listen: %v", err)
		}
		go func() {
			c, err := ln.Accept()
			if err == nil {
				c.Write([]byte("hello from the host side\n")) //nolint:errcheck
				c.Close()
			}
		}()
		// The runtime reads from the listener's address as it sees it, with the
		// shell's /dev/tcp-free tools: python would do, but sh and cat suffice
		// where bash's /dev/tcp exists.
		code := script(t, `exec bash -c 'exec 3<>/dev/tcp/`+strings.Replace(ln.Addr().String(), ":", "/", 1)+`; cat <&3'`)
		out := startIn(t, sb, netw, code, nil, nil)
		if got := out.firstLine(t); got != "hello from the host side" {
			t.Errorf("read %q through the environment's listener", got)
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

var seq atomic.Int64

func script(t *testing.T, body string) string {
	dir := t.TempDir()
	// A container runs code as an unprivileged user: the directory must be
	// readable as Lambda requires of a code package.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Output is the pipe an environment in netw writes to, as the engine gets it:
// the one a Prepared network comes with (w nil, for Spec.Output), or a new one.
func Output(netw sandbox.Network) (r, w *os.File, err error) {
	if p, ok := netw.(sandbox.Prepared); ok {
		if r := p.Output(); r != nil {
			return r, nil, nil
		}
	}
	return os.Pipe()
}

type started struct {
	inst sandbox.Instance
	r    *os.File
}

func start(t *testing.T, sb sandbox.Sandbox, code string, env []string) *started {
	t.Helper()
	netw, err := sb.Network(context.Background())
	if err != nil {
		t.Fatalf("Network: %v", err)
	}
	t.Cleanup(func() { netw.Close() })
	return startIn(t, sb, netw, code, env, nil)
}

func startWith(t *testing.T, sb sandbox.Sandbox, code string, env []string, extra []*os.File) *started {
	t.Helper()
	netw, err := sb.Network(context.Background())
	if err != nil {
		t.Fatalf("Network: %v", err)
	}
	t.Cleanup(func() { netw.Close() })
	return startIn(t, sb, netw, code, env, extra)
}

func startIn(t *testing.T, sb sandbox.Sandbox, netw sandbox.Network, code string, env []string, extra []*os.File) *started {
	t.Helper()
	r, w, err := Output(netw)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := sb.Start(context.Background(), sandbox.Spec{
		ID: strconv.FormatInt(seq.Add(1), 10), Command: []string{filepath.Join(sb.Paths(code, "").TaskRoot, "bootstrap")},
		Env: append([]string{"PATH=/usr/bin:/bin"}, env...), CodeDir: code, MemoryMB: 128, Network: netw, Output: w, ExtraFiles: extra,
	})
	if w != nil {
		w.Close()
	}
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
