package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// serverProcess is `stratus server` run as a process of its own, so it can be
// killed with SIGKILL.
type serverProcess struct {
	cmd *exec.Cmd
	URL string

	mu   sync.Mutex
	tail []string // the last lines of its log, shown when the test fails
}

func (sp *serverProcess) logLine(line string) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.tail) == 200 {
		sp.tail = sp.tail[1:]
	}
	sp.tail = append(sp.tail, line)
}

func startServerProcess(t *testing.T, bin, dataDir string, flags ...string) *serverProcess {
	t.Helper()
	args := append([]string{"server", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, flags...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sp := &serverProcess{cmd: cmd}
	t.Cleanup(func() {
		sp.stop()
		if t.Failed() {
			sp.mu.Lock()
			t.Logf("the server's log (%s), last lines:\n%s", dataDir, strings.Join(sp.tail, "\n"))
			sp.mu.Unlock()
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			sp.logLine(sc.Text())
			if _, rest, ok := strings.Cut(sc.Text(), "endpoint="); ok {
				url, _, _ := strings.Cut(rest, " ")
				select {
				case found <- url:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr) //nolint:errcheck
	}()
	select {
	case sp.URL = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("server process did not start in 30s")
	}
	return sp
}

// kill sends SIGKILL: no shutdown, no flush, as a crash.
func (sp *serverProcess) kill() {
	if sp.cmd.ProcessState == nil {
		sp.cmd.Process.Kill() //nolint:errcheck
		sp.cmd.Wait()         //nolint:errcheck
	}
}

// stop ends the server with SIGTERM, so it stops its execution environments.
func (sp *serverProcess) stop() {
	if sp.cmd.ProcessState != nil {
		return
	}
	sp.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	done := make(chan struct{})
	go func() { sp.cmd.Wait(); close(done) }() //nolint:errcheck
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		sp.cmd.Process.Kill() //nolint:errcheck
		<-done
	}
}

// acceptUntilKilled calls accept from 4 goroutines (g), each numbering its calls
// (i), until want calls were acknowledged or 10 s passed, then kills sp while they
// go on, and returns the keys of the acknowledged calls in the order they came.
func acceptUntilKilled(t *testing.T, sp *serverProcess, want int64, what string, accept func(g, i int) (key string, ok bool)) []string {
	t.Helper()
	var (
		mu       sync.Mutex
		accepted []string
		n        atomic.Int64
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if key, ok := accept(g, i); ok {
					mu.Lock()
					accepted = append(accepted, key)
					mu.Unlock()
					n.Add(1)
				}
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	sp.kill()
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(accepted) == 0 {
		t.Fatalf("no %s was accepted before the kill", what)
	}
	return accepted
}

func (sp *serverProcess) client() *lambda.Client {
	return (&testServer{URL: sp.URL}).lambdaClient()
}

// TestAsyncSurvivesKill fires Event invokes from several goroutines, kills the
// server with SIGKILL while they are being accepted, restarts it on the same data
// directory and checks that every event that got a 202 ran at least once.
func TestAsyncSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	bin := serverBinary(t, t.TempDir())
	dataDir := t.TempDir()
	flags := []string{"--async-ack-wait", "1s", "--async-retry-delay", "50ms", hostFiles[0], hostFiles[1]}
	sp := startServerProcess(t, bin, dataDir, flags...)
	c := sp.client()
	createFn(t, c, "crashy", "append")
	file := filepath.Join(t.TempDir(), "ran")

	// Kill while events are being accepted and delivered.
	ids := acceptUntilKilled(t, sp, 200, "event", func(g, i int) (string, bool) {
		out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
			FunctionName: aws.String("crashy"), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(jsonString(map[string]any{"file": file, "ms": 30, "g": g, "i": i})),
		})
		if err != nil {
			return "", false // not accepted: the server is gone
		}
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		return id, true
	})
	accepted := map[string]bool{}
	for _, id := range ids {
		accepted[id] = true
	}
	total := len(accepted)
	ranBefore := len(readLines(t, file))
	t.Logf("%d events accepted, %d runs before the kill", total, ranBefore)

	startServerProcess(t, bin, dataDir, flags...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen := map[string]bool{}
		for _, l := range readLines(t, file) {
			seen[l.RequestID] = true
		}
		missing := 0
		for id := range accepted {
			if !seen[id] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted events never ran after the restart", missing, total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Leave the function's log file quiet before the temp dirs go.
	os.Remove(file) //nolint:errcheck
}
