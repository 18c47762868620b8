package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks share one Rig, opened by the first benchmark that runs and closed
// by TestMain; `go test` without -bench opens nothing. Run them with, e.g.:
//
//	go test ./bench/ -run '^$' -bench . -benchtime 20000x
//	go test ./bench/ -run '^$' -bench ColdStart -benchtime 50x

// clientCounts are the concurrency levels of the warm benchmarks.
var clientCounts = []int{1, 4, 16}

// maxBenchTime bounds every measured loop in time, whatever b.N asks for.
const maxBenchTime = 2 * time.Minute

var (
	rigOnce sync.Once
	rig     *Rig
	rigErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, r := range []*Rig{rig, procRig, ociRig, ociDirectRig, outboundRig, attributedRig, relayRig} {
		if r == nil {
			continue
		}
		if err := r.Close(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

func openRig(b *testing.B) *Rig {
	b.Helper()
	rigOnce.Do(func() { rig, rigErr = Open(context.Background(), Options{}) })
	if rigErr != nil {
		b.Fatal(rigErr)
	}
	return rig
}

// warmUp runs call briefly at the given concurrency, so connections are open and,
// for invokes, one environment per client is started before anything is timed.
func warmUp(b *testing.B, clients int, call Caller) {
	b.Helper()
	if _, err := Run(context.Background(), Load{Clients: clients, MaxRequests: 200 * clients, MaxDuration: time.Second}, call); err != nil {
		b.Fatal(err)
	}
}

// measure times b.N calls spread over the clients and reports their latency
// percentiles and rate.
func measure(b *testing.B, clients int, call Caller) Stats {
	b.Helper()
	b.ResetTimer()
	st, err := Run(context.Background(), Load{Clients: clients, MaxRequests: b.N, MaxDuration: maxBenchTime}, call)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if st.Requests < b.N {
		b.Fatalf("stopped by the %v bound after %d of %d requests", maxBenchTime, st.Requests, b.N)
	}
	b.ReportMetric(us(st.P50), "p50-us")
	b.ReportMetric(us(st.P99), "p99-us")
	b.ReportMetric(st.RPS, "req/s")
	return st
}

// rawBaselines holds the raw round trip per client count, measured once per run
// as the baseline of the invoke benchmarks. Benchmarks run one at a time.
var rawBaselines = map[int]Stats{}

func rawBaseline(b *testing.B, r *Rig, clients int) Stats {
	b.Helper()
	if st, ok := rawBaselines[clients]; ok {
		return st
	}
	call := r.RawCaller(NewHTTPClient(clients))
	warmUp(b, clients, call)
	st, err := Run(context.Background(), Load{Clients: clients, MaxRequests: 10000, MaxDuration: 2 * time.Second}, call)
	if err != nil {
		b.Fatal(err)
	}
	rawBaselines[clients] = st
	return st
}

// BenchmarkRawHTTP is the baseline: a 100-byte POST echoed by a bare Go net/http
// server in its own process, over a keep-alive loopback connection per client.
func BenchmarkRawHTTP(b *testing.B) {
	r := openRig(b)
	for _, c := range clientCounts {
		call, warm := r.RawCaller(NewHTTPClient(c)), false
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			if !warm {
				warmUp(b, c, call)
				warm = true
			}
			measure(b, c, call)
		})
	}
}

// BenchmarkInvokeWarm is a synchronous Invoke of a 100-byte payload on the warm
// echo function through the aws-sdk-go-v2 Lambda client. x-raw-p50 and x-raw-rps
// compare it with the raw round trip at the same concurrency, measured in the same
// run (targets: p50 at most 3x at 1 client; rps at least 0.25x at 16 clients).
func BenchmarkInvokeWarm(b *testing.B) {
	r := openRig(b)
	for _, c := range clientCounts {
		call, warm := r.InvokeCaller(r.LambdaClient(NewHTTPClient(c)), EchoFunction), false
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			base := rawBaseline(b, r, c)
			if !warm {
				warmUp(b, c, call)
				warm = true
			}
			st := measure(b, c, call)
			b.ReportMetric(float64(st.P50)/float64(base.P50), "x-raw-p50")
			b.ReportMetric(st.RPS/base.RPS, "x-raw-rps")
		})
	}
}

// BenchmarkInvokeWarmHTTP is BenchmarkInvokeWarm without the SDK: a plain unsigned
// POST to the Invoke URL, which tells the SDK's client-side cost from the server's.
func BenchmarkInvokeWarmHTTP(b *testing.B) {
	r := openRig(b)
	for _, c := range clientCounts {
		call, warm := r.InvokeHTTPCaller(NewHTTPClient(c), EchoFunction), false
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			base := rawBaseline(b, r, c)
			if !warm {
				warmUp(b, c, call)
				warm = true
			}
			st := measure(b, c, call)
			b.ReportMetric(float64(st.P50)/float64(base.P50), "x-raw-p50")
			b.ReportMetric(st.RPS/base.RPS, "x-raw-rps")
		})
	}
}

var aliasOnce sync.Once

// BenchmarkInvokeWarmAlias invokes the warm echo function through a weighted alias
// (half of the calls to each of two versions) with the SDK. Its baseline, measured
// in the same run at the same concurrency, is the unqualified invoke: x-latest-p50
// and x-latest-rps are the cost of resolving the alias and routing by weight
// (target: within noise of 1x).
func BenchmarkInvokeWarmAlias(b *testing.B) {
	r := openRig(b)
	var err error
	aliasOnce.Do(func() { err = r.CreateEchoAlias(context.Background()) })
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range clientCounts {
		lc := r.LambdaClient(NewHTTPClient(c))
		latest, alias, warm := r.InvokeCaller(lc, EchoFunction), r.InvokeCaller(lc, EchoFunction+":"+EchoAlias), false
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			if !warm {
				warmUp(b, c, latest)
				warmUp(b, c, alias)
				warm = true
			}
			base, err := Run(context.Background(), Load{Clients: c, MaxRequests: max(b.N, 1000), MaxDuration: 2 * time.Second}, latest)
			if err != nil {
				b.Fatal(err)
			}
			st := measure(b, c, alias)
			b.ReportMetric(float64(st.P50)/float64(base.P50), "x-latest-p50")
			b.ReportMetric(st.RPS/base.RPS, "x-latest-rps")
		})
	}
}

// spawnSamples is how many bare execs make the cold start's baseline.
const spawnSamples = 20

var (
	coldSeq    atomic.Int64
	spawnOnce  sync.Once
	spawnStats Stats
	spawnErr   error
)

// BenchmarkColdStart times the first Invoke of a fresh function (created untimed
// before, deleted untimed after), invoke to response. Its baseline, measured in the
// same run, is a bare fork+exec of the same bootstrap until it exits (x-spawn-p50).
// init-p50-ms is Stratus's own Init Duration from the REPORT line. Target: p50
// under 10 ms.
func BenchmarkColdStart(b *testing.B) {
	r := openRig(b)
	ctx := context.Background()
	spawnOnce.Do(func() {
		spawnStats, spawnErr = Run(ctx, Load{Clients: 1, MaxRequests: spawnSamples, MaxDuration: 30 * time.Second}, r.SpawnCaller())
	})
	if spawnErr != nil {
		b.Fatal(spawnErr)
	}
	lat := make([]time.Duration, 0, b.N)
	inits := make([]time.Duration, 0, b.N)
	deadline := time.Now().Add(maxBenchTime)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if time.Now().After(deadline) {
			b.Fatalf("stopped by the %v bound after %d of %d cold starts", maxBenchTime, len(lat), b.N)
		}
		name := fmt.Sprintf("bench-cold-%d", coldSeq.Add(1))
		if err := r.CreateEcho(ctx, name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		initDur, err := r.InvokeCold(ctx, r.Admin, name)
		d := time.Since(t0)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		lat, inits = append(lat, d), append(inits, initDur)
		if err := r.DeleteFunction(ctx, name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	st, in := Summarise(lat, 0), Summarise(inits, 0)
	b.ReportMetric(ms(st.P50), "p50-ms")
	b.ReportMetric(ms(st.P99), "p99-ms")
	b.ReportMetric(ms(in.P50), "init-p50-ms")
	b.ReportMetric(float64(st.P50)/float64(spawnStats.P50), "x-spawn-p50")
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
