package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stratus-run/stratus/internal/runtimeapi"
	"github.com/stratus-run/stratus/internal/runtimes"
)

// Language is a managed runtime measured by bench/cmd/runtimebench: an echo
// function written as AWS's documentation writes it, and the bare start of the
// interpreter Stratus runs it on, the cold start's baseline.
type Language struct {
	// Name is the language as reports show it ("python", "nodejs").
	Name string
	// Runtime is the function's Runtime.
	Runtime types.Runtime
	// Handler and Files are the function's handler and code: path → source.
	Handler string
	Files   map[string]string
	// Bare is the argv of the interpreter doing nothing (`python3 -c pass`): fork,
	// exec, the interpreter's start and exit. It names the interpreter Stratus
	// finds first (internal/runtimes), so both start the same binary.
	Bare []string
}

// Python is a python3.12 echo function, lambda_function.lambda_handler, on
// /usr/bin/python3.
var Python = Language{
	Name:    "python",
	Runtime: types.RuntimePython312,
	Handler: "lambda_function.lambda_handler",
	Files: map[string]string{"lambda_function.py": `def lambda_handler(event, context):
    return event
`},
	Bare: []string{"/usr/bin/python3", "-c", "pass"},
}

// NodeJS is a nodejs20.x echo function, index.handler as an ES module, on
// /usr/bin/node.
var NodeJS = Language{
	Name:    "nodejs",
	Runtime: types.RuntimeNodejs20x,
	Handler: "index.handler",
	Files: map[string]string{"index.mjs": `export const handler = async (event) => event;
`},
	Bare: []string{"/usr/bin/node", "-e", "0"},
}

// Zip returns the language's code as a deployment package.
func (l Language) Zip() ([]byte, error) {
	names := make([]string, 0, len(l.Files))
	for n := range l.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(l.Files[n])); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CreateLanguageEcho creates fn as l's echo function with 256 MB and a 3 s
// timeout, and Options.FunctionEnv as its environment.
func (r *Rig) CreateLanguageEcho(ctx context.Context, fn string, l Language) error {
	code, err := l.Zip()
	if err != nil {
		return err
	}
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn),
		Runtime:      l.Runtime,
		Handler:      aws.String(l.Handler),
		Role:         aws.String(role),
		MemorySize:   aws.Int32(256),
		Timeout:      aws.Int32(3),
		Code:         &types.FunctionCode{ZipFile: code},
	}
	if len(r.fnEnv) > 0 {
		in.Environment = &types.Environment{Variables: r.fnEnv}
	}
	if _, err := r.Admin.CreateFunction(ctx, in); err != nil {
		return fmt.Errorf("bench: create %s (%s): %w", fn, l.Runtime, err)
	}
	return nil
}

// LanguageInvokeCaller invokes fn, a language echo function, synchronously
// through the SDK and checks that the answer is the payload as JSON: Python's
// encoder spaces its output, so the bytes differ.
func (r *Rig) LanguageInvokeCaller(lc *lambda.Client, fn string) Caller {
	in := &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: r.Payload}
	return func(ctx context.Context) error {
		out, err := lc.Invoke(ctx, in)
		if err != nil {
			return fmt.Errorf("bench: invoke %s: %w", fn, err)
		}
		return r.checkJSONEcho(fn, out)
	}
}

// InvokeLanguageCold is InvokeCold for a language echo function: the first
// invoke of a fresh fn, returning the REPORT line's Init Duration.
func (r *Rig) InvokeLanguageCold(ctx context.Context, lc *lambda.Client, fn string) (initDur time.Duration, err error) {
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: r.Payload, LogType: types.LogTypeTail})
	if err != nil {
		return 0, fmt.Errorf("bench: invoke %s: %w", fn, err)
	}
	if err := r.checkJSONEcho(fn, out); err != nil {
		return 0, err
	}
	return initDuration(aws.ToString(out.LogResult))
}

func (r *Rig) checkJSONEcho(fn string, out *lambda.InvokeOutput) error {
	if out.StatusCode != http.StatusOK || out.FunctionError != nil {
		return fmt.Errorf("bench: invoke %s: status %d, function error %q: %.200s", fn, out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}
	if bytes.Equal(out.Payload, r.Payload) {
		return nil
	}
	var got, want any
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		return fmt.Errorf("bench: invoke %s: answer %.200q: %w", fn, out.Payload, err)
	}
	if err := json.Unmarshal(r.Payload, &want); err != nil {
		return err
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("bench: invoke %s: got %.200q, want the payload back", fn, out.Payload)
	}
	return nil
}

// Exec runs argv until it exits, as a bare interpreter start, and returns the
// wall time from starting it to its exit and the CPU time (user + system) it
// used: the CPU time is the work, which other load on the machine stretches
// less than the wall time. It fails unless argv exits with status 0. The
// environment is PATH alone.
func Exec(ctx context.Context, argv ...string) (wall, cpu time.Duration, err error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("bench: exec %v: %w", argv, err)
	}
	wall = time.Since(t0)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// BootstrapStart starts Stratus's runtime client for a language alone, outside
// Stratus, against a stub Runtime API of its own: the runtime's part of a cold
// start, which tells the overhead above the bare interpreter start apart from
// Stratus's. Close it when done.
type BootstrapStart struct {
	argv []string
	dir  string // the code directory, the bootstrap's working directory
	env  []string
	ln   *net.TCPListener
	// viaFD hands the client its Runtime API connection as an inherited socket,
	// as Stratus does for the runtimes whose client takes one (Node.js).
	viaFD bool
}

// NewBootstrapStart writes the bootstraps into dir as Stratus does
// (internal/runtimes, with l's interpreter) and l's code into dir/code-<name>,
// and listens on a loopback port as the stub Runtime API.
func NewBootstrapStart(dir string, l Language) (*BootstrapStart, error) {
	rt := &runtimes.Runtimes{Dir: filepath.Join(dir, "runtimes"), Interpreters: map[string]string{string(l.Runtime): l.Bare[0]}}
	if err := rt.Open(); err != nil {
		return nil, err
	}
	argv, err := rt.Command(string(l.Runtime))
	if err != nil {
		return nil, err
	}
	code := filepath.Join(dir, "code-"+l.Name)
	for name, src := range l.Files {
		p := filepath.Join(code, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			return nil, err
		}
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	env := []string{"PATH=/usr/bin:/bin", "LANG=en_US.UTF-8", "TZ=:UTC", "AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
		"_HANDLER=" + l.Handler, "LAMBDA_TASK_ROOT=" + code}
	return &BootstrapStart{argv: argv, dir: code, env: env, ln: ln, viaFD: runtimes.Family(string(l.Runtime)) == runtimes.NodeJS}, nil
}

// Close stops listening.
func (b *BootstrapStart) Close() error { return b.ln.Close() }

// Run starts the bootstrap and returns the time from starting it to the end of
// its first request's header, which must be GET .../invocation/next, as Init
// Duration is measured to the first /next. Then it kills the bootstrap and
// waits for it (untimed), and returns the CPU time it used too (user + system;
// it was idle, waiting for its answer, from the /next to the kill). It fails if
// the bootstrap exits or sends anything else first, or takes 10 s.
func (b *BootstrapStart) Run(ctx context.Context) (wall, cpu time.Duration, err error) {
	const limit = 10 * time.Second
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, b.argv[0], b.argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = b.dir, b.env, &out, &out
	var conn net.Conn
	if b.viaFD {
		child, c, err := runtimeapi.SocketPair()
		if err != nil {
			return 0, 0, err
		}
		conn = c
		defer child.Close()
		cmd.ExtraFiles = []*os.File{child}
		cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], runtimeapi.SocketEnv+"=3")
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("bench: start %v: %w", b.argv, err)
	}
	wall, err = b.firstRequest(t0, limit, conn)
	cmd.Process.Kill() //nolint:errcheck // it may have exited
	cmd.Wait()         //nolint:errcheck // killed
	if err != nil {
		return 0, 0, fmt.Errorf("bench: %v: %w; output %.300q", b.argv, err, out.Bytes())
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// firstRequest accepts the bootstrap's connection (or takes c, the one it was
// handed) and reads its first request header; it returns the time from t0 to its
// end.
func (b *BootstrapStart) firstRequest(t0 time.Time, limit time.Duration, c net.Conn) (time.Duration, error) {
	if c == nil {
		b.ln.SetDeadline(t0.Add(limit)) //nolint:errcheck // a listener takes deadlines
		var err error
		if c, err = b.ln.Accept(); err != nil {
			return 0, err
		}
	}
	defer c.Close()
	c.SetReadDeadline(t0.Add(limit)) //nolint:errcheck // a TCP connection takes deadlines
	var hdr []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(hdr, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		if err != nil {
			return 0, fmt.Errorf("first request %.200q: %w", hdr, err)
		}
		hdr = append(hdr, buf[:n]...)
	}
	d := time.Since(t0)
	line, _, _ := bytes.Cut(hdr, []byte("\r\n"))
	if !bytes.HasPrefix(line, []byte("GET /2018-06-01/runtime/invocation/next ")) {
		return 0, fmt.Errorf("first request %q, want GET /next", line)
	}
	return d, nil
}

// Busy is a sample of the CPU time the machine was busy (as Usage.Machine) and
// of the part of it this run's processes took: this process and the children it
// waited for (the bare interpreter starts), Stratus with the children it reaped
// (the runtimes of deleted functions) and the live ones, and rawecho. The
// difference of two samples' Machine and Own is other work: the noise of a
// phase whose processes come and go, where Usage misses the ones that exited.
type Busy struct {
	Machine, Own time.Duration
}

// Busy samples the machine and the run's processes.
func (r *Rig) Busy() (Busy, error) {
	var b Busy
	var err error
	if b.Machine, err = machineBusy(); err != nil {
		return b, err
	}
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return b, fmt.Errorf("bench: getrusage: %w", err)
		}
		b.Own += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	reaped, err := reapedCPU(r.Stratus.Pid())
	if err != nil {
		return b, err
	}
	u, err := r.Usage()
	if err != nil {
		return b, err
	}
	b.Own += reaped + u.Stratus.CPU + u.Functions.CPU + u.Raw.CPU
	return b, nil
}

// reapedCPU reads cutime + cstime of /proc/<pid>/stat: the CPU of the children
// pid has waited for.
func reapedCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: /proc/%d/stat: no command", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 15 {
		return 0, fmt.Errorf("bench: /proc/%d/stat: %d fields", pid, len(f))
	}
	cu, err1 := strconv.ParseInt(string(f[16-3]), 10, 64)
	cs, err2 := strconv.ParseInt(string(f[17-3]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("bench: /proc/%d/stat: %w", pid, err)
	}
	return time.Duration(cu+cs) * time.Second / userHZ, nil
}
