package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestPooledColdStarts starts a Go, a Node.js and a Python function, each in a
// container the oci sandbox created ahead of need (the metrics say so), and
// checks each answers and sees Lambda's environment: its code at /var/task, its
// variables, its memory size. Node.js takes the Runtime API socket the waiting
// container holds as descriptor 3.
func TestPooledColdStarts(t *testing.T) {
	ts := startServer(t, t.TempDir(), "--sandbox", "oci", "--sandbox-pool", "2")
	c := ts.lambdaClient()
	waitReady := func() {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); poolMetric(t, ts, "stratus_sandbox_pool_ready", "") < 2; {
			if time.Now().After(deadline) {
				t.Fatal("the pool never filled")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	waitReady()
	createFn(t, c, "pooled-go", "env", func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(200)
		in.Environment = &types.Environment{Variables: map[string]string{"QUOTED": `it's "x" $HOME`}}
	})
	var got struct {
		Env map[string]string `json:"env"`
	}
	if err := json.Unmarshal(invokeFn(t, c, "pooled-go", `{}`).Payload, &got); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"QUOTED": `it's "x" $HOME`, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "200",
		"LAMBDA_TASK_ROOT": "/var/task", "AWS_LAMBDA_FUNCTION_NAME": "pooled-go"} {
		if got.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, got.Env[k], v)
		}
	}
	if n := poolMetric(t, ts, "stratus_sandbox_pool_starts_total", "pooled"); n != 1 {
		t.Fatalf("pooled starts = %v after the first cold start, want 1", n)
	}

	waitReady()
	createNodeFn(t, c, nodeZip(t), "pooled-node", "index.handler")
	if out := invokeFn(t, c, "pooled-node", `{"n":1}`); out.FunctionError != nil {
		t.Fatalf("node: %s %s", *out.FunctionError, out.Payload)
	}

	waitReady()
	skipWithoutPython(t)
	createPyFn(t, c, "pooled-py", map[string]string{"lambda_function.py": "import os\ndef lambda_handler(e, c):\n    return os.getcwd()\n"})
	if out := invokeFn(t, c, "pooled-py", `{}`); string(out.Payload) != `"/var/task"` {
		t.Fatalf("python: %s", out.Payload)
	}
	if n := poolMetric(t, ts, "stratus_sandbox_pool_starts_total", "pooled"); n != 3 {
		t.Errorf("pooled starts = %v, want 3", n)
	}
	if n := poolMetric(t, ts, "stratus_sandbox_pool_starts_total", "unsuited"); n != 0 {
		t.Errorf("unsuited starts = %v, want 0", n)
	}
}

// poolMetric reads one of the pool's metrics; how selects the starts counter's label.
func poolMetric(t *testing.T, ts *testServer, name, how string) float64 {
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
	for _, m := range fams[name].GetMetric() {
		if how != "" && !matches(m, map[string]string{"how": how}) {
			continue
		}
		if m.GetCounter() != nil {
			return m.GetCounter().GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no %s%s in /metrics", name, strings.TrimSuffix(" "+how, " "))
	return 0
}
