package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/metering"
	"github.com/stratus-run/stratus/internal/metrics"
	"github.com/stratus-run/stratus/internal/store"
)

// BenchmarkMeterHook measures what the engine's Meter adds to each invocation: the
// usage ledger's buffering and the Prometheus counters, as main.go wires them,
// against a meter that does nothing, in the same run:
//
//	go test ./bench/ -run '^$' -bench MeterHook
func BenchmarkMeterHook(b *testing.B) {
	st := &store.Store{Dir: b.TempDir()}
	if err := st.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer st.Close(context.Background()) //nolint:errcheck
	ledger := &metering.Ledger{JS: st.JetStream()}
	if err := ledger.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer ledger.Close(context.Background()) //nolint:errcheck
	fn := &invoke.Function{Region: "us-east-1", Name: "bench", Version: "$LATEST"}
	u := invoke.Usage{RequestID: "0123456789abcdef0123456789abcdef", Region: "us-east-1", Function: "bench",
		Version: "$LATEST", Architecture: "x86_64", MemoryMB: 128, Duration: time.Millisecond, Billed: time.Millisecond,
		Outcome: invoke.OutcomeOK}
	for _, tc := range []struct {
		name  string
		meter invoke.Meter
	}{
		{"baseline-noop", noopMeter{}},
		{"ledger+prometheus", invoke.Meters{ledger, metrics.New(nil)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					// The engine allocates one Usage per invocation and hands it over.
					v := u
					v.Start = time.Now()
					tc.meter.Metered(&v)
				}
			})
			_ = fn
		})
	}
}

type noopMeter struct{}

func (noopMeter) Metered(*invoke.Usage)      {}
func (noopMeter) Throttled(*invoke.Function) {}
