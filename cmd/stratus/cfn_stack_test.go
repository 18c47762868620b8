package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// appTemplate is a function fed by a queue, with its role, outputs and an
// export. Greeting changes in place, Suffix (in the function's name)
// replaces the function, Memory 1 fails Lambda's validation.
const appTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Description: a queue feeding a function
Parameters:
  Greeting:
    Type: String
    Default: hello
  Suffix:
    Type: String
    Default: a
  Memory:
    Type: Number
    Default: 128
  Secret:
    Type: String
    NoEcho: true
    Default: s3cret
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-fn-${Suffix}"
      Runtime: provided.al2023
      Handler: env
      Role: !GetAtt Role.Arn
      MemorySize: !Ref Memory
      Code:
        S3Bucket: cfn-code
        S3Key: fn.zip
      Environment:
        Variables:
          GREETING: !Ref Greeting
          QUEUE_ARN: !GetAtt Queue.Arn
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Ref Fn
      BatchSize: 5
Outputs:
  FunctionArn:
    Description: the function
    Value: !GetAtt Fn.Arn
    Export:
      Name: !Sub "${AWS::StackName}-fn-arn"
  QueueUrl:
    Value: !Ref Queue
`

// greeting invokes the function and answers its GREETING.
func greeting(t *testing.T, lc *lambda.Client, fn string) string {
	t.Helper()
	out, err := lc.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatalf("invoke %s: %v", fn, err)
	}
	if out.FunctionError != nil {
		t.Fatalf("invoke %s: %s %s", fn, *out.FunctionError, out.Payload)
	}
	var p struct{ Env map[string]string }
	if err := json.Unmarshal(out.Payload, &p); err != nil {
		t.Fatalf("invoke %s: %v: %s", fn, err, out.Payload)
	}
	return p.Env["GREETING"]
}

// TestCfnStackLifecycle creates a stack, updates it in place, by
// replacement and with a failure that rolls back, and deletes it, through
// aws-sdk-go-v2, checking the resources through their own APIs.
func TestCfnStackLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	putCode(t, ts.URL, "cfn-code")
	cl, lc := cfnClient(ts.URL), ts.lambdaClient()
	ctx := context.Background()
	const name = "app"

	_, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(appTemplate)})
	wantCfnError(t, err, "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")

	created, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(appTemplate),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}, Tags: []cfntypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(created.StackId), "arn:aws:cloudformation:us-east-1:000000000000:stack/app/") {
		t.Fatalf("StackId %q", aws.ToString(created.StackId))
	}
	_, err = cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(appTemplate),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}})
	wantCfnError(t, err, "AlreadyExistsException", "Stack [app] already exists")

	st := waitStack(t, cl, name, "CREATE_COMPLETE")
	outs := outputsOf(st)
	if !strings.HasSuffix(outs["FunctionArn"], ":function:app-fn-a") || !strings.Contains(outs["QueueUrl"], "/000000000000/") {
		t.Fatalf("outputs %v", outs)
	}
	params := map[string]string{}
	for _, p := range st.Parameters {
		params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	if params["Secret"] != "****" || params["Greeting"] != "hello" {
		t.Fatalf("parameters %v: want NoEcho masked and defaults shown", params)
	}
	if got := greeting(t, lc, "app-fn-a"); got != "hello" {
		t.Fatalf("GREETING %q", got)
	}
	ids := physicalIDs(t, cl, name)
	if len(ids) != 4 || ids["Fn"] != "app-fn-a" {
		t.Fatalf("resources %v", ids)
	}
	maps, err := lc.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("app-fn-a")})
	if err != nil || len(maps.EventSourceMappings) != 1 || aws.ToString(maps.EventSourceMappings[0].UUID) != ids["Mapping"] {
		t.Fatalf("event source mappings %+v %v, want the stack's %s", maps, err, ids["Mapping"])
	}
	evs := stackEventList(t, cl, name)
	if e := evs[0]; aws.ToString(e.LogicalResourceId) != name || e.ResourceStatus != "CREATE_COMPLETE" {
		t.Fatalf("newest event %s %s, want the stack's CREATE_COMPLETE", aws.ToString(e.LogicalResourceId), e.ResourceStatus)
	}
	for _, r := range []string{"Role", "Queue", "Fn", "Mapping"} {
		if _, ok := findEvent(evs, r, "CREATE_COMPLETE"); !ok {
			t.Errorf("no CREATE_COMPLETE event for %s", r)
		}
	}
	exports, err := cl.ListExports(ctx, &cloudformation.ListExportsInput{})
	if err != nil || len(exports.Exports) != 1 || aws.ToString(exports.Exports[0].Name) != "app-fn-arn" || aws.ToString(exports.Exports[0].Value) != outs["FunctionArn"] {
		t.Fatalf("exports %+v %v", exports, err)
	}
	tpl, err := cl.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name)})
	if err != nil || aws.ToString(tpl.TemplateBody) != appTemplate {
		t.Fatalf("GetTemplate %v: %q", err, aws.ToString(tpl.TemplateBody))
	}
	sum, err := cl.GetTemplateSummary(ctx, &cloudformation.GetTemplateSummaryInput{TemplateBody: aws.String(appTemplate)})
	if err != nil || len(sum.Parameters) != 4 || len(sum.Capabilities) != 1 || len(sum.ResourceTypes) != 4 {
		t.Fatalf("GetTemplateSummary %+v %v", sum, err)
	}

	one, err := cl.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{StackName: aws.String(name), LogicalResourceId: aws.String("Fn")})
	if err != nil || aws.ToString(one.StackResourceDetail.PhysicalResourceId) != "app-fn-a" || one.StackResourceDetail.ResourceStatus != "CREATE_COMPLETE" ||
		aws.ToString(one.StackResourceDetail.ResourceType) != "AWS::Lambda::Function" {
		t.Fatalf("DescribeStackResource %+v %v", one, err)
	}
	byPhysical, err := cl.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{PhysicalResourceId: aws.String("app-fn-a")})
	if err != nil || len(byPhysical.StackResources) != 1 || aws.ToString(byPhysical.StackResources[0].StackId) != *created.StackId {
		t.Fatalf("DescribeStackResources by physical id %+v %v", byPhysical, err)
	}
	_, err = cl.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{StackName: aws.String(name), LogicalResourceId: aws.String("Nope")})
	wantCfnError(t, err, "ValidationError", "Resource Nope does not exist for stack app")
	val, err := cl.ValidateTemplate(ctx, &cloudformation.ValidateTemplateInput{TemplateBody: aws.String(appTemplate)})
	if err != nil || len(val.Parameters) != 4 || len(val.Capabilities) != 1 || val.Capabilities[0] != cfntypes.CapabilityCapabilityIam ||
		aws.ToString(val.Description) != "a queue feeding a function" {
		t.Fatalf("ValidateTemplate %+v %v", val, err)
	}
	processed, err := cl.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name), TemplateStage: cfntypes.TemplateStageProcessed})
	if err != nil || aws.ToString(processed.TemplateBody) != appTemplate {
		t.Fatalf("GetTemplate Processed of a template without transforms: %v %q", err, aws.ToString(processed.TemplateBody))
	}

	iam := []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}
	update := func(kv ...string) error {
		_, err := cl.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String(name), UsePreviousTemplate: aws.Bool(true),
			Parameters: cfnParams(kv...), Capabilities: iam})
		return err
	}
	wantCfnError(t, update(), "ValidationError", "No updates are to be performed.")

	// In place: the same function, with its new environment.
	if err := update("Greeting", "bye"); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, name, "UPDATE_COMPLETE")
	if got := physicalIDs(t, cl, name)["Fn"]; got != "app-fn-a" {
		t.Fatalf("function %s after an in-place update", got)
	}
	if got := greeting(t, lc, "app-fn-a"); got != "bye" {
		t.Fatalf("GREETING %q after the update", got)
	}

	// A failing update rolls back, and the function answers as before.
	if err := update("Greeting", "never", "Memory", "1"); err != nil {
		t.Fatal(err)
	}
	st = waitStack(t, cl, name, "UPDATE_ROLLBACK_COMPLETE")
	evs = stackEventList(t, cl, name)
	if e, ok := findEvent(evs, "Fn", "UPDATE_FAILED"); !ok || !strings.Contains(aws.ToString(e.ResourceStatusReason), "emory") {
		t.Fatalf("Fn's UPDATE_FAILED event %+v (found %v); events:\n%s", e, ok, stackEvents(t, cl, name))
	}
	if e, ok := findEvent(evs, name, "UPDATE_ROLLBACK_IN_PROGRESS"); !ok || !strings.Contains(aws.ToString(e.ResourceStatusReason), "[Fn]") {
		t.Fatalf("stack's rollback event %+v", e)
	}
	if got := greeting(t, lc, "app-fn-a"); got != "bye" {
		t.Fatalf("GREETING %q after the rolled back update", got)
	}

	// Replacement: a new function under the new name, the old one deleted,
	// the mapping moved to it.
	if err := update("Greeting", "bye", "Suffix", "b"); err != nil {
		t.Fatal(err)
	}
	st = waitStack(t, cl, name, "UPDATE_COMPLETE")
	ids = physicalIDs(t, cl, name)
	if ids["Fn"] != "app-fn-b" || !strings.HasSuffix(outputsOf(st)["FunctionArn"], ":function:app-fn-b") {
		t.Fatalf("after the replacement: resources %v, outputs %v", ids, outputsOf(st))
	}
	if got := greeting(t, lc, "app-fn-b"); got != "bye" {
		t.Fatalf("GREETING %q of the replacement", got)
	}
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("app-fn-a")}); !isNotFound(err) {
		t.Fatalf("the replaced function: %v, want it deleted", err)
	}
	if e, ok := findEvent(stackEventList(t, cl, name), "Fn", "DELETE_COMPLETE"); !ok || aws.ToString(e.PhysicalResourceId) != "app-fn-a" {
		t.Fatalf("no cleanup event for the replaced function: %+v", e)
	}

	// Termination protection, then delete.
	if _, err := cl.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{StackName: aws.String(name), EnableTerminationProtection: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)})
	wantCfnError(t, err, "ValidationError", "cannot be deleted while TerminationProtection is enabled")
	if _, err := cl.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{StackName: aws.String(name), EnableTerminationProtection: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, *created.StackId, "DELETE_COMPLETE")
	_, err = cl.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	wantCfnError(t, err, "ValidationError", "Stack with id app does not exist")
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("app-fn-b")}); !isNotFound(err) {
		t.Fatalf("function after the delete: %v", err)
	}
	qs, err := ts.sqsClient().ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || len(qs.QueueUrls) != 0 {
		t.Fatalf("queues after the delete: %v %v", qs.QueueUrls, err)
	}
	list, err := cl.ListStacks(ctx, &cloudformation.ListStacksInput{StackStatusFilter: []cfntypes.StackStatus{"DELETE_COMPLETE"}})
	if err != nil || len(list.StackSummaries) != 1 || aws.ToString(list.StackSummaries[0].StackId) != *created.StackId {
		t.Fatalf("ListStacks DELETE_COMPLETE: %+v %v", list, err)
	}
}

func isNotFound(err error) bool {
	var nf *lambdatypes.ResourceNotFoundException
	return errors.As(err, &nf)
}
