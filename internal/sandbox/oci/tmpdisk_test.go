package oci

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// openForTmp opens a sandbox in stateDir, skipping where this machine has no oci
// sandbox or no disk /tmp.
func openForTmp(t testing.TB, stateDir string, pool int) *Sandbox {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	s := &Sandbox{StateDir: stateDir, Pool: pool}
	if err := s.Open(); err != nil {
		t.Skipf("no oci sandbox here: %v", err)
	}
	if s.tmp == nil {
		s.Close()
		t.Skip("no disk /tmp here (loop devices, mkfs.ext4)")
	}
	return s
}

// loopsUnder lists the loop devices whose backing file is under dir.
func loopsUnder(dir string) []string {
	var out []string
	files, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.HasPrefix(string(b), dir+"/") {
			out = append(out, strings.TrimSpace(string(b)))
		}
	}
	return out
}

// sleeper starts a container of its own that sleeps, with a /tmp of tmpMB.
func sleeper(t testing.TB, s *Sandbox, tmpMB int) sandbox.Instance {
	t.Helper()
	code := t.TempDir()
	os.Chmod(code, 0o755)                                                                       //nolint:errcheck
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte("#!/bin/sh\nexec sleep 60\n"), 0o755) //nolint:errcheck
	netw, err := newNetns(s.hostNS, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netw.Close() })
	in, err := s.Start(context.Background(), sandbox.Spec{ID: "sleeper", Command: []string{"/var/task/bootstrap"},
		CodeDir: code, MemoryMB: 128, EphemeralMB: tmpMB, Network: netw, Output: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// A clean stop leaves no image, mount or loop device; an environment's disk goes
// when it ends.
func TestTmpDisksGoWithTheirEnvironments(t *testing.T) {
	state := t.TempDir()
	s := openForTmp(t, state, 1)
	dir := s.tmp.dir
	in := sleeper(t, s, 600)
	img := in.(*instance).disk.img
	if l := loopsUnder(dir); !slices.Contains(l, img) {
		t.Errorf("loop devices with a running environment: %v, want %s among them", l, img)
	}
	in.Stop(context.Background()) //nolint:errcheck
	if _, err := os.Stat(img); !os.IsNotExist(err) {
		t.Errorf("a stopped environment's image: %v", err)
	}
	for s.PoolStats().Ready == 0 || len(s.tmp.spares) < spareDisks {
		time.Sleep(time.Millisecond)
	}
	if imgs, _ := filepath.Glob(filepath.Join(dir, "*.img")); len(imgs) != 1+spareDisks {
		t.Errorf("images with only the waiting slot's and the spares left: %v", imgs)
	}
	s.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after Close, %s: %v", dir, err)
	}
	waitNoLoops(t, dir)
}

func waitNoLoops(t *testing.T, dir string) {
	t.Helper()
	// Autoclear detaches a loop device once its last mount has gone, which an
	// unmount's lazy end may leave for a moment.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		l := loopsUnder(dir)
		if len(l) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("loop devices still attached: %v", l)
		}
	}
}

// A server killed with environments running leaves images, loop devices and
// containers; the next start in the same state directory removes them all.
func TestTmpDisksOfAKilledServer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	state := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTmpDiskChild$", "-test.v")
	cmd.Env = append(os.Environ(), "STRATUS_TMPDISK_CHILD="+state)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var got string
	for !strings.Contains(got, "ready") && !strings.Contains(got, "SKIP") {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("child: %v: %s", err, got)
		}
		got += string(buf[:n])
	}
	if strings.Contains(got, "SKIP") {
		cmd.Wait() //nolint:errcheck
		t.Skip(got)
	}
	cmd.Process.Kill() //nolint:errcheck
	cmd.Wait()         //nolint:errcheck
	stale := filepath.Join(state, "tmp-"+strconv.Itoa(cmd.Process.Pid))
	if len(loopsUnder(stale)) == 0 {
		t.Fatalf("the killed server left no loop device: is the test still testing? %s", got)
	}

	s := openForTmp(t, state, 0)
	defer s.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the killed server's images: %v", err)
	}
	// Its containers go in the background, and their mounts of the disks with them.
	waitNoLoops(t, stale)
}

// TestTmpDiskChild is the server TestTmpDisksOfAKilledServer kills: one
// environment of its own and one waiting slot, then it waits.
func TestTmpDiskChild(t *testing.T) {
	state := os.Getenv("STRATUS_TMPDISK_CHILD")
	if state == "" {
		t.Skip("run by TestTmpDisksOfAKilledServer")
	}
	s := openForTmp(t, state, 1)
	sleeper(t, s, 512)
	for s.PoolStats().Ready == 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("ready")
	syscall.Pause()
}

// BenchmarkTmpDisk times what an environment's /tmp costs: making the file
// system (a copy of the template's blocks, a loop device, a mount), which a
// spare or a pooled container's disk takes off the cold path except for sizes
// other than the default, and releasing it (shutdown, unmount, removal), off
// the cold path. Wall time, and the CPU time of Stratus's threads.
func BenchmarkTmpDisk(b *testing.B) {
	s := openForTmp(b, b.TempDir(), 0)
	defer s.Close()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru) //nolint:errcheck
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var mk, rel, mkCPU, relCPU time.Duration
	for range b.N {
		c0, t0 := cpu(), time.Now()
		dk, err := s.tmp.create(1024) // not the spares' size
		if err != nil {
			b.Fatal(err)
		}
		c1, t1 := cpu(), time.Now()
		dk.release()
		mk += t1.Sub(t0)
		rel += time.Since(t1)
		mkCPU += c1 - c0
		relCPU += cpu() - c1
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(us(mk), "make-us")
	b.ReportMetric(us(mkCPU), "make-cpu-us")
	b.ReportMetric(us(rel), "release-us")
	b.ReportMetric(us(relCPU), "release-cpu-us")
}

// statTmp runs a container (pooled when s has a pool) whose runtime prints
// the type and size of its /tmp, as statfs reports them.
func statTmp(t *testing.T, s *Sandbox, tmpMB int) string {
	t.Helper()
	code := t.TempDir()
	os.Chmod(code, 0o755) //nolint:errcheck
	script := "#!/bin/sh\nstat -f -c '%T %b %S' /tmp\n"
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte(script), 0o755) //nolint:errcheck
	for s.Pool > 0 && s.PoolStats().Ready == 0 {
		time.Sleep(time.Millisecond)
	}
	netw, err := s.Network(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer netw.Close()
	spec := sandbox.Spec{ID: "stat", Command: []string{"/var/task/bootstrap"}, Env: []string{"PATH=/usr/bin:/bin"},
		CodeDir: code, MemoryMB: 128, EphemeralMB: tmpMB, Network: netw}
	var r *os.File
	if p, ok := netw.(sandbox.Prepared); ok {
		r = p.Output() // nil without a waiting container
	}
	if r == nil {
		var w *os.File
		if r, w, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		spec.Output = w
	}
	defer r.Close()
	in, err := s.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Output != nil {
		spec.Output.Close()
	}
	buf := make([]byte, 256)
	n, _ := r.Read(buf)
	in.Wait() //nolint:errcheck
	return strings.TrimSpace(string(buf[:n]))
}

// /tmp is a disk of EphemeralStorage, pooled or not, of the default size or
// not; where the machine cannot make disks, a tmpfs of that size.
func TestTmpKinds(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, tmpfs := range []bool{false, true} {
		for _, pool := range []int{0, 1} {
			s := &Sandbox{StateDir: t.TempDir(), Pool: pool, tmpfsOnly: tmpfs}
			if err := s.Open(); err != nil {
				t.Skipf("no oci sandbox here: %v", err)
			}
			defer s.Close()
			kind := "ext2/ext3" // what stat calls ext4's magic number
			if tmpfs {
				kind = "tmpfs"
			} else if s.tmp == nil {
				t.Skip("no disk /tmp here (loop devices, mkfs.ext4)")
			}
			for _, mb := range []int{512, 256} {
				want := fmt.Sprintf("%s %d 4096", kind, mb<<20/4096)
				if got := statTmp(t, s, mb); got != want {
					t.Errorf("tmpfs only %v, pool %d, EphemeralStorage %d: /tmp is %q, want %q", tmpfs, pool, mb, got, want)
				}
			}
		}
	}
}
