package s3_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	stratuss3 "github.com/stratus-run/stratus/internal/s3"
)

// postForm sends a browser-style POST upload: fields in order, then the file.
func postForm(t *testing.T, url string, fields map[string]string, filename string, file []byte) rawResponse {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		mw.WriteField(k, fields[k]) //nolint:errcheck
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", filename)
		fw.Write(file) //nolint:errcheck
	}
	mw.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Post(url, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func policy(t *testing.T, expires time.Time, conditions ...any) string {
	b, err := json.Marshal(map[string]any{"expiration": expires.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conditions})
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestPostObject(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	url := ts.URL + "/" + bucket
	soon := time.Now().Add(time.Hour)

	r := postForm(t, url, map[string]string{"key": "uploads/${filename}", "Content-Type": "text/plain", "x-amz-meta-who": "form",
		"tagging": "<Tagging><TagSet><Tag><Key>t</Key><Value>1</Value></Tag></TagSet></Tagging>"}, "hello.txt", []byte("from a form"))
	if r.Status != 204 || r.Header.Get("Etag") == "" || !strings.HasSuffix(r.Header.Get("Location"), "/"+bucket+"/uploads/hello.txt") {
		t.Fatalf("POST = %d %v %s", r.Status, r.Header, r.Body)
	}
	g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if string(body) != "from a form" || aws.ToString(g.ContentType) != "text/plain" || g.Metadata["who"] != "form" || aws.ToInt32(g.TagCount) != 1 {
		t.Errorf("object = %q %s %v %d", body, aws.ToString(g.ContentType), g.Metadata, aws.ToInt32(g.TagCount))
	}

	ok := policy(t, soon, map[string]string{"bucket": bucket}, []any{"starts-with", "$key", "in/"},
		[]any{"content-length-range", 1, 10}, []any{"eq", "$x-amz-meta-a", "b"}, map[string]string{"success_action_status": "201"})
	r = postForm(t, url, map[string]string{"key": "in/x", "policy": ok, "x-amz-meta-a": "b", "success_action_status": "201"}, "f", []byte("12345"))
	if r.Status != 201 || element(r.Body, "Key") != "in/x" || element(r.Body, "Bucket") != bucket || element(r.Body, "ETag") == "" {
		t.Fatalf("201 = %d %s", r.Status, r.Body)
	}
	r = postForm(t, url, map[string]string{"key": "r", "success_action_redirect": "http://example.com/done?x=1"}, "f", []byte("x"))
	if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "http://example.com/done?") || !strings.Contains(r.Header.Get("Location"), "key=r") {
		t.Errorf("redirect = %d %s", r.Status, r.Header.Get("Location"))
	}
	if r = postForm(t, url, map[string]string{"key": "s", "success_action_status": "200"}, "f", []byte("x")); r.Status != 200 {
		t.Errorf("200 = %d", r.Status)
	}

	cases := []struct {
		name   string
		fields map[string]string
		file   []byte
		status int
		code   string
	}{
		{"no key", map[string]string{}, []byte("x"), 400, "InvalidArgument"},
		{"no file", map[string]string{"key": "k"}, nil, 400, "InvalidArgument"},
		{"expired", map[string]string{"key": "in/e", "policy": policy(t, time.Now().Add(-time.Minute), map[string]string{"key": "in/e"})}, []byte("x"), 403, "AccessDenied"},
		{"condition failed", map[string]string{"key": "out/x", "policy": ok, "x-amz-meta-a": "b", "success_action_status": "201"}, []byte("x"), 403, "AccessDenied"},
		{"extra field", map[string]string{"key": "in/x", "policy": ok, "x-amz-meta-a": "b", "success_action_status": "201", "x-amz-meta-extra": "1"}, []byte("x"), 403, "AccessDenied"},
		{"too large", map[string]string{"key": "in/x", "policy": ok, "x-amz-meta-a": "b", "success_action_status": "201"}, []byte("12345678901"), 400, "EntityTooLarge"},
		{"too small", map[string]string{"key": "in/x", "policy": ok, "x-amz-meta-a": "b", "success_action_status": "201"}, []byte{}, 400, "EntityTooSmall"},
		{"bad policy", map[string]string{"key": "k", "policy": "not base64!"}, []byte("x"), 400, "InvalidPolicyDocument"},
		{"no expiration", map[string]string{"key": "k", "policy": base64.StdEncoding.EncodeToString([]byte(`{"conditions":[]}`))}, []byte("x"), 400, "InvalidPolicyDocument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := postForm(t, url, c.fields, "f", c.file)
			if r.Status != c.status || r.errorCode() != c.code {
				t.Fatalf("= %d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
		})
	}
	if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("out/x")}); err == nil {
		t.Error("a refused POST made an object")
	}
	resp, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader("key=x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 412 {
		t.Errorf("not multipart = %d", resp.StatusCode)
	}
}

// TestPostObjectSigned checks the form's signature, as the strict auth mode
// does, with a POST presigned by the SDK.
func TestPostObjectSigned(t *testing.T) {
	t.Parallel()
	ts := startS3(t, func(s *stratuss3.Service) {
		s.Verifier = &sigv4.Verifier{Secret: func(id string) (string, bool) { return "test", id == "test" }}
	})
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	pre, err := s3.NewPresignClient(cl).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("signed")},
		func(o *s3.PresignPostOptions) { o.Expires = time.Minute })
	if err != nil {
		t.Fatal(err)
	}
	r := postForm(t, pre.URL, pre.Values, "f", []byte("signed body"))
	if r.Status != 204 {
		t.Fatalf("presigned POST = %d %s (url %s)", r.Status, r.Body, pre.URL)
	}
	if got := getString(t, cl, bucket, "signed"); got != "signed body" {
		t.Errorf("object = %q", got)
	}
	bad := map[string]string{}
	for k, v := range pre.Values {
		bad[k] = v
	}
	bad["X-Amz-Signature"] = strings.Repeat("0", 64)
	if r := postForm(t, pre.URL, bad, "f", []byte("x")); r.Status != 403 || r.errorCode() != "SignatureDoesNotMatch" {
		t.Errorf("bad signature = %d %s", r.Status, r.Body)
	}
	if r := postForm(t, pre.URL, map[string]string{"key": "signed"}, "f", []byte("x")); r.Status != 403 || r.errorCode() != "AccessDenied" {
		t.Errorf("unsigned = %d %s", r.Status, r.Body)
	}
}
