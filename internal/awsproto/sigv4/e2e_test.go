package sigv4

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// TestLambdaClientEndToEnd points the real Lambda client at a server that verifies
// with the real clock: the right secret gets through, and a wrong one comes back to
// the client as the error code Verify chose.
func TestLambdaClientEndToEnd(t *testing.T) {
	var (
		mu   sync.Mutex
		uris []string
		ids  []Identity
	)
	v := &Verifier{Secret: testSecrets}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := v.Verify(r)
		if err != nil {
			renderLambda(w, err)
			return
		}
		mu.Lock()
		uris, ids = append(uris, r.RequestURI), append(ids, id)
		mu.Unlock()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			renderLambda(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.Write(body) // Invoke: echo the payload
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()

	client := func(key, secret string) *lambda.Client {
		cfg := aws.Config{
			Region:           testRegion,
			Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
			RetryMaxAttempts: 1,
			HTTPClient:       srv.Client(),
		}
		return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	}
	ctx := context.Background()

	good := client(testKey, testSecret)
	if _, err := good.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(10)}); err != nil {
		t.Fatalf("ListFunctions: %v", err)
	}
	arn := "arn:aws:lambda:us-east-1:123456789012:function:my-fn"
	if _, err := good.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)}); err != nil {
		t.Fatalf("ListTags: %v", err)
	}
	if _, err := good.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn), Qualifier: aws.String("$LATEST")}); err != nil {
		t.Fatalf("GetFunction: %v", err)
	}
	out, err := good.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("my-fn"), Payload: []byte(`{"k": "v w"}`)})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if string(out.Payload) != `{"k": "v w"}` {
		t.Errorf("Invoke payload came back as %q", out.Payload)
	}

	mu.Lock()
	defer mu.Unlock()
	sawARN := false
	for _, u := range uris {
		sawARN = sawARN || strings.Contains(u, "arn%3Aaws%3Alambda")
	}
	if !sawARN {
		t.Errorf("no request carried an escaped ARN in its path, so double escaping went untested: %q", uris)
	}
	for _, id := range ids {
		if id.AccessKeyID != testKey || id.Region != testRegion || id.Service != "lambda" {
			t.Errorf("Identity = %+v", id)
		}
	}

	for _, tc := range []struct {
		name, key, secret, code string
	}{
		{"wrong secret", testKey, "not-the-secret", "InvalidSignatureException"},
		{"unknown key", "AKIDNOBODY", testSecret, "UnrecognizedClientException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(tc.key, tc.secret).ListFunctions(ctx, &lambda.ListFunctionsInput{})
			var api smithy.APIError
			if !errors.As(err, &api) {
				t.Fatalf("ListFunctions error = %v, want an API error", err)
			}
			if api.ErrorCode() != tc.code {
				t.Errorf("ErrorCode = %s, want %s (%v)", api.ErrorCode(), tc.code, err)
			}
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) && re.HTTPStatusCode() != http.StatusForbidden {
				t.Errorf("status = %d, want 403", re.HTTPStatusCode())
			}
		})
	}
}
