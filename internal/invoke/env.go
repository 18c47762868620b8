package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratus-run/stratus/internal/runtimeapi"
	"github.com/stratus-run/stratus/internal/sandbox"
)

// env is one execution environment: a sandboxed runtime and its Runtime API.
//
// Its lifecycle, with every transition under mu:
//
//	starting ──first /next──▶ ready ◀──answer── busy
//	    │                       │ assign ▶ queued ▶ /next ▶ busy
//	    └── init error, exit, timeout, stop ──▶ dead (from any state)
//
// queued holds a call assigned but not yet pulled by /next; cur the call the runtime
// is working on. An environment is idle (in its pool's idle set) only when both are
// nil and it is not dead.
type env struct {
	e      *Engine
	pool   *pool
	id     string
	stream string // log stream name

	netw  sandbox.Network // where the runtime and its Runtime API live
	rapi  *runtimeapi.Server
	logs  *logPipe
	wake  chan struct{} // cap 1: a call was queued
	deadC chan struct{} // closed when dead
	// endpoint serves the AWS endpoint to this environment alone (nil when it is
	// relayed); endpointURL is where the runtime finds it (AWS_ENDPOINT_URL).
	endpoint    *http.Server
	endpointURL string

	mu           sync.Mutex
	inst         sandbox.Instance // nil until the sandbox started the runtime
	inited       bool
	frozen       bool // paused by the sandbox while the runtime waits on /next
	dead         bool
	started      time.Time
	initDur      time.Duration
	queued       *call
	cur          *call
	lastAnswered string
	initTimer    *time.Timer
	firstCall    *call // the call that waited for init; its REPORT shows Init Duration

	lastUsed time.Time    // guarded by pool.mu
	maxMem   atomic.Int64 // last peak memory the sandbox reported
}

var _ runtimeapi.Env = (*env)(nil)

// startEnv starts a new environment in p with c as its first call. Failures to
// start become c's result, as Lambda reports them to the invoker.
func (e *Engine) startEnv(p *pool, c *call) {
	fn := p.fn
	ev := &env{
		e:       e,
		pool:    p,
		id:      strconv.FormatUint(e.envSeq.Add(1), 10),
		stream:  time.Now().UTC().Format("2006/01/02") + "/[" + fn.Version + "]" + randomHex(16),
		wake:    make(chan struct{}, 1),
		deadC:   make(chan struct{}),
		started: time.Now(),
		queued:  c,
	}
	ev.wake <- struct{}{}
	if !p.add(ev) {
		if e.closed.Load() {
			c.done <- outcome{err: errClosed}
			c.release()
			return
		}
		// The pool was replaced between dispatch and now; run on the new one.
		e.state(fn).poolFor(e, fn).dispatch(c)
		return
	}
	extra, inherits, err := ev.openNetwork(fn.RuntimeAPISocket)
	for _, f := range extra {
		defer f.Close() // the runtime has its own copy once started
	}
	if err != nil {
		ev.failStart(c, "Runtime.Unknown", fmt.Sprintf("RequestId: %s Error: %v", c.id, err))
		return
	}

	command := fn.Command
	if fn.Root != "" {
		if ir, ok := e.Sandbox.(sandbox.ImageRunner); !ok || !ir.RunsImages() {
			ev.failStart(c, "Runtime.InvalidEntrypoint", fmt.Sprintf("RequestId: %s Error: container image functions need the oci sandbox; this server runs the %s sandbox (start it with --sandbox oci, which needs crun or runc)", c.id, e.Sandbox.Name()))
			return
		}
		if len(command) == 0 {
			ev.failStart(c, "Runtime.InvalidEntrypoint", fmt.Sprintf("RequestId: %s Error: the image has no ENTRYPOINT or CMD, and the function's ImageConfig sets none", c.id))
			return
		}
	}
	if len(command) == 0 {
		boot, err := findBootstrap(fn, e.Sandbox.Paths(fn.CodeDir, fn.OptDir))
		if err != nil {
			ev.failStart(c, "Runtime.InvalidEntrypoint", fmt.Sprintf("RequestId: %s Error: %v", c.id, err))
			return
		}
		command = []string{boot}
	}
	r, w, err := ev.outputPipe()
	if err != nil {
		ev.failStart(c, "Runtime.Unknown", fmt.Sprintf("RequestId: %s Error: %v", c.id, err))
		return
	}
	ev.logs = newLogPipe(r, func(at time.Time, line []byte) {
		if e.Logs != nil {
			e.Logs.Append(fn, ev.stream, at, line)
		}
	})
	// A cold call's tail shows what the runtime printed while it started.
	ev.logs.startCall(c.req.LogTail)
	envv := make([]string, 0, len(p.env)+3)
	envv = append(envv, p.env...)
	envv = append(envv,
		"AWS_LAMBDA_RUNTIME_API="+ev.rapi.Addr(),
		"AWS_LAMBDA_LOG_STREAM_NAME="+ev.stream,
	)
	if ev.endpointURL != "" {
		envv = append(envv, "AWS_ENDPOINT_URL="+ev.endpointURL)
	}
	if inherits {
		envv = append(envv, runtimeapi.SocketEnv+"=3")
	}
	inst, err := e.Sandbox.Start(context.Background(), sandbox.Spec{
		ID:          ev.id,
		Command:     command,
		Env:         envv,
		CodeDir:     fn.CodeDir,
		OptDir:      fn.OptDir,
		Root:        fn.Root,
		Cwd:         imageCwd(fn),
		MemoryMB:    fn.MemoryMB,
		EphemeralMB: fn.EphemeralMB,
		Network:     ev.netw,
		Output:      w,
		ExtraFiles:  extra,
	})
	if w != nil {
		w.Close()
	}
	if err != nil {
		r.Close()
		ev.failStart(c, "Runtime.InvalidEntrypoint", fmt.Sprintf("RequestId: %s Error: %v", c.id, err))
		return
	}
	go ev.logs.run()
	ev.mu.Lock()
	ev.inst = inst
	stopped := ev.dead // stopped (drain, shutdown) while the runtime was starting
	if !stopped {
		ev.initTimer = time.AfterFunc(e.InitTimeout+fn.Timeout, ev.initTimedOut)
	}
	ev.mu.Unlock()
	if stopped {
		inst.Stop(context.Background()) //nolint:errcheck
	}
	go ev.watch()
}

// imageCwd is where an image function's runtime starts: its WorkingDir, or the
// root as a container's default; "" (the task root) for a zip function.
func imageCwd(fn *Function) string {
	switch {
	case fn.Root == "":
		return ""
	case fn.WorkingDir != "":
		return fn.WorkingDir
	}
	return "/"
}

// findBootstrap locates the runtime's entry point as Lambda does for provided.*
// runtimes: bootstrap in the code, then in a layer. It looks on the host and
// returns the path the runtime sees (paths).
func findBootstrap(fn *Function, paths sandbox.Paths) (string, error) {
	candidates := []struct{ host, inside string }{
		{filepath.Join(fn.CodeDir, "bootstrap"), filepath.Join(paths.TaskRoot, "bootstrap")},
	}
	if fn.OptDir != "" {
		candidates = append(candidates, struct{ host, inside string }{filepath.Join(fn.OptDir, "bootstrap"), filepath.Join(paths.Opt, "bootstrap")})
	}
	for _, c := range candidates {
		if st, err := os.Stat(c.host); err == nil && !st.IsDir() {
			return c.inside, nil
		}
	}
	return "", errors.New("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")
}

// failStart ends c with an error before the runtime ran and discards ev.
func (ev *env) failStart(c *call, typ, msg string) {
	ev.mu.Lock()
	ev.dead = true
	ev.queued = nil
	close(ev.deadC)
	ev.mu.Unlock()
	ev.pool.remove(ev)
	ev.closeNetwork()
	ev.logLine(msg + "\n" + typ)
	ev.finish(c, &Result{RequestID: c.id, Payload: errorBody(typ, msg), FunctionError: "Unhandled"}, "error", typ)
}

// assign queues c on an idle environment; false if it died meanwhile.
func (ev *env) assign(c *call) bool {
	ev.mu.Lock()
	if ev.dead || ev.queued != nil || ev.cur != nil {
		ev.mu.Unlock()
		return false
	}
	ev.queued = c
	if ev.frozen {
		ev.frozen = false
		ev.inst.Resume() //nolint:errcheck // a thaw that fails leaves the runtime frozen, and the call times out as on AWS
	}
	ev.mu.Unlock()
	select {
	case ev.wake <- struct{}{}:
	default:
	}
	return true
}

// Next implements runtimeapi.Env: it hands the queued call to the runtime and
// starts its timeout.
func (ev *env) Next(ctx context.Context) (*runtimeapi.Invocation, error) {
	for {
		ev.mu.Lock()
		if ev.dead {
			ev.mu.Unlock()
			return nil, runtimeapi.ErrEnvGone
		}
		if ev.cur != nil {
			ev.mu.Unlock()
			return nil, runtimeapi.ErrInvalidState
		}
		if c := ev.queued; c != nil {
			now := time.Now()
			if !ev.inited {
				ev.inited = true
				ev.firstCall = c
				ev.initDur = now.Sub(ev.started)
				if ev.initTimer != nil {
					ev.initTimer.Stop()
				}
				if ev.inst != nil {
					ev.inst.InitDone() //nolint:errcheck // the runtime then keeps its init's CPU
				}
			}
			ev.queued = nil
			ev.cur = c
			c.start = now
			c.deadline = now.Add(c.req.Function.Timeout)
			c.timer = time.AfterFunc(c.req.Function.Timeout, func() { ev.timedOut(c) })
			first := ev.firstCall == c
			ev.mu.Unlock()
			if first {
				// What the runtime printed while it started goes before START.
				ev.logs.drain()
			} else { // the first call's tail already holds the init output
				ev.logs.startCall(c.req.LogTail)
			}
			ev.logLine(newPlatformLines(c.req.Function).start(c.id, c.req.Function.Version))
			return &runtimeapi.Invocation{
				RequestID:          c.id,
				Payload:            c.req.Payload,
				Deadline:           c.deadline,
				InvokedFunctionArn: c.req.InvokedArn,
				TraceID:            c.traceID,
				ClientContext:      c.req.ClientContext,
			}, nil
		}
		if ev.inited && !ev.frozen && ev.inst != nil {
			// Idle, with the runtime blocked on /next: Lambda freezes the
			// environment here, background work and all, until the next event.
			ev.frozen = ev.inst.Pause() == nil
		}
		ev.mu.Unlock()
		select {
		case <-ev.wake:
		case <-ev.deadC:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// take ends the runtime's work on requestID and returns its call.
func (ev *env) take(requestID string) (*call, error) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	c := ev.cur
	if c == nil || c.id != requestID {
		if requestID == ev.lastAnswered {
			return nil, runtimeapi.ErrInvalidState
		}
		return nil, runtimeapi.ErrInvalidRequestID
	}
	c.timer.Stop()
	ev.cur = nil
	ev.lastAnswered = requestID
	return c, nil
}

// Respond implements runtimeapi.Env.
func (ev *env) Respond(requestID string, body []byte) error {
	c, err := ev.take(requestID)
	if err != nil {
		return err
	}
	ev.complete(c, &Result{RequestID: c.id, Payload: body}, "", "")
	return nil
}

// Fail implements runtimeapi.Env.
func (ev *env) Fail(requestID string, fe runtimeapi.FunctionError) error {
	c, err := ev.take(requestID)
	if err != nil {
		return err
	}
	// A handler's own error leaves the environment healthy; Lambda's REPORT then
	// carries no Status, which it keeps for timeouts, crashes and init failures.
	ev.complete(c, &Result{RequestID: c.id, Payload: functionErrorBody(fe), FunctionError: "Unhandled"}, "", "")
	return nil
}

// TooLarge implements runtimeapi.Env.
func (ev *env) TooLarge(requestID string) error {
	c, err := ev.take(requestID)
	if err != nil {
		return err
	}
	const typ = "Function.ResponseSizeTooLarge"
	msg := "Response payload size exceeded maximum allowed payload size (" + strconv.Itoa(runtimeapi.MaxResponseBytes) + " bytes)."
	ev.logLine(msg)
	ev.complete(c, &Result{RequestID: c.id, Payload: errorBody(typ, msg), FunctionError: "Unhandled"}, "error", typ)
	return nil
}

// InitFail implements runtimeapi.Env: the call waiting for this environment fails
// with the runtime's error and the environment is discarded.
func (ev *env) InitFail(fe runtimeapi.FunctionError) error {
	ev.mu.Lock()
	if ev.inited || ev.dead {
		ev.mu.Unlock()
		return runtimeapi.ErrInvalidState
	}
	c := ev.queued
	ev.queued = nil
	ev.markDeadLocked()
	ev.mu.Unlock()
	typ := fe.Type
	if typ == "" {
		typ = "Runtime.Unknown"
	}
	ev.logLine(fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s", ms(time.Since(ev.started)), typ))
	go ev.kill()
	if c != nil {
		ev.finish(c, &Result{RequestID: c.id, Payload: functionErrorBody(fe), FunctionError: "Unhandled"}, "error", typ)
	}
	return nil
}

// complete finishes a call the runtime answered and returns the environment to its
// pool before the caller hears back, so a caller's next invoke finds it warm.
func (ev *env) complete(c *call, r *Result, status, errType string) {
	ev.pool.release(ev)
	ev.finish(c, r, status, errType)
}

// timedOut fires when c ran past the function's timeout: Lambda stops the
// environment and answers Sandbox.Timedout.
func (ev *env) timedOut(c *call) {
	ev.mu.Lock()
	if ev.cur != c {
		ev.mu.Unlock()
		return
	}
	ev.cur = nil
	ev.markDeadLocked()
	inst := ev.inst
	ev.mu.Unlock()
	ev.sampleMemory(inst) // before the kill takes the figure away
	ev.kill()
	msg := "Task timed out after " + strconv.FormatFloat(c.req.Function.Timeout.Seconds(), 'f', 2, 64) + " seconds"
	ev.logLine(time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + c.id + " " + msg)
	ev.finish(c, &Result{RequestID: c.id, Payload: errorBody("Sandbox.Timedout", "RequestId: "+c.id+" Error: "+msg), FunctionError: "Unhandled"}, "timeout", "")
}

// initTimedOut fires when the runtime never asked for its first event.
func (ev *env) initTimedOut() {
	ev.mu.Lock()
	if ev.inited || ev.dead {
		ev.mu.Unlock()
		return
	}
	c := ev.queued
	ev.queued = nil
	ev.markDeadLocked()
	ev.mu.Unlock()
	ev.kill()
	if c == nil {
		return
	}
	msg := "Task timed out after " + strconv.FormatFloat(c.req.Function.Timeout.Seconds(), 'f', 2, 64) + " seconds"
	ev.logLine(fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: timeout", ms(time.Since(ev.started))))
	ev.finish(c, &Result{RequestID: c.id, Payload: errorBody("Sandbox.Timedout", "RequestId: "+c.id+" Error: "+msg), FunctionError: "Unhandled"}, "timeout", "")
}

// watch waits for the runtime to exit and settles what it leaves behind: its
// current call fails with Runtime.ExitError; a call queued on a warm environment the
// runtime never pulled is run elsewhere, since the function never saw it.
func (ev *env) watch() {
	err := ev.instance().Wait()
	ev.mu.Lock()
	wasDead := ev.dead
	cur, queued, inited := ev.cur, ev.queued, ev.inited
	ev.cur, ev.queued = nil, nil
	if !wasDead {
		ev.markDeadLocked()
	}
	ev.mu.Unlock()
	ev.pool.remove(ev)
	ev.closeNetwork()
	if wasDead {
		return
	}
	reason := "Runtime exited without providing a reason"
	if err != nil {
		// An *exec.ExitError reads as its process state: "exit status 3",
		// "signal: killed".
		reason = "Runtime exited with error: " + err.Error()
	}
	typ := "Runtime.ExitError"
	if errors.Is(err, sandbox.ErrOutOfMemory) {
		typ = "Runtime.OutOfMemory"
	}
	if cur != nil {
		cur.timer.Stop()
		msg := "RequestId: " + cur.id + " Error: " + reason
		ev.logs.drain()
		ev.logLine(msg + "\n" + typ)
		ev.finish(cur, &Result{RequestID: cur.id, Payload: errorBody(typ, msg), FunctionError: "Unhandled"}, "error", typ)
	}
	if queued != nil {
		if inited && !queued.redone {
			queued.redone = true
			ev.pool.dispatch(queued)
			return
		}
		msg := "RequestId: " + queued.id + " Error: " + reason
		ev.logs.drain()
		ev.logLine(fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s", ms(time.Since(ev.started)), typ))
		ev.logLine(msg + "\n" + typ)
		ev.finish(queued, &Result{RequestID: queued.id, Payload: errorBody(typ, msg), FunctionError: "Unhandled"}, "error", typ)
	}
}

func (ev *env) markDeadLocked() {
	if !ev.dead {
		ev.dead = true
		close(ev.deadC)
	}
}

// kill stops the runtime's whole process tree and removes the environment.
func (ev *env) kill() {
	ev.pool.remove(ev)
	if inst := ev.instance(); inst != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		inst.Stop(ctx) //nolint:errcheck // the process group is SIGKILLed; Stop only waits
		cancel()
	}
}

func (ev *env) instance() sandbox.Instance {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return ev.inst
}

// stop ends an environment that is not running a call (drain, reap, shutdown).
func (ev *env) stop(ctx context.Context) {
	ev.mu.Lock()
	ev.markDeadLocked()
	ev.mu.Unlock()
	if inst := ev.instance(); inst != nil {
		inst.Stop(ctx) //nolint:errcheck
	}
	ev.closeNetwork()
}

// finish hands the result to the caller and writes END and REPORT. With a log tail
// asked for, the lines are written (and the tail gathered) first; otherwise the
// caller hears back first and the lines follow, off the latency path. Either way
// they are written before the runtime's answer is acknowledged, so before its next
// START. status is "" for success, else "error" or "timeout" (the Status field
// Lambda adds to REPORT).
func (ev *env) finish(c *call, r *Result, status, errType string) {
	end := time.Now()
	failed := r.FunctionError != ""
	if c.req.LogTail {
		ev.report(c, end, status, errType, failed)
		r.LogTail = ev.logs.endCall()
	}
	c.done <- outcome{r: r}
	c.release()
	if !c.req.LogTail {
		ev.report(c, end, status, errType, failed)
	}
}

// report writes the END and REPORT lines of c, which ended at end, and meters it;
// failed tells a function error from a success.
func (ev *env) report(c *call, end time.Time, status, errType string, failed bool) {
	var dur, initDur time.Duration
	if !c.start.IsZero() {
		dur = end.Sub(c.start)
	}
	ev.mu.Lock()
	if ev.firstCall == c {
		initDur = ev.initDur
	}
	// A call that never reached a runtime (its environment failed to start) ran
	// on a cold environment too.
	cold := ev.firstCall == c || ev.firstCall == nil
	inst := ev.inst
	ev.mu.Unlock()
	maxMem := ev.sampleMemory(inst)
	// Lambda bills the init phase along with the invocation: for every runtime
	// since August 2025 (before, only for provided.* runtimes and container images).
	billed := BilledDuration(dur, initDur, ev.e.BillingGranularity)
	// Everything the function printed before answering goes before END.
	ev.logs.drain()
	pl := newPlatformLines(c.req.Function)
	ev.logLine(pl.end(c.id))
	ev.logLine(pl.report(report{id: c.id, dur: dur, billed: billed, memMB: c.req.Function.MemoryMB,
		maxMem: maxMem, initDur: initDur, status: status, errType: errType}))
	if ev.e.Meter != nil {
		ev.e.meter(c, end, dur, initDur, billed, maxMem, status, failed, cold)
	}
}

// sampleMemory returns the environment's peak memory: the sandbox's figure while
// the runtime lives, the last one seen once it is gone (killed on a timeout, crashed).
func (ev *env) sampleMemory(inst sandbox.Instance) int64 {
	if inst != nil {
		if st, err := inst.Stats(); err == nil {
			ev.maxMem.Store(st.MaxMemoryBytes)
			return st.MaxMemoryBytes
		}
	}
	return ev.maxMem.Load()
}

func functionErrorBody(fe runtimeapi.FunctionError) []byte {
	if len(fe.Body) > 0 && json.Valid(fe.Body) {
		return fe.Body
	}
	typ := fe.Type
	if typ == "" {
		typ = "Runtime.Unknown"
	}
	return errorBody(typ, string(fe.Body))
}

func errorBody(typ, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{typ, msg})
	return b
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
