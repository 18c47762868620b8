// Command asyncbench measures asynchronous (Event) invocation against the
// synchronous invoke of the same function, in one run, and prints the table
// bench/RESULTS.md records.
//
//	go run ./bench/cmd/asyncbench [flags]
//
// It builds and starts `stratus server` as a child process and creates a function
// (testdata/fn in append mode) that writes one line per invocation, with the time
// its handler started. For each client count it alternates two phases: sync
// Invokes (the baseline), and Event Invokes, whose 202 comes once the event is on
// disk in JetStream. After each Event phase it waits until every accepted event ran
// and takes, per event, the time from sending its Invoke to its handler starting
// (end-to-end latency). Everything goes through the aws-sdk-go-v2 Lambda client.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stratus-run/stratus/bench"
)

const fnName = "bench-append"

func main() { bench.Main("asyncbench", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("asyncbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clientsFlag := fs.String("clients", "1,16", "comma-separated concurrent client counts")
	duration := fs.Duration("duration", 3*time.Second, "time bound of each measured phase (split over the rounds)")
	requests := fs.Int("requests", 6000, "request bound of each measured phase (split over the rounds)")
	rounds := fs.Int("rounds", 2, "rounds alternating the sync and async phases")
	stratus := fs.String("stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	profile := fs.String("server-cpuprofile", "", "write a CPU profile of stratus server to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clients, err := bench.ParseCounts(*clientsFlag, 512)
	if err != nil {
		return err
	}
	var flags []string
	if *profile != "" {
		flags = []string{"--cpu-profile", *profile}
	}
	r, err := bench.Open(ctx, bench.Options{Stratus: *stratus, StratusFlags: flags})
	if err != nil {
		return err
	}
	defer r.Close(context.Background()) //nolint:errcheck
	dir, err := os.MkdirTemp("", "asyncbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "ran")
	if _, err := r.Admin.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(fnName), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("append"),
		Role: aws.String("arn:aws:iam::000000000000:role/bench"), Code: &types.FunctionCode{ZipFile: r.Zip},
		Environment: &types.Environment{Variables: map[string]string{"APPEND_FILE": file}},
	}); err != nil {
		return err
	}
	m := bench.MachineInfo()
	fmt.Fprintf(stdout, "date %s\nmachine %+v\nload average before %s\n", time.Now().UTC().Format(time.RFC3339), m, bench.LoadAvg())
	fmt.Fprintf(stdout, "payload %d bytes; each phase: %d requests or %s, in %d rounds alternating sync and async\n\n",
		len(r.Payload), *requests, *duration, *rounds)
	fmt.Fprintf(stdout, "%8s %8s %9s %9s %9s %9s | %12s %12s %11s\n", "phase", "clients", "requests", "p50 µs", "p99 µs", "req/s", "e2e p50 µs", "e2e p99 µs", "ran/s")
	type pair struct{ sync, accept, e2e bench.Stats }
	results := map[int]*pair{}
	for _, c := range clients {
		hc := bench.NewHTTPClient(c)
		lc := r.LambdaClient(hc)
		load := bench.Load{Clients: c, MaxRequests: *requests / *rounds, MaxDuration: *duration / time.Duration(*rounds)}
		// Warm enough environments for c clients, untimed.
		if _, err := bench.Run(ctx, bench.Load{Clients: c, MaxRequests: 20 * c, MaxDuration: time.Second}, syncCaller(lc)); err != nil {
			return err
		}
		var syncLat, acceptLat, e2eLat []time.Duration
		var syncEl, acceptEl, drainEl time.Duration
		for range *rounds {
			st, err := bench.Run(ctx, load, syncCaller(lc))
			if err != nil {
				return err
			}
			syncLat, syncEl = append(syncLat, st.Samples...), syncEl+st.Elapsed
			sent := &sentTimes{at: map[string]time.Time{}}
			start := time.Now()
			st, err = bench.Run(ctx, load, asyncCaller(lc, sent))
			if err != nil {
				return err
			}
			acceptLat, acceptEl = append(acceptLat, st.Samples...), acceptEl+st.Elapsed
			e2e, last, err := waitRan(ctx, file, sent, time.Minute)
			if err != nil {
				return err
			}
			e2eLat, drainEl = append(e2eLat, e2e...), drainEl+last.Sub(start)
		}
		p := &pair{sync: bench.Summarise(syncLat, syncEl), accept: bench.Summarise(acceptLat, acceptEl), e2e: bench.Summarise(e2eLat, drainEl)}
		results[c] = p
		us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
		fmt.Fprintf(stdout, "%8s %8d %9d %9.1f %9.1f %9.0f | %12s %12s %11s\n", "sync", c, p.sync.Requests, us(p.sync.P50), us(p.sync.P99), p.sync.RPS, "-", "-", "-")
		fmt.Fprintf(stdout, "%8s %8d %9d %9.1f %9.1f %9.0f | %12.1f %12.1f %11.0f\n", "async", c, p.accept.Requests, us(p.accept.P50), us(p.accept.P99), p.accept.RPS,
			us(p.e2e.P50), us(p.e2e.P99), p.e2e.RPS)
	}
	fmt.Fprintf(stdout, "\nload average after %s\n\nratios (same run)\n", bench.LoadAvg())
	for _, c := range clients {
		p := results[c]
		fmt.Fprintf(stdout, "  %2d client(s): accepted async req/s / sync req/s  %6.2f x   async ran/s / sync req/s  %6.2f x   e2e p50 / sync p50  %6.2f x\n",
			c, p.accept.RPS/p.sync.RPS, p.e2e.RPS/p.sync.RPS, float64(p.e2e.P50)/float64(p.sync.P50))
	}
	return nil
}

func syncCaller(lc *lambda.Client) bench.Caller {
	return func(ctx context.Context) error {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fnName), Payload: []byte(`{"b":"sync"}`)})
		if err != nil {
			return err
		}
		if out.StatusCode != http.StatusOK || out.FunctionError != nil {
			return fmt.Errorf("sync invoke: %d %s", out.StatusCode, aws.ToString(out.FunctionError))
		}
		return nil
	}
}

// sentTimes records when each accepted event's Invoke was sent, by request id.
type sentTimes struct {
	mu sync.Mutex
	at map[string]time.Time
}

func asyncCaller(lc *lambda.Client, sent *sentTimes) bench.Caller {
	return func(ctx context.Context) error {
		t0 := time.Now()
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fnName), Payload: []byte(`{"b":"async"}`),
			InvocationType: types.InvocationTypeEvent})
		if err != nil {
			return err
		}
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		if out.StatusCode != http.StatusAccepted || id == "" {
			return fmt.Errorf("event invoke: status %d, request id %q", out.StatusCode, id)
		}
		sent.mu.Lock()
		sent.at[id] = t0
		sent.mu.Unlock()
		return nil
	}
}

// waitRan waits until every event in sent ran, and returns each one's latency from
// send to handler start, and when the last one ran.
func waitRan(ctx context.Context, file string, sent *sentTimes, within time.Duration) ([]time.Duration, time.Time, error) {
	deadline := time.Now().Add(within)
	for {
		ran, err := readRan(file)
		if err != nil {
			return nil, time.Time{}, err
		}
		var lat []time.Duration
		var last time.Time
		for id, t0 := range sent.at {
			at, ok := ran[id]
			if !ok {
				break
			}
			lat = append(lat, at.Sub(t0))
			if at.After(last) {
				last = at
			}
		}
		if len(lat) == len(sent.at) {
			return lat, last, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, time.Time{}, fmt.Errorf("%d of %d accepted events ran within %s", len(lat), len(sent.at), within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readRan reads the function's lines: request id → when its handler started (the
// first run, if an event ran more than once).
func readRan(file string) (map[string]time.Time, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]time.Time{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			RequestID string `json:"requestId"`
			RanAtNs   int64  `json:"ranAtNs"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue // a line being written
		}
		if _, seen := out[l.RequestID]; !seen {
			out[l.RequestID] = time.Unix(0, l.RanAtNs)
		}
	}
	return out, sc.Err()
}
