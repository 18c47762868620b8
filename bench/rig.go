// Package bench measures Stratus as its users meet it: `stratus server` runs as a
// separate process on loopback and is driven with the aws-sdk-go-v2 Lambda client.
// Every measurement has its baseline in the same run (rawecho, a bare Go net/http
// echo server in a process of its own, or a bare exec of the function's binary), and
// results are reported as ratios to it, which travel between machines better than
// absolute times do.
//
// The Go benchmarks in invoke_test.go run with `go test -bench`; the command
// bench/cmd/invokebench runs the whole comparison and prints the table that
// RESULTS.md records. Nothing here runs without being asked: `go test ./bench/`
// alone starts no server.
package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stratus-run/stratus/internal/testfn"
)

// EchoFunction is the warm function every Rig creates.
const EchoFunction = "bench-echo"

const role = "arn:aws:iam::000000000000:role/bench"

// Options configure Open. The zero value builds everything from the module the
// working directory is in and sends 100-byte payloads.
type Options struct {
	// Root is the module root; empty means testfn.ModuleRoot().
	Root string
	// Stratus is a prebuilt stratus binary; empty means `go build ./cmd/stratus`.
	Stratus string
	// StratusFlags are added to `stratus server --listen 127.0.0.1:0 --data-dir ...`;
	// without a --sandbox among them, the server runs --sandbox process.
	StratusFlags []string
	// PayloadBytes is the size of every request body (default 100, at least 12).
	PayloadBytes int
	// FunctionEnv, if set, is the Environment.Variables of every function the rig
	// creates, for experiments such as GOMAXPROCS=1.
	FunctionEnv map[string]string
}

// Rig is one benchmark run's fixtures: Stratus and the raw echo server as child
// processes, the test function's code, and a warm echo function. Open it once per
// run; Close stops both servers and removes their files.
type Rig struct {
	Stratus *Process
	Raw     *Process
	// Bootstrap is the built test function binary; Zip its code package.
	Bootstrap string
	Zip       []byte
	// Payload is the body of every request: a JSON object of PayloadBytes bytes.
	Payload []byte
	// Admin is a Lambda client for setup calls (create, delete).
	Admin *lambda.Client

	dir   string
	fnEnv map[string]string
}

// Open builds the binaries, starts both servers and creates EchoFunction, warm. On
// error nothing is left running.
func Open(ctx context.Context, o Options) (_ *Rig, err error) {
	if o.PayloadBytes == 0 {
		o.PayloadBytes = 100
	}
	payload, err := Payload(o.PayloadBytes)
	if err != nil {
		return nil, err
	}
	if o.Root == "" {
		if o.Root, err = testfn.ModuleRoot(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "stratus-bench")
	if err != nil {
		return nil, err
	}
	r := &Rig{dir: dir, Payload: payload, fnEnv: o.FunctionEnv}
	defer func() {
		if err != nil {
			r.Close(context.Background()) //nolint:errcheck // reporting err
		}
	}()
	stratus := o.Stratus
	if stratus == "" {
		stratus = filepath.Join(dir, "stratus")
		if err := testfn.GoBuild(o.Root, "./cmd/stratus", stratus); err != nil {
			return nil, err
		}
	}
	rawecho := filepath.Join(dir, "rawecho")
	if err := testfn.GoBuild(o.Root, "./bench/cmd/rawecho", rawecho); err != nil {
		return nil, err
	}
	if r.Bootstrap, r.Zip, err = testfn.BuildFunction(o.Root, dir); err != nil {
		return nil, err
	}
	flags := o.StratusFlags
	if !slices.Contains(flags, "--sandbox") {
		// The benchmarks' baselines and RESULTS.md are the process sandbox's; the
		// sandboxes are compared by sandbox_test.go, which says which it runs.
		flags = append([]string{"--sandbox", "process"}, flags...)
	}
	argv := append([]string{stratus, "server", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data")}, flags...)
	if r.Stratus, err = StartProcess(ctx, time.Minute, argv...); err != nil {
		return nil, err
	}
	if r.Raw, err = StartProcess(ctx, 30*time.Second, rawecho, "--listen", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	r.Admin = r.LambdaClient(NewHTTPClient(1))
	if err := r.CreateEcho(ctx, EchoFunction); err != nil {
		return nil, err
	}
	if err := r.InvokeCaller(r.Admin, EchoFunction)(ctx); err != nil {
		return nil, fmt.Errorf("bench: first invoke: %w", err)
	}
	return r, nil
}

// Close stops both servers (Stratus stops its environments) and removes the run's
// files.
func (r *Rig) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var errs []error
	for _, p := range []*Process{r.Stratus, r.Raw} {
		if p != nil {
			errs = append(errs, p.Close(ctx))
		}
	}
	os.RemoveAll(r.dir) //nolint:errcheck // the servers' errors matter more
	return errors.Join(errs...)
}

// Payload returns a compact JSON object of exactly n bytes (n >= 12).
func Payload(n int) ([]byte, error) {
	const frame = `{"data":""}`
	if n < len(frame)+1 {
		return nil, fmt.Errorf("bench: payload of %d bytes is too small (at least %d)", n, len(frame)+1)
	}
	return []byte(`{"data":"` + strings.Repeat("x", n-len(frame)) + `"}`), nil
}

// NewTransport is the HTTP transport every client of a run uses, raw or SDK, so
// the comparison is fair: keep-alive with an idle connection per client, no
// proxy, no compression, HTTP/1.1 (plain-text loopback).
func NewTransport(clients int) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * clients,
		MaxIdleConnsPerHost: 2 * clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// NewHTTPClient is an http.Client on NewTransport(clients).
func NewHTTPClient(clients int) *http.Client {
	return &http.Client{Transport: NewTransport(clients)}
}

// LambdaClient is an aws-sdk-go-v2 Lambda client for the rig's Stratus over hc,
// with static credentials and no retries (a retry would hide a failure and its
// time).
func (r *Rig) LambdaClient(hc *http.Client) *lambda.Client {
	return lambda.New(lambda.Options{
		BaseEndpoint: aws.String(r.Stratus.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBENCH", "bench-secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   hc,
	})
}

// RawCaller POSTs Payload to the raw echo server and checks the echo: the baseline
// loopback HTTP round trip.
func (r *Rig) RawCaller(hc *http.Client) Caller {
	return r.postCaller(hc, r.Raw.URL+"/echo", "")
}

// InvokeHTTPCaller POSTs Payload to fn's Invoke URL with a plain, unsigned HTTP
// request: an invoke without the SDK's client-side work, to tell the two apart.
func (r *Rig) InvokeHTTPCaller(hc *http.Client, fn string) Caller {
	return r.postCaller(hc, r.Stratus.URL+"/2015-03-31/functions/"+fn+"/invocations", "")
}

// postCaller POSTs Payload to url (with Host host, when not "") and checks that
// it comes back.
func (r *Rig) postCaller(hc *http.Client, url, host string) Caller {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.Payload))
		if err != nil {
			return err
		}
		if host != "" {
			req.Host = host
		}
		req.Header["Content-Type"] = []string{"application/json"}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" {
			return fmt.Errorf("bench: POST %s: HTTP %d %s: %.200s", url, resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"), body)
		}
		if !bytes.Equal(body, r.Payload) {
			return fmt.Errorf("bench: POST %s: got %.200q, want the payload back", url, body)
		}
		return nil
	}
}

// InvokeCaller invokes fn synchronously through the SDK and checks the echo.
func (r *Rig) InvokeCaller(lc *lambda.Client, fn string) Caller {
	in := &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: r.Payload}
	return func(ctx context.Context) error {
		out, err := lc.Invoke(ctx, in)
		if err != nil {
			return fmt.Errorf("bench: invoke %s: %w", fn, err)
		}
		return r.checkEcho(fn, out)
	}
}

func (r *Rig) checkEcho(fn string, out *lambda.InvokeOutput) error {
	if out.StatusCode != http.StatusOK || out.FunctionError != nil {
		return fmt.Errorf("bench: invoke %s: status %d, function error %q: %.200s", fn, out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}
	if !bytes.Equal(out.Payload, r.Payload) {
		return fmt.Errorf("bench: invoke %s: got %.200q, want the payload back", fn, out.Payload)
	}
	return nil
}

// CreateEcho creates fn as a provided.al2023 function running the test function
// in echo mode, with Options.FunctionEnv as its environment.
func (r *Rig) CreateEcho(ctx context.Context, fn string) error {
	return r.CreateFunction(ctx, fn, "echo")
}

// CreateFunction creates fn as a provided.al2023 function running the test
// function in the given mode (its Handler), with Options.FunctionEnv as its
// environment.
func (r *Rig) CreateFunction(ctx context.Context, fn, mode string) error {
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String(mode),
		Role:         aws.String(role),
		Code:         &types.FunctionCode{ZipFile: r.Zip},
	}
	if len(r.fnEnv) > 0 {
		in.Environment = &types.Environment{Variables: r.fnEnv}
	}
	if _, err := r.Admin.CreateFunction(ctx, in); err != nil {
		return fmt.Errorf("bench: create %s: %w", fn, err)
	}
	return nil
}

// DeleteFunction deletes fn, which stops its environments.
func (r *Rig) DeleteFunction(ctx context.Context, fn string) error {
	if _, err := r.Admin.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn)}); err != nil {
		return fmt.Errorf("bench: delete %s: %w", fn, err)
	}
	return nil
}

// InvokeCold is the first invoke of a fresh fn, through lc. It asks for the log
// tail so it can return the Init Duration of the REPORT line: Stratus's measure of
// the time from starting the environment to the runtime's first /next.
func (r *Rig) InvokeCold(ctx context.Context, lc *lambda.Client, fn string) (initDur time.Duration, err error) {
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: r.Payload, LogType: types.LogTypeTail})
	if err != nil {
		return 0, fmt.Errorf("bench: invoke %s: %w", fn, err)
	}
	if err := r.checkEcho(fn, out); err != nil {
		return 0, err
	}
	return initDuration(aws.ToString(out.LogResult))
}

// initDuration reads "Init Duration: 12.34 ms" from the REPORT line of a base64
// log tail.
func initDuration(logResult string) (time.Duration, error) {
	b, err := base64.StdEncoding.DecodeString(logResult)
	if err != nil {
		return 0, fmt.Errorf("bench: log tail: %w", err)
	}
	tail := string(b)
	for line := range strings.SplitSeq(tail, "\n") {
		if !strings.HasPrefix(line, "REPORT ") {
			continue
		}
		for f := range strings.SplitSeq(line, "\t") {
			if v, ok := strings.CutPrefix(f, "Init Duration: "); ok {
				ms, err := strconv.ParseFloat(strings.TrimSuffix(v, " ms"), 64)
				if err != nil {
					return 0, fmt.Errorf("bench: REPORT %q: %w", line, err)
				}
				return time.Duration(ms * float64(time.Millisecond)), nil
			}
		}
		return 0, fmt.Errorf("bench: REPORT without Init Duration: %q", line)
	}
	return 0, fmt.Errorf("bench: no REPORT line in the log tail %q", tail)
}

// SpawnCaller execs the function's bootstrap outside Lambda and waits for it to
// exit: aws-lambda-go finds no Runtime API and exits at once. It is the floor of a
// cold start in a process sandbox: fork, exec, the Go runtime's start, exit.
func (r *Rig) SpawnCaller() Caller {
	return func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, r.Bootstrap)
		cmd.Env = []string{"_HANDLER=echo", "PATH=/usr/bin:/bin"}
		err := cmd.Run()
		var xe *exec.ExitError
		if err != nil && !errors.As(err, &xe) {
			return fmt.Errorf("bench: exec %s: %w", r.Bootstrap, err)
		}
		return nil
	}
}

// EchoAlias is the alias CreateEchoAlias makes: EchoFunction's version 1, with
// half of the calls routed to version 2.
const EchoAlias = "live"

// CreateEchoAlias publishes two versions of EchoFunction (they differ in Timeout)
// and points EchoAlias at both, weight 0.5 each.
func (r *Rig) CreateEchoAlias(ctx context.Context) error {
	for _, timeout := range []int32{3, 4} {
		if _, err := r.Admin.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String(EchoFunction), Timeout: aws.Int32(timeout)}); err != nil {
			return fmt.Errorf("bench: update %s: %w", EchoFunction, err)
		}
		if _, err := r.Admin.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(EchoFunction)}); err != nil {
			return fmt.Errorf("bench: publish %s: %w", EchoFunction, err)
		}
	}
	_, err := r.Admin.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(EchoFunction), Name: aws.String(EchoAlias),
		FunctionVersion: aws.String("1"), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}})
	if err != nil {
		return fmt.Errorf("bench: alias %s: %w", EchoAlias, err)
	}
	return nil
}
