package invoke

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stratus-run/stratus/internal/runtimeapi"
)

// LogSink receives every log line of every environment, in order per stream. Append
// must not block and must not keep line after it returns.
type LogSink interface {
	Append(fn *Function, stream string, at time.Time, line []byte)
}

// WriterSink writes each line as "<function> <line>" to W, for a server's console.
type WriterSink struct {
	mu sync.Mutex
	W  io.Writer
}

// Append implements LogSink.
func (s *WriterSink) Append(fn *Function, _ string, _ time.Time, line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	io.WriteString(s.W, fn.Name+" ")                    //nolint:errcheck
	s.W.Write(append(line[:len(line):len(line)], '\n')) //nolint:errcheck
}

// tailMax is how much of an invocation's log X-Amz-Log-Result carries.
const tailMax = 4096

// logPipe collects a runtime's stdout/stderr. Each read from the pipe and its
// bookkeeping happen under mu, so drain can take everything the runtime wrote
// before it answered (the write returned before the runtime's HTTP request went
// out) without racing the background reader.
type logPipe struct {
	r    *os.File
	emit func(at time.Time, line []byte)

	mu      sync.Mutex
	partial []byte
	tailOn  bool
	tail    []byte
	buf     []byte
	closed  bool
}

func newLogPipe(r *os.File, emit func(time.Time, []byte)) *logPipe {
	return &logPipe{r: r, emit: emit, buf: make([]byte, 32<<10)}
}

// run reads until every writer (the runtime and anything it forked) is gone.
func (lp *logPipe) run() {
	rc, err := lp.r.SyscallConn()
	if err != nil {
		return
	}
	done := false
	for !done {
		err := rc.Read(func(fd uintptr) bool {
			lp.mu.Lock()
			defer lp.mu.Unlock()
			n, err := syscall.Read(int(fd), lp.buf)
			if errors.Is(err, syscall.EAGAIN) {
				return false
			}
			if n <= 0 {
				done = true
				return true
			}
			lp.consumeLocked(lp.buf[:n])
			return true
		})
		if err != nil {
			done = true
		}
	}
	lp.mu.Lock()
	if len(lp.partial) > 0 {
		lp.emit(time.Now(), lp.partial)
		lp.partial = nil
	}
	lp.closed = true
	lp.mu.Unlock()
	lp.r.Close()
}

// drain takes in whatever the runtime has written so far.
func (lp *logPipe) drain() {
	if lp == nil {
		return
	}
	rc, err := lp.r.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) { //nolint:errcheck
		lp.mu.Lock()
		defer lp.mu.Unlock()
		for !lp.closed {
			n, err := syscall.Read(int(fd), lp.buf)
			if n <= 0 || err != nil {
				return
			}
			lp.consumeLocked(lp.buf[:n])
		}
	})
}

func (lp *logPipe) consumeLocked(b []byte) {
	if lp.tailOn {
		lp.tail = appendTail(lp.tail, b)
	}
	now := time.Now()
	for len(b) > 0 {
		i := indexByte(b, '\n')
		if i < 0 {
			lp.partial = append(lp.partial, b...)
			return
		}
		if len(lp.partial) > 0 {
			lp.partial = append(lp.partial, b[:i]...)
			lp.emit(now, lp.partial)
			lp.partial = lp.partial[:0]
		} else {
			lp.emit(now, b[:i])
		}
		b = b[i+1:]
	}
}

// startCall begins collecting a tail for a new invocation, if it asked for one.
func (lp *logPipe) startCall(tail bool) {
	if lp == nil {
		return
	}
	lp.mu.Lock()
	lp.tailOn = tail
	lp.tail = lp.tail[:0]
	lp.mu.Unlock()
}

// endCall returns the invocation's last 4 KB of log and stops collecting.
func (lp *logPipe) endCall() []byte {
	if lp == nil {
		return nil
	}
	lp.mu.Lock()
	defer lp.mu.Unlock()
	t := lp.tail
	if len(t) > tailMax {
		t = t[len(t)-tailMax:]
	}
	out := append([]byte(nil), t...)
	lp.tailOn = false
	lp.tail = lp.tail[:0]
	return out
}

// platformLine writes a line of Stratus's own (START, END, REPORT, errors) into
// the stream and the tail, in order with the runtime's output.
func (lp *logPipe) platformLine(line string) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.tailOn {
		lp.tail = appendTail(lp.tail, []byte(line))
		lp.tail = appendTail(lp.tail, []byte{'\n'})
	}
	lp.emit(time.Now(), []byte(line))
}

// appendTail appends b, keeping the buffer bounded near tailMax.
func appendTail(t, b []byte) []byte {
	t = append(t, b...)
	if len(t) > 4*tailMax {
		t = append(t[:0], t[len(t)-tailMax:]...)
	}
	return t
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// logLine writes one platform line (it may hold several \n-separated lines); an
// empty one is not written.
func (ev *env) logLine(s string) {
	if s == "" {
		return
	}
	if ev.logs != nil {
		ev.logs.platformLine(s)
		return
	}
	if ev.e.Logs != nil {
		ev.e.Logs.Append(ev.pool.fn, ev.stream, time.Now(), []byte(s))
	}
}

// reportLine formats Lambda's REPORT line: tab-separated fields, with a trailing tab.
func reportLine(id string, dur, billed time.Duration, memMB int, maxMem int64, initDur time.Duration, status, errType string) string {
	b := make([]byte, 0, 200)
	b = append(b, "REPORT RequestId: "...)
	b = append(b, id...)
	b = append(b, "\tDuration: "...)
	b = strconv.AppendFloat(b, ms(dur), 'f', 2, 64)
	b = append(b, " ms\tBilled Duration: "...)
	b = strconv.AppendInt(b, int64(billed/time.Millisecond), 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(memMB), 10)
	b = append(b, " MB\tMax Memory Used: "...)
	b = strconv.AppendInt(b, (maxMem+(1<<20)-1)>>20, 10)
	b = append(b, " MB\t"...)
	if initDur > 0 {
		b = append(b, "Init Duration: "...)
		b = strconv.AppendFloat(b, ms(initDur), 'f', 2, 64)
		b = append(b, " ms\t"...)
	}
	if status != "" {
		b = append(b, "Status: "...)
		b = append(b, status...)
		b = append(b, '\t')
		if errType != "" {
			b = append(b, "Error Type: "...)
			b = append(b, errType...)
			b = append(b, '\t')
		}
	}
	return string(b)
}

// baseEnv is the environment every runtime of fn gets, in the order Lambda's
// documentation lists it; the function's own variables come first so that the
// reserved ones (which CreateFunction refuses anyway) can never shadow them.
func baseEnv(e *Engine, fn *Function) []string {
	env := make([]string, 0, len(fn.Env)+24)
	// The sandbox decides where the code and layers appear: /var/task and /opt in
	// a container, their host directories in the process sandbox.
	paths := e.Sandbox.Paths(fn.CodeDir, fn.OptDir)
	opt, task := paths.Opt, paths.TaskRoot
	for k, v := range fn.Env {
		env = append(env, k+"="+v)
	}
	env = append(env,
		"_HANDLER="+fn.Handler,
		"AWS_REGION="+fn.Region,
		"AWS_DEFAULT_REGION="+fn.Region,
		"AWS_LAMBDA_FUNCTION_NAME="+fn.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION="+fn.Version,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME="+fn.LogGroup,
		"AWS_ACCESS_KEY_ID="+e.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+e.Credentials.SecretAccessKey,
		"AWS_SESSION_TOKEN="+e.Credentials.SessionToken,
		"LAMBDA_TASK_ROOT="+task,
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin/:/bin:"+opt+"/bin",
		"LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:"+task+":"+task+"/lib:"+opt+"/lib",
	)
	if opt != "/opt" {
		// Stratus's runtime clients look for layers here instead of /opt, building
		// their search paths from it as AWS's do from /opt (Python's sys.path,
		// Node.js's NODE_PATH, Java's class path).
		env = append(env, "_STRATUS_OPT_DIR="+opt)
	}
	// AWS_EXECUTION_ENV is not defined for the OS-only (provided.*) runtimes.
	if fn.Runtime != "" && !isProvided(fn.Runtime) {
		env = append(env, "AWS_EXECUTION_ENV=AWS_Lambda_"+fn.Runtime)
	}
	// The managed runtimes' clients format application logs from these, as AWS's do.
	if fn.LogFormat == LogFormatJSON {
		env = append(env, "AWS_LAMBDA_LOG_FORMAT=JSON")
		if fn.ApplicationLogLevel != "" {
			env = append(env, "AWS_LAMBDA_LOG_LEVEL="+fn.ApplicationLogLevel)
		}
	}
	if fn.Root != "" {
		return imageEnv(fn.ImageEnv, env)
	}
	return env
}

// imageKeeps are the variables an image's ENV sets for its own contents, which
// its value keeps over Lambda's defaults (AWS's base images set them, and a
// PATH of Lambda's would not find what the image installed elsewhere).
var imageKeeps = map[string]bool{
	"PATH": true, "LD_LIBRARY_PATH": true, "LANG": true, "TZ": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// imageEnv is an image function's environment: lambda (the function's
// variables, then Lambda's) over the image's ENV, but for imageKeeps, and each
// perEnvironment are the variables startEnv gives each environment.
var perEnvironment = map[string]bool{"AWS_LAMBDA_RUNTIME_API": true, "AWS_LAMBDA_LOG_STREAM_NAME": true,
	"AWS_ENDPOINT_URL": true, runtimeapi.SocketEnv: true}

// name once, so that no runtime's getenv picks a shadowed value.
func imageEnv(image, lambda []string) []string {
	fromImage := make(map[string]string, len(image))
	for _, kv := range image {
		k, v, _ := strings.Cut(kv, "=")
		fromImage[k] = v
	}
	out := make([]string, 0, len(image)+len(lambda))
	seen := make(map[string]bool, len(image)+len(lambda))
	for _, kv := range lambda {
		k, _, _ := strings.Cut(kv, "=")
		if seen[k] {
			continue
		}
		seen[k] = true
		if v, ok := fromImage[k]; ok && imageKeeps[k] {
			kv = k + "=" + v
		}
		out = append(out, kv)
	}
	for _, kv := range image {
		k, _, _ := strings.Cut(kv, "=")
		// Names startEnv sets for each environment after this list: an image's
		// value (a leftover AWS_ENDPOINT_URL) would come first and win with
		// runtimes that take the first match.
		if !seen[k] && !perEnvironment[k] {
			seen[k] = true
			out = append(out, kv)
		}
	}
	return out
}

func isProvided(runtime string) bool {
	return len(runtime) >= 8 && runtime[:8] == "provided"
}
