package s3_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// TestReadObject reads objects in process as GetObject serves them: the latest
// or a named version, S3's errors for what is not an object, and the limit.
func TestReadObject(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)

	plain := newBucket(t, cl, false)
	putString(t, cl, plain, "k", "hello")
	versioned := newBucket(t, cl, true)
	v1 := aws.ToString(putString(t, cl, versioned, "k", "first").VersionId)
	putString(t, cl, versioned, "k", "second")
	putString(t, cl, versioned, "gone", "x")
	if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(versioned), Key: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	putString(t, cl, plain, "cold", "ice", func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassGlacier })

	for _, tc := range []struct {
		name                  string
		bucket, key, version  string
		max                   int64
		want, code            string
		tooLarge, wantSuccess bool
	}{
		{name: "latest", bucket: plain, key: "k", max: 5, want: "hello", wantSuccess: true},
		{name: "null version", bucket: plain, key: "k", version: "null", max: 5, want: "hello", wantSuccess: true},
		{name: "over the limit", bucket: plain, key: "k", max: 4, tooLarge: true},
		{name: "latest of versions", bucket: versioned, key: "k", max: 100, want: "second", wantSuccess: true},
		{name: "older version", bucket: versioned, key: "k", version: v1, max: 100, want: "first", wantSuccess: true},
		{name: "no bucket", bucket: "no-such-bucket", key: "k", max: 100, code: "NoSuchBucket"},
		{name: "no key", bucket: plain, key: "nope", max: 100, code: "NoSuchKey"},
		{name: "delete marker latest", bucket: versioned, key: "gone", max: 100, code: "NoSuchKey"},
		{name: "no version", bucket: versioned, key: "k", version: "3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY", max: 100, code: "NoSuchVersion"},
		{name: "version in a bucket never versioned", bucket: plain, key: "k", version: v1, max: 100, code: "InvalidArgument"},
		{name: "archived", bucket: plain, key: "cold", max: 100, code: "InvalidObjectState"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ts.S3.ReadObject(ctx, tc.bucket, tc.key, tc.version, tc.max)
			var tl interface{ TooLarge() bool }
			var ae *awsproto.Error
			switch {
			case tc.wantSuccess:
				if err != nil || string(got) != tc.want {
					t.Errorf("ReadObject = %q, %v; want %q", got, err, tc.want)
				}
			case tc.tooLarge:
				if !errors.As(err, &tl) || !tl.TooLarge() {
					t.Errorf("ReadObject over the limit: %q, %v", got, err)
				}
			case !errors.As(err, &ae) || ae.Code != tc.code:
				t.Errorf("ReadObject: %q, %v; want %s", got, err, tc.code)
			}
		})
	}

	// An object completed from parts is read across its segments, in order.
	part1, part2 := bytes.Repeat([]byte("a"), 5<<20), []byte("tail")
	id, parts := upload(t, ts.client(t), plain, "multi", nil, part1, part2)
	if _, err := cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(plain), Key: aws.String("multi"),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	got, err := ts.S3.ReadObject(ctx, plain, "multi", "", 6<<20)
	if err != nil || !bytes.Equal(got, append(part1, part2...)) {
		t.Errorf("multipart object: %d bytes, %v", len(got), err)
	}
}
