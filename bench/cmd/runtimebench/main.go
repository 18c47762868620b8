// Command runtimebench measures the cold start and the warm invoke of Stratus's
// managed runtimes, Python and Node.js, against the bare start of their
// interpreters in the same run, and prints the table bench/RESULTS.md records.
//
//	go run ./bench/cmd/runtimebench [flags]
//
// It builds and starts `stratus server` as a child process on loopback (as
// bench.Open does for invokebench) and, for each language, creates an echo
// function written as AWS's documentation writes it. Then it runs --rounds
// rounds; in each, for each language, it measures a share of three phases:
//
//   - bare: fork+exec of the interpreter doing nothing (`python3 -c pass`,
//     `node -e 0`) until it exits, the baseline;
//   - bootstrap: Stratus's runtime client run alone, outside Stratus, with the
//     echo function's code, from its start to its first GET /next to a stub
//     Runtime API (bench.BootstrapStart): the runtime's own part of a cold start,
//     which tells the overhead's two halves apart;
//   - cold: the first Invoke of a freshly created function, invoke to response,
//     with the REPORT line's Init Duration (CreateFunction before it and
//     DeleteFunction after it are not timed);
//   - warm: Invoke of the warm echo function, one client.
//
// Rounds interleave the phases so that other work on the machine, which comes
// and goes, weighs on all of them alike. Every phase is bounded by a count and a
// time. The overheads (cold p50 - bare p50, Init Duration p50 - bare p50) are
// checked against the target of the issue; the exit status is 0 whether or not
// they pass, 1 if a request failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/bench"
)

func main() { bench.Main("runtimebench", run) }

// config is the command line.
type config struct {
	langs    []bench.Language
	cold     int
	requests int
	duration time.Duration
	rounds   int
	warmup   time.Duration
	maxTime  time.Duration
	payload  int
	stratus  string
	output   string
}

var languages = map[string]bench.Language{"python": bench.Python, "nodejs": bench.NodeJS}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("runtimebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	langs := fs.String("langs", "python,nodejs", "comma-separated languages: python, nodejs")
	fs.IntVar(&c.cold, "cold", 50, "cold starts per language, and as many bare interpreter starts and bootstrap runs")
	fs.IntVar(&c.requests, "requests", 5000, "warm invokes per language, at most")
	fs.DurationVar(&c.duration, "duration", 3*time.Second, "time bound of the warm invokes per language")
	fs.IntVar(&c.rounds, "rounds", 10, "rounds the phases' bounds are split into, alternating phases and languages")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "time bound of the untimed warm-up of each warm function")
	fs.DurationVar(&c.maxTime, "max-time", 10*time.Minute, "time bound of the bare and cold phases of the whole run")
	fs.IntVar(&c.payload, "payload", 100, "request body size in bytes")
	fs.StringVar(&c.stratus, "stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	fs.StringVar(&c.output, "output", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for f := range strings.SplitSeq(*langs, ",") {
		l, ok := languages[strings.TrimSpace(f)]
		if !ok {
			return nil, fmt.Errorf("--langs: %q is not python or nodejs", f)
		}
		c.langs = append(c.langs, l)
	}
	if c.output != "text" && c.output != "json" {
		return nil, fmt.Errorf("--output must be text or json, not %q", c.output)
	}
	if c.cold < 1 || c.cold > 10000 || c.requests < 1 || c.duration <= 0 || c.duration > 10*time.Minute ||
		c.rounds < 1 || c.rounds > min(100, c.cold, c.requests) || c.warmup < 0 || c.maxTime <= 0 {
		return nil, errors.New("--cold must be in [1, 10000], --requests at least 1, --duration in (0, 10m], --rounds in [1, min(100, cold, requests)], --warmup not negative, --max-time positive")
	}
	return c, nil
}

// langRun is one language being measured, over the rounds.
type langRun struct {
	lang    bench.Language
	warmFn  string
	warm    bench.Caller
	starter *bench.BootstrapStart
	bare    samples
	boot    samples
	cold    samples
	init    samples
	warmInv samples
}

// samples are one phase's latencies and the time the phase took, with the busy
// time of the machine and of the run's processes over it.
type samples struct {
	lat     []time.Duration
	cpu     []time.Duration // the process's CPU time, where it is a child of this one
	elapsed time.Duration
	busy    bench.Busy
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	rep := &report{
		Date:    time.Now().UTC().Format(time.RFC3339),
		Command: strings.Join(append([]string{"runtimebench"}, args...), " "),
		Machine: bench.MachineInfo(),
		Payload: c.payload,
		Bounds: fmt.Sprintf("per language: %d bare starts, bootstrap runs and cold starts each (all phases together at most %v), warm invokes %d or %v at 1 client, whichever first; in %d rounds alternating phases and languages; warm-up %v untimed",
			c.cold, c.maxTime, c.requests, c.duration, c.rounds, c.warmup),
	}
	progress(stderr, c.output, "building and starting stratus")
	rig, err := bench.Open(ctx, bench.Options{Stratus: c.stratus, PayloadBytes: c.payload})
	if err != nil {
		return err
	}
	defer rig.Close(context.Background()) //nolint:errcheck // a measuring error comes first

	dir, err := os.MkdirTemp("", "runtimebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	var runs []*langRun
	for _, l := range c.langs {
		lr := &langRun{lang: l, warmFn: "bench-" + l.Name + "-echo-" + suffix}
		if err := rig.CreateLanguageEcho(ctx, lr.warmFn, l); err != nil {
			return err
		}
		lr.warm = rig.LanguageInvokeCaller(rig.LambdaClient(bench.NewHTTPClient(1)), lr.warmFn)
		if lr.starter, err = bench.NewBootstrapStart(dir, l); err != nil {
			return err
		}
		defer lr.starter.Close()
		progress(stderr, c.output, l.Name+": warm-up (untimed: bare starts, bootstrap runs, a cold start, warm invokes)")
		if err := warmUp(ctx, rig, lr, c, suffix); err != nil {
			return fmt.Errorf("%s: warm-up: %w", l.Name, err)
		}
		rep.Languages = append(rep.Languages, language{Name: l.Name, Runtime: string(l.Runtime), Interpreter: l.Bare[0], Version: version(l.Bare[0])})
		runs = append(runs, lr)
	}
	rep.LoadBefore = bench.LoadAvg()
	deadline := time.Now().Add(c.maxTime)
	for round := range c.rounds {
		progress(stderr, c.output, fmt.Sprintf("round %d of %d", round+1, c.rounds))
		n := share(c.cold, c.rounds, round)
		warm := bench.Load{Clients: 1, MaxRequests: share(c.requests, c.rounds, round), MaxDuration: c.duration / time.Duration(c.rounds)}
		for _, lr := range runs {
			if time.Now().After(deadline) {
				return fmt.Errorf("stopped by --max-time %v in round %d", c.maxTime, round+1)
			}
			err := lr.bare.measure(rig, func() error {
				return bareStarts(ctx, lr, n, deadline)
			})
			if err != nil {
				return fmt.Errorf("%s: bare start: %w", lr.lang.Name, err)
			}
			err = lr.boot.measure(rig, func() error {
				return bootstraps(ctx, lr, n, deadline)
			})
			if err != nil {
				return fmt.Errorf("%s: bootstrap alone: %w", lr.lang.Name, err)
			}
			err = lr.cold.measure(rig, func() error {
				return coldStarts(ctx, rig, lr, n, fmt.Sprintf("bench-%s-cold-%s-%d", lr.lang.Name, suffix, round), deadline)
			})
			if err != nil {
				return fmt.Errorf("%s: cold start: %w", lr.lang.Name, err)
			}
			err = lr.warmInv.measure(rig, func() error {
				st, err := bench.Run(ctx, warm, lr.warm)
				lr.warmInv.lat = append(lr.warmInv.lat, st.Samples...)
				return err
			})
			if err != nil {
				return fmt.Errorf("%s: warm invoke: %w", lr.lang.Name, err)
			}
		}
	}
	rep.LoadAfter = bench.LoadAvg()
	for i, lr := range runs {
		if err := rig.DeleteFunction(ctx, lr.warmFn); err != nil {
			return err
		}
		l := &rep.Languages[i]
		lr.init.elapsed, lr.init.busy = lr.cold.elapsed, lr.cold.busy
		l.Phases = []phase{
			lr.bare.phase(phaseBare),
			lr.boot.phase(phaseBootstrap),
			lr.cold.phase(phaseCold),
			lr.init.phase(phaseInit),
			lr.warmInv.phase(phaseWarm),
		}
		rep.Checks = append(rep.Checks, checks(l)...)
	}
	if c.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.writeText(stdout)
	return nil
}

// measure runs f, adding the time it takes and the machine's and the run's busy
// time over it to s.
func (s *samples) measure(rig *bench.Rig, f func() error) error {
	b0, err := rig.Busy()
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := f(); err != nil {
		return err
	}
	s.elapsed += time.Since(t0)
	b1, err := rig.Busy()
	if err != nil {
		return err
	}
	s.busy.Machine += b1.Machine - b0.Machine
	s.busy.Own += b1.Own - b0.Own
	return nil
}

// warmUp starts the interpreter a few times, makes one cold start and warms the
// warm function up, none of it timed, so that the interpreters' files are in
// the page cache and the connections are open.
func warmUp(ctx context.Context, rig *bench.Rig, lr *langRun, c *config, suffix string) error {
	var discard langRun
	discard.lang, discard.starter = lr.lang, lr.starter
	if err := bareStarts(ctx, &discard, 3, time.Now().Add(time.Minute)); err != nil {
		return err
	}
	if err := bootstraps(ctx, &discard, 3, time.Now().Add(time.Minute)); err != nil {
		return err
	}
	if err := coldStarts(ctx, rig, &discard, 1, "bench-"+lr.lang.Name+"-cold-"+suffix+"-w", time.Now().Add(time.Minute)); err != nil {
		return err
	}
	l := bench.Load{Clients: 1, MaxRequests: 1000, MaxDuration: max(c.warmup, time.Millisecond)}
	_, err := bench.Run(ctx, l, lr.warm)
	return err
}

// bareStarts starts lr's bare interpreter n times and adds the wall and CPU
// times to lr.bare.
func bareStarts(ctx context.Context, lr *langRun, n int, deadline time.Time) error {
	for i := range n {
		if time.Now().After(deadline) {
			return fmt.Errorf("stopped by the time bound after %d", i)
		}
		wall, cpu, err := bench.Exec(ctx, lr.lang.Bare...)
		if err != nil {
			return err
		}
		lr.bare.lat, lr.bare.cpu = append(lr.bare.lat, wall), append(lr.bare.cpu, cpu)
	}
	return nil
}

// bootstraps runs lr's bootstrap alone n times and adds the wall times to its
// first /next, and the CPU times, to lr.boot.
func bootstraps(ctx context.Context, lr *langRun, n int, deadline time.Time) error {
	for i := range n {
		if time.Now().After(deadline) {
			return fmt.Errorf("stopped by the time bound after %d", i)
		}
		wall, cpu, err := lr.starter.Run(ctx)
		if err != nil {
			return err
		}
		lr.boot.lat, lr.boot.cpu = append(lr.boot.lat, wall), append(lr.boot.cpu, cpu)
	}
	return nil
}

// coldStarts creates, invokes once and deletes n fresh functions named
// prefix-<i>; only the invoke is timed. It adds the invoke latencies to lr.cold
// and the Init Durations to lr.init.
func coldStarts(ctx context.Context, rig *bench.Rig, lr *langRun, n int, prefix string, deadline time.Time) error {
	for i := range n {
		if time.Now().After(deadline) {
			return fmt.Errorf("stopped by the time bound after %d", i)
		}
		name := fmt.Sprintf("%s-%d", prefix, i)
		if err := rig.CreateLanguageEcho(ctx, name, lr.lang); err != nil {
			return err
		}
		t0 := time.Now()
		initDur, err := rig.InvokeLanguageCold(ctx, rig.Admin, name)
		d := time.Since(t0)
		if err != nil {
			return err
		}
		lr.cold.lat, lr.init.lat = append(lr.cold.lat, d), append(lr.init.lat, initDur)
		if err := rig.DeleteFunction(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// share is round's part of total split over rounds.
func share(total, rounds, round int) int {
	n := total / rounds
	if round < total%rounds {
		n++
	}
	return n
}

func progress(stderr io.Writer, output, msg string) {
	if output == "text" {
		fmt.Fprintln(stderr, "…", msg)
	}
}

// version is the interpreter's --version, or "unknown".
func version(interp string) string {
	out, err := exec.Command(interp, "--version").CombinedOutput()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
