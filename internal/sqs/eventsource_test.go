package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/eventsource"
)

func TestEventSourceQueues(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	mustCreate(t, ts.SQS, "esm", nil)
	arn := "arn:aws:sqs:us-east-1:000000000000:esm"
	if _, err := ts.Svc.Send(ctx, "arn:aws:sqs:us-east-1:000000000000:missing", eventsource.Message{Body: "x"}); !errors.Is(err, eventsource.ErrNotFound) {
		t.Fatalf("Send to a missing queue: %v", err)
	}
	id, err := ts.Svc.Send(ctx, arn, eventsource.Message{Body: "hi", Attributes: map[string]eventsource.Attribute{"k": {DataType: "String", StringValue: "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := ts.Svc.Describe(ctx, arn)
	if err != nil || info.FIFO || info.VisibilityTimeout != 30*time.Second {
		t.Fatalf("Describe = %+v, %v", info, err)
	}
	got, err := ts.Svc.Receive(ctx, arn, 10, time.Minute, time.Second)
	if err != nil || len(got) != 1 || got[0].ID != id {
		t.Fatalf("Receive = %+v, %v", got, err)
	}
	var rec map[string]any
	if err := json.Unmarshal(got[0].Data, &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody", "md5OfMessageAttributes", "eventSource", "eventSourceARN", "awsRegion"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("record lacks %s: %s", k, got[0].Data)
		}
	}
	if rec["eventSource"] != "aws:sqs" || rec["md5OfBody"] != md5Hex("hi") {
		t.Errorf("record %s", got[0].Data)
	}
	if err := ts.Svc.ChangeVisibility(ctx, arn, []string{got[0].Receipt}, 0); err != nil {
		t.Fatal(err)
	}
	again, err := ts.Svc.Receive(ctx, arn, 10, time.Minute, 0)
	if err != nil || len(again) != 1 {
		t.Fatalf("Receive after visibility 0 = %v, %v", again, err)
	}
	if err := ts.Svc.Delete(ctx, arn, []string{again[0].Receipt, got[0].Receipt}); err != nil {
		t.Fatal(err)
	}
	none, err := ts.Svc.Receive(ctx, arn, 10, time.Minute, 0)
	if err != nil || len(none) != 0 {
		t.Fatalf("after Delete: %v, %v", none, err)
	}
}
