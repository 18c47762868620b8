package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// The caller benchmark compares the two ways a function's SDK calls reach Stratus
// in the oci sandbox: the AWS endpoint served inside each environment's network
// namespace with the environment's identity (--function-endpoint attributed, the
// default), and the byte relay from the namespace to the server's own listener
// that came before it (--function-endpoint relay). Two servers from one build,
// measured alternately in the same run.

// sdkFunction makes one AWS API call (Lambda ListFunctions) per invocation.
const sdkFunction = "bench-sdk"

var sdkEvent = []byte(`{"Calls":[{"Op":"ListFunctions"}]}`)

var (
	callerRigsOnce          sync.Once
	attributedRig, relayRig *Rig
	callerRigsErr           error
)

func openCallerRigs(b *testing.B) (attributed, relayed *Rig) {
	b.Helper()
	skipWithoutOCI(b)
	callerRigsOnce.Do(func() {
		bin, err := buildStratus()
		if callerRigsErr = err; err != nil {
			return
		}
		ctx := context.Background()
		for _, o := range []struct {
			r    **Rig
			mode string
		}{{&attributedRig, "attributed"}, {&relayRig, "relay"}} {
			r, err := Open(ctx, Options{Stratus: bin, StratusFlags: []string{"--sandbox", "oci", "--function-endpoint", o.mode}})
			if err != nil {
				callerRigsErr = err
				return
			}
			*o.r = r
			if callerRigsErr = r.CreateFunction(ctx, sdkFunction, "sdk"); callerRigsErr != nil {
				return
			}
			// A whole vCPU: at 128 MB's share (7% of one) the CPU quota's
			// throttling would swamp the difference measured here.
			if _, callerRigsErr = r.Admin.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
				FunctionName: aws.String(sdkFunction), MemorySize: aws.Int32(1769)}); callerRigsErr != nil {
				return
			}
			if callerRigsErr = sdkCaller(r)(ctx); callerRigsErr != nil { // warm
				return
			}
		}
	})
	if callerRigsErr != nil {
		b.Fatal(callerRigsErr)
	}
	return attributedRig, relayRig
}

// sdkCaller invokes sdkFunction and checks that its one SDK call succeeded.
func sdkCaller(r *Rig) Caller {
	in := &lambda.InvokeInput{FunctionName: aws.String(sdkFunction), Payload: sdkEvent}
	return func(ctx context.Context) error {
		out, err := r.Admin.Invoke(ctx, in)
		if err != nil {
			return fmt.Errorf("bench: invoke %s: %w", sdkFunction, err)
		}
		var got struct {
			Calls []struct{ Status int }
		}
		if err := json.Unmarshal(out.Payload, &got); err != nil || out.FunctionError != nil || len(got.Calls) != 1 || got.Calls[0].Status != 200 {
			return fmt.Errorf("bench: invoke %s: %v: %.300s", sdkFunction, err, out.Payload)
		}
		return nil
	}
}

// BenchmarkFunctionSDKCall times warm invokes of a function that makes one SDK call,
// alternating between the attributed endpoint and the relay. Reported: p50 and
// p99 of each and x-relay-p50, attributed's p50 over the relay's.
func BenchmarkFunctionSDKCall(b *testing.B) {
	att, rel := openCallerRigs(b)
	ctx := context.Background()
	lat := alternate(b, ctx, sdkCaller(att), sdkCaller(rel))
	a, r := Summarise(lat[0], 0), Summarise(lat[1], 0)
	b.ReportMetric(us(a.P50), "attributed-p50-us")
	b.ReportMetric(us(a.P99), "attributed-p99-us")
	b.ReportMetric(us(r.P50), "relay-p50-us")
	b.ReportMetric(us(r.P99), "relay-p99-us")
	b.ReportMetric(float64(a.P50)/float64(r.P50), "x-relay-p50")
}
