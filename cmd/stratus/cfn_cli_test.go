package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const samTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 5
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://cli-code/fn.zip
      Runtime: provided.al2023
      Handler: env
      Environment:
        Variables:
          GREETING: from-sam
Outputs:
  FnName:
    Value: !Ref Fn
`

// TestCfnCLI drives stacks with Debian's aws CLI: deploy of a plain template
// (change sets underneath) and its waiter, change sets by hand, a template
// read from S3, and deploy of a SAM template.
func TestCfnCLI(t *testing.T) {
	t.Parallel()
	awsBin := awsCLIv2(t)
	ts := startServer(t, "")
	putCode(t, ts.URL, "cfn-code")
	putCode(t, ts.URL, "cli-code")
	run, dir, env := awsCLIRunner(t, awsBin, ts)
	lc, cl := ts.lambdaClient(), cfnClient(ts.URL)
	ctx := context.Background()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// runText runs the CLI for its text output (deploy prints no JSON).
	runText := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(awsBin, append([]string{"--endpoint-url", ts.URL}, args...)...)
		cmd.Env, cmd.Dir = env, dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	app := write("app.yaml", appTemplate)

	out := runText("cloudformation", "deploy", "--template-file", app, "--stack-name", "cli-app",
		"--capabilities", "CAPABILITY_IAM", "--parameter-overrides", "Greeting=hi")
	if !strings.Contains(out, "Successfully created/updated stack - cli-app") {
		t.Fatalf("deploy said:\n%s", out)
	}
	run("cloudformation", "wait", "stack-create-complete", "--stack-name", "cli-app")
	if got := greeting(t, lc, "cli-app-fn-a"); got != "hi" {
		t.Fatalf("GREETING %q after deploy", got)
	}
	out = runText("cloudformation", "deploy", "--template-file", app, "--stack-name", "cli-app",
		"--capabilities", "CAPABILITY_IAM", "--parameter-overrides", "Greeting=hi", "--no-fail-on-empty-changeset")
	if !strings.Contains(out, "No changes to deploy") {
		t.Fatalf("deploy of the same template said:\n%s", out)
	}

	// Change sets: one in place, one replacing the function.
	csArgs := func(name string, params ...string) []string {
		return append([]string{"cloudformation", "create-change-set", "--stack-name", "cli-app", "--change-set-name", name,
			"--use-previous-template", "--capabilities", "CAPABILITY_IAM", "--parameters"}, params...)
	}
	run(csArgs("inplace", "ParameterKey=Greeting,ParameterValue=yo")...)
	run(csArgs("replace", "ParameterKey=Greeting,UsePreviousValue=true", "ParameterKey=Suffix,ParameterValue=z")...)
	changes := func(cs string) map[string]string {
		d := run("cloudformation", "describe-change-set", "--stack-name", "cli-app", "--change-set-name", cs)
		if d["Status"] != "CREATE_COMPLETE" || d["ExecutionStatus"] != "AVAILABLE" {
			t.Fatalf("change set %s: %v", cs, d)
		}
		m := map[string]string{}
		for _, c := range d["Changes"].([]any) {
			rc := c.(map[string]any)["ResourceChange"].(map[string]any)
			m[rc["LogicalResourceId"].(string)] = rc["Action"].(string) + "/" + rc["Replacement"].(string)
		}
		return m
	}
	if got := changes("inplace"); len(got) != 1 || got["Fn"] != "Modify/False" {
		t.Fatalf("in-place change set's changes %v", got)
	}
	if got := changes("replace"); got["Fn"] != "Modify/True" || got["Mapping"] != "Modify/Conditional" {
		t.Fatalf("replacing change set's changes %v", got)
	}
	available := 0
	l := run("cloudformation", "list-change-sets", "--stack-name", "cli-app")
	for _, s := range l["Summaries"].([]any) {
		if s.(map[string]any)["ExecutionStatus"] == "AVAILABLE" {
			available++
		}
	}
	if available != 2 {
		t.Fatalf("list-change-sets: %d available, want 2: %v", available, l)
	}
	run("cloudformation", "delete-change-set", "--stack-name", "cli-app", "--change-set-name", "replace")
	run("cloudformation", "execute-change-set", "--stack-name", "cli-app", "--change-set-name", "inplace")
	run("cloudformation", "wait", "stack-update-complete", "--stack-name", "cli-app")
	if got := greeting(t, lc, "cli-app-fn-a"); got != "yo" {
		t.Fatalf("GREETING %q after the change set", got)
	}

	// A template in Stratus's S3, named by the URL forms the CLI and SDKs send.
	queue := "Resources:\n  Q:\n    Type: AWS::SQS::Queue\nOutputs:\n  Url:\n    Value: !Ref Q\n"
	if _, err := s3Client(ts.URL).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfn-code"), Key: aws.String("tpl/queue.yaml"), Body: strings.NewReader(queue)}); err != nil {
		t.Fatal(err)
	}
	run("cloudformation", "create-stack", "--stack-name", "from-url", "--template-url", ts.URL+"/cfn-code/tpl/queue.yaml")
	run("cloudformation", "wait", "stack-create-complete", "--stack-name", "from-url")
	for i, u := range []string{"https://s3.amazonaws.com/cfn-code/tpl/queue.yaml", "https://cfn-code.s3.us-east-1.amazonaws.com/tpl/queue.yaml"} {
		name := []string{"url-path", "url-host"}[i]
		if _, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateURL: aws.String(u)}); err != nil {
			t.Fatalf("TemplateURL %s: %v", u, err)
		}
		waitStack(t, cl, name, "CREATE_COMPLETE")
	}
	_, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("nokey"), TemplateURL: aws.String(ts.URL + "/cfn-code/none.yaml")})
	wantCfnError(t, err, "ValidationError", "S3 error: ")

	// SAM: the transform runs on the change set deploy makes, and
	// GetTemplate shows both stages. (aws cloudformation package, and deploy
	// --s3-bucket, of aws-cli 2.9 send their S3 calls to AWS whatever
	// --endpoint-url says, so the code is uploaded beforehand.)
	sam := write("sam.yaml", samTemplate)
	out = runText("cloudformation", "deploy", "--template-file", sam, "--stack-name", "cli-sam", "--capabilities", "CAPABILITY_IAM")
	if !strings.Contains(out, "Successfully created/updated stack - cli-sam") {
		t.Fatalf("deploy of the SAM template said:\n%s", out)
	}
	st := waitStack(t, cl, "cli-sam", "CREATE_COMPLETE")
	fn := outputsOf(st)["FnName"]
	if !strings.HasPrefix(fn, "cli-sam-Fn") {
		t.Fatalf("SAM function name %q", fn)
	}
	if got := greeting(t, lc, fn); got != "from-sam" {
		t.Fatalf("SAM function's GREETING %q", got)
	}
	processed := run("cloudformation", "get-template", "--stack-name", "cli-sam", "--template-stage", "Processed")
	if body, _ := processed["TemplateBody"].(map[string]any); body == nil || !strings.Contains(mustJSON(t, body), "AWS::Lambda::Function") {
		t.Fatalf("processed template %v", processed)
	}
	original := run("cloudformation", "get-template", "--stack-name", "cli-sam")
	if !strings.Contains(mustJSON(t, original), "AWS::Serverless::Function") {
		t.Fatalf("original template %v", original)
	}
	run("cloudformation", "delete-stack", "--stack-name", "cli-sam")
	run("cloudformation", "wait", "stack-delete-complete", "--stack-name", "cli-sam")
}
