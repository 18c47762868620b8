package s3_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// plain sends an unsigned request, as a browser does, and returns the answer
// with its body read.
func plain(t *testing.T, method, url string, h map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// s3Error is an error body's members.
type s3Error struct {
	Code, Message, Method, ResourceType, BucketName string
}

func parseError(t *testing.T, body string) s3Error {
	t.Helper()
	var e s3Error
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

const notAllowed = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."

func TestCORSConfiguration(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	c := ts.client(t)
	mustCreate(t, c, "cors")
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("cors")})
	wantAPIError(t, err, 404, "NoSuchCORSConfiguration")
	wantMessage(t, err, "The CORS configuration does not exist")
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("cors")}); err != nil {
		t.Fatalf("delete with none: %v", err)
	}

	rule := types.CORSRule{
		ID:             aws.String("app"),
		AllowedOrigins: []string{"https://app.example.com", "http://*.example.com"},
		AllowedMethods: []string{"GET", "PUT", "HEAD"},
		AllowedHeaders: []string{"x-amz-*", "Content-Type"},
		ExposeHeaders:  []string{"ETag", "x-amz-request-id"},
		MaxAgeSeconds:  aws.Int32(3000),
	}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cors"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{rule}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("cors")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CORSRules) != 1 {
		t.Fatalf("rules = %+v", out.CORSRules)
	}
	got := out.CORSRules[0]
	if aws.ToString(got.ID) != "app" || fmt.Sprint(got.AllowedOrigins) != fmt.Sprint(rule.AllowedOrigins) ||
		fmt.Sprint(got.AllowedMethods) != fmt.Sprint(rule.AllowedMethods) || fmt.Sprint(got.AllowedHeaders) != fmt.Sprint(rule.AllowedHeaders) ||
		fmt.Sprint(got.ExposeHeaders) != fmt.Sprint(rule.ExposeHeaders) || aws.ToInt32(got.MaxAgeSeconds) != 3000 {
		t.Fatalf("rule = %+v", got)
	}

	many := make([]types.CORSRule, 101)
	for i := range many {
		many[i] = types.CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}
	}
	for _, tc := range []struct {
		name  string
		rules []types.CORSRule
		code  string
		msg   string
	}{
		{"unsupported method", []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "MYMETHOD"}}},
			"InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD"},
		{"no rules", []types.CORSRule{}, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"},
		{"two wildcards", []types.CORSRule{{AllowedOrigins: []string{"http://*.*.com"}, AllowedMethods: []string{"GET"}}},
			"InvalidRequest", `AllowedOrigin "http://*.*.com" can not have more than one wildcard.`},
		{"101 rules", many, "MalformedXML", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("cors"),
				CORSConfiguration: &types.CORSConfiguration{CORSRules: tc.rules}})
			wantAPIError(t, err, 400, tc.code)
			if tc.msg != "" {
				wantMessage(t, err, tc.msg)
			}
			out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("cors")})
			if err != nil || len(out.CORSRules) != 1 || aws.ToString(out.CORSRules[0].ID) != "app" {
				t.Fatalf("a refused put changed the configuration: %+v, %v", out, err)
			}
		})
	}

	// A rule without an origin (which the SDK would not send).
	req, _ := http.NewRequest(http.MethodPut, ts.URL+"/cors?cors",
		strings.NewReader(`<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if e := parseError(t, string(b)); resp.StatusCode != 400 || e.Code != "MalformedXML" {
		t.Fatalf("no origin = %d %+v", resp.StatusCode, e)
	}
	// A body that is not what its Content-MD5 says.
	req, _ = http.NewRequest(http.MethodPut, ts.URL+"/cors?cors",
		strings.NewReader(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`))
	req.Header.Set("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if e := parseError(t, string(b)); resp.StatusCode != 400 || e.Code != "BadDigest" {
		t.Fatalf("wrong Content-MD5 = %d %+v", resp.StatusCode, e)
	}

	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("cors")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("cors")})
	wantAPIError(t, err, 404, "NoSuchCORSConfiguration")
	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("no-such-bucket"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{rule}}})
	wantAPIError(t, err, 404, "NoSuchBucket")
}

func TestCORSPreflight(t *testing.T) {
	ts := startS3(t)
	ctx := context.Background()
	c := ts.client(t)
	mustCreate(t, c, "site")
	objectURL := "http://site.s3.localhost:" + ts.Port + "/index.html"
	vhost := &http.Client{Transport: &http.Transport{DialContext: localhostDialer()}}
	preflight := func(url string, h map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, url, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := vhost.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	wantForbidden := func(resp *http.Response, body, msg, method, resource string) {
		t.Helper()
		e := parseError(t, body)
		if resp.StatusCode != 403 || e.Code != "AccessForbidden" || e.Message != msg || e.Method != method || e.ResourceType != resource {
			t.Fatalf("= %d %+v", resp.StatusCode, e)
		}
	}

	// No Origin: 400, whatever the bucket.
	resp, body := preflight(objectURL, nil)
	if e := parseError(t, body); resp.StatusCode != 400 || e.Code != "BadRequest" || e.Message != "Insufficient information. Origin request header needed." {
		t.Fatalf("no origin = %d %+v", resp.StatusCode, e)
	}
	resp, body = preflight("http://nobucket.s3.localhost:"+ts.Port+"/k", map[string]string{"Origin": "https://a.test"})
	wantForbidden(resp, body, "CORSResponse: Bucket not found", "OPTIONS", "BUCKET")
	resp, body = preflight(objectURL, map[string]string{"Origin": "https://a.test", "Access-Control-Request-Method": "PUT"})
	wantForbidden(resp, body, "CORSResponse: CORS is not enabled for this bucket.", "PUT", "BUCKET")

	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("site"), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{
			{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"},
				AllowedHeaders: []string{"x-amz-*", "content-type"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(3000)},
			{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
		}}}); err != nil {
		t.Fatal(err)
	}

	resp, body = preflight(objectURL, map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
		"Access-Control-Request-Headers": "X-Amz-Meta-Owner, Content-Type"})
	if resp.StatusCode != 200 || body != "" {
		t.Fatalf("preflight = %d %s", resp.StatusCode, body)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Allow-Headers":     "x-amz-meta-owner, content-type",
		"Access-Control-Expose-Headers":    "ETag",
		"Access-Control-Max-Age":           "3000",
		"Vary":                             "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
		"Content-Length":                   "0",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	// The wildcard rule: "*" and no credentials.
	resp, _ = preflight(objectURL, map[string]string{"Origin": "http://random:1234", "Access-Control-Request-Method": "GET"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" ||
		resp.Header.Get("Access-Control-Max-Age") != "" {
		t.Fatalf("wildcard = %d %v", resp.StatusCode, resp.Header)
	}

	// No rule allows it: the method, or a header.
	resp, body = preflight(objectURL, map[string]string{"Origin": "http://random:1234", "Access-Control-Request-Method": "PUT"})
	wantForbidden(resp, body, notAllowed, "PUT", "OBJECT")
	resp, body = preflight(objectURL, map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET",
		"Access-Control-Request-Headers": "authorization"})
	wantForbidden(resp, body, notAllowed, "GET", "OBJECT")
	resp, body = preflight("http://site.s3.localhost:"+ts.Port+"/", map[string]string{"Origin": "http://random:1234", "Access-Control-Request-Method": "DELETE"})
	wantForbidden(resp, body, notAllowed, "DELETE", "BUCKET")
	resp, body = preflight(objectURL, map[string]string{"Origin": "http://random:1234"})
	if e := parseError(t, body); resp.StatusCode != 400 || e.Message != "Invalid Access-Control-Request-Method: null" {
		t.Fatalf("no method = %d %+v", resp.StatusCode, e)
	}

	// Path-style, too.
	resp, _ = plain(t, http.MethodOptions, ts.URL+"/site/index.html", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("path-style preflight = %d %v", resp.StatusCode, resp.Header)
	}

	// An actual request carrying an Origin gets the first matching rule's
	// headers; one matched on nothing gets none.
	resp, _ = plain(t, http.MethodGet, ts.URL+"/site?location", map[string]string{"Origin": "https://app.example.com"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET, PUT" || resp.Header.Get("Access-Control-Expose-Headers") != "ETag" ||
		resp.Header.Get("Vary") == "" {
		t.Fatalf("GET with Origin = %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = plain(t, http.MethodGet, ts.URL+"/site?location", map[string]string{"Origin": "https://other.test", "Access-Control-Request-Method": "PUT"})
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("GET matched on nothing = %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = plain(t, http.MethodGet, ts.URL+"/site?location", nil)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("GET without Origin has CORS headers: %v", resp.Header)
	}
	if _, err := ts.S3.Store.Put(ctx, "site", putObject("index.html", "<html/>"), noCondition, nil); err != nil {
		t.Fatal(err)
	}
	resp, body = plain(t, http.MethodGet, ts.URL+"/site/index.html", map[string]string{"Origin": "http://random:1234"})
	if resp.StatusCode != http.StatusNotImplemented && (resp.StatusCode != 200 || body != "<html/>") {
		t.Fatalf("GET object = %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("GET object with Origin = %d %v", resp.StatusCode, resp.Header)
	}

	// A configuration deleted is forgotten at once, as is a bucket deleted.
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("site")}); err != nil {
		t.Fatal(err)
	}
	resp, body = preflight(objectURL, map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
	wantForbidden(resp, body, "CORSResponse: CORS is not enabled for this bucket.", "GET", "BUCKET")
	if _, err := ts.S3.Store.Delete(ctx, "site", "index.html", "", objstore.Condition{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("site")}); err != nil {
		t.Fatal(err)
	}
	resp, body = preflight(objectURL, map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
	wantForbidden(resp, body, "CORSResponse: Bucket not found", "GET", "BUCKET")
	if !strings.Contains(body, "<HostId>") {
		t.Errorf("no HostId: %s", body)
	}
}
