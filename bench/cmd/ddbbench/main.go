// Command ddbbench measures Stratus's DynamoDB against dynalite (npm's
// LevelDB-backed DynamoDB) and a raw loopback HTTP round trip in one run, and
// prints the Markdown table bench/RESULTS.md records (or JSON).
//
//	go run ./bench/cmd/ddbbench [flags]
//
// It builds and starts `stratus server --sandbox process` and rawecho, installs
// dynalite with npm into the user's cache directory the first time and runs it
// on loopback with its LevelDB on disk, and creates the same table on both
// servers (hash key pk, range key sk, on demand). Rows, through the
// aws-sdk-go-v2 DynamoDB client: GetItem and PutItem of 1 KiB items and a
// Query answering 100 items of 100 bytes, at each of -clients. The parties of
// a row run in -rounds alternating rounds, bounded by requests and time, so
// that other work on the machine weighs on all alike. Every answer is checked.
//
// The exit status is 0 whether or not the targets pass, 1 if a request failed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/stratus-run/stratus/bench"
)

func main() { bench.Main("ddbbench", run) }

// Targets of the issue, as ratios measured in the same run.
const (
	targetGetP50 = 3.0 // Stratus GetItem p50 over the raw round trip's, at most
	targetOps    = 3.0 // Stratus ops/s over dynalite's, at least
)

type config struct {
	clients  []int
	rounds   int
	duration time.Duration
	requests int
	warmup   time.Duration
	rows     []string
	dynalite bool
	stratus  string
	output   string
	profile  string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("ddbbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.String("clients", "1,16", "comma-separated concurrent client counts")
	rows := fs.String("rows", "GetItem,PutItem,Query", "comma-separated operations to measure")
	fs.IntVar(&c.rounds, "rounds", 3, "alternating rounds each row's bounds are split into")
	fs.DurationVar(&c.duration, "duration", 4*time.Second, "time bound of each party of a row")
	fs.IntVar(&c.requests, "requests", 20000, "request bound of each party of a row")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "untimed warm-up of each party of a row")
	fs.BoolVar(&c.dynalite, "dynalite", true, "install (npm, once) and run dynalite as the peer")
	fs.StringVar(&c.stratus, "stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	fs.StringVar(&c.output, "output", "text", "text (Markdown) or json")
	fs.StringVar(&c.profile, "cpu-profile", "", "have the stratus server write a CPU profile of the run to this file")
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
	for r := range strings.SplitSeq(*rows, ",") {
		if !slices.Contains([]string{bench.DDBGet, bench.DDBPut, bench.DDBQuery}, r) {
			return nil, fmt.Errorf("-rows: %q is not GetItem, PutItem or Query", r)
		}
		c.rows = append(c.rows, r)
	}
	if c.output != "text" && c.output != "json" {
		return nil, fmt.Errorf("-output must be text or json, not %q", c.output)
	}
	if c.rounds < 1 || c.rounds > 100 || c.requests < c.rounds || c.duration <= 0 || c.duration > 10*time.Minute || c.warmup < 0 {
		return nil, errors.New("-rounds must be in [1, 100] and at most -requests; -duration in (0, 10m]; -warmup not negative")
	}
	return c, nil
}

// report is the whole run.
type report struct {
	Date, Command         string
	Machine               bench.Machine
	LoadBefore, LoadAfter string
	Bounds                string
	Dynalite              string
	StratusErr            string `json:",omitempty"`
	DynaliteErr           string `json:",omitempty"`
	Rows                  []row
	Checks                []check
}

type row struct {
	Op      string
	Clients int
	Results []bench.PartyResult `json:",omitempty"`
	Err     string              `json:",omitempty"`
}

type check struct {
	Name, Value, Target, Verdict string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	rep := &report{
		Date:    time.Now().UTC().Format(time.RFC3339),
		Command: strings.Join(append([]string{"ddbbench"}, args...), " "),
		Machine: bench.MachineInfo(),
		Bounds:  fmt.Sprintf("%d requests or %v per party and row, in %d alternating rounds; warm-up %v untimed", c.requests, c.duration, c.rounds, c.warmup),
	}
	o := bench.DynamoDBOptions{Stratus: c.stratus, Dynalite: c.dynalite}
	if c.profile != "" {
		o.StratusFlags = []string{"--cpu-profile", c.profile}
	}
	fmt.Fprintln(stderr, "… building and starting stratus and rawecho; installing (first run) and starting dynalite")
	rig, err := bench.OpenDynamoDB(ctx, o)
	if err != nil {
		return err
	}
	defer rig.Close(context.Background()) //nolint:errcheck // a measuring error comes first
	rep.StratusErr, rep.DynaliteErr, rep.Dynalite = errText(rig.StratusErr), errText(rig.DynaliteErr), rig.DynaliteInfo
	for _, e := range []struct{ who, err string }{{"stratus", rep.StratusErr}, {"dynalite", rep.DynaliteErr}} {
		if e.err != "" {
			fmt.Fprintf(stderr, "… %s not available: %s\n", e.who, firstLine(e.err))
		}
	}
	rep.LoadBefore = bench.LoadAvg()
	var failed []error
	for _, op := range c.rows {
		for _, n := range c.clients {
			fmt.Fprintf(stderr, "… %s, %d client(s): %d alternating rounds\n", op, n, c.rounds)
			r := row{Op: op, Clients: n}
			res, err := measure(ctx, rig, op, n, c)
			if err != nil {
				r.Err = err.Error()
				failed = append(failed, err)
			}
			r.Results = res
			rep.Rows = append(rep.Rows, r)
		}
	}
	rep.LoadAfter = bench.LoadAvg()
	rep.Checks = rep.checks()
	if c.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.writeMarkdown(stdout)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(failed...)
}

func measure(ctx context.Context, rig *bench.DynamoDBRig, op string, clients int, c *config) ([]bench.PartyResult, error) {
	ps, err := rig.Parties(ctx, op, clients)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		wl := bench.Load{Clients: clients, MaxRequests: max(200*clients, 1000), MaxDuration: c.warmup}
		if _, err := bench.Run(ctx, wl, p.Call); err != nil {
			return nil, fmt.Errorf("%s %s warm-up: %w", op, p.Name, err)
		}
	}
	return bench.Alternate(ctx, c.rounds, bench.Load{Clients: clients, MaxRequests: c.requests, MaxDuration: c.duration}, ps)
}

func (rep *report) party(r row, name string) (bench.PartyResult, bool) {
	i := slices.IndexFunc(r.Results, func(p bench.PartyResult) bool { return p.Name == name })
	if i < 0 {
		return bench.PartyResult{}, false
	}
	return r.Results[i], true
}

func (rep *report) checks() []check {
	var out []check
	for _, r := range rep.Rows {
		if r.Err != "" {
			continue
		}
		name := fmt.Sprintf("%s, %d client(s)", r.Op, r.Clients)
		s, okS := rep.party(r, "stratus")
		raw, okR := rep.party(r, bench.PartyRaw)
		d, okD := rep.party(r, "dynalite")
		if okS && okR && raw.P50 > 0 {
			v := float64(s.P50) / float64(raw.P50)
			c := check{Name: name + ": p50 Stratus / raw HTTP", Value: fmt.Sprintf("%.2fx", v), Target: "—", Verdict: "info"}
			if r.Op == bench.DDBGet {
				c.Target, c.Verdict = fmt.Sprintf("<= %gx", targetGetP50), verdict(v <= targetGetP50)
			}
			out = append(out, c)
		}
		if okS && okD && d.RPS > 0 {
			v := s.RPS / d.RPS
			c := check{Name: name + ": ops/s Stratus / dynalite", Value: fmt.Sprintf("%.2fx", v), Target: "—", Verdict: "info"}
			if r.Op != bench.DDBQuery {
				c.Target, c.Verdict = fmt.Sprintf(">= %gx", targetOps), verdict(v >= targetOps)
			}
			out = append(out, c)
		}
	}
	return out
}

func verdict(pass bool) string {
	if pass {
		return "**PASS**"
	}
	return "**MISS**"
}

func (rep *report) writeMarkdown(w io.Writer) {
	m := rep.Machine
	fmt.Fprintf(w, "* date %s; command `%s`\n", rep.Date, rep.Command)
	fmt.Fprintf(w, "* machine %d CPUs (%s), GOMAXPROCS %d, %s %s; load average before %s, after %s\n",
		m.CPUs, m.CPUModel, m.GOMAXPROCS, m.Go, m.OS, rep.LoadBefore, rep.LoadAfter)
	if rep.DynaliteErr != "" {
		fmt.Fprintf(w, "* dynalite not available: %s\n", firstLine(rep.DynaliteErr))
	} else {
		fmt.Fprintf(w, "* peer: %s\n", rep.Dynalite)
	}
	if rep.StratusErr != "" {
		fmt.Fprintf(w, "* Stratus not available: %s\n", firstLine(rep.StratusErr))
	}
	fmt.Fprintf(w, "* %s\n\n", rep.Bounds)
	fmt.Fprintln(w, "| row | party | clients | requests | ops/s | p50 | p99 | CPU/op: client | server | other CPU % |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range rep.Rows {
		if r.Err != "" {
			fmt.Fprintf(w, "| %s | — | %d | failed: %s ||||||\n", r.Op, r.Clients, strings.ReplaceAll(firstLine(r.Err), "|", "/"))
			continue
		}
		for _, p := range r.Results {
			n := float64(max(1, p.Requests))
			other := 0.0
			if p.Wall > 0 {
				other = 100 * p.Others.Seconds() / (p.Wall.Seconds() * float64(runtime.NumCPU()))
			}
			fmt.Fprintf(w, "| %s | %s | %d | %d | %.0f | %s | %s | %s | %s | %.0f |\n", r.Op, p.Name, p.Clients, p.Requests, p.RPS,
				dur(p.P50), dur(p.P99), dur(time.Duration(float64(p.Client)/n)), dur(time.Duration(float64(p.Server)/n)), other)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| check (same run) | ratio | target | verdict |")
	fmt.Fprintln(w, "|---|--:|---|---|")
	for _, c := range rep.Checks {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c.Name, c.Value, c.Target, c.Verdict)
	}
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
