package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// chainHandler is a Python function calling the next function of a chain with
// boto3, written as AWS's documentation writes one: the client made once, at init.
const chainHandler = `import json
import os

import boto3

lambda_client = boto3.client("lambda")


def lambda_handler(event, context):
    result = {
        "function": context.function_name,
        "requestId": context.aws_request_id,
        "traceId": os.environ.get("_X_AMZN_TRACE_ID"),
        "tag": event.get("tag"),
    }
    rest = event.get("next") or []
    if rest:
        kwargs = {"InvocationType": "Event"} if event.get("async") else {}
        payload = {
            "next": rest[1:],
            "tag": event.get("tag"),
            "ids": (event.get("ids") or []) + [context.aws_request_id],
            "file": event.get("file"),
        }
        response = lambda_client.invoke(FunctionName=rest[0], Payload=json.dumps(payload), **kwargs)
        result["childRequestId"] = response["ResponseMetadata"]["RequestId"]
        result["childStatus"] = response["StatusCode"]
        body = response["Payload"].read()
        if body:
            result["child"] = json.loads(body)
    return result
`

type hop struct {
	Function       string   `json:"function"`
	RequestID      string   `json:"requestId"`
	TraceID        string   `json:"traceId"`
	Tag            string   `json:"tag"`
	IDs            []string `json:"ids"`
	ChildRequestID string   `json:"childRequestId"`
	ChildStatus    int      `json:"childStatus"`
	Child          *hop     `json:"child"`
}

func skipWithoutBoto3(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import boto3").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Debian's python3-boto3 is missing (apt-get install python3-boto3)")
		}
		t.Skip("no boto3 for /usr/bin/python3 (apt-get install python3-boto3)")
	}
}

// TestFunctionChain runs A (Go, aws-sdk-go-v2) → B (Python, boto3) → C (Go): each
// function's SDK finds Stratus through the endpoint and credentials it is given,
// every hop sees the request id its caller got back, and one trace id runs along
// the chain, each hop with a segment of its own.
func TestFunctionChain(t *testing.T) {
	skipWithoutPython(t)
	skipWithoutBoto3(t)
	ts := startServer(t, "")
	lc := ts.lambdaClient()
	long := func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(30) }
	createFn(t, lc, "chain-a", "chain", long)
	createPyFn(t, lc, "chain-b", map[string]string{"lambda_function.py": chainHandler}, long)
	createFn(t, lc, "chain-c", "chain", long)

	const root = "1-67891233-abcdef012345678912345678"
	out := invokeFn(t, lc, "chain-a", `{"next":["chain-b","chain-c"],"tag":"t1"}`)
	if out.FunctionError != nil {
		t.Fatalf("chain failed: %s", out.Payload)
	}
	var a hop
	if err := json.Unmarshal(out.Payload, &a); err != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	idA, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	b, c := a.Child, (*hop)(nil)
	if b != nil {
		c = b.Child
	}
	if b == nil || c == nil || c.Child != nil {
		t.Fatalf("chain result: %s", out.Payload)
	}
	if a.Function != "chain-a" || b.Function != "chain-b" || c.Function != "chain-c" || a.Tag != "t1" || b.Tag != "t1" || c.Tag != "t1" {
		t.Errorf("hops: %s", out.Payload)
	}
	// Request ids: each caller got back the id its callee ran with.
	if a.RequestID != idA || a.ChildRequestID != b.RequestID || b.ChildRequestID != c.RequestID ||
		a.ChildStatus != 200 || b.ChildStatus != 200 || idA == b.RequestID || b.RequestID == c.RequestID {
		t.Errorf("request ids along the chain: caller got %s; %s", idA, out.Payload)
	}
	// One trace: the same Root at every hop, a different Parent (segment) each.
	rootOf := traceParts
	ra, pa := rootOf(a.TraceID)
	rb, pb := rootOf(b.TraceID)
	rc, pc := rootOf(c.TraceID)
	if ra == "" || ra != rb || rb != rc || pa == "" || pa == pb || pb == pc || pa == pc {
		t.Errorf("trace along the chain:\n A %s\n B %s\n C %s", a.TraceID, b.TraceID, c.TraceID)
	}

	// A caller's trace header is continued, not replaced.
	out, err := lc.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("chain-a"), Payload: []byte(`{"next":["chain-b"]}`)},
		func(o *lambda.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.SetHeaderValue("X-Amzn-Trace-Id", "Root="+root+";Parent=1111111111111111;Sampled=1"))
		})
	if err != nil {
		t.Fatal(err)
	}
	var a2 hop
	if err := json.Unmarshal(out.Payload, &a2); err != nil || a2.Child == nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	for _, h := range []string{a2.TraceID, a2.Child.TraceID} {
		if r, p := rootOf(h); r != root || p == "1111111111111111" || !strings.Contains(h, "Sampled=1") {
			t.Errorf("trace %q does not continue the caller's Root=%s (Sampled=1)", h, root)
		}
	}
}

// TestFunctionChainAsync runs A → B asynchronously (A's aws-sdk-go-v2 client with
// InvocationType Event), then B → C synchronously with boto3: the 202's request id is
// the one B runs with, and the trace still runs from A to C.
func TestFunctionChainAsync(t *testing.T) {
	skipWithoutPython(t)
	skipWithoutBoto3(t)
	ts := startServer(t, "", hostFiles...) // the chain records its hops in a host file
	lc := ts.lambdaClient()
	long := func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(30) }
	createFn(t, lc, "achain-a", "chain", long)
	createPyFn(t, lc, "achain-b", map[string]string{"lambda_function.py": chainHandler}, long)
	createFn(t, lc, "achain-c", "chain", long)

	file := filepath.Join(t.TempDir(), "chain.jsonl")
	ev, _ := json.Marshal(map[string]any{"next": []string{"achain-b", "achain-c"}, "async": true, "tag": "t2", "file": file})
	out := invokeFn(t, lc, "achain-a", string(ev))
	var a hop
	if err := json.Unmarshal(out.Payload, &a); err != nil || out.FunctionError != nil {
		t.Fatalf("A: %v: %s", err, out.Payload)
	}
	if a.ChildStatus != 202 || a.Child != nil || a.ChildRequestID == "" {
		t.Fatalf("A's async invoke of B: %s", out.Payload)
	}
	var c hop
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			if err := json.Unmarshal(bytes.TrimSpace(b), &c); err != nil {
				t.Fatalf("C's record: %v: %s", err, b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("C never ran after A invoked B asynchronously")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// C saw the ids of A and B; B's is the one A's 202 carried.
	if c.Function != "achain-c" || c.Tag != "t2" || len(c.IDs) != 2 || c.IDs[0] != a.RequestID || c.IDs[1] != a.ChildRequestID {
		t.Errorf("C's record %+v; A ran as %s, its 202 said %s", c, a.RequestID, a.ChildRequestID)
	}
	ra, pa := traceParts(a.TraceID)
	rc, pc := traceParts(c.TraceID)
	if ra == "" || ra != rc || pa == pc {
		t.Errorf("trace across the async hop: A %s, C %s", a.TraceID, c.TraceID)
	}
}

// traceParts returns the Root and Parent of an X-Ray trace header.
func traceParts(h string) (root, parent string) {
	for _, f := range strings.Split(h, ";") {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		}
	}
	return root, parent
}
