package s3_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestVirtualHosted runs the core object operations with buckets addressed as
// {bucket}.s3.localhost, as the SDK does by default.
func TestVirtualHosted(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.vhostClient(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	for _, k := range []string{"a/1", "a/2", "b"} {
		putString(t, cl, bucket, k, "v:"+k)
	}
	out, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keysOf(out.Contents), ",") != "b" || strings.Join(prefixesOf(out.CommonPrefixes), ",") != "a/" || aws.ToString(out.Name) != bucket {
		t.Errorf("list = %v %v %s", keysOf(out.Contents), prefixesOf(out.CommonPrefixes), aws.ToString(out.Name))
	}
	if _, err := cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("c"), CopySource: aws.String(bucket + "/b")}); err != nil {
		t.Fatal(err)
	}
	if got := getString(t, cl, bucket, "c"); got != "v:b" {
		t.Errorf("copy = %q", got)
	}
	del, err := cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("a/1")}}}})
	if err != nil || len(del.Deleted) != 1 {
		t.Fatalf("DeleteObjects = %+v %v", del, err)
	}
	body := pattern(6*mib, 5)
	up := manager.NewUploader(cl, func(u *manager.Uploader) { u.PartSize = 5 * mib })
	res, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp"), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://" + bucket + ".s3.localhost:" + ts.Port + "/mp"; res.Location != want {
		t.Errorf("Location = %s, want %s", res.Location, want)
	}
	r, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp"), Range: aws.String("bytes=-10")})
	if err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !bytes.Equal(tail, body[len(body)-10:]) {
		t.Errorf("range = %x", tail)
	}
	pre, err := s3.NewPresignClient(cl).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: localhostDialer()}}
	resp, err := hc.Get(pre.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "v:b" {
		t.Errorf("presigned virtual-hosted GET = %d %s", resp.StatusCode, got)
	}
}
