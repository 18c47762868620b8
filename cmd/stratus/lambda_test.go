package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

const testRole = "arn:aws:iam::000000000000:role/lambda-role"

// createFn creates a provided.al2023 function running testdata/fn in the given mode.
func createFn(t *testing.T, c *lambda.Client, name, mode string, mods ...func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String(mode),
		Role:         aws.String(testRole),
		Code:         &types.FunctionCode{ZipFile: testFunctionZip(t)},
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

func invokeFn(t *testing.T, c *lambda.Client, name string, payload string, mods ...func(*lambda.InvokeInput)) *lambda.InvokeOutput {
	t.Helper()
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)}
	for _, m := range mods {
		m(in)
	}
	out, err := c.Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("Invoke %s: %v", name, err)
	}
	return out
}

// apiError asserts err is an AWS API error with the given code and returns it.
func apiError(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	return ae
}

func TestFunctionLifecycle(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	zipBytes := testFunctionZip(t)

	created := createFn(t, c, "lifecycle", "echo", func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(256)
		in.Timeout = aws.Int32(5)
		in.Description = aws.String("a test function")
		in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hi"}}
		in.Tags = map[string]string{"team": "stratus"}
	})
	sum := sha256.Sum256(zipBytes)
	want := base64.StdEncoding.EncodeToString(sum[:])
	if got := aws.ToString(created.CodeSha256); got != want {
		t.Errorf("CodeSha256 = %s, want %s", got, want)
	}
	if created.CodeSize != int64(len(zipBytes)) {
		t.Errorf("CodeSize = %d, want %d", created.CodeSize, len(zipBytes))
	}
	if got := aws.ToString(created.FunctionArn); got != "arn:aws:lambda:us-east-1:000000000000:function:lifecycle" {
		t.Errorf("FunctionArn = %s", got)
	}
	if created.State != types.StatePending || created.StateReasonCode != types.StateReasonCodeCreating {
		t.Errorf("create State = %s/%s, want Pending/Creating", created.State, created.StateReasonCode)
	}
	if aws.ToString(created.Version) != "$LATEST" || created.PackageType != types.PackageTypeZip ||
		aws.ToInt32(created.MemorySize) != 256 || aws.ToInt32(created.Timeout) != 5 ||
		created.Environment.Variables["GREETING"] != "hi" || len(created.Architectures) != 1 ||
		created.Architectures[0] != types.ArchitectureX8664 || aws.ToInt32(created.EphemeralStorage.Size) != 512 ||
		created.TracingConfig.Mode != types.TracingModePassThrough || aws.ToString(created.RevisionId) == "" {
		t.Errorf("create output fields: %+v", created)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(created.LastModified)); err != nil {
		t.Errorf("LastModified %q: %v", aws.ToString(created.LastModified), err)
	}

	// The SDK's waiter sees the function become Active, as on AWS.
	w := lambda.NewFunctionActiveV2Waiter(c)
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("lifecycle")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("lifecycle")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Configuration.State != types.StateActive || got.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("GetFunction state %s/%s", got.Configuration.State, got.Configuration.LastUpdateStatus)
	}
	if got.Tags["team"] != "stratus" || aws.ToString(got.Code.RepositoryType) != "S3" {
		t.Errorf("GetFunction tags/code: %+v %+v", got.Tags, got.Code)
	}
	// Code.Location really downloads the zip, without credentials.
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	dl, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(dl, zipBytes) {
		t.Errorf("Code.Location download: status %d, %d bytes (want %d)", resp.StatusCode, len(dl), len(zipBytes))
	}
	tampered := strings.Replace(aws.ToString(got.Code.Location), "Signature=", "Signature=0", 1)
	if resp, err := http.Get(tampered); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered Code.Location: %v %v", resp.StatusCode, err)
	}

	// By ARN and partial ARN, as the API allows.
	for _, ref := range []string{"arn:aws:lambda:us-east-1:000000000000:function:lifecycle", "000000000000:function:lifecycle", "lifecycle:$LATEST"} {
		if _, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(ref)}); err != nil {
			t.Errorf("GetFunctionConfiguration(%s): %v", ref, err)
		}
	}

	out := invokeFn(t, c, "lifecycle", `{"name":"x"}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
	if out.StatusCode != 200 || string(out.Payload) != `{"name":"x"}` || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("Invoke: %d %s %v %v", out.StatusCode, out.Payload, out.FunctionError, out.ExecutedVersion)
	}
	tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	checkLogTail(t, string(tail), 256, true)

	// Warm: the second invoke reuses the environment (no Init Duration).
	out = invokeFn(t, c, "lifecycle", `{}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
	tail, _ = base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	checkLogTail(t, string(tail), 256, false)

	// Dry run checks and runs nothing.
	dry, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("lifecycle"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || dry.StatusCode != 204 {
		t.Errorf("DryRun: %v %v", dry, err)
	}

	// Tags.
	arn := aws.ToString(created.FunctionArn)
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"env": "test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "test" {
		t.Errorf("ListTags: %v %v", tags, err)
	}

	// Delete; then it is gone.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("lifecycle")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("lifecycle")})
	ae := apiError(t, err, "ResourceNotFoundException")
	if ae.ErrorMessage() != "Function not found: arn:aws:lambda:us-east-1:000000000000:function:lifecycle" {
		t.Errorf("not found message: %q", ae.ErrorMessage())
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("lifecycle")})
	apiError(t, err, "ResourceNotFoundException")
}

// checkLogTail checks the START/END/REPORT lines of an invocation's log tail.
func checkLogTail(t *testing.T, tail string, mem int, cold bool) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(tail, "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("log tail has %d lines:\n%s", len(lines), tail)
	}
	if !strings.HasPrefix(lines[0], "START RequestId: ") || !strings.HasSuffix(lines[0], " Version: $LATEST") {
		t.Errorf("START line %q", lines[0])
	}
	id := strings.Fields(lines[0])[2]
	if lines[len(lines)-2] != "END RequestId: "+id {
		t.Errorf("END line %q", lines[len(lines)-2])
	}
	report := lines[len(lines)-1]
	fields := strings.Split(report, "\t")
	if fields[0] != "REPORT RequestId: "+id || fields[len(fields)-1] != "" {
		t.Errorf("REPORT line %q", report)
	}
	var dur float64
	var billed, memSize, maxMem int
	if _, err := fmt.Sscanf(fields[1], "Duration: %f ms", &dur); err != nil {
		t.Errorf("Duration field %q", fields[1])
	}
	if _, err := fmt.Sscanf(fields[2], "Billed Duration: %d ms", &billed); err != nil || float64(billed) < dur {
		t.Errorf("Billed Duration field %q (duration %.2f)", fields[2], dur)
	}
	if _, err := fmt.Sscanf(fields[3], "Memory Size: %d MB", &memSize); err != nil || memSize != mem {
		t.Errorf("Memory Size field %q", fields[3])
	}
	if _, err := fmt.Sscanf(fields[4], "Max Memory Used: %d MB", &maxMem); err != nil || maxMem < 1 || maxMem > mem {
		t.Errorf("Max Memory Used field %q", fields[4])
	}
	hasInit := len(fields) > 6 && strings.HasPrefix(fields[5], "Init Duration: ")
	if hasInit != cold {
		t.Errorf("Init Duration present=%v, want %v: %q", hasInit, cold, report)
	}
}

func TestListFunctionsPaging(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	var want []string
	for i := 0; i < 7; i++ {
		name := fmt.Sprintf("list-%02d", i)
		createFn(t, c, name, "echo")
		want = append(want, name)
	}
	var got []string
	pages := 0
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Functions) > 3 {
			t.Errorf("page of %d > MaxItems 3", len(page.Functions))
		}
		for _, f := range page.Functions {
			got = append(got, aws.ToString(f.FunctionName))
		}
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("paged %d pages: %v, want %v", pages, got, want)
	}
	// Another region sees none of them.
	other, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{}, func(o *lambda.Options) { o.Region = "eu-west-1" })
	if err != nil || len(other.Functions) != 0 {
		t.Errorf("eu-west-1 lists %v %v", other, err)
	}
}

func TestInvokeOutcomes(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()

	t.Run("handler error", func(t *testing.T) {
		createFn(t, c, "fails", "error")
		out := invokeFn(t, c, "fails", `{}`)
		if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" {
			t.Fatalf("status %d error %v", out.StatusCode, out.FunctionError)
		}
		var body struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		}
		if err := json.Unmarshal(out.Payload, &body); err != nil || body.ErrorMessage != "something went wrong" || body.ErrorType != "errorString" {
			t.Errorf("error body %s", out.Payload)
		}
	})

	t.Run("panic", func(t *testing.T) {
		createFn(t, c, "panics", "panic")
		for i := 0; i < 2; i++ { // the runtime exits after a panic; the next invoke gets a fresh environment
			out := invokeFn(t, c, "panics", `{}`)
			var body struct {
				ErrorMessage string `json:"errorMessage"`
				ErrorType    string `json:"errorType"`
				StackTrace   []any  `json:"stackTrace"`
			}
			if err := json.Unmarshal(out.Payload, &body); err != nil || aws.ToString(out.FunctionError) != "Unhandled" ||
				body.ErrorMessage != "boom" || body.ErrorType != "string" || len(body.StackTrace) == 0 {
				t.Errorf("panic body %s (%v)", out.Payload, out.FunctionError)
			}
		}
	})

	t.Run("timeout", func(t *testing.T) {
		createFn(t, c, "sleepy", "sleep", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
		start := time.Now()
		out := invokeFn(t, c, "sleepy", `{"Ms":3000}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
		if el := time.Since(start); el > 2500*time.Millisecond {
			t.Errorf("timeout took %v", el)
		}
		var body struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		}
		json.Unmarshal(out.Payload, &body) //nolint:errcheck
		tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		id := strings.Fields(string(tail))[2]
		if aws.ToString(out.FunctionError) != "Unhandled" || body.ErrorType != "Sandbox.Timedout" ||
			body.ErrorMessage != "RequestId: "+id+" Error: Task timed out after 1.00 seconds" {
			t.Errorf("timeout body %s", out.Payload)
		}
		if !strings.Contains(string(tail), id+" Task timed out after 1.00 seconds\n") || !strings.Contains(string(tail), "Status: timeout") ||
			strings.Contains(string(tail), "Max Memory Used: 0 MB") {
			t.Errorf("timeout tail:\n%s", tail)
		}
		// The environment was replaced: a short sleep now succeeds.
		out = invokeFn(t, c, "sleepy", `{"Ms":10}`)
		if out.FunctionError != nil || !strings.HasPrefix(string(out.Payload), `{"pid":`) {
			t.Errorf("after timeout: %s %v", out.Payload, out.FunctionError)
		}
	})

	t.Run("crash", func(t *testing.T) {
		createFn(t, c, "crashes", "exit")
		out := invokeFn(t, c, "crashes", `{}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
		var body struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		}
		json.Unmarshal(out.Payload, &body) //nolint:errcheck
		if body.ErrorType != "Runtime.ExitError" || !strings.HasSuffix(body.ErrorMessage, " Error: Runtime exited with error: exit status 3") {
			t.Errorf("crash body %s", out.Payload)
		}
	})

	t.Run("init exit", func(t *testing.T) {
		createFn(t, c, "initfail", "initfail")
		out := invokeFn(t, c, "initfail", `{}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
		var body struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		}
		json.Unmarshal(out.Payload, &body) //nolint:errcheck
		tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if aws.ToString(out.FunctionError) != "Unhandled" || body.ErrorType != "Runtime.ExitError" ||
			!strings.HasSuffix(body.ErrorMessage, "Error: Runtime exited with error: exit status 2") {
			t.Errorf("init exit body %s", out.Payload)
		}
		if !strings.Contains(string(tail), "init failed: missing configuration") {
			t.Errorf("init output missing from tail:\n%s", tail)
		}
	})

	t.Run("init error", func(t *testing.T) {
		createFn(t, c, "initerror", "initerror")
		out := invokeFn(t, c, "initerror", `{}`)
		if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != `{"errorMessage":"cannot load handler","errorType":"Runtime.HandlerNotFound"}` {
			t.Errorf("init error: %s %v", out.Payload, out.FunctionError)
		}
	})

	t.Run("response too large", func(t *testing.T) {
		// At 128 MB the function gets 7% of a vCPU, and on VMs whose memory the
		// host backs lazily, first-touch page faults alone outlast 3 s.
		createFn(t, c, "big", "big", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(60) })
		out := invokeFn(t, c, "big", `{}`)
		if aws.ToString(out.FunctionError) != "Unhandled" ||
			string(out.Payload) != `{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes)."}` {
			t.Errorf("too large: %.300s %v", out.Payload, out.FunctionError)
		}
	})

	t.Run("request too large", func(t *testing.T) {
		createFn(t, c, "echo-big", "echo")
		payload := `"` + strings.Repeat("x", 6291456) + `"`
		_, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("echo-big"), Payload: []byte(payload)})
		ae := apiError(t, err, "RequestEntityTooLargeException")
		if ae.ErrorMessage() != "Request must be smaller than 6291456 bytes for the InvokeFunction operation" {
			t.Errorf("message %q", ae.ErrorMessage())
		}
	})
}

func TestRuntimeEnvironment(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	createFn(t, c, "envfn", "env", func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(512)
		in.Timeout = aws.Int32(7)
		in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hi"}}
	})
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"},"env":{"a":"b"}}`))
	start := time.Now()
	out := invokeFn(t, c, "envfn", `{}`, func(in *lambda.InvokeInput) {
		in.ClientContext = aws.String(cc)
		in.Qualifier = aws.String("$LATEST")
	})
	var got struct {
		Env                map[string]string `json:"env"`
		RequestID          string            `json:"requestId"`
		InvokedFunctionArn string            `json:"invokedFunctionArn"`
		DeadlineMs         int64             `json:"deadlineMs"`
		ClientContext      struct {
			Custom map[string]string `json:"custom"`
			Env    map[string]string `json:"env"`
		} `json:"clientContext"`
		TraceID string `json:"traceId"`
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	e := got.Env
	want := map[string]string{
		"GREETING":                        "hi",
		"AWS_LAMBDA_FUNCTION_NAME":        "envfn",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/envfn",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"_HANDLER":                        "env",
		"TZ":                              ":UTC",
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"AWS_ENDPOINT_URL":                ts.URL,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
	}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("%s = %q, want %q", k, e[k], v)
		}
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_RUNTIME_API", "PATH", "LANG", "LD_LIBRARY_PATH"} {
		if e[k] == "" {
			t.Errorf("%s not set", k)
		}
	}
	if _, ok := e["AWS_EXECUTION_ENV"]; ok {
		t.Errorf("AWS_EXECUTION_ENV is set for a provided runtime: %q", e["AWS_EXECUTION_ENV"])
	}
	// yyyy/mm/dd/[$LATEST]<32 hex>
	stream := e["AWS_LAMBDA_LOG_STREAM_NAME"]
	if len(stream) != len("2006/01/02/[$LATEST]")+32 || !strings.HasPrefix(stream, time.Now().UTC().Format("2006/01/02")+"/[$LATEST]") {
		t.Errorf("log stream name %q", stream)
	}
	if got.InvokedFunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:envfn:$LATEST" {
		t.Errorf("invoked ARN %q", got.InvokedFunctionArn)
	}
	dl := time.UnixMilli(got.DeadlineMs)
	if dl.Before(start.Add(6*time.Second)) || dl.After(time.Now().Add(7*time.Second)) {
		t.Errorf("deadline %v not ~7s after %v", dl, start)
	}
	if got.ClientContext.Custom["k"] != "v" || got.ClientContext.Env["a"] != "b" {
		t.Errorf("client context %+v", got.ClientContext)
	}
	if !strings.HasPrefix(got.TraceID, "Root=1-") {
		t.Errorf("trace id %q", got.TraceID)
	}
	if len(got.RequestID) != 36 {
		t.Errorf("request id %q", got.RequestID)
	}
}

func TestUpdatesReplaceEnvironments(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	v1 := withMarker(t, testFunctionZip(t), "v1")
	v2 := withMarker(t, testFunctionZip(t), "v2")
	createFn(t, c, "upd", "marker", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = v1 })

	type markerOut struct {
		Marker string `json:"marker"`
		Stream string `json:"stream"` // names the environment
	}
	call := func() markerOut {
		var m markerOut
		out := invokeFn(t, c, "upd", `{}`)
		if err := json.Unmarshal(out.Payload, &m); err != nil {
			t.Fatalf("%v: %s", err, out.Payload)
		}
		return m
	}
	first := call()
	if first.Marker != "v1" || call().Stream != first.Stream {
		t.Fatalf("v1 not warm-reused: %+v", first)
	}
	upd, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("upd"), ZipFile: v2})
	if err != nil {
		t.Fatal(err)
	}
	if upd.LastUpdateStatus != types.LastUpdateStatusInProgress {
		t.Errorf("update status %s", upd.LastUpdateStatus)
	}
	second := call()
	if second.Marker != "v2" || second.Stream == first.Stream {
		t.Errorf("after UpdateFunctionCode: %+v (before %+v)", second, first)
	}

	// Configuration: the environment variable and memory reach a new environment.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("upd"), Handler: aws.String("env"), MemorySize: aws.Int32(1024),
		Environment: &types.Environment{Variables: map[string]string{"COLOR": "blue"}},
	}); err != nil {
		t.Fatal(err)
	}
	out := invokeFn(t, c, "upd", `{}`)
	var envOut struct{ Env map[string]string }
	json.Unmarshal(out.Payload, &envOut) //nolint:errcheck
	if envOut.Env["COLOR"] != "blue" || envOut.Env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] != "1024" {
		t.Errorf("after UpdateFunctionConfiguration: %s", out.Payload)
	}

	// A stale RevisionId is refused and changes nothing.
	cfg, _ := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("upd")})
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("upd"), Timeout: aws.Int32(9), RevisionId: aws.String("00000000-0000-0000-0000-000000000000")})
	apiError(t, err, "PreconditionFailedException")
	after, _ := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("upd")})
	if aws.ToString(after.RevisionId) != aws.ToString(cfg.RevisionId) || aws.ToInt32(after.Timeout) != aws.ToInt32(cfg.Timeout) {
		t.Errorf("failed update changed the function")
	}
}

// withMarker returns a copy of zip with a "marker" file holding s.
func withMarker(t *testing.T, zipBytes []byte, s string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := zw.Create("marker")
	io.WriteString(w, s) //nolint:errcheck
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestConcurrencyScalesAndThrottles(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	createFn(t, c, "par", "sleep")

	// N parallel invocations run in N environments (distinct processes); then the
	// same N run warm in those environments again.
	const n = 6
	round := func() map[string]bool {
		pids := map[string]bool{} // by log stream, which names the environment
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out := invokeFn(t, c, "par", `{"Ms":300}`)
				var r struct{ Stream string }
				if err := json.Unmarshal(out.Payload, &r); err != nil || out.FunctionError != nil {
					t.Errorf("parallel invoke: %s", out.Payload)
				}
				mu.Lock()
				pids[r.Stream] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
		return pids
	}
	first := round()
	if len(first) != n {
		t.Errorf("%d parallel invocations ran in %d environments", n, len(first))
	}
	second := round()
	for pid := range second {
		if !first[pid] {
			t.Errorf("second round started a new environment (%s) instead of reusing a warm one", pid)
		}
	}

	// Reserved concurrency 2: a third concurrent invocation is throttled.
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("par"), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	gc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("par")})
	if err != nil || aws.ToInt32(gc.ReservedConcurrentExecutions) != 2 {
		t.Fatalf("GetFunctionConcurrency %v %v", gc, err)
	}
	results := make(chan error, 3)
	for i := 0; i < 2; i++ {
		go func() {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("par"), Payload: []byte(`{"Ms":1500}`)})
			results <- err
		}()
	}
	time.Sleep(500 * time.Millisecond)
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("par"), Payload: []byte(`{"Ms":1}`)})
	var tmr *types.TooManyRequestsException
	if !errors.As(err, &tmr) || tmr.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded || aws.ToString(tmr.Message) != "Rate Exceeded." {
		t.Errorf("third invoke: want TooManyRequestsException, got %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := <-results; err != nil {
			t.Errorf("reserved invoke: %v", err)
		}
	}
	// Zero reserved: every invocation is throttled.
	c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("par"), ReservedConcurrentExecutions: aws.Int32(0)}) //nolint:errcheck
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("par"), Payload: []byte(`{"Ms":1}`)})
	apiError(t, err, "TooManyRequestsException")
	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("par")}); err != nil {
		t.Fatal(err)
	}
	invokeFn(t, c, "par", `{"Ms":1}`)

	acct, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil || acct.AccountLimit.ConcurrentExecutions != 1000 || aws.ToInt32(acct.AccountLimit.UnreservedConcurrentExecutions) != 1000 ||
		acct.AccountUsage.FunctionCount != 1 || acct.AccountLimit.CodeSizeUnzipped != 262144000 {
		t.Errorf("GetAccountSettings %+v %v", acct, err)
	}
	// Over the account's unreserved minimum of 100.
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("par"), ReservedConcurrentExecutions: aws.Int32(901)})
	apiError(t, err, "InvalidParameterValueException")
}

func TestAccountConcurrencyLimit(t *testing.T) {
	ts := startServer(t, "", "--account-concurrency", "3")
	c := ts.lambdaClient()
	createFn(t, c, "acct", "sleep")
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("acct"), Payload: []byte(`{"Ms":1000}`)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok, throttled := 0, 0
	for err := range errs {
		var tmr *types.TooManyRequestsException
		switch {
		case err == nil:
			ok++
		case errors.As(err, &tmr) && tmr.Reason == types.ThrottleReasonConcurrentInvocationLimitExceeded:
			throttled++
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 3 || throttled != 2 {
		t.Errorf("ok=%d throttled=%d, want 3 and 2", ok, throttled)
	}
}

func TestRestartKeepsFunctions(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	c := ts.lambdaClient()
	createFn(t, c, "durable", "echo", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"ALPHA": "1"}}
	})
	before, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("durable")})
	if err != nil {
		t.Fatal(err)
	}
	ts.Stop(t)

	ts2 := startServer(t, dir)
	c2 := ts2.lambdaClient()
	after, err := c2.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("durable")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(after.RevisionId) != aws.ToString(before.RevisionId) || aws.ToString(after.CodeSha256) != aws.ToString(before.CodeSha256) ||
		after.Environment.Variables["ALPHA"] != "1" {
		t.Errorf("after restart: %+v", after)
	}
	out := invokeFn(t, c2, "durable", `{"after":"restart"}`)
	if string(out.Payload) != `{"after":"restart"}` {
		t.Errorf("invoke after restart: %s", out.Payload)
	}
}

// TestShutdownStopsEnvironments checks that stopping the server (as SIGTERM does)
// stops every execution environment's process.
func TestShutdownStopsEnvironments(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	createFn(t, c, "stopme", "pid")
	var streams []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ { // three concurrent invocations: three environments
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := envStream(t, invokeFn(t, c, "stopme", `{}`).Payload)
			mu.Lock()
			streams = append(streams, stream)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, s := range streams {
		if len(envProcesses(s)) == 0 {
			t.Fatalf("no process of environment %s found while it runs", s)
		}
	}
	ts.Stop(t)
	for _, s := range streams {
		if pids := envProcesses(s); len(pids) > 0 {
			t.Errorf("environment %s still has processes %v after shutdown", s, pids)
		}
	}
}

// envStream returns the log stream a testdata/fn pid invocation reports, which
// names its environment.
func envStream(t *testing.T, payload []byte) string {
	t.Helper()
	var r struct{ Stream string }
	if err := json.Unmarshal(payload, &r); err != nil || r.Stream == "" {
		t.Fatalf("no stream in %s", payload)
	}
	return r.Stream
}

// TestKeepAliveReapsIdleEnvironments: with --keep-alive 300ms an environment idle
// for longer is stopped, and the next invocation is a cold start in a new process.
func TestKeepAliveReapsIdleEnvironments(t *testing.T) {
	ts := startServer(t, "", "--keep-alive", "300ms")
	c := ts.lambdaClient()
	createFn(t, c, "reaped", "pid")
	streamOf := func() string { return envStream(t, invokeFn(t, c, "reaped", `{}`).Payload) }
	first := streamOf()
	if again := streamOf(); again != first {
		t.Fatalf("warm invoke ran in a new environment (%s, then %s)", first, again)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(envProcesses(first)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("idle environment %s not reaped", first)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if next := streamOf(); next == first {
		t.Errorf("invoke after reaping reused environment %s", next)
	}
}

// TestRestartRebuildsUnpackedCode: the unpacked code is a cache of the stored
// package; if it is lost, a restart unpacks it again and the function still runs.
func TestRestartRebuildsUnpackedCode(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	createFn(t, ts.lambdaClient(), "rebuilt", "echo")
	ts.Stop(t)
	if err := os.RemoveAll(filepath.Join(dir, "code")); err != nil {
		t.Fatal(err)
	}
	ts2 := startServer(t, dir)
	if out := invokeFn(t, ts2.lambdaClient(), "rebuilt", `{"ok":1}`); string(out.Payload) != `{"ok":1}` || out.FunctionError != nil {
		t.Errorf("after losing unpacked code: %s %v", out.Payload, out.FunctionError)
	}
}
