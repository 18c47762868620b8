package s3_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/edge"
	stratuss3 "github.com/stratus-run/stratus/internal/s3"
	"github.com/stratus-run/stratus/internal/s3/objstore/disk"
)

// startS3Strict is startS3 with the strict auth mode: the edge verifies every
// signature against the key test/test, and the service the POST forms'.
func startS3Strict(t *testing.T) *testServer {
	t.Helper()
	dir := t.TempDir()
	st, err := disk.Open(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	v := &sigv4.Verifier{Secret: func(id string) (string, bool) { return "test", id == "test" }}
	svc := &stratuss3.Service{Store: st, Verifier: v}
	ctx := context.Background()
	if err := svc.Open(ctx); err != nil {
		t.Fatal(err)
	}
	eg := &edge.Edge{Listen: "127.0.0.1:0", Services: []edge.Service{svc}, Verifier: v}
	if err := eg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		eg.Close(cctx)  //nolint:errcheck
		svc.Close(cctx) //nolint:errcheck
		st.Close()      //nolint:errcheck
	})
	_, port, _ := net.SplitHostPort(eg.Addr())
	return &testServer{URL: eg.URL(), Port: port, S3: svc, Dir: dir}
}

// tamper is a transport that changes a PUT body's first byte after signing.
type tamper struct{ next http.RoundTripper }

func (tr tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && r.Body != nil && r.ContentLength > 0 {
		b, _ := io.ReadAll(r.Body)
		b[0] ^= 1
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return tr.next.RoundTrip(r)
}

func TestStrictAuth(t *testing.T) {
	t.Parallel()
	ts := startS3Strict(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	putString(t, cl, bucket, "k", "signed and checked")
	if got := getString(t, cl, bucket, "k"); got != "signed and checked" {
		t.Fatalf("object = %q", got)
	}

	bad := ts.client(t, sdkDefaults, func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: tamper{http.DefaultTransport}} })
	_, err := bad.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("tampered body")})
	wantError(t, err, 400, "XAmzContentSHA256Mismatch")
	if got := getString(t, cl, bucket, "k"); got != "signed and checked" {
		t.Errorf("a tampered PUT changed the object: %q", got)
	}

	wrong := ts.client(t, sdkDefaults, func(o *s3.Options) {
		o.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "wrong"}, nil
		}))
	})
	_, err = wrong.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	wantError(t, err, 403, "SignatureDoesNotMatch")

	pre, err := s3.NewPresignClient(cl).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pre.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "signed and checked" {
		t.Errorf("presigned GET = %d %s", resp.StatusCode, b)
	}
	if r := ts.raw(t, http.MethodGet, "/"+bucket+"/k", nil, nil); r.Status != 403 || r.errorCode() != "AccessDenied" {
		t.Errorf("anonymous GET = %d %s", r.Status, r.Body)
	}
}
