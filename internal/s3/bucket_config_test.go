package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	stratuss3 "github.com/stratus-run/stratus/internal/s3"
)

func TestLifecycleConfiguration(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	c := ts.client(t)
	mustCreate(t, c, "rules")
	get := func() *s3.GetBucketLifecycleConfigurationOutput {
		t.Helper()
		out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("rules")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("rules")})
	wantAPIError(t, err, 404, "NoSuchLifecycleConfiguration")
	wantMessage(t, err, "The lifecycle configuration does not exist")

	midnight := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rules := []types.LifecycleRule{
		{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration:  &types.LifecycleExpiration{Days: aws.Int32(7)},
			Transitions: []types.Transition{{Days: aws.Int32(30), StorageClass: types.TransitionStorageClassStandardIa}}},
		{ID: aws.String("tagged"), Status: types.ExpirationStatusDisabled, Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{
			Prefix: aws.String("tmp/"), Tags: []types.Tag{{Key: aws.String("class"), Value: aws.String("scratch")}}, ObjectSizeGreaterThan: aws.Int64(10)}},
			Expiration: &types.LifecycleExpiration{Date: &midnight}},
		{Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{},
			NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(3), NewerNoncurrentVersions: aws.Int32(2)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}},
		{ID: aws.String("markers"), Status: types.ExpirationStatusEnabled, Prefix: aws.String("old/"),
			Expiration: &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}},
	}
	put, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("rules"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
	if err != nil {
		t.Fatal(err)
	}
	if put.TransitionDefaultMinimumObjectSize != types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k {
		t.Errorf("put minimum size = %q", put.TransitionDefaultMinimumObjectSize)
	}
	out := get()
	if len(out.Rules) != 4 || out.TransitionDefaultMinimumObjectSize != types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k {
		t.Fatalf("rules = %d, minimum size %q", len(out.Rules), out.TransitionDefaultMinimumObjectSize)
	}
	r0, r1, r2, r3 := out.Rules[0], out.Rules[1], out.Rules[2], out.Rules[3]
	if aws.ToString(r0.ID) != "logs" || aws.ToString(r0.Filter.Prefix) != "logs/" || aws.ToInt32(r0.Expiration.Days) != 7 ||
		len(r0.Transitions) != 1 || r0.Transitions[0].StorageClass != types.TransitionStorageClassStandardIa {
		t.Errorf("rule 0 = %+v", r0)
	}
	if r1.Status != types.ExpirationStatusDisabled || r1.Filter.And == nil || aws.ToString(r1.Filter.And.Prefix) != "tmp/" ||
		len(r1.Filter.And.Tags) != 1 || aws.ToInt64(r1.Filter.And.ObjectSizeGreaterThan) != 10 || !r1.Expiration.Date.Equal(midnight) {
		t.Errorf("rule 1 = %+v", r1)
	}
	if aws.ToString(r2.ID) == "" || aws.ToInt32(r2.NoncurrentVersionExpiration.NoncurrentDays) != 3 ||
		aws.ToInt32(r2.NoncurrentVersionExpiration.NewerNoncurrentVersions) != 2 || aws.ToInt32(r2.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 1 {
		t.Errorf("rule 2 (ID made by S3) = %+v", r2)
	}
	if aws.ToString(r3.Prefix) != "old/" || !aws.ToBool(r3.Expiration.ExpiredObjectDeleteMarker) {
		t.Errorf("rule 3 = %+v", r3)
	}

	notMidnight := midnight.Add(time.Hour)
	thousand := make([]types.LifecycleRule, 1001)
	for i := range thousand {
		thousand[i] = types.LifecycleRule{ID: aws.String(fmt.Sprint(i)), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}
	}
	one := func(r types.LifecycleRule) []types.LifecycleRule {
		if r.Filter == nil && r.Prefix == nil {
			r.Filter = &types.LifecycleRuleFilter{}
		}
		r.Status = types.ExpirationStatusEnabled
		return []types.LifecycleRule{r}
	}
	for _, tc := range []struct {
		name  string
		rules []types.LifecycleRule
		code  string
		msg   string
	}{
		{"zero days", one(types.LifecycleRule{Expiration: &types.LifecycleExpiration{Days: aws.Int32(0)}}),
			"InvalidArgument", "'Days' for Expiration action must be a positive integer"},
		{"date not midnight", one(types.LifecycleRule{Expiration: &types.LifecycleExpiration{Date: &notMidnight}}),
			"InvalidArgument", "'Date' must be at midnight GMT"},
		{"noncurrent days", one(types.LifecycleRule{NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(-1)}}),
			"InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
		{"abort days", one(types.LifecycleRule{AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(0)}}),
			"InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"},
		{"no action", one(types.LifecycleRule{}), "InvalidRequest", "At least one action needs to be specified in a rule."},
		{"days and marker", one(types.LifecycleRule{Expiration: &types.LifecycleExpiration{Days: aws.Int32(1), ExpiredObjectDeleteMarker: aws.Bool(true)}}),
			"MalformedXML", ""},
		{"duplicate ids", append(one(types.LifecycleRule{ID: aws.String("x"), Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}),
			one(types.LifecycleRule{ID: aws.String("x"), Expiration: &types.LifecycleExpiration{Days: aws.Int32(2)}})...),
			"InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"},
		{"long id", one(types.LifecycleRule{ID: aws.String(strings.Repeat("i", 256)), Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}),
			"InvalidArgument", "ID length should not exceed allowed limit of 255"},
		{"duplicate tags", one(types.LifecycleRule{Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Tags: []types.Tag{
			{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}}},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}), "InvalidRequest", "Duplicate Tag Keys are not allowed."},
		{"two predicates", one(types.LifecycleRule{Filter: &types.LifecycleRuleFilter{Prefix: aws.String("a"), ObjectSizeLessThan: aws.Int64(5)},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}), "MalformedXML", ""},
		{"1001 rules", thousand, "MalformedXML", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("rules"),
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: tc.rules}})
			wantAPIError(t, err, 400, tc.code)
			if tc.msg != "" {
				wantMessage(t, err, tc.msg)
			}
			if n := len(get().Rules); n != 4 {
				t.Fatalf("a refused put left %d rules", n)
			}
		})
	}

	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String("rules")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("rules")})
	wantAPIError(t, err, 404, "NoSuchLifecycleConfiguration")
}

// functions is a Functions as Lambda is to S3 (the interface's contract): the
// functions that exist with the buckets their policies let S3 invoke them for,
// and the events queued to each.
type functions struct {
	mu      sync.Mutex
	allowed map[string]string // function ARN → the bucket ARN its policy names
	queued  map[string][]string
	fail    int // EnqueueEvent calls to fail before succeeding
	calls   int
}

var errNoFunction = errors.New("test: function not found")

func newFunctions() *functions {
	return &functions{allowed: map[string]string{}, queued: map[string][]string{}}
}

func (f *functions) Permits(ctx context.Context, arn, principal, sourceArn, sourceAccount string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	src, ok := f.allowed[arn]
	if !ok {
		return fmt.Errorf("%s: %w", arn, errNoFunction)
	}
	if principal != "s3.amazonaws.com" || src != sourceArn || sourceAccount != "000000000000" {
		return errors.New("test: not permitted")
	}
	return nil
}

func (f *functions) EnqueueEvent(ctx context.Context, arn string, payload []byte, traceID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if _, ok := f.allowed[arn]; !ok {
		return "", fmt.Errorf("%s: %w", arn, errNoFunction)
	}
	if f.fail > 0 {
		f.fail--
		return "", errors.New("test: queue unavailable")
	}
	f.queued[arn] = append(f.queued[arn], string(payload))
	return fmt.Sprint(f.calls), nil
}

func (f *functions) events(arn string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queued[arn]...)
}

const fnA = "arn:aws:lambda:us-east-1:000000000000:function:a"
const fnB = "arn:aws:lambda:us-east-1:000000000000:function:b"

func TestNotificationConfiguration(t *testing.T) {
	fns := newFunctions()
	fns.allowed[fnA] = "arn:aws:s3:::events"
	fns.allowed[fnB] = "arn:aws:s3:::some-other-bucket"
	ts := startS3(t, func(s *stratuss3.Service) { s.Functions, s.FunctionNotFound = fns, errNoFunction })
	ctx := context.Background()
	rec := &recorder{}
	c := ts.client(t, func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: rec} })
	mustCreate(t, c, "events")
	get := func() *s3.GetBucketNotificationConfigurationOutput {
		t.Helper()
		out, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("events")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := get(); len(out.LambdaFunctionConfigurations)+len(out.QueueConfigurations)+len(out.TopicConfigurations) != 0 || out.EventBridgeConfiguration != nil {
		t.Fatalf("none configured: %+v", out)
	}
	prefix := func(v string) *types.NotificationConfigurationFilter {
		return &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: []types.FilterRule{{Name: "prefix", Value: aws.String(v)}}}}
	}
	cfg := &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
		{Id: aws.String("uploads"), LambdaFunctionArn: aws.String(fnA), Events: []types.Event{"s3:ObjectCreated:*"}, Filter: prefix("uploads/")},
		{LambdaFunctionArn: aws.String(fnA), Events: []types.Event{"s3:ObjectRemoved:*", "s3:ObjectCreated:Put"}, Filter: prefix("other/")},
	}}
	if _, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("events"),
		NotificationConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
	out := get()
	if len(out.LambdaFunctionConfigurations) != 2 {
		t.Fatalf("configurations = %+v", out.LambdaFunctionConfigurations)
	}
	l0, l1 := out.LambdaFunctionConfigurations[0], out.LambdaFunctionConfigurations[1]
	if aws.ToString(l0.Id) != "uploads" || aws.ToString(l0.LambdaFunctionArn) != fnA || fmt.Sprint(l0.Events) != "[s3:ObjectCreated:*]" ||
		l0.Filter.Key.FilterRules[0].Name != "Prefix" || aws.ToString(l0.Filter.Key.FilterRules[0].Value) != "uploads/" {
		t.Errorf("configuration 0 = %+v", l0)
	}
	if aws.ToString(l1.Id) == "" || fmt.Sprint(l1.Events) != "[s3:ObjectRemoved:* s3:ObjectCreated:Put]" {
		t.Errorf("configuration 1 (Id made by S3) = %+v", l1)
	}
	lambdaCfg := func(arn string, events []types.Event, f *types.NotificationConfigurationFilter) *types.NotificationConfiguration {
		return &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
			{LambdaFunctionArn: aws.String(arn), Events: events, Filter: f}}}
	}
	rules := func(rs ...types.FilterRule) *types.NotificationConfigurationFilter {
		return &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: rs}}
	}
	rule := func(name, value string) types.FilterRule {
		return types.FilterRule{Name: types.FilterRuleName(name), Value: aws.String(value)}
	}
	both := &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
		{LambdaFunctionArn: aws.String(fnA), Events: []types.Event{"s3:ObjectCreated:*"}},
		{LambdaFunctionArn: aws.String(fnA), Events: []types.Event{"s3:ObjectCreated:Put"}},
	}}
	ambiguous := &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
		{LambdaFunctionArn: aws.String(fnA), Events: []types.Event{"s3:ObjectCreated:*"}, Filter: prefix("a/")},
		{LambdaFunctionArn: aws.String(fnA), Events: []types.Event{"s3:ObjectCreated:Copy"}, Filter: prefix("a/b/")},
	}}
	const missing = "arn:aws:lambda:us-east-1:000000000000:function:missing"
	for _, tc := range []struct {
		name  string
		cfg   *types.NotificationConfiguration
		skip  bool
		code  string
		msg   string
		extra []string
	}{
		{"unknown event", lambdaCfg(fnA, []types.Event{"s3:ObjectCreated:Sneeze"}, nil), false, "InvalidArgument", "The event is not supported for notifications", nil},
		{"bad arn", lambdaCfg("not-an-arn", []types.Event{"s3:ObjectCreated:*"}, nil), true, "InvalidArgument", "The ARN could not be parsed",
			[]string{"<ArgumentName>CloudFunction</ArgumentName><ArgumentValue>not-an-arn</ArgumentValue>"}},
		{"bad rule name", lambdaCfg(fnA, []types.Event{"s3:ObjectCreated:*"}, rules(rule("middle", "x"))), false, "InvalidArgument",
			"filter rule name must be either prefix or suffix", []string{"<ArgumentName>FilterRule.Name</ArgumentName><ArgumentValue>middle</ArgumentValue>"}},
		{"two prefixes", lambdaCfg(fnA, []types.Event{"s3:ObjectCreated:*"}, rules(rule("prefix", "a"), rule("Prefix", "b"))), false, "InvalidArgument",
			"Cannot specify more than one prefix rule in a filter.", nil},
		{"two suffixes", lambdaCfg(fnA, []types.Event{"s3:ObjectCreated:*"}, rules(rule("suffix", "a"), rule("SUFFIX", "b"))), false, "InvalidArgument",
			"Cannot specify more than one suffix rule in a filter.", nil},
		{"overlap", both, false, "InvalidArgument", "Configurations overlap. Configurations on the same bucket cannot share a common event type.", nil},
		{"ambiguous", ambiguous, false, "InvalidArgument",
			"Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.", nil},
		{"missing function", lambdaCfg(missing, []types.Event{"s3:ObjectCreated:*"}, nil), false, "InvalidArgument",
			"Unable to validate the following destination configurations",
			[]string{"<ArgumentName1>" + missing + ", null</ArgumentName1><ArgumentValue1>Not authorized to invoke function [" + missing + "]</ArgumentValue1>"}},
		{"not permitted", &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
			{LambdaFunctionArn: aws.String(fnB), Events: []types.Event{"s3:ObjectCreated:*"}},
			{LambdaFunctionArn: aws.String(missing), Events: []types.Event{"s3:ObjectRemoved:*"}},
		}}, false, "InvalidArgument", "Unable to validate the following destination configurations",
			[]string{"<ArgumentName1>" + fnB + ", null</ArgumentName1>", "<ArgumentName2>" + missing + ", null</ArgumentName2>"}},
		{"queue", &types.NotificationConfiguration{QueueConfigurations: []types.QueueConfiguration{{
			QueueArn: aws.String("arn:aws:sqs:us-east-1:000000000000:q"), Events: []types.Event{"s3:ObjectCreated:*"}}}},
			false, "InvalidArgument", "Unable to validate the following destination configurations",
			[]string{"<ArgumentValue1>The destination queue does not exist</ArgumentValue1>"}},
		{"other region", lambdaCfg("arn:aws:lambda:eu-west-1:000000000000:function:a", []types.Event{"s3:ObjectCreated:*"}, nil), false,
			"InvalidArgument", "The notification destination service region is not valid for the bucket location constraint", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("events"),
				NotificationConfiguration: tc.cfg, SkipDestinationValidation: aws.Bool(tc.skip)})
			raw := rec.last()
			wantAPIError(t, err, 400, tc.code)
			wantMessage(t, err, tc.msg)
			for _, x := range tc.extra {
				if !strings.Contains(raw, x) {
					t.Errorf("error body %s lacks %s", raw, x)
				}
			}
			if out := get(); len(out.LambdaFunctionConfigurations) != 2 || aws.ToString(out.LambdaFunctionConfigurations[0].Id) != "uploads" {
				t.Fatalf("a refused put changed the configuration: %+v", out)
			}
		})
	}

	// Skipping validation keeps destinations that cannot be validated.
	if _, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("events"),
		SkipDestinationValidation: aws.Bool(true), NotificationConfiguration: &types.NotificationConfiguration{
			LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{{Id: aws.String("id123"), LambdaFunctionArn: aws.String(missing),
				Events: []types.Event{"s3:ObjectCreated:*"}}},
			QueueConfigurations: []types.QueueConfiguration{{QueueArn: aws.String("arn:aws:sqs:us-east-1:000000000000:q"),
				Events: []types.Event{"s3:ObjectRemoved:*"}}},
			EventBridgeConfiguration: &types.EventBridgeConfiguration{},
		}}); err != nil {
		t.Fatal(err)
	}
	out = get()
	if len(out.LambdaFunctionConfigurations) != 1 || aws.ToString(out.LambdaFunctionConfigurations[0].Id) != "id123" ||
		len(out.QueueConfigurations) != 1 || out.EventBridgeConfiguration == nil {
		t.Fatalf("skipped validation = %+v", out)
	}

	// An empty configuration removes all.
	if _, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("events"),
		NotificationConfiguration: &types.NotificationConfiguration{}}); err != nil {
		t.Fatal(err)
	}
	if out := get(); len(out.LambdaFunctionConfigurations)+len(out.QueueConfigurations) != 0 || out.EventBridgeConfiguration != nil {
		t.Fatalf("after an empty put: %+v", out)
	}
	_, err := c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String("no-such-bucket")})
	wantAPIError(t, err, 404, "NoSuchBucket")
}

// TestNotificationDelivery puts an object the way the object handlers do (a
// store write with the events hook) and sees its event queued to the function.
func TestNotificationDelivery(t *testing.T) {
	fns := newFunctions()
	fns.allowed[fnA] = "arn:aws:s3:::deliver"
	fns.fail = 2
	ts := startS3(t, func(s *stratuss3.Service) { s.Functions, s.FunctionNotFound = fns, errNoFunction })
	ctx := context.Background()
	c := ts.client(t)
	mustCreate(t, c, "deliver")
	if _, err := c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("deliver"),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{
			{Id: aws.String("all"), LambdaFunctionArn: aws.String(fnA), Events: []types.Event{"s3:ObjectCreated:*"}}}}}); err != nil {
		t.Fatal(err)
	}
	// PutObject, when the object handlers are there.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("deliver"), Key: aws.String("hello world.txt"), Body: strings.NewReader("hi")})
	if err != nil {
		if strings.Contains(err.Error(), "NotImplemented") {
			t.Skip("PutObject is not written yet")
		}
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(fns.events(fnA)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	evs := fns.events(fnA)
	if len(evs) != 1 || !strings.Contains(evs[0], `"key":"hello+world.txt"`) || !strings.Contains(evs[0], `"eventName":"ObjectCreated:Put"`) {
		t.Fatalf("events = %v", evs)
	}
}

// recorder is an HTTP transport that keeps the body of the last answer.
type recorder struct {
	mu   sync.Mutex
	body string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.body = string(b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return resp, nil
}

func (r *recorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body
}
