package sqs

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const arnPrefix = "arn:aws:sqs:us-east-1:000000000000:"

func TestChangeMessageVisibilityBatch(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	q := mustCreate(t, ts.SQS, "vis", nil)
	for _, b := range []string{"a", "b"} {
		if _, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q, MaxNumberOfMessages: 10, VisibilityTimeout: 300})
	if err != nil || len(r.Messages) != 2 {
		t.Fatalf("receive: %+v %v", r, err)
	}
	out, err := ts.SQS.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &q, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("now"), ReceiptHandle: r.Messages[0].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("not-a-handle"), VisibilityTimeout: 0},
		{Id: aws.String("later"), ReceiptHandle: r.Messages[1].ReceiptHandle, VisibilityTimeout: 600},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || *out.Successful[0].Id != "now" || *out.Successful[1].Id != "later" ||
		len(out.Failed) != 1 || *out.Failed[0].Id != "bad" || *out.Failed[0].Code != "ReceiptHandleIsInvalid" || !out.Failed[0].SenderFault {
		t.Fatalf("batch: %+v", out)
	}
	again, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q, MaxNumberOfMessages: 10})
	if err != nil || len(again.Messages) != 1 || *again.Messages[0].Body != *r.Messages[0].Body {
		t.Fatalf("after the batch only the first is visible: %+v %v", again, err)
	}
	_, err = ts.SQS.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &q, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{}})
	if apiCode(err) != "AWS.SimpleQueueService.EmptyBatchRequest" {
		t.Errorf("empty batch: %v", err)
	}
}

func TestListDeadLetterSourceQueues(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	dlq := mustCreate(t, ts.SQS, "dead", nil)
	policy := `{"deadLetterTargetArn":"` + arnPrefix + `dead","maxReceiveCount":3}`
	for _, n := range []string{"src-c", "src-a", "src-b"} {
		mustCreate(t, ts.SQS, n, map[string]string{"RedrivePolicy": policy})
	}
	mustCreate(t, ts.SQS, "unrelated", nil)
	p1, err := ts.SQS.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq, MaxResults: aws.Int32(2)})
	if err != nil || len(p1.QueueUrls) != 2 || !strings.HasSuffix(p1.QueueUrls[0], "/src-a") || !strings.HasSuffix(p1.QueueUrls[1], "/src-b") || p1.NextToken == nil {
		t.Fatalf("first page: %+v %v", p1, err)
	}
	p2, err := ts.SQS.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq, MaxResults: aws.Int32(2), NextToken: p1.NextToken})
	if err != nil || len(p2.QueueUrls) != 1 || !strings.HasSuffix(p2.QueueUrls[0], "/src-c") || p2.NextToken != nil {
		t.Fatalf("second page: %+v %v", p2, err)
	}
	_, err = ts.SQS.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(ts.URL + "/000000000000/nope")})
	if apiCode(err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("missing queue: %v", err)
	}
}

func TestRedrivePolicies(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	mustCreate(t, ts.SQS, "closed", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`})
	mustCreate(t, ts.SQS, "picky", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"byQueue","sourceQueueArns":["` + arnPrefix + `chosen"]}`})
	mustCreate(t, ts.SQS, "dead.fifo", nil)
	redrive := func(target string, max any) map[string]string {
		b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": arnPrefix + target, "maxReceiveCount": max})
		return map[string]string{"RedrivePolicy": string(b)}
	}
	for _, tc := range []struct {
		name, queue string
		attrs       map[string]string
		reason      string
	}{
		{"denyAll", "any", redrive("closed", 3), "is not allowed to use " + arnPrefix + "closed"},
		{"byQueue, not listed", "other", redrive("picky", 3), "is not allowed to use " + arnPrefix + "picky"},
		{"maxReceiveCount 0", "zero", redrive("picky", 0), "Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive."},
		{"maxReceiveCount 1001", "big", redrive("picky", "1001"), "Invalid value for maxReceiveCount: 1001"},
		{"no maxReceiveCount", "nomax", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + arnPrefix + `picky"}`}, "not a valid JSON map"},
		{"standard into FIFO", "std", redrive("dead.fifo", 3), "Dead-letter queue must be same type of queue as the source."},
		{"bad allow policy", "allow", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"allowAll","sourceQueueArns":["x"]}`}, "Only byQueue redrive permission can have sourceQueueArns."},
		{"unknown permission", "perm", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"some"}`}, "Invalid value for redrivePermission."},
	} {
		_, err := ts.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(tc.queue), Attributes: tc.attrs})
		if apiCode(err) != "InvalidParameterValue" || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	list, _ := ts.SQS.ListQueues(ctx, &sqs.ListQueuesInput{})
	if len(list.QueueUrls) != 3 {
		t.Errorf("refused creates made queues: %v", list.QueueUrls)
	}
	mustCreate(t, ts.SQS, "chosen", redrive("picky", 3))
	// SetQueueAttributes is held to the same rules, and a refused change
	// changes nothing.
	other := mustCreate(t, ts.SQS, "other", nil)
	_, err := ts.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &other, Attributes: map[string]string{"RedrivePolicy": redrive("closed", 3)["RedrivePolicy"], "VisibilityTimeout": "99"}})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("set a refused redrive policy: %v", err)
	}
	got, _ := ts.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &other, AttributeNames: []types.QueueAttributeName{"All"}})
	if _, ok := got.Attributes["RedrivePolicy"]; ok || got.Attributes["VisibilityTimeout"] != "30" {
		t.Errorf("after the refused change: %v", got.Attributes)
	}
}

// deadLetterAll sends bodies to src and receives each twice, so that with a
// maxReceiveCount of 1 they all move to the dead-letter queue.
func deadLetterAll(t *testing.T, c *sqs.Client, src string, bodies ...string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, b := range bodies {
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String(b)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *out.MessageId)
	}
	r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src, MaxNumberOfMessages: 10})
	if err != nil || len(r.Messages) != len(bodies) {
		t.Fatalf("receive: %+v %v", r, err)
	}
	var entries []types.ChangeMessageVisibilityBatchRequestEntry
	for i, m := range r.Messages {
		entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	if _, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &src, Entries: entries}); err != nil {
		t.Fatal(err)
	}
	if r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src, MaxNumberOfMessages: 10}); err != nil || len(r.Messages) != 0 {
		t.Fatalf("second receive should dead-letter all: %+v %v", r, err)
	}
	return ids
}

func receiveAll(t *testing.T, c *sqs.Client, q string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for {
		r, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &q, MaxNumberOfMessages: 10, VisibilityTimeout: 300})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) == 0 {
			return got
		}
		for _, m := range r.Messages {
			got[*m.MessageId] = *m.Body
		}
	}
}

func waitTask(t *testing.T, c *sqs.Client, source, status string) types.ListMessageMoveTasksResultEntry {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, err := c.ListMessageMoveTasks(context.Background(), &sqs.ListMessageMoveTasksInput{SourceArn: &source})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Results) > 0 && *out.Results[0].Status == status {
			return out.Results[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("task never %s: %+v", status, out.Results)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMessageMoveTasks(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	dlq := mustCreate(t, ts.SQS, "dlq", nil)
	policy := map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + arnPrefix + `dlq","maxReceiveCount":"1"}`}
	srcA := mustCreate(t, ts.SQS, "src-a", policy)
	srcB := mustCreate(t, ts.SQS, "src-b", policy)
	other := mustCreate(t, ts.SQS, "elsewhere", nil)
	idsA := deadLetterAll(t, ts.SQS, srcA, "a1", "a2")
	idsB := deadLetterAll(t, ts.SQS, srcB, "b1")

	// Only a dead-letter queue can be redriven.
	_, err := ts.SQS.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arnPrefix + "elsewhere")})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("move from a queue that is no DLQ: %v", err)
	}
	_, err = ts.SQS.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arnPrefix + "nope")})
	if apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("move from a missing queue: %v", err)
	}
	_, err = ts.SQS.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arnPrefix + "dlq"), MaxNumberOfMessagesPerSecond: aws.Int32(501)})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("501 a second: %v", err)
	}

	// With no destination each message goes back to the queue it came from,
	// keeping its id.
	start, err := ts.SQS.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arnPrefix + "dlq")})
	if err != nil || start.TaskHandle == nil {
		t.Fatalf("start: %+v %v", start, err)
	}
	done := waitTask(t, ts.SQS, arnPrefix+"dlq", "COMPLETED")
	if done.ApproximateNumberOfMessagesMoved != 3 || done.ApproximateNumberOfMessagesToMove == nil || *done.ApproximateNumberOfMessagesToMove != 3 ||
		done.TaskHandle != nil || done.StartedTimestamp == 0 || *done.SourceArn != arnPrefix+"dlq" {
		t.Errorf("completed task: %+v", done)
	}
	if got := receiveAll(t, ts.SQS, srcA); !reflect.DeepEqual(got, map[string]string{idsA[0]: "a1", idsA[1]: "a2"}) {
		t.Errorf("back in src-a: %v", got)
	}
	if got := receiveAll(t, ts.SQS, srcB); !reflect.DeepEqual(got, map[string]string{idsB[0]: "b1"}) {
		t.Errorf("back in src-b: %v", got)
	}
	if got := receiveAll(t, ts.SQS, dlq); len(got) != 0 {
		t.Errorf("left in the DLQ: %v", got)
	}
	_, err = ts.SQS.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: start.TaskHandle})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("cancel a completed task: %v", err)
	}

	// A slow task to a chosen destination: one at a time per source, and
	// cancelling stops it with what it moved so far.
	var bodies []string
	for i := 0; i < 6; i++ {
		bodies = append(bodies, "c"+itoa(i))
	}
	srcC := mustCreate(t, ts.SQS, "src-c", policy)
	deadLetterAll(t, ts.SQS, srcC, bodies...)
	slow, err := ts.SQS.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arnPrefix + "dlq"),
		DestinationArn: aws.String(arnPrefix + "elsewhere"), MaxNumberOfMessagesPerSecond: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.SQS.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(arnPrefix + "dlq")})
	if apiCode(err) != "InvalidParameterValue" || !strings.Contains(err.Error(), "already a task running") {
		t.Errorf("second running task: %v", err)
	}
	running := waitTask(t, ts.SQS, arnPrefix+"dlq", "RUNNING")
	if running.TaskHandle == nil || *running.TaskHandle != *slow.TaskHandle || *running.DestinationArn != arnPrefix+"elsewhere" || running.MaxNumberOfMessagesPerSecond == nil || *running.MaxNumberOfMessagesPerSecond != 5 {
		t.Errorf("running task: %+v", running)
	}
	time.Sleep(300 * time.Millisecond)
	c, err := ts.SQS.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: slow.TaskHandle})
	if err != nil || c.ApproximateNumberOfMessagesMoved < 1 || c.ApproximateNumberOfMessagesMoved >= 6 {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	cancelled := waitTask(t, ts.SQS, arnPrefix+"dlq", "CANCELLED")
	time.Sleep(300 * time.Millisecond) // nothing moves after the cancel
	moved, left := receiveAll(t, ts.SQS, other), receiveAll(t, ts.SQS, dlq)
	if int64(len(moved)) != cancelled.ApproximateNumberOfMessagesMoved || len(moved)+len(left) != 6 {
		t.Errorf("cancelled after %d: %d moved, %d left", cancelled.ApproximateNumberOfMessagesMoved, len(moved), len(left))
	}
	all, err := ts.SQS.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(arnPrefix + "dlq"), MaxResults: aws.Int32(10)})
	if err != nil || len(all.Results) != 2 || *all.Results[0].Status != "CANCELLED" || *all.Results[1].Status != "COMPLETED" {
		t.Errorf("task history, newest first: %+v %v", all, err)
	}
	_, err = ts.SQS.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("bm9wZQ==")})
	if apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("cancel an unknown task: %v", err)
	}
}

func TestReceiveRequestAttemptID(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	q := mustCreate(t, ts.SQS, "retry.fifo", map[string]string{"ContentBasedDeduplication": "true"})
	for _, b := range []string{"m1", "m2", "m3"} {
		if _, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q, MessageBody: aws.String(b), MessageGroupId: aws.String("g")}); err != nil {
			t.Fatal(err)
		}
	}
	recv := func(attempt string) *sqs.ReceiveMessageOutput {
		t.Helper()
		out, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q, MaxNumberOfMessages: 2, ReceiveRequestAttemptId: aws.String(attempt),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := recv("attempt-1")
	if len(first.Messages) != 2 || *first.Messages[0].Body != "m1" {
		t.Fatalf("first receive: %+v", first.Messages)
	}
	// The retry (as after a lost response) returns the same messages with the
	// same receipt handles, and does not count another receive.
	retry := recv("attempt-1")
	if len(retry.Messages) != 2 {
		t.Fatalf("retried receive: %+v", retry.Messages)
	}
	for i := range retry.Messages {
		a, b := first.Messages[i], retry.Messages[i]
		if *a.MessageId != *b.MessageId || *a.ReceiptHandle != *b.ReceiptHandle || b.Attributes["ApproximateReceiveCount"] != "1" {
			t.Errorf("retry %d: %s %s vs %s %s (count %s)", i, *a.MessageId, *a.ReceiptHandle, *b.MessageId, *b.ReceiptHandle, b.Attributes["ApproximateReceiveCount"])
		}
	}
	// Another attempt id is a new receive: the group is in flight.
	if other := recv("attempt-2"); len(other.Messages) != 0 {
		t.Errorf("new attempt while the group is in flight: %+v", other.Messages)
	}
	if _, err := ts.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q, ReceiptHandle: first.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	// Deleted since, it is left out of a further retry.
	if again := recv("attempt-1"); len(again.Messages) != 1 || *again.Messages[0].Body != "m2" {
		t.Errorf("retry after a delete: %+v", again.Messages)
	}
	_, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q, ReceiveRequestAttemptId: aws.String(strings.Repeat("x", 129))})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("129-character attempt id: %v", err)
	}
}

func TestMessageRetentionPeriod(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	var skew atomic.Int64
	ts.Svc.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	// A visibility timeout of 0 keeps the received message visible across the
	// restart below.
	q := mustCreate(t, ts.SQS, "short", map[string]string{"MessageRetentionPeriod": "60", "VisibilityTimeout": "0"})
	for _, b := range []string{"old-1", "old-2"} {
		if _, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	skew.Store(int64(40 * time.Second))
	if _, err := ts.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q, MessageBody: aws.String("young")}); err != nil {
		t.Fatal(err)
	}
	skew.Store(int64(61 * time.Second))
	attrs, _ := ts.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &q, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if attrs.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Errorf("count after 61 s: %v", attrs.Attributes)
	}
	r, err := ts.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q, MaxNumberOfMessages: 10})
	if err != nil || len(r.Messages) != 1 || *r.Messages[0].Body != "young" {
		t.Fatalf("receive after 61 s: %+v %v", r, err)
	}
	// Expired messages are deleted, not hidden: after a restart on the real
	// clock they stay gone.
	ts.restart(t)
	got := receiveAll(t, ts.SQS, q)
	if len(got) != 1 {
		t.Errorf("after a restart: %v", got)
	}
}

func TestBatchRequestTooLong(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	q := mustCreate(t, ts.SQS, "small", map[string]string{"MaximumMessageSize": "1024"})
	body := strings.Repeat("x", 600)
	_, err := ts.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: &body}, {Id: aws.String("b"), MessageBody: &body}}})
	if apiCode(err) != "AWS.SimpleQueueService.BatchRequestTooLong" || !strings.Contains(err.Error(), "You have sent 1200 bytes.") {
		t.Fatalf("two 600-byte messages into 1024: %v", err)
	}
	if got := receiveAll(t, ts.SQS, q); len(got) != 0 {
		t.Errorf("a refused batch stored %v", got)
	}
}

func TestPermissions(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	q := mustCreate(t, ts.SQS, "shared", nil)
	if _, err := ts.SQS.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: &q, Label: aws.String("send"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.SQS.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: &q, Label: aws.String("both"),
		AWSAccountIds: []string{"111122223333", "444455556666"}, Actions: []string{"ReceiveMessage", "DeleteMessage"}}); err != nil {
		t.Fatal(err)
	}
	policy := func() map[string]any {
		t.Helper()
		out, err := ts.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &q, AttributeNames: []types.QueueAttributeName{"Policy"}})
		if err != nil {
			t.Fatal(err)
		}
		p, ok := out.Attributes["Policy"]
		if !ok {
			return nil
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(p), &doc); err != nil {
			t.Fatalf("policy %q: %v", p, err)
		}
		return doc
	}
	want := map[string]any{
		"Version": "2012-10-17", "Id": arnPrefix + "shared/SQSDefaultPolicy",
		"Statement": []any{
			map[string]any{"Sid": "send", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"},
				"Action": "SQS:SendMessage", "Resource": arnPrefix + "shared"},
			map[string]any{"Sid": "both", "Effect": "Allow", "Principal": map[string]any{"AWS": []any{"arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"}},
				"Action": []any{"SQS:ReceiveMessage", "SQS:DeleteMessage"}, "Resource": arnPrefix + "shared"},
		},
	}
	if got := policy(); !reflect.DeepEqual(got, want) {
		t.Errorf("policy:\n got %v\nwant %v", got, want)
	}
	for _, tc := range []struct {
		name string
		in   sqs.AddPermissionInput
		code string
	}{
		{"same label", sqs.AddPermissionInput{Label: aws.String("send"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}}, "InvalidParameterValue"},
		{"bad label", sqs.AddPermissionInput{Label: aws.String("a b"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}}, "InvalidParameterValue"},
		{"owner-only action", sqs.AddPermissionInput{Label: aws.String("x"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"DeleteQueue"}}, "InvalidParameterValue"},
		{"eight actions", sqs.AddPermissionInput{Label: aws.String("x"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage", "ReceiveMessage", "DeleteMessage",
			"ChangeMessageVisibility", "GetQueueAttributes", "GetQueueUrl", "PurgeQueue", "ListQueueTags"}}, "OverLimit"},
	} {
		in := tc.in
		in.QueueUrl = &q
		if _, err := ts.SQS.AddPermission(ctx, &in); apiCode(err) != tc.code {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if got := policy(); !reflect.DeepEqual(got, want) {
		t.Errorf("refused adds changed the policy: %v", got)
	}
	if _, err := ts.SQS.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: &q, Label: aws.String("send")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.SQS.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: &q, Label: aws.String("send")}); apiCode(err) != "InvalidParameterValue" {
		t.Errorf("remove twice: %v", err)
	}
	if _, err := ts.SQS.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: &q, Label: aws.String("both")}); err != nil {
		t.Fatal(err)
	}
	if got := policy(); got != nil {
		t.Errorf("with every label removed: %v", got)
	}
}
