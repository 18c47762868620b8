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

func TestDeleteObject(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)

	t.Run("unversioned", func(t *testing.T) {
		bucket := newBucket(t, cl, false)
		putString(t, cl, bucket, "k", "x")
		r := ts.raw(t, http.MethodDelete, "/"+bucket+"/k", nil, nil)
		if r.Status != 204 || r.Header.Get("X-Amz-Delete-Marker") != "" || r.Header.Get("X-Amz-Version-Id") != "" {
			t.Fatalf("DELETE = %d %v", r.Status, r.Header)
		}
		if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err == nil {
			t.Fatal("object still there")
		}
		// Deleting what is not there succeeds.
		if r := ts.raw(t, http.MethodDelete, "/"+bucket+"/k", nil, nil); r.Status != 204 {
			t.Errorf("second DELETE = %d", r.Status)
		}
		if r := ts.raw(t, http.MethodDelete, "/"+bucket+"/k?versionId=abc", nil, nil); r.Status != 400 || r.errorCode() != "InvalidArgument" {
			t.Errorf("DELETE with a version id = %d %s", r.Status, r.Body)
		}
		if r := ts.raw(t, http.MethodDelete, "/no-such-bucket-z/k", nil, nil); r.Status != 404 || r.errorCode() != "NoSuchBucket" {
			t.Errorf("DELETE in no bucket = %d %s", r.Status, r.Body)
		}
	})

	t.Run("versioned", func(t *testing.T) {
		bucket := newBucket(t, cl, true)
		v1 := putString(t, cl, bucket, "k", "one")
		out, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		if !aws.ToBool(out.DeleteMarker) || aws.ToString(out.VersionId) == "" {
			t.Fatalf("delete = marker %v version %q", aws.ToBool(out.DeleteMarker), aws.ToString(out.VersionId))
		}
		// Removing the marker by version brings the object back.
		out2, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: out.VersionId})
		if err != nil {
			t.Fatal(err)
		}
		if !aws.ToBool(out2.DeleteMarker) || aws.ToString(out2.VersionId) != aws.ToString(out.VersionId) {
			t.Errorf("delete marker by version = %v %q", aws.ToBool(out2.DeleteMarker), aws.ToString(out2.VersionId))
		}
		if got := getString(t, cl, bucket, "k"); got != "one" {
			t.Errorf("object = %q", got)
		}
		// Deleting a version removes it for good.
		out3, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToBool(out3.DeleteMarker) || aws.ToString(out3.VersionId) != aws.ToString(v1.VersionId) {
			t.Errorf("delete version = %v %q", aws.ToBool(out3.DeleteMarker), aws.ToString(out3.VersionId))
		}
		_, err = cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		wantError(t, err, 404, "NoSuchKey")
	})
}

// TestDeleteObjectSuspended: with versioning suspended a delete replaces the
// null version with a delete marker whose id is "null"; other versions stay.
func TestDeleteObjectSuspended(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, true)
	kept := putString(t, cl, bucket, "k", "versioned")
	if _, err := cl.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	putString(t, cl, bucket, "k", "null version")
	h, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || aws.ToString(h.VersionId) != "null" {
		t.Fatalf("HEAD = %v %v", h, err)
	}
	out, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || !aws.ToBool(out.DeleteMarker) || aws.ToString(out.VersionId) != "null" {
		t.Fatalf("DeleteObject = %+v %v", out, err)
	}
	vs, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil || len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].VersionId) != aws.ToString(kept.VersionId) || len(vs.DeleteMarkers) != 1 {
		t.Errorf("versions = %+v markers %+v %v", vs.Versions, vs.DeleteMarkers, err)
	}
}

func TestDeleteObjects(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	for i := range 5 {
		putString(t, cl, bucket, fmt.Sprint("k", i), "x")
	}
	ids := []types.ObjectIdentifier{{Key: aws.String("k0")}, {Key: aws.String("k1")}, {Key: aws.String("missing")},
		{Key: aws.String("k2"), VersionId: aws.String("nonsense")}}
	out, err := cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 1 {
		t.Fatalf("Deleted %d, Errors %d", len(out.Deleted), len(out.Errors))
	}
	if e := out.Errors[0]; aws.ToString(e.Key) != "k2" || aws.ToString(e.Code) != "NoSuchVersion" || aws.ToString(e.VersionId) != "nonsense" {
		t.Errorf("error = %+v", e)
	}
	// Quiet: only errors are answered.
	out, err = cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
		Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{{Key: aws.String("k3")}}}})
	if err != nil || len(out.Deleted) != 0 || len(out.Errors) != 0 {
		t.Fatalf("quiet = %+v %v", out, err)
	}
	list, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 2 {
		t.Errorf("%d objects left, want k2 and k4", len(list.Contents))
	}

	t.Run("versioned", func(t *testing.T) {
		vb := newBucket(t, cl, true)
		v := putString(t, cl, vb, "a", "x")
		out, err := cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(vb), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("a")}, {Key: aws.String("b")},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Deleted) != 2 {
			t.Fatalf("Deleted = %+v", out.Deleted)
		}
		for _, d := range out.Deleted {
			if !aws.ToBool(d.DeleteMarker) || aws.ToString(d.DeleteMarkerVersionId) == "" {
				t.Errorf("deleted %s: marker %v %q", aws.ToString(d.Key), aws.ToBool(d.DeleteMarker), aws.ToString(d.DeleteMarkerVersionId))
			}
		}
		marker := out.Deleted[0].DeleteMarkerVersionId
		out, err = cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(vb), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("a"), VersionId: marker}, {Key: aws.String("a"), VersionId: v.VersionId},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Deleted) != 2 || !aws.ToBool(out.Deleted[0].DeleteMarker) || aws.ToString(out.Deleted[0].VersionId) != aws.ToString(marker) ||
			aws.ToBool(out.Deleted[1].DeleteMarker) || aws.ToString(out.Deleted[1].VersionId) != aws.ToString(v.VersionId) {
			t.Errorf("by version = %+v", out.Deleted)
		}
	})

	t.Run("errors", func(t *testing.T) {
		doc := func(n int) []byte {
			var b strings.Builder
			b.WriteString("<Delete>")
			for i := range n {
				fmt.Fprintf(&b, "<Object><Key>x%d</Key></Object>", i)
			}
			b.WriteString("</Delete>")
			return []byte(b.String())
		}
		cases := []struct {
			name   string
			body   []byte
			header map[string]string
			status int
			code   string
		}{
			{"no checksum", doc(1), nil, 400, "InvalidRequest"},
			{"bad MD5", doc(1), map[string]string{"Content-MD5": md5b64([]byte("x"))}, 400, "BadDigest"},
			{"bad CRC32", doc(1), map[string]string{"X-Amz-Checksum-Crc32": crc32b64([]byte("x"))}, 400, "BadDigest"},
			{"not XML", []byte("nope"), nil, 400, "MalformedXML"},
			{"no objects", []byte("<Delete></Delete>"), nil, 400, "MalformedXML"},
			{"too many", doc(1001), nil, 400, "MalformedXML"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				h := c.header
				if h == nil && c.name != "no checksum" {
					h = map[string]string{"Content-MD5": md5b64(c.body)}
				}
				r := ts.raw(t, http.MethodPost, "/"+bucket+"?delete", h, c.body)
				if r.Status != c.status || r.errorCode() != c.code {
					t.Fatalf("= %d %s, want %d %s", r.Status, r.Body, c.status, c.code)
				}
			})
		}
		// 1,000 keys is the limit, not past it.
		r := ts.raw(t, http.MethodPost, "/"+bucket+"?delete", map[string]string{"Content-MD5": md5b64(doc(1000))}, doc(1000))
		if r.Status != 200 {
			t.Errorf("1,000 keys = %d %s", r.Status, r.Body)
		}
	})
}
