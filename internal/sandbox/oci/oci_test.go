package oci_test

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/sandbox"
	"github.com/stratus-run/stratus/internal/sandbox/oci"
	"github.com/stratus-run/stratus/internal/sandbox/sandboxtest"
)

// newSandbox opens an oci sandbox; it skips only where no OCI runtime is
// installed at all (CI installs crun), and fails where one is but does not work.
func newSandbox(t *testing.T, mods ...func(*oci.Sandbox)) *oci.Sandbox {
	return newSandboxPool(t, 0, mods...)
}

// newSandboxPool opens an oci sandbox keeping pool containers created ahead.
func newSandboxPool(t *testing.T, pool int, mods ...func(*oci.Sandbox)) *oci.Sandbox {
	t.Helper()
	_, crun := exec.LookPath("crun")
	_, runc := exec.LookPath("runc")
	if crun != nil && runc != nil {
		t.Skip("no OCI runtime (crun or runc) installed")
	}
	sb := &oci.Sandbox{StateDir: t.TempDir(), Pool: pool}
	for _, m := range mods {
		m(sb)
	}
	if err := sb.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

func TestConformance(t *testing.T) { sandboxtest.Run(t, newSandbox(t)) }

// With outbound network the environments' own network behaves the same,
// created on demand or ahead of need.
func TestConformanceOutbound(t *testing.T) {
	outbound := func(sb *oci.Sandbox) { sb.OutboundRange = netip.MustParsePrefix("169.254.174.0/24") }
	t.Run("direct", func(t *testing.T) { sandboxtest.Run(t, newSandbox(t, outbound)) })
	t.Run("pooled", func(t *testing.T) { sandboxtest.Run(t, waitPool{newSandboxPool(t, 2, outbound)}) })
}

// TestConformancePooled runs the same contract through containers created ahead
// of need and specialised at Start.
// Each Network waits for a ready container, so every environment but those
// whose spec a waiting container cannot take (extra files) starts in one.
func TestConformancePooled(t *testing.T) {
	sb := newSandboxPool(t, 2)
	sandboxtest.Run(t, waitPool{sb})
	st := sb.PoolStats()
	if st.Specialised < 5 || st.Unsuited != 1 {
		t.Errorf("pool stats %+v: want most environments specialised, the extra-files one unsuited", st)
	}
}

type waitPool struct{ *oci.Sandbox }

func (w waitPool) Network(ctx context.Context) (sandbox.Network, error) {
	for deadline := time.Now().Add(10 * time.Second); w.PoolStats().Ready == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return w.Sandbox.Network(ctx)
}

// BenchmarkPauseResume is what freezing an idle environment and thawing it for
// its next invocation costs (two writes to the v1 freezer), per invocation. Its
// baseline is the same two writes' worth of syscalls on /dev/null.
func BenchmarkPauseResume(b *testing.B) {
	sb := newSandboxB(b)
	code := b.TempDir()
	os.Chmod(code, 0o755)                                                                        //nolint:errcheck
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte("#!/bin/sh\nexec sleep 300\n"), 0o755) //nolint:errcheck
	netw, err := sb.Network(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer netw.Close()
	inst, err := sb.Start(context.Background(), sandbox.Spec{ID: "bench", Command: []string{"/var/task/bootstrap"},
		Env: []string{"PATH=/usr/bin:/bin"}, CodeDir: code, MemoryMB: 128, Network: netw, Output: os.Stderr})
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Stop(context.Background()) //nolint:errcheck
	null, _ := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	defer null.Close()
	// The baseline runs in the same run, before the timed loop (a nested
	// testing.Benchmark would deadlock on the benchmark lock).
	t0 := time.Now()
	for range b.N {
		null.WriteAt([]byte("FROZEN"), 0) //nolint:errcheck
		null.WriteAt([]byte("THAWED"), 0) //nolint:errcheck
	}
	base := time.Since(t0)
	b.ResetTimer()
	for range b.N {
		if err := inst.Pause(); err != nil {
			b.Fatal(err)
		}
		if err := inst.Resume(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(per/1000, "us-per-pause-resume")
	b.ReportMetric(float64(b.Elapsed())/float64(base), "x-devnull")
}

func newSandboxB(b *testing.B) *oci.Sandbox {
	if _, err := exec.LookPath("crun"); err != nil {
		if _, err := exec.LookPath("runc"); err != nil {
			b.Skip("no OCI runtime installed")
		}
	}
	sb := &oci.Sandbox{StateDir: b.TempDir()}
	if err := sb.Open(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	return sb
}
