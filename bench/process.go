package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a server running as a child process, as a user runs it: Stratus, or
// the raw echo baseline.
type Process struct {
	// URL is the endpoint the server logged ("endpoint=http://127.0.0.1:port").
	URL string

	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done closes
	tail *tailBuffer
}

// StartProcess runs argv and waits until the server logs its endpoint, as a slog
// text line with "is serving" and an endpoint= attribute on stderr. It returns an
// error holding the tail of stderr when the server exits or does not log within
// timeout. The child is killed if this process dies.
func StartProcess(ctx context.Context, timeout time.Duration, argv ...string) (*Process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), tail: &tailBuffer{max: 64 << 10}}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	endpoint := make(chan string, 1)
	go p.readLog(stderr, endpoint)
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case p.URL = <-endpoint:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("bench: %s exited before serving: %v\n%s", argv[0], p.err, p.tail)
	case <-t.C:
		err = fmt.Errorf("bench: %s did not log its endpoint in %v\n%s", argv[0], timeout, p.tail)
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.Close(context.Background()) //nolint:errcheck // reporting the start failure
	return nil, err
}

// readLog keeps the tail of the server's stderr and hands over the endpoint once.
// It reads to the end so the server never blocks on a full pipe.
func (p *Process) readLog(r io.Reader, endpoint chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		p.tail.WriteLine(line)
		if !found && strings.Contains(line, "is serving") {
			if url, ok := attr(line, "endpoint"); ok {
				found = true
				endpoint <- url
			}
		}
	}
	io.Copy(io.Discard, r) //nolint:errcheck // a line over 1 MB stopped the scanner
}

// attr returns the value of key=value in a slog text line (values without spaces).
func attr(line, key string) (string, bool) {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

// Pid is the server's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Log returns the last 64 KB the server wrote to stderr.
func (p *Process) Log() string { return p.tail.String() }

// Close sends SIGTERM and waits for the server to exit until ctx ends, then kills
// it. It returns the exit error of a server that did not stop cleanly.
func (p *Process) Close(ctx context.Context) error {
	select {
	case <-p.done:
		return p.exitErr()
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have just exited
	select {
	case <-p.done:
		return p.exitErr()
	case <-ctx.Done():
		p.cmd.Process.Kill() //nolint:errcheck
		<-p.done
		return fmt.Errorf("bench: %s killed after %w", p.cmd.Path, ctx.Err())
	}
}

func (p *Process) exitErr() error {
	var xe *exec.ExitError
	if p.err == nil || (errors.As(p.err, &xe) && xe.ExitCode() == 0) {
		return nil
	}
	return fmt.Errorf("bench: %s: %w\n%s", p.cmd.Path, p.err, p.tail)
}

// tailBuffer keeps the last max bytes of lines written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) WriteLine(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, s...)
	t.b = append(t.b, '\n')
	if len(t.b) > 2*t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.b) > t.max {
		return string(t.b[len(t.b)-t.max:])
	}
	return string(t.b)
}
