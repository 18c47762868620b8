package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestCfnCreateRollback fails a create twice over (a type Stratus does not
// serve, a function whose code does not exist) and checks that what was
// made is deleted and the events say why.
func TestCfnCreateRollback(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	putCode(t, ts.URL, "rb-code")
	cl, sq := cfnClient(ts.URL), ts.sqsClient()
	ctx := context.Background()
	body := `Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: broken-q}
  Vpc:
    Type: AWS::EC2::VPC
    DependsOn: Queue
    Properties: {CidrBlock: 10.0.0.0/16}
  Fn:
    Type: AWS::Lambda::Function
    DependsOn: Queue
    Properties:
      Runtime: provided.al2023
      Handler: env
      Role: arn:aws:iam::000000000000:role/r
      Code: {S3Bucket: rb-code, S3Key: missing.zip}
`
	if _, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("broken"), TemplateBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "broken", "ROLLBACK_COMPLETE")
	evs := stackEventList(t, cl, "broken")
	if e, ok := findEvent(evs, "Vpc", "CREATE_FAILED"); !ok || aws.ToString(e.ResourceStatusReason) != "Stratus does not support AWS::EC2::VPC yet" {
		t.Errorf("Vpc's CREATE_FAILED: %q", aws.ToString(e.ResourceStatusReason))
	}
	if e, ok := findEvent(evs, "Fn", "CREATE_FAILED"); !ok || !strings.Contains(aws.ToString(e.ResourceStatusReason), "missing.zip") && !strings.Contains(aws.ToString(e.ResourceStatusReason), "key") {
		t.Errorf("Fn's CREATE_FAILED: %q", aws.ToString(e.ResourceStatusReason))
	}
	want := "The following resource(s) failed to create: [Fn, Vpc]. Rollback requested by user."
	if e, ok := findEvent(evs, "broken", "ROLLBACK_IN_PROGRESS"); !ok || aws.ToString(e.ResourceStatusReason) != want {
		t.Errorf("stack's ROLLBACK_IN_PROGRESS: %q, want %q", aws.ToString(e.ResourceStatusReason), want)
	}
	if _, ok := findEvent(evs, "Queue", "DELETE_COMPLETE"); !ok {
		t.Errorf("no DELETE_COMPLETE for the queue; events:\n%s", stackEvents(t, cl, "broken"))
	}
	if _, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("broken-q")}); err == nil {
		t.Error("the queue outlived the rollback")
	}
	_, err := cl.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("broken"), TemplateBody: aws.String(body)})
	wantCfnError(t, err, "ValidationError", "is in ROLLBACK_COMPLETE state and can not be updated.")
	if _, err := cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("broken")}); err != nil {
		t.Fatal(err)
	}
	list, err := cl.ListStacks(ctx, &cloudformation.ListStacksInput{})
	if err != nil || len(list.StackSummaries) != 1 {
		t.Fatalf("ListStacks %+v %v", list, err)
	}

	// OnFailure DELETE: rolled back, then deleted.
	del, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("broken2"), OnFailure: cfntypes.OnFailureDelete,
		TemplateBody: aws.String(strings.ReplaceAll(body, "broken-q", "broken-q2"))})
	if err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, aws.ToString(del.StackId), "DELETE_COMPLETE")
	if _, ok := findEvent(stackEventList(t, cl, aws.ToString(del.StackId)), "broken2", "ROLLBACK_COMPLETE"); !ok {
		t.Error("OnFailure DELETE: no ROLLBACK_COMPLETE before the delete")
	}

	_, err = cl.ValidateTemplate(ctx, &cloudformation.ValidateTemplateInput{TemplateBody: aws.String("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !Ref Nope}\n")})
	wantCfnError(t, err, "ValidationError", "Unresolved resource dependencies [Nope] in the Resources block of the template")
}

// TestCfnExports shares a queue between stacks with Export and
// Fn::ImportValue: the export is unique, the importing stack is listed, the
// exporting stack cannot be deleted while it is imported, and its queue is
// kept by DeletionPolicy Retain.
func TestCfnExports(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	cl, sq := cfnClient(ts.URL), ts.sqsClient()
	ctx := context.Background()
	producer := `Resources:
  Dlq:
    Type: AWS::SQS::Queue
    DeletionPolicy: Retain
    Properties: {QueueName: shared-dlq}
Outputs:
  DlqArn:
    Value: !GetAtt Dlq.Arn
    Export: {Name: shared-dlq-arn}
`
	consumer := `Resources:
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: work
      RedrivePolicy:
        deadLetterTargetArn: !ImportValue shared-dlq-arn
        maxReceiveCount: 3
`
	create := func(name, body string) {
		t.Helper()
		if _, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	create("producer", producer)
	waitStack(t, cl, "producer", "CREATE_COMPLETE")
	create("consumer", consumer)
	waitStack(t, cl, "consumer", "CREATE_COMPLETE")
	url, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("work")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"RedrivePolicy"}})
	if err != nil || !strings.Contains(attrs.Attributes["RedrivePolicy"], "shared-dlq") {
		t.Fatalf("work's RedrivePolicy %v %v", attrs, err)
	}
	imports, err := cl.ListImports(ctx, &cloudformation.ListImportsInput{ExportName: aws.String("shared-dlq-arn")})
	if err != nil || len(imports.Imports) != 1 || imports.Imports[0] != "consumer" {
		t.Fatalf("ListImports %+v %v", imports, err)
	}

	create("dup", producer)
	waitStack(t, cl, "dup", "ROLLBACK_COMPLETE")
	if e, _ := findEvent(stackEventList(t, cl, "dup"), "dup", "ROLLBACK_IN_PROGRESS"); !strings.Contains(aws.ToString(e.ResourceStatusReason), "Export with name shared-dlq-arn is already exported by stack producer") {
		t.Errorf("dup's rollback reason %q", aws.ToString(e.ResourceStatusReason))
	}

	if _, err := cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("producer")}); err != nil {
		t.Fatal(err)
	}
	st := waitStack(t, cl, "producer", "DELETE_FAILED")
	if got := aws.ToString(st.StackStatusReason); got != "Export shared-dlq-arn cannot be deleted as it is in use by consumer" {
		t.Errorf("producer's DELETE_FAILED reason %q", got)
	}
	for _, name := range []string{"consumer", "producer"} {
		out, err := cl.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		waitStack(t, cl, aws.ToString(out.Stacks[0].StackId), "DELETE_COMPLETE")
	}
	if _, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("shared-dlq")}); err != nil {
		t.Errorf("the retained queue: %v", err)
	}
	if _, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("work")}); err == nil {
		t.Error("the consumer's queue outlived its stack")
	}
	exports, err := cl.ListExports(ctx, &cloudformation.ListExportsInput{})
	if err != nil || len(exports.Exports) != 0 {
		t.Fatalf("exports after the deletes %+v %v", exports, err)
	}
}

// TestCfnRetainPolicies replaces a queue whose UpdateReplacePolicy is
// Retain and removes one whose DeletionPolicy is Retain (its Condition turns
// false): both physical queues stay, out of the stack.
func TestCfnRetainPolicies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	cl, sq := cfnClient(ts.URL), ts.sqsClient()
	ctx := context.Background()
	body := `Parameters:
  Name: {Type: String, Default: one}
  Keep: {Type: String, Default: "yes", AllowedValues: ["yes", "no"]}
Conditions:
  HasExtra: !Equals [!Ref Keep, "yes"]
Resources:
  Q:
    Type: AWS::SQS::Queue
    UpdateReplacePolicy: Retain
    Properties: {QueueName: !Sub "rp-${Name}"}
  Extra:
    Type: AWS::SQS::Queue
    Condition: HasExtra
    DeletionPolicy: Retain
    Properties: {QueueName: rp-extra}
`
	if _, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("rp"), TemplateBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "rp", "CREATE_COMPLETE")
	_, err := cl.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("rp"), UsePreviousTemplate: aws.Bool(true),
		Parameters: cfnParams("Name", "two", "Keep", "maybe")})
	wantCfnError(t, err, "ValidationError", "Keep")
	if _, err := cl.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("rp"), UsePreviousTemplate: aws.Bool(true),
		Parameters: cfnParams("Name", "two", "Keep", "no")}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "rp", "UPDATE_COMPLETE")
	ids := physicalIDs(t, cl, "rp")
	if len(ids) != 1 || !strings.HasSuffix(ids["Q"], "/rp-two") {
		t.Fatalf("resources after the update %v", ids)
	}
	for _, q := range []string{"rp-one", "rp-two", "rp-extra"} {
		if _, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(q)}); err != nil {
			t.Errorf("queue %s: %v", q, err)
		}
	}
	evs := stackEventList(t, cl, "rp")
	for _, l := range []string{"Q", "Extra"} {
		if _, ok := findEvent(evs, l, "DELETE_SKIPPED"); !ok {
			t.Errorf("no DELETE_SKIPPED event for %s; events:\n%s", l, stackEvents(t, cl, "rp"))
		}
	}
}

// TestCfnRollbackDeletesPartialResource fails a table's create after the
// table exists (its TTL is refused): the rollback must delete the table, not
// leave it behind unnamed.
func TestCfnRollbackDeletesPartialResource(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	cl := cfnClient(ts.URL)
	ddb := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(ts.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()
	body := `Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: half-made
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      TimeToLiveSpecification: {Enabled: true, AttributeName: ""}
`
	if _, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("half"), TemplateBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "half", "ROLLBACK_COMPLETE")
	evs := stackEventList(t, cl, "half")
	if e, ok := findEvent(evs, "Table", "CREATE_FAILED"); !ok || aws.ToString(e.PhysicalResourceId) != "half-made" {
		t.Errorf("Table's CREATE_FAILED names no table: %+v\n%s", e, stackEvents(t, cl, "half"))
	}
	if _, ok := findEvent(evs, "Table", "DELETE_COMPLETE"); !ok {
		t.Errorf("no DELETE_COMPLETE for the table; events:\n%s", stackEvents(t, cl, "half"))
	}
	if _, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("half-made")}); err == nil {
		t.Error("the table outlived the rollback")
	}
}
