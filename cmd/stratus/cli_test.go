package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLIv2 finds the aws CLI v2 (Debian's awscli package). Another, older aws may
// come first on PATH, so the package's path is tried first. CI must have it; a
// developer machine without it skips.
func awsCLIv2(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/bin/aws"}
	if p, err := exec.LookPath("aws"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		out, err := exec.Command(p, "--version").CombinedOutput()
		if err == nil && strings.HasPrefix(string(out), "aws-cli/2.") {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("aws CLI v2 not found (apt-get install awscli)")
	}
	t.Skip("aws CLI v2 not found (apt-get install awscli)")
	return ""
}

// TestAWSCLIJourney is the README's quick start through the real aws CLI: create,
// invoke with a log tail, update, list, concurrency, tags, delete. Each CLI call costs
// most of a second, so this is one journey.
func TestAWSCLIJourney(t *testing.T) {
	aws := awsCLIv2(t)
	ts := startServer(t, "")
	run, dir, env := awsCLIRunner(t, aws, ts)

	created := run("lambda", "create-function", "--function-name", "hello",
		"--runtime", "provided.al2023", "--handler", "bootstrap", "--role", "arn:aws:iam::000000000000:role/x",
		"--zip-file", "fileb://fn.zip", "--memory-size", "256", "--timeout", "5",
		"--environment", "Variables={GREETING=hi}", "--tags", "team=stratus")
	if created["FunctionArn"] != "arn:aws:lambda:us-east-1:000000000000:function:hello" || created["State"] != "Pending" ||
		created["MemorySize"] != 256.0 || created["Runtime"] != "provided.al2023" {
		t.Errorf("create-function: %v", created)
	}
	run("lambda", "wait", "function-active-v2", "--function-name", "hello")

	inv := run("lambda", "invoke", "--function-name", "hello", "--payload", `{"name":"x"}`,
		"--cli-binary-format", "raw-in-base64-out", "--log-type", "Tail", "out.json")
	if inv["StatusCode"] != 200.0 || inv["ExecutedVersion"] != "$LATEST" {
		t.Errorf("invoke: %v", inv)
	}
	if _, hasErr := inv["FunctionError"]; hasErr {
		t.Errorf("invoke reported a function error: %v", inv)
	}
	body, _ := os.ReadFile(filepath.Join(dir, "out.json"))
	if string(body) != `{"name":"x"}` {
		t.Errorf("out.json = %s", body)
	}
	tail, _ := base64.StdEncoding.DecodeString(inv["LogResult"].(string))
	checkLogTail(t, string(tail), 256, true)

	upd := run("lambda", "update-function-configuration", "--function-name", "hello", "--timeout", "9",
		"--environment", "Variables={GREETING=hello}")
	if upd["Timeout"] != 9.0 || upd["LastUpdateStatus"] != "InProgress" {
		t.Errorf("update-function-configuration: %v", upd)
	}
	run("lambda", "wait", "function-updated-v2", "--function-name", "hello")
	run("lambda", "update-function-code", "--function-name", "hello", "--zip-file", "fileb://fn.zip")

	list := run("lambda", "list-functions", "--max-items", "10")
	fns, _ := list["Functions"].([]any)
	if len(fns) != 1 || fns[0].(map[string]any)["FunctionName"] != "hello" {
		t.Errorf("list-functions: %v", list)
	}
	got := run("lambda", "get-function", "--function-name", "hello")
	cfg := got["Configuration"].(map[string]any)
	if cfg["Timeout"] != 9.0 || cfg["State"] != "Active" || got["Tags"].(map[string]any)["team"] != "stratus" {
		t.Errorf("get-function: %v", got)
	}

	run("lambda", "put-function-concurrency", "--function-name", "hello", "--reserved-concurrent-executions", "5")
	conc := run("lambda", "get-function-concurrency", "--function-name", "hello")
	if conc["ReservedConcurrentExecutions"] != 5.0 {
		t.Errorf("get-function-concurrency: %v", conc)
	}
	acct := run("lambda", "get-account-settings")
	if acct["AccountLimit"].(map[string]any)["UnreservedConcurrentExecutions"] != 995.0 {
		t.Errorf("get-account-settings: %v", acct)
	}
	run("lambda", "delete-function", "--function-name", "hello")

	// An error comes back as the CLI shows AWS's: code and message on stderr, exit 254.
	cmd := exec.Command(aws, "--endpoint-url", ts.URL, "lambda", "get-function", "--function-name", "hello")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 254 ||
		!strings.Contains(string(out), "(ResourceNotFoundException) when calling the GetFunction operation: Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello") {
		t.Errorf("get-function after delete: %v\n%s", err, out)
	}
}

// awsCLIRunner writes testFunctionZip to fn.zip in a fresh directory and returns a
// function running the aws CLI there against ts, answering its JSON output, plus
// the directory and the environment the CLI runs with.
func awsCLIRunner(t *testing.T, aws string, ts *testServer) (run func(args ...string) map[string]any, dir string, env []string) {
	dir = t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	if err := os.WriteFile(zipPath, testFunctionZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	run = func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(aws, append([]string{"--endpoint-url", ts.URL, "--output", "json"}, args...)...)
		cmd.Env = env
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		var m map[string]any
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		return m
	}
	return run, dir, env
}
