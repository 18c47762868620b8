package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/cloudformation/resources"
)

// cfnRig drives resource providers against one real server, as the stack
// engine would: properties as evaluated JSON, results through a JSON round
// trip (they are stored with the stack).
type cfnRig struct {
	ts  *testServer
	cfg aws.Config
}

func (r *cfnRig) env(logical string) resources.Env {
	return resources.Env{Config: r.cfg, AccountID: "000000000000", Region: "us-east-1",
		StackName: "cfnres", StackID: "arn:aws:cloudformation:us-east-1:000000000000:stack/cfnres/1", LogicalID: logical}
}

// cfnProps decodes a JSON literal the way evaluated template properties
// arrive (numbers as float64).
func cfnProps(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("props %s: %v", s, err)
	}
	return m
}

func cfnRoundTrip(t *testing.T, r resources.Result) resources.Result {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out resources.Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func cfnProvider(t *testing.T, typ string) resources.Provider {
	t.Helper()
	p, ok := resources.Lookup(typ)
	if !ok {
		t.Fatalf("no provider for %s", typ)
	}
	return p
}

func (r *cfnRig) create(t *testing.T, typ, logical string, props map[string]any) resources.Result {
	t.Helper()
	res, err := cfnProvider(t, typ).Create(context.Background(), r.env(logical), props)
	if err != nil {
		t.Fatalf("create %s %s: %v", typ, logical, err)
	}
	if res.PhysicalID == "" {
		t.Fatalf("create %s %s: no physical id", typ, logical)
	}
	return cfnRoundTrip(t, res)
}

func (r *cfnRig) update(t *testing.T, typ, logical string, cur resources.Result, old, new map[string]any) resources.Result {
	t.Helper()
	p := cfnProvider(t, typ)
	if p.Replaces(old, new) {
		t.Fatalf("%s: update %v -> %v should be in place", typ, old, new)
	}
	res, err := p.Update(context.Background(), r.env(logical), cur, old, new)
	if err != nil {
		t.Fatalf("update %s %s: %v", typ, logical, err)
	}
	return cfnRoundTrip(t, res)
}

// deleteTwice deletes a resource, checks it is gone, and deletes it again,
// which must not fail either.
func (r *cfnRig) deleteTwice(t *testing.T, typ, logical string, cur resources.Result, gone func() error) {
	t.Helper()
	p := cfnProvider(t, typ)
	if err := p.Delete(context.Background(), r.env(logical), cur); err != nil {
		t.Fatalf("delete %s: %v", typ, err)
	}
	if gone != nil {
		if err := gone(); err != nil {
			t.Fatalf("%s %s still there after delete: %v", typ, cur.PhysicalID, err)
		}
	}
	if err := p.Delete(context.Background(), r.env(logical), cur); err != nil {
		t.Fatalf("second delete %s: %v", typ, err)
	}
}

// wantReplaces checks a provider's replacement rule for one change.
func cfnWantReplaces(t *testing.T, typ string, old, new map[string]any, want bool) {
	t.Helper()
	if got := cfnProvider(t, typ).Replaces(old, new); got != want {
		t.Errorf("%s Replaces(%v, %v) = %v, want %v", typ, old, new, got, want)
	}
}

// with copies props with the given keys changed (nil removes one).
func cfnWith(props map[string]any, kv ...any) map[string]any {
	b, _ := json.Marshal(props)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// notFound turns "the call failed with code" into nil, for gone checks.
func cfnGone(err error, code string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == code {
		return nil
	}
	if err == nil {
		return errors.New("still found")
	}
	return err
}

func TestCFNResources(t *testing.T) {
	ts := startServer(t, "")
	rig := &cfnRig{ts: ts, cfg: aws.Config{
		Region: "us-east-1", Credentials: e2eCreds(), BaseEndpoint: aws.String(ts.URL),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}}
	t.Run("IAM", func(t *testing.T) { t.Parallel(); testCFNIAM(t, rig) })
	t.Run("LambdaFunction", func(t *testing.T) { t.Parallel(); testCFNLambdaFunction(t, rig) })
	t.Run("LambdaVersionAlias", func(t *testing.T) { t.Parallel(); testCFNLambdaVersionAlias(t, rig) })
	t.Run("LambdaAttachments", func(t *testing.T) { t.Parallel(); testCFNLambdaAttachments(t, rig) })
	t.Run("LambdaLayer", func(t *testing.T) { t.Parallel(); testCFNLambdaLayer(t, rig) })
	t.Run("LogGroup", func(t *testing.T) { t.Parallel(); testCFNLogGroup(t, rig) })
	t.Run("SQS", func(t *testing.T) { t.Parallel(); testCFNSQS(t, rig) })
	t.Run("SNS", func(t *testing.T) { t.Parallel(); testCFNSNS(t, rig) })
	t.Run("S3", func(t *testing.T) { t.Parallel(); testCFNS3(t, rig) })
	t.Run("DynamoDB", func(t *testing.T) { t.Parallel(); testCFNDynamoDB(t, rig) })
	t.Run("Events", func(t *testing.T) { t.Parallel(); testCFNEvents(t, rig) })
	t.Run("Scheduler", func(t *testing.T) { t.Parallel(); testCFNScheduler(t, rig) })
	t.Run("HttpApi", func(t *testing.T) { t.Parallel(); testCFNHttpAPI(t, rig) })
	t.Run("RestApi", func(t *testing.T) { t.Parallel(); testCFNRestAPI(t, rig) })
}

// TestCFNResourceTypes checks every type the issue names for this piece has
// a provider.
func TestCFNResourceTypes(t *testing.T) {
	want := []string{"AWS::ApiGateway::Deployment", "AWS::ApiGateway::Method", "AWS::ApiGateway::Resource", "AWS::ApiGateway::RestApi",
		"AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Route",
		"AWS::ApiGatewayV2::Stage", "AWS::CodeDeploy::Application", "AWS::CodeDeploy::DeploymentGroup", "AWS::DynamoDB::Table", "AWS::Events::Rule", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy",
		"AWS::IAM::Role", "AWS::Lambda::Alias", "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::EventSourceMapping",
		"AWS::Lambda::Function", "AWS::Lambda::LayerVersion", "AWS::Lambda::Permission", "AWS::Lambda::Url", "AWS::Lambda::Version",
		"AWS::Logs::LogGroup", "AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SNS::Subscription", "AWS::SNS::Topic",
		"AWS::SNS::TopicPolicy", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::Scheduler::Schedule"}
	if got := resources.Types(); !slices.Equal(got, want) {
		t.Errorf("Types() = %v\nwant %v", got, want)
	}
	if _, ok := resources.Lookup("AWS::EC2::Instance"); ok {
		t.Error("a provider for a type Stratus does not serve")
	}
}

func testCFNIAM(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role := cfnProps(t, `{"AssumeRolePolicyDocument":`+doc+`,"Path":"/svc/"}`)
	res := rig.create(t, "AWS::IAM::Role", "FnRole", role)
	if !strings.HasPrefix(res.PhysicalID, "cfnres-FnRole-") || len(res.PhysicalID) > 64 {
		t.Errorf("generated role name %q", res.PhysicalID)
	}
	if got, want := res.Attrs["Arn"], "arn:aws:iam::000000000000:role/svc/"+res.PhysicalID; got != want {
		t.Errorf("Arn = %v, want %s", got, want)
	}
	if id, _ := res.Attrs["RoleId"].(string); !strings.HasPrefix(id, "AROA") || len(id) != 21 {
		t.Errorf("RoleId = %q", id)
	}
	named := rig.create(t, "AWS::IAM::Role", "Named", cfnWith(role, "RoleName", "my-role", "Path", nil))
	if named.PhysicalID != "my-role" || named.Attrs["Arn"] != "arn:aws:iam::000000000000:role/my-role" {
		t.Errorf("named role: %+v", named)
	}
	upd := rig.update(t, "AWS::IAM::Role", "FnRole", res, role, cfnWith(role, "Description", "d"))
	if upd.Attrs["Arn"] != res.Attrs["Arn"] || upd.Attrs["RoleId"] != res.Attrs["RoleId"] {
		t.Errorf("in-place update changed identity: %v -> %v", res.Attrs, upd.Attrs)
	}
	cfnWantReplaces(t, "AWS::IAM::Role", role, cfnWith(role, "RoleName", "x"), true)
	cfnWantReplaces(t, "AWS::IAM::Role", role, cfnWith(role, "MaxSessionDuration", "7200"), false)
	// There is no IAM service to ask: the role only ever existed in its Result.
	rig.deleteTwice(t, "AWS::IAM::Role", "FnRole", upd, nil)

	_, err := cfnProvider(t, "AWS::IAM::Role").Create(ctx, rig.env("Bad"), cfnProps(t, `{"RoleName":"x"}`))
	if err == nil || err.Error() != "Properties validation failed for resource Bad with message: #: required key [AssumeRolePolicyDocument] not found" {
		t.Errorf("role without trust policy: %v", err)
	}

	pol := cfnProps(t, `{"PolicyName":"p","PolicyDocument":`+doc+`,"Roles":["my-role"]}`)
	pres := rig.create(t, "AWS::IAM::Policy", "Pol", pol)
	if pres.Attrs["Id"] != pres.PhysicalID {
		t.Errorf("policy attrs %v", pres.Attrs)
	}
	rig.update(t, "AWS::IAM::Policy", "Pol", pres, pol, cfnWith(pol, "Roles", []any{"other"}))
	if _, err := cfnProvider(t, "AWS::IAM::Policy").Create(ctx, rig.env("Pol2"), cfnWith(pol, "Roles", nil)); err == nil ||
		err.Error() != "At least one of [Groups,Roles,Users] must be non-empty." {
		t.Errorf("policy without holders: %v", err)
	}

	mp := cfnProps(t, `{"ManagedPolicyName":"mp","PolicyDocument":`+doc+`}`)
	mres := rig.create(t, "AWS::IAM::ManagedPolicy", "MP", mp)
	if mres.PhysicalID != "arn:aws:iam::000000000000:policy/mp" || mres.Attrs["DefaultVersionId"] != "v1" {
		t.Errorf("managed policy %+v", mres)
	}
	mupd := rig.update(t, "AWS::IAM::ManagedPolicy", "MP", mres, mp, cfnWith(mp, "PolicyDocument", map[string]any{"Version": "2012-10-17", "Statement": []any{}}))
	if mupd.Attrs["DefaultVersionId"] != "v2" {
		t.Errorf("document change: DefaultVersionId %v", mupd.Attrs["DefaultVersionId"])
	}
	cfnWantReplaces(t, "AWS::IAM::ManagedPolicy", mp, cfnWith(mp, "ManagedPolicyName", "other"), true)
	cfnWantReplaces(t, "AWS::IAM::ManagedPolicy", mp, cfnWith(mp, "Roles", []any{"r"}), false)
}

// zipEntry downloads a function's code from its Code.Location and returns
// the named file in it.
func cfnZipEntry(t *testing.T, location, name string) string {
	t.Helper()
	resp, err := http.Get(location)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("code at %s: %v", location, err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	t.Fatalf("no %s in the function's zip", name)
	return ""
}

func testCFNLambdaFunction(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	lc := rig.ts.lambdaClient()
	const typ = "AWS::Lambda::Function"
	fn := cfnProps(t, `{"Runtime":"nodejs20.x","Handler":"index.handler","Role":"`+testRole+`",
		"Code":{"ZipFile":"exports.handler = async () => 'one';"},
		"MemorySize":"256","Timeout":10,"Description":"first",
		"Environment":{"Variables":{"AA":"1","NN":2}},
		"ReservedConcurrentExecutions":"3",
		"Tags":[{"Key":"team","Value":"core"}]}`)
	res := rig.create(t, typ, "Fn", fn)
	name := res.PhysicalID
	if !strings.HasPrefix(name, "cfnres-Fn-") || len(name) > 64 {
		t.Errorf("generated function name %q", name)
	}
	got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Configuration
	if aws.ToInt32(c.MemorySize) != 256 || aws.ToInt32(c.Timeout) != 10 || aws.ToString(c.Description) != "first" ||
		c.Environment.Variables["NN"] != "2" || got.Tags["team"] != "core" || aws.ToInt32(got.Concurrency.ReservedConcurrentExecutions) != 3 {
		t.Errorf("created function: %+v tags %v concurrency %+v", c, got.Tags, got.Concurrency)
	}
	if res.Attrs["Arn"] != aws.ToString(c.FunctionArn) {
		t.Errorf("Arn = %v, want %s", res.Attrs["Arn"], aws.ToString(c.FunctionArn))
	}
	if src := cfnZipEntry(t, aws.ToString(got.Code.Location), "index.js"); src != "exports.handler = async () => 'one';" {
		t.Errorf("index.js = %q", src)
	}

	next := cfnWith(fn, "MemorySize", 512.0, "Environment", map[string]any{"Variables": map[string]any{"BB": "x"}},
		"Code", map[string]any{"ZipFile": "exports.handler = async () => 'two';"}, "ReservedConcurrentExecutions", nil,
		"LoggingConfig", map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "WARN"},
		"Tags", []any{map[string]any{"Key": "env", "Value": "dev"}})
	res = rig.update(t, typ, "Fn", res, fn, next)
	got, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	c = got.Configuration
	if aws.ToInt32(c.MemorySize) != 512 || c.Environment.Variables["BB"] != "x" || c.Environment.Variables["AA"] != "" ||
		c.LastUpdateStatus != lambdatypes.LastUpdateStatusSuccessful || c.LoggingConfig == nil || c.LoggingConfig.LogFormat != "JSON" ||
		c.LoggingConfig.ApplicationLogLevel != "WARN" {
		t.Errorf("updated function: %+v", c)
	}
	if got.Concurrency != nil && got.Concurrency.ReservedConcurrentExecutions != nil {
		t.Errorf("reserved concurrency not removed: %v", *got.Concurrency.ReservedConcurrentExecutions)
	}
	if got.Tags["team"] != "" || got.Tags["env"] != "dev" {
		t.Errorf("tags after update: %v", got.Tags)
	}
	if src := cfnZipEntry(t, aws.ToString(got.Code.Location), "index.js"); !strings.Contains(src, "'two'") {
		t.Errorf("code not updated: %q", src)
	}
	cfnWantReplaces(t, typ, fn, cfnWith(fn, "FunctionName", "renamed"), true)
	cfnWantReplaces(t, typ, fn, cfnWith(fn, "MemorySize", 256.0), false) // "256" and 256 are one value
	cfnWantReplaces(t, typ, fn, cfnWith(fn, "Timeout", 30.0), false)

	py := rig.create(t, typ, "Py", cfnProps(t, `{"FunctionName":"cfn-py","Runtime":"python3.12","Handler":"index.handler",
		"Role":"`+testRole+`","Code":{"ZipFile":"def handler(e, c):\n    return 1\n"}}`))
	pyFn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("cfn-py")})
	if err != nil || py.PhysicalID != "cfn-py" {
		t.Fatalf("python function %q: %v", py.PhysicalID, err)
	}
	if src := cfnZipEntry(t, aws.ToString(pyFn.Code.Location), "index.py"); !strings.Contains(src, "def handler") {
		t.Errorf("index.py = %q", src)
	}
	rig.deleteTwice(t, typ, "Py", py, func() error {
		_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("cfn-py")})
		return cfnGone(err, "ResourceNotFoundException")
	})

	// Code in S3, as `aws cloudformation package` leaves it.
	sc := s3.New(s3.Options{BaseEndpoint: aws.String(rig.ts.URL), Region: "us-east-1", Credentials: e2eCreds(), UsePathStyle: true})
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cfn-fn-code")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfn-fn-code"), Key: aws.String("fn.zip"),
		Body: bytes.NewReader(cfnZip(t, "app.js", "exports.h = async () => 's3';"))}); err != nil {
		t.Fatal(err)
	}
	s3p := cfnProps(t, `{"FunctionName":"cfn-s3code","Runtime":"nodejs20.x","Handler":"app.h","Role":"`+testRole+`",
		"Code":{"S3Bucket":"cfn-fn-code","S3Key":"fn.zip"},"Architectures":["arm64"],"EphemeralStorage":{"Size":"1024"},
		"TracingConfig":{"Mode":"Active"}}`)
	s3fn := rig.create(t, typ, "S3Fn", s3p)
	got, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("cfn-s3code")})
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Configuration; len(c.Architectures) != 1 || c.Architectures[0] != "arm64" || aws.ToInt32(c.EphemeralStorage.Size) != 1024 || c.TracingConfig.Mode != "Active" {
		t.Errorf("function from S3: %+v", c)
	}
	if src := cfnZipEntry(t, aws.ToString(got.Code.Location), "app.js"); !strings.Contains(src, "'s3'") {
		t.Errorf("app.js = %q", src)
	}
	rig.deleteTwice(t, typ, "S3Fn", s3fn, func() error {
		_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(s3fn.PhysicalID)})
		return cfnGone(err, "ResourceNotFoundException")
	})
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("Missing"), cfnWith(s3p, "Code", map[string]any{"S3Bucket": "cfn-fn-code", "S3Key": "gone.zip"}))
	// Lambda reads the object, and its error is the resource's.
	if !cfnLambdaGetObjectFailed(err) {
		t.Errorf("function from a missing object: %v", err)
	}
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("NoRole"), cfnWith(s3p, "Role", nil))
	if err == nil || err.Error() != "Properties validation failed for resource NoRole with message: #: required key [Role] not found" {
		t.Errorf("function without a role: %v", err)
	}

	rig.deleteTwice(t, typ, "Fn", res, func() error {
		_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		return cfnGone(err, "ResourceNotFoundException")
	})

	// The service's own validation decides, and its message comes through.
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("Bad"), cfnWith(fn, "MemorySize", 1.0, "ReservedConcurrentExecutions", nil))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" && ae.ErrorCode() != "InvalidParameterValueException" {
		t.Fatalf("MemorySize 1: %v", err)
	}
	if !strings.Contains(ae.ErrorMessage(), "memorySize") && !strings.Contains(ae.ErrorMessage(), "MemorySize") {
		t.Errorf("message %q does not name the property", ae.ErrorMessage())
	}
}

// cfnFunction makes a function for the sub-resource tests, through the API.
func cfnFunction(t *testing.T, rig *cfnRig, name string) string {
	t.Helper()
	out, err := rig.ts.lambdaClient().CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: lambdatypes.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: aws.String(testRole), Code: &lambdatypes.FunctionCode{ZipFile: cfnZip(t, "index.js", "exports.handler=async()=>1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.FunctionArn)
}

func cfnZip(t *testing.T, name, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(name)
	_, _ = w.Write([]byte(body))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testCFNLambdaVersionAlias(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	lc := rig.ts.lambdaClient()
	fnArn := cfnFunction(t, rig, "cfn-versioned")
	v1p := cfnProps(t, `{"FunctionName":"cfn-versioned","Description":"v1"}`)
	v1 := rig.create(t, "AWS::Lambda::Version", "V1", v1p)
	if v1.PhysicalID != fnArn+":1" || v1.Attrs["Version"] != "1" || v1.Attrs["FunctionArn"] != fnArn {
		t.Errorf("version 1: %+v", v1)
	}
	if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("cfn-versioned"), ZipFile: cfnZip(t, "index.js", "exports.handler=async()=>2")}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(lc).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("cfn-versioned")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	v2 := rig.create(t, "AWS::Lambda::Version", "V2", cfnProps(t, `{"FunctionName":"`+fnArn+`"}`))
	if v2.Attrs["Version"] != "2" {
		t.Errorf("version 2: %+v", v2)
	}
	cfnWantReplaces(t, "AWS::Lambda::Version", v1p, cfnWith(v1p, "Description", "other"), true)
	cfnWantReplaces(t, "AWS::Lambda::Version", v1p, cfnWith(v1p, "ProvisionedConcurrencyConfig", map[string]any{"ProvisionedConcurrentExecutions": 1.0}), false)

	// Stratus's Lambda has no provisioned concurrency: its answer, not silence.
	pcc, err := cfnProvider(t, "AWS::Lambda::Version").Create(ctx, rig.env("Pcc"),
		cfnWith(v1p, "ProvisionedConcurrencyConfig", map[string]any{"ProvisionedConcurrentExecutions": "2"}))
	var pae smithy.APIError
	if !errors.As(err, &pae) || pcc.PhysicalID == "" {
		t.Errorf("version with provisioned concurrency: %+v %v", pcc, err)
	} else {
		t.Logf("provisioned concurrency: %s: %s", pae.ErrorCode(), pae.ErrorMessage())
	}

	al := cfnProps(t, `{"FunctionName":"cfn-versioned","FunctionVersion":"1","Name":"live"}`)
	ares := rig.create(t, "AWS::Lambda::Alias", "Live", al)
	if ares.PhysicalID != fnArn+":live" || ares.Attrs["AliasArn"] != ares.PhysicalID {
		t.Errorf("alias: %+v", ares)
	}
	shifted := cfnWith(al, "RoutingConfig", map[string]any{"AdditionalVersionWeights": []any{
		map[string]any{"FunctionVersion": "2", "FunctionWeight": "0.1"}}})
	ares = rig.update(t, "AWS::Lambda::Alias", "Live", ares, al, shifted)
	got, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("cfn-versioned"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if got.RoutingConfig == nil || got.RoutingConfig.AdditionalVersionWeights["2"] != 0.1 || aws.ToString(got.FunctionVersion) != "1" {
		t.Errorf("alias after shift: %+v", got)
	}
	ares = rig.update(t, "AWS::Lambda::Alias", "Live", ares, shifted, cfnWith(al, "FunctionVersion", "2"))
	got, err = lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("cfn-versioned"), Name: aws.String("live")})
	if err != nil || aws.ToString(got.FunctionVersion) != "2" || (got.RoutingConfig != nil && len(got.RoutingConfig.AdditionalVersionWeights) != 0) {
		t.Errorf("alias after promotion: %+v %v", got, err)
	}
	cfnWantReplaces(t, "AWS::Lambda::Alias", al, cfnWith(al, "Name", "other"), true)
	cfnWantReplaces(t, "AWS::Lambda::Alias", al, cfnWith(al, "FunctionVersion", "2"), false)

	_, err = cfnProvider(t, "AWS::Lambda::Alias").Create(ctx, rig.env("Dup"), al)
	if ae := apiError(t, err, "ResourceConflictException"); !strings.Contains(ae.ErrorMessage(), "live") {
		t.Errorf("duplicate alias message %q", ae.ErrorMessage())
	}

	rig.deleteTwice(t, "AWS::Lambda::Alias", "Live", ares, func() error {
		_, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("cfn-versioned"), Name: aws.String("live")})
		return cfnGone(err, "ResourceNotFoundException")
	})
	rig.deleteTwice(t, "AWS::Lambda::Version", "V1", v1, func() error {
		_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("cfn-versioned"), Qualifier: aws.String("1")})
		return cfnGone(err, "ResourceNotFoundException")
	})
}

func testCFNLambdaAttachments(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	lc := rig.ts.lambdaClient()
	fnArn := cfnFunction(t, rig, "cfn-attached")

	perm := cfnProps(t, `{"FunctionName":"cfn-attached","Action":"lambda:InvokeFunction","Principal":"s3.amazonaws.com","SourceAccount":"000000000000"}`)
	pres := rig.create(t, "AWS::Lambda::Permission", "Perm", perm)
	pol, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("cfn-attached")})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), pres.PhysicalID) {
		t.Fatalf("policy %v has no statement %s: %v", pol, pres.PhysicalID, err)
	}
	cfnWantReplaces(t, "AWS::Lambda::Permission", perm, cfnWith(perm, "Principal", "sns.amazonaws.com"), true)
	cfnWantReplaces(t, "AWS::Lambda::Permission", perm, cfnWith(perm), false)
	rig.deleteTwice(t, "AWS::Lambda::Permission", "Perm", pres, func() error {
		pol, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("cfn-attached")})
		if err == nil && strings.Contains(aws.ToString(pol.Policy), pres.PhysicalID) {
			return errors.New("statement still in policy")
		}
		return nil
	})

	url := cfnProps(t, `{"TargetFunctionArn":"`+fnArn+`","AuthType":"NONE"}`)
	ures := rig.create(t, "AWS::Lambda::Url", "Url", url)
	if fu, _ := ures.Attrs["FunctionUrl"].(string); !strings.HasPrefix(fu, "http") || ures.Attrs["FunctionArn"] != fnArn {
		t.Errorf("url attrs %v", ures.Attrs)
	}
	withCors := cfnWith(url, "AuthType", "AWS_IAM", "Cors", map[string]any{"AllowOrigins": []any{"https://example.com"}, "MaxAge": "60"})
	ures = rig.update(t, "AWS::Lambda::Url", "Url", ures, url, withCors)
	uc, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("cfn-attached")})
	if err != nil || uc.AuthType != lambdatypes.FunctionUrlAuthTypeAwsIam || uc.Cors == nil || aws.ToInt32(uc.Cors.MaxAge) != 60 {
		t.Errorf("url after update: %+v %v", uc, err)
	}
	cfnWantReplaces(t, "AWS::Lambda::Url", url, cfnWith(url, "Qualifier", "live"), true)
	cfnWantReplaces(t, "AWS::Lambda::Url", url, withCors, false)
	rig.deleteTwice(t, "AWS::Lambda::Url", "Url", ures, func() error {
		_, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("cfn-attached")})
		return cfnGone(err, "ResourceNotFoundException")
	})

	eic := cfnProps(t, `{"FunctionName":"cfn-attached","Qualifier":"$LATEST","MaximumRetryAttempts":"1","MaximumEventAgeInSeconds":120}`)
	eres := rig.create(t, "AWS::Lambda::EventInvokeConfig", "Eic", eic)
	eres = rig.update(t, "AWS::Lambda::EventInvokeConfig", "Eic", eres, eic, cfnWith(eic, "MaximumRetryAttempts", 0.0))
	ec, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("cfn-attached"), Qualifier: aws.String("$LATEST")})
	if err != nil || aws.ToInt32(ec.MaximumRetryAttempts) != 0 || aws.ToInt32(ec.MaximumEventAgeInSeconds) != 120 {
		t.Errorf("event invoke config: %+v %v", ec, err)
	}
	cfnWantReplaces(t, "AWS::Lambda::EventInvokeConfig", eic, cfnWith(eic, "Qualifier", "live"), true)
	cfnWantReplaces(t, "AWS::Lambda::EventInvokeConfig", eic, cfnWith(eic, "MaximumRetryAttempts", 2.0), false)
	rig.deleteTwice(t, "AWS::Lambda::EventInvokeConfig", "Eic", eres, func() error {
		_, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("cfn-attached"), Qualifier: aws.String("$LATEST")})
		return cfnGone(err, "ResourceNotFoundException")
	})

	q, err := rig.ts.sqsClient().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cfn-esm-src")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := rig.ts.sqsClient().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	esm := cfnProps(t, `{"FunctionName":"cfn-attached","EventSourceArn":"`+qa.Attributes["QueueArn"]+`","BatchSize":"5"}`)
	mres := rig.create(t, "AWS::Lambda::EventSourceMapping", "Esm", esm)
	m, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(mres.PhysicalID)})
	if err != nil || aws.ToInt32(m.BatchSize) != 5 || aws.ToString(m.FunctionArn) != fnArn || mres.Attrs["Id"] != mres.PhysicalID {
		t.Fatalf("mapping: %+v %v", m, err)
	}
	off := cfnWith(esm, "BatchSize", 7.0, "Enabled", "false")
	mres = rig.update(t, "AWS::Lambda::EventSourceMapping", "Esm", mres, esm, off)
	m, err = lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(mres.PhysicalID)})
	if err != nil || aws.ToInt32(m.BatchSize) != 7 || aws.ToString(m.State) != "Disabled" {
		t.Errorf("mapping after update: %+v %v", m, err)
	}
	cfnWantReplaces(t, "AWS::Lambda::EventSourceMapping", esm, cfnWith(esm, "EventSourceArn", "arn:aws:sqs:us-east-1:000000000000:other"), true)
	cfnWantReplaces(t, "AWS::Lambda::EventSourceMapping", esm, off, false)
	rig.deleteTwice(t, "AWS::Lambda::EventSourceMapping", "Esm", mres, func() error {
		_, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(mres.PhysicalID)})
		return cfnGone(err, "ResourceNotFoundException")
	})
	_, err = cfnProvider(t, "AWS::Lambda::Permission").Create(ctx, rig.env("P"), cfnWith(perm, "FunctionName", "no-such-fn"))
	apiError(t, err, "ResourceNotFoundException")
}

func testCFNLambdaLayer(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	sc := s3.New(s3.Options{BaseEndpoint: aws.String(rig.ts.URL), Region: "us-east-1", Credentials: e2eCreds(), UsePathStyle: true})
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cfn-layer-src")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfn-layer-src"), Key: aws.String("layer.zip"),
		Body: bytes.NewReader(cfnZip(t, "nodejs/lib.js", "module.exports=1"))}); err != nil {
		t.Fatal(err)
	}
	lp := cfnProps(t, `{"LayerName":"cfn-layer","Content":{"S3Bucket":"cfn-layer-src","S3Key":"layer.zip"},"CompatibleRuntimes":["nodejs20.x"]}`)
	res := rig.create(t, "AWS::Lambda::LayerVersion", "Layer", lp)
	if res.PhysicalID != "arn:aws:lambda:us-east-1:000000000000:layer:cfn-layer:1" || res.Attrs["LayerVersionArn"] != res.PhysicalID {
		t.Errorf("layer: %+v", res)
	}
	lc := rig.ts.lambdaClient()
	got, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("cfn-layer"), VersionNumber: aws.Int64(1)})
	if err != nil || len(got.CompatibleRuntimes) != 1 {
		t.Fatalf("layer version: %+v %v", got, err)
	}
	cfnWantReplaces(t, "AWS::Lambda::LayerVersion", lp, cfnWith(lp, "Description", "d"), true)
	cfnWantReplaces(t, "AWS::Lambda::LayerVersion", lp, cfnWith(lp), false)
	rig.deleteTwice(t, "AWS::Lambda::LayerVersion", "Layer", res, func() error {
		_, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("cfn-layer"), VersionNumber: aws.Int64(1)})
		return cfnGone(err, "ResourceNotFoundException")
	})
	_, err = cfnProvider(t, "AWS::Lambda::LayerVersion").Create(ctx, rig.env("L"), cfnWith(lp, "Content", map[string]any{"S3Bucket": "cfn-layer-src", "S3Key": "missing.zip"}))
	// Lambda's own wording for code it cannot fetch, with S3's answer in it.
	if !cfnLambdaGetObjectFailed(err) {
		t.Fatalf("layer from a missing object: %v", err)
	}
}

// cfnLambdaGetObjectFailed reports whether err is Lambda's answer for a code
// package whose S3 key does not exist.
func cfnLambdaGetObjectFailed(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "InvalidParameterValueException" &&
		ae.ErrorMessage() == "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
}

func testCFNLogGroup(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	lc := rig.ts.logsClient()
	const typ = "AWS::Logs::LogGroup"
	lg := cfnProps(t, `{"RetentionInDays":"7"}`)
	res := rig.create(t, typ, "Logs", lg)
	describe := func() *logstypes.LogGroup {
		out, err := lc.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(res.PhysicalID)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.LogGroups) != 1 {
			return nil
		}
		return &out.LogGroups[0]
	}
	g := describe()
	if g == nil || aws.ToInt32(g.RetentionInDays) != 7 || res.Attrs["Arn"] != aws.ToString(g.Arn) {
		t.Fatalf("log group %+v, attrs %v", g, res.Attrs)
	}
	res = rig.update(t, typ, "Logs", res, lg, cfnWith(lg, "RetentionInDays", 14.0))
	if g := describe(); g == nil || aws.ToInt32(g.RetentionInDays) != 14 {
		t.Errorf("retention after update: %+v", g)
	}
	res = rig.update(t, typ, "Logs", res, cfnWith(lg, "RetentionInDays", 14.0), cfnWith(lg, "RetentionInDays", nil))
	if g := describe(); g == nil || g.RetentionInDays != nil {
		t.Errorf("retention not removed: %+v", g)
	}
	cfnWantReplaces(t, typ, lg, cfnWith(lg, "LogGroupName", "/x"), true)
	cfnWantReplaces(t, typ, lg, cfnWith(lg, "RetentionInDays", 7.0), false)
	rig.deleteTwice(t, typ, "Logs", res, func() error {
		if describe() != nil {
			return errors.New("still listed")
		}
		return nil
	})
	_, err := cfnProvider(t, typ).Create(ctx, rig.env("Bad"), cfnWith(lg, "RetentionInDays", 8.0))
	var ae smithy.APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), "retentionInDays") {
		t.Errorf("retention 8: %v", err)
	}
}

func testCFNSQS(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	qc := rig.ts.sqsClient()
	const typ = "AWS::SQS::Queue"
	dlq := rig.create(t, typ, "Dlq", cfnProps(t, `{"QueueName":"cfn-dlq"}`))
	if dlq.PhysicalID != dlq.Attrs["QueueUrl"] || dlq.Attrs["Arn"] != "arn:aws:sqs:us-east-1:000000000000:cfn-dlq" || dlq.Attrs["QueueName"] != "cfn-dlq" {
		t.Errorf("queue attrs: %+v", dlq)
	}
	qp := cfnProps(t, `{"VisibilityTimeout":"45","DelaySeconds":2,"Tags":[{"Key":"k","Value":"v"}],
		"RedrivePolicy":{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:cfn-dlq","maxReceiveCount":"3"}}`)
	q := rig.create(t, typ, "Work", qp)
	if name, _ := q.Attrs["QueueName"].(string); !strings.HasPrefix(name, "cfnres-Work-") {
		t.Errorf("generated queue name %q", name)
	}
	attrs := func(url string) map[string]string {
		out, err := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	a := attrs(q.PhysicalID)
	if a["VisibilityTimeout"] != "45" || a["DelaySeconds"] != "2" || !strings.Contains(a["RedrivePolicy"], "cfn-dlq") || a["QueueArn"] != q.Attrs["Arn"] {
		t.Errorf("queue attributes %v", a)
	}
	next := cfnWith(qp, "VisibilityTimeout", 60.0, "DelaySeconds", nil, "RedrivePolicy", nil, "Tags", []any{map[string]any{"Key": "k2", "Value": "v2"}})
	q = rig.update(t, typ, "Work", q, qp, next)
	a = attrs(q.PhysicalID)
	if a["VisibilityTimeout"] != "60" || a["DelaySeconds"] != "0" || a["RedrivePolicy"] != "" {
		t.Errorf("queue attributes after update %v", a)
	}
	tags, err := qc.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(q.PhysicalID)})
	if err != nil || tags.Tags["k2"] != "v2" || tags.Tags["k"] != "" {
		t.Errorf("queue tags %v %v", tags, err)
	}
	cfnWantReplaces(t, typ, qp, cfnWith(qp, "QueueName", "other"), true)
	cfnWantReplaces(t, typ, qp, cfnWith(qp, "FifoQueue", true), true)
	cfnWantReplaces(t, typ, qp, cfnWith(qp, "VisibilityTimeout", 45.0), false)

	fifo := rig.create(t, typ, "Fifo", cfnProps(t, `{"FifoQueue":"true","ContentBasedDeduplication":true}`))
	if name, _ := fifo.Attrs["QueueName"].(string); !strings.HasSuffix(name, ".fifo") || len(name) > 80 {
		t.Errorf("generated FIFO queue name %q", name)
	}
	if a := attrs(fifo.PhysicalID); a["FifoQueue"] != "true" || a["ContentBasedDeduplication"] != "true" {
		t.Errorf("fifo attributes %v", a)
	}

	pol := cfnProps(t, `{"Queues":["`+q.PhysicalID+`"],"PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}}`)
	pres := rig.create(t, "AWS::SQS::QueuePolicy", "QPol", pol)
	if !strings.Contains(attrs(q.PhysicalID)["Policy"], "sqs:SendMessage") {
		t.Errorf("queue policy not set")
	}
	pol2 := cfnWith(pol, "Queues", []any{fifo.PhysicalID})
	pres = rig.update(t, "AWS::SQS::QueuePolicy", "QPol", pres, pol, pol2)
	if attrs(q.PhysicalID)["Policy"] != "" || !strings.Contains(attrs(fifo.PhysicalID)["Policy"], "sqs:SendMessage") {
		t.Errorf("policy did not move to the other queue")
	}
	rig.deleteTwice(t, "AWS::SQS::QueuePolicy", "QPol", pres, func() error {
		if p := attrs(fifo.PhysicalID)["Policy"]; p != "" {
			return errors.New("policy still set: " + p)
		}
		return nil
	})

	for _, r := range []struct {
		logical string
		res     resources.Result
	}{{"Work", q}, {"Fifo", fifo}, {"Dlq", dlq}} {
		rig.deleteTwice(t, typ, r.logical, r.res, func() error {
			_, err := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(r.res.PhysicalID)})
			var ae smithy.APIError
			if errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "NonExistentQueue") {
				return nil
			}
			return cfnGone(err, "QueueDoesNotExist")
		})
	}
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("Bad"), cfnProps(t, `{"QueueName":"bad","VisibilityTimeout":99999}`))
	var ae smithy.APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), "VisibilityTimeout") {
		t.Errorf("VisibilityTimeout 99999: %v", err)
	}
}

func testCFNSNS(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	nc := sns.New(sns.Options{BaseEndpoint: aws.String(rig.ts.URL), Region: "us-east-1", Credentials: e2eCreds()})
	qc := rig.ts.sqsClient()
	var queueArns []string
	for _, n := range []string{"cfn-sns-a", "cfn-sns-b"} {
		if _, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
		queueArns = append(queueArns, "arn:aws:sqs:us-east-1:000000000000:"+n)
	}
	const typ = "AWS::SNS::Topic"
	tp := cfnProps(t, `{"DisplayName":"first","Subscription":[{"Protocol":"sqs","Endpoint":"`+queueArns[0]+`"}],"Tags":[{"Key":"k","Value":"v"}]}`)
	res := rig.create(t, typ, "Topic", tp)
	name, _ := res.Attrs["TopicName"].(string)
	if !strings.HasPrefix(name, "cfnres-Topic-") || res.Attrs["TopicArn"] != res.PhysicalID || res.PhysicalID != "arn:aws:sns:us-east-1:000000000000:"+name {
		t.Errorf("topic: %+v", res)
	}
	subs := func() []string {
		out, err := nc.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(res.PhysicalID)})
		if err != nil {
			t.Fatal(err)
		}
		var eps []string
		for _, s := range out.Subscriptions {
			eps = append(eps, aws.ToString(s.Endpoint))
		}
		return eps
	}
	if eps := subs(); len(eps) != 1 || eps[0] != queueArns[0] {
		t.Errorf("subscriptions %v", eps)
	}
	next := cfnWith(tp, "DisplayName", "second", "Subscription", []any{map[string]any{"Protocol": "sqs", "Endpoint": queueArns[1]}},
		"Tags", []any{map[string]any{"Key": "k2", "Value": "v2"}})
	res = rig.update(t, typ, "Topic", res, tp, next)
	ta, err := nc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(res.PhysicalID)})
	if err != nil || ta.Attributes["DisplayName"] != "second" {
		t.Errorf("topic attributes %v %v", ta, err)
	}
	if eps := subs(); len(eps) != 1 || eps[0] != queueArns[1] {
		t.Errorf("subscriptions after update %v", eps)
	}
	if tl, err := nc.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(res.PhysicalID)}); err != nil ||
		len(tl.Tags) != 1 || aws.ToString(tl.Tags[0].Key) != "k2" {
		t.Errorf("topic tags after update %+v %v", tl, err)
	}
	cfnWantReplaces(t, typ, tp, cfnWith(tp, "TopicName", "x"), true)
	cfnWantReplaces(t, typ, tp, cfnWith(tp, "FifoTopic", "true"), true)
	cfnWantReplaces(t, typ, tp, next, false)

	fifo := rig.create(t, typ, "Fifo", cfnProps(t, `{"FifoTopic":true,"ContentBasedDeduplication":"true"}`))
	fa, err := nc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(fifo.PhysicalID)})
	if err != nil || !strings.HasSuffix(fifo.PhysicalID, ".fifo") || fa.Attributes["ContentBasedDeduplication"] != "true" {
		t.Errorf("fifo topic %s: %v %v", fifo.PhysicalID, fa, err)
	}

	sp := cfnProps(t, `{"TopicArn":"`+fifo.PhysicalID+`","Protocol":"sqs","Endpoint":"`+queueArns[0]+`","RawMessageDelivery":"true","FilterPolicy":{"kind":["a"]}}`)
	sub := rig.create(t, "AWS::SNS::Subscription", "Sub", sp)
	sa, err := nc.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub.PhysicalID)})
	if err != nil || sa.Attributes["RawMessageDelivery"] != "true" || !strings.Contains(sa.Attributes["FilterPolicy"], `"kind"`) {
		t.Fatalf("subscription attributes %v %v", sa, err)
	}
	sp2 := cfnWith(sp, "FilterPolicy", map[string]any{"kind": []any{"b"}}, "RawMessageDelivery", nil)
	sub = rig.update(t, "AWS::SNS::Subscription", "Sub", sub, sp, sp2)
	sa, err = nc.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub.PhysicalID)})
	if err != nil || sa.Attributes["RawMessageDelivery"] != "false" || !strings.Contains(sa.Attributes["FilterPolicy"], `"b"`) {
		t.Errorf("subscription after update %v %v", sa, err)
	}
	cfnWantReplaces(t, "AWS::SNS::Subscription", sp, cfnWith(sp, "Endpoint", queueArns[1]), true)
	cfnWantReplaces(t, "AWS::SNS::Subscription", sp, sp2, false)
	rig.deleteTwice(t, "AWS::SNS::Subscription", "Sub", sub, func() error {
		_, err := nc.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub.PhysicalID)})
		return cfnGone(err, "NotFound")
	})

	pp := cfnProps(t, `{"Topics":["`+res.PhysicalID+`"],"PolicyDocument":{"Version":"2012-10-17","Statement":[{"Sid":"cfn","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}]}}`)
	pres := rig.create(t, "AWS::SNS::TopicPolicy", "TPol", pp)
	policy := func() string {
		a, err := nc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(res.PhysicalID)})
		if err != nil {
			t.Fatal(err)
		}
		return a.Attributes["Policy"]
	}
	if !strings.Contains(policy(), "events.amazonaws.com") {
		t.Errorf("topic policy not set: %s", policy())
	}
	cfnWantReplaces(t, "AWS::SNS::TopicPolicy", pp, cfnWith(pp, "Topics", []any{fifo.PhysicalID}), false)
	rig.deleteTwice(t, "AWS::SNS::TopicPolicy", "TPol", pres, func() error {
		if strings.Contains(policy(), "events.amazonaws.com") {
			return errors.New("policy still set")
		}
		return nil
	})

	for _, r := range []resources.Result{res, fifo} {
		rig.deleteTwice(t, typ, "Topic", r, func() error {
			_, err := nc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(r.PhysicalID)})
			return cfnGone(err, "NotFound")
		})
	}
	_, err = cfnProvider(t, "AWS::SNS::Subscription").Create(ctx, rig.env("Bad"), cfnProps(t, `{"TopicArn":"arn:aws:sns:us-east-1:000000000000:nope","Protocol":"sqs","Endpoint":"`+queueArns[0]+`"}`))
	apiError(t, err, "NotFound")
}

func testCFNS3(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	sc := s3.New(s3.Options{BaseEndpoint: aws.String(rig.ts.URL), Region: "us-east-1", Credentials: e2eCreds(), UsePathStyle: true})
	if _, err := rig.ts.sqsClient().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cfn-s3-events")}); err != nil {
		t.Fatal(err)
	}
	const typ = "AWS::S3::Bucket"
	bp := cfnProps(t, `{"VersioningConfiguration":{"Status":"Enabled"},"Tags":[{"Key":"k","Value":"v"}],
		"CorsConfiguration":{"CorsRules":[{"AllowedMethods":["GET"],"AllowedOrigins":["*"],"MaxAge":"300"}]},
		"LifecycleConfiguration":{"Rules":[{"Id":"old","Status":"Enabled","Prefix":"logs/","ExpirationInDays":"30"}]},
		"NotificationConfiguration":{"QueueConfigurations":[{"Event":"s3:ObjectCreated:*","Queue":"arn:aws:sqs:us-east-1:000000000000:cfn-s3-events",
			"Filter":{"S3Key":{"Rules":[{"Name":"prefix","Value":"in/"}]}}}]}}`)
	res := rig.create(t, typ, "Bucket", bp)
	name := res.PhysicalID
	if !strings.HasPrefix(name, "cfnres-bucket-") || strings.ToLower(name) != name || len(name) > 63 {
		t.Errorf("generated bucket name %q", name)
	}
	for k, want := range map[string]string{"Arn": "arn:aws:s3:::" + name, "DomainName": name + ".s3.amazonaws.com",
		"RegionalDomainName": name + ".s3.us-east-1.amazonaws.com", "WebsiteURL": "http://" + name + ".s3-website-us-east-1.amazonaws.com"} {
		if res.Attrs[k] != want {
			t.Errorf("%s = %v, want %s", k, res.Attrs[k], want)
		}
	}
	b := aws.String(name)
	ver, err := sc.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	if err != nil || ver.Status != "Enabled" {
		t.Errorf("versioning %v %v", ver, err)
	}
	cors, err := sc.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	if err != nil || len(cors.CORSRules) != 1 || aws.ToInt32(cors.CORSRules[0].MaxAgeSeconds) != 300 {
		t.Errorf("cors %v %v", cors, err)
	}
	lc, err := sc.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil || len(lc.Rules) != 1 || aws.ToInt32(lc.Rules[0].Expiration.Days) != 30 || lc.Rules[0].Filter == nil || aws.ToString(lc.Rules[0].Filter.Prefix) != "logs/" {
		t.Errorf("lifecycle %+v %v", lc, err)
	}
	nc, err := sc.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: b})
	if err != nil || len(nc.QueueConfigurations) != 1 || nc.QueueConfigurations[0].Filter == nil {
		t.Errorf("notifications %+v %v", nc, err)
	}
	tags, err := sc.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	if err != nil || len(tags.TagSet) != 1 {
		t.Errorf("tags %v %v", tags, err)
	}

	// SAM's S3 event: a permission for S3, then the bucket notifies the function.
	fnArn := cfnFunction(t, rig, "cfn-s3-notified")
	rig.create(t, "AWS::Lambda::Permission", "S3Perm", map[string]any{"FunctionName": fnArn, "Action": "lambda:InvokeFunction",
		"Principal": "s3.amazonaws.com", "SourceArn": "arn:aws:s3:::" + name, "SourceAccount": "000000000000"})
	next := cfnWith(bp, "VersioningConfiguration", map[string]any{"Status": "Suspended"}, "CorsConfiguration", nil, "Tags", nil,
		"NotificationConfiguration", map[string]any{"EventBridgeConfiguration": map[string]any{"EventBridgeEnabled": true},
			"LambdaConfigurations": []any{map[string]any{"Event": "s3:ObjectRemoved:*", "Function": fnArn}}})
	res = rig.update(t, typ, "Bucket", res, bp, next)
	if ver, err := sc.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b}); err != nil || ver.Status != "Suspended" {
		t.Errorf("versioning after update %v %v", ver, err)
	}
	_, err = sc.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b})
	apiError(t, err, "NoSuchCORSConfiguration")
	_, err = sc.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	apiError(t, err, "NoSuchTagSet")
	nc, err = sc.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: b})
	if err != nil || len(nc.QueueConfigurations) != 0 || nc.EventBridgeConfiguration == nil || len(nc.LambdaFunctionConfigurations) != 1 ||
		aws.ToString(nc.LambdaFunctionConfigurations[0].LambdaFunctionArn) != fnArn {
		t.Errorf("notifications after update %+v %v", nc, err)
	}
	cfnWantReplaces(t, typ, bp, cfnWith(bp, "BucketName", "other"), true)
	cfnWantReplaces(t, typ, bp, next, false)

	pp := cfnProps(t, `{"Bucket":"`+name+`","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+name+`/*"}]}}`)
	pres := rig.create(t, "AWS::S3::BucketPolicy", "Policy", pp)
	pol, err := sc.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), "s3:GetObject") {
		t.Errorf("bucket policy %v %v", pol, err)
	}
	pp2 := cfnWith(pp, "PolicyDocument", map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::" + name + "/*"}}})
	pres = rig.update(t, "AWS::S3::BucketPolicy", "Policy", pres, pp, pp2)
	if pol, err := sc.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b}); err != nil || !strings.Contains(aws.ToString(pol.Policy), "s3:DeleteObject") {
		t.Errorf("bucket policy after update %v %v", pol, err)
	}
	cfnWantReplaces(t, "AWS::S3::BucketPolicy", pp, cfnWith(pp, "Bucket", "x"), true)
	cfnWantReplaces(t, "AWS::S3::BucketPolicy", pp, pp2, false)
	rig.deleteTwice(t, "AWS::S3::BucketPolicy", "Policy", pres, func() error {
		_, err := sc.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
		return cfnGone(err, "NoSuchBucketPolicy")
	})

	// CloudFormation does not empty a bucket: S3's BucketNotEmpty fails the delete.
	if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("left"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	err = cfnProvider(t, typ).Delete(ctx, rig.env("Bucket"), res)
	apiError(t, err, "BucketNotEmpty")
	vs, err := sc.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Versions {
		if _, err := sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: v.Key, VersionId: v.VersionId}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range vs.DeleteMarkers {
		if _, err := sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: m.Key, VersionId: m.VersionId}); err != nil {
			t.Fatal(err)
		}
	}
	rig.deleteTwice(t, typ, "Bucket", res, func() error {
		_, err := sc.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
		return cfnGone(err, "NotFound")
	})
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("Bad"), cfnProps(t, `{"BucketName":"Bad_Name"}`))
	apiError(t, err, "InvalidBucketName")
}

func testCFNDynamoDB(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	dc := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(rig.ts.URL), Region: "us-east-1", Credentials: e2eCreds()})
	const typ = "AWS::DynamoDB::Table"
	tp := cfnProps(t, `{"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
		"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],
		"ProvisionedThroughput":{"ReadCapacityUnits":"5","WriteCapacityUnits":5},
		"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"},
			"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}],
		"LocalSecondaryIndexes":[{"IndexName":"bySk","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"g","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],
		"StreamSpecification":{"StreamViewType":"NEW_IMAGE"},
		"TimeToLiveSpecification":{"AttributeName":"exp","Enabled":true},
		"Tags":[{"Key":"k","Value":"v"}]}`)
	res := rig.create(t, typ, "Table", tp)
	name := res.PhysicalID
	if !strings.HasPrefix(name, "cfnres-Table-") {
		t.Errorf("generated table name %q", name)
	}
	d, err := dc.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	tb := d.Table
	if aws.ToInt64(tb.ProvisionedThroughput.ReadCapacityUnits) != 5 || len(tb.GlobalSecondaryIndexes) != 1 || len(tb.LocalSecondaryIndexes) != 1 ||
		tb.StreamSpecification == nil || tb.StreamSpecification.StreamViewType != "NEW_IMAGE" {
		t.Errorf("table %+v", tb)
	}
	if res.Attrs["Arn"] != aws.ToString(tb.TableArn) || res.Attrs["StreamArn"] != aws.ToString(tb.LatestStreamArn) || res.Attrs["StreamArn"] == "" {
		t.Errorf("table attrs %v", res.Attrs)
	}
	ttl, err := dc.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "exp" {
		t.Errorf("ttl %+v %v", ttl, err)
	}

	next := cfnWith(tp, "BillingMode", "PAY_PER_REQUEST", "ProvisionedThroughput", nil,
		"GlobalSecondaryIndexes", []any{map[string]any{"IndexName": "byG2", "KeySchema": []any{map[string]any{"AttributeName": "g", "KeyType": "HASH"}}, "Projection": map[string]any{"ProjectionType": "ALL"}}},
		"StreamSpecification", map[string]any{"StreamViewType": "KEYS_ONLY"}, "TimeToLiveSpecification", nil,
		"Tags", []any{map[string]any{"Key": "k2", "Value": "v2"}})
	res = rig.update(t, typ, "Table", res, tp, next)
	d, err = dc.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	tb = d.Table
	if tb.BillingModeSummary == nil || tb.BillingModeSummary.BillingMode != "PAY_PER_REQUEST" || len(tb.GlobalSecondaryIndexes) != 1 ||
		aws.ToString(tb.GlobalSecondaryIndexes[0].IndexName) != "byG2" || tb.StreamSpecification.StreamViewType != "KEYS_ONLY" {
		t.Errorf("table after update %+v", tb)
	}
	if res.Attrs["StreamArn"] != aws.ToString(tb.LatestStreamArn) {
		t.Errorf("StreamArn %v after stream change, table says %s", res.Attrs["StreamArn"], aws.ToString(tb.LatestStreamArn))
	}
	if ttl, err := dc.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)}); err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != "DISABLED" {
		t.Errorf("ttl after update %+v %v", ttl, err)
	}
	tags, err := dc.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: tb.TableArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "k2" {
		t.Errorf("tags after update %+v %v", tags, err)
	}
	cfnWantReplaces(t, typ, tp, cfnWith(tp, "TableName", "x"), true)
	cfnWantReplaces(t, typ, tp, cfnWith(tp, "KeySchema", []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}}), true)
	cfnWantReplaces(t, typ, tp, cfnWith(tp, "LocalSecondaryIndexes", nil), true)
	cfnWantReplaces(t, typ, tp, next, false)

	rig.deleteTwice(t, typ, "Table", res, func() error {
		_, err := dc.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		return cfnGone(err, "ResourceNotFoundException")
	})
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("Bad"), cfnWith(tp, "TableName", "bad", "AttributeDefinitions", nil))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("table without attribute definitions: %v", err)
	}
}

func testCFNEvents(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	ec := eventbridge.New(eventbridge.Options{BaseEndpoint: aws.String(rig.ts.URL), Region: "us-east-1", Credentials: e2eCreds()})
	for _, n := range []string{"cfn-rule-a", "cfn-rule-b"} {
		if _, err := rig.ts.sqsClient().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	const typ = "AWS::Events::Rule"
	rp := cfnProps(t, `{"EventPattern":{"source":["app.orders"],"detail-type":["created"]},"Description":"orders",
		"Targets":[{"Id":"a","Arn":"arn:aws:sqs:us-east-1:000000000000:cfn-rule-a","InputPath":"$.detail"}]}`)
	res := rig.create(t, typ, "Rule", rp)
	name := res.PhysicalID
	if !strings.HasPrefix(name, "cfnres-Rule-") || res.Attrs["Arn"] != "arn:aws:events:us-east-1:000000000000:rule/"+name {
		t.Errorf("rule %+v", res)
	}
	r, err := ec.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
	if err != nil || !strings.Contains(aws.ToString(r.EventPattern), "app.orders") || r.State != "ENABLED" {
		t.Fatalf("rule %+v %v", r, err)
	}
	targets := func() []string {
		out, err := ec.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tg := range out.Targets {
			ids = append(ids, aws.ToString(tg.Id)+"="+aws.ToString(tg.Arn))
		}
		return ids
	}
	if ids := targets(); len(ids) != 1 || ids[0] != "a=arn:aws:sqs:us-east-1:000000000000:cfn-rule-a" {
		t.Errorf("targets %v", ids)
	}
	next := cfnWith(rp, "State", "DISABLED", "Targets", []any{map[string]any{"Id": "b", "Arn": "arn:aws:sqs:us-east-1:000000000000:cfn-rule-b"}})
	res = rig.update(t, typ, "Rule", res, rp, next)
	if r, err := ec.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)}); err != nil || r.State != "DISABLED" {
		t.Errorf("rule after update %+v %v", r, err)
	}
	if ids := targets(); len(ids) != 1 || ids[0] != "b=arn:aws:sqs:us-east-1:000000000000:cfn-rule-b" {
		t.Errorf("targets after update %v", ids)
	}
	cfnWantReplaces(t, typ, rp, cfnWith(rp, "Name", "x"), true)
	cfnWantReplaces(t, typ, rp, cfnWith(rp, "EventBusName", "other"), true)
	cfnWantReplaces(t, typ, rp, next, false)
	rig.deleteTwice(t, typ, "Rule", res, func() error {
		_, err := ec.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
		return cfnGone(err, "ResourceNotFoundException")
	})

	sched := rig.create(t, typ, "Tick", cfnProps(t, `{"Name":"cfn-tick","ScheduleExpression":"rate(5 minutes)"}`))
	if r, err := ec.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("cfn-tick")}); err != nil || aws.ToString(r.ScheduleExpression) != "rate(5 minutes)" {
		t.Errorf("schedule rule %+v %v", r, err)
	}
	rig.deleteTwice(t, typ, "Tick", sched, func() error {
		_, err := ec.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("cfn-tick")})
		return cfnGone(err, "ResourceNotFoundException")
	})
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("Bad"), cfnProps(t, `{"Name":"cfn-bad","ScheduleExpression":"every tuesday"}`))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("bad schedule expression: %v", err)
	}
}

func testCFNScheduler(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	sc := scheduler.New(scheduler.Options{BaseEndpoint: aws.String(rig.ts.URL), Region: "us-east-1", Credentials: e2eCreds()})
	if _, err := rig.ts.sqsClient().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cfn-sched")}); err != nil {
		t.Fatal(err)
	}
	const typ = "AWS::Scheduler::Schedule"
	sp := cfnProps(t, `{"ScheduleExpression":"rate(1 hour)","FlexibleTimeWindow":{"Mode":"OFF"},
		"Target":{"Arn":"arn:aws:sqs:us-east-1:000000000000:cfn-sched","RoleArn":"arn:aws:iam::000000000000:role/sched","Input":"{\"n\":1}"}}`)
	res := rig.create(t, typ, "Sched", sp)
	name := res.PhysicalID
	if !strings.HasPrefix(name, "cfnres-Sched-") || res.Attrs["Arn"] != "arn:aws:scheduler:us-east-1:000000000000:schedule/default/"+name {
		t.Errorf("schedule %+v", res)
	}
	got, err := sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)})
	if err != nil || aws.ToString(got.ScheduleExpression) != "rate(1 hour)" || aws.ToString(got.Target.Input) != `{"n":1}` {
		t.Fatalf("schedule %+v %v", got, err)
	}
	next := cfnWith(sp, "ScheduleExpression", "rate(2 hours)", "State", "DISABLED", "FlexibleTimeWindow", map[string]any{"Mode": "FLEXIBLE", "MaximumWindowInMinutes": "10"})
	res = rig.update(t, typ, "Sched", res, sp, next)
	got, err = sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)})
	if err != nil || aws.ToString(got.ScheduleExpression) != "rate(2 hours)" || got.State != "DISABLED" || aws.ToInt32(got.FlexibleTimeWindow.MaximumWindowInMinutes) != 10 {
		t.Errorf("schedule after update %+v %v", got, err)
	}
	cfnWantReplaces(t, typ, sp, cfnWith(sp, "Name", "x"), true)
	cfnWantReplaces(t, typ, sp, cfnWith(sp, "GroupName", "g"), true)
	cfnWantReplaces(t, typ, sp, next, false)
	rig.deleteTwice(t, typ, "Sched", res, func() error {
		_, err := sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)})
		return cfnGone(err, "ResourceNotFoundException")
	})
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("Bad"), cfnWith(sp, "ScheduleExpression", "sometimes"))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("bad schedule expression: %v", err)
	}
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("NoTarget"), cfnWith(sp, "Target", nil))
	if err == nil || !strings.Contains(err.Error(), "required key [Target] not found") {
		t.Errorf("schedule without target: %v", err)
	}
}

func testCFNHttpAPI(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	ac := rig.ts.apigwv2Client()
	out, err := rig.ts.lambdaClient().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("cfn-http"), Runtime: lambdatypes.RuntimeNodejs20x, Handler: aws.String("index.handler"), Role: aws.String(testRole),
		Code: &lambdatypes.FunctionCode{ZipFile: cfnZip(t, "index.js", `exports.handler = async (e) => ({statusCode: 200, body: "hi " + e.routeKey});`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + aws.ToString(out.FunctionArn) + "/invocations"
	integ := map[string]any{"type": "aws_proxy", "httpMethod": "POST", "uri": uri, "payloadFormatVersion": "2.0"}
	body := map[string]any{"openapi": "3.0.1", "info": map[string]any{"title": "cfn-http-api", "version": "1"},
		"paths": map[string]any{
			"/hello":   map[string]any{"get": map[string]any{"x-amazon-apigateway-integration": integ}},
			"$default": map[string]any{"x-amazon-apigateway-any-method": map[string]any{"isDefaultRoute": true, "x-amazon-apigateway-integration": integ}},
		}}
	const typ = "AWS::ApiGatewayV2::Api"
	ap := map[string]any{"Body": body}
	res := rig.create(t, typ, "Api", ap)
	id := res.PhysicalID
	api, err := ac.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)})
	if err != nil || aws.ToString(api.Name) != "cfn-http-api" || res.Attrs["ApiEndpoint"] != aws.ToString(api.ApiEndpoint) || res.Attrs["ApiId"] != id {
		t.Fatalf("api %+v attrs %v: %v", api, res.Attrs, err)
	}
	routeKeys := func() []string {
		rs, err := ac.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range rs.Items {
			keys = append(keys, aws.ToString(r.RouteKey))
		}
		slices.Sort(keys)
		return keys
	}
	if keys := routeKeys(); !slices.Equal(keys, []string{"$default", "GET /hello"}) {
		t.Errorf("imported routes %v", keys)
	}
	stp := map[string]any{"ApiId": id, "StageName": "$default", "AutoDeploy": "true"}
	stage := rig.create(t, "AWS::ApiGatewayV2::Stage", "Stage", stp)
	if r := rig.ts.call(t, "GET", id+".execute-api.localhost", "/hello", nil, nil); r.Status != 200 || string(r.Body) != "hi GET /hello" {
		t.Errorf("GET /hello through the imported API: %d %s", r.Status, r.Body)
	}

	// A new document replaces the routes, as ReimportApi does.
	body2 := cfnWith(body)
	body2["paths"] = map[string]any{"/bye": map[string]any{"post": map[string]any{"x-amazon-apigateway-integration": integ}}}
	ap2 := map[string]any{"Body": body2, "Description": "second"}
	res = rig.update(t, typ, "Api", res, ap, ap2)
	if keys := routeKeys(); !slices.Equal(keys, []string{"POST /bye"}) {
		t.Errorf("routes after reimport %v", keys)
	}
	if api, err := ac.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)}); err != nil || aws.ToString(api.Description) != "second" {
		t.Errorf("api after update %+v %v", api, err)
	}
	cfnWantReplaces(t, typ, ap, cfnWith(ap, "ProtocolType", "WEBSOCKET"), true)
	cfnWantReplaces(t, typ, ap, ap2, false)

	stage = rig.update(t, "AWS::ApiGatewayV2::Stage", "Stage", stage, stp, cfnWith(stp, "StageVariables", map[string]any{"color": "blue"}))
	if st, err := ac.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(id), StageName: aws.String("$default")}); err != nil || st.StageVariables["color"] != "blue" {
		t.Errorf("stage after update %+v %v", st, err)
	}
	cfnWantReplaces(t, "AWS::ApiGatewayV2::Stage", stp, cfnWith(stp, "StageName", "prod"), true)
	cfnWantReplaces(t, "AWS::ApiGatewayV2::Stage", stp, cfnWith(stp, "AutoDeploy", false), false)

	ip := map[string]any{"ApiId": id, "IntegrationType": "AWS_PROXY", "IntegrationUri": aws.ToString(out.FunctionArn), "PayloadFormatVersion": "1.0"}
	ires := rig.create(t, "AWS::ApiGatewayV2::Integration", "Integ", ip)
	ires = rig.update(t, "AWS::ApiGatewayV2::Integration", "Integ", ires, ip, cfnWith(ip, "TimeoutInMillis", "5000"))
	if gi, err := ac.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: aws.String(id), IntegrationId: aws.String(ires.PhysicalID)}); err != nil || aws.ToInt32(gi.TimeoutInMillis) != 5000 {
		t.Errorf("integration after update %+v %v", gi, err)
	}
	cfnWantReplaces(t, "AWS::ApiGatewayV2::Integration", ip, cfnWith(ip, "ApiId", "other"), true)
	cfnWantReplaces(t, "AWS::ApiGatewayV2::Integration", ip, cfnWith(ip, "TimeoutInMillis", 100.0), false)

	rp := map[string]any{"ApiId": id, "RouteKey": "GET /items", "Target": "integrations/" + ires.PhysicalID}
	rres := rig.create(t, "AWS::ApiGatewayV2::Route", "Route", rp)
	rres = rig.update(t, "AWS::ApiGatewayV2::Route", "Route", rres, rp, cfnWith(rp, "RouteKey", "GET /things"))
	if keys := routeKeys(); !slices.Contains(keys, "GET /things") || slices.Contains(keys, "GET /items") {
		t.Errorf("routes after route update %v", keys)
	}
	cfnWantReplaces(t, "AWS::ApiGatewayV2::Route", rp, cfnWith(rp, "ApiId", "other"), true)
	cfnWantReplaces(t, "AWS::ApiGatewayV2::Route", rp, cfnWith(rp, "RouteKey", "GET /x"), false)
	_, err = cfnProvider(t, "AWS::ApiGatewayV2::Route").Create(ctx, rig.env("BadRoute"), cfnWith(rp, "Target", "integrations/nope"))
	if ae := apiError(t, err, "BadRequestException"); !strings.Contains(ae.ErrorMessage(), "integrations/nope") {
		t.Errorf("bad target message %q", ae.ErrorMessage())
	}

	rig.deleteTwice(t, "AWS::ApiGatewayV2::Route", "Route", rres, func() error {
		_, err := ac.GetRoute(ctx, &apigatewayv2.GetRouteInput{ApiId: aws.String(id), RouteId: aws.String(rres.PhysicalID)})
		return cfnGone(err, "NotFoundException")
	})
	rig.deleteTwice(t, "AWS::ApiGatewayV2::Integration", "Integ", ires, func() error {
		_, err := ac.GetIntegration(ctx, &apigatewayv2.GetIntegrationInput{ApiId: aws.String(id), IntegrationId: aws.String(ires.PhysicalID)})
		return cfnGone(err, "NotFoundException")
	})
	rig.deleteTwice(t, "AWS::ApiGatewayV2::Stage", "Stage", stage, func() error {
		_, err := ac.GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: aws.String(id), StageName: aws.String("$default")})
		return cfnGone(err, "NotFoundException")
	})
	rig.deleteTwice(t, typ, "Api", res, func() error {
		_, err := ac.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(id)})
		return cfnGone(err, "NotFoundException")
	})

	// A document in S3, where `aws cloudformation package` puts a DefinitionUri.
	sc := s3.New(s3.Options{BaseEndpoint: aws.String(rig.ts.URL), Region: "us-east-1", Credentials: e2eCreds(), UsePathStyle: true})
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cfn-openapi")}); err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(body)
	if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfn-openapi"), Key: aws.String("api.json"), Body: bytes.NewReader(doc)}); err != nil {
		t.Fatal(err)
	}
	fromS3 := rig.create(t, typ, "FromS3", map[string]any{"BodyS3Location": map[string]any{"Bucket": "cfn-openapi", "Key": "api.json"}})
	if rs, err := ac.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(fromS3.PhysicalID)}); err != nil || len(rs.Items) != 2 {
		t.Errorf("routes of the API from S3: %+v %v", rs, err)
	}
	rig.deleteTwice(t, typ, "FromS3", fromS3, func() error {
		_, err := ac.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(fromS3.PhysicalID)})
		return cfnGone(err, "NotFoundException")
	})
	_, err = cfnProvider(t, typ).Create(ctx, rig.env("BadBody"), map[string]any{"Body": "paths: [unclosed"})
	if err == nil || !strings.HasPrefix(err.Error(), "Unable to parse the OpenAPI definition") {
		t.Errorf("unparsable body: %v", err)
	}

	quick := rig.create(t, typ, "Quick", map[string]any{"Name": "cfn-quick", "ProtocolType": "HTTP", "Target": aws.ToString(out.FunctionArn)})
	if r := rig.ts.call(t, "GET", quick.PhysicalID+".execute-api.localhost", "/anything", nil, nil); r.Status != 200 || string(r.Body) != "hi $default" {
		t.Errorf("quick-created API: %d %s", r.Status, r.Body)
	}
	rig.deleteTwice(t, typ, "Quick", quick, func() error {
		_, err := ac.GetApi(ctx, &apigatewayv2.GetApiInput{ApiId: aws.String(quick.PhysicalID)})
		return cfnGone(err, "NotFoundException")
	})
}

func testCFNRestAPI(t *testing.T, rig *cfnRig) {
	ctx := context.Background()
	gc := rig.ts.apigwClient()
	out, err := rig.ts.lambdaClient().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("cfn-rest"), Runtime: lambdatypes.RuntimeNodejs20x, Handler: aws.String("index.handler"), Role: aws.String(testRole),
		Code: &lambdatypes.FunctionCode{ZipFile: cfnZip(t, "index.js", `exports.handler = async (e) => ({statusCode: 200, body: e.httpMethod + " " + e.resource});`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	uri := "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + aws.ToString(out.FunctionArn) + "/invocations"
	integ := map[string]any{"type": "aws_proxy", "httpMethod": "POST", "uri": uri}
	body := map[string]any{"swagger": "2.0", "info": map[string]any{"title": "cfn-rest-api"},
		"paths": map[string]any{"/items/{id}": map[string]any{"get": map[string]any{"x-amazon-apigateway-integration": integ}}}}
	const typ = "AWS::ApiGateway::RestApi"
	ap := map[string]any{"Body": body}
	res := rig.create(t, typ, "Rest", ap)
	id := res.PhysicalID
	api, err := gc.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(id)})
	if err != nil || aws.ToString(api.Name) != "cfn-rest-api" || res.Attrs["RootResourceId"] != aws.ToString(api.RootResourceId) {
		t.Fatalf("rest api %+v attrs %v: %v", api, res.Attrs, err)
	}
	paths := func() []string {
		rs, err := gc.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		var ps []string
		for _, r := range rs.Items {
			for m := range r.ResourceMethods {
				ps = append(ps, m+" "+aws.ToString(r.Path))
			}
		}
		slices.Sort(ps)
		return ps
	}
	if ps := paths(); !slices.Equal(ps, []string{"GET /items/{id}"}) {
		t.Errorf("imported methods %v", ps)
	}
	dp := map[string]any{"RestApiId": id, "StageName": "prod"}
	dep := rig.create(t, "AWS::ApiGateway::Deployment", "Dep", dp)
	host := id + ".execute-api.localhost"
	if r := rig.ts.call(t, "GET", host, "/prod/items/42", nil, nil); r.Status != 200 || string(r.Body) != "GET /items/{id}" {
		t.Errorf("GET /prod/items/42: %d %s", r.Status, r.Body)
	}
	cfnWantReplaces(t, "AWS::ApiGateway::Deployment", dp, cfnWith(dp, "Description", "again"), true)

	// A document in YAML, as a DefinitionBody string often is.
	ap2 := map[string]any{"Body": "swagger: '2.0'\ninfo:\n  title: cfn-rest-api\npaths:\n  /things:\n    x-amazon-apigateway-any-method:\n" +
		"      x-amazon-apigateway-integration:\n        type: aws_proxy\n        httpMethod: POST\n        uri: " + uri + "\n"}
	res = rig.update(t, typ, "Rest", res, ap, ap2)
	if ps := paths(); !slices.Equal(ps, []string{"ANY /things"}) {
		t.Errorf("methods after reimport %v", ps)
	}
	cfnWantReplaces(t, typ, ap, ap2, false)
	if _, err := cfnProvider(t, typ).Update(ctx, rig.env("Rest"), res, ap2, cfnWith(ap2, "Description", "x")); err == nil {
		t.Error("a Description change went through though the service cannot make it")
	}

	st := map[string]any{"RestApiId": id, "StageName": "live", "DeploymentId": dep.PhysicalID, "Variables": map[string]any{"v": "1"}}
	sres := rig.create(t, "AWS::ApiGateway::Stage", "Stage", st)
	sres = rig.update(t, "AWS::ApiGateway::Stage", "Stage", sres, st, cfnWith(st, "Variables", map[string]any{"v": "2"}))
	if gs, err := gc.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(id), StageName: aws.String("live")}); err != nil || gs.Variables["v"] != "2" {
		t.Errorf("stage after update %+v %v", gs, err)
	}
	cfnWantReplaces(t, "AWS::ApiGateway::Stage", st, cfnWith(st, "StageName", "other"), true)
	cfnWantReplaces(t, "AWS::ApiGateway::Stage", st, cfnWith(st, "Description", "d"), false)

	rr := map[string]any{"RestApiId": id, "ParentId": res.Attrs["RootResourceId"], "PathPart": "orders"}
	rres := rig.create(t, "AWS::ApiGateway::Resource", "Orders", rr)
	cfnWantReplaces(t, "AWS::ApiGateway::Resource", rr, cfnWith(rr, "PathPart", "other"), true)
	mp := map[string]any{"RestApiId": id, "ResourceId": rres.PhysicalID, "HttpMethod": "POST", "AuthorizationType": "NONE",
		"Integration": map[string]any{"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Uri": uri}}
	mres := rig.create(t, "AWS::ApiGateway::Method", "Post", mp)
	mres = rig.update(t, "AWS::ApiGateway::Method", "Post", mres, mp, cfnWith(mp, "HttpMethod", "PUT"))
	if ps := paths(); !slices.Equal(ps, []string{"ANY /things", "PUT /orders"}) {
		t.Errorf("methods after method update %v", ps)
	}
	cfnWantReplaces(t, "AWS::ApiGateway::Method", mp, cfnWith(mp, "ResourceId", "x"), true)
	cfnWantReplaces(t, "AWS::ApiGateway::Method", mp, cfnWith(mp, "HttpMethod", "GET"), false)
	_, err = cfnProvider(t, "AWS::ApiGateway::Method").Create(ctx, rig.env("Bad"), cfnWith(mp, "AuthorizationType", "BOGUS"))
	if ae := apiError(t, err, "BadRequestException"); ae.ErrorMessage() != "Invalid authorization type specified" {
		t.Errorf("bad authorization type message %q", ae.ErrorMessage())
	}

	rig.deleteTwice(t, "AWS::ApiGateway::Method", "Post", mres, func() error {
		_, err := gc.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(id), ResourceId: aws.String(rres.PhysicalID), HttpMethod: aws.String("PUT")})
		return cfnGone(err, "NotFoundException")
	})
	rig.deleteTwice(t, "AWS::ApiGateway::Resource", "Orders", rres, func() error {
		_, err := gc.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: aws.String(id), ResourceId: aws.String(rres.PhysicalID)})
		return cfnGone(err, "NotFoundException")
	})
	rig.deleteTwice(t, "AWS::ApiGateway::Stage", "Stage", sres, func() error {
		_, err := gc.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(id), StageName: aws.String("live")})
		return cfnGone(err, "NotFoundException")
	})
	rig.deleteTwice(t, "AWS::ApiGateway::Deployment", "Dep", dep, func() error {
		_, err := gc.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(id), StageName: aws.String("prod")})
		return cfnGone(err, "NotFoundException")
	})
	rig.deleteTwice(t, typ, "Rest", res, func() error {
		_, err := gc.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(id)})
		return cfnGone(err, "NotFoundException")
	})
}
