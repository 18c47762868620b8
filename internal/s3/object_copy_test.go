package s3_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestCopyObject(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	src := newBucket(t, cl, true)
	dst := newBucket(t, cl, false)
	v1 := putString(t, cl, src, "dir/a b+c.txt", "version one", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("text/plain")
		in.Metadata = map[string]string{"m": "1"}
		in.Tagging = aws.String("t=1")
	})
	putString(t, cl, src, "dir/a b+c.txt", "version two", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("text/plain")
		in.Metadata = map[string]string{"m": "2"}
		in.Tagging = aws.String("t=2")
	})
	// S3 reads a + in x-amz-copy-source as a space, so a + must be %2B.
	source := src + "/" + strings.ReplaceAll(url.PathEscape("dir/a b+c.txt"), "+", "%2B")

	t.Run("latest, COPY", func(t *testing.T) {
		out, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copy"), CopySource: aws.String(source)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.CopyObjectResult.ETag) == "" || out.CopyObjectResult.LastModified == nil || aws.ToString(out.CopySourceVersionId) == "" {
			t.Errorf("result = %+v, source version %q", out.CopyObjectResult, aws.ToString(out.CopySourceVersionId))
		}
		if out.CopyObjectResult.ChecksumCRC32 == nil {
			t.Errorf("the source's CRC32 was not kept")
		}
		g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(dst), Key: aws.String("copy")})
		if err != nil {
			t.Fatal(err)
		}
		g.Body.Close()
		if aws.ToString(g.ContentType) != "text/plain" || g.Metadata["m"] != "2" || aws.ToInt32(g.TagCount) != 1 || aws.ToString(g.ETag) != aws.ToString(out.CopyObjectResult.ETag) {
			t.Errorf("copy = %s %v %d %s", aws.ToString(g.ContentType), g.Metadata, aws.ToInt32(g.TagCount), aws.ToString(g.ETag))
		}
		if got := getString(t, cl, dst, "copy"); got != "version two" {
			t.Errorf("copy = %q", got)
		}
	})
	t.Run("a version, leading slash, REPLACE", func(t *testing.T) {
		out, err := cl.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(dst), Key: aws.String("old"), CopySource: aws.String("/" + source + "?versionId=" + aws.ToString(v1.VersionId)),
			MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("application/x-new"), Metadata: map[string]string{"n": "new"},
			TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("x=y&z=w"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.CopySourceVersionId) != aws.ToString(v1.VersionId) {
			t.Errorf("CopySourceVersionId = %q", aws.ToString(out.CopySourceVersionId))
		}
		g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(dst), Key: aws.String("old")})
		if err != nil {
			t.Fatal(err)
		}
		g.Body.Close()
		if aws.ToString(g.ContentType) != "application/x-new" || g.Metadata["n"] != "new" || g.Metadata["m"] != "" || aws.ToInt32(g.TagCount) != 2 {
			t.Errorf("copy = %s %v %d", aws.ToString(g.ContentType), g.Metadata, aws.ToInt32(g.TagCount))
		}
		if got := getString(t, cl, dst, "old"); got != "version one" {
			t.Errorf("copy = %q", got)
		}
	})
	t.Run("onto itself", func(t *testing.T) {
		putString(t, cl, dst, "self", "me")
		_, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("self"), CopySource: aws.String(dst + "/self")})
		wantError(t, err, 400, "InvalidRequest")
		_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("self"), CopySource: aws.String(dst + "/self"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"a": "b"}})
		if err != nil {
			t.Fatalf("with REPLACE: %v", err)
		}
		_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("self"), CopySource: aws.String(dst + "/self"),
			StorageClass: types.StorageClassStandardIa})
		if err != nil {
			t.Fatalf("with a storage class: %v", err)
		}
	})
	t.Run("checksum algorithm", func(t *testing.T) {
		out, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("sha"), CopySource: aws.String(source),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		if err != nil {
			t.Fatal(err)
		}
		if out.CopyObjectResult.ChecksumSHA256 == nil {
			t.Errorf("result = %+v", out.CopyObjectResult)
		}
	})

	head, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src), Key: aws.String("dir/a b+c.txt")})
	if err != nil {
		t.Fatal(err)
	}
	etag := aws.ToString(head.ETag)
	past := head.LastModified.Add(-time.Hour).Format(http.TimeFormat)
	future := head.LastModified.Add(time.Hour).Format(http.TimeFormat)
	cases := []struct {
		name   string
		header map[string]string
		status int
		code   string
	}{
		{"if-match ok", map[string]string{"X-Amz-Copy-Source-If-Match": etag}, 200, ""},
		{"if-match miss", map[string]string{"X-Amz-Copy-Source-If-Match": `"nope"`}, 412, "PreconditionFailed"},
		{"if-none-match hit", map[string]string{"X-Amz-Copy-Source-If-None-Match": etag}, 412, "PreconditionFailed"},
		{"if-modified-since future", map[string]string{"X-Amz-Copy-Source-If-Modified-Since": future}, 200, ""},
		{"if-modified-since now", map[string]string{"X-Amz-Copy-Source-If-Modified-Since": head.LastModified.Format(http.TimeFormat)}, 412, "PreconditionFailed"},
		{"if-unmodified-since past", map[string]string{"X-Amz-Copy-Source-If-Unmodified-Since": past}, 412, "PreconditionFailed"},
		{"if-match beats if-unmodified-since", map[string]string{"X-Amz-Copy-Source-If-Match": etag, "X-Amz-Copy-Source-If-Unmodified-Since": past}, 200, ""},
		{"no source key", map[string]string{"X-Amz-Copy-Source": src + "/nope"}, 404, "NoSuchKey"},
		{"no source bucket", map[string]string{"X-Amz-Copy-Source": "no-such-bucket-q/k"}, 404, "NoSuchBucket"},
		{"no key in source", map[string]string{"X-Amz-Copy-Source": src}, 400, "InvalidArgument"},
		{"no such source version", map[string]string{"X-Amz-Copy-Source": source + "?versionId=zzz"}, 404, "NoSuchVersion"},
		{"bad directive", map[string]string{"X-Amz-Metadata-Directive": "MOVE"}, 400, "InvalidArgument"},
		{"bad tagging directive", map[string]string{"X-Amz-Tagging-Directive": "MOVE"}, 400, "InvalidArgument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{"X-Amz-Copy-Source": source}
			for k, v := range c.header {
				h[k] = v
			}
			r := ts.raw(t, http.MethodPut, "/"+dst+"/cond", h, nil)
			if r.Status != c.status || r.errorCode() != c.code {
				t.Fatalf("= %d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
			if c.code == "PreconditionFailed" && !strings.HasPrefix(element(r.Body, "Condition"), "x-amz-copy-source-") {
				t.Errorf("Condition = %q", element(r.Body, "Condition"))
			}
		})
	}
	t.Run("delete marker source", func(t *testing.T) {
		del, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(src), Key: aws.String("gone")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("x"), CopySource: aws.String(src + "/gone")})
		wantError(t, err, 404, "NoSuchKey")
		_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("x"),
			CopySource: aws.String(src + "/gone?versionId=" + aws.ToString(del.VersionId))})
		wantError(t, err, 400, "InvalidRequest")
	})
}
