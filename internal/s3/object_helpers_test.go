package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Helpers the object tests share.

var bucketSeq atomic.Int64

// sdkDefaults sets the checksum behaviour a client made by config.LoadDefaultConfig
// has (s3.New with bare Options leaves it unset): CRC32 on every PutObject and
// UploadPart, and response checksums validated when GetObject asks for them.
func sdkDefaults(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported
}

// newBucket creates a bucket with a fresh name through the API, optionally
// versioned, and returns its name.
func newBucket(t testing.TB, cl *s3.Client, versioned bool) string {
	t.Helper()
	name := fmt.Sprintf("obj-%d", bucketSeq.Add(1))
	ctx := context.Background()
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	if versioned {
		_, err := cl.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
		})
		if err != nil {
			t.Fatalf("PutBucketVersioning %s: %v", name, err)
		}
	}
	return name
}

// apiError returns the code and HTTP status of an SDK error ("" and 0 for nil).
func apiError(err error) (string, int) {
	if err == nil {
		return "", 0
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// wantError fails unless err is S3's code with status.
func wantError(t testing.TB, err error, status int, code string) {
	t.Helper()
	gotCode, gotStatus := apiError(err)
	if gotStatus != status || (code != "" && gotCode != code) {
		t.Fatalf("error = %v (code %q, status %d), want %d %s", err, gotCode, gotStatus, status, code)
	}
}

func putString(t testing.TB, cl *s3.Client, bucket, key, body string, opts ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
	for _, o := range opts {
		o(in)
	}
	out, err := cl.PutObject(context.Background(), in)
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func getString(t testing.TB, cl *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rawResponse is an answer read whole.
type rawResponse struct {
	Status int
	Header http.Header
	Body   string
}

// raw sends an unsigned request (the test server verifies no signature) to
// path ("/bucket/key?query") and reads the answer.
func (ts *testServer) raw(t testing.TB, method, path string, header map[string]string, body []byte) rawResponse {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// errorCode returns the Code element of an XML error body.
func (r rawResponse) errorCode() string { return element(r.Body, "Code") }

// element returns the text of the first <name> element of an XML document.
func element(doc, name string) string {
	_, rest, ok := strings.Cut(doc, "<"+name+">")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "</"+name+">")
	return v
}
