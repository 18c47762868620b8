package sns

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// TestLambdaEvent checks the event a subscribed function receives against
// the shape Lambda documents for SNS: Records[0] with EventSource,
// EventVersion, EventSubscriptionArn and Sns, whose URLs are spelt "Url",
// whose Subject is null when absent and MessageAttributes {} when none.
func TestLambdaEvent(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	ts := newTestServer(t, rec, nil)
	c := ts.client
	topic := mustTopic(t, c, "fn", nil).TopicArn
	fn := "arn:aws:lambda:us-east-1:000000000000:function:handler"
	sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("lambda"), Endpoint: &fn})
	if err != nil {
		t.Fatal(err)
	}
	with, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("m1"), Subject: aws.String("s"),
		MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("m2")}); err != nil {
		t.Fatal(err)
	}
	got := rec.wait(t, fn, 2)
	for _, d := range got {
		var ev struct {
			Records []map[string]json.RawMessage
		}
		if err := json.Unmarshal([]byte(d.Body), &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("event %s: %v", d.Body, err)
		}
		r := ev.Records[0]
		if string(r["EventSource"]) != `"aws:sns"` || string(r["EventVersion"]) != `"1.0"` ||
			string(r["EventSubscriptionArn"]) != `"`+aws.ToString(sub.SubscriptionArn)+`"` || len(r) != 4 {
			t.Fatalf("record %s", d.Body)
		}
		m := decodeMessage(t, string(r["Sns"]), "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
			"SignatureVersion", "Signature", "SigningCertUrl", "UnsubscribeUrl", "MessageAttributes")
		if m["Message"] == "m1" {
			if m["MessageId"] != aws.ToString(with.MessageId) || m["Subject"] != "s" ||
				mustJSON(m["MessageAttributes"]) != `{"k":{"Type":"String","Value":"v"}}` {
				t.Fatalf("Sns %v", m)
			}
		} else if m["Subject"] != nil || mustJSON(m["MessageAttributes"]) != `{}` {
			t.Fatalf("Sns without subject or attributes %v", m)
		}
		m["SigningCertURL"] = m["SigningCertUrl"]
		delete(m, "SigningCertUrl")
		if m["Subject"] == nil {
			delete(m, "Subject")
		}
		verifySignature(t, m)
	}
}

// TestMessageStructure checks that MessageStructure json sends each
// protocol its own text and the others the default.
func TestMessageStructure(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	ts := newTestServer(t, rec, nil)
	c := ts.client
	topic := mustTopic(t, c, "structured", nil).TopicArn
	q, fn := "arn:aws:sqs:us-east-1:000000000000:sq", "arn:aws:lambda:us-east-1:000000000000:function:f"
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: &q,
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("lambda"), Endpoint: &fn}); err != nil {
		t.Fatal(err)
	}
	ep := newEndpoint(t)
	subscribeHTTP(t, ts, *topic, ep, map[string]string{"RawMessageDelivery": "true"})
	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for everyone","sqs":"for queues","http":"for webhooks"}`)}); err != nil {
		t.Fatal(err)
	}
	if got := rec.wait(t, q, 1)[0].Body; got != "for queues" {
		t.Fatalf("sqs got %q", got)
	}
	if got := ep.wait(t, 2)[1].body; got != "for webhooks" {
		t.Fatalf("http got %q", got)
	}
	var ev struct {
		Records []struct{ Sns struct{ Message string } }
	}
	if err := json.Unmarshal([]byte(rec.wait(t, fn, 1)[0].Body), &ev); err != nil || ev.Records[0].Sns.Message != "for everyone" {
		t.Fatalf("lambda got %+v %v", ev, err)
	}
}

// TestDeadLetterQueue checks that a delivery that runs out of retries goes
// to the subscription's RedrivePolicy queue, once, as the envelope.
func TestDeadLetterQueue(t *testing.T) {
	ctx := context.Background()
	q, dlq := "arn:aws:sqs:us-east-1:000000000000:gone", "arn:aws:sqs:us-east-1:000000000000:dlq"
	rec := &recorder{down: map[string]bool{q: true}}
	ts := newTestServer(t, rec, func(s *Service) { s.TargetRetries = 2 })
	c := ts.client
	topic := mustTopic(t, c, "redrive", nil).TopicArn
	if _, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: &q,
		Attributes: map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlq + `"}`}}); err != nil {
		t.Fatal(err)
	}
	pub, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("undeliverable"),
		MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.wait(t, dlq, 1)
	ts.drain()
	if got = rec.get(dlq); len(got) != 1 || rec.attemptCount() != 4 {
		t.Fatalf("%d dead letters after %d attempts, want 1 after 3 attempts and the dead letter", len(got), rec.attemptCount())
	}
	m := decodeMessage(t, got[0].Body, "Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion",
		"Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes")
	if m["MessageId"] != aws.ToString(pub.MessageId) || m["Message"] != "undeliverable" || got[0].Attributes["k"].StringValue != "v" {
		t.Fatalf("dead letter %v %+v", m, got[0].Attributes)
	}

	_, err = c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"), Endpoint: aws.String(dlq + "2"),
		Attributes: map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"nope"}`}})
	wantAPIError(t, err, 400, "InvalidParameter", "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn")
}
