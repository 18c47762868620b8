// Command fn is the test function of Stratus's integration tests and benchmarks: one
// aws-lambda-go binary whose behaviour is chosen by the function's Handler setting
// (_HANDLER), so one build serves every case.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func main() {
	mode := os.Getenv("_HANDLER")
	switch mode {
	case "initfail":
		// Fails before the runtime loop starts, as a handler whose init code
		// panics does; aws-lambda-go reports nothing, the process exits 2.
		fmt.Fprintln(os.Stderr, "init failed: missing configuration")
		os.Exit(2)
	case "initerror":
		postInitError()
		return
	}
	lambda.Start(func(ctx context.Context, ev json.RawMessage) (any, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		switch mode {
		case "echo", "bootstrap", "":
			return ev, nil
		case "log":
			fmt.Println("hello from", lc.AwsRequestID)
			fmt.Fprintln(os.Stderr, "to stderr")
			return ev, nil
		case "error":
			return nil, errors.New("something went wrong")
		case "panic":
			panic("boom")
		case "exit":
			os.Exit(3)
		case "sleep":
			var in struct{ Ms int }
			json.Unmarshal(ev, &in) //nolint:errcheck
			time.Sleep(time.Duration(in.Ms) * time.Millisecond)
			return map[string]any{"slept": in.Ms, "pid": os.Getpid(), "stream": os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")}, nil
		case "big":
			return strings.Repeat("x", 7<<20), nil
		case "env":
			dl, _ := ctx.Deadline()
			env := map[string]string{}
			for _, kv := range os.Environ() {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			return map[string]any{
				"env":                env,
				"requestId":          lc.AwsRequestID,
				"invokedFunctionArn": lc.InvokedFunctionArn,
				"deadlineMs":         dl.UnixMilli(),
				"clientContext":      lc.ClientContext,
				"traceId":            ctx.Value("x-amzn-trace-id"),
				"pid":                os.Getpid(),
			}, nil
		case "append":
			// Appends one line per invocation to the file the event names (after
			// sleeping Ms), so a test sees what ran: async delivery has no caller.
			var in struct {
				File string
				Ms   int
			}
			json.Unmarshal(ev, &in) //nolint:errcheck
			if in.File == "" {
				// A destination's event is Lambda's record: the file comes from
				// the function's environment.
				in.File = os.Getenv("APPEND_FILE")
			}
			ran := time.Now().UnixNano() // when the handler started, for latency
			time.Sleep(time.Duration(in.Ms) * time.Millisecond)
			return ev, appendLine(in.File, map[string]any{"requestId": lc.AwsRequestID, "event": ev, "ranAtNs": ran})
		case "failn":
			// Fails the first Fails attempts (counted per request id in File),
			// then succeeds.
			var in struct {
				File  string
				Fails int
				Ms    int
			}
			json.Unmarshal(ev, &in) //nolint:errcheck
			time.Sleep(time.Duration(in.Ms) * time.Millisecond)
			n := countLines(in.File, lc.AwsRequestID) + 1
			if err := appendLine(in.File, map[string]any{"requestId": lc.AwsRequestID, "attempt": n}); err != nil {
				return nil, err
			}
			if n <= in.Fails {
				return nil, fmt.Errorf("attempt %d failed", n)
			}
			return map[string]any{"attempt": n}, nil
		case "stat":
			// Which of the event's paths exist, as the function sees its file system.
			var in struct{ Paths []string }
			json.Unmarshal(ev, &in) //nolint:errcheck
			found := map[string]bool{}
			for _, p := range in.Paths {
				_, err := os.Stat(p)
				found[p] = err == nil
			}
			return found, nil
		case "pid":
			// The log stream names the environment in any sandbox; a pid is 1
			// in a container's pid namespace.
			return map[string]any{"pid": os.Getpid(), "stream": os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")}, nil
		case "event":
			// Answers an HTTP front door with the raw event it received as the body,
			// so a test can check every field of it.
			return map[string]any{"statusCode": 200, "headers": map[string]string{"Content-Type": "application/json"},
				"body": string(ev)}, nil
		case "respond":
			// Answers with the request's body as the function's raw answer, so a
			// test can drive every response shape through one function.
			return respond(ev)
		case "httpsleep":
			// Sleeps for the milliseconds of the query parameter ms, then answers.
			var in struct {
				Query map[string]string `json:"queryStringParameters"`
			}
			json.Unmarshal(ev, &in) //nolint:errcheck
			ms, _ := strconv.Atoi(in.Query["ms"])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			return map[string]any{"statusCode": 200, "body": "slept"}, nil
		case "chain":
			return chain(ctx, ev)
		case "sdk":
			return sdkCalls(ctx, ev)
		case "tmp":
			return tmpDisk(ev)
		case "marker":
			// Reads a file shipped in the code package, to tell code versions apart.
			b, err := os.ReadFile(os.Getenv("LAMBDA_TASK_ROOT") + "/marker")
			return map[string]any{"marker": string(b), "pid": os.Getpid(), "stream": os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")}, err
		}
		if out, err, ok := hostile(ctx, mode, ev); ok {
			return out, err
		}
		if out, err, ok := network(mode, ev); ok {
			return out, err
		}
		return nil, fmt.Errorf("unknown mode %q", mode)
	})
}

// respond returns the body of a proxy event (base64-decoded when it is) as the
// function's raw answer; a body that is not JSON is answered as a JSON string.
func respond(ev json.RawMessage) (json.RawMessage, error) {
	var in struct {
		Body            string `json:"body"`
		IsBase64Encoded bool   `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(ev, &in); err != nil {
		return nil, err
	}
	body := []byte(in.Body)
	if in.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(in.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	if json.Valid(body) {
		return body, nil
	}
	return json.Marshal(string(body))
}

// postInitError reports an init failure through the Runtime API, as runtimes do when
// the handler cannot be loaded.
func postInitError() {
	body := `{"errorMessage":"cannot load handler","errorType":"Runtime.HandlerNotFound"}`
	url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	req, _ := newPost(url, body)
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.HandlerNotFound")
	if resp, err := httpClient.Do(req); err == nil {
		resp.Body.Close()
	}
	os.Exit(1)
}

// appendLine appends v as one JSON line to path; O_APPEND writes of one line are
// atomic, so concurrent invocations do not interleave.
func appendLine(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(append(b, '\n'))
	return err
}

// countLines counts the lines of path that mention requestID.
func countLines(path, requestID string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), `"requestId":"`+requestID+`"`)
}
