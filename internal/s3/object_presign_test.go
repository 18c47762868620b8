package s3_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	stratuss3 "github.com/stratus-run/stratus/internal/s3"
)

func TestPresignedExpiry(t *testing.T) {
	t.Parallel()
	var skew atomic.Int64 // how far the service's clock is ahead
	ts := startS3(t, func(s *stratuss3.Service) {
		s.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	putString(t, cl, bucket, "k", "presigned")
	pc := s3.NewPresignClient(cl, func(o *s3.PresignOptions) { o.Expires = time.Minute })
	get, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	put, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, url string, body string) (int, string) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if body == "" {
			req.Body = nil
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := do(http.MethodGet, get.URL, ""); status != 200 || body != "presigned" {
		t.Fatalf("fresh GET = %d %s", status, body)
	}
	if status, body := do(http.MethodPut, put.URL, "via url"); status != 200 {
		t.Fatalf("fresh PUT = %d %s", status, body)
	}
	skew.Store(int64(2 * time.Minute))
	for _, c := range []struct{ method, url string }{{http.MethodGet, get.URL}, {http.MethodPut, put.URL}} {
		status, body := do(c.method, c.url, "late")
		if status != 403 || element(body, "Code") != "AccessDenied" || element(body, "Message") != "Request has expired" ||
			element(body, "X-Amz-Expires") != "60" || element(body, "Expires") == "" || element(body, "ServerTime") == "" {
			t.Errorf("expired %s = %d %s", c.method, status, body)
		}
		exp, err1 := time.Parse(time.RFC3339, element(body, "Expires"))
		now, err2 := time.Parse(time.RFC3339, element(body, "ServerTime"))
		if err1 != nil || err2 != nil || !now.After(exp) {
			t.Errorf("Expires %s, ServerTime %s", element(body, "Expires"), element(body, "ServerTime"))
		}
	}
	if got := getString(t, cl, bucket, "p"); got != "via url" {
		t.Errorf("the expired PUT changed the object: %q", got)
	}
	skew.Store(0)
	r := ts.raw(t, http.MethodGet, "/"+bucket+"/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20200101T000000Z&X-Amz-Expires=604801", nil, nil)
	if r.Status != 400 || r.errorCode() != "AuthorizationQueryParametersError" {
		t.Errorf("a week and a second = %d %s", r.Status, r.Body)
	}
	r = ts.raw(t, http.MethodGet, "/"+bucket+"/k?AWSAccessKeyId=test&Signature=x&Expires=1000", nil, nil)
	if r.Status != 403 || element(r.Body, "Message") != "Request has expired" {
		t.Errorf("expired SigV2 = %d %s", r.Status, r.Body)
	}
}
