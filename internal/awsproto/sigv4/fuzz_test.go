package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzVerify feeds Verify and Scope arbitrary request lines, Authorization headers,
// dates, payload hashes and bodies. Neither may panic, and every failure must be a
// *VerifyError a protocol can render.
func FuzzVerify(f *testing.F) {
	for _, s := range []signed{
		{method: http.MethodPost, target: "/2015-03-31/functions/f/invocations?Qualifier=1", body: `{"a":1}`},
		{target: "/2017-03-31/tags/" + lambdaARN},
		{target: "/b/k?x-id=GetObject", service: "s3", s3Path: true, body: "x",
			header: http.Header{"X-Amz-Content-Sha256": {hashOf("x")}}},
	} {
		r := s.build(f, "http://lambda.us-east-1.amazonaws.com")
		f.Add(r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"),
			r.Header.Get("X-Amz-Content-Sha256"), []byte(s.body))
	}
	p := signed{target: "/?a=b", presign: true, expires: 300, payload: unsigned}.build(f, "http://lambda.us-east-1.amazonaws.com")
	f.Add("GET", p.URL.RequestURI(), "", "", "", []byte(nil))
	f.Add("GET", "/?X-Amz-Algorithm=&X-Amz-Expires=99999999999999999999", "", "", "", []byte(nil))
	f.Add("PUT", "http://h?q", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=;;,Signature=", "20240101T000000Z", "STREAMING-x", []byte("body"))

	v := verifierAt(signTime.Add(time.Minute))
	f.Fuzz(func(t *testing.T, method, target, auth, amzDate, contentSHA string, body []byte) {
		r := &http.Request{
			Method:        method,
			RequestURI:    target,
			URL:           &url.URL{Path: "/"},
			Host:          "lambda.us-east-1.amazonaws.com",
			Header:        http.Header{},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
		}
		if u, err := url.ParseRequestURI(target); err == nil {
			r.URL = u
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if amzDate != "" {
			r.Header.Set("X-Amz-Date", amzDate)
		}
		if contentSHA != "" {
			r.Header.Set("X-Amz-Content-Sha256", contentSHA)
		}
		Scope(r)
		_, err := v.Verify(r)
		if err != nil {
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Err == nil || ve.Err.Code == "" || ve.Err.Status != http.StatusForbidden {
				t.Fatalf("Verify failed with %T %v, not a renderable VerifyError", err, err)
			}
		}
		// Whatever happened, the body must still be readable by the handler; an S3
		// body may fail only as a PayloadMismatch.
		if _, err := io.ReadAll(r.Body); err != nil && !errors.Is(err, PayloadMismatch) {
			t.Fatalf("reading the body after Verify: %v", err)
		}
	})
}
