package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/stratus-run/stratus/bench"
)

// Phase names, as the table and the JSON show them.
const (
	phaseBare      = "bare"          // fork+exec of the interpreter doing nothing: the baseline
	phaseBootstrap = "bootstrap"     // Stratus's runtime client alone, start to its first /next
	phaseCold      = "cold-start"    // first Invoke of a fresh function, invoke to response
	phaseInit      = "init-duration" // the cold starts' REPORT Init Duration: environment start to first /next
	phaseWarm      = "warm-invoke"   // Invoke of the warm function, 1 client
)

// targetOverheadMs is the target: Stratus's cold start p50 above the bare
// interpreter start's p50, under this many milliseconds.
const targetOverheadMs = 15.0

// report is the whole run, the JSON of --output json.
type report struct {
	Date       string        `json:"date"`
	Command    string        `json:"command"`
	Machine    bench.Machine `json:"machine"`
	LoadBefore string        `json:"loadavg_before"`
	LoadAfter  string        `json:"loadavg_after"`
	Payload    int           `json:"payload_bytes"`
	Bounds     string        `json:"bounds"`
	Languages  []language    `json:"languages"`
	Checks     []check       `json:"checks"`
}

type language struct {
	Name        string  `json:"name"`
	Runtime     string  `json:"runtime"`
	Interpreter string  `json:"interpreter"`
	Version     string  `json:"version"`
	Phases      []phase `json:"phases"`
}

type phase struct {
	Name   string  `json:"name"`
	Count  int     `json:"count"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
	// CPUP50ms is the p50 of the CPU time (user + system) of the process, for
	// the phases whose processes this one starts (bare, bootstrap).
	CPUP50ms float64 `json:"cpu_p50_ms,omitempty"`
	Elapsed  float64 `json:"elapsed_s"`
	// OtherCPUPct is the CPU other processes and the hypervisor's steal took
	// during the phase, in percent of all CPUs: the noise (see bench.Busy). The
	// init-duration phase shares the cold-start phase's.
	OtherCPUPct float64 `json:"other_cpu_pct"`
}

type check struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"` // empty: for information
	Pass   *bool   `json:"pass,omitempty"`
}

func (s *samples) phase(name string) phase {
	st := bench.Summarise(s.lat, s.elapsed)
	p := phase{Name: name, Count: st.Requests, P50ms: ms(st.P50), P99ms: ms(st.P99), MaxMs: ms(st.Max), Elapsed: s.elapsed.Seconds()}
	if len(s.lat) > 0 {
		var sum time.Duration
		for _, d := range s.lat {
			sum += d
		}
		p.MeanMs = ms(sum / time.Duration(len(s.lat)))
	}
	if len(s.cpu) > 0 {
		p.CPUP50ms = ms(bench.Summarise(s.cpu, 0).P50)
	}
	if s.elapsed > 0 {
		p.OtherCPUPct = max(0, 100*(s.busy.Machine-s.busy.Own).Seconds()/(s.elapsed.Seconds()*float64(runtime.NumCPU())))
	}
	return p
}

func (l *language) find(name string) phase {
	i := slices.IndexFunc(l.Phases, func(p phase) bool { return p.Name == name })
	if i < 0 {
		return phase{}
	}
	return l.Phases[i]
}

// checks compares l's overheads above the bare interpreter start with the target.
func checks(l *language) []check {
	bare, boot, cold, init := l.find(phaseBare), l.find(phaseBootstrap), l.find(phaseCold), l.find(phaseInit)
	ok := func(v float64) *bool { b := v < targetOverheadMs; return &b }
	target := fmt.Sprintf("< %g ms", targetOverheadMs)
	v1, v2 := cold.P50ms-bare.P50ms, init.P50ms-bare.P50ms
	out := []check{
		{Name: l.Name + ": cold start p50 - bare start p50", Value: v1, Unit: "ms", Target: target, Pass: ok(v1)},
		{Name: l.Name + ": Init Duration p50 - bare start p50", Value: v2, Unit: "ms", Target: target, Pass: ok(v2)},
		{Name: l.Name + ":   of which bootstrap alone p50 - bare start p50 (the runtime client)", Value: boot.P50ms - bare.P50ms, Unit: "ms"},
		{Name: l.Name + ":   the same in CPU time: bootstrap alone CPU p50 - bare start CPU p50", Value: boot.CPUP50ms - bare.CPUP50ms, Unit: "ms"},
		{Name: l.Name + ":   of which Init Duration p50 - bootstrap alone p50 (Stratus's environment start)", Value: init.P50ms - boot.P50ms, Unit: "ms"},
		{Name: l.Name + ":   of which cold start p50 - Init Duration p50 (the first invoke)", Value: cold.P50ms - init.P50ms, Unit: "ms"},
	}
	if bare.P50ms > 0 {
		out = append(out, check{Name: l.Name + ": cold start p50 / bare start p50", Value: cold.P50ms / bare.P50ms, Unit: "x"})
	}
	return out
}

func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "date %s\nmachine %d CPUs (%s), GOMAXPROCS %d, %s %s\nload average before %s, after %s\npayload %d bytes; %s\n",
		r.Date, r.Machine.CPUs, r.Machine.CPUModel, r.Machine.GOMAXPROCS, r.Machine.Go, r.Machine.OS, r.LoadBefore, r.LoadAfter, r.Payload, r.Bounds)
	for _, l := range r.Languages {
		fmt.Fprintf(w, "%s: %s on %s (%s)\n", l.Name, l.Runtime, l.Interpreter, l.Version)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "language\tphase\tcount\tp50 ms\tp99 ms\tmax ms\tmean ms\tCPU p50 ms\tother CPU %\t")
	for _, l := range r.Languages {
		for _, p := range l.Phases {
			cpu := "-"
			if p.CPUP50ms > 0 {
				cpu = fmt.Sprintf("%.2f", p.CPUP50ms)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%.0f\t\n", l.Name, p.Name, p.Count, p.P50ms, p.P99ms, p.MaxMs, p.MeanMs, cpu, p.OtherCPUPct)
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "\nbare: fork+exec of the interpreter doing nothing until it exits; bootstrap: Stratus's runtime client")
	fmt.Fprintln(w, "run alone with the function's code, from its start to its first GET /next to a stub Runtime API; cold-start: first Invoke of a fresh")
	fmt.Fprintln(w, "function, invoke to response (create and delete untimed); init-duration: the REPORT line's Init Duration")
	fmt.Fprintln(w, "of those cold starts (environment start to the runtime's first /next); warm-invoke: 1 client, SDK.")
	fmt.Fprintln(w, "CPU p50 ms: user + system time of the interpreter process, where this process starts it.")
	fmt.Fprintln(w, "other CPU %: other processes and hypervisor steal during the phase, in % of all CPUs (noise).")
	fmt.Fprintln(w, "\noverheads (same run) vs target")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, x := range r.Checks {
		fmt.Fprintf(tw, "  %s\t%.2f %s\t%s\t%s\n", x.Name, x.Value, x.Unit, x.Target, bench.Verdict(x.Pass))
	}
	tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
