package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// s3Event is S3's event message, field for field as AWS documents it
// ("Event message structure", S3 user guide); decoded with unknown fields
// refused, so a field AWS does not send fails the test too.
type s3Event struct {
	Records []struct {
		EventVersion string `json:"eventVersion"`
		EventSource  string `json:"eventSource"`
		AWSRegion    string `json:"awsRegion"`
		EventTime    string `json:"eventTime"`
		EventName    string `json:"eventName"`
		UserIdentity struct {
			PrincipalID string `json:"principalId"`
		} `json:"userIdentity"`
		RequestParameters struct {
			SourceIPAddress string `json:"sourceIPAddress"`
		} `json:"requestParameters"`
		ResponseElements struct {
			RequestID string `json:"x-amz-request-id"`
			HostID    string `json:"x-amz-id-2"`
		} `json:"responseElements"`
		S3 struct {
			SchemaVersion   string `json:"s3SchemaVersion"`
			ConfigurationID string `json:"configurationId"`
			Bucket          struct {
				Name          string `json:"name"`
				OwnerIdentity struct {
					PrincipalID string `json:"principalId"`
				} `json:"ownerIdentity"`
				ARN string `json:"arn"`
			} `json:"bucket"`
			Object struct {
				Key       string  `json:"key"`
				Size      *int64  `json:"size"`
				ETag      *string `json:"eTag"`
				VersionID string  `json:"versionId"`
				Sequencer string  `json:"sequencer"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

func decodeS3Event(t *testing.T, raw []byte) s3Event {
	t.Helper()
	var ev s3Event
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("event %s: %v", raw, err)
	}
	if len(ev.Records) != 1 {
		t.Fatalf("event with %d records, want 1 (S3 sends one per event): %s", len(ev.Records), raw)
	}
	return ev
}

// sentEvent is what a test expects of the event one S3 call causes.
type sentEvent struct {
	name, config, key, version string // key as the object's key, unencoded
	requestID, hostID          string
	size                       int64  // for ObjectCreated events
	etag                       string // quoted, as the SDK gives it; "" when the event has none
}

// sent returns what the call whose answer carried md promises of its event.
func sent(t *testing.T, md middleware.Metadata, name, config, key, version string) sentEvent {
	t.Helper()
	id, ok := awsmiddleware.GetRequestIDMetadata(md)
	host, ok2 := s3.GetHostIDMetadata(md)
	if !ok || !ok2 || id == "" || host == "" {
		t.Fatalf("%s %s: no request id (%q) or host id (%q) in the answer", name, key, id, host)
	}
	if version == "" {
		t.Fatalf("%s %s: no version id in a versioned bucket", name, key)
	}
	return sentEvent{name: name, config: config, key: key, version: version, requestID: id, hostID: host}
}

// sequencerLess compares two sequencers as AWS says to: the shorter left-padded
// with zeros, then as strings.
func sequencerLess(a, b string) bool {
	n := max(len(a), len(b))
	return strings.Repeat("0", n-len(a))+a < strings.Repeat("0", n-len(b))+b
}

var hexSequencer = regexp.MustCompile(`^[0-9A-F]+$`)

// TestS3NotificationEvents: a versioned bucket's notifications invoke a function
// asynchronously with S3's event, one invocation per event, field for field as
// AWS documents it, for the writes its configurations select and no others,
// each once; and a function that fails is retried and sent to its failure
// destination as any asynchronous invocation is.
func TestS3NotificationEvents(t *testing.T) {
	ts := startServer(t, "", asyncFlags...)
	ctx := context.Background()
	lc := ts.lambdaClient()
	sc := s3Client(ts.URL)
	const (
		bucket  = "notify-events"
		failing = "notify-failing"
		arnOf   = "arn:aws:lambda:us-east-1:000000000000:function:"
	)
	events := createDestination(t, lc, "s3-events") // appends each event it gets to events
	createFn(t, lc, "s3-broken", "error")
	failures := createDestination(t, lc, "s3-failures")
	putEventConfig(t, lc, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("s3-broken"), MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String(arnOf + "s3-failures")}}})
	for fn, b := range map[string]string{"s3-events": bucket, "s3-broken": failing} {
		if _, err := lc.AddPermission(ctx, &lambda.AddPermissionInput{
			FunctionName: aws.String(fn), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::" + b),
		}); err != nil {
			t.Fatalf("AddPermission %s: %v", fn, err)
		}
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sc.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	rule := func(name, value string) s3types.FilterRule {
		return s3types.FilterRule{Name: s3types.FilterRuleName(name), Value: aws.String(value)}
	}
	if _, err := sc.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{
			{Id: aws.String("created"), LambdaFunctionArn: aws.String(arnOf + "s3-events"), Events: []s3types.Event{"s3:ObjectCreated:*"},
				Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
					rule("prefix", "in/"), rule("suffix", ".txt")}}}},
			{Id: aws.String("removed"), LambdaFunctionArn: aws.String(arnOf + "s3-events"), Events: []s3types.Event{"s3:ObjectRemoved:*"}},
			{Id: aws.String("tagged"), LambdaFunctionArn: aws.String(arnOf + "s3-events"), Events: []s3types.Event{"s3:ObjectTagging:*"}},
		}}}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}
	if _, err := sc.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(failing),
		NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{
			{Id: aws.String("to-broken"), LambdaFunctionArn: aws.String(arnOf + "s3-broken"), Events: []s3types.Event{"s3:ObjectCreated:Put"}},
		}}}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration %s: %v", failing, err)
	}

	// The writes, in order; want is what each promises.
	const key = "in/a b+c.txt"
	var want []sentEvent
	start := time.Now()
	body := "hello, events"
	put, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	e := sent(t, put.ResultMetadata, "ObjectCreated:Put", "created", key, aws.ToString(put.VersionId))
	e.size, e.etag = int64(len(body)), aws.ToString(put.ETag)
	want = append(want, e)
	firstVersion := aws.ToString(put.VersionId)

	if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("in/skip.bin"), Body: strings.NewReader("no event")}); err != nil {
		t.Fatal(err)
	}

	source := bucket + "/" + strings.ReplaceAll((&url.URL{Path: key}).EscapedPath(), "+", "%2B")
	cp, err := sc.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("in/copy.txt"), CopySource: aws.String(source)})
	if err != nil {
		t.Fatalf("CopyObject from %s: %v", source, err)
	}
	e = sent(t, cp.ResultMetadata, "ObjectCreated:Copy", "created", "in/copy.txt", aws.ToString(cp.VersionId))
	e.size, e.etag = int64(len(body)), aws.ToString(cp.CopyObjectResult.ETag)
	want = append(want, e)

	mpu, err := sc.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("in/mp.txt")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for n := int32(1); n <= 2; n++ {
		up, err := sc.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("in/mp.txt"), UploadId: mpu.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(bytes.Repeat([]byte{'a' + byte(n)}, 5<<20))})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", n, err)
		}
		parts = append(parts, s3types.CompletedPart{PartNumber: aws.Int32(n), ETag: up.ETag})
	}
	done, err := sc.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("in/mp.txt"),
		UploadId: mpu.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	e = sent(t, done.ResultMetadata, "ObjectCreated:CompleteMultipartUpload", "created", "in/mp.txt", aws.ToString(done.VersionId))
	e.size, e.etag = 10<<20, aws.ToString(done.ETag)
	want = append(want, e)

	tag, err := sc.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("stage"), Value: aws.String("seen")}}}})
	if err != nil {
		t.Fatal(err)
	}
	e = sent(t, tag.ResultMetadata, "ObjectTagging:Put", "tagged", key, aws.ToString(tag.VersionId))
	e.etag = aws.ToString(put.ETag)
	want = append(want, e)

	dm, err := sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil || !aws.ToBool(dm.DeleteMarker) {
		t.Fatalf("DeleteObject: %v (delete marker %v)", err, dm != nil && aws.ToBool(dm.DeleteMarker))
	}
	want = append(want, sent(t, dm.ResultMetadata, "ObjectRemoved:DeleteMarkerCreated", "removed", key, aws.ToString(dm.VersionId)))

	dv, err := sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(firstVersion)})
	if err != nil || aws.ToString(dv.VersionId) != firstVersion {
		t.Fatalf("DeleteObject version %s: %v", firstVersion, err)
	}
	want = append(want, sent(t, dv.ResultMetadata, "ObjectRemoved:Delete", "removed", key, firstVersion))

	// The failing function's bucket: one put, two attempts, one failure record.
	broken, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(failing), Key: aws.String("x.txt"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	brokenRequest, _ := awsmiddleware.GetRequestIDMetadata(broken.ResultMetadata)

	got := waitLines(t, events, len(want), 10*time.Second)
	arrived := time.Now()
	t.Logf("%d events delivered %s after the first write", len(got), arrived.Sub(start).Round(time.Millisecond))

	byRequest := map[string]int{}
	invocations := map[string]bool{}
	for i, l := range got {
		ev := decodeS3Event(t, l.Event)
		r := ev.Records[0]
		if invocations[l.RequestID] {
			t.Errorf("two events in one invocation %s", l.RequestID)
		}
		invocations[l.RequestID] = true
		if r.S3.Object.Key == "in/skip.bin" {
			t.Errorf("an event for in/skip.bin, which no filter selects: %s", l.Event)
		}
		if _, dup := byRequest[r.ResponseElements.RequestID]; dup {
			t.Errorf("event of request %s (%s) arrived twice", r.ResponseElements.RequestID, r.EventName)
		}
		byRequest[r.ResponseElements.RequestID] = i
	}
	sequencers := map[string]string{} // by key: the last write's, in write order
	for _, w := range want {
		i, ok := byRequest[w.requestID]
		if !ok {
			t.Errorf("no event for %s of %s (request %s)", w.name, w.key, w.requestID)
			continue
		}
		r := decodeS3Event(t, got[i].Event).Records[0]
		o := r.S3.Object
		version := "2.1"
		if strings.HasPrefix(w.name, "ObjectTagging:") {
			version = "2.3" // S3's version for object tagging events
		}
		when, err := time.Parse("2006-01-02T15:04:05.000Z", r.EventTime)
		check := func(field, got, want string) {
			if got != want {
				t.Errorf("%s %s: %s = %q, want %q", w.name, w.key, field, got, want)
			}
		}
		if err != nil || when.Before(start.Add(-time.Second)) || when.After(arrived) {
			t.Errorf("%s %s: eventTime %q (%v), want the time of the write", w.name, w.key, r.EventTime, err)
		}
		check("eventVersion", r.EventVersion, version)
		check("eventSource", r.EventSource, "aws:s3")
		check("awsRegion", r.AWSRegion, "us-east-1")
		check("eventName", r.EventName, w.name)
		check("userIdentity.principalId", r.UserIdentity.PrincipalID, "AWS:test")
		check("requestParameters.sourceIPAddress", r.RequestParameters.SourceIPAddress, "127.0.0.1")
		check("responseElements.x-amz-id-2", r.ResponseElements.HostID, w.hostID)
		check("s3.s3SchemaVersion", r.S3.SchemaVersion, "1.0")
		check("s3.configurationId", r.S3.ConfigurationID, w.config)
		check("s3.bucket.name", r.S3.Bucket.Name, bucket)
		check("s3.bucket.arn", r.S3.Bucket.ARN, "arn:aws:s3:::"+bucket)
		check("s3.bucket.ownerIdentity.principalId", r.S3.Bucket.OwnerIdentity.PrincipalID, "000000000000")
		check("s3.object.key", o.Key, strings.ReplaceAll(url.QueryEscape(w.key), "%2F", "/"))
		check("s3.object.versionId", o.VersionID, w.version)
		if w.etag != "" {
			check("s3.object.eTag", aws.ToString(o.ETag), strings.Trim(w.etag, `"`))
		} else if o.ETag != nil {
			t.Errorf("%s %s: eTag %q in a removal", w.name, w.key, *o.ETag)
		}
		if w.size != 0 {
			if o.Size == nil || *o.Size != w.size {
				t.Errorf("%s %s: size %v, want %d", w.name, w.key, o.Size, w.size)
			}
		} else if o.Size != nil {
			t.Errorf("%s %s: size %d in an event that has none", w.name, w.key, *o.Size)
		}
		if !hexSequencer.MatchString(o.Sequencer) {
			t.Errorf("%s %s: sequencer %q is not hexadecimal", w.name, w.key, o.Sequencer)
		}
		if prev, ok := sequencers[w.key]; ok && !sequencerLess(prev, o.Sequencer) {
			t.Errorf("%s %s: sequencer %s is not after the key's previous event's %s", w.name, w.key, o.Sequencer, prev)
		}
		sequencers[w.key] = o.Sequencer
	}
	if o := decodeS3Event(t, got[byRequest[want[0].requestID]].Event).Records[0].S3.Object; o.Key != "in/a+b%2Bc.txt" {
		t.Errorf("key %q, want S3's encoding in/a+b%%2Bc.txt", o.Key)
	}

	// The failing function was invoked asynchronously: retried once, then its
	// failure destination got Lambda's record of the S3 event.
	rec := destinationRecord(t, waitLines(t, failures, 1, 10*time.Second)[0])
	if rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 2 ||
		rec.RequestContext.FunctionArn != arnOf+"s3-broken:$LATEST" {
		t.Errorf("failure record requestContext %+v, want RetriesExhausted after 2 attempts of s3-broken", rec.RequestContext)
	}
	if r := decodeS3Event(t, rec.RequestPayload).Records[0]; r.EventName != "ObjectCreated:Put" || r.S3.Bucket.Name != failing ||
		r.S3.Object.Key != "x.txt" || r.ResponseElements.RequestID != brokenRequest || r.S3.ConfigurationID != "to-broken" {
		t.Errorf("failure record requestPayload %s", rec.RequestPayload)
	}

	// Quiet: past the outbox drain's tick (2 s) nothing more arrives, the
	// skipped key's event included.
	time.Sleep(time.Until(arrived.Add(2500 * time.Millisecond)))
	if n := len(readLines(t, events)); n != len(want) {
		t.Errorf("%d events, want %d: some arrived twice or were not selected", n, len(want))
	}
	if n := len(readLines(t, failures)); n != 1 {
		t.Errorf("%d failure records, want 1", n)
	}
}
