package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// statusOf is the HTTP status of a successful SDK call.
func statusOf(md middleware.Metadata) int {
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return resp.StatusCode
	}
	return 0
}

// The permission tests never run their functions: a tiny code package is enough,
// and the process sandbox starts fastest.
var permissionFlags = []string{"--sandbox", "process"}

// createPolicyFn creates a function that is never invoked, with version 1 and
// alias live → 1 when versioned.
func createPolicyFn(t *testing.T, c *lambda.Client, name string, versioned bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("x"),
		Role: aws.String(testRole), Code: &types.FunctionCode{ZipFile: tinyZip(t, "bootstrap", "#!/bin/sh\n")},
		Publish: versioned,
	}); err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	if versioned {
		if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"),
			FunctionVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}
}

func addPermission(t *testing.T, c *lambda.Client, in *lambda.AddPermissionInput) string {
	t.Helper()
	out, err := c.AddPermission(context.Background(), in)
	if err != nil {
		t.Fatalf("AddPermission %s: %v", aws.ToString(in.StatementId), err)
	}
	if st := statusOf(out.ResultMetadata); st != http.StatusCreated {
		t.Errorf("AddPermission answered %d, want 201", st)
	}
	return aws.ToString(out.Statement)
}

// getPolicy returns the policy document and its RevisionId, or fails.
func getPolicy(t *testing.T, c *lambda.Client, name, qualifier string) (string, string) {
	t.Helper()
	in := &lambda.GetPolicyInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := c.GetPolicy(context.Background(), in)
	if err != nil {
		t.Fatalf("GetPolicy %s (qualifier %q): %v", name, qualifier, err)
	}
	return aws.ToString(out.Policy), aws.ToString(out.RevisionId)
}

// wantNoPolicy checks GetPolicy's answer for a function, version or alias
// without a policy.
func wantNoPolicy(t *testing.T, c *lambda.Client, name, qualifier string) {
	t.Helper()
	in := &lambda.GetPolicyInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	got := sdkCall(func(ctx context.Context) error { _, err := c.GetPolicy(ctx, in); return err })(t)
	if got.status != 404 || got.code != "ResourceNotFoundException" || got.message != "The resource you requested does not exist." {
		t.Errorf("GetPolicy %s (qualifier %q) without a policy: %+v", name, qualifier, got)
	}
}

func functionRevision(t *testing.T, c *lambda.Client, name, qualifier string) string {
	t.Helper()
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := c.GetFunctionConfiguration(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.RevisionId)
}

func aliasRevision(t *testing.T, c *lambda.Client, name, alias string) string {
	t.Helper()
	out, err := c.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(name), Name: aws.String(alias)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.RevisionId)
}

// configWithoutRevision is GetFunction's answer with the RevisionId left out,
// to show that a permission changes nothing else in it.
func configWithoutRevision(t *testing.T, c *lambda.Client, name string) string {
	t.Helper()
	out, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	out.Configuration.RevisionId = nil
	out.Code = nil // its Location is signed anew each time
	b, _ := json.Marshal(out)
	return string(b)
}

// TestPermissionLifecycle adds, reads and removes the statements of a function's
// policy, and checks them byte for byte against the way AWS renders them (the
// recordings in LocalStack's AWS-validated snapshots).
func TestPermissionLifecycle(t *testing.T) {
	ts := startServer(t, "", permissionFlags...)
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "policy-fn"
	createPolicyFn(t, c, fn, false)
	arn := fnArnPrefix + fn
	wantNoPolicy(t, c, fn, "")
	rev0 := functionRevision(t, c, fn, "")
	cfg0 := configWithoutRevision(t, c, fn)

	s3 := addPermission(t, c, &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("s3"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
		SourceArn: aws.String("arn:aws:s3:::my-bucket"), SourceAccount: aws.String("123456789012")})
	wantS3 := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + arn +
		`","Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket"}}}`
	if s3 != wantS3 {
		t.Errorf("statement\n got %s\nwant %s", s3, wantS3)
	}
	account := addPermission(t, c, &lambda.AddPermissionInput{FunctionName: aws.String(arn), StatementId: aws.String("account-id"),
		Action: aws.String("lambda:GetFunction"), Principal: aws.String("111122223333")})
	wantAccount := `{"Sid":"account-id","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"lambda:GetFunction","Resource":"` + arn + `"}`
	if account != wantAccount {
		t.Errorf("statement\n got %s\nwant %s", account, wantAccount)
	}
	url := addPermission(t, c, &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("url"),
		Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone,
		SourceAccount: aws.String("123456789012"), PrincipalOrgID: aws.String("o-1234567890")})
	wantURL := `{"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"` + arn +
		`","Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012","lambda:FunctionUrlAuthType":"NONE","aws:PrincipalOrgID":"o-1234567890"}}}`
	if url != wantURL {
		t.Errorf("statement\n got %s\nwant %s", url, wantURL)
	}
	role := addPermission(t, c, &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("role"),
		Action: aws.String("lambda:*"), Principal: aws.String("arn:aws:iam::111122223333:role/caller")})
	wantRole := `{"Sid":"role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/caller"},"Action":"lambda:*","Resource":"` + arn + `"}`
	if role != wantRole {
		t.Errorf("statement\n got %s\nwant %s", role, wantRole)
	}

	policy, rev := getPolicy(t, c, fn, "")
	want := `{"Version":"2012-10-17","Id":"default","Statement":[` + wantS3 + "," + wantAccount + "," + wantURL + "," + wantRole + `]}`
	if policy != want {
		t.Errorf("policy\n got %s\nwant %s", policy, want)
	}
	// The policy's RevisionId is the function's, and each change gave it a new one;
	// nothing else in GetFunction changed.
	if fnRev := functionRevision(t, c, fn, ""); rev != fnRev || rev == rev0 {
		t.Errorf("GetPolicy RevisionId %s, function's %s (before any permission %s)", rev, fnRev, rev0)
	}
	if cfg := configWithoutRevision(t, c, fn); cfg != cfg0 {
		t.Errorf("GetFunction changed:\nbefore %s\nafter  %s", cfg0, cfg)
	}
	// $LATEST reads the function's policy.
	if latest, _ := getPolicy(t, c, fn+":$LATEST", ""); latest != want {
		t.Errorf("GetPolicy of %s:$LATEST: %s", fn, latest)
	}

	// RemovePermission answers 204 and takes out that statement only.
	out, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("account-id")})
	if err != nil {
		t.Fatal(err)
	}
	if st := statusOf(out.ResultMetadata); st != http.StatusNoContent {
		t.Errorf("RemovePermission answered %d, want 204", st)
	}
	policy, rev2 := getPolicy(t, c, fn, "")
	if want := `{"Version":"2012-10-17","Id":"default","Statement":[` + wantS3 + "," + wantURL + "," + wantRole + `]}`; policy != want {
		t.Errorf("policy after removal\n got %s\nwant %s", policy, want)
	}
	if rev2 == rev {
		t.Error("RemovePermission kept the RevisionId")
	}
	// A removed statement id can be used again.
	addPermission(t, c, &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("account-id"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("111122223333")})
	// Removing the last statement removes the policy.
	for _, sid := range []string{"s3", "url", "role", "account-id"} {
		if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(sid)}); err != nil {
			t.Fatalf("RemovePermission %s: %v", sid, err)
		}
	}
	wantNoPolicy(t, c, fn, "")
	got := sdkCall(func(ctx context.Context) error {
		_, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("s3")})
		return err
	})(t)
	if got.status != 404 || got.code != "ResourceNotFoundException" || got.message != "No policy is associated with the given resource." {
		t.Errorf("RemovePermission without a policy: %+v", got)
	}
}

// TestPermissionQualifiers: a version and an alias have policies of their own,
// apart from the function's, with the same statement ids allowed in each; the
// statement's Resource is the qualified ARN; the policy's RevisionId is the
// version's or the alias's; and deleting the alias or the version deletes its
// policy.
func TestPermissionQualifiers(t *testing.T) {
	ts := startServer(t, "", permissionFlags...)
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "policy-q"
	createPolicyFn(t, c, fn, true)
	arn := fnArnPrefix + fn
	s3 := func(ref, qualifier string) *lambda.AddPermissionInput {
		in := &lambda.AddPermissionInput{FunctionName: aws.String(ref), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::b")}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		return in
	}
	stmt := func(resource string) string {
		return `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` +
			resource + `","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"}}}`
	}
	doc := func(stmts ...string) string {
		out := `{"Version":"2012-10-17","Id":"default","Statement":[`
		for i, s := range stmts {
			if i > 0 {
				out += ","
			}
			out += s
		}
		return out + "]}"
	}
	v1Rev, liveRev := functionRevision(t, c, fn, "1"), aliasRevision(t, c, fn, "live")

	if got := addPermission(t, c, s3(fn, "1")); got != stmt(arn+":1") {
		t.Errorf("version statement %s", got)
	}
	// The qualifier may come in the name instead.
	if got := addPermission(t, c, s3(fn+":live", "")); got != stmt(arn+":live") {
		t.Errorf("alias statement %s", got)
	}
	wantNoPolicy(t, c, fn, "")
	addPermission(t, c, s3(fn, ""))

	for _, q := range []struct{ qualifier, resource, rev string }{
		{"", arn, functionRevision(t, c, fn, "")},
		{"1", arn + ":1", functionRevision(t, c, fn, "1")},
		{"live", arn + ":live", aliasRevision(t, c, fn, "live")},
	} {
		policy, rev := getPolicy(t, c, fn, q.qualifier)
		if policy != doc(stmt(q.resource)) || rev != q.rev {
			t.Errorf("qualifier %q: policy %s, RevisionId %s (owner's %s)", q.qualifier, policy, rev, q.rev)
		}
	}
	if functionRevision(t, c, fn, "1") == v1Rev || aliasRevision(t, c, fn, "live") == liveRev {
		t.Error("AddPermission kept the RevisionId of the version or the alias")
	}
	// A version the policy does not name has none; so has a new version.
	publishVersionChanged(t, c, fn)
	wantNoPolicy(t, c, fn, "2")

	// Deleting the alias deletes its policy: an alias created again under the name
	// starts without one.
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	wantNoPolicy(t, c, fn, "live")
	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	wantNoPolicy(t, c, fn, "live")
	if _, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	// Deleting the version deletes its policy; the function keeps its own.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	wantNoPolicy(t, c, fn, "1")
	if policy, _ := getPolicy(t, c, fn, ""); policy != doc(stmt(arn)) {
		t.Errorf("function's policy after deleting the version: %s", policy)
	}
}

// publishVersionChanged changes the function's description and publishes it as
// the next version.
func publishVersionChanged(t *testing.T, c *lambda.Client, name string) {
	t.Helper()
	if _, err := c.UpdateFunctionConfiguration(context.Background(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name), Description: aws.String("next")}); err != nil {
		t.Fatal(err)
	}
	publishVersion(t, c, name)
}

// TestPermissionRevisionIds: a RevisionId given to AddPermission or
// RemovePermission must be the owner's current one (its function's, version's or
// alias's, as GetPolicy, GetFunction and GetAlias report it).
func TestPermissionRevisionIds(t *testing.T) {
	ts := startServer(t, "", permissionFlags...)
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "policy-rev"
	createPolicyFn(t, c, fn, true)
	perm := func(sid, qualifier, rev string) *lambda.AddPermissionInput {
		in := &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(sid), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("sns.amazonaws.com"), RevisionId: aws.String(rev)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		return in
	}
	wantStale := func(what string, call func(ctx context.Context) error) {
		t.Helper()
		if got := sdkCall(call)(t); got.status != 412 || got.code != "PreconditionFailedException" || got.message != revisionMsg {
			t.Errorf("%s: %+v", what, got)
		}
	}
	for _, q := range []string{"", "1", "live"} {
		rev := functionRevision(t, c, fn, q)
		if q == "live" {
			rev = aliasRevision(t, c, fn, q)
		}
		addPermission(t, c, perm("a", q, rev)) // GetFunction's or GetAlias's RevisionId
		wantStale("AddPermission with the RevisionId before the change (qualifier "+q+")", func(ctx context.Context) error {
			_, err := c.AddPermission(ctx, perm("b", q, rev))
			return err
		})
		_, rev = getPolicy(t, c, fn, q)
		addPermission(t, c, perm("b", q, rev)) // GetPolicy's
		wantStale("RemovePermission with a stale RevisionId (qualifier "+q+")", func(ctx context.Context) error {
			_, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("a"),
				Qualifier: aws.String(q), RevisionId: aws.String(rev)})
			return err
		})
		_, rev = getPolicy(t, c, fn, q)
		if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("a"),
			Qualifier: aws.String(q), RevisionId: aws.String(rev)}); err != nil {
			t.Fatalf("RemovePermission with the current RevisionId (qualifier %q): %v", q, err)
		}
	}
	// Updating the function changes its RevisionId, and so the policy's.
	_, before := getPolicy(t, c, fn, "")
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Timeout: aws.Int32(9)}); err != nil {
		t.Fatal(err)
	}
	if _, after := getPolicy(t, c, fn, ""); after == before || after != functionRevision(t, c, fn, "") {
		t.Errorf("policy RevisionId %s after an update (before %s, function's %s)", after, before, functionRevision(t, c, fn, ""))
	}
}

// TestPermissionSurvivesRestart: policies are in the state store; a server
// started again on the data directory serves them as they were, and deleting
// the function then deletes its policies.
func TestPermissionSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, permissionFlags...)
	c := ts.lambdaClient()
	const fn = "policy-restart"
	createPolicyFn(t, c, fn, true)
	for _, q := range []string{"", "1", "live"} {
		in := &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::b*")}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		addPermission(t, c, in)
	}
	type state struct{ policy, rev string }
	before := map[string]state{}
	for _, q := range []string{"", "1", "live"} {
		p, r := getPolicy(t, c, fn, q)
		before[q] = state{p, r}
	}
	ts.Stop(t)

	ts = startServer(t, dir, permissionFlags...)
	c = ts.lambdaClient()
	for q, want := range before {
		if p, r := getPolicy(t, c, fn, q); p != want.policy || r != want.rev {
			t.Errorf("qualifier %q after restart: %s %s, want %s %s", q, p, r, want.policy, want.rev)
		}
	}
	// Deleting the function deletes its policies: a function created again under
	// the name has none, for itself or its new version and alias.
	if _, err := c.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String(fn)}); err != nil {
		t.Fatal(err)
	}
	got := sdkCall(func(ctx context.Context) error {
		_, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
		return err
	})(t)
	if got.status != 404 || got.message != "Function not found: "+fnArnPrefix+fn {
		t.Errorf("GetPolicy of a deleted function: %+v", got)
	}
	createPolicyFn(t, c, fn, true)
	for _, q := range []string{"", "1", "live"} {
		wantNoPolicy(t, c, fn, q)
	}
}

// TestPermissionConcurrentAdds: permissions added at once all land, each once;
// of calls racing for one statement id exactly one wins.
func TestPermissionConcurrentAdds(t *testing.T) {
	ts := startServer(t, "", permissionFlags...)
	c := ts.lambdaClient()
	const fn, n = "policy-race", 12
	createPolicyFn(t, c, fn, true)
	for _, q := range []string{"", "live"} {
		errs := make(chan error, 2*n)
		for i := range 2 * n {
			go func() {
				sid := "p" + itoa(i%n) // each id twice
				in := &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(sid),
					Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com")}
				if q != "" {
					in.Qualifier = aws.String(q)
				}
				_, err := c.AddPermission(context.Background(), in)
				errs <- err
			}()
		}
		conflicts := 0
		for range 2 * n {
			if err := <-errs; err != nil {
				apiError(t, err, "ResourceConflictException")
				conflicts++
			}
		}
		policy, rev := getPolicy(t, c, fn, q)
		var doc struct{ Statement []struct{ Sid string } }
		if err := json.Unmarshal([]byte(policy), &doc); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range doc.Statement {
			seen[s.Sid] = true
		}
		if conflicts != n || len(doc.Statement) != n || len(seen) != n {
			t.Errorf("qualifier %q: %d conflicts, %d statements (%d ids), want %d each", q, conflicts, len(doc.Statement), len(seen), n)
		}
		owner := functionRevision(t, c, fn, "")
		if q != "" {
			owner = aliasRevision(t, c, fn, q)
		}
		if rev != owner {
			t.Errorf("qualifier %q: policy RevisionId %s, owner's %s", q, rev, owner)
		}
	}
}

// TestPermissionKeepsWarmEnvironments: a permission gives the function or version
// a new RevisionId and nothing else, so their warm environments keep serving.
func TestPermissionKeepsWarmEnvironments(t *testing.T) {
	ts := startServer(t, "", permissionFlags...)
	c := ts.lambdaClient()
	const fn = "policy-warm"
	createFn(t, c, fn, "pid", func(in *lambda.CreateFunctionInput) { in.Publish = true })
	env := func(ref string) string {
		t.Helper()
		var out struct{ Stream string }
		if err := json.Unmarshal(invokeFn(t, c, ref, `{}`).Payload, &out); err != nil || out.Stream == "" {
			t.Fatalf("invoke %s: %v", ref, err)
		}
		return out.Stream
	}
	latest, v1 := env(fn), env(fn+":1")
	for _, q := range []string{"", "1"} {
		in := &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("s3.amazonaws.com")}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		addPermission(t, c, in)
	}
	if got := env(fn); got != latest {
		t.Errorf("$LATEST ran in environment %s after AddPermission, before in %s", got, latest)
	}
	if got := env(fn + ":1"); got != v1 {
		t.Errorf("version 1 ran in environment %s after AddPermission, before in %s", got, v1)
	}
}
