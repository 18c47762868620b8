package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// The isolation tests run real hostile handlers (testdata/fn's attack modes), each
// in its own function, under --sandbox oci, while a bystander function keeps
// being invoked: every attack must fail and the bystander must keep answering.

func skipWithoutOCI(t *testing.T) {
	t.Helper()
	_, crun := exec.LookPath("crun")
	_, runc := exec.LookPath("runc")
	if crun != nil && runc != nil {
		t.Skip("no OCI runtime (crun or runc) installed")
	}
}

// bystander invokes an echo function in a loop until stopped.
type bystander struct {
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	n     int
	fails []string
	worst time.Duration
}

func startBystander(t *testing.T, c *lambda.Client, name string) *bystander {
	b := &bystander{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		for i := 0; ; i++ {
			select {
			case <-b.stop:
				return
			default:
			}
			want := fmt.Sprintf(`{"i":%d}`, i)
			start := time.Now()
			out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(want)})
			d := time.Since(start)
			b.mu.Lock()
			b.n++
			b.worst = max(b.worst, d)
			switch {
			case err != nil:
				b.fails = append(b.fails, err.Error())
			case out.FunctionError != nil || string(out.Payload) != want:
				b.fails = append(b.fails, string(out.Payload))
			}
			b.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return b
}

// check stops the bystander and fails t if it ever failed or stalled. The bound
// is loose on purpose: it catches starvation, not noise on a shared machine.
func (b *bystander) check(t *testing.T) {
	t.Helper()
	close(b.stop)
	<-b.done
	if b.n == 0 || len(b.fails) > 0 || b.worst > 3*time.Second {
		t.Errorf("bystander: %d invocations, worst %v, failures %v", b.n, b.worst, b.fails)
	}
}

// attack runs f while the bystander runs.
func attack(t *testing.T, c *lambda.Client, name string, f func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		b := startBystander(t, c, "bystander")
		f(t)
		b.check(t)
	})
}

func payloadMap(t *testing.T, out *lambda.InvokeOutput) map[string]string {
	t.Helper()
	if out.FunctionError != nil {
		t.Fatalf("function error: %s", out.Payload)
	}
	var m map[string]string
	if err := json.Unmarshal(out.Payload, &m); err != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	return m
}

func TestIsolation(t *testing.T) {
	skipWithoutOCI(t)
	t.Parallel()
	ts := startServer(t, "", "--sandbox", "oci")
	c := ts.lambdaClient()
	createFn(t, c, "bystander", "echo")
	createFn(t, c, "victim", "sleep", func(in *lambda.CreateFunctionInput) {
		in.Code.ZipFile = withMarker(t, testFunctionZip(t), "victim's secret")
	})
	if out := invokeFn(t, c, "victim", `{"Ms":1}`); out.FunctionError != nil {
		t.Fatalf("victim: %s", out.Payload)
	}
	victimCode, _ := filepath.Glob(filepath.Join(ts.DataDir, "code", "*", "marker"))
	if len(victimCode) == 0 {
		t.Fatal("the victim's unpacked code is not where the test expects it")
	}

	attack(t, c, "read another function's code and Stratus's state", func(t *testing.T) {
		createFn(t, c, "reader", "read")
		paths := append(victimCode, filepath.Dir(victimCode[0]), filepath.Join(ts.DataDir, "jetstream"), ts.DataDir, "/var/task/marker", "/root")
		ev, _ := json.Marshal(map[string]any{"Paths": paths})
		for p, got := range payloadMap(t, invokeFn(t, c, "reader", string(ev))) {
			if !strings.HasPrefix(got, "error: ") {
				t.Errorf("read %s: %s", p, got)
			}
		}
	})

	attack(t, c, "write outside /tmp", func(t *testing.T) {
		createFn(t, c, "writer", "write")
		paths := []string{"/var/task/x", "/opt/x", "/etc/x", "/x", "/usr/x", "/usr/bin/x", filepath.Join(ts.DataDir, "x"), "/proc/sys/kernel/x"}
		ev, _ := json.Marshal(map[string]any{"Paths": append(paths, "/tmp/x")})
		got := payloadMap(t, invokeFn(t, c, "writer", string(ev)))
		for _, p := range paths {
			if !strings.HasPrefix(got[p], "error: ") {
				t.Errorf("write %s: %s", p, got[p])
			}
		}
		if got["/tmp/x"] != "written" {
			t.Errorf("write /tmp/x: %s", got["/tmp/x"])
		}
	})

	attack(t, c, "take another environment's events; reach Stratus's other ports", func(t *testing.T) {
		// A listener on the host's loopback stands for every port of the host and
		// of Stratus besides the AWS endpoint (admin, state, other environments'
		// Runtime APIs in the process sandbox).
		host, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer host.Close()
		go func() {
			for {
				c, err := host.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		createFn(t, c, "thief", "dial")
		// The victim is busy (so its Runtime API has an event out) while the thief
		// dials the Runtime API address every environment is given.
		var wg sync.WaitGroup
		var victimOut []byte
		wg.Add(1)
		go func() {
			defer wg.Done()
			victimOut = invokeFn(t, c, "victim", `{"Ms":800}`).Payload
		}()
		time.Sleep(200 * time.Millisecond)
		ev, _ := json.Marshal(map[string]any{"Addrs": []string{host.Addr().String(), "127.0.0.1:9001"}})
		got := payloadMap(t, invokeFn(t, c, "thief", string(ev)))
		if g := got[host.Addr().String()]; !strings.HasPrefix(g, "error: ") {
			t.Errorf("the function reached the host's %s: %s", host.Addr(), g)
		}
		// 127.0.0.1:9001 is the thief's own Runtime API: asking it for another
		// event while its own is running is refused, and nothing of the victim's
		// shows.
		if g := got["127.0.0.1:9001"]; strings.Contains(g, `"Ms":800`) || !strings.Contains(g, "next: 4") {
			t.Errorf("Runtime API at 127.0.0.1:9001: %s", g)
		}
		wg.Wait()
		if !strings.Contains(string(victimOut), `"slept":800`) {
			t.Errorf("victim: %s", victimOut)
		}
	})

	attack(t, c, "fill /tmp past its size", func(t *testing.T) {
		createFn(t, c, "filler", "fill", func(in *lambda.CreateFunctionInput) {
			in.MemorySize = aws.Int32(1024) // where /tmp falls back to tmpfs, its pages count as memory
			in.Timeout = aws.Int32(30)
		})
		out := invokeFn(t, c, "filler", `{}`)
		var got struct {
			MB    int
			Error string
		}
		json.Unmarshal(out.Payload, &got) //nolint:errcheck
		if got.MB < 500 || got.MB > 512 || !strings.Contains(got.Error, "no space left on device") {
			t.Errorf("filling /tmp: %s", out.Payload)
		}
	})

	attack(t, c, "allocate past MemorySize", func(t *testing.T) {
		createFn(t, c, "hog", "alloc", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(20) })
		if out := invokeFn(t, c, "hog", `{"MB":64}`); out.FunctionError != nil {
			t.Fatalf("64 MB of 128: %s", out.Payload)
		}
		out := invokeFn(t, c, "hog", `{"MB":400}`)
		var body struct{ ErrorType, ErrorMessage string }
		json.Unmarshal(out.Payload, &body) //nolint:errcheck
		if aws.ToString(out.FunctionError) != "Unhandled" || body.ErrorType != "Runtime.OutOfMemory" ||
			!strings.HasSuffix(body.ErrorMessage, " Error: Runtime exited with error: signal: killed") {
			t.Errorf("400 MB of 128: %s", out.Payload)
		}
		// The next invocation gets a fresh environment.
		if out := invokeFn(t, c, "hog", `{"MB":64}`); out.FunctionError != nil {
			t.Errorf("after the OOM: %s", out.Payload)
		}
	})

	attack(t, c, "fork bomb", func(t *testing.T) {
		createFn(t, c, "bomb", "sh", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
		out := invokeFn(t, c, "bomb", `{"Cmd":"b(){ b | b & }; b","Ms":2000}`)
		// The bomb hits the pids limit (1,024, as on Lambda) and then either the
		// timeout ends the environment with every process in it, or, where a
		// thousand shells' kernel memory outgrows 128 MB first, the OOM killer
		// does. Either way it stays inside its environment.
		if p := string(out.Payload); !strings.Contains(p, "Sandbox.Timedout") && !strings.Contains(p, "Runtime.OutOfMemory") {
			t.Errorf("fork bomb: %s", out.Payload)
		}
		if out := invokeFn(t, c, "bomb", `{"Cmd":"echo ok","Ms":0}`); out.FunctionError != nil {
			t.Errorf("after the fork bomb: %s", out.Payload)
		}
	})

	attack(t, c, "spin the CPU past the timeout", func(t *testing.T) {
		createFn(t, c, "spinner", "spin", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
		start := time.Now()
		out := invokeFn(t, c, "spinner", `{}`)
		if !strings.Contains(string(out.Payload), "Task timed out after 1.00 seconds") {
			t.Errorf("spinner: %s", out.Payload)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the timeout took %v", d)
		}
	})

	attack(t, c, "leave background processes after returning", func(t *testing.T) {
		// 1,024 MB: CPU enough that the loop runs every 10 ms when not frozen.
		createFn(t, c, "lingerer", "sh", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(1024) })
		out := invokeFn(t, c, "lingerer", `{"Cmd":"while :; do date +%s%N >> /tmp/bg; sleep 0.01; done","Ms":200}`)
		if out.FunctionError != nil {
			t.Fatalf("%s", out.Payload)
		}
		time.Sleep(700 * time.Millisecond)
		out = invokeFn(t, c, "lingerer", `{"Check":true,"Paths":["/tmp/bg"],"Ms":300}`)
		var got struct{ Lines, MaxGapMs int }
		json.Unmarshal(out.Payload, &got) //nolint:errcheck
		// Frozen between invocations, the background loop wrote nothing while the
		// environment was idle.
		if got.Lines < 10 || got.MaxGapMs < 600 {
			t.Errorf("background process while idle: %s", out.Payload)
		}
	})

	attack(t, c, "make a user namespace to gain capabilities", func(t *testing.T) {
		createFn(t, c, "escaper", "run")
		var got struct{ Output, Error string }
		json.Unmarshal(invokeFn(t, c, "escaper", `{"Cmd":"unshare -U -r id -u && echo ESCAPED"}`).Payload, &got) //nolint:errcheck
		if strings.Contains(got.Output, "ESCAPED") || !strings.Contains(got.Output, "Operation not permitted") {
			t.Errorf("unshare -U -r: %+v", got)
		}
	})

	attack(t, c, "flood stdout", func(t *testing.T) {
		createFn(t, c, "flooder", "flood")
		out := invokeFn(t, c, "flooder", `{"Ms":500}`)
		if out.FunctionError != nil {
			t.Errorf("flooder: %s", out.Payload)
		}
	})
}

// TestLimitsSeenFromInside measures, from inside functions, the limits their
// configuration sets: /tmp's size, memory, CPU share and the paths Lambda uses.
func TestLimitsSeenFromInside(t *testing.T) {
	skipWithoutOCI(t)
	t.Parallel()
	ts := startServer(t, "", "--sandbox", "oci")
	c := ts.lambdaClient()

	for _, mb := range []int32{512, 1024} {
		name := fmt.Sprintf("tmp%d", mb)
		createFn(t, c, name, "statfs", func(in *lambda.CreateFunctionInput) {
			in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(mb)}
		})
		var got struct{ TmpBytes int64 }
		json.Unmarshal(invokeFn(t, c, name, `{}`).Payload, &got) //nolint:errcheck
		if got.TmpBytes != int64(mb)<<20 {
			t.Errorf("EphemeralStorage %d MB: /tmp holds %d bytes", mb, got.TmpBytes)
		}
	}

	// The timeout is generous because 256 MB buys 14% of a vCPU, and on VMs whose
	// memory the host backs lazily each first-touched page costs ~10 µs.
	createFn(t, c, "mem", "alloc", func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(256)
		in.Timeout = aws.Int32(60)
	})
	if out := invokeFn(t, c, "mem", `{"MB":200}`); out.FunctionError != nil {
		t.Errorf("200 MB of 256: %s", out.Payload)
	}
	if out := invokeFn(t, c, "mem", `{"MB":300}`); !strings.Contains(string(out.Payload), "Runtime.OutOfMemory") {
		t.Errorf("300 MB of 256: %s", out.Payload)
	}

	// 512 MB buys 512/1769 of a vCPU.
	createFn(t, c, "cpu", "cpu", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(512) })
	var got struct{ Share float64 }
	json.Unmarshal(invokeFn(t, c, "cpu", `{"Ms":1000}`).Payload, &got) //nolint:errcheck
	want := 512.0 / 1769
	if got.Share > want*1.25 || got.Share < want*0.4 {
		t.Errorf("CPU share %.3f, want about %.3f", got.Share, want)
	}

	createFn(t, c, "paths", "env")
	var env struct{ Env map[string]string }
	json.Unmarshal(invokeFn(t, c, "paths", `{}`).Payload, &env) //nolint:errcheck
	if env.Env["LAMBDA_TASK_ROOT"] != "/var/task" || env.Env["AWS_LAMBDA_RUNTIME_API"] != "127.0.0.1:9001" {
		t.Errorf("LAMBDA_TASK_ROOT %q, AWS_LAMBDA_RUNTIME_API %q", env.Env["LAMBDA_TASK_ROOT"], env.Env["AWS_LAMBDA_RUNTIME_API"])
	}
}
