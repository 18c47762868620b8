package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Caller makes one request and checks its answer; it is called from several
// goroutines at once.
type Caller func(ctx context.Context) error

// Load is how hard and how long Run drives a Caller. Both bounds apply: the run
// ends at MaxRequests or at MaxDuration, whichever comes first.
type Load struct {
	Clients     int           // concurrent clients, each with one request in flight
	MaxRequests int           // total over all clients
	MaxDuration time.Duration // measured from the first request
}

// Stats summarises one Run. RPS is Requests over Elapsed, the wall time from the
// first request's start to the last answer.
type Stats struct {
	Clients  int
	Requests int
	Elapsed  time.Duration
	P50, P99 time.Duration
	Max      time.Duration
	RPS      float64
	// Samples are the latencies, sorted, so runs can be merged (Summarise of
	// their concatenation over their summed Elapsed).
	Samples []time.Duration
}

// Run drives call with l.Clients clients until either bound of l is reached, and
// returns the latency of every request summarised. It stops at the first failed
// request and returns its error: a benchmark of failures measures nothing.
func Run(ctx context.Context, l Load, call Caller) (Stats, error) {
	if l.Clients < 1 || l.MaxRequests < 1 || l.MaxDuration <= 0 {
		return Stats{}, fmt.Errorf("bench: load needs clients, requests and a duration: %+v", l)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		issued atomic.Int64
		wg     sync.WaitGroup
		perCli = make([][]time.Duration, l.Clients)
	)
	start := time.Now()
	deadline := start.Add(l.MaxDuration)
	for i := range l.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, min(l.MaxRequests/l.Clients+1, 1<<16))
			for ctx.Err() == nil && issued.Add(1) <= int64(l.MaxRequests) {
				t0 := time.Now()
				if !t0.Before(deadline) {
					break
				}
				if err := call(ctx); err != nil {
					cancel(err)
					break
				}
				lat = append(lat, time.Since(t0))
			}
			perCli[i] = lat
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return Stats{}, err
	}
	all := slices.Concat(perCli...)
	st := Summarise(all, elapsed)
	st.Clients = l.Clients
	return st, nil
}

// Summarise sorts lat in place and returns its count, percentiles and rate over
// elapsed; the Stats keep lat as Samples.
func Summarise(lat []time.Duration, elapsed time.Duration) Stats {
	slices.Sort(lat)
	st := Stats{Requests: len(lat), Elapsed: elapsed, Samples: lat}
	if len(lat) == 0 {
		return st
	}
	st.P50, st.P99, st.Max = Percentile(lat, 50), Percentile(lat, 99), lat[len(lat)-1]
	if elapsed > 0 {
		st.RPS = float64(len(lat)) / elapsed.Seconds()
	}
	return st
}

// Percentile returns the p-th percentile of sorted by the nearest-rank method; 0 for
// an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}
