package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/stratus-run/stratus/bench"
)

// Targets of the issue, as ratios measured in the same run.
const (
	targetLargeGet = 0.8 // Stratus GET MB/s over the disk's read, at least
	targetLargePut = 0.6 // Stratus PUT MB/s over the disk's write+fsync, at least
	targetSmallOps = 1.5 // Stratus small-object ops/s over MinIO's, at least
)

// report is the whole run.
type report struct {
	Date, Command         string
	Machine               bench.Machine
	LoadBefore, LoadAfter string
	Cache, Bounds         string
	StratusErr, MinIOErr  string // why a server is not measured
	MinIOVersion          string
	Rows                  []row
}

// row is one operation and size (and concurrency) with every party's result.
type row struct {
	Name    string // "PUT 1 MiB"
	Op      string
	Size    int
	Clients int
	Small   bool
	Results []bench.PartyResult
	Err     error
}

func (r *row) party(name string) (bench.PartyResult, bool) {
	i := slices.IndexFunc(r.Results, func(p bench.PartyResult) bool { return p.Name == name })
	if i < 0 {
		return bench.PartyResult{}, false
	}
	return r.Results[i], true
}

// mbps is the party's throughput in MB/s (10^6 bytes a second) over the time
// its requests took.
func (r *row) mbps(p bench.PartyResult) float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(r.Size) * float64(p.Requests) / p.Elapsed.Seconds() / 1e6
}

func (rep *report) unavailable(party string) string {
	switch {
	case party == "stratus" && rep.StratusErr != "":
		return "Stratus not available: " + firstLine(rep.StratusErr)
	case party == "minio" && rep.MinIOErr != "":
		return "MinIO not available: " + firstLine(rep.MinIOErr)
	}
	return ""
}

func (rep *report) writeMarkdown(w io.Writer) {
	m := rep.Machine
	fmt.Fprintf(w, "* date %s; command `%s`\n", rep.Date, rep.Command)
	fmt.Fprintf(w, "* machine %d CPUs (%s), GOMAXPROCS %d, %s %s; load average before %s, after %s\n",
		m.CPUs, m.CPUModel, m.GOMAXPROCS, m.Go, m.OS, rep.LoadBefore, rep.LoadAfter)
	if rep.StratusErr != "" {
		fmt.Fprintf(w, "* Stratus not available: %s (below)\n", firstLine(rep.StratusErr))
	}
	if rep.MinIOErr != "" {
		fmt.Fprintf(w, "* MinIO not available: %s (below)\n", firstLine(rep.MinIOErr))
	} else {
		fmt.Fprintf(w, "* MinIO %s %s, built from the Go module proxy, one drive\n", bench.MinIOModule, rep.MinIOVersion)
	}
	switch rep.Cache {
	case "cold":
		fmt.Fprintln(w, "* large GETs read cold: every party's cached pages (the server's data directory, the baseline's file) dropped with POSIX_FADV_DONTNEED before each GET, untimed; small GETs warm")
	default:
		fmt.Fprintln(w, "* every GET reads warm (from the page cache), the baseline's too")
	}
	fmt.Fprintf(w, "* %s\n\n", rep.Bounds)

	fmt.Fprintln(w, "| row | party | clients | requests | MB/s | ops/s | p50 | p99 | CPU/op: client | server | other CPU % |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range rep.Rows {
		if r.Err != nil {
			fmt.Fprintf(w, "| %s | — | %d | failed: %s |||||||\n", r.Name, r.Clients, oneLine(r.Err.Error()))
			continue
		}
		for _, party := range []string{"stratus", "minio"} {
			if why := rep.unavailable(party); why != "" {
				fmt.Fprintf(w, "| %s | %s | %d | %s |||||||\n", r.Name, party, r.Clients, why)
			}
		}
		for _, p := range r.Results {
			n := float64(max(1, p.Requests))
			other := 0.0
			if p.Wall > 0 {
				other = 100 * p.Others.Seconds() / (p.Wall.Seconds() * float64(runtime.NumCPU()))
			}
			server := "—"
			if p.Name != bench.PartyDisk {
				server = dur(time.Duration(float64(p.Server) / n))
			}
			fmt.Fprintf(w, "| %s | %s | %d | %d | %.1f | %s | %s | %s | %s | %s | %.0f |\n",
				r.Name, p.Name, p.Clients, p.Requests, r.mbps(p), rate(p.RPS), dur(p.P50), dur(p.P99),
				dur(time.Duration(float64(p.Client)/n)), server, other)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| check (same run) | ratio | target | verdict |")
	fmt.Fprintln(w, "|---|--:|---|---|")
	for _, c := range rep.checks() {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c.name, c.value, c.target, c.verdict)
	}
	if rep.StratusErr != "" || rep.MinIOErr != "" {
		fmt.Fprintln(w)
		for _, e := range []struct{ who, err string }{{"Stratus", rep.StratusErr}, {"MinIO", rep.MinIOErr}} {
			if e.err != "" {
				fmt.Fprintf(w, "%s not available:\n\n```\n%s\n```\n", e.who, strings.TrimSpace(e.err))
			}
		}
	}
}

// check is one line of the verdicts: a ratio of two parties of a row, against a
// target or for information.
type check struct {
	name, value, target, verdict string
}

func (rep *report) checks() []check {
	var out []check
	for _, r := range rep.Rows {
		if r.Err != nil {
			continue
		}
		if r.Small {
			name := fmt.Sprintf("%s, %s: ops/s", r.Name, clientsText(r.Clients))
			out = append(out, rep.ratio(&r, name+" Stratus / MinIO", "stratus", "minio", targetSmallOps, false))
			out = append(out, rep.ratio(&r, name+" Stratus / raw HTTP", "stratus", bench.PartyRaw, 0, false))
			out = append(out, rep.ratio(&r, name+" MinIO / raw HTTP", "minio", bench.PartyRaw, 0, false))
			if r.Op == bench.S3Put {
				out = append(out, rep.ratio(&r, name+" Stratus / disk write+fsync", "stratus", bench.PartyDisk, 0, false))
			}
			continue
		}
		target, base := targetLargePut, "write+fsync"
		if r.Op == bench.S3Get {
			target, base = targetLargeGet, "read ("+rep.Cache+")"
		}
		name := fmt.Sprintf("%s: MB/s", r.Name)
		out = append(out, rep.ratio(&r, name+" Stratus / disk "+base, "stratus", bench.PartyDisk, target, true))
		out = append(out, rep.ratio(&r, name+" MinIO / disk "+base, "minio", bench.PartyDisk, 0, true))
		out = append(out, rep.ratio(&r, name+" Stratus / MinIO", "stratus", "minio", 0, true))
	}
	return out
}

// ratio compares party a with party b in row r, by MB/s (large) or ops/s; a
// target of 0 is for information.
func (rep *report) ratio(r *row, name, a, b string, target float64, large bool) check {
	c := check{name: name, value: "—", target: "—", verdict: "info"}
	if target > 0 {
		c.target = fmt.Sprintf(">= %gx", target)
	}
	pa, okA := r.party(a)
	pb, okB := r.party(b)
	if !okA || !okB {
		for _, p := range []string{a, b} {
			if why := rep.unavailable(p); why != "" {
				c.verdict = why
			}
		}
		return c
	}
	va, vb := pa.RPS, pb.RPS
	if large {
		va, vb = r.mbps(pa), r.mbps(pb)
	}
	if vb <= 0 {
		return c
	}
	v := va / vb
	c.value = fmt.Sprintf("%.2fx", v)
	if target > 0 {
		c.verdict = "**MISS**"
		if v >= target {
			c.verdict = "**PASS**"
		}
	}
	return c
}

// rate prints a request rate with three significant digits or more.
func rate(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// dur prints a duration in µs under 10 ms, else in ms.
func dur(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// firstLine is s's first line, cut to 100 bytes, for a table cell (the whole
// text follows the table).
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 100 {
		line = line[:100] + "…"
	}
	return strings.ReplaceAll(line, "|", `\|`)
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}

func clientsText(n int) string {
	if n == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", n)
}
