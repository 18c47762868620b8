package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stratus-run/stratus/internal/metering"
)

// billedFromTail invokes name with LogType Tail and returns the REPORT line's
// Billed Duration in ms.
func billedFromTail(t *testing.T, c *lambda.Client, name, payload string) (billedMs int64, failed bool) {
	t.Helper()
	out := invokeFn(t, c, name, payload, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
	tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(tail), "\n") {
		if !strings.HasPrefix(line, "REPORT ") {
			continue
		}
		for _, f := range strings.Split(line, "\t") {
			if _, err := fmt.Sscanf(f, "Billed Duration: %d ms", &billedMs); err == nil {
				return billedMs, out.FunctionError != nil
			}
		}
	}
	t.Fatalf("no Billed Duration in tail:\n%s", tail)
	return 0, false
}

// usageJSON runs `stratus usage --output json` against ts.
func usageJSON(t *testing.T, ts *testServer, args ...string) metering.Response {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"usage", "--endpoint", ts.URL, "--output", "json"}, args...), &out, &errb); err != nil {
		t.Fatalf("stratus usage: %v\n%s", err, errb.String())
	}
	var r metering.Response
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return r
}

func fnLine(r metering.Response, name string) metering.FunctionCost {
	for _, f := range r.Functions {
		if f.Function == name {
			return f
		}
	}
	return metering.FunctionCost{}
}

func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

func TestUsageAgreesWithReportLines(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	createFn(t, c, "good", "echo")
	createFn(t, c, "bad", "error", func(in *lambda.CreateFunctionInput) {
		in.Architectures = []types.Architecture{types.ArchitectureArm64}
		in.MemorySize = aws.Int32(256)
	})
	createFn(t, c, "held", "echo")
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("held"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}

	type want struct {
		requests, errors, billedMs int64
		memMB                      int64
		price                      float64
	}
	wants := map[string]*want{"good": {memMB: 128, price: 0.0000166667}, "bad": {memMB: 256, price: 0.0000133334}}
	for i, name := range []string{"good", "good", "bad", "good", "bad"} {
		billed, failed := billedFromTail(t, c, name, fmt.Sprintf(`{"i":%d}`, i))
		w := wants[name]
		w.requests++
		w.billedMs += billed
		if failed {
			w.errors++
		}
	}
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("held"), Payload: []byte(`{}`)})
	apiError(t, err, "TooManyRequestsException")

	check := func(r metering.Response, freeTier bool) {
		t.Helper()
		var gross float64
		for name, w := range wants {
			f := fnLine(r, name)
			gbs := float64(w.billedMs) / 1000 * float64(w.memMB) / 1024
			cost := float64(w.requests)*0.2/1e6 + gbs*w.price
			if f.Requests != w.requests || f.Errors != w.errors || f.BilledMs != w.billedMs || !closeTo(f.GBSeconds, gbs) || !closeTo(f.Cost, cost) {
				t.Errorf("%s: usage %+v, want %+v (GB-s %v, cost %v)", name, f, *w, gbs, cost)
			}
			gross += cost
		}
		if fnLine(r, "held").Requests != 0 {
			t.Errorf("a throttled request was billed: %+v", r.Functions)
		}
		wantNet := gross
		if freeTier {
			wantNet = 0 // well inside the monthly free tier
		}
		if !closeTo(r.GrossCost, gross) || !closeTo(r.NetCost, wantNet) || r.Requests != 5 || r.Currency != "USD" || r.BillingGranularity != "1ms" {
			t.Errorf("totals: gross %v net %v requests %d (want gross %v net %v)", r.GrossCost, r.NetCost, r.Requests, gross, wantNet)
		}
	}
	check(usageJSON(t, ts), true)

	// The HTTP endpoint says the same.
	resp, err := http.Get(ts.URL + "/_stratus/usage?free-tier=false")
	if err != nil {
		t.Fatal(err)
	}
	var viaHTTP metering.Response
	json.NewDecoder(resp.Body).Decode(&viaHTTP) //nolint:errcheck
	resp.Body.Close()
	check(viaHTTP, false)
	if got := usageJSON(t, ts, "--function", "bad"); len(got.Functions) != 1 || got.Functions[0].Function != "bad" {
		t.Errorf("--function bad: %+v", got.Functions)
	}

	// Text output: one line per function, whitespace-separated.
	var text bytes.Buffer
	if err := run(ctx, []string{"usage", "--endpoint", ts.URL}, &text, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), fmt.Sprintf("good      us-east-1  x86_64  3         0       %d", wants["good"].billedMs)) {
		t.Errorf("text output:\n%s", text.String())
	}

	checkMetrics(t, ts)

	// Bad periods are refused with a reason, by the endpoint and the CLI.
	for _, q := range []string{"month=2026-13", "start=2026-11-02&end=2026-11-01", "nope=1"} {
		resp, err := http.Get(ts.URL + "/_stratus/usage?" + q)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e) //nolint:errcheck
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || e.Error == "" {
			t.Errorf("%s: HTTP %d %q", q, resp.StatusCode, e.Error)
		}
	}
	if err := run(ctx, []string{"usage", "--endpoint", ts.URL, "--month", "2026-13"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "yyyy-mm") {
		t.Errorf("--month 2026-13: %v", err)
	}

	// The ledger survives a restart.
	ts.Stop(t)
	ts = startServer(t, ts.DataDir)
	check(usageJSON(t, ts), true)
}

// checkMetrics scrapes /metrics and checks the counters against what was invoked.
func checkMetrics(t *testing.T, ts *testServer) {
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
	value := func(name string, labels map[string]string) float64 {
		for _, m := range fams[name].GetMetric() {
			if matches(m, labels) {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				if m.GetHistogram() != nil {
					return float64(m.GetHistogram().GetSampleCount())
				}
				return m.GetGauge().GetValue()
			}
		}
		return -1
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"stratus_lambda_invocations_total", map[string]string{"function": "good", "outcome": "ok", "version": "$LATEST"}, 3},
		{"stratus_lambda_invocations_total", map[string]string{"function": "bad", "outcome": "error"}, 2},
		{"stratus_lambda_errors_total", map[string]string{"function": "bad"}, 2},
		{"stratus_lambda_errors_total", map[string]string{"function": "good"}, -1},
		{"stratus_lambda_throttles_total", map[string]string{"function": "held"}, 1},
		{"stratus_lambda_cold_starts_total", map[string]string{"function": "good"}, 1},
		{"stratus_lambda_duration_seconds", map[string]string{"function": "good"}, 3},
		{"stratus_lambda_account_concurrent_executions", nil, 0},
		{"stratus_async_queue_depth", nil, 0},
	} {
		if got := value(tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	// A signed GET /metrics is an AWS request (an S3 bucket named metrics), not a scrape.
	req, _ := http.NewRequest("GET", ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261126/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode == http.StatusOK {
		t.Errorf("signed GET /metrics was served as a scrape")
	}
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := labels[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(labels)
}

func TestBillingGranularity100ms(t *testing.T) {
	ts := startServer(t, "", "--billing-granularity", "100ms")
	c := ts.lambdaClient()
	createFn(t, c, "coarse", "echo")
	var total int64
	for i := 0; i < 2; i++ {
		billed, _ := billedFromTail(t, c, "coarse", `{}`)
		if billed%100 != 0 || billed < 100 {
			t.Errorf("Billed Duration %d ms at 100 ms granularity", billed)
		}
		total += billed
	}
	r := usageJSON(t, ts)
	if f := fnLine(r, "coarse"); f.BilledMs != total || r.BillingGranularity != "100ms" {
		t.Errorf("usage %+v (granularity %s), want billed %d ms", f, r.BillingGranularity, total)
	}
	var errb bytes.Buffer
	m := &Main{Stderr: &errb}
	if err := m.ParseFlags([]string{"--billing-granularity", "1500us"}); err == nil {
		t.Error("--billing-granularity 1500us accepted")
	}
}
