package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	v2types "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestAPIGatewaySurvivesKill creates routes from several clients while the server
// is killed with SIGKILL, restarts it on the same data directory and checks that
// every route that got its 201, and the function URL, are there and serve.
func TestAPIGatewaySurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	bin := serverBinary(t, t.TempDir())
	dataDir := t.TempDir()
	sp := startServerProcess(t, bin, dataDir)
	ts := &testServer{URL: sp.URL}
	ctx := context.Background()
	lc, gw := ts.lambdaClient(), ts.apigwv2Client()
	fn := createFn(t, lc, "durable", "event")
	furl, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("durable"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	id, integ := httpAPI(t, gw, *fn.FunctionArn, "2.0")
	if _, err := gw.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: &id, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	accepted := acceptUntilKilled(t, sp, 40, "route", func(g, i int) (string, bool) {
		key := fmt.Sprintf("GET /r%d/%d", g, i)
		if _, err := gw.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: &id, RouteKey: aws.String(key),
			Target: aws.String("integrations/" + integ)}); err != nil {
			return "", false // not accepted: the server is gone
		}
		return key, true
	})

	sp2 := startServerProcess(t, bin, dataDir)
	ts2 := &testServer{URL: sp2.URL}
	routes, err := ts2.apigwv2Client().GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: &id})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]v2types.Route{}
	for _, r := range routes.Items {
		have[*r.RouteKey] = r
	}
	for _, k := range accepted {
		if _, ok := have[k]; !ok {
			t.Errorf("route %q was acknowledged before the kill and is gone", k)
		}
	}
	last := accepted[len(accepted)-1]
	if res := ts2.call(t, "GET", id+".execute-api.localhost", last[len("GET "):], nil, nil); res.Status != 200 {
		t.Errorf("GET %s after the restart: %d %s", last, res.Status, res.Body)
	}
	if res := ts2.call(t, "GET", urlHost(t, *furl.FunctionUrl), "/", nil, nil); res.Status != 200 {
		t.Errorf("function URL after the restart: %d %s", res.Status, res.Body)
	}
	t.Logf("%d routes acknowledged before the kill, all there after it", len(accepted))
}
