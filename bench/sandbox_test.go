package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/testfn"
)

// The sandbox benchmarks compare --sandbox oci with --sandbox process: Stratus
// servers from one build, measured alternately in the same run, so that other work
// on the machine falls on all alike. The oci server keeps its default pool of
// containers created ahead of need; ociDirectRig (--sandbox-pool 0) creates each
// container at its cold start.

var (
	sandboxRigsOnce               sync.Once
	procRig, ociRig, ociDirectRig *Rig
	sandboxRigsErr                error
)

// skipWithoutOCI skips a benchmark of the oci sandbox where no OCI runtime is
// installed.
func skipWithoutOCI(b *testing.B) {
	b.Helper()
	if _, err := exec.LookPath("crun"); err != nil {
		if _, err := exec.LookPath("runc"); err != nil {
			b.Skip("no OCI runtime installed")
		}
	}
}

// buildStratus builds the server once for servers compared in one run.
func buildStratus() (string, error) {
	root, err := testfn.ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "stratus-bench")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "stratus")
	return bin, testfn.GoBuild(root, "./cmd/stratus", bin)
}

func openSandboxRigs(b *testing.B) (proc, oci *Rig) {
	b.Helper()
	skipWithoutOCI(b)
	sandboxRigsOnce.Do(func() {
		bin, err := buildStratus()
		if sandboxRigsErr = err; err != nil {
			return
		}
		ctx := context.Background()
		if procRig, sandboxRigsErr = Open(ctx, Options{Stratus: bin, StratusFlags: []string{"--sandbox", "process"}}); sandboxRigsErr != nil {
			return
		}
		if ociRig, sandboxRigsErr = Open(ctx, Options{Stratus: bin, StratusFlags: []string{"--sandbox", "oci"}}); sandboxRigsErr != nil {
			return
		}
		ociDirectRig, sandboxRigsErr = Open(ctx, Options{Stratus: bin, StratusFlags: []string{"--sandbox", "oci", "--sandbox-pool", "0"}})
	})
	if sandboxRigsErr != nil {
		b.Fatal(sandboxRigsErr)
	}
	return procRig, ociRig
}

// BenchmarkSandboxColdStart times b.N cold starts (first Invoke of a fresh echo
// function, as BenchmarkColdStart) in each sandbox, alternating: process, oci with
// its pool of containers created ahead of need, and oci creating each container
// at the cold start (oci-direct). Reported: p50 and p99 of each, oci's Init
// Duration, the share of oci's cold starts that found a waiting container, and
// x-process-p50, oci's p50 over process's. Target: oci p50 under 25 ms.
func BenchmarkSandboxColdStart(b *testing.B) {
	proc, oci := openSandboxRigs(b)
	rigs := []*Rig{proc, oci, ociDirectRig}
	ctx := context.Background()
	var lat [3][]time.Duration
	var inits []time.Duration
	pooled0 := poolStarts(b, oci)
	deadline := time.Now().Add(maxBenchTime)
	b.ResetTimer()
	b.StopTimer()
	for i := range b.N {
		if time.Now().After(deadline) {
			b.Fatalf("stopped by the %v bound after %d of %d cold starts", maxBenchTime, i, b.N)
		}
		for k, r := range rigs {
			name := fmt.Sprintf("sb-cold-%d", coldSeq.Add(1))
			if err := r.CreateEcho(ctx, name); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			initDur, err := r.InvokeCold(ctx, r.Admin, name)
			d := time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			lat[k] = append(lat[k], d)
			if k == 1 {
				inits = append(inits, initDur)
			}
			if err := r.DeleteFunction(ctx, name); err != nil {
				b.Fatal(err)
			}
		}
	}
	p, o, od, in := Summarise(lat[0], 0), Summarise(lat[1], 0), Summarise(lat[2], 0), Summarise(inits, 0)
	b.ReportMetric(ms(p.P50), "process-p50-ms")
	b.ReportMetric(ms(p.P99), "process-p99-ms")
	b.ReportMetric(ms(o.P50), "oci-p50-ms")
	b.ReportMetric(ms(o.P99), "oci-p99-ms")
	b.ReportMetric(ms(in.P50), "oci-init-p50-ms")
	b.ReportMetric((poolStarts(b, oci)-pooled0)/float64(b.N), "oci-pooled-share")
	b.ReportMetric(ms(od.P50), "oci-direct-p50-ms")
	b.ReportMetric(ms(od.P99), "oci-direct-p99-ms")
	b.ReportMetric(float64(o.P50)/float64(p.P50), "x-process-p50")
}

// poolStarts reads how many environments r's server started in a waiting
// container (stratus_sandbox_pool_starts_total{how="pooled"}).
func poolStarts(b *testing.B, r *Rig) float64 {
	b.Helper()
	resp, err := http.Get(r.Stratus.URL + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `stratus_sandbox_pool_starts_total{how="pooled"} `); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no pooled starts counter in /metrics")
	return 0
}

// alternate makes b.N calls, taking the callers in turn (so that other work on
// the machine falls on each alike), within maxBenchTime, and returns each
// caller's latencies. Only the calls are timed.
func alternate(b *testing.B, ctx context.Context, calls ...Caller) [][]time.Duration {
	b.Helper()
	lat := make([][]time.Duration, len(calls))
	deadline := time.Now().Add(maxBenchTime)
	b.ResetTimer()
	for i := range b.N {
		if time.Now().After(deadline) {
			b.Fatalf("stopped by the %v bound after %d of %d calls", maxBenchTime, i, b.N)
		}
		k := i % len(calls)
		t0 := time.Now()
		if err := calls[k](ctx); err != nil {
			b.Fatal(err)
		}
		lat[k] = append(lat[k], time.Since(t0))
	}
	b.StopTimer()
	return lat
}

// BenchmarkSandboxWarm times warm invokes of the echo function in each sandbox,
// alternating in rounds. In oci the environment is frozen between invocations and
// thawed for each, as Lambda's; x-process-p50 is what that and the container cost.
func BenchmarkSandboxWarm(b *testing.B) {
	proc, oci := openSandboxRigs(b)
	ctx := context.Background()
	lat := alternate(b, ctx, proc.InvokeCaller(proc.Admin, EchoFunction), oci.InvokeCaller(oci.Admin, EchoFunction))
	p, o := Summarise(lat[0], 0), Summarise(lat[1], 0)
	b.ReportMetric(us(p.P50), "process-p50-us")
	b.ReportMetric(us(o.P50), "oci-p50-us")
	b.ReportMetric(us(o.P99), "oci-p99-us")
	b.ReportMetric(float64(o.P50)/float64(p.P50), "x-process-p50")
}

// BenchmarkSandboxIdleDensity starts b.N idle (frozen) environments of a 128 MB Go
// function in the oci sandbox, one per function, and the same number in the
// process sandbox, and reports the memory they hold: the containers' memory
// cgroups (which count page cache and kernel memory too) and the processes'
// resident sets, as environments per GB.
//
// SANDBOX_DENSITY=oci starts the oci environments only (for counts the process
// sandbox's would not leave memory for on a shared machine).
func BenchmarkSandboxIdleDensity(b *testing.B) {
	proc, oci := openSandboxRigs(b)
	rigs := []*Rig{proc, oci}
	if os.Getenv("SANDBOX_DENSITY") == "oci" {
		rigs = []*Rig{nil, oci}
	}
	ctx := context.Background()
	b.ResetTimer()
	b.StopTimer()
	start := time.Now()
	// MemAvailable before and after each sandbox's environments: the whole cost,
	// kernel (namespaces, page tables) and Stratus's side included.
	avail := []int64{memAvailable(b)}
	for k, r := range rigs {
		if r == nil {
			avail = append(avail, avail[0])
			continue
		}
		for i := range b.N {
			name := fmt.Sprintf("sb-idle-%d-%d", k, i)
			if err := r.CreateEcho(ctx, name); err != nil {
				b.Fatal(err)
			}
			if err := r.InvokeCaller(r.Admin, name)(ctx); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(time.Second) // let freed pages settle
		avail = append(avail, memAvailable(b))
	}
	elapsed := time.Since(start)
	cg, n, err := cgroupMemory("stratus")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n), "oci-envs")
	b.ReportMetric(float64(cg)/float64(n)/(1<<20), "oci-MB-per-env")
	b.ReportMetric(float64(n)/(float64(cg)/(1<<30)), "oci-envs-per-GB")
	b.ReportMetric(float64(avail[1]-avail[2])/float64(b.N)/(1<<20), "oci-host-MB-per-env")
	if rigs[0] != nil {
		rss, np, err := childrenRSS(proc.Stratus.Pid())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/float64(np)/(1<<20), "process-MB-per-env")
		b.ReportMetric(float64(np)/(float64(rss)/(1<<30)), "process-envs-per-GB")
		b.ReportMetric(float64(avail[0]-avail[1])/float64(b.N)/(1<<20), "process-host-MB-per-env")
	}
	b.ReportMetric(elapsed.Seconds(), "setup-s")
	for k, r := range rigs {
		if r == nil {
			continue
		}
		for i := range b.N {
			r.DeleteFunction(ctx, fmt.Sprintf("sb-idle-%d-%d", k, i)) //nolint:errcheck
		}
	}
}

// cgroupMemory sums memory.usage_in_bytes over the containers' memory cgroups
// under parent.
func cgroupMemory(parent string) (total int64, n int, err error) {
	dirs, err := filepath.Glob(filepath.Join("/sys/fs/cgroup/memory", parent, "*", "memory.usage_in_bytes"))
	if err != nil {
		return 0, 0, err
	}
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err == nil {
			total += v
			n++
		}
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("bench: no container memory cgroups under %s", parent)
	}
	return total, n, nil
}

// childrenRSS sums the resident sets of pid's direct children (the process
// sandbox's runtimes).
func childrenRSS(pid int) (total int64, n int, err error) {
	// Each thread lists the children it forked.
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return 0, 0, err
	}
	var kids [][]byte
	for _, t := range tasks {
		if b, err := os.ReadFile(t); err == nil {
			kids = append(kids, bytes.Fields(b)...)
		}
	}
	for _, f := range kids {
		st, err := os.ReadFile("/proc/" + string(f) + "/statm")
		if err != nil {
			continue
		}
		fs := bytes.Fields(st)
		if len(fs) < 2 {
			continue
		}
		pages, _ := strconv.ParseInt(string(fs[1]), 10, 64)
		total += pages * int64(os.Getpagesize())
		n++
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("bench: stratus %d has no children", pid)
	}
	return total, n, nil
}

// memAvailable reads MemAvailable from /proc/meminfo, in bytes.
func memAvailable(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no MemAvailable in /proc/meminfo")
	return 0
}
