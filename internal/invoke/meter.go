package invoke

import "time"

// Outcome is how an invocation ended, as Lambda's metrics and billing see it.
type Outcome string

const (
	OutcomeOK      Outcome = "ok"
	OutcomeError   Outcome = "error"   // the function or its runtime failed
	OutcomeTimeout Outcome = "timeout" // it ran past its timeout (or its init did)
)

// Usage is the metering record of one invocation that ran (or failed) in a function:
// what Lambda bills it for and what its metrics count.
type Usage struct {
	RequestID    string
	Region       string
	Function     string
	Version      string
	Architecture string // "x86_64" or "arm64"
	MemoryMB     int
	Start        time.Time     // when the runtime took the event (or the call ended, if it never did)
	Duration     time.Duration // the REPORT line's Duration
	InitDuration time.Duration // non-zero on a cold start's first invocation
	// Billed is Duration plus InitDuration rounded up to the engine's
	// BillingGranularity: the REPORT line's Billed Duration.
	Billed         time.Duration
	MaxMemoryBytes int64
	Outcome        Outcome
	ColdStart      bool
}

// Meter hears of every invocation. The engine calls it on the invoke path, after
// the caller has its answer unless the caller asked for the log tail; its methods
// must return at once (buffer, count) and never block on I/O.
type Meter interface {
	// Metered is called once per invocation that reached the function.
	Metered(u *Usage)
	// Throttled is called for an invocation refused for lack of concurrency.
	Throttled(fn *Function)
}

// Meters hands every event to each meter in turn.
type Meters []Meter

func (ms Meters) Metered(u *Usage) {
	for _, m := range ms {
		m.Metered(u)
	}
}

func (ms Meters) Throttled(fn *Function) {
	for _, m := range ms {
		m.Throttled(fn)
	}
}

// Inflight calls yield once per function with invocations in flight and their
// number, all versions and aliases of the function together (the count reserved
// concurrency limits), with one of its versions as fn; for a concurrent-executions
// gauge. It takes no lock the invoke path takes.
func (e *Engine) Inflight(yield func(fn *Function, n int64)) {
	seen := map[*group]bool{}
	e.functions.Range(func(_, v any) bool {
		fs := v.(*fnState)
		if seen[fs.group] {
			return true
		}
		n := fs.group.inflight.Load()
		if n <= 0 {
			return true
		}
		if p := fs.cur.Load(); p != nil {
			seen[fs.group] = true
			yield(p.fn, n)
		}
		return true
	})
}

// meter hands the engine's Meter the record of c, which ended at end.
func (e *Engine) meter(c *call, end time.Time, dur, initDur, billed time.Duration, maxMem int64, status string, failed, cold bool) {
	fn := c.req.Function
	u := &Usage{RequestID: c.id, Region: fn.Region, Function: fn.Name, Version: fn.Version,
		Architecture: fn.Architecture, MemoryMB: fn.MemoryMB, Start: c.start, Duration: dur,
		InitDuration: initDur, Billed: billed, MaxMemoryBytes: maxMem, Outcome: OutcomeOK, ColdStart: cold}
	if u.Architecture == "" {
		u.Architecture = "x86_64"
	}
	if u.Start.IsZero() { // it never reached a runtime
		u.Start = end
	}
	switch {
	case status == "timeout":
		u.Outcome = OutcomeTimeout
	case status != "" || failed:
		u.Outcome = OutcomeError
	}
	e.Meter.Metered(u)
}

// BilledDuration is what Lambda bills an invocation for: its duration plus its init
// duration (billed for every runtime), rounded up to granularity; never less than
// one unit of granularity.
func BilledDuration(dur, initDur, granularity time.Duration) time.Duration {
	return roundUp(dur+initDur, granularity)
}

func roundUp(d, g time.Duration) time.Duration {
	if d <= 0 {
		return g
	}
	return (d + g - 1) / g * g
}
