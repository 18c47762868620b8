// Command sqsbench measures Stratus's SQS against goaws (the Go SQS emulator
// users pick) and a raw loopback HTTP round trip in one run, and the latency
// from SendMessage to the start of a function an event source mapping
// invokes.
//
//	go run ./bench/cmd/sqsbench [flags]
//
// A row is a cycle: send a 100-byte message, receive one, delete it. Parties:
// Stratus through aws-sdk-go-v2's SQS client (awsJson 1.0, what current SDKs
// send), Stratus and goaws through one query-protocol client (goaws serves no
// other protocol), and three raw round trips. They run in -rounds alternating
// rounds. The ESM row sends -esm messages one at a time to a queue mapped to
// an aws-lambda-go function that records when it started.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/stratus-run/stratus/bench"
	"github.com/stratus-run/stratus/internal/testfn"
)

func main() { bench.Main("sqsbench", run) }

// Targets of the issue, as ratios or bounds in one run.
const (
	targetVsGoaws = 2.0                   // Stratus messages/s over goaws's, at least
	targetESMP50  = 20 * time.Millisecond // send to function start, p50
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sqsbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clientsFlag := fs.String("clients", "1,16", "comma-separated concurrent client counts")
	rounds := fs.Int("rounds", 3, "alternating rounds")
	duration := fs.Duration("duration", 3*time.Second, "time bound of each party of a row")
	requests := fs.Int("requests", 6000, "cycle bound of each party of a row")
	esmN := fs.Int("esm", 200, "messages of the ESM latency row (0 skips it)")
	goaws := fs.Bool("goaws", true, "build (once) and run goaws as the peer")
	stratus := fs.String("stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	profile := fs.String("cpuprofile", "", "write the Stratus server's CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clients, err := bench.ParseCounts(*clientsFlag, 256)
	if err != nil {
		return err
	}
	var flags []string
	if *profile != "" {
		abs, err := filepath.Abs(*profile)
		if err != nil {
			return err
		}
		flags = []string{"--cpu-profile", abs}
	}
	r, err := bench.OpenSQS(ctx, *stratus, flags, *goaws)
	if err != nil {
		return err
	}
	defer r.Close(context.Background()) //nolint:errcheck
	m := bench.MachineInfo()
	fmt.Fprintf(stdout, "date %s\nmachine %+v\nload average before %s\n", time.Now().UTC().Format(time.RFC3339), m, bench.LoadAvg())
	goawsURL := ""
	if r.Goaws != nil {
		b, err := bench.NewQueryClient(r.Goaws.URL, bench.NewHTTPClient(1)).Do(ctx, url.Values{"Action": {"GetQueueUrl"}, "QueueName": {bench.SQSQueue}})
		if err != nil {
			return fmt.Errorf("goaws GetQueueUrl: %w", err)
		}
		var doc struct {
			URL string `xml:"GetQueueUrlResult>QueueUrl"`
		}
		xml.Unmarshal(b, &doc) //nolint:errcheck
		goawsURL = doc.URL
		fmt.Fprintf(stdout, "goaws %s %s\n", bench.GoawsVersion, goawsURL)
	} else {
		fmt.Fprintf(stdout, "goaws: %v\n", r.GoawsErr)
	}
	stratusURL := r.Stratus.URL + "/000000000000/" + bench.SQSQueue
	fmt.Fprintf(stdout, "each party: %d cycles or %s in %d alternating rounds; a cycle is send + receive + delete of a 100-byte message\n\n",
		*requests, *duration, *rounds)
	fmt.Fprintf(stdout, "| clients | party | msgs/s | cycle p50 µs | cycle p99 µs | server CPU µs/msg |\n|---|---|---|---|---|---|\n")
	type key struct {
		clients int
		party   string
	}
	rate := map[key]float64{}
	for _, c := range clients {
		hc := bench.NewHTTPClient(c)
		parties := []bench.Party{
			{Name: "raw x3", Call: bench.RawCycleCaller(hc, r.Raw.URL), Server: r.Raw},
			{Name: "stratus sdk", Call: bench.SDKCycleCaller(bench.NewSQSClient(r.Stratus.URL, hc), stratusURL), Server: r.Stratus},
			{Name: "stratus query", Call: bench.QueryCycleCaller(bench.NewQueryClient(r.Stratus.URL, hc), stratusURL), Server: r.Stratus},
		}
		if r.Goaws != nil {
			parties = append(parties, bench.Party{Name: "goaws query", Call: bench.QueryCycleCaller(bench.NewQueryClient(r.Goaws.URL, hc), goawsURL), Server: r.Goaws})
		}
		res, err := bench.Alternate(ctx, *rounds, bench.Load{Clients: c, MaxRequests: *requests, MaxDuration: *duration}, parties)
		if err != nil {
			return err
		}
		for _, p := range res {
			us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
			rate[key{c, p.Name}] = p.Stats.RPS
			cpu := 0.0
			if p.Stats.Requests > 0 {
				cpu = us(p.Server) / float64(p.Stats.Requests)
			}
			fmt.Fprintf(stdout, "| %d | %s | %.0f | %.0f | %.0f | %.0f |\n", c, p.Name, p.Stats.RPS, us(p.Stats.P50), us(p.Stats.P99), cpu)
		}
	}
	fmt.Fprintf(stdout, "\nratios (same run)\n")
	for _, c := range clients {
		raw := rate[key{c, "raw x3"}]
		fmt.Fprintf(stdout, "  %2d client(s): stratus sdk / raw x3 %.2f   stratus query / raw x3 %.2f", c, rate[key{c, "stratus sdk"}]/raw, rate[key{c, "stratus query"}]/raw)
		if g := rate[key{c, "goaws query"}]; g > 0 {
			v := rate[key{c, "stratus query"}] / g
			verdict := "PASS"
			if v < targetVsGoaws {
				verdict = "MISS"
			}
			fmt.Fprintf(stdout, "   stratus query / goaws query %.2f (target >= %.1f: %s)   stratus sdk / goaws query %.2f", v, targetVsGoaws, verdict, rate[key{c, "stratus sdk"}]/g)
		}
		fmt.Fprintln(stdout)
	}
	if *esmN > 0 {
		if err := esmLatency(ctx, r, *esmN, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\nload average after %s\n", bench.LoadAvg())
	return nil
}

// esmLatency sends n messages one at a time to a queue mapped to a function
// and reports, per message, the time from sending it to the start of the
// invocation that got it.
func esmLatency(ctx context.Context, r *bench.SQSRig, n int, stdout io.Writer) error {
	dir := r.Dir()
	_, zip, err := testfn.BuildFunction(r.Root, filepath.Join(dir, "fn"))
	if err != nil {
		return err
	}
	file := filepath.Join(dir, "ran")
	hc := bench.NewHTTPClient(1)
	lc := lambda.New(lambda.Options{BaseEndpoint: aws.String(r.Stratus.URL), Region: "us-east-1", HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", "")})
	if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("esm-latency"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("append"),
		Role: aws.String("arn:aws:iam::000000000000:role/bench"), Code: &types.FunctionCode{ZipFile: zip},
		Environment: &types.Environment{Variables: map[string]string{"APPEND_FILE": file}},
	}); err != nil {
		return err
	}
	qc := bench.NewSQSClient(r.Stratus.URL, hc)
	q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("esm-latency")})
	if err != nil {
		return err
	}
	if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("esm-latency"),
		EventSourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:esm-latency"), BatchSize: aws.Int32(1)}); err != nil {
		return err
	}
	var mu sync.Mutex
	sent := map[string]time.Time{}
	for i := range n + 5 {
		t0 := time.Now()
		out, err := qc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(fmt.Sprintf(`{"n":%d}`, i))})
		if err != nil {
			return err
		}
		if i >= 5 { // the first start the function's environment
			mu.Lock()
			sent[aws.ToString(out.MessageId)] = t0
			mu.Unlock()
		}
		time.Sleep(20 * time.Millisecond)
	}
	deadline := time.Now().Add(time.Minute)
	var lat []time.Duration
	for {
		ran, err := readRan(file)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		lat = lat[:0]
		for id, t0 := range sent {
			if at, ok := ran[id]; ok {
				lat = append(lat, at.Sub(t0))
			}
		}
		if len(lat) == len(sent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(lat) < len(sent) {
		return fmt.Errorf("esm: %d of %d messages reached the function within a minute", len(lat), len(sent))
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	verdict := "PASS"
	if p50 > targetESMP50 {
		verdict = "MISS"
	}
	fmt.Fprintf(stdout, "\nESM: SendMessage to function start over %d messages sent 20 ms apart: p50 %.1f ms, p99 %.1f ms (target p50 < %s: %s)\n",
		len(lat), float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000, targetESMP50, verdict)
	return nil
}

// readRan reads the function's lines: message id → when the handler that got
// it started.
func readRan(file string) (map[string]time.Time, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]time.Time{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Event struct {
				Records []struct {
					MessageID string `json:"messageId"`
				}
			} `json:"event"`
			RanAtNs int64 `json:"ranAtNs"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		for _, rec := range l.Event.Records {
			if _, ok := out[rec.MessageID]; !ok {
				out[rec.MessageID] = time.Unix(0, l.RanAtNs)
			}
		}
	}
	return out, sc.Err()
}
