package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// pyZip zips Python sources, path → text, as a deployment package.
func pyZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, src := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// createPyFn creates a python3.12 function with the handler
// lambda_function.lambda_handler, 256 MB and a 3 s timeout, from the given sources.
func createPyFn(t *testing.T, c *lambda.Client, name string, files map[string]string, mods ...func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimePython312,
		Handler:      aws.String("lambda_function.lambda_handler"),
		Role:         aws.String(testRole),
		MemorySize:   aws.Int32(256),
		Timeout:      aws.Int32(3),
		Code:         &types.FunctionCode{ZipFile: pyZip(t, files)},
	}
	for _, m := range mods {
		m(in)
	}
	out, err := c.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

// invokeTail invokes with LogType Tail and returns the output and the decoded tail.
func invokeTail(t *testing.T, c *lambda.Client, name, payload string, mods ...func(*lambda.InvokeInput)) (*lambda.InvokeOutput, string) {
	t.Helper()
	mods = append([]func(*lambda.InvokeInput){func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail }}, mods...)
	out := invokeFn(t, c, name, payload, mods...)
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatalf("LogResult: %v", err)
	}
	return out, string(tail)
}

// startID returns the request id of the tail's START line.
func startID(t *testing.T, tail string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^START RequestId: (\S+) Version: `).FindStringSubmatch(tail)
	if m == nil {
		t.Fatalf("no START line in tail:\n%s", tail)
	}
	return m[1]
}

// reportInitMs returns the REPORT line's Init Duration, or -1 without one.
func reportInitMs(tail string) float64 {
	m := regexp.MustCompile(`(?m)^REPORT .*\tInit Duration: ([0-9.]+) ms\t`).FindStringSubmatch(tail)
	if m == nil {
		return -1
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return f
}

// lambdaError is the error document AWS's Python runtime posts, in its key order.
type lambdaError struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	RequestID    *string  `json:"requestId"`
	StackTrace   []string `json:"stackTrace"`
}

func decodeLambdaError(t *testing.T, out *lambda.InvokeOutput) lambdaError {
	t.Helper()
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Errorf("FunctionError = %q, want Unhandled (payload %s)", aws.ToString(out.FunctionError), out.Payload)
	}
	var e lambdaError
	if err := json.Unmarshal(out.Payload, &e); err != nil {
		t.Fatalf("error body %s: %v", out.Payload, err)
	}
	if e.RequestID == nil || e.StackTrace == nil {
		t.Errorf("error body lacks requestId or stackTrace: %s", out.Payload)
	}
	return e
}

func skipWithoutPython(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 on this host")
	}
}

func TestPythonRuntime(t *testing.T) {
	skipWithoutPython(t)
	ts := startServer(t, "")
	c := ts.lambdaClient()

	t.Run("echo", func(t *testing.T) {
		t.Parallel()
		createPyFn(t, c, "py-echo", map[string]string{"lambda_function.py": `import json

def lambda_handler(event, context):
    return event
`})
		const payload = `{"name": "x", "n": [1, 2.5, null, true], "nested": {"s": "caf\u00e9 \u2603"}}`
		out := invokeFn(t, c, "py-echo", payload)
		if out.FunctionError != nil {
			t.Fatalf("FunctionError %s: %s", aws.ToString(out.FunctionError), out.Payload)
		}
		var got, want any
		if err := json.Unmarshal(out.Payload, &got); err != nil {
			t.Fatalf("%v: %s", err, out.Payload)
		}
		json.Unmarshal([]byte(payload), &want) //nolint:errcheck
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if !bytes.Equal(gb, wb) {
			t.Errorf("echo = %s, want %s", out.Payload, payload)
		}
		// python3.12's runtime writes non-ASCII characters as they are.
		if !strings.Contains(string(out.Payload), "café ☃") {
			t.Errorf("payload %s: want the characters unescaped, as python3.12 on Lambda writes them", out.Payload)
		}
		// A payload of megabytes makes the round trip too.
		big := `"` + strings.Repeat("x", 5<<20) + `"`
		if out := invokeFn(t, c, "py-echo", big); string(out.Payload) != big {
			t.Errorf("5 MB echo: %d bytes back, FunctionError %v", len(out.Payload), out.FunctionError)
		}
	})

	t.Run("returns None", func(t *testing.T) {
		t.Parallel()
		createPyFn(t, c, "py-none", map[string]string{"lambda_function.py": `def lambda_handler(event, context):
    pass
`})
		out := invokeFn(t, c, "py-none", `{}`)
		if string(out.Payload) != "null" || out.FunctionError != nil {
			t.Errorf("payload %q, FunctionError %v; want null", out.Payload, out.FunctionError)
		}
	})

	t.Run("marshalling", func(t *testing.T) {
		t.Parallel()
		createPyFn(t, c, "py-marshal", map[string]string{"lambda_function.py": `from decimal import Decimal

def lambda_handler(event, context):
    if event == "set":
        return {1, 2}
    if event == "bytes":
        return b"raw \x01 bytes"
    return {"price": Decimal("19.90"), "qty": Decimal("3"), "tag": b"abc"}
`})
		// A DynamoDB-style Decimal is written as the number it holds.
		out := invokeFn(t, c, "py-marshal", `"decimal"`)
		if string(out.Payload) != `{"price": 19.90, "qty": 3, "tag": "abc"}` {
			t.Errorf("decimal payload %s", out.Payload)
		}
		out = invokeFn(t, c, "py-marshal", `"bytes"`)
		if string(out.Payload) != "raw \x01 bytes" || out.FunctionError != nil {
			t.Errorf("bytes payload %q", out.Payload)
		}
		out = invokeFn(t, c, "py-marshal", `"set"`)
		e := decodeLambdaError(t, out)
		if e.ErrorType != "Runtime.MarshalError" || e.ErrorMessage != "Unable to marshal response: Object of type set is not JSON serializable" || len(e.StackTrace) != 0 {
			t.Errorf("marshal error %s", out.Payload)
		}
	})

	t.Run("handler raises", func(t *testing.T) {
		t.Parallel()
		createPyFn(t, c, "py-raise", map[string]string{"lambda_function.py": `def helper():
    raise ValueError("bad")

def lambda_handler(event, context):
    helper()
`})
		out, tail := invokeTail(t, c, "py-raise", `{}`)
		id := startID(t, tail)
		e := decodeLambdaError(t, out)
		if e.ErrorMessage != "bad" || e.ErrorType != "ValueError" || aws.ToString(e.RequestID) != id {
			t.Errorf("error body %s (request id %s)", out.Payload, id)
		}
		// Frames as traceback.format_list writes them, starting at the handler.
		wantFrames := []string{
			`/lambda_function.py", line 5, in lambda_handler` + "\n    helper()\n",
			`/lambda_function.py", line 2, in helper` + "\n" + `    raise ValueError("bad")` + "\n",
		}
		if len(e.StackTrace) != len(wantFrames) {
			t.Fatalf("stackTrace %q", e.StackTrace)
		}
		for i, f := range e.StackTrace {
			if !strings.HasPrefix(f, `  File "/`) || !strings.HasSuffix(f, wantFrames[i]) {
				t.Errorf("stackTrace[%d] = %q, want ...%q", i, f, wantFrames[i])
			}
		}
		// The keys come in awslambdaric's order.
		if want := `{"errorMessage": "bad", "errorType": "ValueError", "requestId": "` + id + `", "stackTrace": [`; !strings.HasPrefix(string(out.Payload), want) {
			t.Errorf("error body %s, want it to start %s", out.Payload, want)
		}
		// The log has the error as AWS's runtime prints it.
		nb := "\u00a0\u00a0"
		for _, want := range []string{"\n[ERROR] ValueError: bad\nTraceback (most recent call last):\n" + nb + `File "`, "\n" + nb + nb + `raise ValueError("bad")` + "\n"} {
			if !strings.Contains(tail, want) {
				t.Errorf("tail lacks %q:\n%s", want, tail)
			}
		}
		// The environment survives a handler's exception.
		_, tail = invokeTail(t, c, "py-raise", `{}`)
		checkLogTail(t, tail, 256, false)
	})

	initErrors := []struct {
		name, handler string
		files         map[string]string
		typ, msg      string
		msgPrefix     bool
		trace         int
	}{
		{name: "import error", handler: "lambda_function.lambda_handler",
			files: map[string]string{"lambda_function.py": "import not_a_module_xyz\n\ndef lambda_handler(event, context):\n    return 1\n"},
			typ:   "Runtime.ImportModuleError", msg: "Unable to import module 'lambda_function': No module named 'not_a_module_xyz'"},
		{name: "missing module", handler: "nothere.lambda_handler",
			files: map[string]string{"lambda_function.py": "def lambda_handler(event, context):\n    return 1\n"},
			typ:   "Runtime.ImportModuleError", msg: "Unable to import module 'nothere': No module named 'nothere'"},
		{name: "handler not found", handler: "lambda_function.lambda_handler",
			files: map[string]string{"lambda_function.py": "def handler(event, context):\n    return 1\n"},
			typ:   "Runtime.HandlerNotFound", msg: "Handler 'lambda_handler' missing on module 'lambda_function'"},
		{name: "malformed handler", handler: "lambda_function",
			files: map[string]string{"lambda_function.py": "def lambda_handler(event, context):\n    return 1\n"},
			typ:   "Runtime.MalformedHandlerName", msg: "Bad handler 'lambda_function': not enough values to unpack (expected 2, got 1)"},
		{name: "syntax error", handler: "lambda_function.lambda_handler",
			files: map[string]string{"lambda_function.py": "def lambda_handler(event, context)\n    return 1\n"},
			typ:   "Runtime.UserCodeSyntaxError", msg: "Syntax error in module 'lambda_function': ", msgPrefix: true, trace: 1},
		{name: "init code raises", handler: "lambda_function.lambda_handler",
			files: map[string]string{"lambda_function.py": "raise KeyError('TABLE_NAME')\n"},
			typ:   "KeyError", msg: "'TABLE_NAME'", trace: -1},
	}
	for i, tc := range initErrors {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := "py-init-" + strconv.Itoa(i)
			createPyFn(t, c, name, tc.files, func(in *lambda.CreateFunctionInput) { in.Handler = aws.String(tc.handler) })
			out, tail := invokeTail(t, c, name, `{}`)
			e := decodeLambdaError(t, out)
			if e.ErrorType != tc.typ || aws.ToString(e.RequestID) != "" {
				t.Errorf("error body %s, want errorType %s and requestId \"\"", out.Payload, tc.typ)
			}
			if tc.msgPrefix && !strings.HasPrefix(e.ErrorMessage, tc.msg) || !tc.msgPrefix && e.ErrorMessage != tc.msg {
				t.Errorf("errorMessage %q, want %q", e.ErrorMessage, tc.msg)
			}
			switch {
			case tc.trace >= 0 && len(e.StackTrace) != tc.trace:
				t.Errorf("stackTrace %q, want %d entries", e.StackTrace, tc.trace)
			case tc.trace < 0 && (len(e.StackTrace) == 0 || !strings.Contains(e.StackTrace[len(e.StackTrace)-1], "/lambda_function.py\", line 1, in <module>\n")):
				t.Errorf("stackTrace %q, want the module's frame last", e.StackTrace)
			}
			if !strings.Contains(tail, "[ERROR] "+tc.typ+": "+tc.msg) {
				t.Errorf("tail lacks the [ERROR] line:\n%s", tail)
			}
			// The runtime named the error type in Lambda-Runtime-Function-Error-Type.
			if !strings.Contains(tail, "\tStatus: error\tError Type: "+tc.typ+"\n") {
				t.Errorf("INIT_REPORT lacks Error Type %s:\n%s", tc.typ, tail)
			}
			if !strings.Contains(tail, "LAMBDA_WARNING: Unhandled exception.") {
				t.Errorf("tail lacks the LAMBDA_WARNING line:\n%s", tail)
			}
		})
	}

	t.Run("init runs once", func(t *testing.T) {
		t.Parallel()
		createPyFn(t, c, "py-init-once", map[string]string{"lambda_function.py": `import os

count = 0
print("init ran in", os.getpid())

def lambda_handler(event, context):
    global count
    count += 1
    return {"count": count, "pid": os.getpid()}
`})
		var pid int
		for i := 1; i <= 3; i++ {
			out, tail := invokeTail(t, c, "py-init-once", `{}`)
			var got struct{ Count, Pid int }
			if err := json.Unmarshal(out.Payload, &got); err != nil {
				t.Fatalf("%v: %s", err, out.Payload)
			}
			if got.Count != i || (i > 1 && got.Pid != pid) {
				t.Errorf("invoke %d: %s (first pid %d)", i, out.Payload, pid)
			}
			pid = got.Pid
			// The init phase's output is in the first invocation's tail only. (On
			// Lambda it comes before START; Stratus does not yet drain the runtime's
			// output before it writes START, so it may come after.)
			if ran := strings.Contains(tail, "init ran in"); ran != (i == 1) {
				t.Errorf("invoke %d: init output in tail = %v, want %v:\n%s", i, ran, i == 1, tail)
			}
			tail = regexp.MustCompile(`(?m)^init ran in \d+\n`).ReplaceAllString(tail, "")
			checkLogTail(t, tail, 256, i == 1)
			if i == 1 {
				t.Logf("python3.12 cold start: REPORT Init Duration %.2f ms", reportInitMs(tail))
			}
		}
	})

	t.Run("context", func(t *testing.T) {
		t.Parallel()
		created := createPyFn(t, c, "py-context", map[string]string{"lambda_function.py": `import os

def lambda_handler(event, context):
    cc = context.client_context
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
        "client_context": None if cc is None else {
            "custom": cc.custom, "env": cc.env,
            "app_title": cc.client.app_title if cc.client else None,
        },
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
    }
`})
		cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"},"env":{"platform":"test"},"client":{"app_title":"demo"}}`))
		out, tail := invokeTail(t, c, "py-context", `{}`, func(in *lambda.InvokeInput) { in.ClientContext = aws.String(cc) })
		var got struct {
			AwsRequestID       string    `json:"aws_request_id"`
			FunctionName       string    `json:"function_name"`
			FunctionVersion    string    `json:"function_version"`
			InvokedFunctionArn string    `json:"invoked_function_arn"`
			MemoryLimitInMB    any       `json:"memory_limit_in_mb"`
			LogGroupName       string    `json:"log_group_name"`
			LogStreamName      string    `json:"log_stream_name"`
			Remaining          int       `json:"remaining"`
			Identity           []*string `json:"identity"`
			ClientContext      *struct {
				Custom   map[string]string `json:"custom"`
				Env      map[string]string `json:"env"`
				AppTitle string            `json:"app_title"`
			} `json:"client_context"`
			TraceID string `json:"trace_id"`
		}
		if err := json.Unmarshal(out.Payload, &got); err != nil {
			t.Fatalf("%v: %s", err, out.Payload)
		}
		if id := startID(t, tail); got.AwsRequestID != id {
			t.Errorf("aws_request_id %q, START line has %q", got.AwsRequestID, id)
		}
		if got.FunctionName != "py-context" || got.FunctionVersion != "$LATEST" {
			t.Errorf("function_name/version %q/%q", got.FunctionName, got.FunctionVersion)
		}
		if got.InvokedFunctionArn != aws.ToString(created.FunctionArn) {
			t.Errorf("invoked_function_arn %q, want %q", got.InvokedFunctionArn, aws.ToString(created.FunctionArn))
		}
		// Lambda's Python runtime hands memory_limit_in_mb over as the environment's string.
		if got.MemoryLimitInMB != "256" {
			t.Errorf("memory_limit_in_mb %#v, want \"256\"", got.MemoryLimitInMB)
		}
		if got.LogGroupName != "/aws/lambda/py-context" || !strings.Contains(got.LogStreamName, "/[$LATEST]") {
			t.Errorf("log group/stream %q %q", got.LogGroupName, got.LogStreamName)
		}
		if got.Remaining <= 0 || got.Remaining > 3000 {
			t.Errorf("remaining %d ms, want in (0, 3000]", got.Remaining)
		}
		if len(got.Identity) != 2 || got.Identity[0] != nil || got.Identity[1] != nil {
			t.Errorf("identity %s, want [null, null]", out.Payload)
		}
		if got.ClientContext == nil || got.ClientContext.Custom["k"] != "v" || got.ClientContext.Env["platform"] != "test" || got.ClientContext.AppTitle != "demo" {
			t.Errorf("client_context %s", out.Payload)
		}
		if !strings.HasPrefix(got.TraceID, "Root=1-") {
			t.Errorf("_X_AMZN_TRACE_ID %q", got.TraceID)
		}
		// Without a ClientContext, client_context is None.
		out = invokeFn(t, c, "py-context", `{}`)
		if !strings.Contains(string(out.Payload), `"client_context": null`) {
			t.Errorf("no client context: %s", out.Payload)
		}
	})

	t.Run("logging", func(t *testing.T) {
		t.Parallel()
		createPyFn(t, c, "py-logging", map[string]string{"lambda_function.py": `import logging

logger = logging.getLogger()

def lambda_handler(event, context):
    logger.warning("x")
    logger.info("not shown at the default level")
    logging.getLogger("app.db").error("child %s", "logger")
    print("printed line")
    return "ok"
`})
		_, tail := invokeTail(t, c, "py-logging", `{}`)
		id := startID(t, tail)
		stamp := `\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t`
		for _, re := range []string{
			`(?m)^\[WARNING\]` + stamp + regexp.QuoteMeta(id) + `\tx$`,
			`(?m)^\[ERROR\]` + stamp + regexp.QuoteMeta(id) + `\tchild logger$`,
			`(?m)^printed line$`,
		} {
			if !regexp.MustCompile(re).MatchString(tail) {
				t.Errorf("tail lacks %s:\n%s", re, tail)
			}
		}
		if strings.Contains(tail, "not shown") {
			t.Errorf("INFO line logged at the default level:\n%s", tail)
		}
	})

	t.Run("json logging", func(t *testing.T) {
		t.Parallel()
		createPyFn(t, c, "py-jsonlog", map[string]string{"lambda_function.py": `import logging

def lambda_handler(event, context):
    logging.getLogger("app").info("hello", extra={"order": 7})
    logging.getLogger().debug("not shown at INFO")
    return "ok"
`}, func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}}
		})
		_, tail := invokeTail(t, c, "py-jsonlog", `{}`)
		id := startID(t, tail)
		var found bool
		for _, line := range strings.Split(tail, "\n") {
			if !strings.HasPrefix(line, "{") {
				continue
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Errorf("log line %q: %v", line, err)
				continue
			}
			found = true
			ts, _ := rec["timestamp"].(string)
			if rec["level"] != "INFO" || rec["message"] != "hello" || rec["logger"] != "app" || rec["requestId"] != id ||
				rec["order"] != float64(7) || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(ts) {
				t.Errorf("JSON log line %s", line)
			}
		}
		if !found || strings.Contains(tail, "not shown") {
			t.Errorf("JSON log lines in tail:\n%s", tail)
		}
	})

	t.Run("package handler", func(t *testing.T) {
		t.Parallel()
		files := map[string]string{
			"pkg/__init__.py": "",
			"pkg/handlers.py": `from pkg import helpers

def handle(event, context):
    return {"from": __name__, "helper": helpers.greet(event["name"])}
`,
			"pkg/helpers.py": "def greet(name):\n    return 'hello ' + name\n",
		}
		for i, h := range []string{"pkg.handlers.handle", "pkg/handlers.handle"} {
			name := "py-pkg-" + strconv.Itoa(i)
			createPyFn(t, c, name, files, func(in *lambda.CreateFunctionInput) { in.Handler = aws.String(h) })
			out := invokeFn(t, c, name, `{"name":"pkg"}`)
			if string(out.Payload) != `{"from": "pkg.handlers", "helper": "hello pkg"}` {
				t.Errorf("handler %s: %s %s", h, aws.ToString(out.FunctionError), out.Payload)
			}
		}
	})
}

// TestPythonBootstrapProtocol runs the bootstrap against a fake Runtime API, to
// see what a real invoke cannot show: the Cognito identity, a chunked event, one
// kept-alive connection, the headers of an error post, and a quiet exit on 410.
func TestPythonBootstrapProtocol(t *testing.T) {
	skipWithoutPython(t)
	type post struct {
		path   string
		header http.Header
		body   string
	}
	var (
		mu    sync.Mutex
		posts []post
		conns int
		next  int
	)
	events := []struct {
		body    string
		headers map[string]string
		chunked bool
	}{
		{body: `{"a": 1}`, chunked: true, headers: map[string]string{
			"Lambda-Runtime-Cognito-Identity": `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`,
		}},
		{body: `{"fail": true}`},
		{body: `not json`},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next" {
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			if i >= len(events) {
				w.WriteHeader(http.StatusGone)
				return
			}
			ev := events[i]
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Lambda-Runtime-Aws-Request-Id", "req-"+strconv.Itoa(i))
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:f")
			for k, v := range ev.headers {
				h.Set(k, v)
			}
			if ev.chunked {
				w.WriteHeader(http.StatusOK)
				for _, part := range []string{ev.body[:3], ev.body[3:]} {
					io.WriteString(w, part) //nolint:errcheck
					w.(http.Flusher).Flush()
				}
				return
			}
			h.Set("Content-Length", strconv.Itoa(len(ev.body)))
			io.WriteString(w, ev.body) //nolint:errcheck
			return
		}
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, post{r.URL.Path, r.Header.Clone(), string(body)})
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`) //nolint:errcheck
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()

	dir := t.TempDir()
	src := `def lambda_handler(event, context):
    if isinstance(event, dict) and event.get("fail"):
        raise RuntimeError("nope")
    return {"id": context.identity.cognito_identity_id, "pool": context.identity.cognito_identity_pool_id,
            "cc": context.client_context, "event": event}
`
	if err := os.WriteFile(filepath.Join(dir, "lambda_function.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	boot, err := filepath.Abs("../../internal/runtimes/python/bootstrap.py")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-u", boot)
	cmd.Dir = dir
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"),
		"_HANDLER=lambda_function.lambda_handler",
		"LAMBDA_TASK_ROOT=" + dir,
		"AWS_EXECUTION_ENV=AWS_Lambda_python3.12",
		"PATH=/usr/bin:/bin",
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, out)
	}

	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("bootstrap opened %d connections, want 1 kept alive", conns)
	}
	if len(posts) != 3 {
		t.Fatalf("posts: %+v\nlog:\n%s", posts, out)
	}
	if p := posts[0]; p.path != "/2018-06-01/runtime/invocation/req-0/response" ||
		p.body != `{"id": "id-1", "pool": "pool-1", "cc": null, "event": {"a": 1}}` ||
		p.header.Get("Content-Type") != "application/json" {
		t.Errorf("response post %+v", p)
	}
	// awslambdaric posts an invocation error without Lambda-Runtime-Function-Error-Type,
	// with the X-Ray cause.
	p := posts[1]
	var e lambdaError
	if err := json.Unmarshal([]byte(p.body), &e); err != nil || p.path != "/2018-06-01/runtime/invocation/req-1/error" ||
		e.ErrorType != "RuntimeError" || e.ErrorMessage != "nope" || aws.ToString(e.RequestID) != "req-1" || len(e.StackTrace) != 1 {
		t.Errorf("error post %+v (%v)", p, err)
	}
	if p.header.Get("Lambda-Runtime-Function-Error-Type") != "" || p.header.Get("Content-Type") != "application/json" {
		t.Errorf("error post headers %v", p.header)
	}
	var cause struct {
		WorkingDirectory string `json:"working_directory"`
		Exceptions       []struct {
			Type, Message string
			Stack         []struct {
				Label, Path string
				Line        int
			}
		}
	}
	if err := json.Unmarshal([]byte(p.header.Get("Lambda-Runtime-Function-Xray-Error-Cause")), &cause); err != nil ||
		cause.WorkingDirectory != dir || len(cause.Exceptions) != 1 || cause.Exceptions[0].Type != "RuntimeError" ||
		len(cause.Exceptions[0].Stack) != 1 || cause.Exceptions[0].Stack[0].Label != "lambda_handler" || cause.Exceptions[0].Stack[0].Line != 3 {
		t.Errorf("X-Ray cause %q (%v)", p.header.Get("Lambda-Runtime-Function-Xray-Error-Cause"), err)
	}
	if err := json.Unmarshal([]byte(posts[2].body), &e); err != nil || e.ErrorType != "Runtime.UnmarshalError" ||
		e.ErrorMessage != "Unable to unmarshal input: Expecting value: line 1 column 1 (char 0)" {
		t.Errorf("unmarshal error post %+v", posts[2])
	}
}
