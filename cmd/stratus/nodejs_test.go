package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// nodeSources are handlers written the way AWS's documentation writes them, one
// zip for every Node.js test; each function picks its file through its Handler.
var nodeSources = map[string]string{
	// ES module, async handler: echoes the event, counts inits, logs.
	"index.mjs": `let inits = 0;
inits++;
console.log("init ran");

export const handler = async (event, context) => {
  console.log("event:", event);
  console.warn("careful %d", 42);
  return { echo: event, inits };
};
`,
	// Top-level await: an ES module that cannot be require()d, so it is imported.
	"tla.mjs": `const config = await Promise.resolve({ greeting: "hi" });

export const handler = async (event) => ({ greeting: config.greeting, event });
`,
	// An ES module importing a package that is not there.
	"badesm.mjs": `import missing from "not-installed";

export const handler = async () => missing;
`,
	// The context object, as the handler sees it.
	"ctx.mjs": `export const handler = async (event, context) => {
  return {
    awsRequestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    clientContext: context.clientContext ?? null,
    identity: context.identity ?? null,
    waits: context.callbackWaitsForEmptyEventLoop,
    traceId: process.env._X_AMZN_TRACE_ID ?? null,
  };
};
`,
	// CommonJS.
	"app.js": `const path = require("path");
exports.handler = async function (event, context) {
  return { cjs: typeof module !== "undefined", base: path.basename(__filename) };
};
`,
	// Nested export in a subdirectory, .cjs.
	"lib/nested.cjs": `module.exports = { handlers: { echo: async (event) => ({ nested: event }) } };
`,
	// .js in a package with "type": "module" is an ES module.
	"esm/package.json": `{"type": "module"}`,
	"esm/app.js": `export const handler = async () => ({ esm: typeof require === "undefined" });
`,
	// Callback style; the timer keeps the event loop busy for 400 ms.
	"callback.js": `exports.handler = (event, context, callback) => {
  if (event.noWait) {
    context.callbackWaitsForEmptyEventLoop = false;
  }
  setTimeout(() => console.log("timer fired"), 400);
  callback(null, { ok: true });
};
`,
	"throw.mjs": `export const handler = async (event) => {
  if (event.callback) {
    throw "plain string";
  }
  throw new Error("boom");
};
`,
	"cberr.js": `exports.handler = (event, context, callback) => {
  callback("plain string");
};
`,
	"syntax.js": `exports.handler = async (event) => {
`,
	"plain.mjs": `export const value = 1;
`,
	// Packages in the code directory's node_modules, from CommonJS and from ESM.
	"node_modules/mylib/package.json": `{"name": "mylib", "main": "main.js"}`,
	"node_modules/mylib/main.js":      `exports.hello = () => "hi from mylib";`,
	"deps.js": `const { hello } = require("mylib");
exports.handler = async () => hello();
`,
	"depsesm.mjs": `import { hello } from "mylib";
export const handler = async () => hello();
`,
	"baddep.js": `const missing = require("not-installed");
exports.handler = async () => missing;
`,
	// The legacy context methods, and a handler that neither returns a promise
	// nor calls back.
	"legacy.js": `exports.handler = (event, context) => {
  if (event.fail) {
    context.fail(new Error("nope"));
    return;
  }
  if (event.sync) {
    return 42;
  }
  context.succeed({ legacy: true });
};
`,
	// Response streaming, which Stratus answers buffered.
	"stream.mjs": `export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });
  responseStream.write("part 1, ");
  await new Promise((resolve) => setTimeout(resolve, 10));
  responseStream.end("part 2");
});
`,
	"never.mjs": `export const handler = async () => new Promise(() => {});
`,
	"rejects.mjs": `export const handler = async () => {
  Promise.reject(new Error("lost"));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return "unreachable";
};
`,
	"uncaught.js": `exports.handler = (event, context, callback) => {
  setTimeout(() => { throw new Error("late"); }, 10);
};
`,
}

// nodeZip zips nodeSources.
func nodeZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, src := range nodeSources {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(src)) //nolint:errcheck
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// createNodeFn creates a nodejs20.x function running zipped with handler.
func createNodeFn(t *testing.T, c *lambda.Client, zipped []byte, name, handler string) {
	t.Helper()
	createFn(t, c, name, handler, func(in *lambda.CreateFunctionInput) {
		in.Runtime = types.RuntimeNodejs20x
		in.Code = &types.FunctionCode{ZipFile: zipped}
	})
}

// nodeTail decodes an invocation's X-Amz-Log-Result.
func nodeTail(t *testing.T, out *lambda.InvokeOutput) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nodeFromStart drops what a tail holds before the START line (a cold start's init
// output).
func nodeFromStart(tail string) string {
	if i := strings.Index(tail, "START RequestId: "); i > 0 {
		return tail[i:]
	}
	return tail
}

// nodeStartID returns the request id of the tail's START line.
func nodeStartID(t *testing.T, tail string) string {
	t.Helper()
	i := strings.Index(tail, "START RequestId: ")
	if i < 0 {
		t.Fatalf("no START line in tail:\n%s", tail)
	}
	return strings.Fields(tail[i:])[2]
}

var nodeWithTail = func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail }

// nodeErrorBody is the error body Lambda's Node.js runtime sends and the invoker gets.
type nodeErrorBody struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

// nodeDecodeError asserts out is an Unhandled function error whose body has
// exactly the fields Lambda's Node.js runtime sends, and returns it.
func nodeDecodeError(t *testing.T, out *lambda.InvokeOutput) nodeErrorBody {
	t.Helper()
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Fatalf("FunctionError %q, payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
	var e nodeErrorBody
	dec := json.NewDecoder(bytes.NewReader(out.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %s: %v", out.Payload, err)
	}
	return e
}

// TestNodejsRuntime runs Stratus's Node.js runtime client (internal/runtimes/nodejs)
// under a real server on the host's /usr/bin/node: handler resolution, the
// programming models, the context object, error bodies and log lines, each as
// AWS's own Node.js runtime does them.
func TestNodejsRuntime(t *testing.T) {
	if _, err := os.Stat("/usr/bin/node"); err != nil {
		t.Skip("no /usr/bin/node")
	}
	ts := startServer(t, "")
	c := ts.lambdaClient()
	zipped := nodeZip(t)

	t.Run("ESM with top-level await", func(t *testing.T) {
		t.Parallel()
		createNodeFn(t, c, zipped, "node-tla", "tla.handler")
		out := invokeFn(t, c, "node-tla", `{"n":1}`)
		if out.FunctionError != nil || string(out.Payload) != `{"greeting":"hi","event":{"n":1}}` {
			t.Errorf("top-level await handler: %s", out.Payload)
		}
	})

	t.Run("async ESM echo, init once, log lines", func(t *testing.T) {
		t.Parallel()
		createNodeFn(t, c, zipped, "node-echo", "index.handler")
		var tails []string
		for i := 0; i < 3; i++ {
			out := invokeFn(t, c, "node-echo", fmt.Sprintf(`{"n":%d}`, i), nodeWithTail)
			if out.FunctionError != nil {
				t.Fatalf("invoke %d: %s: %s", i, aws.ToString(out.FunctionError), out.Payload)
			}
			if want := fmt.Sprintf(`{"echo":{"n":%d},"inits":1}`, i); string(out.Payload) != want {
				t.Errorf("invoke %d: payload %s, want %s", i, out.Payload, want)
			}
			tail := nodeTail(t, out)
			checkLogTail(t, nodeFromStart(tail), 128, i == 0)
			tails = append(tails, tail)
		}
		// The cold tail holds the init line (request id "undefined", as in Lambda),
		// then the invocation's own lines with its request id.
		cold := tails[0]
		if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\tundefined\tINFO\tinit ran$`).MatchString(cold) {
			t.Errorf("no init line in cold tail:\n%s", cold)
		}
		for i, tail := range tails {
			id := nodeStartID(t, tail)
			re := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t` + regexp.QuoteMeta(id) + fmt.Sprintf(`\tINFO\tevent: \{ n: %d \}$`, i))
			if !re.MatchString(tail) {
				t.Errorf("invoke %d: no console.log line with request id %s:\n%s", i, id, tail)
			}
			if !strings.Contains(tail, "\t"+id+"\tWARN\tcareful 42\n") {
				t.Errorf("invoke %d: no console.warn line:\n%s", i, tail)
			}
			if i > 0 && strings.Contains(tail, "init ran") {
				t.Errorf("invoke %d: init ran again:\n%s", i, tail)
			}
		}
	})

	t.Run("context", func(t *testing.T) {
		t.Parallel()
		createNodeFn(t, c, zipped, "node-ctx", "ctx.handler")
		cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"},"env":{"locale":"en"}}`))
		out := invokeFn(t, c, "node-ctx", `{}`, nodeWithTail, func(in *lambda.InvokeInput) { in.ClientContext = aws.String(cc) })
		if out.FunctionError != nil {
			t.Fatalf("%s: %s", aws.ToString(out.FunctionError), out.Payload)
		}
		var got struct {
			AwsRequestID       string `json:"awsRequestId"`
			FunctionName       string `json:"functionName"`
			FunctionVersion    string `json:"functionVersion"`
			InvokedFunctionArn string `json:"invokedFunctionArn"`
			MemoryLimitInMB    any    `json:"memoryLimitInMB"`
			LogGroupName       string `json:"logGroupName"`
			LogStreamName      string `json:"logStreamName"`
			Remaining          int64  `json:"remaining"`
			ClientContext      struct {
				Custom map[string]string `json:"custom"`
				Env    map[string]string `json:"env"`
			} `json:"clientContext"`
			Identity any    `json:"identity"`
			Waits    bool   `json:"waits"`
			TraceID  string `json:"traceId"`
		}
		if err := json.Unmarshal(out.Payload, &got); err != nil {
			t.Fatalf("%s: %v", out.Payload, err)
		}
		tail := nodeTail(t, out)
		startID := nodeStartID(t, tail)
		if got.AwsRequestID != startID {
			t.Errorf("awsRequestId %q, START line says %q", got.AwsRequestID, startID)
		}
		if got.FunctionName != "node-ctx" || got.FunctionVersion != "$LATEST" {
			t.Errorf("functionName %q functionVersion %q", got.FunctionName, got.FunctionVersion)
		}
		if want := "arn:aws:lambda:us-east-1:000000000000:function:node-ctx"; got.InvokedFunctionArn != want {
			t.Errorf("invokedFunctionArn %q, want %q", got.InvokedFunctionArn, want)
		}
		if got.MemoryLimitInMB != "128" { // a string, as in Lambda
			t.Errorf("memoryLimitInMB %#v, want \"128\"", got.MemoryLimitInMB)
		}
		if got.LogGroupName != "/aws/lambda/node-ctx" {
			t.Errorf("logGroupName %q", got.LogGroupName)
		}
		if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(got.LogStreamName) {
			t.Errorf("logStreamName %q", got.LogStreamName)
		}
		if got.Remaining <= 2000 || got.Remaining > 3000 { // 3 s default timeout
			t.Errorf("getRemainingTimeInMillis() = %d, want in (2000, 3000]", got.Remaining)
		}
		if got.ClientContext.Custom["k"] != "v" || got.ClientContext.Env["locale"] != "en" {
			t.Errorf("clientContext %+v", got.ClientContext)
		}
		if got.Identity != nil {
			t.Errorf("identity %v, want undefined", got.Identity)
		}
		if !got.Waits {
			t.Error("callbackWaitsForEmptyEventLoop defaults to false")
		}
		if !strings.HasPrefix(got.TraceID, "Root=1-") {
			t.Errorf("_X_AMZN_TRACE_ID %q", got.TraceID)
		}
	})

	t.Run("module kinds", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ name, handler, event, want string }{
			{"node-cjs", "app.handler", `{}`, `{"cjs":true,"base":"app.js"}`},
			{"node-nested", "lib/nested.handlers.echo", `{"a":1}`, `{"nested":{"a":1}}`},
			{"node-typemodule", "esm/app.handler", `{}`, `{"esm":true}`},
			{"node-deps", "deps.handler", `{}`, `"hi from mylib"`},
			{"node-depsesm", "depsesm.handler", `{}`, `"hi from mylib"`},
			{"node-stream", "stream.handler", `{}`, `part 1, part 2`},
		} {
			createNodeFn(t, c, zipped, tc.name, tc.handler)
			out := invokeFn(t, c, tc.name, tc.event)
			if out.FunctionError != nil || string(out.Payload) != tc.want {
				t.Errorf("%s: %s %s, want %s", tc.handler, aws.ToString(out.FunctionError), out.Payload, tc.want)
			}
		}
	})

	t.Run("callback", func(t *testing.T) {
		t.Parallel()
		createNodeFn(t, c, zipped, "node-callback", "callback.handler")
		// Default: the answer waits for the event loop to drain (the 400 ms timer).
		start := time.Now()
		out := invokeFn(t, c, "node-callback", `{}`, nodeWithTail)
		waited := time.Since(start)
		if out.FunctionError != nil || string(out.Payload) != `{"ok":true}` {
			t.Fatalf("%s %s", aws.ToString(out.FunctionError), out.Payload)
		}
		tail := nodeTail(t, out)
		if waited < 400*time.Millisecond || !strings.Contains(tail, "\tINFO\ttimer fired\n") {
			t.Errorf("answered after %v, before the timer fired:\n%s", waited, tail)
		}
		// callbackWaitsForEmptyEventLoop = false: the answer goes out at once.
		start = time.Now()
		out = invokeFn(t, c, "node-callback", `{"noWait":true}`, nodeWithTail)
		quick := time.Since(start)
		if out.FunctionError != nil || string(out.Payload) != `{"ok":true}` {
			t.Fatalf("%s %s", aws.ToString(out.FunctionError), out.Payload)
		}
		if quick >= 300*time.Millisecond || strings.Contains(nodeTail(t, out), "timer fired") {
			t.Errorf("with callbackWaitsForEmptyEventLoop=false the answer took %v:\n%s", quick, nodeTail(t, out))
		}
	})

	t.Run("handler errors", func(t *testing.T) {
		t.Parallel()
		createNodeFn(t, c, zipped, "node-throw", "throw.handler")
		out := invokeFn(t, c, "node-throw", `{}`, nodeWithTail)
		e := nodeDecodeError(t, out)
		if e.ErrorType != "Error" || e.ErrorMessage != "boom" {
			t.Errorf("errorType %q errorMessage %q", e.ErrorType, e.ErrorMessage)
		}
		if len(e.Trace) < 2 || e.Trace[0] != "Error: boom" || !strings.HasPrefix(e.Trace[1], "    at Runtime.handler (file:///") || !strings.Contains(e.Trace[1], "/throw.mjs:5:") {
			t.Errorf("trace %q", e.Trace)
		}
		tail := nodeTail(t, out)
		id := nodeStartID(t, tail)
		logged := "\t" + id + "\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"boom\",\"stack\":[\"Error: boom\","
		if !strings.Contains(tail, logged) {
			t.Errorf("no Invoke Error line %q in tail:\n%s", logged, tail)
		}

		// A thrown non-Error: its type is typeof, its trace empty.
		out = invokeFn(t, c, "node-throw", `{"callback":true}`)
		if e := nodeDecodeError(t, out); e.ErrorType != "string" || e.ErrorMessage != "plain string" || e.Trace == nil || len(e.Trace) != 0 {
			t.Errorf("thrown string: %s", out.Payload)
		}
		createNodeFn(t, c, zipped, "node-cberr", "cberr.handler")
		out = invokeFn(t, c, "node-cberr", `{}`)
		if e := nodeDecodeError(t, out); e.ErrorType != "string" || e.ErrorMessage != "plain string" || len(e.Trace) != 0 {
			t.Errorf("callback error: %s", out.Payload)
		}
	})

	t.Run("legacy context methods and plain returns", func(t *testing.T) {
		t.Parallel()
		createNodeFn(t, c, zipped, "node-legacy", "legacy.handler")
		if out := invokeFn(t, c, "node-legacy", `{}`); out.FunctionError != nil || string(out.Payload) != `{"legacy":true}` {
			t.Errorf("context.succeed: %s %s", aws.ToString(out.FunctionError), out.Payload)
		}
		out := invokeFn(t, c, "node-legacy", `{"fail":true}`)
		if e := nodeDecodeError(t, out); e.ErrorType != "Error" || e.ErrorMessage != "nope" || len(e.Trace) == 0 || e.Trace[0] != "Error: nope" {
			t.Errorf("context.fail: %s", out.Payload)
		}
		// A handler that is not async, returns, and never calls back answers null
		// once the event loop is empty.
		if out := invokeFn(t, c, "node-legacy", `{"sync":true}`); out.FunctionError != nil || string(out.Payload) != `null` {
			t.Errorf("plain return: %s %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})

	t.Run("promise never settled, unhandled rejection, uncaught exception", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ name, handler, typ, msg string }{
			{"node-never", "never.handler", "Runtime.NodeJsExit", "The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes"},
			{"node-rejects", "rejects.handler", "Runtime.UnhandledPromiseRejection", "Error: lost"},
			{"node-uncaught", "uncaught.handler", "Error", "late"},
		} {
			createNodeFn(t, c, zipped, tc.name, tc.handler)
			out := invokeFn(t, c, tc.name, `{}`, nodeWithTail)
			e := nodeDecodeError(t, out)
			if e.ErrorType != tc.typ || e.ErrorMessage != tc.msg || len(e.Trace) == 0 {
				t.Errorf("%s: %s", tc.handler, out.Payload)
			}
		}
	})

	t.Run("JSON log format", func(t *testing.T) {
		t.Parallel()
		createFn(t, c, "node-jsonlogs", "index.handler", func(in *lambda.CreateFunctionInput) {
			in.Runtime = types.RuntimeNodejs20x
			in.Code = &types.FunctionCode{ZipFile: zipped}
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON"}}
		})
		out := invokeFn(t, c, "node-jsonlogs", `{"n":7}`, nodeWithTail)
		tail := nodeTail(t, out)
		id := nodeStartID(t, tail)
		type line struct {
			Timestamp string `json:"timestamp"`
			Level     string `json:"level"`
			RequestID any    `json:"requestId"`
			Message   string `json:"message"`
		}
		var got []line
		for _, l := range strings.Split(tail, "\n") {
			if !strings.HasPrefix(l, "{") {
				continue
			}
			var x line
			if err := json.Unmarshal([]byte(l), &x); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if _, err := time.Parse(time.RFC3339Nano, x.Timestamp); err != nil {
				t.Errorf("timestamp %q", x.Timestamp)
			}
			x.Timestamp = ""
			got = append(got, x)
		}
		want := []line{
			{Level: "INFO", RequestID: nil, Message: "init ran"}, // no request id yet: the key is left out
			{Level: "INFO", RequestID: id, Message: "event: { n: 7 }"},
			{Level: "WARN", RequestID: id, Message: "careful 42"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("JSON log lines\n got %v\nwant %v\ntail:\n%s", got, want, tail)
		}
	})

	t.Run("init errors", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name, handler, typ, msg, trace0 string
		}{
			{"node-nomodule", "nope.handler", "Runtime.ImportModuleError",
				"Error: Cannot find module 'nope'\nRequire stack:\n- /var/runtime/index.mjs",
				"Runtime.ImportModuleError: Error: Cannot find module 'nope'"},
			{"node-noexport", "index.nothere", "Runtime.HandlerNotFound",
				"index.nothere is undefined or not exported",
				"Runtime.HandlerNotFound: index.nothere is undefined or not exported"},
			{"node-notfunc", "plain.value", "Runtime.HandlerNotFound",
				"plain.value is not a function",
				"Runtime.HandlerNotFound: plain.value is not a function"},
			{"node-malformed", "index", "Runtime.MalformedHandlerName", "Bad handler",
				"Runtime.MalformedHandlerName: Bad handler"},
			{"node-baddep", "baddep.handler", "Runtime.ImportModuleError",
				"Error: Cannot find module 'not-installed'\nRequire stack:\n- CODE/baddep.js\n- /var/runtime/index.mjs",
				"Runtime.ImportModuleError: Error: Cannot find module 'not-installed'"},
			// AWS's client wraps only CommonJS's MODULE_NOT_FOUND in
			// Runtime.ImportModuleError; the ES module loader's error passes as is.
			{"node-badesm", "badesm.handler", "Error",
				"Cannot find package 'not-installed' imported from CODE/badesm.mjs",
				"Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'not-installed' imported from CODE/badesm.mjs"},
			{"node-syntax", "syntax.handler", "Runtime.UserCodeSyntaxError",
				"SyntaxError: Unexpected end of input",
				"Runtime.UserCodeSyntaxError: SyntaxError: Unexpected end of input"},
		} {
			createNodeFn(t, c, zipped, tc.name, tc.handler)
			out := invokeFn(t, c, tc.name, `{}`, nodeWithTail)
			e := nodeDecodeError(t, out)
			// CODE stands for the function's unpacked code directory.
			e.ErrorMessage = regexp.MustCompile(`- /\S+/baddep\.js`).ReplaceAllString(e.ErrorMessage, "- CODE/baddep.js")
			e.ErrorMessage = regexp.MustCompile(`from /\S+/badesm\.mjs`).ReplaceAllString(e.ErrorMessage, "from CODE/badesm.mjs")
			if len(e.Trace) > 0 {
				e.Trace[0] = regexp.MustCompile(`from /\S+/badesm\.mjs`).ReplaceAllString(e.Trace[0], "from CODE/badesm.mjs")
			}
			if e.ErrorType != tc.typ || e.ErrorMessage != tc.msg || len(e.Trace) < 2 || e.Trace[0] != tc.trace0 {
				t.Errorf("%s: got %s", tc.handler, out.Payload)
			}
			tail := nodeTail(t, out)
			if !strings.Contains(tail, "\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\""+tc.typ+"\"") ||
				!strings.Contains(tail, "INIT_REPORT Init Duration: ") || !strings.Contains(tail, "Error Type: "+tc.typ) {
				t.Errorf("%s: tail:\n%s", tc.handler, tail)
			}
		}
	})
}
