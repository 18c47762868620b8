package main

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const fnArnPrefix = "arn:aws:lambda:us-east-1:000000000000:function:"

func publishVersion(t *testing.T, c *lambda.Client, name string, mods ...func(*lambda.PublishVersionInput)) *lambda.PublishVersionOutput {
	t.Helper()
	in := &lambda.PublishVersionInput{FunctionName: aws.String(name)}
	for _, m := range mods {
		m(in)
	}
	out, err := c.PublishVersion(context.Background(), in)
	if err != nil {
		t.Fatalf("PublishVersion %s: %v", name, err)
	}
	return out
}

// runOut is what the marker and env modes of testdata/fn answer.
type runOut struct {
	Marker             string            `json:"marker"`
	Env                map[string]string `json:"env"`
	InvokedFunctionArn string            `json:"invokedFunctionArn"`
}

func invokeRun(t *testing.T, c *lambda.Client, ref string) (runOut, string) {
	t.Helper()
	out := invokeFn(t, c, ref, `{}`)
	var r runOut
	if err := json.Unmarshal(out.Payload, &r); err != nil || out.FunctionError != nil {
		t.Fatalf("invoke %s: %s %v", ref, out.Payload, err)
	}
	return r, aws.ToString(out.ExecutedVersion)
}

func listVersionNumbers(t *testing.T, c *lambda.Client, name string, pageSize int32) []string {
	t.Helper()
	var got []string
	var marker *string
	for pages := 0; ; pages++ {
		out, err := c.ListVersionsByFunction(context.Background(), &lambda.ListVersionsByFunctionInput{
			FunctionName: aws.String(name), MaxItems: aws.Int32(pageSize), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Versions) > int(pageSize) || pages > 100 {
			t.Fatalf("page of %d versions, MaxItems %d", len(out.Versions), pageSize)
		}
		for _, v := range out.Versions {
			want := fnArnPrefix + name + ":" + aws.ToString(v.Version)
			if aws.ToString(v.FunctionArn) != want {
				t.Errorf("listed FunctionArn %s, want %s", aws.ToString(v.FunctionArn), want)
			}
			got = append(got, aws.ToString(v.Version))
		}
		if marker = out.NextMarker; marker == nil {
			return got
		}
	}
}

// TestVersionsAreImmutableSnapshots publishes versions, changes $LATEST's code and
// configuration, and checks each version still runs what it was published with.
func TestVersionsAreImmutableSnapshots(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "snap"
	created := createFn(t, c, fn, "marker", func(in *lambda.CreateFunctionInput) {
		in.Code.ZipFile = withMarker(t, testFunctionZip(t), "one")
		in.Description = aws.String("the function")
	})

	v1 := publishVersion(t, c, fn, func(in *lambda.PublishVersionInput) {
		in.Description = aws.String("first")
		in.CodeSha256 = created.CodeSha256
	})
	if aws.ToString(v1.Version) != "1" || aws.ToString(v1.FunctionArn) != fnArnPrefix+fn+":1" ||
		aws.ToString(v1.Description) != "first" || aws.ToString(v1.CodeSha256) != aws.ToString(created.CodeSha256) ||
		aws.ToString(v1.RevisionId) == "" || aws.ToString(v1.RevisionId) == aws.ToString(created.RevisionId) {
		t.Errorf("PublishVersion: %+v", v1)
	}
	// Nothing changed since: Lambda answers with the version it already has.
	again := publishVersion(t, c, fn)
	if aws.ToString(again.Version) != "1" || aws.ToString(again.RevisionId) != aws.ToString(v1.RevisionId) {
		t.Errorf("republish without change gave version %s", aws.ToString(again.Version))
	}

	// New code for $LATEST; version 1 keeps running the old.
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn),
		ZipFile: withMarker(t, testFunctionZip(t), "two")}); err != nil {
		t.Fatal(err)
	}
	if r, ver := invokeRun(t, c, fn); r.Marker != "two" || ver != "$LATEST" {
		t.Errorf("$LATEST runs %q as %s", r.Marker, ver)
	}
	if r, ver := invokeRun(t, c, fn+":1"); r.Marker != "one" || ver != "1" {
		t.Errorf("version 1 runs %q as %s", r.Marker, ver)
	}

	// New configuration for $LATEST, published as version 2 with UpdateFunctionCode's
	// Publish; version 1 keeps its handler and environment.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Handler: aws.String("env"), Environment: &types.Environment{Variables: map[string]string{"STAGE": "two"}}}); err != nil {
		t.Fatal(err)
	}
	v2, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn),
		ZipFile: withMarker(t, testFunctionZip(t), "two"), Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v2.Version) != "2" || aws.ToString(v2.FunctionArn) != fnArnPrefix+fn+":2" || aws.ToString(v2.Description) != "the function" {
		t.Errorf("UpdateFunctionCode with Publish: version %s, arn %s, description %q",
			aws.ToString(v2.Version), aws.ToString(v2.FunctionArn), aws.ToString(v2.Description))
	}
	// The same code again, published: nothing changed, so the same version.
	same, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn),
		ZipFile: withMarker(t, testFunctionZip(t), "two"), Publish: true})
	if err != nil || aws.ToString(same.Version) != "2" {
		t.Errorf("republishing unchanged code gave version %s (%v)", aws.ToString(same.Version), err)
	}
	r, ver := invokeRun(t, c, fn+":2")
	if ver != "2" || r.Env["STAGE"] != "two" || r.Env["AWS_LAMBDA_FUNCTION_VERSION"] != "2" ||
		r.InvokedFunctionArn != fnArnPrefix+fn+":2" {
		t.Errorf("version 2: executed %s, STAGE %q, AWS_LAMBDA_FUNCTION_VERSION %q, invoked ARN %s",
			ver, r.Env["STAGE"], r.Env["AWS_LAMBDA_FUNCTION_VERSION"], r.InvokedFunctionArn)
	}
	// The Qualifier parameter and a qualified ARN name the same version.
	out := invokeFn(t, c, fnArnPrefix+fn, `{}`, func(in *lambda.InvokeInput) { in.Qualifier = aws.String("1") })
	if aws.ToString(out.ExecutedVersion) != "1" || !strings.Contains(string(out.Payload), `"marker":"one"`) {
		t.Errorf("Qualifier=1: %s %s", aws.ToString(out.ExecutedVersion), out.Payload)
	}
	if r, _ := invokeRun(t, c, fn); r.Env["AWS_LAMBDA_FUNCTION_VERSION"] != "$LATEST" || r.InvokedFunctionArn != fnArnPrefix+fn {
		t.Errorf("$LATEST: version %q, invoked ARN %s", r.Env["AWS_LAMBDA_FUNCTION_VERSION"], r.InvokedFunctionArn)
	}

	// Version numbers are never reused, even after the highest is deleted.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn + ":2")})
	if ae := apiError(t, err, "ResourceNotFoundException"); ae.ErrorMessage() != "Function not found: "+fnArnPrefix+fn+":2" {
		t.Errorf("deleted version: %s", ae.ErrorMessage())
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Timeout: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	if v3 := publishVersion(t, c, fn); aws.ToString(v3.Version) != "3" || aws.ToInt32(v3.Timeout) != 7 {
		t.Errorf("after deleting version 2, publish gave %s (timeout %d)", aws.ToString(v3.Version), aws.ToInt32(v3.Timeout))
	}
	for i := 0; i < 3; i++ { // more versions to page through
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
			Timeout: aws.Int32(int32(10 + i))}); err != nil {
			t.Fatal(err)
		}
		publishVersion(t, c, fn)
	}
	want := "$LATEST 1 3 4 5 6"
	for _, size := range []int32{1, 2, 50} {
		if got := strings.Join(listVersionNumbers(t, c, fn, size), " "); got != want {
			t.Errorf("ListVersionsByFunction, MaxItems %d: %s, want %s", size, got, want)
		}
	}

	// ListFunctions shows $LATEST only, or with FunctionVersion=ALL every version.
	createFn(t, c, "zz", "echo", func(in *lambda.CreateFunctionInput) { in.Publish = true })
	listAll := func(version types.FunctionVersion, size int32) string {
		var got []string
		var marker *string
		for {
			out, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: version, MaxItems: aws.Int32(size), Marker: marker})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range out.Functions {
				got = append(got, strings.TrimPrefix(aws.ToString(f.FunctionArn), fnArnPrefix)+"="+aws.ToString(f.Version))
			}
			if marker = out.NextMarker; marker == nil {
				return strings.Join(got, " ")
			}
		}
	}
	wantAll := "snap:$LATEST=$LATEST snap:1=1 snap:3=3 snap:4=4 snap:5=5 snap:6=6 zz:$LATEST=$LATEST zz:1=1"
	for _, size := range []int32{1, 3, 50} {
		if got := listAll(types.FunctionVersionAll, size); got != wantAll {
			t.Errorf("ListFunctions ALL, MaxItems %d:\n got %s\nwant %s", size, got, wantAll)
		}
	}
	if got := listAll("", 1); got != "snap=$LATEST zz=$LATEST" {
		t.Errorf("ListFunctions: %s", got)
	}
}

// TestQualifiedGetFunction compares what GetFunction and GetFunctionConfiguration
// show for a version, an alias and $LATEST, field by field.
func TestQualifiedGetFunction(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "shapes"
	createFn(t, c, fn, "echo", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"AB": "1"}}
		in.MemorySize = aws.Int32(256)
		in.Tags = map[string]string{"team": "stratus"}
	})
	pub := publishVersion(t, c, fn, func(in *lambda.PublishVersionInput) { in.Description = aws.String("v1") })
	if pub.State != types.StatePending || pub.StateReasonCode != types.StateReasonCodeCreating {
		t.Errorf("PublishVersion state %s/%s, want Pending/Creating", pub.State, pub.StateReasonCode)
	}
	// $LATEST moves on; the version's reads must not follow it.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		MemorySize: aws.Int32(512), Description: aws.String("latest")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"),
		FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}

	check := func(label string, cfg *types.FunctionConfiguration, wantArn, wantVersion string, mem int32, desc string) {
		t.Helper()
		got := map[string]any{
			"FunctionName": aws.ToString(cfg.FunctionName), "FunctionArn": aws.ToString(cfg.FunctionArn),
			"Version": aws.ToString(cfg.Version), "MemorySize": aws.ToInt32(cfg.MemorySize),
			"Description": aws.ToString(cfg.Description), "CodeSha256": aws.ToString(cfg.CodeSha256),
			"CodeSize": cfg.CodeSize, "Runtime": string(cfg.Runtime), "Handler": aws.ToString(cfg.Handler),
			"Role": aws.ToString(cfg.Role), "Timeout": aws.ToInt32(cfg.Timeout), "State": string(cfg.State),
			"LastUpdateStatus": string(cfg.LastUpdateStatus), "PackageType": string(cfg.PackageType),
		}
		if cfg.Environment != nil {
			got["Env.A"] = cfg.Environment.Variables["AB"]
		}
		want := map[string]any{
			"FunctionName": fn, "FunctionArn": wantArn, "Version": wantVersion, "MemorySize": mem,
			"Description": desc, "CodeSha256": aws.ToString(pub.CodeSha256), "CodeSize": pub.CodeSize,
			"Runtime": "provided.al2023", "Handler": "echo", "Role": testRole, "Timeout": int32(3),
			"State": "Active", "LastUpdateStatus": "Successful", "PackageType": "Zip", "Env.A": "1",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s = %v, want %v", label, k, got[k], w)
			}
		}
	}
	cases := []struct {
		label, ref   string
		qualifier    *string
		arn, version string
		mem          int32
		desc         string
	}{
		{"version by name", fn + ":1", nil, fnArnPrefix + fn + ":1", "1", 256, "v1"},
		{"version by ARN", fnArnPrefix + fn + ":1", nil, fnArnPrefix + fn + ":1", "1", 256, "v1"},
		{"version by Qualifier", fn, aws.String("1"), fnArnPrefix + fn + ":1", "1", 256, "v1"},
		{"alias", fn + ":live", nil, fnArnPrefix + fn + ":live", "1", 256, "v1"},
		{"alias by Qualifier", fnArnPrefix + fn, aws.String("live"), fnArnPrefix + fn + ":live", "1", 256, "v1"},
		{"$LATEST qualified", fn + ":$LATEST", nil, fnArnPrefix + fn + ":$LATEST", "$LATEST", 512, "latest"},
		{"unqualified", fn, nil, fnArnPrefix + fn, "$LATEST", 512, "latest"},
	}
	for _, tc := range cases {
		got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(tc.ref), Qualifier: tc.qualifier})
		if err != nil {
			t.Fatalf("%s: %v", tc.label, err)
		}
		check("GetFunction "+tc.label, got.Configuration, tc.arn, tc.version, tc.mem, tc.desc)
		if got.Tags["team"] != "stratus" || aws.ToString(got.Code.RepositoryType) != "S3" || aws.ToString(got.Code.Location) == "" {
			t.Errorf("GetFunction %s: tags %v, code %+v", tc.label, got.Tags, got.Code)
		}
		cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(tc.ref), Qualifier: tc.qualifier})
		if err != nil {
			t.Fatalf("%s: %v", tc.label, err)
		}
		check("GetFunctionConfiguration "+tc.label, &types.FunctionConfiguration{
			FunctionName: cfg.FunctionName, FunctionArn: cfg.FunctionArn, Version: cfg.Version, MemorySize: cfg.MemorySize,
			Description: cfg.Description, CodeSha256: cfg.CodeSha256, CodeSize: cfg.CodeSize, Runtime: cfg.Runtime,
			Handler: cfg.Handler, Role: cfg.Role, Timeout: cfg.Timeout, State: cfg.State, LastUpdateStatus: cfg.LastUpdateStatus,
			PackageType: cfg.PackageType, Environment: cfg.Environment,
		}, tc.arn, tc.version, tc.mem, tc.desc)
	}
	for _, ref := range []string{fn + ":9", fn + ":nosuch"} {
		_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(ref)})
		if ae := apiError(t, err, "ResourceNotFoundException"); ae.ErrorMessage() != "Function not found: "+fnArnPrefix+ref {
			t.Errorf("GetFunction %s: %s", ref, ae.ErrorMessage())
		}
		_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(ref)})
		apiError(t, err, "ResourceNotFoundException")
	}
}

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

// TestVersionsSurviveRestart: versions, aliases and the version counter are on disk.
func TestVersionsSurviveRestart(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "durable"
	createFn(t, c, fn, "marker", func(in *lambda.CreateFunctionInput) {
		in.Code.ZipFile = withMarker(t, testFunctionZip(t), "old")
		in.Publish = true
	})
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn),
		ZipFile: withMarker(t, testFunctionZip(t), "new"), Publish: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn + ":2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod"),
		FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	ts.Stop(t)

	ts = startServer(t, ts.DataDir)
	c = ts.lambdaClient()
	if got := strings.Join(listVersionNumbers(t, c, fn, 50), " "); got != "$LATEST 1" {
		t.Errorf("versions after restart: %s", got)
	}
	if r, ver := invokeRun(t, c, fn+":prod"); r.Marker != "old" || ver != "1" {
		t.Errorf("alias after restart runs %q as %s", r.Marker, ver)
	}
	if r, _ := invokeRun(t, c, fn); r.Marker != "new" {
		t.Errorf("$LATEST after restart runs %q", r.Marker)
	}
	// Nothing changed since version 2 was published (and deleted): a new number.
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Timeout: aws.Int32(8)}); err != nil {
		t.Fatal(err)
	}
	if v := publishVersion(t, c, fn); aws.ToString(v.Version) != "3" {
		t.Errorf("publish after restart gave version %s, want 3", aws.ToString(v.Version))
	}
}

// TestAWSCLIVersions publishes, aliases and invokes by alias through the aws CLI.
func TestAWSCLIVersions(t *testing.T) {
	aws := awsCLIv2(t)
	ts := startServer(t, "")
	run, _, _ := awsCLIRunner(t, aws, ts)
	run("lambda", "create-function", "--function-name", "cli", "--runtime", "provided.al2023", "--handler", "echo",
		"--role", testRole, "--zip-file", "fileb://fn.zip")
	v := run("lambda", "publish-version", "--function-name", "cli", "--description", "first")
	if v["Version"] != "1" || v["FunctionArn"] != fnArnPrefix+"cli:1" || v["Description"] != "first" {
		t.Errorf("publish-version: %v", v)
	}
	a := run("lambda", "create-alias", "--function-name", "cli", "--name", "prod", "--function-version", "1")
	if a["AliasArn"] != fnArnPrefix+"cli:prod" || a["FunctionVersion"] != "1" {
		t.Errorf("create-alias: %v", a)
	}
	inv := run("lambda", "invoke", "--function-name", "cli", "--qualifier", "prod", "--payload", `{"k":1}`,
		"--cli-binary-format", "raw-in-base64-out", "out.json")
	if inv["StatusCode"] != 200.0 || inv["ExecutedVersion"] != "1" {
		t.Errorf("invoke --qualifier prod: %v", inv)
	}
	list := run("lambda", "list-versions-by-function", "--function-name", "cli")
	if vs, _ := list["Versions"].([]any); len(vs) != 2 {
		t.Errorf("list-versions-by-function: %v", list)
	}
	aliases := run("lambda", "list-aliases", "--function-name", "cli", "--function-version", "1")
	if as, _ := aliases["Aliases"].([]any); len(as) != 1 {
		t.Errorf("list-aliases: %v", aliases)
	}
}
