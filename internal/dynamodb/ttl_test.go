package dynamodb

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

func TestTimeToLiveSettings(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	simpleTable(t, ts, "Ttl", nil)
	name := aws.String("Ttl")
	describe := func() *types.TimeToLiveDescription {
		t.Helper()
		out, err := ts.DB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name})
		if err != nil {
			t.Fatal(err)
		}
		return out.TimeToLiveDescription
	}
	if d := describe(); d.TimeToLiveStatus != types.TimeToLiveStatusDisabled || d.AttributeName != nil {
		t.Errorf("initial = %+v", d)
	}
	spec := func(attr string, on bool) *types.TimeToLiveSpecification {
		return &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(on)}
	}
	_, err := ts.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name, TimeToLiveSpecification: spec("exp", false)})
	wantAPIError(t, err, "ValidationException", "TimeToLive is already disabled")
	out, err := ts.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name, TimeToLiveSpecification: spec("exp", true)})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.TimeToLiveSpecification; aws.ToString(s.AttributeName) != "exp" || !aws.ToBool(s.Enabled) {
		t.Errorf("answer = %+v", s)
	}
	if d := describe(); d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "exp" {
		t.Errorf("enabled = %+v", d)
	}
	_, err = ts.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name, TimeToLiveSpecification: spec("exp", true)})
	wantAPIError(t, err, "ValidationException", "TimeToLive is already enabled")
	_, err = ts.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name, TimeToLiveSpecification: spec("other", true)})
	wantAPIError(t, err, "ValidationException", "TimeToLive is active on a different AttributeName: current AttributeName is exp")
	if _, err := ts.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name, TimeToLiveSpecification: spec("exp", false)}); err != nil {
		t.Fatal(err)
	}
	if d := describe(); d.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		t.Errorf("disabled = %+v", d)
	}
	_, err = ts.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Nope"), TimeToLiveSpecification: spec("exp", true)})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Nope not found")
	_, err = ts.DB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("Nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: Nope not found")
}

func TestExpireItems(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	arn := streamTable(t, ts, "Exp", types.StreamViewTypeNewAndOldImages)
	simpleTable(t, ts, "NoTTL", nil)
	if _, err := ts.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Exp"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	now := ts.Clock.Now().Unix()
	secs := func(d int64) attr.Value { return num(t, strconv.FormatInt(now+d, 10)) }
	items := map[string]attr.Value{
		"expired":  secs(-10),
		"now":      secs(0),
		"fraction": num(t, strconv.FormatInt(now-100, 10)+".5"),
		"future":   secs(3600),
		"ancient":  secs(-6 * 365 * 24 * 3600),
		"string":   attr.Str(strconv.FormatInt(now-10, 10)),
	}
	for id, v := range items {
		storePut(t, ts, "Exp", attr.Item{"id": attr.Str(id), "exp": v})
		storePut(t, ts, "NoTTL", attr.Item{"id": attr.Str(id), "exp": v})
	}
	storePut(t, ts, "Exp", attr.Item{"id": attr.Str("none")})
	latest := iteratorOf(t, ts, arn, stypes.ShardIteratorTypeLatest, "")

	ts.Svc.expireItems(ctx)

	for id := range items {
		got, err := ts.Svc.Store.Get(ctx, "Exp", attr.Item{"id": attr.Str(id)})
		if err != nil {
			t.Fatal(err)
		}
		gone := id == "expired" || id == "now" || id == "fraction"
		if (got == nil) != gone {
			t.Errorf("item %s: present %v, want gone %v", id, got != nil, gone)
		}
		if kept, _ := ts.Svc.Store.Get(ctx, "NoTTL", attr.Item{"id": attr.Str(id)}); kept == nil {
			t.Errorf("item %s deleted from a table without TTL", id)
		}
	}
	if got, _ := ts.Svc.Store.Get(ctx, "Exp", attr.Item{"id": attr.Str("none")}); got == nil {
		t.Error("item without the TTL attribute deleted")
	}

	out, err := ts.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(latest)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 3 {
		t.Fatalf("%d TTL records, want 3", len(out.Records))
	}
	for _, r := range out.Records {
		id := r.UserIdentity
		if r.EventName != stypes.OperationTypeRemove || id == nil || aws.ToString(id.Type) != "Service" || aws.ToString(id.PrincipalId) != "dynamodb.amazonaws.com" {
			t.Errorf("TTL record = %s %+v", r.EventName, id)
		}
		if r.Dynamodb.OldImage == nil || r.Dynamodb.NewImage != nil {
			t.Errorf("TTL record images: old %v new %v", r.Dynamodb.OldImage, r.Dynamodb.NewImage)
		}
	}

	// The clock moves on: the future item expires too.
	ts.Clock.Advance(2 * time.Hour)
	ts.Svc.expireItems(ctx)
	if got, _ := ts.Svc.Store.Get(ctx, "Exp", attr.Item{"id": attr.Str("future")}); got != nil {
		t.Error("item past its expiry kept")
	}
}

func TestExpireItemsInBackground(t *testing.T) {
	ts := newTestServerWith(t, func(s *Service) { s.TTLEvery = 20 * time.Millisecond })
	ctx := t.Context()
	simpleTable(t, ts, "Bgtab", nil)
	if _, err := ts.DB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Bgtab"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	storePut(t, ts, "Bgtab", attr.Item{"id": attr.Str("x"), "ttl": num(t, strconv.FormatInt(time.Now().Unix()-1, 10))})
	deadline := time.Now().Add(3 * time.Second)
	for {
		got, err := ts.Svc.Store.Get(ctx, "Bgtab", attr.Item{"id": attr.Str("x")})
		if err != nil {
			t.Fatal(err)
		}
		if got == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("expired item not deleted by the background loop")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
