package esm

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// apiClient serves f's service over HTTP and returns an SDK client for it.
func apiClient(t *testing.T, f *fixture) *lambda.Client {
	t.Helper()
	srv := httptest.NewServer(f.s)
	t.Cleanup(srv.Close)
	return lambda.New(lambda.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:     aws.NopRetryer{},
	})
}

func TestAPIThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	fns := newFakeFunctions("fn", "other", "dest")
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	c := apiClient(t, f)

	before := time.Now().Add(-time.Second)
	out, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(streamARN), FunctionName: aws.String("fn"),
		StartingPosition: types.EventSourcePositionTrimHorizon,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The defaults AWS answers for a DynamoDB stream mapping.
	if aws.ToInt32(out.BatchSize) != 100 || aws.ToInt32(out.MaximumBatchingWindowInSeconds) != 0 || aws.ToInt32(out.ParallelizationFactor) != 1 ||
		aws.ToInt32(out.MaximumRecordAgeInSeconds) != -1 || aws.ToInt32(out.MaximumRetryAttempts) != -1 || aws.ToBool(out.BisectBatchOnFunctionError) ||
		aws.ToInt32(out.TumblingWindowInSeconds) != 0 || out.StartingPosition != types.EventSourcePositionTrimHorizon ||
		aws.ToString(out.State) != "Creating" || aws.ToString(out.StateTransitionReason) != "User action" ||
		aws.ToString(out.LastProcessingResult) != "No records processed" || aws.ToString(out.FunctionArn) != fnARN("fn") ||
		aws.ToString(out.EventSourceArn) != streamARN || out.DestinationConfig == nil || out.DestinationConfig.OnFailure == nil ||
		out.FunctionResponseTypes == nil || len(out.FunctionResponseTypes) != 0 || out.FilterCriteria != nil {
		t.Errorf("create answered %+v", out)
	}
	if want := "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:" + aws.ToString(out.UUID); aws.ToString(out.EventSourceMappingArn) != want {
		t.Errorf("EventSourceMappingArn %s, want %s", aws.ToString(out.EventSourceMappingArn), want)
	}
	if lm := aws.ToTime(out.LastModified); lm.Before(before) || lm.After(time.Now().Add(time.Second)) {
		t.Errorf("LastModified %v", lm)
	}
	uuid := aws.ToString(out.UUID)
	eventually(t, "Enabled", func() bool {
		g, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
		return err == nil && aws.ToString(g.State) == "Enabled"
	})

	// A second mapping of the stream to another function, with every setting.
	pattern := `{"eventName":["INSERT"]}`
	out2, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(streamARN), FunctionName: aws.String(fnARN("other")),
		StartingPosition: types.EventSourcePositionLatest, BatchSize: aws.Int32(7), MaximumBatchingWindowInSeconds: aws.Int32(3),
		ParallelizationFactor: aws.Int32(2), MaximumRecordAgeInSeconds: aws.Int32(60), MaximumRetryAttempts: aws.Int32(4),
		BisectBatchOnFunctionError: aws.Bool(true), Enabled: aws.Bool(false),
		FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		FilterCriteria:        &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(pattern)}}},
		DestinationConfig:     &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(fnARN("dest"))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out2.BatchSize) != 7 || aws.ToInt32(out2.MaximumBatchingWindowInSeconds) != 3 || aws.ToInt32(out2.ParallelizationFactor) != 2 ||
		aws.ToInt32(out2.MaximumRecordAgeInSeconds) != 60 || aws.ToInt32(out2.MaximumRetryAttempts) != 4 || !aws.ToBool(out2.BisectBatchOnFunctionError) ||
		len(out2.FunctionResponseTypes) != 1 || out2.FilterCriteria == nil || aws.ToString(out2.FilterCriteria.Filters[0].Pattern) != pattern ||
		aws.ToString(out2.DestinationConfig.OnFailure.Destination) != fnARN("dest") || out2.StartingPosition != types.EventSourcePositionLatest {
		t.Errorf("create answered %+v", out2)
	}
	eventually(t, "Disabled", func() bool {
		g, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: out2.UUID})
		return err == nil && aws.ToString(g.State) == "Disabled"
	})

	// Listing: filters and pages.
	all, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(streamARN)})
	if err != nil || len(all.EventSourceMappings) != 2 || aws.ToString(all.EventSourceMappings[0].UUID) != uuid {
		t.Fatalf("list: %v %+v", err, all)
	}
	byFn, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("other")})
	if err != nil || len(byFn.EventSourceMappings) != 1 || aws.ToString(byFn.EventSourceMappings[0].UUID) != aws.ToString(out2.UUID) {
		t.Fatalf("list by function: %v %+v", err, byFn)
	}
	page, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(1)})
	if err != nil || len(page.EventSourceMappings) != 1 || page.NextMarker == nil {
		t.Fatalf("first page: %v %+v", err, page)
	}
	page2, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{MaxItems: aws.Int32(1), Marker: page.NextMarker})
	if err != nil || len(page2.EventSourceMappings) != 1 || page2.NextMarker != nil ||
		aws.ToString(page2.EventSourceMappings[0].UUID) != aws.ToString(out2.UUID) {
		t.Fatalf("second page: %v %+v", err, page2)
	}

	// Update and delete.
	up, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(uuid), BatchSize: aws.Int32(50), Enabled: aws.Bool(false)})
	if err != nil || aws.ToInt32(up.BatchSize) != 50 || aws.ToString(up.State) != "Disabling" {
		t.Fatalf("update: %v %+v", err, up)
	}
	up, err = c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: out2.UUID, MaximumRetryAttempts: aws.Int32(9)})
	if err != nil || aws.ToInt32(up.MaximumRetryAttempts) != 9 || aws.ToInt32(up.BatchSize) != 7 || aws.ToString(up.State) != "Updating" {
		t.Fatalf("update: %v %+v", err, up)
	}
	del, err := c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(uuid)})
	if err != nil || aws.ToString(del.State) != "Deleting" {
		t.Fatalf("delete: %v %+v", err, del)
	}
	eventually(t, "the mapping gone", func() bool {
		_, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(uuid)})
		var nf *types.ResourceNotFoundException
		return errors.As(err, &nf)
	})
}

func TestAPIErrors(t *testing.T) {
	ctx := context.Background()
	fns := newFakeFunctions("fn", "dest")
	m := newMemStreams()
	m.addShard(streamARN, shard0, "")
	f := newFixture(t, fns, m)
	c := apiClient(t, f)
	existing, err := c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		EventSourceArn: aws.String(streamARN), FunctionName: aws.String("fn"), StartingPosition: types.EventSourcePositionLatest,
	})
	if err != nil {
		t.Fatal(err)
	}
	other := "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-02-02T00:00:00.000"
	m.addShard(other, shard0, "")
	base := func(mod func(in *lambda.CreateEventSourceMappingInput)) *lambda.CreateEventSourceMappingInput {
		in := &lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(other), FunctionName: aws.String("fn"),
			StartingPosition: types.EventSourcePositionTrimHorizon}
		mod(in)
		return in
	}
	missing := "arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2024-01-01T00:00:00.000"
	tests := []struct {
		name      string
		in        *lambda.CreateEventSourceMappingInput
		code, msg string
	}{
		{"no starting position", base(func(in *lambda.CreateEventSourceMappingInput) { in.StartingPosition = "" }),
			"InvalidParameterValueException", "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null."},
		{"a starting position out of the enum", base(func(in *lambda.CreateEventSourceMappingInput) { in.StartingPosition = "0" }),
			"ValidationException", "1 validation error detected: Value '0' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]"},
		{"AT_TIMESTAMP on a DynamoDB stream", base(func(in *lambda.CreateEventSourceMappingInput) {
			in.StartingPosition = types.EventSourcePositionAtTimestamp
			in.StartingPositionTimestamp = aws.Time(time.Now())
		}), "InvalidParameterValueException", "Unsupported starting position for arn type: " + other},
		{"a timestamp without AT_TIMESTAMP", base(func(in *lambda.CreateEventSourceMappingInput) { in.StartingPositionTimestamp = aws.Time(time.Now()) }),
			"InvalidParameterValueException", "Timestamp only valid with StartingPosition AT_TIMESTAMP"},
		{"a stream that does not exist", base(func(in *lambda.CreateEventSourceMappingInput) { in.EventSourceArn = aws.String(missing) }),
			"InvalidParameterValueException", "Stream not found: " + missing},
		{"a function that does not exist", base(func(in *lambda.CreateEventSourceMappingInput) { in.FunctionName = aws.String("nope") }),
			"ResourceNotFoundException", "Function not found: " + fnARN("nope")},
		{"a duplicate mapping", base(func(in *lambda.CreateEventSourceMappingInput) { in.EventSourceArn = aws.String(streamARN) }),
			"ResourceConflictException", `The event source arn (" ` + streamARN + ` ") and function (" fn ") provided mapping already exists. Please update or delete the existing mapping with UUID ` + aws.ToString(existing.UUID)},
		{"a batch size of 0", base(func(in *lambda.CreateEventSourceMappingInput) { in.BatchSize = aws.Int32(0) }),
			"ValidationException", "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"a batch size over 10000", base(func(in *lambda.CreateEventSourceMappingInput) { in.BatchSize = aws.Int32(10001) }),
			"ValidationException", "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"a window over 300 s", base(func(in *lambda.CreateEventSourceMappingInput) { in.MaximumBatchingWindowInSeconds = aws.Int32(301) }),
			"ValidationException", "1 validation error detected: Value '301' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300"},
		{"a parallelization factor of 11", base(func(in *lambda.CreateEventSourceMappingInput) { in.ParallelizationFactor = aws.Int32(11) }),
			"ValidationException", "1 validation error detected: Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10"},
		{"a record age under 60 s", base(func(in *lambda.CreateEventSourceMappingInput) { in.MaximumRecordAgeInSeconds = aws.Int32(59) }),
			"InvalidParameterValueException", errRecordAge.Message},
		{"retry attempts under -1", base(func(in *lambda.CreateEventSourceMappingInput) { in.MaximumRetryAttempts = aws.Int32(-2) }),
			"ValidationException", "1 validation error detected: Value '-2' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to -1"},
		{"a filter that is not a pattern", base(func(in *lambda.CreateEventSourceMappingInput) {
			in.FilterCriteria = &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`[{"eventName": ["INSERT"=123}]`)}}}
		}), "InvalidParameterValueException", "Invalid filter pattern definition."},
		{"six filters", base(func(in *lambda.CreateEventSourceMappingInput) {
			in.FilterCriteria = &types.FilterCriteria{}
			for range 6 {
				in.FilterCriteria.Filters = append(in.FilterCriteria.Filters, types.Filter{Pattern: aws.String(`{"eventName":["INSERT"]}`)})
			}
		}), "InvalidParameterValueException", errTooManyFilters.Message},
		{"an SQS destination", base(func(in *lambda.CreateEventSourceMappingInput) {
			in.DestinationConfig = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:000000000000:q")}}
		}), "InvalidParameterValueException", "Stratus can send failed batches only to a Lambda function, an SQS queue or an SNS topic, not to arn:aws:sqs:us-east-1:000000000000:q"},
		{"an on-success destination", base(func(in *lambda.CreateEventSourceMappingInput) {
			in.DestinationConfig = &types.DestinationConfig{OnSuccess: &types.OnSuccess{Destination: aws.String(fnARN("dest"))}}
		}), "InvalidParameterValueException", "Unsupported DestinationConfig parameter for given event source mapping type."},
		{"a destination function that does not exist", base(func(in *lambda.CreateEventSourceMappingInput) {
			in.DestinationConfig = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(fnARN("gone"))}}
		}), "ResourceNotFoundException", "Function not found: " + fnARN("gone")},
		{"an SQS queue (not served yet)", base(func(in *lambda.CreateEventSourceMappingInput) {
			in.EventSourceArn = aws.String("arn:aws:sqs:us-east-1:000000000000:q")
			in.StartingPosition = ""
		}), "InvalidParameterValueException", "Stratus does not poll sqs event sources yet: arn:aws:sqs:us-east-1:000000000000:q"},
		{"an ARN that is no ARN", base(func(in *lambda.CreateEventSourceMappingInput) { in.EventSourceArn = aws.String("stream") }),
			"ValidationException", "1 validation error detected: Value 'stream' at 'eventSourceArn' failed to satisfy constraint: " + patternEventSourceArn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateEventSourceMapping(ctx, tt.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err %v, want %s", err, tt.code)
			}
			if ae.ErrorCode() != tt.code || ae.ErrorMessage() != tt.msg {
				t.Errorf("got %s: %s\nwant %s: %s", ae.ErrorCode(), ae.ErrorMessage(), tt.code, tt.msg)
			}
		})
	}
	// Nothing refused was stored.
	if l, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{}); err != nil || len(l.EventSourceMappings) != 1 {
		t.Errorf("list after refusals: %v %d", err, len(l.EventSourceMappings))
	}

	var nf *types.ResourceNotFoundException
	if _, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("7b2b8a2c-0000-4000-8000-000000000000")}); !errors.As(err, &nf) ||
		nf.ErrorMessage() != "The resource you requested does not exist." {
		t.Errorf("get of an unknown UUID: %v", err)
	}
	if _, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String("7b2b8a2c-0000-4000-8000-000000000000")}); !errors.As(err, &nf) {
		t.Errorf("update of an unknown UUID: %v", err)
	}
	if _, err := c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String("7b2b8a2c-0000-4000-8000-000000000000")}); !errors.As(err, &nf) {
		t.Errorf("delete of an unknown UUID: %v", err)
	}
	var ce *types.ResourceConflictException
	c.CreateEventSourceMapping(ctx, base(func(*lambda.CreateEventSourceMappingInput) {})) //nolint:errcheck // fn ← other
	if _, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: existing.UUID, FunctionName: aws.String("fn")}); err != nil {
		t.Errorf("update to the same function: %v", err)
	}
	second, err := c.CreateEventSourceMapping(ctx, base(func(in *lambda.CreateEventSourceMappingInput) { in.FunctionName = aws.String("dest") }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: second.UUID, FunctionName: aws.String("fn")}); !errors.As(err, &ce) ||
		!strings.Contains(ce.ErrorMessage(), "provided mapping already exists") {
		t.Errorf("update onto an existing mapping: %v", err)
	}
}
