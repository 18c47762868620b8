package sqs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

func mustCreate(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return *out.QueueUrl
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestQueueLifecycle(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	url := mustCreate(t, ts.SQS, "orders", map[string]string{"VisibilityTimeout": "20"})
	if want := ts.URL + "/000000000000/orders"; url != want {
		t.Fatalf("QueueUrl = %s, want %s", url, want)
	}
	if again := mustCreate(t, ts.SQS, "orders", map[string]string{"VisibilityTimeout": "20"}); again != url {
		t.Fatalf("idempotent CreateQueue gave %s", again)
	}
	_, err := ts.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"DelaySeconds": "5"}})
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) || !strings.Contains(err.Error(), "different value for attribute DelaySeconds") {
		t.Fatalf("CreateQueue with other attributes: %v", err)
	}
	got, err := ts.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || *got.QueueUrl != url {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}
	mustCreate(t, ts.SQS, "other", nil)
	list, err := ts.SQS.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("ord")})
	if err != nil || len(list.QueueUrls) != 1 || list.QueueUrls[0] != url {
		t.Fatalf("ListQueues = %v, %v", list, err)
	}
	page, err := ts.SQS.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)})
	if err != nil || len(page.QueueUrls) != 1 || page.NextToken == nil {
		t.Fatalf("ListQueues page 1 = %+v, %v", page, err)
	}
	page2, err := ts.SQS.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1), NextToken: page.NextToken})
	if err != nil || len(page2.QueueUrls) != 1 || page2.QueueUrls[0] == page.QueueUrls[0] {
		t.Fatalf("ListQueues page 2 = %+v, %v", page2, err)
	}
	attrs, err := ts.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"VisibilityTimeout": "20", "DelaySeconds": "0", "MaximumMessageSize": "1048576",
		"MessageRetentionPeriod": "345600", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:orders", "ApproximateNumberOfMessages": "0",
		"SqsManagedSseEnabled": "true", "ReceiveMessageWaitTimeSeconds": "0"} {
		if attrs.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		code  string
	}{
		{"VisibilityTooLarge", map[string]string{"VisibilityTimeout": "43201"}, "InvalidAttributeValue"},
		{"NotANumber", map[string]string{"DelaySeconds": "x"}, "InvalidAttributeValue"},
		{"Unknown", map[string]string{"Bogus": "1"}, "InvalidAttributeName"},
		{"FifoOnStandard", map[string]string{"ContentBasedDeduplication": "true"}, "InvalidAttributeName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ts.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: tc.attrs})
			if apiCode(err) != tc.code {
				t.Fatalf("SetQueueAttributes(%v) = %v, want %s", tc.attrs, err, tc.code)
			}
		})
	}
	if _, err := ts.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"DelaySeconds": "3"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.SQS.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &url, Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.SQS.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: &url, TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := ts.SQS.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &url})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["b"] != "2" {
		t.Fatalf("ListQueueTags = %v, %v", tags, err)
	}
	if _, err := ts.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) || dne.ErrorMessage() != "The specified queue does not exist." {
		t.Fatalf("GetQueueUrl of a deleted queue: %v", err)
	}
}

func TestSendReceiveDelete(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	url := mustCreate(t, ts.SQS, "work", nil)
	sent, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("msg"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"General": {DataType: aws.String("String"), StringValue: aws.String("Kenobi")},
			"Hello":   {DataType: aws.String("String"), StringValue: aws.String("There")},
			"Help.Me": {DataType: aws.String("String"), StringValue: aws.String("Me")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	// The digests AWS gave for this message (LocalStack's recorded snapshot).
	if *sent.MD5OfMessageBody != "6e2baaf3b97dbeef01c0043275f9a0e7" || *sent.MD5OfMessageAttributes != "4c360f3fdafd970e05fae2f149d997f5" {
		t.Fatalf("digests %s %s", *sent.MD5OfMessageBody, *sent.MD5OfMessageAttributes)
	}
	got, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: []string{"He.*"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("ReceiveMessage = %v, %v", got, err)
	}
	m := got.Messages[0]
	if *m.MessageId != *sent.MessageId || *m.Body != "msg" || len(m.MessageAttributes) != 2 || *m.MD5OfMessageAttributes != "83fee93c1bcd8b9a5a923ffacdc636c7" {
		t.Fatalf("received %+v", m)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SentTimestamp"] == "" || m.Attributes["SenderId"] == "" {
		t.Fatalf("system attributes %v", m.Attributes)
	}
	empty, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	if err != nil || len(empty.Messages) != 0 {
		t.Fatalf("in-flight message received again: %v, %v", empty, err)
	}
	if _, err := ts.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
	var rhi *types.ReceiptHandleIsInvalid
	if !errors.As(err, &rhi) {
		t.Fatalf("DeleteMessage with a bad handle: %v", err)
	}
	_, err = ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
	if apiCode(err) != "InvalidParameterValue" || !strings.Contains(err.Error(), "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.") {
		t.Fatalf("MaxNumberOfMessages 11: %v", err)
	}
	_, err = ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(ts.URL + "/000000000000/nope"), MessageBody: aws.String("x")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) {
		t.Fatalf("SendMessage to a missing queue: %v", err)
	}
	_, err = ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("bad\x01")})
	var imc *types.InvalidMessageContents
	if !errors.As(err, &imc) {
		t.Fatalf("SendMessage with a control character: %v", err)
	}

	batch, err := ts.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one")}, {Id: aws.String("b"), MessageBody: aws.String("")}}})
	if err != nil || len(batch.Successful) != 1 || len(batch.Failed) != 1 || *batch.Failed[0].Code != "MissingParameter" {
		t.Fatalf("SendMessageBatch = %+v, %v", batch, err)
	}
	for _, tc := range []struct {
		name    string
		entries []types.SendMessageBatchRequestEntry
		code    string
	}{
		{"Empty", []types.SendMessageBatchRequestEntry{}, "AWS.SimpleQueueService.EmptyBatchRequest"},
		{"Duplicate", []types.SendMessageBatchRequestEntry{{Id: aws.String("x"), MessageBody: aws.String("1")}, {Id: aws.String("x"), MessageBody: aws.String("2")}}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{"BadID", []types.SendMessageBatchRequestEntry{{Id: aws.String("a:b"), MessageBody: aws.String("1")}}, "AWS.SimpleQueueService.InvalidBatchEntryId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ts.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: tc.entries})
			if apiCode(err) != tc.code {
				t.Fatalf("SendMessageBatch = %v, want %s", err, tc.code)
			}
		})
	}
	r, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 0})
	if err != nil || len(r.Messages) != 1 {
		t.Fatalf("receive batch message: %v %v", r, err)
	}
	if _, err := ts.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: r.Messages[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	del, err := ts.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("d"), ReceiptHandle: r.Messages[0].ReceiptHandle}}})
	if err != nil || len(del.Successful) != 1 {
		t.Fatalf("DeleteMessageBatch = %+v, %v", del, err)
	}
	if _, err := ts.SQS.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.SQS.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url})
	var pip *types.PurgeQueueInProgress
	if !errors.As(err, &pip) {
		t.Fatalf("second PurgeQueue: %v", err)
	}
}

func TestLongPollAnsweredOnSend(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	url := mustCreate(t, ts.SQS, "poll", nil)
	done := make(chan *sqs.ReceiveMessageOutput, 1)
	go func() {
		out, _ := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		done <- out
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("wake")}); err != nil {
		t.Fatal(err)
	}
	out := <-done
	if out == nil || len(out.Messages) != 1 || *out.Messages[0].Body != "wake" {
		t.Fatalf("long poll got %+v", out)
	}
}

func TestFIFO(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	url := mustCreate(t, ts.SQS, "jobs.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	send := func(body, group string) *sqs.SendMessageOutput {
		out, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body), MessageGroupId: aws.String(group)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a1 := send("a1", "A")
	if dup := send("a1", "A"); *dup.MessageId != *a1.MessageId {
		t.Fatalf("duplicate got a new id")
	}
	send("a2", "A")
	send("b1", "B")
	_, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
	if apiCode(err) != "MissingParameter" {
		t.Fatalf("no group id: %v", err)
	}
	_, err = ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("y"), MessageGroupId: aws.String("A"), DelaySeconds: 2})
	if apiCode(err) != "InvalidParameterValue" {
		t.Fatalf("DelaySeconds on FIFO: %v", err)
	}
	r, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 1})
	if err != nil || len(r.Messages) != 1 || *r.Messages[0].Body != "a1" {
		t.Fatalf("first receive %+v %v", r, err)
	}
	r2, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if err != nil || len(r2.Messages) != 1 || *r2.Messages[0].Body != "b1" {
		t.Fatalf("group A is locked; want only b1, got %+v %v", r2, err)
	}
	if _, err := ts.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	r3, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if err != nil || len(r3.Messages) != 1 || *r3.Messages[0].Body != "a2" {
		t.Fatalf("after delete want a2, got %+v %v", r3, err)
	}
}

func TestDurableAcrossRestart(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	url := mustCreate(t, ts.SQS, "durable", map[string]string{"VisibilityTimeout": "1"})
	for _, b := range []string{"first", "second"} {
		if _, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	if err != nil || len(r.Messages) != 1 || *r.Messages[0].Body != "first" {
		t.Fatalf("receive before restart: %+v %v", r, err)
	}
	ts.restart(t)
	url = ts.URL + "/000000000000/durable"
	r2, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if err != nil || len(r2.Messages) != 1 || *r2.Messages[0].Body != "second" {
		t.Fatalf("after restart want only the visible one: %+v %v", r2, err)
	}
	r3, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 3,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	if err != nil || len(r3.Messages) != 1 || *r3.Messages[0].Body != "first" || r3.Messages[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("in-flight message after its visibility timeout: %+v %v", r3, err)
	}
}

func TestDeadLetterAfterMaxReceiveCount(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	dlq := mustCreate(t, ts.SQS, "dlq", nil)
	src := mustCreate(t, ts.SQS, "src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"2"}`})
	sent, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String("poison")})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		r, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src})
		if err != nil || len(r.Messages) != 1 {
			t.Fatalf("receive %d: %v %v", i, r, err)
		}
		// The SDK omits a VisibilityTimeout of 0, so end the timeout explicitly.
		if _, err := ts.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &src, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src})
	if err != nil || len(r.Messages) != 0 {
		t.Fatalf("third receive from the source: %v %v", r, err)
	}
	d, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq})
	if err != nil || len(d.Messages) != 1 || *d.Messages[0].MessageId != *sent.MessageId {
		t.Fatalf("dead-letter queue: %+v %v", d, err)
	}
}
