package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sdkOut is what testdata/fn's "sdk" mode answers: its AWS_ENDPOINT_URL and the
// outcome of each call it made.
type sdkOut struct {
	Endpoint string `json:"endpoint"`
	Calls    []struct {
		Op        string `json:"op"`
		Status    int    `json:"status"`
		RequestID string `json:"requestId"`
		Error     string `json:"error"`
	} `json:"calls"`
}

// TestSDKCallsAttributed has two functions make AWS API calls from inside (through
// aws-sdk-go-v2 clients built from the environment Stratus gives them) and checks
// that /metrics counts each call under the function that made it, with its
// service, operation and status, that the test's own calls count under none, and
// that the debug log names the caller of an Invoke beside the callee's request id.
// The server checks signatures (--auth strict), as the calls must still pass.
// It runs in both sandboxes: in oci the endpoint is served at the edge's own
// address inside each environment's network namespace; in process each
// environment gets a port of its own.
func TestSDKCallsAttributed(t *testing.T) {
	for _, sb := range []string{"oci", "process"} {
		t.Run(sb, func(t *testing.T) {
			if sb == "oci" {
				skipWithoutOCI(t)
			}
			// Strict auth: the functions' signatures must verify on their own
			// listeners, whose Host (a port of its own in process) they sign.
			creds := filepath.Join(t.TempDir(), "credentials")
			if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIDTEST\naws_secret_access_key = secret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			ts := startServer(t, "", "--sandbox", sb, "--log-level", "debug", "--auth", "strict", "--credentials-file", creds)
			c := ts.lambdaClient()
			createFn(t, c, "caller-a", "sdk")
			createFn(t, c, "caller-b", "sdk")
			createFn(t, c, "callee", "echo")
			if _, err := c.ListFunctions(context.Background(), &lambda.ListFunctionsInput{}); err != nil {
				t.Fatal(err)
			}

			outA := invokeFn(t, c, "caller-a", `{"Calls":[{"Op":"ListFunctions"},{"Op":"Invoke","Name":"callee"}]}`)
			a := sdkCalled(t, outA, 200, 200)
			b := sdkCalled(t, invokeFn(t, c, "caller-b", `{"Calls":[{"Op":"DescribeLogGroups"},{"Op":"GetFunction","Name":"missing"},{"Op":"ListFunctions"}]}`), 200, 404, 200)
			if sb == "oci" && (a.Endpoint != ts.URL || b.Endpoint != ts.URL) {
				t.Errorf("AWS_ENDPOINT_URL %q and %q, want the server's own %s", a.Endpoint, b.Endpoint, ts.URL)
			}
			if sb == "process" && (a.Endpoint == ts.URL || a.Endpoint == b.Endpoint) {
				t.Errorf("AWS_ENDPOINT_URL %q and %q: each environment needs a port of its own (the server's is %s)", a.Endpoint, b.Endpoint, ts.URL)
			}

			want := map[string]float64{
				"caller-a $LATEST lambda ListFunctions 200":   1,
				"caller-a $LATEST lambda Invoke 200":          1,
				"caller-b $LATEST logs DescribeLogGroups 200": 1,
				"caller-b $LATEST lambda GetFunction 404":     1,
				"caller-b $LATEST lambda ListFunctions 200":   1,
			}
			if got := functionRequests(t, ts); !mapsEqual(got, want) {
				t.Errorf("stratus_function_aws_requests_total:\n got %v\nwant %v", got, want)
			}

			// The callee's request id, as its own START line shows it, with the
			// caller and the caller's request id on one line.
			callerID, _ := awsmw.GetRequestIDMetadata(outA.ResultMetadata)
			line := logLine(ts.stderr.String(), "operation=Invoke")
			for _, f := range []string{"function=caller-a", "caller_request_id=" + callerID, "request_id=" + a.Calls[1].RequestID, "service=lambda", "status=200"} {
				if !slices.Contains(strings.Fields(line), f) {
					t.Errorf("debug line %q lacks %s", line, f)
				}
			}
		})
	}
}

// sdkCalled decodes an "sdk" mode answer and checks each call's status.
func sdkCalled(t *testing.T, out *lambda.InvokeOutput, statuses ...int) sdkOut {
	t.Helper()
	var o sdkOut
	if err := json.Unmarshal(out.Payload, &o); err != nil || out.FunctionError != nil {
		t.Fatalf("%v: %s", err, out.Payload)
	}
	if len(o.Calls) != len(statuses) {
		t.Fatalf("calls: %s", out.Payload)
	}
	for i, s := range statuses {
		if o.Calls[i].Status != s || o.Calls[i].RequestID == "" {
			t.Errorf("call %d: %+v, want status %d and a request id", i, o.Calls[i], s)
		}
	}
	return o
}

// functionRequests scrapes stratus_function_aws_requests_total as
// "function version service operation status" → count.
func functionRequests(t *testing.T, ts *testServer) map[string]float64 {
	t.Helper()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range fams["stratus_function_aws_requests_total"].GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		if l["region"] != "us-east-1" {
			t.Errorf("region label %q", l["region"])
		}
		got[strings.Join([]string{l["function"], l["version"], l["service"], l["operation"], l["status"]}, " ")] += m.GetCounter().GetValue()
	}
	return got
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// logLine is the first line of the server's log that reports an AWS request from
// a function and holds field.
func logLine(log, field string) string {
	for l := range strings.Lines(log) {
		if strings.Contains(l, `msg="aws request from a function"`) && slices.Contains(strings.Fields(l), field) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
