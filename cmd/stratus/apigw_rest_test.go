package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	gwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// restAPI builds a REST API: /items/{id} (GET) and /{proxy+} (ANY), both Lambda
// proxy integrations to fnArn, deployed to stage "dev" with a stage variable.
func restAPI(t *testing.T, c *apigateway.Client, fnArn string) string {
	t.Helper()
	ctx := context.Background()
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("rest"), BinaryMediaTypes: []string{"image/*"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id})
	if err != nil || len(res.Items) != 1 || *res.Items[0].Path != "/" || *res.Items[0].Id != *api.RootResourceId {
		t.Fatalf("GetResources: %+v %v", res, err)
	}
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + fnArn + "/invocations"
	addMethod := func(parent, part, method string) string {
		r, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: aws.String(parent), PathPart: aws.String(part)})
		if err != nil {
			t.Fatalf("CreateResource %s: %v", part, err)
		}
		if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String(method),
			AuthorizationType: aws.String("NONE")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: aws.String(method),
			Type: gwtypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String(uri)}); err != nil {
			t.Fatal(err)
		}
		return *r.Id
	}
	items, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("items")})
	if err != nil || *items.Path != "/items" {
		t.Fatalf("CreateResource items: %+v %v", items, err)
	}
	addMethod(*items.Id, "{id}", "GET")
	addMethod(*api.RootResourceId, "{proxy+}", "ANY")
	dep, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev"),
		Variables: map[string]string{"env": "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: api.Id, StageName: aws.String("dev")})
	if err != nil || *st.DeploymentId != *dep.Id || st.Variables["env"] != "dev" {
		t.Fatalf("GetStage: %+v %v", st, err)
	}
	return *api.Id
}

func TestRESTAPIProxy(t *testing.T) {
	ts := startServer(t, "")
	lc, gw := ts.lambdaClient(), ts.apigwClient()
	ctx := context.Background()
	fn := createFn(t, lc, "restev", "event")
	id := restAPI(t, gw, *fn.FunctionArn)
	host := id + ".execute-api.localhost"

	res := ts.call(t, "GET", host, "/dev/items/42?q=1&q=2&r=s", nil, http.Header{"X-Multi": {"a", "b"}, "User-Agent": {"ua"}})
	if res.Status != 200 || res.Header.Get("X-Amzn-Requestid") == "" {
		t.Fatalf("GET: %d %s", res.Status, res.Body)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(res.Body, &ev); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	json.Unmarshal(res.Body, &raw) //nolint:errcheck
	checkKeys(t, res.Body, []string{"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
		"multiValueQueryStringParameters", "requestContext", "pathParameters", "stageVariables", "body", "isBase64Encoded"},
		[]string{"accountId", "apiId", "domainName", "domainPrefix", "extendedRequestId", "httpMethod", "identity", "path", "protocol",
			"requestId", "requestTime", "requestTimeEpoch", "resourceId", "resourcePath", "stage"})
	if _, has := raw["version"]; has {
		t.Errorf("a REST API event has no version: %s", res.Body)
	}
	rc := ev.RequestContext
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	check("resource", ev.Resource, "/items/{id}")
	check("path", ev.Path, "/items/42")
	check("httpMethod", ev.HTTPMethod, "GET")
	check("headers[X-Multi]", ev.Headers["X-Multi"], "b")
	check("multiValueHeaders[X-Multi]", ev.MultiValueHeaders["X-Multi"], []string{"a", "b"})
	check("queryStringParameters", ev.QueryStringParameters, map[string]string{"q": "2", "r": "s"})
	check("multiValueQueryStringParameters", ev.MultiValueQueryStringParameters, map[string][]string{"q": {"1", "2"}, "r": {"s"}})
	check("pathParameters", ev.PathParameters, map[string]string{"id": "42"})
	check("stageVariables", ev.StageVariables, map[string]string{"env": "dev"})
	check("body", raw["body"], nil)
	check("isBase64Encoded", ev.IsBase64Encoded, false)
	check("rc.accountId", rc.AccountID, "000000000000")
	check("rc.apiId", rc.APIID, id)
	check("rc.stage", rc.Stage, "dev")
	check("rc.resourcePath", rc.ResourcePath, "/items/{id}")
	check("rc.path", rc.Path, "/dev/items/42")
	check("rc.httpMethod", rc.HTTPMethod, "GET")
	check("rc.requestId", rc.RequestID, res.Header.Get("X-Amzn-Requestid"))
	check("rc.identity.sourceIp", rc.Identity.SourceIP, "127.0.0.1")
	check("rc.identity.userAgent", rc.Identity.UserAgent, "ua")
	check("rc.protocol", rc.Protocol, "HTTP/1.1")
	check("rc.domainName", rc.DomainName, host)
	if rc.ResourceID == "" || rc.RequestTimeEpoch == 0 || rc.RequestTime == "" {
		t.Errorf("requestContext ids and times: %+v", rc)
	}

	// The greedy resource takes the rest, any method; a binary media type is base64.
	png := []byte{0x89, 'P', 'N', 'G'}
	res = ts.call(t, "POST", "", "/_aws/execute-api/"+id+"/dev/a/b", png, http.Header{"Content-Type": {"image/png"}})
	ev = events.APIGatewayProxyRequest{}
	json.Unmarshal(res.Body, &ev) //nolint:errcheck
	if res.Status != 200 || ev.Resource != "/{proxy+}" || ev.PathParameters["proxy"] != "a/b" || !ev.IsBase64Encoded ||
		ev.Body != base64.StdEncoding.EncodeToString(png) {
		t.Errorf("greedy POST: %d %s", res.Status, res.Body)
	}
	res = ts.call(t, "POST", host, "/dev/a", []byte("plain"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	ev = events.APIGatewayProxyRequest{}
	json.Unmarshal(res.Body, &ev) //nolint:errcheck
	if ev.IsBase64Encoded || ev.Body != "plain" {
		t.Errorf("text POST: %d %s", res.Status, res.Body)
	}

	// Unknown paths, methods and stages: 403 Missing Authentication Token, as on AWS.
	for _, c := range []struct{ method, path string }{{"POST", "/dev/items/1"}, {"GET", "/dev/items"}, {"GET", "/dev"}, {"GET", "/prod/items/1"}} {
		res = ts.call(t, c.method, host, c.path, nil, nil)
		if res.Status != 403 || string(res.Body) != `{"message":"Missing Authentication Token"}` ||
			res.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
			t.Errorf("%s %s: %d %s", c.method, c.path, res.Status, res.Body)
		}
	}

	list, err := gw.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	if err != nil || len(list.Items) != 1 || *list.Items[0].Id != id {
		t.Errorf("GetRestApis: %+v %v", list, err)
	}
	if _, err := gw.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: &id}); err != nil {
		t.Fatal(err)
	}
	if res := ts.call(t, "GET", host, "/dev/items/1", nil, nil); res.Status != 404 {
		t.Errorf("after DeleteRestApi: %d %s", res.Status, res.Body)
	}
}

func TestRESTAPIResponsesAndErrors(t *testing.T) {
	ts := startServer(t, "")
	lc, gw := ts.lambdaClient(), ts.apigwClient()
	ctx := context.Background()
	fn := createFn(t, lc, "restrespond", "respond")
	id := restAPI(t, gw, *fn.FunctionArn)
	host := id + ".execute-api.localhost"
	cases := []struct {
		name, answer string
		status       int
		header       http.Header
		body         string
	}{
		{"headers merged", `{"statusCode":202,"headers":{"X-A":"1","X-B":"h"},"multiValueHeaders":{"X-B":["m1","m2"]},"body":"ok"}`,
			202, http.Header{"X-A": {"1"}, "X-B": {"m1", "m2"}}, "ok"},
		{"base64", `{"statusCode":200,"isBase64Encoded":true,"body":"aGk="}`, 200, nil, "hi"},
		{"no statusCode", `{"body":"x"}`, 502, nil, `{"message":"Internal server error"}`},
		{"extra field", `{"statusCode":200,"body":"x","cookies":["a=1"]}`, 502, nil, `{"message":"Internal server error"}`},
		{"bare", `{"hello":"world"}`, 502, nil, `{"message":"Internal server error"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := ts.call(t, "POST", host, "/dev/x", []byte(c.answer), http.Header{"Content-Type": {"application/json"}})
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

	errFn := createFn(t, lc, "resterr", "error")
	idErr := restAPI(t, gw, *errFn.FunctionArn)
	if res := ts.call(t, "GET", idErr+".execute-api.localhost", "/dev/items/1", nil, nil); res.Status != 502 || string(res.Body) != `{"message":"Internal server error"}` {
		t.Errorf("function error: %d %s", res.Status, res.Body)
	}

	thr := createFn(t, lc, "restthrottled", "event")
	if _, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("restthrottled"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	idThr := restAPI(t, gw, *thr.FunctionArn)
	if res := ts.call(t, "GET", idThr+".execute-api.localhost", "/dev/items/1", nil, nil); res.Status != 503 || string(res.Body) != `{"message":"Service Unavailable"}` {
		t.Errorf("throttled: %d %s", res.Status, res.Body)
	}

	bad := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"GetRestApi unknown", func() error {
			_, err := gw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String("nope")})
			return err
		}, "NotFoundException", "Invalid API identifier specified 000000000000:nope"},
		{"CreateResource bad part", func() error {
			_, err := gw.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &id, ParentId: aws.String("nope"), PathPart: aws.String("a b")})
			return err
		}, "BadRequestException", ""},
		{"CreateResource unknown parent", func() error {
			_, err := gw.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: &id, ParentId: aws.String("nope"), PathPart: aws.String("x")})
			return err
		}, "NotFoundException", "Invalid Resource identifier specified"},
		{"PutMethod bad verb", func() error {
			res, _ := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &id})
			_, err := gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &id, ResourceId: res.Items[0].Id, HttpMethod: aws.String("FETCH"), AuthorizationType: aws.String("NONE")})
			return err
		}, "BadRequestException", "Invalid HTTP method specified"},
		{"PutIntegration not Lambda", func() error {
			res, _ := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: &id})
			for _, r := range res.Items {
				if *r.Path == "/items/{id}" {
					_, err := gw.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &id, ResourceId: r.Id, HttpMethod: aws.String("GET"),
						Type: gwtypes.IntegrationTypeAwsProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:s3:::bucket")})
					return err
				}
			}
			return nil
		}, "BadRequestException", "Invalid ARN specified in the request"},
		{"CreateStage unknown deployment", func() error {
			_, err := gw.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &id, StageName: aws.String("x"), DeploymentId: aws.String("nope")})
			return err
		}, "NotFoundException", "Invalid Deployment identifier specified"},
		{"CreateDeployment without methods", func() error {
			api, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("empty")})
			if err != nil {
				return err
			}
			_, err = gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("dev")})
			return err
		}, "BadRequestException", "The REST API doesn't contain any methods"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if ae := apiError(t, c.call(), c.code); c.msg != "" && ae.ErrorMessage() != c.msg {
				t.Errorf("message %q, want %q", ae.ErrorMessage(), c.msg)
			}
		})
	}
	// The bad calls changed nothing: the API still serves as before.
	if res := ts.call(t, "POST", host, "/dev/x", []byte(`{"statusCode":200,"body":"still"}`), nil); res.Status != 200 || string(res.Body) != "still" {
		t.Errorf("after bad input: %d %s", res.Status, res.Body)
	}
	stages, _ := gw.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: &id})
	if len(stages.Item) != 1 {
		t.Errorf("stages after bad input: %d", len(stages.Item))
	}
}
