package s3_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func tagSet(kv ...string) []types.Tag {
	var tags []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

func manyTags(n int) []types.Tag {
	var kv []string
	for i := range n {
		kv = append(kv, fmt.Sprint("k", i), "v")
	}
	return tagSet(kv...)
}

func TestObjectTagging(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	for _, style := range []string{"path", "vhost"} {
		t.Run(style, func(t *testing.T) {
			cl := ts.client(t, sdkDefaults)
			if style == "vhost" {
				cl = ts.vhostClient(t, sdkDefaults)
			}
			bucket := newBucket(t, cl, true)
			v1 := putString(t, cl, bucket, "k", "one", func(in *s3.PutObjectInput) { in.Tagging = aws.String("first=1") })
			v2 := putString(t, cl, bucket, "k", "two")
			out, err := cl.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"),
				Tagging: &types.Tagging{TagSet: tagSet("b", "2", "a", "1", "spaces ok", "é + = : / @ . _ -")}})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.VersionId) != aws.ToString(v2.VersionId) {
				t.Errorf("PutObjectTagging version = %q", aws.ToString(out.VersionId))
			}
			g, err := cl.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")})
			if err != nil {
				t.Fatal(err)
			}
			if len(g.TagSet) != 3 || aws.ToString(g.TagSet[0].Key) != "b" || aws.ToString(g.TagSet[2].Value) != "é + = : / @ . _ -" ||
				aws.ToString(g.VersionId) != aws.ToString(v2.VersionId) {
				t.Errorf("tags = %+v version %q", g.TagSet, aws.ToString(g.VersionId))
			}
			// Tagging a version leaves the others alone.
			g, err = cl.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId})
			if err != nil {
				t.Fatal(err)
			}
			if len(g.TagSet) != 1 || aws.ToString(g.TagSet[0].Key) != "first" {
				t.Errorf("old version's tags = %+v", g.TagSet)
			}
			// Retagging makes no new version.
			vs, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
			if err != nil || len(vs.Versions) != 2 {
				t.Errorf("versions after tagging: %d, %v", len(vs.Versions), err)
			}
			d, err := cl.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(d.VersionId) != aws.ToString(v1.VersionId) {
				t.Errorf("DeleteObjectTagging version = %q", aws.ToString(d.VersionId))
			}
			g, err = cl.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId})
			if err != nil || len(g.TagSet) != 0 {
				t.Errorf("after delete: %+v %v", g.TagSet, err)
			}
		})
	}

	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	putString(t, cl, bucket, "k", "x", func(in *s3.PutObjectInput) { in.Tagging = aws.String("keep=me") })
	cases := []struct {
		name    string
		tags    []types.Tag
		status  int
		code    string
		message string
	}{
		{"eleven", manyTags(11), 400, "BadRequest", "Object tags cannot be greater than 10"},
		{"duplicate", tagSet("a", "1", "a", "2"), 400, "InvalidTag", "Cannot provide multiple Tags with the same key"},
		{"aws prefix", tagSet("aws:x", "1"), 400, "InvalidTag", "Your TagKey cannot be prefixed with aws:"},
		{"long key", tagSet(strings.Repeat("k", 129), "v"), 400, "InvalidTag", "The TagKey you have provided is invalid"},
		{"long value", tagSet("k", strings.Repeat("v", 257)), 400, "InvalidTag", "The TagValue you have provided is invalid"},
		{"bad character", tagSet("k", "a*b"), 400, "InvalidTag", "The TagValue you have provided is invalid"},
		{"empty key", tagSet("", "v"), 400, "InvalidTag", "The TagKey you have provided is invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := cl.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: c.tags}})
			wantError(t, err, c.status, c.code)
			if c.message != "" && !strings.Contains(err.Error(), c.message) {
				t.Errorf("error = %v, want %q", err, c.message)
			}
			g, err := cl.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k")})
			if err != nil || len(g.TagSet) != 1 || aws.ToString(g.TagSet[0].Key) != "keep" {
				t.Errorf("tags changed: %+v %v", g.TagSet, err)
			}
		})
	}
	// Ten tags, 128-character keys and 256-character values are the limits.
	if _, err := cl.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: append(manyTags(9), tagSet(strings.Repeat("k", 128), strings.Repeat("v", 256))...)}}); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	_, err := cl.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
	wantError(t, err, 404, "NoSuchKey")
	r := ts.raw(t, http.MethodPut, "/"+bucket+"/k?tagging", nil, []byte("<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>"))
	if r.Status != 400 || r.errorCode() != "MalformedXML" {
		t.Errorf("tag without a value = %d %s", r.Status, r.Body)
	}
	r = ts.raw(t, http.MethodPut, "/"+bucket+"/k?tagging", nil, []byte("not xml"))
	if r.Status != 400 || r.errorCode() != "MalformedXML" {
		t.Errorf("not XML = %d %s", r.Status, r.Body)
	}
}

func TestBucketTagging(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	_, err := cl.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	wantError(t, err, 404, "NoSuchTagSet")
	if _, err := cl.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: &types.Tagging{TagSet: manyTags(50)}}); err != nil {
		t.Fatal(err)
	}
	g, err := cl.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil || len(g.TagSet) != 50 || aws.ToString(g.TagSet[0].Key) != "k0" {
		t.Fatalf("tags = %d %v", len(g.TagSet), err)
	}
	for _, c := range []struct {
		name string
		tags []types.Tag
		code string
	}{
		{"fifty-one", manyTags(51), "BadRequest"},
		{"aws prefix", tagSet("aws:cloudformation:stack-name", "x"), "InvalidTag"},
		{"duplicate", tagSet("a", "1", "a", "1"), "InvalidTag"},
	} {
		_, err := cl.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: &types.Tagging{TagSet: c.tags}})
		wantError(t, err, 400, c.code)
	}
	g, err = cl.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil || len(g.TagSet) != 50 {
		t.Errorf("a refused put changed the tags: %d %v", len(g.TagSet), err)
	}
	if _, err := cl.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	wantError(t, err, 404, "NoSuchTagSet")
	_, err = cl.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("no-such-bucket-t")})
	wantError(t, err, 404, "NoSuchBucket")
}
