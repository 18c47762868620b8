// Command fn is the test function of Stratus's integration tests and benchmarks: one
// aws-lambda-go binary whose behaviour is chosen by the function's Handler setting
// (_HANDLER), so one build serves every case.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
			return map[string]int{"slept": in.Ms, "pid": os.Getpid()}, nil
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
		case "pid":
			return os.Getpid(), nil
		case "chain":
			return chain(ctx, ev)
		case "marker":
			// Reads a file shipped in the code package, to tell code versions apart.
			b, err := os.ReadFile(os.Getenv("LAMBDA_TASK_ROOT") + "/marker")
			return map[string]any{"marker": string(b), "pid": os.Getpid()}, err
		}
		return nil, fmt.Errorf("unknown mode %q", mode)
	})
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
