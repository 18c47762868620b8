// Command stratus runs the Stratus server and its client verbs.
//
//	stratus server [flags]            run everything on one endpoint
//	stratus health [--endpoint URL]   check that a server answers
//	stratus usage [flags]             requests, billed duration and cost of a period
//	stratus deploy template.yaml      package local code and deploy the stack
//	stratus dev template.yaml         deploy, then reload functions as their code is saved
//	stratus version
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/stratus-run/stratus/internal/apigw"
	"github.com/stratus-run/stratus/internal/async"
	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/blob"
	"github.com/stratus-run/stratus/internal/cloudformation"
	"github.com/stratus-run/stratus/internal/codedeploy"
	"github.com/stratus-run/stratus/internal/dynamodb"
	ddbstore "github.com/stratus-run/stratus/internal/dynamodb/tablestore/bolt"
	"github.com/stratus-run/stratus/internal/ecr"
	"github.com/stratus-run/stratus/internal/edge"
	"github.com/stratus-run/stratus/internal/esm"
	"github.com/stratus-run/stratus/internal/events"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/imagefs"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/lambda"
	"github.com/stratus-run/stratus/internal/logs"
	"github.com/stratus-run/stratus/internal/metering"
	"github.com/stratus-run/stratus/internal/metrics"
	"github.com/stratus-run/stratus/internal/registry"
	"github.com/stratus-run/stratus/internal/runtimes"
	"github.com/stratus-run/stratus/internal/s3"
	"github.com/stratus-run/stratus/internal/s3/objstore/disk"
	"github.com/stratus-run/stratus/internal/sandbox/oci"
	"github.com/stratus-run/stratus/internal/scheduler"
	"github.com/stratus-run/stratus/internal/sns"
	"github.com/stratus-run/stratus/internal/sqs"
	"github.com/stratus-run/stratus/internal/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stratus:", err)
		os.Exit(1)
	}
}

const usage = `usage: stratus <command> [flags]

commands:
  server    run Stratus (Lambda API and more) on one endpoint
  health    check that a server answers (--endpoint, --output json)
  usage     usage and cost per function (--month, --start/--end, --function, --free-tier, --output json)
  deploy    package a template's local code and deploy it as a stack (template.yaml [--stack-name N] [--parameter-overrides K=V ...] [--endpoint-url URL] [--output json])
  dev       deploy, then reload each function when its code is saved and redeploy when the template is (same flags; Ctrl-C stops)
  version   print the version
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "server":
		m := &Main{Stdout: stdout, Stderr: stderr}
		if err := m.ParseFlags(args[1:]); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		return m.Run(ctx)
	case "health":
		return health(ctx, args[1:], stdout)
	case "usage":
		return usageCmd(ctx, args[1:], stdout, stderr)
	case "deploy":
		return deployCmd(ctx, args[1:], stdout, stderr)
	case "dev":
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		return devCmd(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "stratus", version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// Main is the server: flags in, every part built and wired here, then run until
// the context ends.
type Main struct {
	Stdout, Stderr io.Writer

	Listen             string
	DataDir            string
	SandboxKind        string
	FunctionNetwork    string
	FunctionRange      netip.Prefix
	SandboxPool        int
	Auth               string
	CredentialsFile    string
	Region             string
	AccountConcurrency int
	KeepAlive          time.Duration
	BillingGranularity time.Duration
	FunctionLogs       string
	CPUProfile         string
	Interpreters       map[string]string
	AsyncRetryDelay    time.Duration
	AsyncAckWait       time.Duration
	AsyncWorkers       int
	AsyncAgeUnit       time.Duration
	ScheduleMinute     time.Duration
	LogLevel           slog.Level
	FunctionEndpoint   string
	S3LifecycleDay     time.Duration

	// Ready, if set, is called with the endpoint URL once the server answers.
	Ready func(url string)
}

// ParseFlags reads the server's flags.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("stratus server", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&m.Listen, "listen", "127.0.0.1:4566", "address to serve the AWS endpoint on")
	fs.StringVar(&m.DataDir, "data-dir", ".stratus", "directory for state, code and queues")
	fs.IntVar(&m.SandboxPool, "sandbox-pool", 4, "oci: containers kept created ahead of need, so that a cold start skips creating one (0: create each on demand)")
	fs.StringVar(&m.SandboxKind, "sandbox", "auto", "execution environment sandbox: oci (containers under crun or runc), process (no isolation), or auto (oci where it works, else process with a warning)")
	fs.StringVar(&m.FunctionNetwork, "function-network", "none", "network of oci environments besides their Runtime API and the AWS endpoint: none, or outbound (a veth pair and NAT to whatever the host reaches, as Lambda outside a VPC; never the host itself nor other environments)")
	m.FunctionRange = oci.DefaultOutboundRange
	fs.Func("function-network-range", "IPv4 range environments' addresses come from with --function-network outbound, a /31 each, claimed by servers in /24 chunks (default "+oci.DefaultOutboundRange.String()+")", func(v string) error {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return err
		}
		if err := oci.CheckOutboundRange(p); err != nil {
			return err
		}
		m.FunctionRange = p
		return nil
	})
	fs.StringVar(&m.Auth, "auth", "none", "request authentication: none (any key accepted) or strict (SigV4 verified)")
	fs.StringVar(&m.CredentialsFile, "credentials-file", "", "AWS shared-credentials file of the keys --auth strict accepts")
	fs.StringVar(&m.Region, "region", "us-east-1", "region for unsigned requests")
	fs.IntVar(&m.AccountConcurrency, "account-concurrency", 1000, "account concurrent executions limit")
	fs.DurationVar(&m.KeepAlive, "keep-alive", 10*time.Minute, "how long idle execution environments stay warm")
	fs.DurationVar(&m.BillingGranularity, "billing-granularity", time.Millisecond, "round billed durations up to this: 1ms (Lambda today) or 100ms (Lambda before December 2020)")
	fs.StringVar(&m.FunctionLogs, "function-logs", "none", "also write function logs to: none or stderr")
	fs.DurationVar(&m.AsyncRetryDelay, "async-retry-delay", time.Minute, "wait before an async event's first retry (doubled for the second); throttled events back off from 1/60 of it up to 5 times it")
	fs.DurationVar(&m.AsyncAckWait, "async-ack-wait", 30*time.Second, "how long an async event taken by a server that died waits before it is delivered again")
	fs.DurationVar(&m.AsyncAgeUnit, "async-age-unit", time.Second, "length of one second of MaximumEventAgeInSeconds (shorter in tests)")
	fs.DurationVar(&m.ScheduleMinute, "schedule-minute", time.Minute, "length of one minute of EventBridge and Scheduler schedule time, of CodeDeploy traffic shifting and of ECR lifecycle policy ages (shorter in tests: schedules and deployments then run on a faster clock)")
	fs.IntVar(&m.AsyncWorkers, "async-workers", 256, "async events handled at once, across all functions (each waits in its invocation)")
	fs.TextVar(&m.LogLevel, "log-level", slog.LevelInfo, "server log level: debug (adds a line per AWS request made from inside a function, naming it), info, warn or error")
	fs.StringVar(&m.FunctionEndpoint, "function-endpoint", "attributed", "how functions reach the AWS endpoint: attributed (served inside each execution environment, so every SDK call is known to be that function's) or relay (the server's own listener, relayed into the environment and unattributed; a benchmark baseline)")
	fs.DurationVar(&m.S3LifecycleDay, "s3-lifecycle-day", 24*time.Hour, "how long one day of an S3 lifecycle rule lasts (shorter in tests); rules are evaluated every minute, or every day when it is shorter")
	fs.StringVar(&m.CPUProfile, "cpu-profile", "", "write a CPU profile of the server to this file until it stops")
	m.Interpreters = map[string]string{}
	fs.Func("runtime-interpreter", "interpreter of a runtime family or runtime, as NAME=PATH (python=/usr/bin/python3, nodejs22.x=/opt/node22/bin/node); repeatable", func(v string) error {
		name, path, ok := strings.Cut(v, "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("want NAME=PATH, got %q", v)
		}
		m.Interpreters[name] = path
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch m.Auth {
	case "none":
	case "strict":
		if m.CredentialsFile == "" {
			return errors.New("--auth strict needs --credentials-file")
		}
	default:
		return fmt.Errorf("--auth must be none or strict, not %q", m.Auth)
	}
	if m.BillingGranularity < time.Millisecond || m.BillingGranularity%time.Millisecond != 0 {
		return fmt.Errorf("--billing-granularity must be a whole number of milliseconds, at least 1ms, not %s", m.BillingGranularity)
	}
	if m.FunctionNetwork != "none" && m.FunctionNetwork != "outbound" {
		return fmt.Errorf("--function-network must be none or outbound, not %q", m.FunctionNetwork)
	}
	if m.FunctionEndpoint != "attributed" && m.FunctionEndpoint != "relay" {
		return fmt.Errorf("--function-endpoint must be attributed or relay, not %q", m.FunctionEndpoint)
	}
	if m.FunctionLogs != "none" && m.FunctionLogs != "stderr" {
		return fmt.Errorf("--function-logs must be none or stderr, not %q", m.FunctionLogs)
	}
	return nil
}

// Run starts every part, serves until ctx ends, then shuts down in reverse order,
// stopping every execution environment.
func (m *Main) Run(ctx context.Context) error {
	logger := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: m.LogLevel}))
	// Every path under the data dir reaches runtimes and containers, which start
	// elsewhere than the server's working directory: make it absolute once.
	dataDir, err := filepath.Abs(m.DataDir)
	if err != nil {
		return err
	}
	m.DataDir = dataDir
	if err := os.MkdirAll(m.DataDir, 0o755); err != nil {
		return err
	}
	if m.CPUProfile != "" {
		f, err := os.Create(m.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	sb, err := m.openSandbox(logger)
	if err != nil {
		return err
	}
	if c, ok := sb.(interface{ Close() error }); ok {
		defer c.Close() //nolint:errcheck // after the engine stopped every environment
	}

	// Functions get credentials of their own, so their SDK calls pass --auth strict.
	fnCreds := invoke.Credentials{AccessKeyID: "ASIA" + strings.ToUpper(randomHex(8)), SecretAccessKey: randomHex(20), SessionToken: randomHex(32)}
	// CloudFormation makes a stack's resources through the same APIs, with
	// a key of its own.
	cfnKey, cfnSecret := "AKIA"+strings.ToUpper(randomHex(8)), randomHex(20)
	var verifier *sigv4.Verifier
	if m.Auth == "strict" {
		creds, err := sigv4.LoadCredentials(m.CredentialsFile)
		if err != nil {
			return err
		}
		creds[fnCreds.AccessKeyID] = fnCreds.SecretAccessKey
		creds[cfnKey] = cfnSecret
		verifier = &sigv4.Verifier{Secret: func(k string) (string, bool) { s, ok := creds[k]; return s, ok }}
	}

	st := &store.Store{Dir: filepath.Join(m.DataDir, "jetstream")}
	if err := st.Open(ctx); err != nil {
		return err
	}
	defer st.Close(context.Background()) //nolint:errcheck
	blobs, err := blob.Open(filepath.Join(m.DataDir, "blobs"))
	if err != nil {
		return err
	}
	// The OCI registry keeps its blobs apart: its GC deletes what no manifest
	// uses. With --auth none it takes anonymous pushes and creates the
	// repository pushed to; with --auth strict it takes only the tokens of
	// ECR's GetAuthorizationToken (reg.Authorize, set below) and pushes to
	// repositories CreateRepository made, as ECR does.
	regBlobs, err := blob.Open(filepath.Join(m.DataDir, "registry", "blobs"))
	if err != nil {
		return err
	}
	reg := &registry.Registry{Store: st, Blobs: regBlobs, Dir: filepath.Join(m.DataDir, "registry"),
		CreateOnPush: m.Auth == "none", Anonymous: m.Auth == "none", Log: logger}
	if err := reg.Open(ctx); err != nil {
		return err
	}

	cwl := &logs.Service{Store: st}
	if err := cwl.Open(ctx); err != nil {
		return err
	}
	logSink := &logs.Sink{Logs: cwl}
	logSink.Start()

	eg := &edge.Edge{Listen: m.Listen, Verifier: verifier, Region: m.Region, Log: logger}
	if err := eg.Open(ctx); err != nil {
		return err
	}
	ledger := &metering.Ledger{JS: st.JetStream()}
	if err := ledger.Open(ctx); err != nil {
		return err
	}
	engine := &invoke.Engine{
		Sandbox:            sb,
		AccountConcurrency: m.AccountConcurrency,
		KeepAlive:          m.KeepAlive,
		BillingGranularity: m.BillingGranularity,
		Endpoint:           eg.URL(),
		Credentials:        fnCreds,
	}
	if m.FunctionEndpoint == "attributed" {
		engine.EndpointHandler = eg
	}
	prom := metrics.New(engine.Inflight)
	eg.Observer = prom
	if o, ok := sb.(*oci.Sandbox); ok && m.SandboxPool > 0 {
		prom.SetPoolStats(func() (int, int64, int64) {
			st := o.PoolStats()
			return st.Ready, st.Specialised, st.Unsuited
		})
	}
	engine.Meter = invoke.Meters{ledger, prom}
	engine.Logs = logSink
	if m.FunctionLogs == "stderr" {
		engine.Logs = teeSink{logSink, &invoke.WriterSink{W: m.Stderr}}
	}
	if err := engine.Open(ctx); err != nil {
		return err
	}
	rts := &runtimes.Runtimes{Dir: filepath.Join(m.DataDir, "runtimes"), Interpreters: m.Interpreters}
	if err := rts.Open(); err != nil {
		return err
	}
	queue := &async.Queue{Store: st, Workers: m.AsyncWorkers, AckWait: m.AsyncAckWait,
		ThrottleMin: m.AsyncRetryDelay / 60, ThrottleMax: 5 * m.AsyncRetryDelay}
	// Services send each other messages through targets (Lambda's
	// destinations and dead letters, S3's notifications, SNS subscriptions,
	// EventBridge and Scheduler targets). Sends wait until every service is
	// added, so what a restart left to deliver finds its target.
	targets := eventsource.NewRouter()
	queues := &sqs.Service{Store: st, Region: m.Region}
	if err := queues.Open(ctx); err != nil {
		return err
	}
	targets.Add("sqs", queues)
	_, port, _ := net.SplitHostPort(eg.Addr())
	topics := &sns.Service{Store: st, Targets: targets, Region: m.Region, Endpoint: eg.URL()}
	if err := topics.Open(ctx); err != nil {
		return err
	}
	targets.Add("sns", topics)
	bus := &events.Service{Store: st, Targets: targets, Region: m.Region, Minute: m.ScheduleMinute}
	if err := bus.Open(ctx); err != nil {
		return err
	}
	targets.Add("events", bus)
	lam := &lambda.Service{URLPort: port, URLVerifier: verifier, Store: st, Blobs: blobs, Engine: engine, Runtimes: rts, CodeDir: filepath.Join(m.DataDir, "code"), URLKey: []byte(randomHex(32)),
		Queue: queue, Targets: targets, RetryDelay: m.AsyncRetryDelay, AgeUnit: m.AsyncAgeUnit}
	// Container-image functions run from reg's images, unpacked once per digest.
	lam.Images = reg
	if lam.ImageRoots, err = imagefs.NewCache(filepath.Join(m.DataDir, "images"), imagefs.Options{}); err != nil {
		return err
	}
	if err := lam.Open(ctx); err != nil {
		return err
	}
	targets.Add("lambda", lam.Sender())
	schedules := &scheduler.Service{Store: st, Targets: targets, Region: m.Region, Minute: m.ScheduleMinute}
	if err := schedules.Open(ctx); err != nil {
		return err
	}
	targets.Ready()
	if err := migrateDeadLetters(ctx, st, targets, logger); err != nil {
		return err
	}
	// Delivery starts once the function cache is filled, so queued events find
	// their functions after a restart.
	queue.Handle = lam.Deliver
	if err := queue.Open(ctx); err != nil {
		return err
	}
	prom.SetQueueStats(func() (int, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s, err := queue.Stats(ctx)
		if err != nil {
			return 0, 0
		}
		return int(s.Depth), s.OldestAge
	})
	gw := &apigw.Service{Store: st, Invoker: lam, Port: port}
	if err := gw.Open(ctx); err != nil {
		return err
	}
	objects, err := disk.Open(filepath.Join(m.DataDir, "s3"))
	if err != nil {
		return err
	}
	defer objects.Close() //nolint:errcheck // after the S3 service stopped
	s3svc := &s3.Service{Store: objects, Functions: lam, FunctionNotFound: lambda.ErrFunctionNotFound, Verifier: verifier, Targets: targets,
		Region: m.Region, LifecycleDay: m.S3LifecycleDay}
	if err := s3svc.Open(ctx); err != nil {
		return err
	}
	// Lambda was opened first (S3 notifies it); it reads code packages from S3
	// only for requests, which reach it once the edge routes to it below.
	lam.Objects = s3svc
	tables, err := ddbstore.Open(filepath.Join(m.DataDir, "dynamodb"), ddbstore.Options{})
	if err != nil {
		return err
	}
	defer tables.Close() //nolint:errcheck // after the DynamoDB service stopped
	ddb := &dynamodb.Service{Store: tables, Region: m.Region}
	if err := ddb.Open(ctx); err != nil {
		return err
	}
	mappings := &esm.Service{Store: st, Functions: lam, Region: m.Region, Targets: targets,
		Streams: map[string]eventsource.Streams{"dynamodb": ddb.StreamSource()},
		Queues:  map[string]eventsource.Queues{"sqs": queues}}
	if err := mappings.Open(ctx); err != nil {
		return err
	}
	// CodeDeploy shifts aliases and invokes hooks through the Lambda API at
	// the edge, with the functions' credentials; alarms read the ledger's
	// error counts, and its minute is --schedule-minute's.
	deploys := &codedeploy.Service{Store: st, Region: m.Region, Usage: ledger, Minute: m.ScheduleMinute, Log: logger,
		Lambda: codedeploy.NewSDKLambda(eg.URL(), fnCreds.AccessKeyID, fnCreds.SecretAccessKey, fnCreds.SessionToken)}
	if err := deploys.Open(ctx); err != nil {
		return err
	}
	// CloudFormation's providers call the other services through the edge,
	// so it resumes interrupted stack operations only once they are routed.
	cfn := &cloudformation.Service{Store: st, Endpoint: eg.URL(), AccessKeyID: cfnKey, SecretAccessKey: cfnSecret,
		Region: m.Region, Deployer: deploys, Log: logger}
	if err := cfn.Open(ctx); err != nil {
		return err
	}
	// ECR manages the registry's repositories and issues the tokens it
	// takes; its lifecycle minute is --schedule-minute's.
	ecrSvc := &ecr.Service{Store: st, Registry: reg, Port: port, Region: m.Region, Minute: m.ScheduleMinute, Log: logger}
	if err := ecrSvc.Open(ctx); err != nil {
		return err
	}
	reg.Authorize = ecrSvc.Authorize
	internal := http.NewServeMux()
	internal.HandleFunc("GET /_stratus/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": version, "sandbox": sb.Name()}) //nolint:errcheck
	})
	internal.HandleFunc(lambda.CodePath, lam.ServeCode)
	internal.Handle("GET "+metering.Path, &metering.Handler{Ledger: ledger, Prices: &metering.LambdaPrices, Granularity: m.BillingGranularity})
	internal.HandleFunc(async.StatsPath, queue.ServeStats)
	eg.Internal = internal
	eg.Metrics = prom.Handler()
	// Event source mappings before Lambda: they share its signing name and
	// its /2015-03-31/ paths. S3 last: it takes the unsigned requests that
	// name no other service. The registry just before S3: it takes unsigned
	// /v2/ paths (no S3 bucket is named "v2") and the *.dkr.ecr.*.localhost
	// hosts, and the services before it take only signed requests or their
	// own targets, so the hot paths never pay for its host check.
	eg.Services = []edge.Service{mappings, lam, cwl, gw, ddb, queues, topics, bus, schedules, deploys, cfn, ecrSvc, reg, s3svc}
	eg.Apps = []edge.App{{Label: "execute-api", Serve: gw.ServeExecuteAPI}, {Label: "lambda-url", Serve: lam.ServeFunctionURL}}
	// Resumed operations call the edge at once: everything it routes is set
	// before they start.
	cfn.Resume()
	deploys.Resume()

	logger.Info("stratus is serving", "endpoint", eg.URL(), "data_dir", m.DataDir, "sandbox", sb.Name(), "auth", m.Auth)
	if m.Ready != nil {
		m.Ready(eg.URL())
	}
	<-ctx.Done()
	logger.Info("stratus is shutting down")

	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := []error{cfn.Close(sctx), deploys.Close(sctx), eg.Close(sctx), ecrSvc.Close(sctx), reg.Close(sctx), mappings.Close(sctx), ddb.Close(sctx), queues.Close(sctx), topics.Close(sctx), bus.Close(sctx), schedules.Close(sctx), s3svc.Close(sctx), queue.Close(sctx), gw.Close(sctx), lam.Close(sctx), engine.Close(sctx), ledger.Close(sctx), logSink.Close(sctx), cwl.Close(sctx)}
	return errors.Join(errs...)
}

// migrateDeadLetters moves the dead letters an earlier Stratus kept in its
// own stream (before SQS and SNS existed) to their queues and topics. Those
// whose target does not exist (yet) stay for the next start.
func migrateDeadLetters(ctx context.Context, st *store.Store, targets eventsource.Sender, logger *slog.Logger) error {
	if _, err := st.JetStream().Stream(ctx, "LAMBDA_DEAD_LETTERS"); err != nil {
		return nil // nothing was ever kept there
	}
	dl := &async.DeadLetters{Store: st}
	if err := dl.Open(ctx); err != nil {
		return err
	}
	moved, kept, err := dl.Drain(ctx, func(d async.DeadLetter) error {
		m := eventsource.Message{Body: d.Body, Attributes: map[string]eventsource.Attribute{}}
		for k, a := range d.Attributes {
			m.Attributes[k] = eventsource.Attribute{DataType: a.DataType, StringValue: a.StringValue}
		}
		_, err := targets.Send(ctx, d.TargetArn, m)
		return err
	})
	if moved > 0 || kept > 0 {
		logger.Info("moved stored dead letters to their queues and topics", "moved", moved, "kept", kept)
	}
	return err
}

// teeSink hands every function log line to each of its sinks.
type teeSink []invoke.LogSink

func (t teeSink) Append(fn *invoke.Function, stream string, at time.Time, line []byte) {
	for _, s := range t {
		s.Append(fn, stream, at, line)
	}
}

func health(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("stratus health", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "http://127.0.0.1:4566", "Stratus endpoint URL")
	output := fs.String("output", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(*endpoint, "/")+"/_stratus/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var h map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s does not look like a Stratus server (HTTP %d)", *endpoint, resp.StatusCode)
	}
	if *output == "json" {
		return json.NewEncoder(stdout).Encode(h)
	}
	fmt.Fprintf(stdout, "%s %s (sandbox %s)\n", h["status"], h["version"], h["sandbox"])
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck
	return hex.EncodeToString(b)
}
