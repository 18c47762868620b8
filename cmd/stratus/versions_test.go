package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

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
