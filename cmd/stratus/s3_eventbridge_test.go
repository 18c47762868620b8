package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestS3EventsOnEventBridge: a bucket with EventBridge enabled sends its
// object events to the default bus, where a rule on the event's detail routes
// them to a queue, in the shape S3 gives EventBridge.
func TestS3EventsOnEventBridge(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	qc := ts.sqsClient()
	q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("s3-events")})
	if err != nil {
		t.Fatal(err)
	}
	ec := eventbridge.New(eventbridge.Options{BaseEndpoint: aws.String(ts.URL), Region: "us-east-1", Credentials: e2eCreds()})
	if _, err := ec.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("uploads"),
		EventPattern: aws.String(`{"source":["aws.s3"],"detail-type":["Object Created","Object Deleted"],"detail":{"bucket":{"name":["eb-bucket"]},"object":{"key":[{"prefix":"in/"}]}}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("uploads"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:s3-events")}}}); err != nil {
		t.Fatal(err)
	}
	sc := s3.New(s3.Options{BaseEndpoint: aws.String(ts.URL), Region: "us-east-1", Credentials: e2eCreds(), UsePathStyle: true})
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eb-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("eb-bucket"),
		NotificationConfiguration: &s3types.NotificationConfiguration{EventBridgeConfiguration: &s3types.EventBridgeConfiguration{}}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"other/skip", "in/a b.txt"} {
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("eb-bucket"), Key: aws.String(k), Body: strings.NewReader("hello")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("eb-bucket"), Key: aws.String("in/a b.txt")}); err != nil {
		t.Fatal(err)
	}
	type s3Event struct {
		Source     string   `json:"source"`
		DetailType string   `json:"detail-type"`
		Resources  []string `json:"resources"`
		Region     string   `json:"region"`
		Detail     struct {
			Version string `json:"version"`
			Bucket  struct{ Name string }
			Object  struct {
				Key       string `json:"key"`
				Size      *int64 `json:"size"`
				ETag      string `json:"etag"`
				Sequencer string `json:"sequencer"`
			} `json:"object"`
			RequestID    string `json:"request-id"`
			Requester    string `json:"requester"`
			Reason       string `json:"reason"`
			DeletionType string `json:"deletion-type"`
		} `json:"detail"`
	}
	var got []s3Event
	deadline := time.Now().Add(15 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var ev s3Event
			if err := json.Unmarshal([]byte(*m.Body), &ev); err != nil {
				t.Fatalf("body %s: %v", *m.Body, err)
			}
			got = append(got, ev)
		}
	}
	if len(got) != 2 {
		t.Fatalf("got %d events, want 2 (in/ only): %+v", len(got), got)
	}
	if got[0].DetailType == "Object Deleted" {
		got[0], got[1] = got[1], got[0]
	}
	c, d := got[0], got[1]
	if c.Source != "aws.s3" || c.DetailType != "Object Created" || len(c.Resources) != 1 || c.Resources[0] != "arn:aws:s3:::eb-bucket" ||
		c.Region != "us-east-1" || c.Detail.Version != "0" || c.Detail.Bucket.Name != "eb-bucket" || c.Detail.Object.Key != "in/a b.txt" ||
		c.Detail.Object.Size == nil || *c.Detail.Object.Size != 5 || c.Detail.Object.ETag != "5d41402abc4b2a76b9719d911017c592" ||
		c.Detail.Object.Sequencer == "" || c.Detail.RequestID == "" || c.Detail.Requester == "" || c.Detail.Reason != "PutObject" {
		t.Fatalf("created event %+v", c)
	}
	if d.DetailType != "Object Deleted" || d.Detail.Reason != "DeleteObject" || d.Detail.DeletionType != "Permanently Deleted" ||
		d.Detail.Object.Key != "in/a b.txt" || d.Detail.Object.Size != nil {
		t.Fatalf("deleted event %+v", d)
	}
}
