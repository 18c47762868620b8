package s3_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestDeleteObjectIfMatch: S3's conditional delete. If-Match holds on the
// current object's ETag (quoted or not) or "*"; a wrong ETag is 412
// PreconditionFailed, and no current object (no key, or a delete marker as the
// latest version) is 404 NoSuchKey. A delete refused changes nothing: no delete
// marker, no version gone.
func TestDeleteObjectIfMatch(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)

	del := func(bucket, key, ifMatch string) (*s3.DeleteObjectOutput, error) {
		return cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(ifMatch)})
	}
	// history is every version and delete marker of bucket, as "key version
	// marker|object latest?" lines: what a refused delete must leave as it was.
	history := func(bucket string) string {
		t.Helper()
		out, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, v := range out.Versions {
			b.WriteString(aws.ToString(v.Key) + " " + aws.ToString(v.VersionId) + " object " + aws.ToString(v.ETag))
			if aws.ToBool(v.IsLatest) {
				b.WriteString(" latest")
			}
			b.WriteString("\n")
		}
		for _, m := range out.DeleteMarkers {
			b.WriteString(aws.ToString(m.Key) + " " + aws.ToString(m.VersionId) + " marker")
			if aws.ToBool(m.IsLatest) {
				b.WriteString(" latest")
			}
			b.WriteString("\n")
		}
		return b.String()
	}

	for _, versioned := range []bool{false, true} {
		name := "unversioned"
		if versioned {
			name = "versioned"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bucket := newBucket(t, cl, versioned)
			put := putString(t, cl, bucket, "k", "body")
			etag := aws.ToString(put.ETag)
			other := putString(t, cl, bucket, "other", "another body")

			// Refused: a wrong ETag, an ETag of another object, a missing key.
			before := history(bucket)
			_, err := del(bucket, "k", `"0123456789abcdef0123456789abcdef"`)
			wantError(t, err, 412, "PreconditionFailed")
			_, err = del(bucket, "k", aws.ToString(other.ETag))
			wantError(t, err, 412, "PreconditionFailed")
			_, err = del(bucket, "missing", etag)
			wantError(t, err, 404, "NoSuchKey")
			_, err = del(bucket, "missing", "*")
			wantError(t, err, 404, "NoSuchKey")
			if got := history(bucket); got != before {
				t.Fatalf("refused deletes changed the bucket:\n%s\nwas\n%s", got, before)
			}
			if got := getString(t, cl, bucket, "k"); got != "body" {
				t.Fatalf("k = %q after refused deletes", got)
			}

			// The right ETag deletes: a delete marker in a versioned bucket.
			out, err := del(bucket, "k", etag)
			if err != nil {
				t.Fatalf("DeleteObject If-Match %s: %v", etag, err)
			}
			if aws.ToBool(out.DeleteMarker) != versioned || (aws.ToString(out.VersionId) != "") != versioned {
				t.Errorf("DeleteObject If-Match: marker %v, version %q", aws.ToBool(out.DeleteMarker), aws.ToString(out.VersionId))
			}
			_, err = cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
			wantError(t, err, 404, "")

			// Now k has no current object (nothing, or a delete marker as its
			// latest version): 404 NoSuchKey, whatever the ETag, and no second
			// marker.
			before = history(bucket)
			for _, m := range []string{etag, "*"} {
				_, err = del(bucket, "k", m)
				wantError(t, err, 404, "NoSuchKey")
			}
			if got := history(bucket); got != before {
				t.Fatalf("deletes of a deleted key changed the bucket:\n%s\nwas\n%s", got, before)
			}

			// "*" deletes any current object; an unquoted ETag matches too.
			putString(t, cl, bucket, "k", "again")
			if _, err := del(bucket, "k", "*"); err != nil {
				t.Fatalf("DeleteObject If-Match *: %v", err)
			}
			if _, err := del(bucket, "other", strings.Trim(aws.ToString(other.ETag), `"`)); err != nil {
				t.Fatalf("DeleteObject If-Match unquoted: %v", err)
			}
			for _, k := range []string{"k", "other"} {
				_, err = cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
				wantError(t, err, 404, "")
			}
		})
	}
}
