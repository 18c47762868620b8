package main

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
)

func (ts *testServer) apigwv2Client() *apigatewayv2.Client {
	return apigatewayv2.New(apigatewayv2.Options{
		BaseEndpoint: aws.String(ts.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

func (ts *testServer) apigwClient() *apigateway.Client {
	return apigateway.New(apigateway.Options{
		BaseEndpoint: aws.String(ts.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// httpResult is what a plain HTTP client got back.
type httpResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// call sends one request with net/http to the server at path, addressed to host
// when host is not empty (the Host form of API Gateway and function URL
// endpoints), as a browser or curl would.
func (ts *testServer) call(t *testing.T, method, host, path string, body []byte, hdr http.Header) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = nil
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if host != "" {
		u, _ := url.Parse(ts.URL)
		req.Host = host + ":" + u.Port()
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
	return httpResult{resp.StatusCode, resp.Header, b}
}

// checkKeys asserts that the JSON object b has exactly the given keys at the top
// level and in requestContext (as AWS's documented example events have them,
// authorizer aside, which only an authorizer adds).
func checkKeys(t *testing.T, b []byte, top, requestContext []string) {
	t.Helper()
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	var rc map[string]json.RawMessage
	json.Unmarshal(ev["requestContext"], &rc) //nolint:errcheck
	keys := func(m map[string]json.RawMessage) []string {
		out := slices.Collect(maps.Keys(m))
		slices.Sort(out)
		return out
	}
	slices.Sort(top)
	slices.Sort(requestContext)
	if got := keys(ev); !slices.Equal(got, top) {
		t.Errorf("event keys %v, want %v", got, top)
	}
	if got := keys(rc); !slices.Equal(got, requestContext) {
		t.Errorf("requestContext keys %v, want %v", got, requestContext)
	}
}
