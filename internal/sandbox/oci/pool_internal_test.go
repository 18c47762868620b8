package oci

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// The mounts a slot makes in the launcher's namespace go with it: after many
// environments have come and gone, only the waiting slots' mounts remain.
func TestSlotMountsReleased(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	s := &Sandbox{StateDir: t.TempDir(), Pool: 1}
	if err := s.Open(); err != nil {
		t.Skipf("no oci sandbox here: %v", err)
	}
	defer s.Close()
	slotMounts := func() int {
		var n int
		s.launch.tidyUp(func() error { //nolint:errcheck
			b, err := os.ReadFile("/proc/thread-self/mountinfo")
			for _, line := range bytes.Split(b, []byte{'\n'}) {
				if f := bytes.Fields(line); len(f) > 4 && bytes.HasPrefix(f[4], []byte(filepath.Join(s.StateDir, "slots"))) {
					n++
				}
			}
			return err
		})
		return n
	}
	code := t.TempDir()
	os.Chmod(code, 0o755)                                                                //nolint:errcheck
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte("#!/bin/sh\nexit 0\n"), 0o755) //nolint:errcheck
	for range 5 {
		for s.PoolStats().Ready == 0 {
			time.Sleep(time.Millisecond)
		}
		netw, _ := s.Network(context.Background())
		out := netw.(sandbox.Prepared).Output()
		in, err := s.Start(context.Background(), sandbox.Spec{ID: "x", Command: []string{"/var/task/bootstrap"},
			CodeDir: code, OptDir: code, MemoryMB: 128, Network: netw})
		if err != nil {
			t.Fatal(err)
		}
		in.Wait() //nolint:errcheck
		netw.Close()
		out.Close()
	}
	for s.PoolStats().Ready == 0 {
		time.Sleep(time.Millisecond)
	}
	// One waiting slot: task and opt (each bound onto itself) and tmp (a
	// tmpfs, or bound onto itself with the slot's disk over it).
	want := 3
	if s.tmp != nil {
		want = 4
	}
	if n := slotMounts(); n != want {
		t.Errorf("%d slot mounts in the launcher's namespace, want the waiting slot's %d", n, want)
	}
}

// Init runs with a burst: the default CPU weight and no quota; InitDone gives the
// environment its function's weight and quota, pooled or not.
func TestInitBurstThenFunctionsCPU(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	s := &Sandbox{StateDir: t.TempDir(), Pool: 1}
	if err := s.Open(); err != nil {
		t.Skipf("no oci sandbox here: %v", err)
	}
	defer s.Close()
	code := t.TempDir()
	os.Chmod(code, 0o755)                                                                       //nolint:errcheck
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte("#!/bin/sh\nexec sleep 30\n"), 0o755) //nolint:errcheck
	for _, pooled := range []bool{false, true} {
		for pooled && s.PoolStats().Ready == 0 {
			time.Sleep(time.Millisecond)
		}
		var netw sandbox.Network
		if pooled {
			netw, _ = s.Network(context.Background())
		} else {
			netw, _ = newNetns(s.hostNS, nil)
		}
		defer netw.Close()
		var out *os.File
		if p, ok := netw.(sandbox.Prepared); ok {
			out = p.Output()
		}
		spec := sandbox.Spec{ID: "cpu", Command: []string{"/var/task/bootstrap"}, CodeDir: code, MemoryMB: 512, Network: netw}
		if out == nil {
			spec.Output = os.Stderr
		} else {
			defer out.Close()
		}
		inst, err := s.Start(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		in := inst.(*instance)
		defer in.Stop(context.Background()) //nolint:errcheck
		if in.slot == nil == pooled {
			t.Fatalf("pooled %v: slot %v", pooled, in.slot)
		}
		read := func(name string) string {
			b, _ := os.ReadFile(in.cgroupFile("cpu", name))
			return string(bytes.TrimSpace(b))
		}
		if sh, q := read("cpu.shares"), read("cpu.cfs_quota_us"); sh != "1024" || q != "-1" {
			t.Errorf("pooled %v: during init shares %s quota %s, want 1024 and -1", pooled, sh, q)
		}
		if err := in.InitDone(); err != nil {
			t.Fatal(err)
		}
		if sh, q := read("cpu.shares"), read("cpu.cfs_quota_us"); sh != "296" || q != "28942" {
			t.Errorf("pooled %v: after init shares %s quota %s, want 296 and 28942 (512/1769 of a vCPU)", pooled, sh, q)
		}
	}
}
