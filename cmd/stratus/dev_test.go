package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// devTemplate is a SAM app of a Python function behind an HttpApi route
// and a function URL, and a Go function built from source.
const devTemplate = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 5
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Handler: app.handler
      Runtime: python3.12
      FunctionUrlConfig:
        AuthType: NONE
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: get
  GoFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./gofn
      Handler: bootstrap
      Runtime: provided.al2023
Outputs:
  ApiId:
    Value: !Ref ServerlessHttpApi
  GoName:
    Value: !Ref GoFn
`

const pyHandler = `def handler(event, context):
    return {"statusCode": 200, "body": "%s"}
`

// goHandler is a provided.al2023 function speaking the Runtime API with
// the standard library only, so that building it needs no module download.
const goHandler = `package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
)

const answer = "%s"

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		r, err := http.Get(api + "next")
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		resp, err := http.Post(api+r.Header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", "application/json", bytes.NewReader([]byte("\"" + answer + "\"")))
		if err != nil {
			os.Exit(1)
		}
		resp.Body.Close()
	}
}
`

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// devEnv points the deploy commands' AWS configuration at throwaway keys.
func devEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

// waitFor polls f every 20 ms until it holds, failing with what after d.
func waitFor(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeployAndDev(t *testing.T) {
	skipWithoutPython(t)
	devEnv(t)
	ts := startServer(t, "")
	dir := t.TempDir()
	tpl := filepath.Join(dir, "template.yaml")
	writeFile(t, tpl, devTemplate)
	writeFile(t, filepath.Join(dir, "hello", "app.py"), strings.Replace(pyHandler, "%s", "v1", 1))
	writeFile(t, filepath.Join(dir, "gofn", "go.mod"), "module gofn\n\ngo 1.26\n")
	writeFile(t, filepath.Join(dir, "gofn", "main.go"), strings.Replace(goHandler, "%s", "go1", 1))
	ctx := context.Background()
	args := []string{tpl, "--endpoint-url", ts.URL, "--stack-name", "devapp"}

	var out, errb bytes.Buffer
	if err := run(ctx, append([]string{"deploy"}, args...), &out, &errb); err != nil {
		t.Fatalf("deploy: %v\n%s", err, errb.String())
	}
	outputs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("output line %q is not KEY<TAB>VALUE", line)
		}
		outputs[k] = v
	}
	if outputs["ApiId"] == "" || outputs["GoName"] == "" || !strings.Contains(errb.String(), "stack devapp CREATE_COMPLETE") {
		t.Fatalf("deploy printed %q, stderr %q", out.String(), errb.String())
	}
	api := outputs["ApiId"] + ".execute-api.localhost"
	hello := func() string {
		r := ts.call(t, "GET", api, "/hello", nil, nil)
		return string(r.Body)
	}
	lc := ts.lambdaClient()
	goAnswer := func() string {
		o, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(outputs["GoName"])})
		if err != nil {
			t.Fatal(err)
		}
		return string(o.Payload)
	}
	if got := hello(); got != "v1" {
		t.Fatalf("GET /hello = %q, want v1", got)
	}
	if got := goAnswer(); got != `"go1"` {
		t.Fatalf("Go function answered %s, want \"go1\"", got)
	}
	// The code went to the deploy bucket under its digest.
	objs, err := s3Client(ts.URL).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("stratus-deploy-us-east-1")})
	if err != nil || len(objs.Contents) != 2 {
		t.Fatalf("deploy bucket holds %v (%v), want the two code packages", objs, err)
	}

	// Packaging is deterministic: the same sources change nothing.
	out.Reset()
	errb.Reset()
	if err := run(ctx, append([]string{"deploy", "--output", "json"}, args...), &out, &errb); err != nil {
		t.Fatalf("second deploy: %v\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "No changes to deploy") || !strings.Contains(out.String(), `"NoChanges":true`) {
		t.Fatalf("second deploy printed %q, stderr %q", out.String(), errb.String())
	}

	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	devOut, devErr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(dctx, append([]string{"dev"}, args...), devOut, devErr) }()
	waitFor(t, 10*time.Second, "dev did not start watching", func() bool { return strings.Contains(devErr.String(), "watching 2 function(s)") })

	// The Python function is warm from the calls above: the reload must
	// replace its environment, not only the stored code.
	writeFile(t, filepath.Join(dir, "hello", "app.py"), strings.Replace(pyHandler, "%s", "v2", 1))
	t0 := time.Now()
	waitFor(t, 5*time.Second, "the edited handler never answered", func() bool { return hello() == "v2" })
	t.Logf("Python edit answered after %s", time.Since(t0))
	if !strings.Contains(devOut.String(), "reloaded Hello in ") || strings.Contains(devOut.String(), "reloaded GoFn") {
		t.Errorf("dev printed %q, want one reload of Hello only", devOut.String())
	}

	writeFile(t, filepath.Join(dir, "gofn", "main.go"), strings.Replace(goHandler, "%s", "go2", 1))
	waitFor(t, 20*time.Second, "the edited Go function never answered", func() bool { return goAnswer() == `"go2"` })

	// A Go compile error is reported and the function keeps its code.
	writeFile(t, filepath.Join(dir, "gofn", "main.go"), "package main\n\nfunc main() { undefined() }\n")
	waitFor(t, 20*time.Second, "the build failure was not reported", func() bool { return strings.Contains(devErr.String(), "reload GoFn failed") })
	if got := goAnswer(); got != `"go2"` {
		t.Errorf("after a failed build the Go function answered %s, want \"go2\"", got)
	}

	// A template change redeploys the stack (packaging every function, so
	// the Go one must build again).
	writeFile(t, filepath.Join(dir, "gofn", "main.go"), strings.Replace(goHandler, "%s", "go3", 1))
	waitFor(t, 20*time.Second, "the fixed Go function never answered", func() bool { return goAnswer() == `"go3"` })
	writeFile(t, tpl, devTemplate+"  Extra:\n    Value: added\n")
	cl := cfnClient(ts.URL)
	waitFor(t, 10*time.Second, "the template change was not deployed", func() bool {
		st, err := describeStack(ctx, cl, "devapp")
		return err == nil && st != nil && outputMap(st)["Extra"] == "added"
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dev did not stop when its context ended")
	}
}

func TestDeployFailure(t *testing.T) {
	devEnv(t)
	ts := startServer(t, "")
	dir := t.TempDir()
	ctx := context.Background()
	deployTemplate := func(body string) (string, error) {
		tpl := filepath.Join(dir, "template.yaml")
		writeFile(t, tpl, body)
		var out, errb bytes.Buffer
		err := run(ctx, []string{"deploy", tpl, "--endpoint-url", ts.URL, "--stack-name", "bad"}, &out, &errb)
		return errb.String(), err
	}

	// A resource that fails: the stack rolls back and its reason is shown.
	_, err := deployTemplate("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  Net:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.0.0.0/16\n")
	if !errors.Is(err, errDeployFailed) || !strings.Contains(err.Error(), "ROLLBACK_COMPLETE") ||
		!strings.Contains(err.Error(), "Net AWS::EC2::VPC CREATE_FAILED: ") || !strings.Contains(err.Error(), "Stratus does not support AWS::EC2::VPC yet") {
		t.Fatalf("deploy of a failing stack: %v", err)
	}

	// The rolled back stack is replaced by the next deploy.
	logs, err := deployTemplate("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
	if err != nil || !strings.Contains(logs, "ROLLBACK_COMPLETE from a failed create: deleting it") {
		t.Fatalf("redeploy after a rollback: %v\n%s", err, logs)
	}

	// A template CloudFormation rejects gets its ValidationError.
	_, err = deployTemplate("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Nope\n")
	if !errors.Is(err, errDeployFailed) || !strings.Contains(err.Error(), "ValidationError: Template format error: Unresolved resource dependencies [Nope]") {
		t.Fatalf("deploy of an invalid template: %v", err)
	}

	// A CodeUri that does not exist names its function before anything is sent.
	_, err = deployTemplate("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: missing/\n      Handler: app.handler\n      Runtime: python3.12\n")
	if err == nil || !strings.Contains(err.Error(), "Fn: CodeUri") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("deploy with a missing CodeUri: %v", err)
	}
}
