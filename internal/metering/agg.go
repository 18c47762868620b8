package metering

// Agg sums a set of invocations. Figures are integers so sums are exact and
// independent of order; GBSeconds derives from MBMillis.
type Agg struct {
	Requests   int64 `json:"requests"`
	Errors     int64 `json:"errors"`
	Timeouts   int64 `json:"timeouts"`
	ColdStarts int64 `json:"coldStarts"`
	DurationNs int64 `json:"durationNs"`
	InitNs     int64 `json:"initNs"`
	BilledMs   int64 `json:"billedMs"`
	// MBMillis is the sum over invocations of billed milliseconds × memory MB.
	MBMillis int64 `json:"mbMillis"`
}

// GBSeconds is Lambda's compute unit: billed seconds × memory GB (1 GB = 1024 MB).
func (a Agg) GBSeconds() float64 { return float64(a.MBMillis) / 1024 / 1000 }

func (a *Agg) add(r *record) {
	a.Requests++
	switch r.Outcome {
	case "error":
		a.Errors++
	case "timeout":
		a.Errors++
		a.Timeouts++
	}
	if r.Cold {
		a.ColdStarts++
	}
	a.DurationNs += r.Duration
	a.InitNs += r.Init
	ms := r.Billed / 1e6 // billed durations are whole milliseconds
	a.BilledMs += ms
	a.MBMillis += ms * int64(r.MemoryMB)
}

func (a *Agg) merge(o Agg) {
	a.Requests += o.Requests
	a.Errors += o.Errors
	a.Timeouts += o.Timeouts
	a.ColdStarts += o.ColdStarts
	a.DurationNs += o.DurationNs
	a.InitNs += o.InitNs
	a.BilledMs += o.BilledMs
	a.MBMillis += o.MBMillis
}

// Key is what usage is aggregated by: one function's invocations on one
// architecture (a function changing architecture is priced at each one's rates).
type Key struct {
	Region       string `json:"region"`
	Function     string `json:"function"`
	Architecture string `json:"architecture"`
}

// Usage is the aggregated invocations of each function in a period.
type Usage map[Key]Agg

func (u Usage) addAgg(k Key, a Agg) {
	t := u[k]
	t.merge(a)
	u[k] = t
}
