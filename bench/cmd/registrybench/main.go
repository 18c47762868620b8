// Command registrybench measures push and pull of an image through Stratus's
// OCI registry (/v2/) against the reference registry,
// github.com/distribution/distribution/v3, in one run.
//
//	go run ./bench/cmd/registrybench [flags]
//
// It builds and starts `stratus server --sandbox process` as a child process
// on loopback, builds distribution's registry from the Go module proxy (once,
// kept in the user's cache directory) and runs it as a second, with
// filesystem storage in the run's temporary directory. For each -images size
// it generates once an image of -layers uncompressed tar layers of random,
// incompressible bytes. In each of -rounds rounds, the layers are salted with
// fresh random bytes (untimed, so that no registry has seen the blobs), and
// then each party in turn, the order alternating between rounds, gets a push
// of the image to a fresh repository with go-containerregistry's
// remote.Write and a pull of it back: manifest, config and every layer blob
// read in full and checked against its digest. MB/s is the layers' bytes
// over the wall time of the push or the pull. The exit status is 0 whether
// or not the targets pass, 1 if a request failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stratus-run/stratus/bench"
)

func main() { bench.Main("registrybench", run) }

// targetVsDistribution is the target: Stratus's MB/s over
// distribution's, at least, for push and for pull.
const targetVsDistribution = 1.0

// party is a registry under test.
type party struct {
	name   string
	server *bench.Process
}

// sample is one push or pull of one party.
type sample struct {
	dur time.Duration
	cpu time.Duration // the server's CPU time during it
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("registrybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	imagesFlag := fs.String("images", "200MiB,20MiB", "comma-separated image sizes (all layers together)")
	layers := fs.Int("layers", 5, "layers of each image")
	rounds := fs.Int("rounds", 7, "alternating rounds (each: one push and one pull per party)")
	jobs := fs.Int("jobs", 4, "blobs in flight during a push (remote.Write's default) and a pull")
	dist := fs.Bool("distribution", true, "build (once) and run distribution as the peer")
	distBin := fs.String("distribution-bin", "", "prebuilt distribution registry binary (default: built from the module proxy)")
	stratus := fs.String("stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	profile := fs.String("cpuprofile", "", "write the Stratus server's CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var sizes []int
	for f := range strings.SplitSeq(*imagesFlag, ",") {
		n, err := bench.ParseSize(strings.TrimSpace(f))
		if err != nil || n > 4<<30 {
			return fmt.Errorf("-images: %q is not a size up to 4GiB", f)
		}
		sizes = append(sizes, n)
	}
	if *rounds < 1 || *rounds > 100 || *layers < 1 || *layers > 100 || *jobs < 1 || *jobs > 64 {
		return errors.New("-rounds must be in [1, 100], -layers in [1, 100], -jobs in [1, 64]")
	}
	var flags []string
	if *profile != "" {
		abs, err := filepath.Abs(*profile)
		if err != nil {
			return err
		}
		flags = []string{"--cpu-profile", abs}
	}
	fmt.Fprintln(stderr, "… building and starting stratus and (first run: building) distribution")
	r, err := bench.OpenRegistry(ctx, *stratus, flags, *dist, *distBin)
	if err != nil {
		return err
	}
	defer r.Close(context.Background()) //nolint:errcheck // a measuring error comes first
	m := bench.MachineInfo()
	fmt.Fprintf(stdout, "date %s\ncommand %s\nmachine %+v\nload average before %s\n",
		time.Now().UTC().Format(time.RFC3339), strings.Join(append([]string{"registrybench"}, args...), " "), m, bench.LoadAvg())
	parties := []party{{"stratus", r.Stratus}}
	if r.Distribution != nil {
		fmt.Fprintf(stdout, "peer %s@%s %s\n", bench.DistributionModule, bench.DistributionVersion, r.Distribution.URL)
		parties = append(parties, party{"distribution", r.Distribution})
	} else {
		fmt.Fprintf(stdout, "distribution: %v\n", r.DistributionErr)
	}
	fmt.Fprintf(stdout, "each size: %d alternating rounds, %d layers, %d blobs in flight; fresh blobs and a fresh repository every round; pulls read what was just pushed (page cache warm)\n\n",
		*rounds, *layers, *jobs)

	type key struct {
		size  int
		party string
		op    string
	}
	samples := map[key][]sample{}
	imgBytes := map[int]int64{}
	for _, size := range sizes {
		fmt.Fprintf(stderr, "… %s image: generating\n", bench.FormatSize(size))
		bi, err := bench.NewBenchImage(int64(size), *layers)
		if err != nil {
			return err
		}
		imgBytes[size] = bi.Size
		// One transport per party and size, kept across rounds (keep-alive).
		trs := make([]*http.Transport, len(parties))
		for i := range parties {
			trs[i] = bench.NewTransport(*jobs)
		}
		for round := range *rounds {
			img, err := bi.Next()
			if err != nil {
				return err
			}
			for j := range parties {
				i := j
				if round%2 == 1 {
					i = len(parties) - 1 - j
				}
				p := parties[i]
				ref, err := bench.RegistryRef(p.server.URL, fmt.Sprintf("bench/s%d-r%d", size>>20, round))
				if err != nil {
					return err
				}
				s, err := timed(p.server, func() error { return bench.PushImage(ctx, ref, img, trs[i], *jobs) })
				if err != nil {
					return fmt.Errorf("%s push %s round %d: %w", p.name, bench.FormatSize(size), round, err)
				}
				samples[key{size, p.name, "push"}] = append(samples[key{size, p.name, "push"}], s)
				want, _ := img.Digest()
				var n int64
				s, err = timed(p.server, func() error {
					got, dg, err := bench.PullImage(ctx, ref, trs[i], *jobs)
					n = got
					if err == nil && dg != want {
						err = fmt.Errorf("pulled manifest %s, pushed %s", dg, want)
					}
					return err
				})
				if err == nil && n != bi.Size {
					err = fmt.Errorf("pulled %d layer bytes, pushed %d", n, bi.Size)
				}
				if err != nil {
					return fmt.Errorf("%s pull %s round %d: %w", p.name, bench.FormatSize(size), round, err)
				}
				samples[key{size, p.name, "pull"}] = append(samples[key{size, p.name, "pull"}], s)
				fmt.Fprintf(stderr, "… %s round %d %s: push %.0f MB/s, pull %.0f MB/s\n", bench.FormatSize(size), round, p.name,
					mbps(bi.Size, samples[key{size, p.name, "push"}][round].dur), mbps(bi.Size, s.dur))
			}
		}
	}

	fmt.Fprintf(stdout, "| image | op | party | median MB/s | min MB/s | max MB/s | median s | server CPU s/GB |\n|---|---|---|---|---|---|---|---|\n")
	med := map[key]float64{}
	for _, size := range sizes {
		for _, op := range []string{"push", "pull"} {
			for _, p := range parties {
				k := key{size, p.name, op}
				ss := samples[k]
				rates := make([]float64, len(ss))
				durs := make([]time.Duration, len(ss))
				var cpu time.Duration
				for i, s := range ss {
					rates[i] = mbps(imgBytes[size], s.dur)
					durs[i] = s.dur
					cpu += s.cpu
				}
				slices.Sort(rates)
				slices.Sort(durs)
				med[k] = median(rates)
				gb := float64(imgBytes[size]) * float64(len(ss)) / 1e9
				fmt.Fprintf(stdout, "| %s × %d | %s | %s | %.0f | %.0f | %.0f | %.3f | %.2f |\n", bench.FormatSize(size), *layers, op, p.name,
					med[k], rates[0], rates[len(rates)-1], durs[len(durs)/2].Seconds(), cpu.Seconds()/gb)
			}
		}
	}
	if r.Distribution != nil {
		fmt.Fprintf(stdout, "\nratios of medians (same run), stratus / distribution, target >= %.1f\n", targetVsDistribution)
		for _, size := range sizes {
			for _, op := range []string{"push", "pull"} {
				v := med[key{size, "stratus", op}] / med[key{size, "distribution", op}]
				pass := v >= targetVsDistribution
				fmt.Fprintf(stdout, "  %s × %d %s: %.2f %s\n", bench.FormatSize(size), *layers, op, v, bench.Verdict(&pass))
			}
		}
	}
	fmt.Fprintf(stdout, "\nload average after %s\n", bench.LoadAvg())
	return nil
}

// timed runs f and returns its wall time and the server's CPU time meanwhile.
func timed(server *bench.Process, f func() error) (sample, error) {
	c0, _ := bench.ProcessCPU(server)
	t0 := time.Now()
	err := f()
	d := time.Since(t0)
	c1, _ := bench.ProcessCPU(server)
	return sample{dur: d, cpu: c1 - c0}, err
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
