package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	v2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// httpAPI creates an HTTP API with one AWS_PROXY integration to fn (in the given
// payload format) and the given routes, and returns its id.
func httpAPI(t *testing.T, c *apigatewayv2.Client, fnArn, format string, routes ...string) (string, string) {
	t.Helper()
	ctx := context.Background()
	api, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("test"), ProtocolType: v2types.ProtocolTypeHttp})
	if err != nil {
		t.Fatal(err)
	}
	integ, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: api.ApiId,
		IntegrationType: v2types.IntegrationTypeAwsProxy, IntegrationUri: aws.String(fnArn),
		PayloadFormatVersion: aws.String(format)})
	if err != nil {
		t.Fatal(err)
	}
	for _, rk := range routes {
		if _, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: api.ApiId, RouteKey: aws.String(rk),
			Target: aws.String("integrations/" + *integ.IntegrationId)}); err != nil {
			t.Fatalf("CreateRoute %s: %v", rk, err)
		}
	}
	return *api.ApiId, *integ.IntegrationId
}

func TestHTTPAPIPayload2(t *testing.T) {
	ts := startServer(t, "")
	lc, gw := ts.lambdaClient(), ts.apigwv2Client()
	ctx := context.Background()
	fn := createFn(t, lc, "ev", "event")
	id, _ := httpAPI(t, gw, *fn.FunctionArn, "2.0", "GET /items/{id}", "ANY /files/{path+}")
	if _, err := gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: &id, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: &id, StageName: aws.String("prod"), AutoDeploy: aws.Bool(true),
		StageVariables: map[string]string{"color": "blue", "fn": "ev"}}); err != nil {
		t.Fatal(err)
	}
	got, err := gw.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*got.ApiEndpoint, "http://"+id+".execute-api.localhost:") || got.ProtocolType != v2types.ProtocolTypeHttp ||
		*got.RouteSelectionExpression != "$request.method $request.path" {
		t.Errorf("GetApi: %+v", got)
	}

	host := id + ".execute-api.localhost"
	hdr := http.Header{"X-Multi": {"a", "b"}, "Cookie": {"c1=v1; c2=v2"}, "User-Agent": {"stratus-test"}}
	before := time.Now().UnixMilli()
	res := ts.call(t, "GET", host, "/items/42?a=1&a=2&b=x%20y", nil, hdr)
	if res.Status != 200 || res.Header.Get("Apigw-Requestid") == "" {
		t.Fatalf("GET: %d %s %v", res.Status, res.Body, res.Header)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(res.Body, &ev); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, res.Body, []string{"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers", "queryStringParameters",
		"pathParameters", "requestContext", "isBase64Encoded"},
		[]string{"accountId", "apiId", "authentication", "domainName", "domainPrefix", "http", "requestId", "routeKey", "stage", "time", "timeEpoch"})
	rc := ev.RequestContext
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	check("version", ev.Version, "2.0")
	check("routeKey", ev.RouteKey, "GET /items/{id}")
	check("rawPath", ev.RawPath, "/items/42")
	check("rawQueryString", ev.RawQueryString, "a=1&a=2&b=x%20y")
	check("cookies", ev.Cookies, []string{"c1=v1", "c2=v2"})
	check("headers[x-multi]", ev.Headers["x-multi"], "a,b")
	check("headers[user-agent]", ev.Headers["user-agent"], "stratus-test")
	check("headers[host]", ev.Headers["host"], host+":"+ts.URL[strings.LastIndexByte(ts.URL, ':')+1:])
	check("headers has no cookie", ev.Headers["cookie"], "")
	check("headers[x-forwarded-for]", ev.Headers["x-forwarded-for"], "127.0.0.1")
	check("headers[x-forwarded-proto]", ev.Headers["x-forwarded-proto"], "http")
	if tr := ev.Headers["x-amzn-trace-id"]; !strings.HasPrefix(tr, "Root=1-") || len(tr) != len("Root=1-")+35-2 {
		t.Errorf("x-amzn-trace-id %q", tr)
	}
	check("queryStringParameters", ev.QueryStringParameters, map[string]string{"a": "1,2", "b": "x y"})
	check("pathParameters", ev.PathParameters, map[string]string{"id": "42"})
	check("stageVariables", ev.StageVariables, map[string]string(nil))
	check("body", ev.Body, "")
	check("isBase64Encoded", ev.IsBase64Encoded, false)
	check("rc.routeKey", rc.RouteKey, "GET /items/{id}")
	check("rc.accountId", rc.AccountID, "000000000000")
	check("rc.stage", rc.Stage, "$default")
	check("rc.apiId", rc.APIID, id)
	check("rc.domainName", rc.DomainName, host)
	check("rc.domainPrefix", rc.DomainPrefix, id)
	check("rc.requestId", rc.RequestID, res.Header.Get("Apigw-Requestid"))
	check("rc.http.method", rc.HTTP.Method, "GET")
	check("rc.http.path", rc.HTTP.Path, "/items/42")
	check("rc.http.protocol", rc.HTTP.Protocol, "HTTP/1.1")
	check("rc.http.sourceIp", rc.HTTP.SourceIP, "127.0.0.1")
	check("rc.http.userAgent", rc.HTTP.UserAgent, "stratus-test")
	if rc.TimeEpoch < before || rc.TimeEpoch > time.Now().UnixMilli() {
		t.Errorf("timeEpoch %d not in [%d, now]", rc.TimeEpoch, before)
	}
	if tm, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc.Time); err != nil || tm.Unix() != rc.TimeEpoch/1000 {
		t.Errorf("time %q does not match timeEpoch %d (%v)", rc.Time, rc.TimeEpoch, err)
	}

	// The path form, a named stage with its variables, a greedy variable and a
	// binary body.
	bin := []byte{0, 1, 2, 0xff}
	res = ts.call(t, "PUT", "", "/_aws/execute-api/"+id+"/prod/files/a/b%20c.txt", bin, http.Header{"Content-Type": {"application/octet-stream"}})
	if res.Status != 200 {
		t.Fatalf("PUT: %d %s", res.Status, res.Body)
	}
	ev = events.APIGatewayV2HTTPRequest{}
	if err := json.Unmarshal(res.Body, &ev); err != nil {
		t.Fatal(err)
	}
	check("prod routeKey", ev.RouteKey, "ANY /files/{path+}")
	check("prod rawPath", ev.RawPath, "/prod/files/a/b%20c.txt")
	check("prod rc.http.path", ev.RequestContext.HTTP.Path, "/prod/files/a/b%20c.txt")
	check("prod stage", ev.RequestContext.Stage, "prod")
	check("prod stageVariables", ev.StageVariables, map[string]string{"color": "blue", "fn": "ev"})
	check("prod pathParameters", ev.PathParameters, map[string]string{"path": "a/b c.txt"})
	check("prod isBase64Encoded", ev.IsBase64Encoded, true)
	check("prod body", ev.Body, base64.StdEncoding.EncodeToString(bin))
	check("prod rawQueryString", ev.RawQueryString, "")
	check("prod queryStringParameters", ev.QueryStringParameters, map[string]string(nil))

	// An integration whose function is a stage variable: prod names one, $default none.
	svInteg, err := gw.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: &id, IntegrationType: v2types.IntegrationTypeAwsProxy,
		IntegrationUri: aws.String("arn:aws:lambda:us-east-1:000000000000:function:${stageVariables.fn}"), PayloadFormatVersion: aws.String("2.0")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gw.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: &id, RouteKey: aws.String("GET /sv"),
		Target: aws.String("integrations/" + *svInteg.IntegrationId)}); err != nil {
		t.Fatal(err)
	}
	if res := ts.call(t, "GET", host, "/prod/sv", nil, nil); res.Status != 200 || !strings.Contains(string(res.Body), `"routeKey":"GET /sv"`) {
		t.Errorf("stage-variable function: %d %s", res.Status, res.Body)
	}
	if res := ts.call(t, "GET", host, "/sv", nil, nil); res.Status != 500 || string(res.Body) != `{"message":"Internal Server Error"}` {
		t.Errorf("stage-variable function unset: %d %s", res.Status, res.Body)
	}

	// A JSON body stays text.
	res = ts.call(t, "POST", host, "/files/x", []byte(`{"k":"v"}`), http.Header{"Content-Type": {"application/json"}})
	ev = events.APIGatewayV2HTTPRequest{}
	json.Unmarshal(res.Body, &ev) //nolint:errcheck
	check("json body", ev.Body, `{"k":"v"}`)
	check("json isBase64Encoded", ev.IsBase64Encoded, false)

	// No route and no $default route: API Gateway's 404.
	for _, p := range []string{"/nothing", "/items", "/items/1/2", "/files"} {
		res = ts.call(t, "GET", host, p, nil, nil)
		if res.Status != 404 || string(res.Body) != `{"message":"Not Found"}` {
			t.Errorf("GET %s: %d %s", p, res.Status, res.Body)
		}
	}
	res = ts.call(t, "POST", host, "/items/1", nil, nil)
	if res.Status != 404 {
		t.Errorf("POST to a GET route: %d %s", res.Status, res.Body)
	}
	res = ts.call(t, "GET", "nosuchapi.execute-api.localhost", "/items/1", nil, nil)
	if res.Status != 404 || string(res.Body) != `{"message":"Not Found"}` {
		t.Errorf("unknown API: %d %s", res.Status, res.Body)
	}
}

func TestHTTPAPIPayload1(t *testing.T) {
	ts := startServer(t, "")
	lc, gw := ts.lambdaClient(), ts.apigwv2Client()
	fn := createFn(t, lc, "ev1", "event")
	id, _ := httpAPI(t, gw, *fn.FunctionArn, "1.0", "POST /orders/{id}", "$default")
	if _, err := gw.CreateStage(context.Background(), &apigatewayv2.CreateStageInput{ApiId: &id, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	host := id + ".execute-api.localhost"
	res := ts.call(t, "POST", host, "/orders/7?x=1&x=2&y=z", []byte("hello"), http.Header{"Content-Type": {"text/plain"}, "X-Multi": {"a", "b"}})
	if res.Status != 200 {
		t.Fatalf("POST: %d %s", res.Status, res.Body)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(res.Body, &ev); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	json.Unmarshal(res.Body, &raw) //nolint:errcheck
	checkKeys(t, res.Body, []string{"version", "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
		"multiValueQueryStringParameters", "requestContext", "pathParameters", "stageVariables", "body", "isBase64Encoded"},
		[]string{"accountId", "apiId", "domainName", "domainPrefix", "extendedRequestId", "httpMethod", "identity", "path", "protocol",
			"requestId", "requestTime", "requestTimeEpoch", "resourceId", "resourcePath", "stage"})
	if raw["version"] != "1.0" {
		t.Errorf("version = %v", raw["version"])
	}
	want := map[string]any{
		"resource": ev.Resource == "/orders/{id}", "path": ev.Path == "/orders/7", "httpMethod": ev.HTTPMethod == "POST",
		"headers":                         ev.Headers["x-multi"] == "b" && ev.Headers["content-type"] == "text/plain" && ev.Headers["X-Multi"] == "",
		"multiValueHeaders":               reflect.DeepEqual(ev.MultiValueHeaders["x-multi"], []string{"a", "b"}),
		"queryStringParameters":           reflect.DeepEqual(ev.QueryStringParameters, map[string]string{"x": "2", "y": "z"}),
		"multiValueQueryStringParameters": reflect.DeepEqual(ev.MultiValueQueryStringParameters, map[string][]string{"x": {"1", "2"}, "y": {"z"}}),
		"pathParameters":                  reflect.DeepEqual(ev.PathParameters, map[string]string{"id": "7"}),
		"stageVariables":                  ev.StageVariables == nil,
		"body":                            ev.Body == "hello" && !ev.IsBase64Encoded,
		"requestContext": ev.RequestContext.Stage == "$default" && ev.RequestContext.APIID == id &&
			ev.RequestContext.HTTPMethod == "POST" && ev.RequestContext.ResourcePath == "/orders/{id}" &&
			ev.RequestContext.Path == "/orders/7" && ev.RequestContext.Identity.SourceIP == "127.0.0.1" &&
			ev.RequestContext.RequestID != "" && ev.RequestContext.AccountID == "000000000000" &&
			ev.RequestContext.RequestTimeEpoch > 0 && ev.RequestContext.Protocol == "HTTP/1.1",
	}
	for k, ok := range want {
		if ok != true {
			t.Errorf("payload 1.0 field %s wrong: %s", k, res.Body)
		}
	}
	// $default catches the rest; its resource is the path.
	res = ts.call(t, "GET", host, "/anything/else", nil, nil)
	ev = events.APIGatewayProxyRequest{}
	json.Unmarshal(res.Body, &ev) //nolint:errcheck
	if res.Status != 200 || ev.Path != "/anything/else" || ev.QueryStringParameters != nil || ev.Body != "" {
		t.Errorf("$default: %d %s", res.Status, res.Body)
	}
}

// TestHTTPAPIResponses drives every response shape of payload 2.0 (and 1.0)
// through the "respond" function, which answers with the request's body.
func TestHTTPAPIResponses(t *testing.T) {
	ts := startServer(t, "")
	lc, gw := ts.lambdaClient(), ts.apigwv2Client()
	ctx := context.Background()
	fn := createFn(t, lc, "respond", "respond")
	id2, _ := httpAPI(t, gw, *fn.FunctionArn, "2.0", "$default")
	id1, _ := httpAPI(t, gw, *fn.FunctionArn, "1.0", "$default")
	for _, id := range []string{id1, id2} {
		if _, err := gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: aws.String(id), StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, api, answer string
		status            int
		header            http.Header
		body              string
	}{
		{"structured", id2, `{"statusCode":201,"headers":{"X-A":"1","content-type":"text/plain"},"body":"made"}`,
			201, http.Header{"X-A": {"1"}, "Content-Type": {"text/plain"}}, "made"},
		{"cookies", id2, `{"statusCode":200,"cookies":["a=1; Path=/","b=2"],"body":"ok"}`,
			200, http.Header{"Set-Cookie": {"a=1; Path=/", "b=2"}}, "ok"},
		{"base64", id2, `{"statusCode":200,"headers":{"content-type":"image/png"},"isBase64Encoded":true,"body":"AAEC/w=="}`,
			200, http.Header{"Content-Type": {"image/png"}}, "\x00\x01\x02\xff"},
		{"bare object", id2, `{"hello":"world"}`, 200, http.Header{"Content-Type": {"application/json"}}, `{"hello":"world"}`},
		{"bare string", id2, `"just text"`, 200, http.Header{"Content-Type": {"application/json"}}, `"just text"`},
		{"bad status", id2, `{"statusCode":"abc"}`, 502, nil, `{"message":"Internal Server Error"}`},
		{"bad body", id2, `{"statusCode":200,"body":{"x":1}}`, 502, nil, `{"message":"Internal Server Error"}`},
		{"1.0 multiValueHeaders", id1, `{"statusCode":200,"headers":{"X-One":"1","X-Both":"h"},"multiValueHeaders":{"X-Both":["m1","m2"]},"body":"v1"}`,
			200, http.Header{"X-One": {"1"}, "X-Both": {"m1", "m2"}}, "v1"},
		{"1.0 no statusCode", id1, `{"body":"x"}`, 502, nil, `{"message":"Internal Server Error"}`},
		{"1.0 not an object", id1, `"text"`, 502, nil, `{"message":"Internal Server Error"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := ts.call(t, "POST", c.api+".execute-api.localhost", "/", []byte(c.answer), http.Header{"Content-Type": {"application/json"}})
			if res.Status != c.status || string(res.Body) != c.body {
				t.Errorf("got %d %q, want %d %q", res.Status, res.Body, c.status, c.body)
			}
			for k, v := range c.header {
				if got := res.Header.Values(k); !reflect.DeepEqual(got, v) {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}

	// An event past Lambda's 6 MB never reaches the function.
	res := ts.call(t, "POST", id2+".execute-api.localhost", "/", bytes.Repeat([]byte("x"), 7<<20), http.Header{"Content-Type": {"text/plain"}})
	if res.Status != 413 || string(res.Body) != `{"message":"Request Entity Too Large"}` {
		t.Errorf("7 MB body: %d %.100s", res.Status, res.Body)
	}

	// A function error is a 502; a throttled function a 503; past the
	// integration's timeout a 504, while the function runs on.
	errFn := createFn(t, lc, "fails", "error")
	idErr, _ := httpAPI(t, gw, *errFn.FunctionArn, "2.0", "$default")
	slow := createFn(t, lc, "slow", "httpsleep")
	idSlow, integSlow := httpAPI(t, gw, *slow.FunctionArn, "2.0", "$default")
	if _, err := gw.UpdateIntegration(ctx, &apigatewayv2.UpdateIntegrationInput{ApiId: &idSlow, IntegrationId: &integSlow, TimeoutInMillis: aws.Int32(300)}); err != nil {
		t.Fatal(err)
	}
	throttled := createFn(t, lc, "throttled", "event")
	if _, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("throttled"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	idThr, _ := httpAPI(t, gw, *throttled.FunctionArn, "2.0", "$default")
	for _, id := range []string{idErr, idSlow, idThr} {
		if _, err := gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: aws.String(id), StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	res = ts.call(t, "GET", idErr+".execute-api.localhost", "/", nil, nil)
	if res.Status != 502 || string(res.Body) != `{"message":"Internal Server Error"}` {
		t.Errorf("function error: %d %s", res.Status, res.Body)
	}
	res = ts.call(t, "GET", idThr+".execute-api.localhost", "/", nil, nil)
	if res.Status != 503 || string(res.Body) != `{"message":"Service Unavailable"}` {
		t.Errorf("throttled: %d %s", res.Status, res.Body)
	}
	res = ts.call(t, "GET", idSlow+".execute-api.localhost", "/?ms=50", nil, nil)
	if res.Status != 200 || string(res.Body) != "slept" {
		t.Errorf("within the timeout: %d %s", res.Status, res.Body)
	}
	res = ts.call(t, "GET", idSlow+".execute-api.localhost", "/?ms=1500", nil, nil)
	if res.Status != 504 || string(res.Body) != `{"message":"Endpoint request timed out"}` {
		t.Errorf("past the timeout: %d %s", res.Status, res.Body)
	}
}
