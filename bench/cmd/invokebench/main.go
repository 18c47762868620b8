// Command invokebench measures Stratus's Lambda invoke path against a raw loopback
// HTTP round trip in one run and prints the table bench/RESULTS.md records.
//
//	go run ./bench/cmd/invokebench [flags]
//
// It builds and starts `stratus server` and the rawecho baseline as child processes
// on loopback. Then, for each client count, it measures three phases in alternating
// rounds: the raw round trip, a warm Invoke through the aws-sdk-go-v2 Lambda client,
// and the same Invoke as a plain HTTP POST (no SDK). Last come bare fork+execs of
// the function binary and cold starts (the first Invoke of a fresh function). Every
// phase is bounded by --requests and --duration, whichever comes first, and loads
// loopback only. The ratios to the raw baseline are checked against the targets of
// the issue; the exit status is 0 whether or not they pass, 1 if a request failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/bench"
)

func main() { bench.Main("invokebench", run) }

// config is the command line.
type config struct {
	clients    []int
	duration   time.Duration
	requests   int
	warmup     time.Duration
	rounds     int
	cold       int
	payload    int
	stratus    string
	fnEnv      map[string]string
	output     string
	cpuprofile string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("invokebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.String("clients", "1,4,16", "comma-separated concurrent client counts")
	fs.DurationVar(&c.duration, "duration", 3*time.Second, "time bound of each measured phase")
	fs.IntVar(&c.requests, "requests", 20000, "request bound of each measured phase")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "time bound of the untimed warm-up before each phase")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds each phase's bounds are split into, alternating with the other phases")
	fs.IntVar(&c.cold, "cold", 50, "cold starts to measure (and bare execs as their baseline)")
	fs.IntVar(&c.payload, "payload", 100, "request body size in bytes")
	fs.StringVar(&c.stratus, "stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	fnEnv := fs.String("fn-env", "", "comma-separated KEY=VALUE environment of the functions (an experiment, e.g. GOMAXPROCS=1)")
	fs.StringVar(&c.output, "output", "text", "text or json")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of this process (the clients) to the file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.clients, err = bench.ParseCounts(*clients, 256); err != nil {
		return nil, err
	}
	if *fnEnv != "" {
		c.fnEnv = map[string]string{}
		for kv := range strings.SplitSeq(*fnEnv, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--fn-env: %q is not KEY=VALUE", kv)
			}
			c.fnEnv[k] = v
		}
	}
	if c.output != "text" && c.output != "json" {
		return nil, fmt.Errorf("--output must be text or json, not %q", c.output)
	}
	if c.duration <= 0 || c.duration > 10*time.Minute || c.requests < 1 || c.cold < 0 || c.cold > 10000 || c.warmup < 0 ||
		c.rounds < 1 || c.rounds > 100 || c.rounds > c.requests {
		return nil, errors.New("--duration must be in (0, 10m], --requests at least 1, --rounds in [1, min(100, requests)], --cold in [0, 10000], --warmup not negative")
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep := &report{
		Date:        time.Now().UTC().Format(time.RFC3339),
		Command:     strings.Join(append([]string{"invokebench"}, args...), " "),
		Machine:     bench.MachineInfo(),
		Payload:     c.payload,
		FunctionEnv: c.fnEnv,
		Bounds: fmt.Sprintf("each phase: %d requests or %v, whichever first, in %d rounds alternating with the other phases of its client count; warm-up %v untimed",
			c.requests, c.duration, c.rounds, c.warmup),
	}
	progress(stderr, c.output, "building and starting stratus and rawecho")
	rig, err := bench.Open(ctx, bench.Options{Stratus: c.stratus, PayloadBytes: c.payload, FunctionEnv: c.fnEnv})
	if err != nil {
		return err
	}
	defer rig.Close(context.Background()) //nolint:errcheck // a measuring error comes first
	rep.LoadBefore = bench.LoadAvg()

	for _, n := range c.clients {
		phases := []*phaseRun{
			{name: phaseRaw, call: rig.RawCaller(bench.NewHTTPClient(n))},
			{name: phaseInvoke, call: rig.InvokeCaller(rig.LambdaClient(bench.NewHTTPClient(n)), bench.EchoFunction)},
			{name: phaseInvokeHTTP, call: rig.InvokeHTTPCaller(bench.NewHTTPClient(n), bench.EchoFunction)},
		}
		progress(stderr, c.output, fmt.Sprintf("%d clients: %s, %s, %s in %d alternating rounds", n, phaseRaw, phaseInvoke, phaseInvokeHTTP, c.rounds))
		if err := measure(ctx, rig, n, c, phases); err != nil {
			return fmt.Errorf("%d clients: %w", n, err)
		}
		for _, p := range phases {
			rep.Phases = append(rep.Phases, p.result(n))
		}
	}
	if c.cold > 0 {
		progress(stderr, c.output, fmt.Sprintf("%d bare execs of the function binary", c.cold))
		st, err := bench.Run(ctx, bench.Load{Clients: 1, MaxRequests: c.cold, MaxDuration: 5 * time.Minute}, rig.SpawnCaller())
		if err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, newPhase(phaseSpawn, st, bench.Usage{}))
		progress(stderr, c.output, fmt.Sprintf("%d cold starts", c.cold))
		cold, inits, err := coldStarts(ctx, rig, c.cold)
		if err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, newPhase(phaseCold, cold, bench.Usage{}))
		rep.ColdInitP50ms = ms(inits.P50)
	}
	rep.LoadAfter = bench.LoadAvg()
	rep.Ratios = ratios(rep.Phases, c.clients)
	if c.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.writeText(stdout)
	return nil
}

// phaseRun is one phase being measured, over several rounds.
type phaseRun struct {
	name    string
	call    bench.Caller
	samples []time.Duration
	elapsed time.Duration
	use     bench.Usage
}

func (p *phaseRun) result(clients int) phase {
	st := bench.Summarise(p.samples, p.elapsed)
	st.Clients = clients
	return newPhase(p.name, st, p.use)
}

// measure warms every phase up, then runs them in alternating rounds that share
// the phase's bounds, so that other work on the machine, which comes and goes,
// weighs on each phase alike. It accounts each phase's CPU time and context
// switches.
func measure(ctx context.Context, rig *bench.Rig, clients int, c *config, phases []*phaseRun) error {
	if c.warmup > 0 {
		wl := bench.Load{Clients: clients, MaxRequests: max(200*clients, 1000), MaxDuration: c.warmup}
		for _, p := range phases {
			if _, err := bench.Run(ctx, wl, p.call); err != nil {
				return fmt.Errorf("%s: warm-up: %w", p.name, err)
			}
		}
	}
	for round := range c.rounds {
		l := bench.Load{Clients: clients, MaxRequests: c.requests / c.rounds, MaxDuration: c.duration / time.Duration(c.rounds)}
		if round < c.requests%c.rounds {
			l.MaxRequests++
		}
		for _, p := range phases {
			u0, err := rig.Usage()
			if err != nil {
				return err
			}
			st, err := bench.Run(ctx, l, p.call)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			u1, err := rig.Usage()
			if err != nil {
				return err
			}
			p.samples = append(p.samples, st.Samples...)
			p.elapsed += st.Elapsed
			p.use = p.use.Add(u1.Sub(u0))
		}
	}
	return nil
}

// coldStarts creates, invokes once and deletes n fresh functions; only the invoke
// is timed. It returns the invoke latencies and Stratus's Init Durations.
func coldStarts(ctx context.Context, rig *bench.Rig, n int) (lat, inits bench.Stats, err error) {
	deadline := time.Now().Add(10 * time.Minute)
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	var ds, is []time.Duration
	start := time.Now()
	for i := range n {
		if time.Now().After(deadline) {
			return lat, inits, fmt.Errorf("cold starts: stopped by the time bound after %d", i)
		}
		name := fmt.Sprintf("bench-cold-%s-%d", suffix, i)
		if err := rig.CreateEcho(ctx, name); err != nil {
			return lat, inits, err
		}
		t0 := time.Now()
		initDur, err := rig.InvokeCold(ctx, rig.Admin, name)
		d := time.Since(t0)
		if err != nil {
			return lat, inits, err
		}
		ds, is = append(ds, d), append(is, initDur)
		if err := rig.DeleteFunction(ctx, name); err != nil {
			return lat, inits, err
		}
	}
	lat = bench.Summarise(ds, 0)
	lat.Clients, lat.Elapsed = 1, time.Since(start)
	return lat, bench.Summarise(is, 0), nil
}

func progress(stderr io.Writer, output, msg string) {
	if output == "text" {
		fmt.Fprintln(stderr, "…", msg)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
