package oci_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// BenchmarkStart times an environment from Network to its runtime's first output,
// for a runtime that prints a newline and exits (/bin/echo as the bootstrap;
// the container's removal after it is not timed): in a container
// created ahead of need (pooled, waiting for the pool to refill between starts,
// untimed) and in one created at Start (direct, the baseline), alternating.
func BenchmarkStart(b *testing.B) {
	direct := newSandboxB(b)
	pooled := &oci.Sandbox{StateDir: b.TempDir(), Pool: 1}
	if err := pooled.Open(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pooled.Close() })
	code := b.TempDir()
	os.Chmod(code, 0o755) //nolint:errcheck
	t, err := os.ReadFile("/bin/echo")
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(code, "bootstrap"), t, 0o755) //nolint:errcheck
	once := func(sb *oci.Sandbox, id string) time.Duration {
		for sb.Pool > 0 && sb.PoolStats().Ready == 0 {
			time.Sleep(time.Millisecond)
		}
		t0 := time.Now()
		netw, err := sb.Network(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer netw.Close()
		r, w, err := sandboxtest.Output(netw)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		inst, err := sb.Start(context.Background(), sandbox.Spec{ID: id, Command: []string{"/var/task/bootstrap"},
			Env: []string{"PATH=/usr/bin:/bin"}, CodeDir: code, MemoryMB: 128, Network: netw, Output: w})
		if w != nil {
			w.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Read(make([]byte, 1)); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		if err := inst.Wait(); err != nil {
			b.Fatal(err)
		}
		return d
	}
	var pooledT, directT []time.Duration
	for i := range b.N {
		pooledT = append(pooledT, once(pooled, "p"+strconv.Itoa(i)))
		directT = append(directT, once(direct, "d"+strconv.Itoa(i)))
	}
	if st := pooled.PoolStats(); st.Specialised != int64(b.N) {
		b.Fatalf("pool stats %+v after %d starts", st, b.N)
	}
	p50 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	pm, dm := p50(pooledT), p50(directT)
	b.ReportMetric(pm, "pooled-p50-ms")
	b.ReportMetric(dm, "direct-p50-ms")
	b.ReportMetric(pm/dm, "x-direct-p50")
}
