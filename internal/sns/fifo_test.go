package sns

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

var seqRE = regexp.MustCompile(`^\d{20}$`)

func TestFIFOTopicNames(t *testing.T) {
	ctx := context.Background()
	c := newTestServer(t, &recorder{}, nil).client
	fifoName := "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
	for _, tc := range []struct {
		name, fifo, msg string
	}{
		{"orders", "true", fifoName},
		{"bad name.fifo", "true", fifoName},
		{".fifo", "true", fifoName},
		{"orders.fifo", "", "Invalid parameter: Topic Name"},
		{"orders.fifo", "false", "Invalid parameter: Topic Name"},
		{"orders.v2", "", "Invalid parameter: Topic Name"},
	} {
		t.Run(tc.name+"/"+tc.fifo, func(t *testing.T) {
			in := &awssns.CreateTopicInput{Name: aws.String(tc.name)}
			if tc.fifo != "" {
				in.Attributes = map[string]string{"FifoTopic": tc.fifo}
			}
			_, err := c.CreateTopic(ctx, in)
			wantAPIError(t, err, 400, "InvalidParameter", tc.msg)
		})
	}
	_, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("std"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}})
	wantAPIError(t, err, 400, "InvalidParameter", "Invalid parameter: Attributes Reason: Content based deduplication can only be set for FIFO topics")

	ct := mustTopic(t, c, "orders.fifo", map[string]string{"FifoTopic": "true"})
	if aws.ToString(ct.TopicArn) != "arn:aws:sns:us-east-1:000000000000:orders.fifo" {
		t.Fatalf("TopicArn %s", aws.ToString(ct.TopicArn))
	}
	ga, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: ct.TopicArn})
	if err != nil || ga.Attributes["FifoTopic"] != "true" || ga.Attributes["ContentBasedDeduplication"] != "false" {
		t.Fatalf("attributes %v %v", ga, err)
	}
	// FifoTopic is fixed at creation.
	_, err = c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: ct.TopicArn, AttributeName: aws.String("FifoTopic"), AttributeValue: aws.String("false")})
	wantAPIError(t, err, 400, "InvalidParameter", "Invalid parameter: AttributeName")
}

func TestFIFOSubscriptions(t *testing.T) {
	ctx := context.Background()
	c := newTestServer(t, &recorder{}, nil).client
	fifo := mustTopic(t, c, "f.fifo", map[string]string{"FifoTopic": "true"}).TopicArn
	std := mustTopic(t, c, "s", nil).TopicArn
	sub := func(topic *string, protocol, endpoint string) error {
		_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: &protocol, Endpoint: &endpoint})
		return err
	}
	if err := sub(fifo, "sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo"); err != nil {
		t.Fatal(err)
	}
	// AWS delivers from FIFO topics to standard queues since September 2023.
	if err := sub(fifo, "sqs", "arn:aws:sqs:us-east-1:000000000000:standard"); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, sub(std, "sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo"), 400, "InvalidParameter",
		"Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	wantAPIError(t, sub(fifo, "http", "http://127.0.0.1:1/x"), 400, "InvalidParameter", "Invalid parameter: Invalid protocol type: http")
	wantAPIError(t, sub(fifo, "lambda", "arn:aws:lambda:us-east-1:000000000000:function:f"), 400, "InvalidParameter",
		"Invalid parameter: Invalid protocol type: lambda")
}

func TestFIFOPublish(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	ts := newTestServer(t, rec, func(s *Service) { s.DedupWindow = time.Second })
	c := ts.client
	topic := mustTopic(t, c, "pub.fifo", map[string]string{"FifoTopic": "true"}).TopicArn
	queue := "arn:aws:sqs:us-east-1:000000000000:out.fifo"
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: &queue}); err != nil {
		t.Fatal(err)
	}
	publish := func(body, group, dedup string) (*awssns.PublishOutput, error) {
		in := &awssns.PublishInput{TopicArn: topic, Message: &body}
		if group != "" {
			in.MessageGroupId = &group
		}
		if dedup != "" {
			in.MessageDeduplicationId = &dedup
		}
		return c.Publish(ctx, in)
	}

	_, err := publish("x", "", "d")
	wantAPIError(t, err, 400, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
	_, err = publish("x", "g", "")
	wantAPIError(t, err, 400, "InvalidParameter",
		"Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")

	first, err := publish("one", "g1", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if !seqRE.MatchString(aws.ToString(first.SequenceNumber)) || !uuidRE.MatchString(aws.ToString(first.MessageId)) {
		t.Fatalf("Publish answered %+v", first)
	}
	dup, err := publish("one again", "g1", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(dup.MessageId) != aws.ToString(first.MessageId) || aws.ToString(dup.SequenceNumber) != aws.ToString(first.SequenceNumber) {
		t.Fatalf("duplicate answered %+v, first %+v", dup, first)
	}
	second, err := publish("two", "g1", "d2")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(second.SequenceNumber) <= aws.ToString(first.SequenceNumber) {
		t.Fatalf("sequence numbers %s then %s", aws.ToString(first.SequenceNumber), aws.ToString(second.SequenceNumber))
	}
	got := rec.wait(t, queue, 2)
	ts.drain()
	if got = rec.get(queue); len(got) != 2 {
		t.Fatalf("%d deliveries, want 2 (the duplicate is dropped)", len(got))
	}
	var env map[string]any
	for _, d := range got {
		if d.GroupID != "g1" || (d.DeduplicationID != "d1" && d.DeduplicationID != "d2") {
			t.Fatalf("delivery group %q dedup %q", d.GroupID, d.DeduplicationID)
		}
		if d.DeduplicationID == "d1" {
			env = decodeMessage(t, d.Body, "Type", "MessageId", "SequenceNumber", "TopicArn", "Message", "Timestamp",
				"SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL")
		}
	}
	if env["Message"] != "one" || env["SequenceNumber"] != aws.ToString(first.SequenceNumber) || env["MessageId"] != aws.ToString(first.MessageId) {
		t.Fatalf("envelope %v", env)
	}

	// Past the deduplication window the same id is a new message.
	time.Sleep(1100 * time.Millisecond)
	again, err := publish("one later", "g1", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.MessageId) == aws.ToString(first.MessageId) {
		t.Fatal("dedup id remembered past the window")
	}
	rec.wait(t, queue, 3)

	// Content-based deduplication hashes the body.
	if _, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: topic,
		AttributeName: aws.String("ContentBasedDeduplication"), AttributeValue: aws.String("true")}); err != nil {
		t.Fatal(err)
	}
	a, err := publish("same body", "g2", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := publish("same body", "g2", "")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.MessageId) != aws.ToString(b.MessageId) {
		t.Fatal("content-based deduplication let a duplicate through")
	}
	if _, err := publish("other body", "g2", ""); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, queue, 5)
	ts.drain()
	if n := len(rec.get(queue)); n != 5 {
		t.Fatalf("%d deliveries, want 5", n)
	}

	// PublishBatch answers a sequence number per entry, and applies the
	// same rules per entry.
	pb, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("b1"), MessageGroupId: aws.String("g3")},
		{Id: aws.String("b"), Message: aws.String("b2")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pb.Successful) != 1 || aws.ToString(pb.Successful[0].Id) != "a" || !seqRE.MatchString(aws.ToString(pb.Successful[0].SequenceNumber)) {
		t.Fatalf("Successful %s", mustJSON(pb.Successful))
	}
	if len(pb.Failed) != 1 || aws.ToString(pb.Failed[0].Id) != "b" || aws.ToString(pb.Failed[0].Code) != "InvalidParameter" ||
		aws.ToString(pb.Failed[0].Message) != "Invalid parameter: The MessageGroupId parameter is required for FIFO topics" || !pb.Failed[0].SenderFault {
		t.Fatalf("Failed %s", mustJSON(pb.Failed))
	}

	// A standard topic refuses FIFO parameters.
	std := mustTopic(t, c, "plain", nil).TopicArn
	_, err = c.Publish(ctx, &awssns.PublishInput{TopicArn: std, Message: aws.String("x"), MessageGroupId: aws.String("g")})
	wantAPIError(t, err, 400, "InvalidParameter",
		"Invalid parameter: MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type")
	std2, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: std, Message: aws.String("x")})
	if err != nil || std2.SequenceNumber != nil {
		t.Fatalf("standard Publish %+v %v", std2, err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestFIFOOrder checks that a FIFO topic delivers a group's messages in
// publish order, even when a delivery has to be retried, and that
// concurrent duplicates are sent once.
func TestFIFOOrder(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{failNext: 1}
	ts := newTestServer(t, rec, nil)
	c := ts.client
	topic := mustTopic(t, c, "order.fifo", map[string]string{"FifoTopic": "true"}).TopicArn
	queue := "arn:aws:sqs:us-east-1:000000000000:order.fifo"
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: &queue}); err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := 0; i < n; i++ {
		if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String(fmt.Sprint(i)),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	got := rec.wait(t, queue, n)
	for i, m := range got {
		if m.DeduplicationID != fmt.Sprint(i) {
			var order []string
			for _, m := range got {
				order = append(order, m.DeduplicationID)
			}
			t.Fatalf("delivered out of order: %v", order)
		}
	}
	if rec.attemptCount() != n+1 {
		t.Fatalf("%d attempts, want %d (one retry)", rec.attemptCount(), n+1)
	}

	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("dup"),
				MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("same")})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = aws.ToString(out.MessageId)
		}()
	}
	wg.Wait()
	ts.drain()
	if got := rec.get(queue); len(got) != n+1 {
		t.Fatalf("%d deliveries after 10 concurrent duplicates, want %d", len(got), n+1)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("duplicates answered different ids: %v", ids)
		}
	}
}
