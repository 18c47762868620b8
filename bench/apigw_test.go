package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

var (
	apiOnce  sync.Once
	benchAPI *HTTPAPI
	apiErr   error
)

func openAPI(b *testing.B, r *Rig) *HTTPAPI {
	b.Helper()
	apiOnce.Do(func() { benchAPI, apiErr = r.CreateHTTPAPI(context.Background()) })
	if apiErr != nil {
		b.Fatal(apiErr)
	}
	return benchAPI
}

// BenchmarkHTTPAPI is a 100-byte POST through an HTTP API (payload 2.0, quick
// create) to the warm respond function, at 16 and 64 clients. x-invoke-p50 and
// x-invoke-rps compare it with the direct unsigned Invoke of the same function,
// measured in the same run (target: p50 under 1.20x). bench/cmd/apigwbench runs
// the same comparison in alternating rounds and prints RESULTS.md's table.
func BenchmarkHTTPAPI(b *testing.B) {
	r := openRig(b)
	api := openAPI(b, r)
	for _, c := range []int{16, 64} {
		call, base := r.APICaller(NewHTTPClient(c), api), r.RespondInvokeHTTPCaller(NewHTTPClient(c))
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			warmUp(b, c, base)
			warmUp(b, c, call)
			bst, err := Run(context.Background(), Load{Clients: c, MaxRequests: max(b.N, 1000), MaxDuration: maxBenchTime}, base)
			if err != nil {
				b.Fatal(err)
			}
			st := measure(b, c, call)
			b.ReportMetric(float64(st.P50)/float64(bst.P50), "x-invoke-p50")
			b.ReportMetric(st.RPS/bst.RPS, "x-invoke-rps")
		})
	}
}
