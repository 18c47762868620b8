package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsBatchHandler reports as failed every record whose body says "fail",
// and every record not in the shape Lambda gives SQS events, so a wrong shape
// shows as messages in the dead-letter queue.
const sqsBatchHandler = `
exports.handler = async (event) => {
  const failures = [];
  for (const r of event.Records) {
    const shaped = r.eventSource === 'aws:sqs' && r.eventSourceARN === process.env.QUEUE_ARN &&
      r.awsRegion === 'us-east-1' && typeof r.messageId === 'string' && typeof r.receiptHandle === 'string' &&
      typeof r.md5OfBody === 'string' && r.attributes && r.attributes.ApproximateReceiveCount >= '1' &&
      r.attributes.SentTimestamp && r.attributes.SenderId && r.attributes.ApproximateFirstReceiveTimestamp &&
      r.messageAttributes && r.messageAttributes.kind && r.messageAttributes.kind.stringValue === 'test' &&
      r.messageAttributes.kind.dataType === 'String' && Array.isArray(r.messageAttributes.kind.stringListValues);
    if (!shaped || r.body.includes('fail')) failures.push({ itemIdentifier: r.messageId });
  }
  return { batchItemFailures: failures };
};
`

// TestSQSEventSourceMappingNode: a Node.js function consumes a queue through
// an event source mapping with ReportBatchItemFailures. The messages it
// handles are deleted; the one it keeps failing is received again and, after
// the queue's maxReceiveCount, moved by the queue's redrive policy to its
// dead-letter queue.
func TestSQSEventSourceMappingNode(t *testing.T) {
	skipWithoutNode(t)
	ts := startServer(t, "", hostFiles[0], hostFiles[1])
	ctx := context.Background()
	qc, lc := ts.sqsClient(), ts.lambdaClient()
	dlq, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("esm-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	const queueArn = "arn:aws:sqs:us-east-1:000000000000:esm-in"
	src, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("esm-in"), Attributes: map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:esm-dlq","maxReceiveCount":2}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	createFn(t, lc, "sqs-consumer", "index.handler", func(in *lambda.CreateFunctionInput) {
		in.Runtime = types.RuntimeNodejs20x
		in.Code = &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"index.js": sqsBatchHandler})}
		in.Environment = &types.Environment{Variables: map[string]string{"QUEUE_ARN": queueArn}}
		in.Timeout = aws.Int32(1)
	})
	m, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String("sqs-consumer"), EventSourceArn: aws.String(queueArn), BatchSize: aws.Int32(10),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.StartingPosition != "" || m.ParallelizationFactor != nil || m.StateTransitionReason == nil ||
		*m.StateTransitionReason != "USER_INITIATED" || aws.ToInt32(m.BatchSize) != 10 {
		b, _ := json.Marshal(m)
		t.Errorf("an SQS mapping's configuration: %s", b)
	}
	kind := map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("test")}}
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 5 {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String("ok" + strconv.Itoa(i)),
			MessageBody: aws.String("ok " + strconv.Itoa(i)), MessageAttributes: kind})
	}
	entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String("bad"), MessageBody: aws.String("fail me"), MessageAttributes: kind})
	if out, err := qc.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: src.QueueUrl, Entries: entries}); err != nil || len(out.Failed) > 0 {
		t.Fatalf("send: %v %+v", err, out)
	}

	got, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 20, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "fail me" {
		attrs, _ := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: src.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		mo, _ := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: m.UUID})
		t.Logf("source queue: %v; mapping %s %s\nserver log:\n%s", attrs.Attributes, aws.ToString(mo.State), aws.ToString(mo.LastProcessingResult), lastLines(ts.stderr.String(), 40))
		t.Fatalf("dead-letter queue holds %+v, want only the failing message", got.Messages)
	}
	// Everything the function handled is gone from the source queue.
	deadline := time.Now().Add(10 * time.Second)
	for {
		attrs, err := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: src.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		left := attrs.Attributes["ApproximateNumberOfMessages"] + "/" + attrs.Attributes["ApproximateNumberOfMessagesNotVisible"]
		if left == "0/0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("source queue still holds visible/in flight %s", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// skipWithoutNode skips a test that runs Node.js functions on a host without
// Debian's node, and fails it in CI, which installs it.
func skipWithoutNode(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no /usr/bin/node (apt-get install nodejs)")
		}
		t.Skip("no /usr/bin/node")
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestSQSMappingNeedsVisibilityOverTimeout: Lambda refuses to map a queue
// whose visibility timeout is shorter than the function's timeout, on create
// and when an update points the mapping at such a function.
func TestSQSMappingNeedsVisibilityOverTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "", hostFiles...)
	ctx := context.Background()
	lc := ts.lambdaClient()
	if _, err := ts.sqsClient().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("short-vis"),
		Attributes: map[string]string{"VisibilityTimeout": "5"}}); err != nil {
		t.Fatal(err)
	}
	createFn(t, lc, "quick", "echo", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(5) })
	createFn(t, lc, "slow", "echo", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(60) })
	arn := "arn:aws:sqs:us-east-1:000000000000:short-vis"
	_, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("slow"), EventSourceArn: aws.String(arn)})
	var ipe *types.InvalidParameterValueException
	if !errors.As(err, &ipe) || aws.ToString(ipe.Message) != "Queue visibility timeout: 5 seconds is less than Function timeout: 60 seconds" {
		t.Fatalf("create with a longer function timeout: %v", err)
	}
	m, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("quick"), EventSourceArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lc.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: m.UUID, FunctionName: aws.String("slow")})
	if !errors.As(err, &ipe) {
		t.Fatalf("update to a longer function timeout: %v", err)
	}
}
