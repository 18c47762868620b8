package sns

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/eventsource"
)

func newClient(t *testing.T, targets eventsource.Sender) *awssns.Client {
	t.Helper()
	return newTestServer(t, targets, nil).client
}

func TestTopicsSubscriptionsPublish(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	ts := newTestServer(t, rec, nil)
	c := ts.client
	ct, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("t1")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sns:us-east-1:000000000000:t1"; aws.ToString(ct.TopicArn) != want {
		t.Fatalf("TopicArn = %s", aws.ToString(ct.TopicArn))
	}
	queue := "arn:aws:sqs:us-east-1:000000000000:q1"
	sub, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: ct.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(queue),
		Attributes: map[string]string{"FilterPolicy": `{"color":["red"]}`}})
	if err != nil {
		t.Fatal(err)
	}
	ga, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: ct.TopicArn})
	if err != nil {
		t.Fatal(err)
	}
	if ga.Attributes["SubscriptionsConfirmed"] != "1" || ga.Attributes["Owner"] != "000000000000" {
		t.Fatalf("attributes %v", ga.Attributes)
	}
	for _, color := range []string{"blue", "red"} {
		if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: ct.TopicArn, Message: aws.String("hello " + color), Subject: aws.String("s"),
			MessageAttributes: map[string]types.MessageAttributeValue{"color": {DataType: aws.String("String"), StringValue: aws.String(color)}}}); err != nil {
			t.Fatal(err)
		}
	}
	got := rec.wait(t, queue, 1)
	var env map[string]any
	if err := json.Unmarshal([]byte(got[0].Body), &env); err != nil {
		t.Fatal(err)
	}
	if env["Type"] != "Notification" || env["Message"] != "hello red" || env["Subject"] != "s" || env["TopicArn"] != *ct.TopicArn {
		t.Fatalf("envelope %v", env)
	}
	attrs, _ := env["MessageAttributes"].(map[string]any)
	if a, _ := attrs["color"].(map[string]any); a["Type"] != "String" || a["Value"] != "red" {
		t.Fatalf("MessageAttributes %v", env["MessageAttributes"])
	}
	ts.drain()
	if n := len(rec.get(queue)); n != 1 {
		t.Fatalf("filter let %d through", n)
	}
	ls, err := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: ct.TopicArn})
	if err != nil || len(ls.Subscriptions) != 1 || aws.ToString(ls.Subscriptions[0].SubscriptionArn) != aws.ToString(sub.SubscriptionArn) {
		t.Fatalf("ListSubscriptionsByTopic %v %v", ls, err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, &recorder{})
	missingTopic := aws.String("arn:aws:sns:us-east-1:000000000000:nope")
	for _, tc := range []struct {
		name, code, msg string
		call            func() error
	}{
		{"publish missing topic", "NotFound", "Topic does not exist", func() error {
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: missingTopic, Message: aws.String("x")})
			return err
		}},
		{"bad topic name", "InvalidParameter", "Invalid parameter: Topic Name", func() error {
			_, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("bad name")})
			return err
		}},
		{"get attributes missing topic", "NotFound", "Topic does not exist", func() error {
			_, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: missingTopic})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || ae.ErrorMessage() != tc.msg {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
