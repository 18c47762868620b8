package sns

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func TestErrorCatalogue(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t, &recorder{}, nil)
	c := ts.client
	topic := mustTopic(t, c, "errs", nil).TopicArn
	missingTopic := aws.String("arn:aws:sns:us-east-1:000000000000:nope")
	missingSub := aws.String("arn:aws:sns:us-east-1:000000000000:errs:6e3c5b0c-9d6f-4a8e-8a43-3c3e1e3c9f10")
	entry := func(id, msg string) types.PublishBatchRequestEntry {
		return types.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String(msg)}
	}
	var eleven []types.PublishBatchRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, entry(fmt.Sprint(i), "m"))
	}
	for _, tc := range []struct {
		name   string
		status int
		code   string
		msg    string
		call   func() error
	}{
		{"publish to a missing topic", 404, "NotFound", "Topic does not exist", func() error {
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: missingTopic, Message: aws.String("x")})
			return err
		}},
		{"subscribe to a missing topic", 404, "NotFound", "Topic does not exist", func() error {
			_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: missingTopic, Protocol: aws.String("sqs"),
				Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:q")})
			return err
		}},
		{"set attributes of a missing topic", 404, "NotFound", "Topic does not exist", func() error {
			_, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: missingTopic,
				AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("x")})
			return err
		}},
		{"list subscriptions of a missing topic", 404, "NotFound", "Topic does not exist", func() error {
			_, err := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: missingTopic})
			return err
		}},
		{"publish batch to a missing topic", 404, "NotFound", "Topic does not exist", func() error {
			_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: missingTopic,
				PublishBatchRequestEntries: []types.PublishBatchRequestEntry{entry("a", "x")}})
			return err
		}},
		{"attributes of a missing subscription", 404, "NotFound", "Subscription does not exist", func() error {
			_, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: missingSub})
			return err
		}},
		{"malformed topic ARN", 400, "InvalidParameter", "Invalid parameter: TopicArn", func() error {
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String("not-an-arn"), Message: aws.String("x")})
			return err
		}},
		{"empty message", 400, "InvalidParameter", "Invalid parameter: Empty message", func() error {
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("")})
			return err
		}},
		{"message one byte too long", 400, "InvalidParameter", "Invalid parameter: Message too long", func() error {
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String(strings.Repeat("x", 256*1024+1))})
			return err
		}},
		{"attributes count toward the size", 400, "InvalidParameter", "Invalid parameter: Message too long", func() error {
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String(strings.Repeat("x", 256*1024-10)),
				MessageAttributes: map[string]types.MessageAttributeValue{"attr": {DataType: aws.String("String"), StringValue: aws.String("value")}}})
			return err
		}},
		{"too many attributes", 400, "InvalidParameterValue", "Number of message attributes [11] exceeds the allowed maximum [10].", func() error {
			attrs := map[string]types.MessageAttributeValue{}
			for i := 0; i < 11; i++ {
				attrs[fmt.Sprint("a", i)] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("v")}
			}
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("x"), MessageAttributes: attrs})
			return err
		}},
		{"attribute type", 400, "InvalidParameterValue", "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", func() error {
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Text"), StringValue: aws.String("v")}}})
			return err
		}},
		{"empty batch", 400, "EmptyBatchRequest", "The batch request doesn't contain any entries.", func() error {
			_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{}})
			return err
		}},
		{"eleven entries", 400, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.", func() error {
			_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: eleven})
			return err
		}},
		{"repeated entry ids", 400, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", func() error {
			_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic,
				PublishBatchRequestEntries: []types.PublishBatchRequestEntry{entry("a", "1"), entry("b", "2"), entry("a", "3")}})
			return err
		}},
		{"bad entry id", 400, "InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.", func() error {
			_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic,
				PublishBatchRequestEntries: []types.PublishBatchRequestEntry{entry("a.b", "1")}})
			return err
		}},
		{"batch over 256 KiB", 400, "BatchRequestTooLong", "The length of all the messages put together is more than the limit.", func() error {
			big := strings.Repeat("x", 100*1024)
			_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: topic,
				PublishBatchRequestEntries: []types.PublishBatchRequestEntry{entry("a", big), entry("b", big), entry("c", big)}})
			return err
		}},
		{"unknown protocol", 400, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon", func() error {
			_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("carrier-pigeon"), Endpoint: aws.String("x")})
			return err
		}},
		{"http endpoint of another scheme", 400, "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol", func() error {
			_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("https"), Endpoint: aws.String("http://example.com/")})
			return err
		}},
		{"unknown subscription attribute", 400, "InvalidParameter", "Invalid parameter: AttributeName", func() error {
			_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic, Protocol: aws.String("sqs"),
				Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:q"), Attributes: map[string]string{"Colour": "red"}})
			return err
		}},
		{"bad confirmation token", 400, "InvalidParameter", "Invalid parameter: Token", func() error {
			_, err := c.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: topic, Token: aws.String("0123")})
			return err
		}},
		{"message structure without default", 400, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body", func() error {
			_, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String(`{"sqs":"x"}`), MessageStructure: aws.String("json")})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, tc.call(), tc.status, tc.code, tc.msg)
		})
	}

	// The limit itself is allowed, and deleting a missing topic succeeds.
	if _, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: topic, Message: aws.String(strings.Repeat("x", 256*1024))}); err != nil {
		t.Fatalf("a 256 KiB message: %v", err)
	}
	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: missingTopic}); err != nil {
		t.Fatalf("DeleteTopic of a missing topic: %v", err)
	}
}

// TestQueryErrorDocument checks the error as the query protocol renders it
// on the wire: status, content type, and the ErrorResponse document with
// Type, Code, Message and RequestId.
func TestQueryErrorDocument(t *testing.T) {
	ts := newTestServer(t, &recorder{}, nil)
	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"Action": {"Publish"}, "TopicArn": {"arn:aws:sns:us-east-1:000000000000:nope"}, "Message": {"x"}}, 404,
			"<Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message>"},
		{url.Values{"Action": {"Frobnicate"}}, 400, "<Code>InvalidAction</Code>"},
	} {
		resp, err := http.PostForm(ts.URL, tc.form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "text/xml" ||
			!strings.Contains(body, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">`) ||
			!strings.Contains(body, tc.want) || !strings.Contains(body, "<RequestId>") {
			t.Fatalf("%v: %d %s %s", tc.form, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}
