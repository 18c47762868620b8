package s3_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	stratuss3 "github.com/stratus-run/stratus/internal/s3"
)

// TestLifecycleExpires runs the worker with one-second days: what the rules
// select goes, what they do not select stays.
func TestLifecycleExpires(t *testing.T) {
	ts := startS3(t, func(s *stratuss3.Service) {
		s.LifecycleDay = time.Second
		s.LifecycleEvery = 100 * time.Millisecond
	})
	ctx := context.Background()
	c := ts.client(t)
	const b = "expiring"
	mustCreate(t, c, b)
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put := func(key, body string, tagging ...string) string {
		t.Helper()
		in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader(body)}
		if len(tagging) > 0 {
			in.Tagging = aws.String(tagging[0])
		}
		out, err := c.PutObject(ctx, in)
		if err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
		return aws.ToString(out.VersionId)
	}
	put("tmp/old", "x")
	put("keep/forever", "x")
	put("tag/yes", "x", "expire=yes")
	put("tag/no", "x", "expire=no")
	firstVersion := put("ver/doc", "v1")
	put("ver/doc", "v2")
	markerKey := "dm/gone"
	onlyVersion := put(markerKey, "x")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(markerKey)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(markerKey), VersionId: aws.String(onlyVersion)}); err != nil {
		t.Fatal(err)
	}
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mpu/big")})
	if err != nil {
		t.Fatal(err)
	}
	keepUpload, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("keep/big")})
	if err != nil {
		t.Fatal(err)
	}

	day := func(n int32) *int32 { return aws.Int32(n) }
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
			{ID: aws.String("tmp"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
				Expiration: &types.LifecycleExpiration{Days: day(1)}},
			{ID: aws.String("tagged"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{
				Prefix: aws.String("tag/"), Tags: []types.Tag{{Key: aws.String("expire"), Value: aws.String("yes")}}}},
				Expiration: &types.LifecycleExpiration{Days: day(1)}},
			{ID: aws.String("noncurrent"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("ver/")},
				NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: day(1)}},
			{ID: aws.String("markers"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("dm/")},
				Expiration: &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}},
			{ID: aws.String("uploads"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("mpu/")},
				AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: day(1)}},
			{ID: aws.String("disabled"), Status: types.ExpirationStatusDisabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("keep/")},
				Expiration: &types.LifecycleExpiration{Days: day(1)}},
		}}}); err != nil {
		t.Fatal(err)
	}

	exists := func(key string) bool {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
		return err == nil
	}
	versions := func(key string) (objects, markers []string) {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			objects = append(objects, aws.ToString(v.VersionId))
		}
		for _, m := range out.DeleteMarkers {
			markers = append(markers, aws.ToString(m.VersionId))
		}
		return objects, markers
	}
	uploads := func() map[string]bool {
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, u := range out.Uploads {
			ids[aws.ToString(u.UploadId)] = true
		}
		return ids
	}
	if _, markers := versions(markerKey); len(markers) != 1 {
		t.Fatalf("setup: %s has markers %v", markerKey, markers)
	}

	done := func() bool {
		objs, _ := versions("ver/doc")
		_, markers := versions(markerKey)
		return !exists("tmp/old") && !exists("tag/yes") && len(objs) == 1 && len(markers) == 0 && !uploads()[aws.ToString(mpu.UploadId)]
	}
	deadline := time.Now().Add(15 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			objs, markers := versions("")
			t.Fatalf("not expired in time: tmp/old %v, tag/yes %v, versions %v, markers %v, uploads %v",
				exists("tmp/old"), exists("tag/yes"), objs, markers, uploads())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// What the rules do not select stays: let the worker run a few more times.
	time.Sleep(300 * time.Millisecond)
	for _, key := range []string{"keep/forever", "tag/no", "ver/doc"} {
		if !exists(key) {
			t.Errorf("%s expired", key)
		}
	}
	if objs, _ := versions("ver/doc"); len(objs) != 1 || objs[0] == firstVersion {
		t.Errorf("ver/doc versions = %v (the noncurrent one was %s)", objs, firstVersion)
	}
	if !uploads()[aws.ToString(keepUpload.UploadId)] {
		t.Errorf("upload keep/big aborted")
	}
	// The current version expired in a versioned bucket is behind a delete marker.
	if objs, markers := versions("tmp/old"); len(objs) != 1 || len(markers) != 1 {
		t.Errorf("tmp/old: versions %v, markers %v", objs, markers)
	}
}
