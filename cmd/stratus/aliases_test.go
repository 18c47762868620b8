package main

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestAliasRouting checks an alias's shapes and that a weighted alias splits
// invocations in proportion to its weights.
func TestAliasRouting(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "routed"
	createFn(t, c, fn, "echo")
	publishVersion(t, c, fn)
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Timeout: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	publishVersion(t, c, fn)

	const weight = 0.3
	created, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"),
		FunctionVersion: aws.String("1"), Description: aws.String("canary"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": weight}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.AliasArn) != fnArnPrefix+fn+":live" || aws.ToString(created.Name) != "live" ||
		aws.ToString(created.FunctionVersion) != "1" || aws.ToString(created.Description) != "canary" ||
		created.RoutingConfig == nil || created.RoutingConfig.AdditionalVersionWeights["2"] != weight ||
		aws.ToString(created.RevisionId) == "" {
		t.Errorf("CreateAlias: %+v", created)
	}
	got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil || aws.ToString(got.RevisionId) != aws.ToString(created.RevisionId) || aws.ToString(got.AliasArn) != aws.ToString(created.AliasArn) {
		t.Errorf("GetAlias: %+v %v", got, err)
	}

	// 1,000 invocations at weight 0.3: version 2 must run 300 ± 4 sigma of the
	// binomial (sigma ≈ 14.5), which routing that ignores the weights misses by far.
	const n = 1000
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/2; i++ {
				out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn + ":live"), Payload: []byte(`{}`)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				counts[aws.ToString(out.ExecutedVersion)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sigma := math.Sqrt(n * weight * (1 - weight))
	lo, hi := int(n*weight-4*sigma), int(n*weight+4*sigma)
	if counts["1"]+counts["2"] != n || counts["2"] < lo || counts["2"] > hi {
		t.Errorf("executed versions %v, want %d–%d of version 2", counts, lo, hi)
	}
	t.Logf("weight %.1f: %v", weight, counts)

	// The alias's invocations see the alias ARN.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Handler: aws.String("env")}); err != nil {
		t.Fatal(err)
	}
	env := publishVersion(t, c, fn)
	if _, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"),
		RevisionId: aws.String("00000000-0000-0000-0000-000000000000"), FunctionVersion: env.Version}); err == nil {
		t.Fatal("UpdateAlias with a stale RevisionId succeeded")
	} else {
		apiError(t, err, "PreconditionFailedException")
	}
	upd, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"),
		RevisionId: created.RevisionId, FunctionVersion: env.Version,
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upd.FunctionVersion) != "3" || upd.RoutingConfig != nil && len(upd.RoutingConfig.AdditionalVersionWeights) > 0 ||
		aws.ToString(upd.RevisionId) == aws.ToString(created.RevisionId) || aws.ToString(upd.Description) != "canary" {
		t.Errorf("UpdateAlias: %+v", upd)
	}
	r, ver := invokeRun(t, c, fn+":live")
	if ver != "3" || r.InvokedFunctionArn != fnArnPrefix+fn+":live" || r.Env["AWS_LAMBDA_FUNCTION_VERSION"] != "3" {
		t.Errorf("alias invoke: version %s, invoked ARN %s, env version %s", ver, r.InvokedFunctionArn, r.Env["AWS_LAMBDA_FUNCTION_VERSION"])
	}

	// ListAliases: all, by version, paged.
	for _, name := range []string{"a-first", "z-last"} {
		if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String(name),
			FunctionVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(version *string, max int32) []string {
		var names []string
		var marker *string
		for {
			out, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(fn), FunctionVersion: version,
				MaxItems: aws.Int32(max), Marker: marker})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range out.Aliases {
				names = append(names, aws.ToString(a.Name))
			}
			if marker = out.NextMarker; marker == nil {
				return names
			}
		}
	}
	if got := strings.Join(list(nil, 1), " "); got != "a-first live z-last" {
		t.Errorf("ListAliases paged: %s", got)
	}
	if got := strings.Join(list(aws.String("1"), 50), " "); got != "a-first z-last" {
		t.Errorf("ListAliases FunctionVersion=1: %s", got)
	}
}

// TestVersionDeleteRules: a version an alias uses cannot go; an unqualified delete
// takes the versions and aliases with the function.
func TestVersionDeleteRules(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "doomed"
	createFn(t, c, fn, "echo", func(in *lambda.CreateFunctionInput) { in.Publish = true })
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Timeout: aws.Int32(9)}); err != nil {
		t.Fatal(err)
	}
	publishVersion(t, c, fn)
	for _, a := range []struct{ name, version, weighted string }{{"live", "1", ""}, {"canary", "2", "1"}} {
		in := &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String(a.name), FunctionVersion: aws.String(a.version)}
		if a.weighted != "" {
			in.RoutingConfig = &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{a.weighted: 0.1}}
		}
		if _, err := c.CreateAlias(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn + ":1")})
	ae := apiError(t, err, "ResourceConflictException")
	if want := "Unable to delete version because the following aliases reference it: [canary, live]"; ae.ErrorMessage() != want {
		t.Errorf("delete used version: %q, want %q", ae.ErrorMessage(), want)
	}
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("$LATEST")})
	apiError(t, err, "InvalidParameterValueException")
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(fn), Name: aws.String("canary")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(fn), Name: aws.String("canary")}); err != nil {
		t.Errorf("deleting a deleted alias: %v", err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn + ":2")}); err != nil {
		t.Fatal(err)
	}
	// A version that does not exist deletes nothing and succeeds, as on AWS.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("99")}); err != nil {
		t.Errorf("deleting a missing version: %v", err)
	}
	if got := strings.Join(listVersionNumbers(t, c, fn, 50), " "); got != "$LATEST 1" {
		t.Errorf("versions after deleting 2: %s", got)
	}
	invokeFn(t, c, fn+":live", `{}`)

	// The whole function goes with its versions and aliases; a new function of the
	// same name starts afresh.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn + ":live")})
	apiError(t, err, "ResourceNotFoundException")
	createFn(t, c, fn, "echo")
	if got := strings.Join(listVersionNumbers(t, c, fn, 50), " "); got != "$LATEST" {
		t.Errorf("versions of the new function: %s", got)
	}
	aliases, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(fn)})
	if err != nil || len(aliases.Aliases) != 0 {
		t.Errorf("aliases of the new function: %+v %v", aliases, err)
	}
	if v := publishVersion(t, c, fn); aws.ToString(v.Version) != "1" {
		t.Errorf("first version of the new function: %s", aws.ToString(v.Version))
	}
}

// TestConcurrencyAcrossVersions: reserved concurrency counts a function's
// invocations of every version together.
func TestConcurrencyAcrossVersions(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "limited"
	createFn(t, c, fn, "sleep", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(10); in.Publish = true })
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(fn),
		ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn + ":1"), Payload: []byte(`{"Ms":2000}`)})
		if err == nil && aws.ToString(out.ExecutedVersion) != "1" {
			t.Errorf("slow invoke ran %s", aws.ToString(out.ExecutedVersion))
		}
		slow <- err
	}()
	// The slow call holds the one slot for 2 s once it reaches the server; any later
	// call of another version must be throttled meanwhile.
	deadline := time.Now().Add(1500 * time.Millisecond)
	throttled := false
	time.Sleep(300 * time.Millisecond)
	for !throttled && time.Now().Before(deadline) {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(`{"Ms":0}`)})
		if err != nil {
			ae := apiError(t, err, "TooManyRequestsException")
			throttled = ae.ErrorMessage() == "Rate Exceeded."
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !throttled {
		t.Error("$LATEST was not throttled while version 1 used the function's only reserved slot")
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	// The slot is free again for any version.
	invokeFn(t, c, fn, `{"Ms":0}`)
	invokeFn(t, c, fn+":1", `{"Ms":0}`)
}
