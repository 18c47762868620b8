package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// urlHost is the Host of a function URL, from the FunctionUrl Lambda reported.
func urlHost(t *testing.T, functionURL string) string {
	t.Helper()
	u, err := url.Parse(functionURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname()
}

func TestFunctionURL(t *testing.T) {
	ts := startServer(t, "")
	lc := ts.lambdaClient()
	ctx := context.Background()
	fn := createFn(t, lc, "urlev", "event")
	created, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlev"),
		AuthType: types.FunctionUrlAuthTypeNone, Cors: &types.Cors{AllowOrigins: []string{"https://web.example"},
			AllowMethods: []string{"GET", "PUT"}, AllowHeaders: []string{"x-a"}, MaxAge: aws.Int32(60)}})
	if err != nil {
		t.Fatal(err)
	}
	host := urlHost(t, *created.FunctionUrl)
	urlID, _, _ := strings.Cut(host, ".")
	if len(urlID) != 32 || host != urlID+".lambda-url.us-east-1.localhost" || !strings.HasSuffix(*created.FunctionUrl, "/") ||
		*created.FunctionArn != *fn.FunctionArn || created.AuthType != types.FunctionUrlAuthTypeNone ||
		created.InvokeMode != types.InvokeModeBuffered || created.CreationTime == nil {
		t.Errorf("CreateFunctionUrlConfig: %+v", created)
	}

	before := time.Now().UnixMilli()
	res := ts.call(t, "GET", host, "/some/path?x=1&x=2&y", nil, http.Header{"Cookie": {"s=1; t=2"}, "X-Multi": {"a", "b"},
		"User-Agent": {"ua"}, "Origin": {"https://web.example"}})
	if res.Status != 200 {
		t.Fatalf("GET: %d %s", res.Status, res.Body)
	}
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(res.Body, &ev); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	json.Unmarshal(res.Body, &raw) //nolint:errcheck
	checkKeys(t, res.Body, []string{"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers", "queryStringParameters",
		"requestContext", "isBase64Encoded", "pathParameters", "stageVariables"},
		[]string{"accountId", "apiId", "authentication", "domainName", "domainPrefix", "http", "requestId", "routeKey", "stage", "time", "timeEpoch"})
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	rc := ev.RequestContext
	check("version", ev.Version, "2.0")
	check("routeKey", raw["routeKey"], "$default")
	check("rawPath", ev.RawPath, "/some/path")
	check("rawQueryString", ev.RawQueryString, "x=1&x=2&y")
	check("cookies", ev.Cookies, []string{"s=1", "t=2"})
	check("headers[x-multi]", ev.Headers["x-multi"], "a,b")
	check("headers[cookie]", ev.Headers["cookie"], "")
	check("queryStringParameters", ev.QueryStringParameters, map[string]string{"x": "1,2", "y": ""})
	check("pathParameters", raw["pathParameters"], nil)
	check("stageVariables", raw["stageVariables"], nil)
	check("isBase64Encoded", ev.IsBase64Encoded, false)
	check("body", ev.Body, "")
	check("rc.accountId", rc.AccountID, "000000000000")
	check("rc.apiId", rc.APIID, urlID)
	check("rc.domainName", rc.DomainName, host)
	check("rc.domainPrefix", rc.DomainPrefix, urlID)
	check("rc.requestId", rc.RequestID, res.Header.Get("X-Amzn-Requestid"))
	check("rc.http", rc.HTTP, events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET", Path: "/some/path",
		Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "ua"})
	check("rc.authorizer", rc.Authorizer, (*events.LambdaFunctionURLRequestContextAuthorizerDescription)(nil))
	check("rc.routeKey", raw["requestContext"].(map[string]any)["routeKey"], "$default")
	check("rc.stage", raw["requestContext"].(map[string]any)["stage"], "$default")
	if rc.TimeEpoch < before || rc.Time == "" {
		t.Errorf("time %q / %d", rc.Time, rc.TimeEpoch)
	}
	check("CORS on the response", res.Header.Get("Access-Control-Allow-Origin"), "https://web.example")

	// The path form and a binary body.
	bin := []byte{0xde, 0xad, 0xbe, 0xef}
	res = ts.call(t, "PUT", "", "/_aws/lambda-url/"+urlID+"/up", bin, http.Header{"Content-Type": {"application/octet-stream"}})
	ev = events.LambdaFunctionURLRequest{}
	json.Unmarshal(res.Body, &ev) //nolint:errcheck
	if res.Status != 200 || ev.RawPath != "/up" || !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("path form PUT: %d %s", res.Status, res.Body)
	}
	pre := ts.call(t, "OPTIONS", host, "/", nil, http.Header{"Origin": {"https://web.example"}, "Access-Control-Request-Method": {"PUT"}})
	if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Methods") != "GET,PUT" || pre.Header.Get("Access-Control-Max-Age") != "60" {
		t.Errorf("preflight: %d %v", pre.Status, pre.Header)
	}

	// Get, Update, List, Delete.
	upd, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("urlev"), Cors: &types.Cors{AllowOrigins: []string{"*"}}})
	if err != nil || *upd.FunctionUrl != *created.FunctionUrl || upd.Cors.AllowOrigins[0] != "*" || upd.AuthType != types.FunctionUrlAuthTypeNone {
		t.Errorf("UpdateFunctionUrlConfig: %+v %v", upd, err)
	}
	got, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("urlev")})
	if err != nil || *got.FunctionUrl != *created.FunctionUrl || got.LastModifiedTime == nil {
		t.Errorf("GetFunctionUrlConfig: %+v %v", got, err)
	}
	list, err := lc.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("urlev")})
	if err != nil || len(list.FunctionUrlConfigs) != 1 || *list.FunctionUrlConfigs[0].FunctionUrl != *created.FunctionUrl {
		t.Errorf("ListFunctionUrlConfigs: %+v %v", list, err)
	}

	bad := []struct {
		name string
		call func() error
		code string
	}{
		{"create twice", func() error {
			_, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlev"), AuthType: types.FunctionUrlAuthTypeNone})
			return err
		}, "ResourceConflictException"},
		{"bad auth type", func() error {
			_, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlev"), AuthType: "OPEN", Qualifier: aws.String("$LATEST")})
			return err
		}, "ValidationException"},
		{"version qualifier", func() error {
			_, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlev"), AuthType: types.FunctionUrlAuthTypeNone, Qualifier: aws.String("1")})
			return err
		}, "ValidationException"},
		{"unknown alias", func() error {
			_, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlev"), AuthType: types.FunctionUrlAuthTypeNone, Qualifier: aws.String("nope")})
			return err
		}, "ResourceNotFoundException"},
		{"unknown function", func() error {
			_, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("nofn")})
			return err
		}, "ResourceNotFoundException"},
		{"$LATEST is the unqualified function's URL", func() error {
			_, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlev"), AuthType: types.FunctionUrlAuthTypeNone, Qualifier: aws.String("$LATEST")})
			return err
		}, "ResourceConflictException"},
		{"max age too long", func() error {
			_, err := lc.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("urlev"), Cors: &types.Cors{MaxAge: aws.Int32(86401)}})
			return err
		}, "ValidationException"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) { apiError(t, c.call(), c.code) })
	}
	_, err = lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlev"), AuthType: types.FunctionUrlAuthTypeNone})
	if ae := apiError(t, err, "ResourceConflictException"); ae.ErrorMessage() != "Failed to create function url config for [functionArn = "+*fn.FunctionArn+"]. Error message:  FunctionUrlConfig exists for this Lambda function" {
		t.Errorf("conflict message %q", ae.ErrorMessage())
	}
	after, _ := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("urlev")})
	if after == nil || *after.FunctionUrl != *created.FunctionUrl || after.Cors.AllowOrigins[0] != "*" {
		t.Errorf("bad input changed the URL: %+v", after)
	}

	if _, err := lc.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("urlev")}); err != nil {
		t.Fatal(err)
	}
	if res := ts.call(t, "GET", host, "/", nil, nil); res.Status != 404 {
		t.Errorf("after delete: %d %s", res.Status, res.Body)
	}
	_, err = lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("urlev")})
	apiError(t, err, "ResourceNotFoundException")
}

// signedCall signs a function URL request as an SDK or Postman would (SigV4 for
// the lambda service) and sends it.
func signedCall(t *testing.T, ts *testServer, host, path, key, secret string, body []byte) httpResult {
	t.Helper()
	u, _ := url.Parse(ts.URL)
	req, _ := http.NewRequest("POST", ts.URL+path, bytes.NewReader(body))
	req.Host = host + ":" + u.Port()
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return httpResult{resp.StatusCode, resp.Header, b}
}

// TestFunctionURLIAM: an AWS_IAM URL on an alias takes only SigV4-signed requests,
// checked against the server's keys under --auth strict; answers map as payload 2.0.
func TestFunctionURLIAM(t *testing.T) {
	credsFile := filepath.Join(t.TempDir(), "credentials")
	os.WriteFile(credsFile, []byte("[default]\naws_access_key_id = AKIDURL\naws_secret_access_key = s3cret\n"), 0o600) //nolint:errcheck
	ts := startServer(t, "", "--auth", "strict", "--credentials-file", credsFile)
	lc := ts.lambdaClient(func(o *lambda.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIDURL", "s3cret", "")
	})
	ctx := context.Background()
	createFn(t, lc, "urlresp", "respond")
	if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("urlresp"), Name: aws.String("live"), FunctionVersion: aws.String("$LATEST")}); err != nil {
		t.Fatal(err)
	}
	cfg, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("urlresp"),
		Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeAwsIam})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(*cfg.FunctionArn, ":function:urlresp:live") {
		t.Errorf("FunctionArn %s", *cfg.FunctionArn)
	}
	host := urlHost(t, *cfg.FunctionUrl)
	if res := ts.call(t, "POST", host, "/", []byte(`"x"`), nil); res.Status != 403 || string(res.Body) != `{"Message":"Forbidden"}` {
		t.Errorf("unsigned: %d %s", res.Status, res.Body)
	}
	if res := signedCall(t, ts, host, "/", "AKIDURL", "wrong", []byte(`"x"`)); res.Status != 403 {
		t.Errorf("bad signature: %d %s", res.Status, res.Body)
	}
	cases := []struct {
		answer string
		status int
		header http.Header
		body   string
	}{
		{`{"statusCode":418,"headers":{"x-tea":"pot"},"cookies":["c=1"],"body":"short and stout"}`, 418,
			http.Header{"X-Tea": {"pot"}, "Set-Cookie": {"c=1"}}, "short and stout"},
		{`{"ok":true}`, 200, http.Header{"Content-Type": {"application/json"}}, `{"ok":true}`},
		{`{"statusCode":200,"isBase64Encoded":true,"body":"!!"}`, 502, nil, `{"Message":"Internal Server Error"}`},
	}
	for _, c := range cases {
		res := signedCall(t, ts, host, "/", "AKIDURL", "s3cret", []byte(c.answer))
		if res.Status != c.status || string(res.Body) != c.body {
			t.Errorf("%s: got %d %s", c.answer, res.Status, res.Body)
		}
		for k, v := range c.header {
			if got := res.Header.Values(k); !reflect.DeepEqual(got, v) {
				t.Errorf("%s: header %s = %q", c.answer, k, got)
			}
		}
	}
	// The caller reaches the function as requestContext.authorizer.iam.
	if _, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("urlresp"), Handler: aws.String("event")}); err != nil {
		t.Fatal(err)
	}
	res := signedCall(t, ts, host, "/who", "AKIDURL", "s3cret", []byte(`{}`))
	var ev events.LambdaFunctionURLRequest
	json.Unmarshal(res.Body, &ev) //nolint:errcheck
	if res.Status != 200 || ev.RequestContext.Authorizer == nil || ev.RequestContext.Authorizer.IAM == nil ||
		ev.RequestContext.Authorizer.IAM.AccessKey != "AKIDURL" || ev.RequestContext.Authorizer.IAM.AccountID != "000000000000" {
		t.Errorf("IAM caller: %d %s", res.Status, res.Body)
	}
	// Deleting the function deletes its URLs.
	if _, err := lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("urlresp")}); err != nil {
		t.Fatal(err)
	}
	if res := signedCall(t, ts, host, "/", "AKIDURL", "s3cret", []byte(`{}`)); res.Status != 404 {
		t.Errorf("after DeleteFunction: %d %s", res.Status, res.Body)
	}
}
