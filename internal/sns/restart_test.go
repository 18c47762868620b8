package sns

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// TestRestart closes the service and its JetStream store with a publish
// accepted but not yet delivered (the target is down), reopens both on the
// same directory, and checks that topics, subscriptions, their filters and
// the signing key survived and the message is delivered once.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	down := &recorder{failing: true}
	ts := newTestServer(t, down, nil)
	c := ts.client
	topic := mustTopic(t, c, "durable", map[string]string{"DisplayName": "Durable"}).TopicArn
	if _, err := c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: topic, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}); err != nil {
		t.Fatal(err)
	}
	fifo := mustTopic(t, c, "durable.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}).TopicArn
	queue := "arn:aws:sqs:us-east-1:000000000000:durable"
	sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: &queue,
		Attributes: map[string]string{"FilterPolicy": `{"kind":["keep"]}`, "RawMessageDelivery": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	ep := newEndpoint(t)
	httpSub := subscribeHTTP(t, ts, *topic, ep, nil)
	certPath := ts.svc.signer.certPath()

	pub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("survivor"),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("keep")}}})
	if err != nil {
		t.Fatal(err)
	}
	fifoQueue := "arn:aws:sqs:us-east-1:000000000000:durable.fifo"
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: fifo, Protocol: aws.String("sqs"), Endpoint: &fifoQueue}); err != nil {
		t.Fatal(err)
	}
	fpub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: fifo, Message: aws.String("once"), MessageGroupId: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	for down.attemptCount() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	ep.wait(t, 2) // the http subscriber got its copy before the restart

	up := &recorder{}
	ts.reopen(up)
	c = ts.client

	got := up.wait(t, queue, 1)
	if got[0].Body != "survivor" || got[0].Attributes["kind"].StringValue != "keep" {
		t.Fatalf("delivered after restart %+v", got[0])
	}
	lt, err := c.ListTopics(ctx, &awssns.ListTopicsInput{})
	if err != nil || len(lt.Topics) != 2 {
		t.Fatalf("ListTopics %v %v", lt, err)
	}
	ga, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: topic})
	if err != nil || ga.Attributes["DisplayName"] != "Durable" || ga.Attributes["SubscriptionsConfirmed"] != "2" {
		t.Fatalf("topic attributes %v %v", ga, err)
	}
	tags, err := c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: topic})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "core" {
		t.Fatalf("tags %v %v", tags, err)
	}
	fa, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: fifo})
	if err != nil || fa.Attributes["FifoTopic"] != "true" || fa.Attributes["ContentBasedDeduplication"] != "true" {
		t.Fatalf("fifo topic attributes %v %v", fa, err)
	}
	sa, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	if err != nil || sa.Attributes["FilterPolicy"] != `{"kind":["keep"]}` || sa.Attributes["RawMessageDelivery"] != "true" {
		t.Fatalf("subscription attributes %v %v", sa, err)
	}
	ha, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &httpSub})
	if err != nil || ha.Attributes["PendingConfirmation"] != "false" {
		t.Fatalf("http subscription attributes %v %v", ha, err)
	}
	if ts.svc.signer.certPath() != certPath {
		t.Fatalf("signing certificate moved from %s to %s", certPath, ts.svc.signer.certPath())
	}

	// The FIFO topic's deduplication window outlives the restart.
	again, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: fifo, Message: aws.String("once"), MessageGroupId: aws.String("g")})
	if err != nil || aws.ToString(again.MessageId) != aws.ToString(fpub.MessageId) || aws.ToString(again.SequenceNumber) != aws.ToString(fpub.SequenceNumber) {
		t.Fatalf("republished after restart: %v, want the first answer %s", err, aws.ToString(fpub.MessageId))
	}
	up.wait(t, fifoQueue, 1)

	// The filter is compiled again on load: a message it refuses stays out.
	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("dropped"),
		MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("other")}}}); err != nil {
		t.Fatal(err)
	}
	ts.drain()
	if got := up.get(queue); len(got) != 1 {
		t.Fatalf("%d deliveries after restart, want 1", len(got))
	}
	if got := up.get(fifoQueue); len(got) != 1 {
		t.Fatalf("%d FIFO deliveries after restart, want 1", len(got))
	}
	// The http copy published before the restart verifies against the
	// certificate served after it.
	posts := ep.wait(t, 3)
	m := decodeMessage(t, posts[1].body, "Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion",
		"Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes")
	if m["MessageId"] != aws.ToString(pub.MessageId) {
		t.Fatalf("http copy %v", m)
	}
	m["SigningCertURL"] = ts.URL + certPath
	verifySignature(t, m)
}
