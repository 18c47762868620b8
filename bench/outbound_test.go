package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// outboundRig is closed by TestMain, with the servers and containers it started.
var (
	outboundRigOnce sync.Once
	outboundRig     *Rig
	outboundRigErr  error
)

// BenchmarkOutboundColdStart times b.N cold starts in the oci sandbox (pooled, as
// by default) with --function-network outbound and without, alternating, as
// BenchmarkSandboxColdStart: what the veth pair, addresses and route add to a
// cold start. x-none-p50 is outbound's p50 over none's.
func BenchmarkOutboundColdStart(b *testing.B) {
	_, none := openSandboxRigs(b)
	outboundRigOnce.Do(func() {
		outboundRig, outboundRigErr = Open(context.Background(), Options{
			StratusFlags: []string{"--sandbox", "oci", "--function-network", "outbound"}})
	})
	if outboundRigErr != nil {
		b.Fatal(outboundRigErr)
	}
	ctx := context.Background()
	var lat [2][]time.Duration
	deadline := time.Now().Add(maxBenchTime)
	b.ResetTimer()
	b.StopTimer()
	for i := range b.N {
		if time.Now().After(deadline) {
			b.Fatalf("stopped by the %v bound after %d of %d cold starts", maxBenchTime, i, b.N)
		}
		for k, r := range []*Rig{none, outboundRig} {
			name := fmt.Sprintf("ob-cold-%d", coldSeq.Add(1))
			if err := r.CreateEcho(ctx, name); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			if _, err := r.InvokeCold(ctx, r.Admin, name); err != nil {
				b.Fatal(err)
			}
			lat[k] = append(lat[k], time.Since(t0))
			if err := r.DeleteFunction(ctx, name); err != nil {
				b.Fatal(err)
			}
		}
	}
	n, o := Summarise(lat[0], 0), Summarise(lat[1], 0)
	b.ReportMetric(ms(n.P50), "none-p50-ms")
	b.ReportMetric(ms(n.P99), "none-p99-ms")
	b.ReportMetric(ms(o.P50), "outbound-p50-ms")
	b.ReportMetric(ms(o.P99), "outbound-p99-ms")
	b.ReportMetric(float64(o.P50)/float64(n.P50), "x-none-p50")
}
