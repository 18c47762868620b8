package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// asyncFlags shorten Lambda's minute-long retry delays and hour-long event ages.
var asyncFlags = []string{"--async-retry-delay", "40ms", "--async-age-unit", "10ms", hostFiles[0], hostFiles[1]}

// hostFiles runs a server's functions in the process sandbox. The async tests
// observe what ran through files their functions write on the host (the append and
// failn modes); a container may write nowhere but its own /tmp, by design, so
// these tests run where functions share the host's file system. Isolation has its
// own tests (isolation_test.go).
var hostFiles = []string{"--sandbox", "process"}

// invokeAsync sends an Event invoke and returns the request id of its 202.
func invokeAsync(t *testing.T, c *lambda.Client, name, payload string) string {
	t.Helper()
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String(name), Payload: []byte(payload), InvocationType: types.InvocationTypeEvent,
	})
	if err != nil {
		t.Fatalf("Invoke Event %s: %v", name, err)
	}
	if out.StatusCode != http.StatusAccepted || len(out.Payload) != 0 || out.FunctionError != nil {
		t.Fatalf("Event invoke: status %d, payload %q, function error %v", out.StatusCode, out.Payload, out.FunctionError)
	}
	id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if !ok || id == "" {
		t.Fatal("Event invoke: no request id")
	}
	return id
}

// line is one line testdata/fn's append and failn modes write.
type line struct {
	RequestID string          `json:"requestId"`
	Event     json.RawMessage `json:"event"`
	Attempt   int             `json:"attempt"`
}

func readLines(t testing.TB, path string) []line {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %q: %v", path, sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// waitLines waits until path holds at least n lines.
func waitLines(t testing.TB, path string, n int, within time.Duration) []line {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := readLines(t, path)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d lines after %s, want %d", path, len(got), within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAsyncInvokeRunsTheFunction(t *testing.T) {
	ts := startServer(t, "", asyncFlags...)
	c := ts.lambdaClient()
	createFn(t, c, "async-append", "append")
	file := filepath.Join(t.TempDir(), "ran")
	payload := jsonString(map[string]any{"file": file, "n": 1})
	id := invokeAsync(t, c, "async-append", payload)
	got := waitLines(t, file, 1, 10*time.Second)
	if got[0].RequestID != id {
		t.Errorf("function saw request id %s, the 202 said %s", got[0].RequestID, id)
	}
	if !jsonEqual(got[0].Event, []byte(payload)) {
		t.Errorf("function got %s, want %s", got[0].Event, payload)
	}
	// Exactly once when it succeeds.
	time.Sleep(300 * time.Millisecond)
	if n := len(readLines(t, file)); n != 1 {
		t.Errorf("ran %d times, want 1", n)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestAsyncInvokeBadInput(t *testing.T) {
	ts := startServer(t, "", asyncFlags...)
	c := ts.lambdaClient()
	createFn(t, c, "async-bad", "append")
	ctx := context.Background()
	cases := []struct {
		name, fn, code, msg string
		payload             []byte
	}{
		{"too large", "async-bad", "RequestEntityTooLargeException",
			"1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
			[]byte(`"` + strings.Repeat("x", 1048575) + `"`)},
		{"missing function", "nope", "ResourceNotFoundException",
			"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope", []byte(`{}`)},
		{"not json", "async-bad", "InvalidRequestContentException", "", []byte(`{`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(tc.fn), Payload: tc.payload, InvocationType: types.InvocationTypeEvent})
			ae := apiError(t, err, tc.code)
			if tc.msg != "" && ae.ErrorMessage() != tc.msg {
				t.Errorf("message %q, want %q", ae.ErrorMessage(), tc.msg)
			}
		})
	}
	// Nothing was queued.
	var stats struct{ Depth int64 }
	getJSON(t, ts.URL+"/_stratus/async-queue", &stats)
	if stats.Depth != 0 {
		t.Errorf("refused events left %d in the queue", stats.Depth)
	}
	// An exactly 1 MB payload is accepted.
	invokeAsync(t, c, "async-bad", `"`+strings.Repeat("x", 1048574)+`"`)
}

// record is AWS's destination record, field by field.
type record struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext struct {
		StatusCode      int     `json:"statusCode"`
		ExecutedVersion string  `json:"executedVersion"`
		FunctionError   *string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

func destinationRecord(t *testing.T, l line) record {
	t.Helper()
	var r record
	if err := json.Unmarshal(l.Event, &r); err != nil {
		t.Fatalf("destination got %s: %v", l.Event, err)
	}
	if r.Version != "1.0" {
		t.Errorf("record version %q", r.Version)
	}
	if ts, err := time.Parse("2006-01-02T15:04:05.000Z", r.Timestamp); err != nil || time.Since(ts) > time.Minute {
		t.Errorf("record timestamp %q: %v", r.Timestamp, err)
	}
	return r
}

func putEventConfig(t *testing.T, c *lambda.Client, in *lambda.PutFunctionEventInvokeConfigInput) {
	t.Helper()
	if _, err := c.PutFunctionEventInvokeConfig(context.Background(), in); err != nil {
		t.Fatalf("PutFunctionEventInvokeConfig: %v", err)
	}
}

func TestAsyncRetryThenSuccess(t *testing.T) {
	ts := startServer(t, "", asyncFlags...)
	c := ts.lambdaClient()
	createFn(t, c, "flaky", "failn")
	dest := createDestination(t, c, "on-success")
	putEventConfig(t, c, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("flaky"),
		DestinationConfig: &types.DestinationConfig{OnSuccess: &types.OnSuccess{
			Destination: aws.String("arn:aws:lambda:us-east-1:000000000000:function:on-success")}},
	})
	file := filepath.Join(t.TempDir(), "attempts")
	payload := jsonString(map[string]any{"file": file, "fails": 2})
	start := time.Now()
	id := invokeAsync(t, c, "flaky", payload)
	recs := waitLines(t, dest, 1, 15*time.Second)
	attempts := readLines(t, file)
	if len(attempts) != 3 {
		t.Fatalf("%d attempts, want 3: %+v", len(attempts), attempts)
	}
	for i, a := range attempts {
		if a.RequestID != id || a.Attempt != i+1 {
			t.Errorf("attempt %d: %+v, want request id %s", i+1, a, id)
		}
	}
	// Backoff: 1 then 2 units of --async-retry-delay.
	if el := time.Since(start); el < 120*time.Millisecond {
		t.Errorf("three attempts within %s: no backoff", el)
	}
	r := destinationRecord(t, recs[0])
	if r.RequestContext.RequestID != id || r.RequestContext.Condition != "Success" || r.RequestContext.ApproximateInvokeCount != 3 ||
		r.RequestContext.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:flaky:$LATEST" {
		t.Errorf("requestContext %+v", r.RequestContext)
	}
	if !jsonEqual(r.RequestPayload, []byte(payload)) || !jsonEqual(r.ResponsePayload, []byte(`{"attempt":3}`)) {
		t.Errorf("payloads %s / %s", r.RequestPayload, r.ResponsePayload)
	}
	if r.ResponseContext.StatusCode != 200 || r.ResponseContext.ExecutedVersion != "$LATEST" || r.ResponseContext.FunctionError != nil {
		t.Errorf("responseContext %+v", r.ResponseContext)
	}
	// The destination invocation is an event of its own.
	if recs[0].RequestID == id {
		t.Error("destination ran with the source event's request id")
	}
}

func TestAsyncRetriesExhausted(t *testing.T) {
	ts := startServer(t, "", asyncFlags...)
	c := ts.lambdaClient()
	const dlq = "arn:aws:sqs:us-east-1:000000000000:dead"
	qc := ts.sqsClient()
	dq, err := qc.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("dead")})
	if err != nil {
		t.Fatal(err)
	}
	createFn(t, c, "broken", "failn", func(in *lambda.CreateFunctionInput) {
		in.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String(dlq)}
	})
	createFn(t, c, "broken-once", "failn")
	failures := createDestination(t, c, "on-failure")
	onFailure := &types.DestinationConfig{OnFailure: &types.OnFailure{
		Destination: aws.String("arn:aws:lambda:us-east-1:000000000000:function:on-failure")}}
	putEventConfig(t, c, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("broken"), DestinationConfig: onFailure})
	putEventConfig(t, c, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("broken-once"),
		MaximumRetryAttempts: aws.Int32(0), DestinationConfig: onFailure})

	dir := t.TempDir()
	payload := jsonString(map[string]any{"file": filepath.Join(dir, "a"), "fails": 10})
	id := invokeAsync(t, c, "broken", payload)
	payload0 := jsonString(map[string]any{"file": filepath.Join(dir, "b"), "fails": 10})
	id0 := invokeAsync(t, c, "broken-once", payload0)

	recs := waitLines(t, failures, 2, 15*time.Second)
	byID := map[string]record{}
	for _, l := range recs {
		r := destinationRecord(t, l)
		byID[r.RequestContext.RequestID] = r
	}
	for _, want := range []struct {
		id, fn, payload string
		count           int
	}{{id, "broken", payload, 3}, {id0, "broken-once", payload0, 1}} {
		r, ok := byID[want.id]
		if !ok {
			t.Fatalf("no record for %s", want.fn)
		}
		if r.RequestContext.Condition != "RetriesExhausted" || r.RequestContext.ApproximateInvokeCount != want.count ||
			r.RequestContext.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:"+want.fn+":$LATEST" {
			t.Errorf("%s requestContext %+v", want.fn, r.RequestContext)
		}
		if r.ResponseContext.StatusCode != 200 || r.ResponseContext.ExecutedVersion != "$LATEST" ||
			aws.ToString(r.ResponseContext.FunctionError) != "Unhandled" {
			t.Errorf("%s responseContext %+v", want.fn, r.ResponseContext)
		}
		var errBody struct{ ErrorMessage, ErrorType string }
		json.Unmarshal(r.ResponsePayload, &errBody) //nolint:errcheck
		if errBody.ErrorMessage != "attempt "+itoa(want.count)+" failed" || errBody.ErrorType == "" {
			t.Errorf("%s responsePayload %s", want.fn, r.ResponsePayload)
		}
		if !jsonEqual(r.RequestPayload, []byte(want.payload)) {
			t.Errorf("%s requestPayload %s", want.fn, r.RequestPayload)
		}
	}
	if n := len(readLines(t, filepath.Join(dir, "b"))); n != 1 {
		t.Errorf("MaximumRetryAttempts 0: %d attempts", n)
	}

	// The dead letter carries the payload and Lambda's attributes.
	// The dead letter is in the queue, with the payload and Lambda's attributes.
	got, err := qc.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: dq.QueueUrl,
		MessageAttributeNames: []string{"All"}, MaxNumberOfMessages: 10, WaitTimeSeconds: 5})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("dead letters: %v %+v", err, got)
	}
	m := got.Messages[0]
	a := m.MessageAttributes
	if !jsonEqual([]byte(aws.ToString(m.Body)), []byte(payload)) || aws.ToString(a["RequestID"].StringValue) != id ||
		aws.ToString(a["ErrorCode"].DataType) != "Number" || aws.ToString(a["ErrorCode"].StringValue) != "200" ||
		aws.ToString(a["ErrorMessage"].StringValue) != "attempt 3 failed" {
		t.Errorf("dead letter %+v", m)
	}
	cfg, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("broken")})
	if err != nil || cfg.DeadLetterConfig == nil || aws.ToString(cfg.DeadLetterConfig.TargetArn) != dlq {
		t.Errorf("DeadLetterConfig: %v %+v", err, cfg)
	}
}

func itoa(n int) string { return jsonString(n) }

func TestAsyncEventAgeExceeded(t *testing.T) {
	// With an age unit of 10 ms, MaximumEventAgeInSeconds 60 lasts 600 ms, and the
	// first retry (after 1 s) would come too late.
	ts := startServer(t, "", "--async-retry-delay", "1s", "--async-age-unit", "10ms", hostFiles[0], hostFiles[1])
	c := ts.lambdaClient()
	createFn(t, c, "aging", "failn")
	out := createDestination(t, c, "aged-out")
	putEventConfig(t, c, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("aging"), MaximumEventAgeInSeconds: aws.Int32(60),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{
			Destination: aws.String("arn:aws:lambda:us-east-1:000000000000:function:aged-out")}},
	})
	attempts := filepath.Join(t.TempDir(), "attempts")
	start := time.Now()
	id := invokeAsync(t, c, "aging", jsonString(map[string]any{"file": attempts, "fails": 10}))
	r := destinationRecord(t, waitLines(t, out, 1, 10*time.Second)[0])
	if el := time.Since(start); el < 600*time.Millisecond {
		t.Errorf("expired after %s, before its age", el)
	}
	if r.RequestContext.RequestID != id || r.RequestContext.Condition != "EventAgeExceeded" || r.RequestContext.ApproximateInvokeCount != 1 {
		t.Errorf("requestContext %+v", r.RequestContext)
	}
	if n := len(readLines(t, attempts)); n != 1 {
		t.Errorf("%d attempts, want 1: the retry was due after the event's age", n)
	}
}

// createDestination creates an append function whose events (destination records)
// go to the file it returns.
func createDestination(t *testing.T, c *lambda.Client, name string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	createFn(t, c, name, "append", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"APPEND_FILE": file}}
	})
	return file
}

func TestAsyncThrottledEventsWait(t *testing.T) {
	ts := startServer(t, "", asyncFlags...)
	c := ts.lambdaClient()
	createFn(t, c, "narrow", "append")
	if _, err := c.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("narrow"), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ran")
	const n = 5
	ids := map[string]bool{}
	for range n {
		ids[invokeAsync(t, c, "narrow", jsonString(map[string]any{"file": file, "ms": 150}))] = true
	}
	// While the one environment works through them, the others wait in the queue.
	var stats struct{ Depth, OldestAgeMs int64 }
	getJSON(t, ts.URL+"/_stratus/async-queue", &stats)
	if stats.Depth < 2 || stats.OldestAgeMs < 0 {
		t.Errorf("queue stats while throttled: %+v", stats)
	}
	waitLines(t, file, n, 20*time.Second)
	time.Sleep(200 * time.Millisecond)
	got := readLines(t, file)
	getJSON(t, ts.URL+"/_stratus/async-queue", &stats)
	if stats.Depth != 0 || stats.OldestAgeMs != 0 {
		t.Errorf("queue stats when done: %+v", stats)
	}
	if len(got) != n {
		t.Errorf("%d runs, want %d (each exactly once: throttles are not attempts)", len(got), n)
	}
	for _, l := range got {
		if !ids[l.RequestID] {
			t.Errorf("unexpected request id %s", l.RequestID)
		}
		delete(ids, l.RequestID)
	}
	if len(ids) != 0 {
		t.Errorf("never ran: %v", ids)
	}
}

func TestAsyncDeletedFunctionDropsEvents(t *testing.T) {
	ts := startServer(t, "", "--async-retry-delay", "200ms", "--async-age-unit", "10ms", hostFiles[0], hostFiles[1])
	c := ts.lambdaClient()
	createFn(t, c, "doomed", "failn")
	file := filepath.Join(t.TempDir(), "attempts")
	invokeAsync(t, c, "doomed", jsonString(map[string]any{"file": file, "fails": 10}))
	waitLines(t, file, 1, 10*time.Second)
	if _, err := c.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	// The retry finds no function and is dropped, leaving the queue empty.
	time.Sleep(600 * time.Millisecond)
	if n := len(readLines(t, file)); n != 1 {
		t.Errorf("%d attempts after the delete, want 1", n)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// Throttles are not attempts: with one retry allowed, events that fail once and
// are throttled many times over still all succeed on their second attempt.
func TestAsyncThrottlesDoNotSpendRetries(t *testing.T) {
	ts := startServer(t, "", asyncFlags...)
	c := ts.lambdaClient()
	createFn(t, c, "narrow-flaky", "failn")
	if _, err := c.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("narrow-flaky"), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	failures := createDestination(t, c, "narrow-failures")
	putEventConfig(t, c, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("narrow-flaky"), MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{
			Destination: aws.String("arn:aws:lambda:us-east-1:000000000000:function:narrow-failures")}}})
	file := filepath.Join(t.TempDir(), "attempts")
	const n = 4
	for range n {
		invokeAsync(t, c, "narrow-flaky", jsonString(map[string]any{"file": file, "fails": 1, "ms": 100}))
	}
	got := waitLines(t, file, 2*n, 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	second := 0
	for _, l := range got {
		if l.Attempt == 2 {
			second++
		}
	}
	if second != n || len(readLines(t, file)) != 2*n {
		t.Errorf("%d events reached their second attempt, want %d: %+v", second, n, got)
	}
	if f := readLines(t, failures); len(f) != 0 {
		t.Errorf("%d events failed: throttles spent their retries", len(f))
	}
}
