package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// hostile runs the modes that attack or measure the sandbox from inside, for the
// isolation tests; ok is false for a mode it does not know.
func hostile(ctx context.Context, mode string, ev json.RawMessage) (out any, err error, ok bool) {
	var in struct {
		Paths  []string
		Addrs  []string
		MB     int
		Ms     int
		Check  bool
		Cmd    string
		Millis int
	}
	json.Unmarshal(ev, &in) //nolint:errcheck
	switch mode {
	case "read":
		// Tries to read each path; returns what it could read.
		got := map[string]string{}
		for _, p := range in.Paths {
			if b, err := os.ReadFile(p); err == nil {
				got[p] = string(b[:min(len(b), 64)])
			} else if ents, err := os.ReadDir(p); err == nil {
				got[p] = fmt.Sprintf("dir of %d entries", len(ents))
			} else {
				got[p] = "error: " + err.Error()
			}
		}
		return got, nil, true
	case "write":
		got := map[string]string{}
		for _, p := range in.Paths {
			if err := os.WriteFile(p, []byte("pwned"), 0o644); err != nil {
				got[p] = "error: " + err.Error()
			} else {
				got[p] = "written"
			}
		}
		return got, nil, true
	case "dial":
		// Tries each address, then asks it for a Runtime API event as a thief would.
		got := map[string]string{}
		for _, a := range in.Addrs {
			c, err := net.DialTimeout("tcp", a, 300*time.Millisecond)
			if err != nil {
				got[a] = "error: " + err.Error()
				continue
			}
			c.Close()
			cl := http.Client{Timeout: 300 * time.Millisecond}
			resp, err := cl.Get("http://" + a + "/2018-06-01/runtime/invocation/next")
			if err != nil {
				got[a] = "connected; next: error"
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got[a] = "connected; next: " + strconv.Itoa(resp.StatusCode) + " " + string(b[:min(len(b), 200)])
		}
		return got, nil, true
	case "fill":
		// Writes /tmp/fill until the file system refuses.
		f, err := os.Create("/tmp/fill")
		if err != nil {
			return nil, err, true
		}
		defer os.Remove("/tmp/fill")
		defer f.Close()
		buf := make([]byte, 1<<20)
		n := 0
		var werr error
		for n < 20<<10 {
			if _, werr = f.Write(buf); werr != nil {
				break
			}
			n++
		}
		msg := ""
		if werr != nil {
			msg = werr.Error()
		}
		return map[string]any{"mb": n, "error": msg}, nil, true
	case "statfs":
		var st syscall.Statfs_t
		if err := syscall.Statfs("/tmp", &st); err != nil {
			return nil, err, true
		}
		return map[string]any{"tmpBytes": int64(st.Blocks) * st.Bsize}, nil, true
	case "alloc":
		// Allocates and touches MB megabytes.
		chunks := make([][]byte, 0, in.MB)
		for i := 0; i < in.MB; i++ {
			b := make([]byte, 1<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = 1
			}
			chunks = append(chunks, b)
		}
		return map[string]int{"allocatedMB": len(chunks)}, nil, true
	case "cpu":
		// Spins for Ms of wall time and reports the CPU time it got.
		var ru0, ru1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0) //nolint:errcheck
		start := time.Now()
		for time.Since(start) < time.Duration(in.Ms)*time.Millisecond {
			for i := 0; i < 1000; i++ {
				_ = i * i
			}
		}
		wall := time.Since(start)
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1) //nolint:errcheck
		cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
		return map[string]float64{"share": float64(cpu) / float64(wall)}, nil, true
	case "spin":
		for {
			if ctx.Err() != nil && in.Check {
				return nil, ctx.Err(), true
			}
		}
	case "run":
		// Runs a shell command to its end and returns its output and error.
		out, err := exec.Command("/bin/sh", "-c", in.Cmd).CombinedOutput()
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		return map[string]string{"output": string(out), "error": msg}, nil, true
	case "sh":
		// Runs a shell command and returns at once, leaving whatever it started;
		// with Check, reports the gaps in the timestamps it wrote to Paths[0].
		if in.Check {
			time.Sleep(time.Duration(in.Ms) * time.Millisecond) // let it run again, thawed
			return gaps(in.Paths[0])
		}
		cmd := exec.Command("/bin/sh", "-c", in.Cmd)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			return nil, err, true
		}
		go cmd.Wait() //nolint:errcheck
		time.Sleep(time.Duration(in.Ms) * time.Millisecond)
		return "started", nil, true
	case "flood":
		// Writes to stdout as fast as it can for Ms.
		line := strings.Repeat("flood ", 20) + "\n"
		n := 0
		for start := time.Now(); time.Since(start) < time.Duration(in.Ms)*time.Millisecond; n++ {
			os.Stdout.WriteString(line) //nolint:errcheck
		}
		return map[string]int{"lines": n}, nil, true
	}
	return nil, nil, false
}

// gaps returns the largest gap between the timestamps (ns, one a line) in a file a
// background process appends to, and how many there are.
func gaps(path string) (any, error, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err, true
	}
	var prev, gap int64
	lines := strings.Fields(string(b))
	for _, l := range lines {
		v, _ := strconv.ParseInt(l, 10, 64)
		if prev != 0 && v-prev > gap {
			gap = v - prev
		}
		prev = v
	}
	return map[string]int64{"lines": int64(len(lines)), "maxGapMs": gap / 1e6}, nil, true
}
