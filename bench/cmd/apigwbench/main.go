// Command apigwbench measures the API Gateway hop: requests per second and p50/p99
// latency of a POST through an HTTP API (payload 2.0) to a warm Go function, against
// the direct Lambda Invoke of the same function in the same run, both through the
// aws-sdk-go-v2 client (invoke-sdk, which signs each request) and as a plain POST
// to the Invoke URL (invoke-http, unsigned like the API call).
//
//	go run ./bench/cmd/apigwbench [--clients 16,64] [--duration 3s] [--rounds 3]
//
// For each client count the two phases run in alternating rounds, so that other
// work on the machine weighs on both alike. The target of issue 6 is that the hop
// adds under 20% at p50 (ratio http-api/invoke under 1.20).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/stratus-run/stratus/bench"
)

func main() { bench.Main("apigwbench", run) }

type phase struct {
	name    string
	call    bench.Caller
	samples []time.Duration
	elapsed time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apigwbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clients := fs.String("clients", "16,64", "comma-separated concurrent client counts")
	duration := fs.Duration("duration", 3*time.Second, "time bound of each measured phase (split over the rounds)")
	requests := fs.Int("requests", 30000, "request bound of each measured phase (split over the rounds)")
	rounds := fs.Int("rounds", 3, "alternating rounds per phase")
	stratus := fs.String("stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	counts, err := bench.ParseCounts(*clients, 512)
	if err != nil {
		return err
	}
	if *rounds < 1 || *requests < *rounds || *duration <= 0 {
		return errors.New("--rounds must be at least 1 and at most --requests; --duration positive")
	}
	fmt.Fprintln(stderr, "building and starting stratus")
	rig, err := bench.Open(ctx, bench.Options{Stratus: *stratus})
	if err != nil {
		return err
	}
	defer rig.Close(context.Background()) //nolint:errcheck // a measuring error comes first
	api, err := rig.CreateHTTPAPI(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "clients\tphase\trequests\treq/s\tp50 ms\tp99 ms\t\n")
	var verdicts []string
	for _, n := range counts {
		phases := []*phase{
			{name: "invoke-sdk", call: rig.RespondInvokeCaller(rig.LambdaClient(bench.NewHTTPClient(n)))},
			{name: "invoke-http", call: rig.RespondInvokeHTTPCaller(bench.NewHTTPClient(n))},
			{name: "http-api", call: rig.APICaller(bench.NewHTTPClient(n), api)},
		}
		fmt.Fprintf(stderr, "%d clients: warming up, then %d alternating rounds\n", n, *rounds)
		for _, p := range phases {
			// Warm-up: one environment per client, connections open.
			if _, err := bench.Run(ctx, bench.Load{Clients: n, MaxRequests: 100 * n, MaxDuration: time.Second}, p.call); err != nil {
				return fmt.Errorf("%s warm-up: %w", p.name, err)
			}
		}
		for range *rounds {
			for _, p := range phases {
				st, err := bench.Run(ctx, bench.Load{Clients: n, MaxRequests: *requests / *rounds, MaxDuration: *duration / time.Duration(*rounds)}, p.call)
				if err != nil {
					return fmt.Errorf("%s: %w", p.name, err)
				}
				p.samples = append(p.samples, st.Samples...)
				p.elapsed += st.Elapsed
			}
		}
		var sts []bench.Stats
		for _, p := range phases {
			st := bench.Summarise(p.samples, p.elapsed)
			sts = append(sts, st)
			fmt.Fprintf(tw, "%d\t%s\t%d\t%.0f\t%.3f\t%.3f\t\n", n, p.name, st.Requests, st.RPS, ms(st.P50), ms(st.P99))
		}
		api := sts[2]
		for i, base := range sts[:2] {
			p50 := float64(api.P50) / float64(base.P50)
			verdict := "meets"
			if p50 >= 1.20 {
				verdict = "MISSES"
			}
			verdicts = append(verdicts, fmt.Sprintf("%d clients: http-api/%s p50 %.2fx, p99 %.2fx, req/s %.2fx (target p50 < 1.20x: %s)",
				n, phases[i].name, p50, float64(api.P99)/float64(base.P99), api.RPS/base.RPS, verdict))
		}
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	for _, v := range verdicts {
		fmt.Fprintln(stdout, v)
	}
	fmt.Fprintf(stdout, "\nmachine: %+v\n", bench.MachineInfo())
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
