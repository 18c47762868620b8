package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"text/tabwriter"

	"github.com/stratus-run/stratus/bench"
)

// Phase names, as the table and the JSON show them.
const (
	phaseRaw        = "raw-http"    // POST to rawecho: the baseline
	phaseInvoke     = "invoke-sdk"  // warm Invoke through aws-sdk-go-v2
	phaseInvokeHTTP = "invoke-http" // the same Invoke as a plain unsigned POST
	phaseSpawn      = "spawn"       // fork+exec of the bootstrap until it exits: the cold baseline
	phaseCold       = "cold-start"  // first Invoke of a fresh function
)

// Targets of the issue, as ratios to the raw baseline of the same run.
const (
	targetWarmP50   = 3.0  // invoke p50 / raw p50 at 1 client, at most
	targetRPS       = 0.25 // invoke rps / raw rps at 16 clients, at least
	targetColdP50ms = 10.0 // cold start p50 in ms, under
)

// report is the whole run, the JSON of --output json.
type report struct {
	Date       string        `json:"date"`
	Command    string        `json:"command"`
	Machine    bench.Machine `json:"machine"`
	LoadBefore string        `json:"loadavg_before"`
	LoadAfter  string        `json:"loadavg_after"`
	Payload    int           `json:"payload_bytes"`
	// FunctionEnv is --fn-env, when the run is an experiment.
	FunctionEnv map[string]string `json:"function_env,omitempty"`
	Bounds      string            `json:"bounds"`
	Phases      []phase           `json:"phases"`
	// ColdInitP50ms is the p50 of Stratus's Init Duration (environment start to the
	// runtime's first /next) over the cold starts.
	ColdInitP50ms float64 `json:"cold_init_p50_ms,omitempty"`
	Ratios        []ratio `json:"ratios"`
}

type phase struct {
	Name     string  `json:"name"`
	Clients  int     `json:"clients"`
	Requests int     `json:"requests"`
	ElapsedS float64 `json:"elapsed_s"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	MaxUs    float64 `json:"max_us"`
	// RPS is zero for the sequential phases (spawn, cold-start), whose rate means
	// nothing.
	RPS float64 `json:"rps,omitempty"`
	// CPU is processor time per request by party, for the concurrent phases.
	CPU *perRequest `json:"cpu_us_per_request,omitempty"`
	// Switches is context switches per request by party.
	Switches *perRequest `json:"switches_per_request,omitempty"`
	// OtherCPUPct is the CPU other processes and the hypervisor's steal took
	// during the phase, in percent of all CPUs: the noise (see bench.Usage).
	OtherCPUPct *float64 `json:"other_cpu_pct,omitempty"`
}

type perRequest struct {
	Client    float64 `json:"client"`
	Stratus   float64 `json:"stratus"`
	Functions float64 `json:"functions"`
	Raw       float64 `json:"raw"`
}

func (p *perRequest) total() float64 { return p.Client + p.Stratus + p.Functions + p.Raw }

type ratio struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"` // empty: for information
	Pass   *bool   `json:"pass,omitempty"`
}

func newPhase(name string, st bench.Stats, u bench.Usage) phase {
	p := phase{Name: name, Clients: st.Clients, Requests: st.Requests, ElapsedS: st.Elapsed.Seconds(),
		P50us: us(st.P50), P99us: us(st.P99), MaxUs: us(st.Max)}
	if name == phaseSpawn || name == phaseCold {
		return p
	}
	p.RPS = st.RPS
	if n := float64(st.Requests); n > 0 {
		cpu := func(x bench.Use) float64 { return us(x.CPU) / n }
		sw := func(x bench.Use) float64 { return float64(x.Switches) / n }
		p.CPU = &perRequest{Client: cpu(u.Client), Stratus: cpu(u.Stratus), Functions: cpu(u.Functions), Raw: cpu(u.Raw)}
		p.Switches = &perRequest{Client: sw(u.Client), Stratus: sw(u.Stratus), Functions: sw(u.Functions), Raw: sw(u.Raw)}
		pct := 0.0
		if st.Elapsed > 0 {
			pct = max(0, 100*u.Others().Seconds()/(st.Elapsed.Seconds()*float64(runtime.NumCPU())))
		}
		p.OtherCPUPct = &pct
	}
	return p
}

func find(phases []phase, name string, clients int) (phase, bool) {
	i := slices.IndexFunc(phases, func(p phase) bool { return p.Name == name && (clients == 0 || p.Clients == clients) })
	if i < 0 {
		return phase{}, false
	}
	return phases[i], true
}

// ratios compares the phases with the targets: the warm p50 at the fewest
// clients, the rate at the most (1 and 16 by default), the cold start p50.
func ratios(phases []phase, clients []int) []ratio {
	var out []ratio
	lo, hi := slices.Min(clients), slices.Max(clients)
	check := func(ok bool) *bool { return &ok }
	raw, ok1 := find(phases, phaseRaw, lo)
	inv, ok2 := find(phases, phaseInvoke, lo)
	if ok1 && ok2 && raw.P50us > 0 {
		v := inv.P50us / raw.P50us
		out = append(out, ratio{Name: fmt.Sprintf("warm invoke p50 / raw p50, %d client(s)", lo), Value: v, Unit: "x",
			Target: fmt.Sprintf("<= %gx", targetWarmP50), Pass: check(v <= targetWarmP50)})
	}
	if h, ok := find(phases, phaseInvokeHTTP, lo); ok && ok1 && raw.P50us > 0 {
		out = append(out, ratio{Name: fmt.Sprintf("invoke without SDK p50 / raw p50, %d client(s)", lo), Value: h.P50us / raw.P50us, Unit: "x"})
	}
	raw, ok1 = find(phases, phaseRaw, hi)
	inv, ok2 = find(phases, phaseInvoke, hi)
	if ok1 && ok2 && raw.RPS > 0 {
		v := inv.RPS / raw.RPS
		out = append(out, ratio{Name: fmt.Sprintf("warm invoke req/s / raw req/s, %d clients", hi), Value: v, Unit: "x",
			Target: fmt.Sprintf(">= %gx", targetRPS), Pass: check(v >= targetRPS)})
	}
	if cold, ok := find(phases, phaseCold, 0); ok {
		v := cold.P50us / 1000
		out = append(out, ratio{Name: "cold start p50", Value: v, Unit: "ms",
			Target: fmt.Sprintf("< %g ms", targetColdP50ms), Pass: check(v < targetColdP50ms)})
		if sp, ok := find(phases, phaseSpawn, 0); ok && sp.P50us > 0 {
			out = append(out, ratio{Name: "cold start p50 / bare exec p50", Value: cold.P50us / sp.P50us, Unit: "x"})
		}
	}
	return out
}

func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "date %s\nmachine %d CPUs (%s), GOMAXPROCS %d, %s %s\nload average before %s, after %s\npayload %d bytes; %s\n",
		r.Date, r.Machine.CPUs, r.Machine.CPUModel, r.Machine.GOMAXPROCS, r.Machine.Go, r.Machine.OS, r.LoadBefore, r.LoadAfter, r.Payload, r.Bounds)
	if len(r.FunctionEnv) > 0 {
		fmt.Fprintf(w, "function environment (an experiment): %v\n", r.FunctionEnv)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tclients\trequests\tp50 µs\tp99 µs\treq/s\tCPU µs/req: client\tstratus\tfunctions\trawecho\tswitches/req\tother CPU %\t")
	for _, p := range r.Phases {
		rps, use := "-", "-\t-\t-\t-\t-\t-"
		if p.RPS > 0 {
			rps = fmt.Sprintf("%.0f", p.RPS)
		}
		if c := p.CPU; c != nil {
			use = fmt.Sprintf("%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f", c.Client, c.Stratus, c.Functions, c.Raw, p.Switches.total(), *p.OtherCPUPct)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%s\t%s\t\n", p.Name, p.Clients, p.Requests, p.P50us, p.P99us, rps, use)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nCPU µs/req by process; switches/req: context switches of all of them per request; other CPU %: other processes")
	fmt.Fprintln(w, "and hypervisor steal during the phase, in % of all CPUs (noise). spawn: fork+exec of the")
	fmt.Fprintln(w, "bootstrap until it exits; cold-start: first Invoke of a fresh function (create and delete untimed).")
	if r.ColdInitP50ms > 0 {
		fmt.Fprintf(w, "\ncold start: Stratus's Init Duration (environment start to first /next) p50 %.2f ms\n", r.ColdInitP50ms)
	}
	fmt.Fprintln(w, "\nratios (same run) vs targets")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, x := range r.Ratios {
		fmt.Fprintf(tw, "  %s\t%.3g %s\t%s\t%s\n", x.Name, x.Value, x.Unit, x.Target, bench.Verdict(x.Pass))
	}
	tw.Flush()
}
