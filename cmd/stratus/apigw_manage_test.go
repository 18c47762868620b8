package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	v2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
)

// TestHTTPAPIQuickCreateCORSAndRestart: quick create gives a working API at once;
// CORS is answered by API Gateway; a manual stage serves its deployment, not later
// changes; everything survives a restart.
func TestHTTPAPIQuickCreateCORSAndRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	lc, gw := ts.lambdaClient(), ts.apigwv2Client()
	ctx := context.Background()
	fn := createFn(t, lc, "quick", "event")
	api, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("quick"), ProtocolType: v2types.ProtocolTypeHttp,
		Target: fn.FunctionArn, CorsConfiguration: &v2types.Cors{AllowOrigins: []string{"https://app.example"},
			AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"content-type", "x-token"},
			ExposeHeaders: []string{"x-trace"}, MaxAge: aws.Int32(300)}})
	if err != nil {
		t.Fatal(err)
	}
	id := *api.ApiId
	routes, err := gw.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: &id})
	if err != nil || len(routes.Items) != 1 || *routes.Items[0].RouteKey != "$default" || !strings.HasPrefix(*routes.Items[0].Target, "integrations/") {
		t.Fatalf("GetRoutes after quick create: %+v %v", routes, err)
	}
	integ, err := gw.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: &id, IntegrationId: aws.String(strings.TrimPrefix(*routes.Items[0].Target, "integrations/"))})
	if err != nil || integ.IntegrationType != v2types.IntegrationTypeAwsProxy || *integ.PayloadFormatVersion != "2.0" ||
		*integ.IntegrationUri != *fn.FunctionArn || *integ.TimeoutInMillis != 30000 {
		t.Fatalf("GetIntegration: %+v %v", integ, err)
	}
	stages, err := gw.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: &id})
	if err != nil || len(stages.Items) != 1 || *stages.Items[0].StageName != "$default" || !*stages.Items[0].AutoDeploy ||
		stages.Items[0].DeploymentId == nil {
		t.Fatalf("GetStages: %+v %v", stages, err)
	}
	host := id + ".execute-api.localhost"
	res := ts.call(t, "GET", host, "/any/path", nil, http.Header{"Origin": {"https://app.example"}})
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(res.Body, &ev); res.Status != 200 || err != nil || ev.RouteKey != "$default" || ev.RawPath != "/any/path" {
		t.Fatalf("quick-created API: %d %s", res.Status, res.Body)
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || res.Header.Get("Access-Control-Expose-Headers") != "x-trace" {
		t.Errorf("CORS headers on a response: %v", res.Header)
	}
	pre := ts.call(t, "OPTIONS", host, "/any/path", nil, http.Header{"Origin": {"https://app.example"},
		"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"Content-Type,X-Token"}})
	if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		pre.Header.Get("Access-Control-Allow-Methods") != "GET,POST" || pre.Header.Get("Access-Control-Allow-Headers") != "content-type,x-token" ||
		pre.Header.Get("Access-Control-Max-Age") != "300" || len(pre.Body) != 0 {
		t.Errorf("preflight: %d %v %s", pre.Status, pre.Header, pre.Body)
	}
	pre = ts.call(t, "OPTIONS", host, "/any/path", nil, http.Header{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"POST"}})
	if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", pre.Status, pre.Header)
	}

	// A manual stage serves what was deployed to it, not later route changes.
	if _, err := gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: &id, StageName: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	if res := ts.call(t, "GET", host, "/v1/x", nil, nil); res.Status != 404 {
		t.Errorf("stage without a deployment: %d %s", res.Status, res.Body)
	}
	dep, err := gw.CreateDeployment(ctx, &apigatewayv2.CreateDeploymentInput{ApiId: &id, StageName: aws.String("v1")})
	if err != nil || dep.DeploymentStatus != v2types.DeploymentStatusDeployed {
		t.Fatalf("CreateDeployment: %+v %v", dep, err)
	}
	if _, err := gw.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: &id, RouteId: routes.Items[0].RouteId}); err != nil {
		t.Fatal(err)
	}
	if res := ts.call(t, "GET", host, "/x", nil, nil); res.Status != 404 {
		t.Errorf("auto-deployed stage after DeleteRoute: %d %s", res.Status, res.Body)
	}
	res = ts.call(t, "GET", host, "/v1/x", nil, nil)
	ev = events.APIGatewayV2HTTPRequest{}
	if err := json.Unmarshal(res.Body, &ev); res.Status != 200 || err != nil || ev.RequestContext.Stage != "v1" || ev.RawPath != "/v1/x" {
		t.Errorf("manual stage: %d %s", res.Status, res.Body)
	}

	ts.Stop(t)
	ts = startServer(t, dir)
	if res := ts.call(t, "GET", host, "/v1/again", nil, nil); res.Status != 200 {
		t.Errorf("after restart: %d %s", res.Status, res.Body)
	}
	got, err := ts.apigwv2Client().GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: &id})
	if err != nil || got.CorsConfiguration == nil || *got.CorsConfiguration.MaxAge != 300 {
		t.Errorf("GetApi after restart: %+v %v", got, err)
	}
	if _, err := ts.apigwv2Client().DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: &id}); err != nil {
		t.Fatal(err)
	}
	if res := ts.call(t, "GET", host, "/v1/again", nil, nil); res.Status != 404 {
		t.Errorf("after DeleteApi: %d %s", res.Status, res.Body)
	}
	_, err = ts.apigwv2Client().GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: &id})
	if ae := apiError(t, err, "NotFoundException"); ae.ErrorMessage() != "Invalid API identifier specified 000000000000:"+id {
		t.Errorf("GetApi after delete: %s", ae.ErrorMessage())
	}
}

// TestHTTPAPIBadInput: each bad call gets API Gateway's error and changes nothing.
func TestHTTPAPIBadInput(t *testing.T) {
	ts := startServer(t, "")
	lc, gw := ts.lambdaClient(), ts.apigwv2Client()
	ctx := context.Background()
	fn := createFn(t, lc, "bad", "event")
	id, integID := httpAPI(t, gw, *fn.FunctionArn, "2.0", "GET /a")
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"CreateApi websocket", func() error {
			_, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("w"), ProtocolType: v2types.ProtocolTypeWebsocket})
			return err
		}, "BadRequestException"},
		{"CreateApi unknown protocol", func() error {
			_, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("w"), ProtocolType: "GOPHER"})
			if ae := apiError(t, err, "BadRequestException"); ae.ErrorMessage() != "Invalid protocol specified. Must be one of [HTTP, WEBSOCKET]" {
				t.Errorf("CreateApi message %q", ae.ErrorMessage())
			}
			return err
		}, "BadRequestException"},
		{"CreateApi quick create with a bad target", func() error {
			_, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("w"), ProtocolType: v2types.ProtocolTypeHttp, Target: aws.String("not-an-arn")})
			return err
		}, "BadRequestException"},
		{"CreateApi credentials with origin *", func() error {
			_, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("w"), ProtocolType: v2types.ProtocolTypeHttp,
				CorsConfiguration: &v2types.Cors{AllowOrigins: []string{"*"}, AllowCredentials: aws.Bool(true)}})
			return err
		}, "BadRequestException"},
		{"GetApi unknown", func() error {
			_, err := gw.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String("nope")})
			return err
		}, "NotFoundException"},
		{"CreateRoute bad method", func() error {
			_, err := gw.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: &id, RouteKey: aws.String("FETCH /x")})
			return err
		}, "BadRequestException"},
		{"CreateRoute greedy not last", func() error {
			_, err := gw.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: &id, RouteKey: aws.String("GET /{p+}/x")})
			return err
		}, "BadRequestException"},
		{"CreateRoute duplicate", func() error {
			_, err := gw.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: &id, RouteKey: aws.String("GET /a")})
			return err
		}, "ConflictException"},
		{"CreateRoute unknown target", func() error {
			_, err := gw.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: &id, RouteKey: aws.String("GET /b"), Target: aws.String("integrations/zzz")})
			return err
		}, "BadRequestException"},
		{"CreateRoute unknown API", func() error {
			_, err := gw.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: aws.String("nope"), RouteKey: aws.String("GET /b")})
			return err
		}, "NotFoundException"},
		{"GetRoute unknown", func() error {
			_, err := gw.GetRoute(ctx, &apigatewayv2.GetRouteInput{ApiId: &id, RouteId: aws.String("zzz")})
			if ae := apiError(t, err, "NotFoundException"); ae.ErrorMessage() != "Invalid Route identifier specified zzz" {
				t.Errorf("GetRoute message %q", ae.ErrorMessage())
			}
			return err
		}, "NotFoundException"},
		{"CreateIntegration payload 3.0", func() error {
			_, err := gw.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: &id, IntegrationType: v2types.IntegrationTypeAwsProxy,
				IntegrationUri: fn.FunctionArn, PayloadFormatVersion: aws.String("3.0")})
			return err
		}, "BadRequestException"},
		{"CreateIntegration timeout too long", func() error {
			_, err := gw.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: &id, IntegrationType: v2types.IntegrationTypeAwsProxy,
				IntegrationUri: fn.FunctionArn, PayloadFormatVersion: aws.String("2.0"), TimeoutInMillis: aws.Int32(30001)})
			return err
		}, "BadRequestException"},
		{"CreateIntegration not a function", func() error {
			_, err := gw.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: &id, IntegrationType: v2types.IntegrationTypeAwsProxy,
				IntegrationUri: aws.String("arn:aws:sqs:us-east-1:000000000000:q"), PayloadFormatVersion: aws.String("2.0")})
			return err
		}, "BadRequestException"},
		{"DeleteIntegration in use", func() error {
			_, err := gw.DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: &id, IntegrationId: &integID})
			return err
		}, "ConflictException"},
		{"CreateStage bad name", func() error {
			_, err := gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: &id, StageName: aws.String("no spaces")})
			return err
		}, "BadRequestException"},
		{"CreateStage bad variable", func() error {
			_, err := gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: &id, StageName: aws.String("s"), StageVariables: map[string]string{"a-b": "x"}})
			return err
		}, "BadRequestException"},
		{"GetStage unknown", func() error {
			_, err := gw.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: &id, StageName: aws.String("nope")})
			return err
		}, "NotFoundException"},
	}
	before, _ := gw.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: &id})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { apiError(t, c.call(), c.code) })
	}
	apis, _ := gw.GetApis(ctx, &apigatewayv2.GetApisInput{})
	routes, _ := gw.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: &id})
	integs, _ := gw.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: &id})
	stages, _ := gw.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: &id})
	after, _ := gw.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: &id})
	if len(apis.Items) != 1 || len(routes.Items) != 1 || len(integs.Items) != 1 || len(stages.Items) != 0 || *before.Name != *after.Name {
		t.Errorf("bad input changed something: %d APIs, %d routes, %d integrations, %d stages", len(apis.Items), len(routes.Items), len(integs.Items), len(stages.Items))
	}
}

// TestHTTPAPIWithAWSCLI quick-creates an API with the aws CLI and calls it.
func TestHTTPAPIWithAWSCLI(t *testing.T) {
	awsBin := awsCLIv2(t)
	ts := startServer(t, "")
	run, _, env := awsCLIRunner(t, awsBin, ts)
	fn := createFn(t, ts.lambdaClient(), "cli", "event")
	api := run("apigatewayv2", "create-api", "--name", "cli", "--protocol-type", "HTTP", "--target", *fn.FunctionArn,
		"--route-key", "GET /hello/{name}")
	id, _ := api["ApiId"].(string)
	if id == "" || !strings.HasPrefix(api["ApiEndpoint"].(string), "http://"+id+".execute-api.localhost:") {
		t.Fatalf("create-api: %v", api)
	}
	res := ts.call(t, "GET", "", "/_aws/execute-api/"+id+"/hello/world", nil, nil)
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(res.Body, &ev); res.Status != 200 || err != nil || ev.PathParameters["name"] != "world" {
		t.Fatalf("GET: %d %s", res.Status, res.Body)
	}
	got := run("apigatewayv2", "get-apis")
	if items, _ := got["Items"].([]any); len(items) != 1 {
		t.Errorf("get-apis: %v", got)
	}
	furl := run("lambda", "create-function-url-config", "--function-name", "cli", "--auth-type", "NONE")
	res = ts.call(t, "GET", urlHost(t, furl["FunctionUrl"].(string)), "/from/cli", nil, nil)
	var uev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(res.Body, &uev); res.Status != 200 || err != nil || uev.RawPath != "/from/cli" {
		t.Errorf("function URL made by the CLI: %d %s", res.Status, res.Body)
	}
	rest := run("apigateway", "create-rest-api", "--name", "cli-rest")
	resources := run("apigateway", "get-resources", "--rest-api-id", rest["id"].(string))
	if items, _ := resources["items"].([]any); len(items) != 1 || items[0].(map[string]any)["path"] != "/" {
		t.Errorf("get-resources: %v", resources)
	}
	cmd := exec.Command(awsBin, "--endpoint-url", ts.URL, "apigatewayv2", "get-api", "--api-id", "missing")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "(NotFoundException) when calling the GetApi operation: Invalid API identifier specified 000000000000:missing") {
		t.Errorf("get-api of a missing API: %v\n%s", err, out)
	}
}
