package oci_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/sandbox"
	"github.com/stratus-run/stratus/internal/sandbox/oci"
	"github.com/stratus-run/stratus/internal/sandbox/sandboxtest"
)

// What a runtime sees from inside must not depend on whether its container was
// created for it or ahead of need: the same script runs both ways and prints its
// environment, identity, working directory, open descriptors, the mounts it
// has (options, not ids; a waiting container's code is mounted over its empty
// mount point, so each point is printed once) and /tmp's size, and the outputs must match.
func TestPooledMatchesDirect(t *testing.T) {
	direct := newSandbox(t)
	pooled := newSandboxPool(t, 1)
	code := t.TempDir()
	opt := t.TempDir()
	for _, d := range []string{code, opt} {
		os.Chmod(d, 0o755) //nolint:errcheck
	}
	os.WriteFile(filepath.Join(opt, "layer-file"), []byte("from a layer\n"), 0o644) //nolint:errcheck
	body := `env | sort; id; pwd; ls /proc/self/fd | sort | tr '\n' ' '; echo
awk '$5 ~ "^/(var/task|opt|tmp)$" && !seen[$5]++ {print $5, $6}' /proc/self/mountinfo
df -k /tmp | tail -1 | awk '{print $2}'
cat /opt/layer-file
touch /var/task/x 2>&1 | sed 's/.*: //'
echo "quote's \"and\" $DOLLAR"`
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte("#!/bin/sh\n"+body+"\n"), 0o755) //nolint:errcheck
	spec := sandbox.Spec{
		Command: []string{"/var/task/bootstrap", "arg with space", "it's"},
		Env:     []string{"PATH=/usr/bin:/bin", "DOLLAR=$HOME `x` 'q'", "MULTI=line1\n", "EMPTY="},
		CodeDir: code, OptDir: opt, MemoryMB: 256, EphemeralMB: 700,
	}
	run := func(sb *oci.Sandbox, id string) string {
		if sb.Pool > 0 {
			for deadline := time.Now().Add(10 * time.Second); sb.PoolStats().Ready == 0; {
				if time.Now().After(deadline) {
					t.Fatal("the pool never filled")
				}
				time.Sleep(time.Millisecond)
			}
		}
		netw, err := sb.Network(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer netw.Close()
		r, w, err := sandboxtest.Output(netw)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		sp := spec
		sp.ID, sp.Network, sp.Output = id, netw, w
		inst, err := sb.Start(context.Background(), sp)
		if w != nil {
			w.Close()
		}
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		out, _ := io.ReadAll(r)
		if err := inst.Wait(); err != nil {
			t.Fatalf("Wait: %v\n%s", err, out)
		}
		return string(out)
	}
	want := run(direct, "direct")
	got := run(pooled, "pooled")
	if st := pooled.PoolStats(); st.Specialised != 1 {
		t.Fatalf("pool stats %+v: the environment did not start in a waiting container", st)
	}
	if got != want {
		t.Errorf("pooled container differs from a direct one:\n--- direct\n%s--- pooled\n%s", want, got)
	}
	for _, s := range []string{"/var/task ro,nosuid,nodev", "/tmp rw,nosuid,nodev", "716800\n", "from a layer", "Read-only file system", "MULTI=line1\n"} {
		if !strings.Contains(got, s) {
			t.Errorf("pooled output lacks %q:\n%s", s, got)
		}
	}
}

// A command Lambda's user may not execute fails at Start, as the OCI runtime's
// create fails for a container of its own, and takes the waiting container
// with it rather than leaving it half specialised.
func TestPooledNotExecutable(t *testing.T) {
	sb := newSandboxPool(t, 1)
	code := t.TempDir()
	os.Chmod(code, 0o755)                                                                 //nolint:errcheck
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte("#!/bin/sh\necho hi\n"), 0o644) //nolint:errcheck
	for deadline := time.Now().Add(10 * time.Second); sb.PoolStats().Ready == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	netw, err := sb.Network(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer netw.Close()
	r, w, err := sandboxtest.Output(netw)
	if err != nil || w != nil {
		t.Fatalf("the network came without its output: %v", err)
	}
	defer r.Close()
	_, err = sb.Start(context.Background(), sandbox.Spec{ID: "x", Command: []string{"/var/task/bootstrap"},
		CodeDir: code, MemoryMB: 128, Network: netw})
	if !errors.Is(err, os.ErrPermission) {
		t.Fatalf("Start = %v, want permission denied", err)
	}
}
