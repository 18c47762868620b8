package s3_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKOverHTTPS puts objects as the SDK does over HTTPS, where it sends its
// default CRC32 as an aws-chunked trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)
// rather than a header: a TLS proxy in front of the test server makes the SDK
// believe it talks HTTPS.
func TestSDKOverHTTPS(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	target, _ := url.Parse(ts.URL)
	var mu sync.Mutex
	var encodings []string
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			encodings = append(encodings, strings.Join(r.Header.Values("Content-Encoding"), ",")+" "+r.Header.Get("X-Amz-Content-Sha256")+" "+r.Header.Get("X-Amz-Trailer"))
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(front.URL)
		o.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the test's own certificate
	})
	bucket := newBucket(t, cl, false)
	body := bytes.Repeat([]byte("chunked over tls "), 10000)
	out, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader(body), ContentEncoding: aws.String("gzip")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ChecksumCRC32) != crc32b64(body) {
		t.Errorf("ChecksumCRC32 = %q, want %q", aws.ToString(out.ChecksumCRC32), crc32b64(body))
	}
	mu.Lock()
	seen := strings.Join(encodings, "; ")
	mu.Unlock()
	if !strings.Contains(seen, "aws-chunked") || !strings.Contains(seen, "STREAMING-UNSIGNED-PAYLOAD-TRAILER") || !strings.Contains(seen, "x-amz-checksum-crc32") {
		t.Fatalf("the SDK did not send an aws-chunked trailer: %s", seen)
	}
	g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(g.Body)
	g.Body.Close()
	if err != nil || !bytes.Equal(got, body) || aws.ToString(g.ContentEncoding) != "gzip" {
		t.Fatalf("read back %d bytes, %v, Content-Encoding %q", len(got), err, aws.ToString(g.ContentEncoding))
	}

	// The manager's parts go the same way.
	big := pattern(11*mib, 3)
	up := manager.NewUploader(cl, func(u *manager.Uploader) { u.PartSize = 5 * mib })
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), Body: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}
	if got := getString(t, cl, bucket, "big"); got != string(big) {
		t.Errorf("multipart over TLS: %d bytes back", len(got))
	}
}
