package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/runtimeapi"
)

// TestNodejsBootstrapTransports runs Stratus's Node.js client against a Runtime API
// both ways it can reach one: over TCP at AWS_LAMBDA_RUNTIME_API, as any runtime
// does, and over the socket Stratus hands it (_STRATUS_RUNTIME_API_FD), when it
// must not load node:net at all.
func TestNodejsBootstrapTransports(t *testing.T) {
	if _, err := os.Stat("/usr/bin/node"); err != nil {
		t.Skip("no /usr/bin/node on this host")
	}
	boot, err := filepath.Abs("../../internal/runtimes/nodejs/bootstrap.cjs")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := `export const handler = async (event) => ({
  event,
  net: process.moduleLoadList.includes("NativeModule net"),
  fdVar: process.env._STRATUS_RUNTIME_API_FD ?? null,
});
`
	if err := os.WriteFile(filepath.Join(dir, "index.mjs"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, viaFD := range []bool{false, true} {
		t.Run("fd="+strconv.FormatBool(viaFD), func(t *testing.T) {
			var (
				mu    sync.Mutex
				posts []string
				next  int
				conns int
			)
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next" {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= 2 {
						w.WriteHeader(http.StatusGone)
						return
					}
					h := w.Header()
					h.Set("Lambda-Runtime-Aws-Request-Id", "req-"+strconv.Itoa(i))
					h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
					h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:f")
					io.WriteString(w, `{"n":`+strconv.Itoa(i)+`}`) //nolint:errcheck
					return
				}
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				posts = append(posts, r.URL.Path+" "+string(body))
				mu.Unlock()
				w.WriteHeader(http.StatusAccepted)
			})}
			srv.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					mu.Lock()
					conns++
					mu.Unlock()
				}
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "/usr/bin/node", boot)
			cmd.Dir = dir
			cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(), "_HANDLER=index.handler",
				"LAMBDA_TASK_ROOT=" + dir, "AWS_EXECUTION_ENV=AWS_Lambda_nodejs20.x", "PATH=/usr/bin:/bin"}
			var served net.Listener = ln
			if viaFD {
				child, conn, err := runtimeapi.SocketPair()
				if err != nil {
					t.Fatal(err)
				}
				defer child.Close()
				cmd.ExtraFiles = []*os.File{child}
				cmd.Env = append(cmd.Env, runtimeapi.SocketEnv+"=3")
				served = runtimeapi.WithConns(ln, conn)
			}
			go srv.Serve(served) //nolint:errcheck
			defer srv.Close()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("bootstrap: %v\n%s", err, out)
			}
			mu.Lock()
			defer mu.Unlock()
			wantNet := strconv.FormatBool(!viaFD)
			want := []string{
				`/2018-06-01/runtime/invocation/req-0/response {"event":{"n":0},"net":` + wantNet + `,"fdVar":null}`,
				`/2018-06-01/runtime/invocation/req-1/response {"event":{"n":1},"net":` + wantNet + `,"fdVar":null}`,
			}
			if strings.Join(posts, "\n") != strings.Join(want, "\n") || conns != 1 {
				t.Errorf("%d connections, posts:\n%s\nwant:\n%s\nlog:\n%s", conns, strings.Join(posts, "\n"), strings.Join(want, "\n"), out)
			}
		})
	}
}
