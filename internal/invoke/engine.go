// Package invoke is the invoke engine: it runs invocations on pools of execution
// environments, scales them out one environment per concurrent invocation, enforces
// concurrency limits and timeouts, and writes Lambda's START/END/REPORT log lines.
package invoke

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/lifecycle"
	"github.com/stratus-run/stratus/internal/sandbox"
)

// Function is an immutable snapshot of one function version's configuration, as the
// Lambda service hands it to the engine. A new snapshot (a higher Generation) of the
// same Key replaces the function's environments: they are drained, never mixed.
type Function struct {
	Key        string // unique per function version, e.g. "us-east-1/hello/$LATEST"
	Generation uint64 // increases with every change to code or configuration
	// Group names the function all of whose versions and aliases share one
	// concurrency count (reserved concurrency is per function, not per version),
	// e.g. "us-east-1/hello". Empty means Key: the version counts alone.
	Group    string
	Name     string
	Region   string
	Arn      string // unqualified function ARN
	Version  string // "$LATEST" or a version number
	Runtime  string
	Handler  string
	CodeDir  string // unpacked code on the host
	MemoryMB int
	// EphemeralMB is the function's EphemeralStorage: the size of /tmp where the
	// sandbox can bound it (0 means Lambda's default, 512).
	EphemeralMB int
	// Architecture is the instruction set the function is billed for: "x86_64"
	// (also when empty) or "arm64".
	Architecture string
	Timeout      time.Duration
	Env          map[string]string // the function's own Environment.Variables
	// Command starts a managed runtime's bootstrap (e.g. an interpreter and
	// Stratus's runtime client). Nil means the provided.* convention: the
	// executable bootstrap in the code package or a layer.
	Command []string
	// RuntimeAPISocket hands the runtime a connection to its Runtime API ready-made,
	// as descriptor 3 named by _STRATUS_RUNTIME_API_FD, beside the usual
	// AWS_LAMBDA_RUNTIME_API (for Stratus's own clients, which look for it).
	RuntimeAPISocket bool
	// Reserved is the function's reserved concurrency, or -1 when it has none.
	Reserved int
	// OptDir is the function's layers on the host, extracted in order into one
	// directory (later layers overwrite earlier ones), or "" without layers. In
	// Lambda this is /opt, where the oci sandbox mounts it; the process sandbox
	// cannot, so there the runtime finds it through PATH, LD_LIBRARY_PATH,
	// PYTHONPATH, NODE_PATH and the provided.* bootstrap lookup (sandbox.Paths).
	OptDir string
	// Root is the host directory of a container image's unpacked root file
	// system for a PackageType Image function ("" for a zip one): the runtime
	// runs in it, Command is the image's ENTRYPOINT and CMD (or the function's
	// ImageConfig), and CodeDir, OptDir and Handler are empty. Only a sandbox
	// that is a sandbox.ImageRunner runs it.
	Root string
	// ImageEnv is the image's ENV ("NAME=value"). The function's variables and
	// Lambda's own come over it, except the search paths and locale the image
	// sets for its own contents (imageEnv).
	ImageEnv []string
	// WorkingDir is where an image function's runtime starts ("" means "/").
	WorkingDir string
	// LogFormat is LoggingConfig.LogFormat (LogFormatText or LogFormatJSON); with
	// JSON, ApplicationLogLevel and SystemLogLevel filter the logs.
	LogFormat           string
	ApplicationLogLevel string
	SystemLogLevel      string
	// LogGroup is where the function's logs go (LoggingConfig.LogGroup).
	LogGroup string
}

// Request is one invocation.
type Request struct {
	Function      *Function
	Payload       []byte
	InvokedArn    string // the ARN as invoked, with its qualifier if any
	ClientContext string // JSON, decoded from the caller's base64
	TraceID       string // X-Amzn-Trace-Id as received; one is made when empty
	LogTail       bool   // collect the invocation's log for X-Amz-Log-Result
	// RequestID is the invocation's request id; one is made when empty. A queued
	// event keeps the id its 202 reported across every attempt.
	RequestID string
}

// Result is the outcome of an invocation that ran (or failed) in the function.
type Result struct {
	RequestID string
	Payload   []byte
	// FunctionError is "Unhandled" when the function (or its runtime) failed; Payload
	// then holds the error body.
	FunctionError string
	// LogTail is the last 4 KB of the invocation's log, when asked for.
	LogTail []byte
}

// Credentials are handed to every function so its SDK calls reach Stratus.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// Engine runs invocations. Set the exported fields, then Open; Close stops every
// environment.
type Engine struct {
	Sandbox sandbox.Sandbox
	// AccountConcurrency is the account's concurrent executions limit (default 1000).
	AccountConcurrency int
	// KeepAlive is how long an idle environment is kept warm (default 10 minutes).
	KeepAlive time.Duration
	// InitTimeout bounds a runtime's initialisation (default 10 s, as Lambda's).
	InitTimeout time.Duration
	// Endpoint is the AWS endpoint URL functions reach Stratus at.
	Endpoint string
	// EndpointHandler, when set, serves Endpoint to each environment on a listener
	// of the environment's own (at Endpoint's address where the sandbox gives it a
	// network of its own, else at a port of its own), with the environment's
	// caller.Identity in every request's context: a function's SDK calls are
	// attributed to it by where they arrive. Nil relays Endpoint into the
	// environment as it is (sandbox.Network.Forward), unattributed. Either way
	// the runtime finds the address in AWS_ENDPOINT_URL.
	EndpointHandler http.Handler
	Credentials     Credentials
	// Logs receives every log line of every environment; nil discards them.
	Logs LogSink
	// Billing rounds billed durations up to this granularity (default 1 ms).
	BillingGranularity time.Duration
	// Meter, when set, hears of every invocation and throttle (see Meter).
	Meter Meter

	functions sync.Map // Function.Key → *fnState
	groups    sync.Map // Function.Group → *group; never removed (a few words per function)

	// unreservedInflight counts in-flight invocations of functions without reserved
	// concurrency; they share AccountConcurrency minus the reserved total.
	unreservedInflight atomic.Int64
	reservedTotal      atomic.Int64

	envSeq  atomic.Uint64
	closed  atomic.Bool
	stop    chan struct{}
	reaperW sync.WaitGroup
}

// Open applies defaults and starts the idle-environment reaper.
func (e *Engine) Open(ctx context.Context) error {
	if e.Sandbox == nil {
		return errors.New("invoke: Sandbox is required")
	}
	if e.AccountConcurrency <= 0 {
		e.AccountConcurrency = 1000
	}
	if e.KeepAlive <= 0 {
		e.KeepAlive = 10 * time.Minute
	}
	if e.InitTimeout <= 0 {
		e.InitTimeout = 10 * time.Second
	}
	if e.BillingGranularity <= 0 {
		e.BillingGranularity = time.Millisecond
	}
	e.stop = make(chan struct{})
	e.reaperW.Add(1)
	go e.reap()
	return nil
}

// Close stops every environment, waiting for them until ctx ends. In-flight
// invocations end with an error.
func (e *Engine) Close(ctx context.Context) error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(e.stop)
	e.reaperW.Wait()
	var wg sync.WaitGroup
	e.functions.Range(func(_, v any) bool {
		if p := v.(*fnState).cur.Load(); p != nil {
			wg.Add(1)
			go func() { defer wg.Done(); p.stopAll(ctx) }()
		}
		return true
	})
	return lifecycle.Wait(ctx, wg.Wait)
}

// SetReservedTotal tells the engine the sum of all functions' reserved concurrency,
// which the unreserved functions cannot use.
func (e *Engine) SetReservedTotal(n int) { e.reservedTotal.Store(int64(n)) }

// Forget drains and drops the environments of a deleted function.
func (e *Engine) Forget(ctx context.Context, key string) {
	v, ok := e.functions.LoadAndDelete(key)
	if !ok {
		return
	}
	fs := v.(*fnState)
	fs.mu.Lock()
	p := fs.cur.Swap(nil)
	fs.mu.Unlock()
	if p != nil {
		go p.drain(context.WithoutCancel(ctx))
	}
}

// Errors Invoke returns besides the function's own outcome.
var (
	errThrottledReserved = &awsproto.Error{Code: "TooManyRequestsException", Status: http.StatusTooManyRequests,
		Message: "Rate Exceeded.", Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}
	errThrottledAccount = &awsproto.Error{Code: "TooManyRequestsException", Status: http.StatusTooManyRequests,
		Message: "Rate Exceeded.", Reason: "ConcurrentInvocationLimitExceeded"}
	errClosed = &awsproto.Error{Code: "ServiceException", Status: http.StatusServiceUnavailable, Server: true,
		Message: "The service is shutting down."}
)

// Invoke runs req synchronously and returns the function's result. It returns an
// *awsproto.Error when the invocation could not run at all (throttled, shutting
// down). It is the warm invoke hot path: no disk I/O, no global lock.
func (e *Engine) Invoke(ctx context.Context, req *Request) (*Result, error) {
	if e.closed.Load() {
		return nil, errClosed
	}
	fs := e.state(req.Function)
	if err := e.acquire(fs, req.Function); err != nil {
		if e.Meter != nil {
			e.Meter.Throttled(req.Function)
		}
		return nil, err
	}
	// The slot is released when the invocation ends in the function, not when the
	// caller stops waiting.
	c := newCall(req, func() { e.release(fs, req.Function) })
	p := fs.poolFor(e, req.Function)
	p.dispatch(c)
	select {
	case o := <-c.done:
		return o.r, o.err
	case <-ctx.Done():
		// The caller left; the invocation still runs to its end in the function, as
		// in Lambda, and its environment is released then.
		return nil, ctx.Err()
	}
}

// state returns fn's version state. The warm path finds it with one sync.Map
// load; the function's shared concurrency count is bound to it once, on creation.
func (e *Engine) state(fn *Function) *fnState {
	if v, ok := e.functions.Load(fn.Key); ok {
		return v.(*fnState)
	}
	g := fn.Group
	if g == "" {
		g = fn.Key
	}
	gv, _ := e.groups.LoadOrStore(g, &group{})
	v, _ := e.functions.LoadOrStore(fn.Key, &fnState{group: gv.(*group)})
	return v.(*fnState)
}

// acquire takes one concurrency slot for fn or returns a throttling error.
func (e *Engine) acquire(fs *fnState, fn *Function) error {
	if fn.Reserved >= 0 {
		if fs.group.inflight.Add(1) > int64(fn.Reserved) {
			fs.group.inflight.Add(-1)
			return errThrottledReserved
		}
		return nil
	}
	limit := int64(e.AccountConcurrency) - e.reservedTotal.Load()
	if e.unreservedInflight.Add(1) > limit {
		e.unreservedInflight.Add(-1)
		return errThrottledAccount
	}
	fs.group.inflight.Add(1)
	return nil
}

func (e *Engine) release(fs *fnState, fn *Function) {
	fs.group.inflight.Add(-1)
	if fn.Reserved < 0 {
		e.unreservedInflight.Add(-1)
	}
}

// reap stops environments idle for longer than KeepAlive.
func (e *Engine) reap() {
	defer e.reaperW.Done()
	every := e.KeepAlive / 4
	if every > 5*time.Second {
		every = 5 * time.Second
	}
	if every < 10*time.Millisecond {
		every = 10 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.functions.Range(func(_, v any) bool {
				if p := v.(*fnState).cur.Load(); p != nil {
					p.reapIdle(now.Add(-e.KeepAlive))
				}
				return true
			})
		}
	}
}

// FunctionStats counts one function's environments.
func (e *Engine) FunctionStats(key string) (live, idle int) {
	v, ok := e.functions.Load(key)
	if !ok {
		return 0, 0
	}
	p := v.(*fnState).cur.Load()
	if p == nil {
		return 0, 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.all), len(p.idle)
}
