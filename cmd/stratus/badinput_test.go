package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// apiResult is what a failed call answered: the HTTP status, the error code (the
// X-Amzn-ErrorType header, or the SDK's ErrorCode) and the message.
type apiResult struct {
	status  int
	code    string
	message string
}

// badCase is one bad request and the AWS error it must get. msg is the exact
// message when AWS's is known (or the pattern AWS follows); prefix/suffix pin the
// stable parts of messages that are partly this server's own.
type badCase struct {
	name   string
	call   func(t *testing.T) apiResult
	status int
	code   string
	msg    string
	prefix string
	suffix string
}

const (
	badArn = "arn:aws:lambda:us-east-1:000000000000:function:"
	// The FunctionName patterns AWS reports (LocalStack snapshots of AWS, 2024):
	// CreateFunction's has no dot in the name, the other operations' do.
	createNamePattern = `Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	namePattern       = `Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	unzipMsg          = "Could not unzip uploaded file. Please check your file, then try to upload again."
	revisionMsg       = "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
	staleRevision     = "00000000-0000-0000-0000-000000000000"
)

func validation(value, field, constraint string) string {
	return "1 validation error detected: Value '" + value + "' at '" + field + "' failed to satisfy constraint: " + constraint
}

func notNull(field string) string {
	return "1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null"
}

// sdkCall runs an SDK call that must fail and returns what the server answered.
func sdkCall(f func(ctx context.Context) error) func(t *testing.T) apiResult {
	return func(t *testing.T) apiResult {
		t.Helper()
		err := f(context.Background())
		if err == nil {
			t.Fatal("call succeeded, want an error")
		}
		var ae smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &ae) || !errors.As(err, &re) {
			t.Fatalf("not an API error from the server: %v", err)
		}
		return apiResult{status: re.HTTPStatusCode(), code: ae.ErrorCode(), message: ae.ErrorMessage()}
	}
}

// rawCall sends an unsigned request (the server takes any credentials by default),
// for bad input the SDK refuses to send. The error must be AWS-shaped: JSON body
// {"Type":"User","Message":...} and the code in X-Amzn-ErrorType.
func rawCall(ts *testServer, method, path string, body []byte, header ...string) func(t *testing.T) apiResult {
	return func(t *testing.T) apiResult {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct{ Type, Message string }
		if err := json.Unmarshal(b, &e); err != nil || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("not an AWS-shaped error (status %d, %s): %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		if e.Type != "User" || resp.Header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("error body Type %q, request id %q", e.Type, resp.Header.Get("X-Amzn-Requestid"))
		}
		return apiResult{status: resp.StatusCode, code: resp.Header.Get("X-Amzn-ErrorType"), message: e.Message}
	}
}

// clip shortens a message for a test log.
func clip(s string) string {
	if len(s) > 400 {
		return s[:200] + "..." + s[len(s)-200:]
	}
	return s
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// tinyZip zips files given as name, content pairs.
func tinyZip(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[i+1]) //nolint:errcheck
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// symlinkZip returns a zip holding one symlink name → target, as `zip -y` stores it.
func symlinkZip(t *testing.T, name, target string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name}
	h.SetMode(os.ModeSymlink | 0o777)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, target) //nolint:errcheck
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zerosZip returns a zip of one file of n zero bytes: tiny compressed, huge unpacked.
func zerosZip(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for i := 0; i < n>>20; i++ {
		w.Write(zeros) //nolint:errcheck
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// serverState is everything a bad request could have changed, as one string.
func serverState(t *testing.T, c *lambda.Client, name string) string {
	t.Helper()
	ctx := context.Background()
	fn, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetFunction %s: %v", name, err)
	}
	conc, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range list.Functions {
		names = append(names, aws.ToString(f.FunctionName))
	}
	sort.Strings(names)
	acct, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"configuration": fn.Configuration, "tags": fn.Tags, "concurrency": fn.Concurrency,
		"reserved": conc.ReservedConcurrentExecutions, "functions": names,
		"count": acct.AccountUsage.FunctionCount, "codeSize": acct.AccountUsage.TotalCodeSize,
		"unreserved": acct.AccountLimit.UnreservedConcurrentExecutions,
	})
	return string(b)
}

// TestBadInput sends bad input to every Lambda operation of one server: each gets
// the AWS error (status, code, message), changes nothing, and the server keeps
// working. Messages marked "AWS" were recorded from AWS (LocalStack's snapshots,
// AWS docs); the others follow AWS's validation pattern or are this server's own.
func TestBadInput(t *testing.T) {
	start := time.Now()
	ts := startServer(t, "")
	c := ts.lambdaClient()
	const fn = "victim"
	created := createFn(t, c, fn, "echo", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"KEEP": "me"}}
		in.Tags = map[string]string{"team": "stratus"}
	})
	rev := aws.ToString(created.RevisionId)
	ctx := context.Background()
	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(fn), ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	before := serverState(t, c, fn)

	goodZip := tinyZip(t, "bootstrap", "#!/bin/sh\n")
	notZip := []byte("this is not a zip file")
	corruptZip := goodZip[:len(goodZip)-10] // end of central directory cut off
	escapeZip := tinyZip(t, "../escape", "x")
	absZip := tinyZip(t, "/etc/escape", "x")
	linkZip := symlinkZip(t, "passwd", "/etc/passwd")
	bombZip := zerosZip(t, 300<<20) // 300 MB of zeros in a few hundred KB
	longName := strings.Repeat("a", 65)
	longArn := badArn + strings.Repeat("a", 140-len(badArn)+1)
	bigEnv := map[string]string{"BIG": strings.Repeat("x", 4100)}
	create := func(mod func(in *lambda.CreateFunctionInput)) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.CreateFunctionInput{
				FunctionName: aws.String("newfn"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("echo"),
				Role: aws.String(testRole), Code: &types.FunctionCode{ZipFile: goodZip},
			}
			mod(in)
			_, err := c.CreateFunction(ctx, in)
			return err
		})
	}
	updateConfig := func(mod func(in *lambda.UpdateFunctionConfigurationInput)) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn)}
			mod(in)
			_, err := c.UpdateFunctionConfiguration(ctx, in)
			return err
		})
	}
	updateCode := func(zipFile []byte, mod ...func(in *lambda.UpdateFunctionCodeInput)) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: zipFile}
			for _, m := range mod {
				m(in)
			}
			_, err := c.UpdateFunctionCode(ctx, in)
			return err
		})
	}
	invoke := func(mod func(in *lambda.InvokeInput)) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(`{}`)}
			mod(in)
			_, err := c.Invoke(ctx, in)
			return err
		})
	}
	getFn := func(name string, qualifier *string) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: qualifier})
			return err
		})
	}
	putConc := func(name string, n int32) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			_, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(n)})
			return err
		})
	}
	tag := func(resource string, tags map[string]string) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(resource), Tags: tags})
			return err
		})
	}
	manyTags := map[string]string{}
	for i := 0; i < 51; i++ {
		manyTags[strings.Repeat("k", i+1)] = "v"
	}
	createBody := func(drop string) []byte {
		m := map[string]any{"FunctionName": "newfn", "Runtime": "provided.al2023", "Handler": "echo", "Role": testRole,
			"Code": map[string]any{"ZipFile": goodZip}}
		delete(m, drop)
		return jsonBody(m)
	}
	ccJSON := base64.StdEncoding.EncodeToString([]byte(`{"custom":{}}`))

	cases := []badCase{
		// CreateFunction: required members (the SDK checks these, so raw HTTP).
		{name: "create/no FunctionName", call: rawCall(ts, "POST", "/2015-03-31/functions", createBody("FunctionName")),
			status: 400, code: "ValidationException", msg: notNull("functionName")},
		{name: "create/no Role", call: rawCall(ts, "POST", "/2015-03-31/functions", createBody("Role")),
			status: 400, code: "ValidationException", msg: notNull("role")},
		{name: "create/no Code", call: rawCall(ts, "POST", "/2015-03-31/functions", createBody("Code")),
			status: 400, code: "ValidationException", msg: notNull("code")},
		{name: "create/no Runtime", call: rawCall(ts, "POST", "/2015-03-31/functions", createBody("Runtime")), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "Runtime and Handler are mandatory parameters for functions created with deployment packages."},
		{name: "create/empty Code", call: create(func(in *lambda.CreateFunctionInput) { in.Code = &types.FunctionCode{} }),
			status: 400, code: "InvalidParameterValueException", msg: "Please provide a source for function code."},
		// Numbers out of range.
		{name: "create/MemorySize 127", call: create(func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(127) }),
			status: 400, code: "ValidationException", msg: validation("127", "memorySize", "Member must have value greater than or equal to 128")},
		{name: "create/MemorySize 10241", call: create(func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(10241) }), // AWS
			status: 400, code: "ValidationException", msg: validation("10241", "memorySize", "Member must have value less than or equal to 10240")},
		{name: "create/Timeout 0", call: create(func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(0) }),
			status: 400, code: "ValidationException", msg: validation("0", "timeout", "Member must have value greater than or equal to 1")},
		{name: "create/Timeout 901", call: create(func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) }), // AWS
			status: 400, code: "ValidationException", msg: validation("901", "timeout", "Member must have value less than or equal to 900")},
		{name: "create/EphemeralStorage 511", call: create(func(in *lambda.CreateFunctionInput) {
			in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(511)}
		}), status: 400, code: "ValidationException", msg: validation("511", "ephemeralStorage.size", "Member must have value greater than or equal to 512")},
		{name: "create/EphemeralStorage 10241", call: create(func(in *lambda.CreateFunctionInput) {
			in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(10241)}
		}), status: 400, code: "ValidationException", msg: validation("10241", "ephemeralStorage.size", "Member must have value less than or equal to 10240")},
		// Names and ARNs.
		{name: "create/name too long", call: create(func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String(longName) }), // AWS
			status: 400, code: "InvalidParameterValueException", msg: validation(longName, "functionName", "Member must have length less than or equal to 64")},
		{name: "create/ARN too long", call: create(func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String(longArn) }), // AWS
			status: 400, code: "ValidationException", msg: validation(longArn, "functionName", "Member must have length less than or equal to 140")},
		{name: "create/bad chars", call: create(func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("invalid:function:name") }), // AWS
			status: 400, code: "ValidationException", msg: validation("invalid:function:name", "functionName", createNamePattern)},
		{name: "create/dot in name", call: create(func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("my.fn") }),
			status: 400, code: "ValidationException", msg: validation("my.fn", "functionName", createNamePattern)},
		{name: "create/other region", call: create(func(in *lambda.CreateFunctionInput) { // AWS
			in.FunctionName = aws.String("arn:aws:lambda:ap-southeast-1:000000000000:function:newfn")
		}), status: 404, code: "ResourceNotFoundException", msg: "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')"},
		{name: "create/other account", call: create(func(in *lambda.CreateFunctionInput) { // AWS: code and status; AWS sends no message
			in.FunctionName = aws.String("arn:aws:lambda:us-east-1:111111111111:function:newfn")
		}), status: 403, code: "AccessDeniedException"},
		{name: "create/duplicate", call: create(func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String(fn) }), // AWS
			status: 409, code: "ResourceConflictException", msg: "Function already exist: " + fn},
		// Enums, roles, handlers.
		{name: "create/unknown runtime", call: create(func(in *lambda.CreateFunctionInput) { in.Runtime = "non-existent-runtime" }), // AWS
			status: 400, code: "InvalidParameterValueException",
			prefix: "Value non-existent-runtime at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [", suffix: "] or be a valid ARN"},
		{name: "create/uppercase runtime", call: create(func(in *lambda.CreateFunctionInput) { in.Runtime = "PYTHON3.9" }), // AWS
			status: 400, code: "InvalidParameterValueException", prefix: "Value PYTHON3.9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["},
		{name: "create/deprecated runtime", call: create(func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimePython37 }), // AWS (the recommended runtime changes over time)
			status: 400, code: "InvalidParameterValueException",
			msg: "The runtime parameter of python3.7 is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (python3.13) while creating or updating functions."},
		{name: "create/runtime this server lacks", call: create(func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimeDotnet8 }),
			status: 400, code: "InvalidParameterValueException", prefix: "The runtime dotnet8 is not available on this Stratus server"},
		{name: "create/bad role", call: create(func(in *lambda.CreateFunctionInput) { in.Role = aws.String("r1") }), // AWS
			status: 400, code: "ValidationException",
			msg: validation("r1", "role", `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`)},
		{name: "create/handler with space", call: create(func(in *lambda.CreateFunctionInput) { in.Handler = aws.String("a b") }),
			status: 400, code: "ValidationException", msg: validation("a b", "handler", `Member must satisfy regular expression pattern: [^\s]+`)},
		{name: "create/two architectures", call: create(func(in *lambda.CreateFunctionInput) { // AWS
			in.Architectures = []types.Architecture{types.ArchitectureX8664, types.ArchitectureArm64}
		}), status: 400, code: "ValidationException", msg: validation("[x86_64, arm64]", "architectures", "Member must have length less than or equal to 1")},
		{name: "create/uppercase architecture", call: create(func(in *lambda.CreateFunctionInput) { in.Architectures = []types.Architecture{"X86_64"} }), // AWS
			status: 400, code: "ValidationException",
			msg: validation("[X86_64]", "architectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")},
		{name: "create/tracing mode", call: create(func(in *lambda.CreateFunctionInput) { in.TracingConfig = &types.TracingConfig{Mode: "Sometimes"} }),
			status: 400, code: "ValidationException", msg: validation("Sometimes", "tracingConfig.mode", "Member must satisfy enum value set: [Active, PassThrough]")},
		{name: "create/package type", call: create(func(in *lambda.CreateFunctionInput) { in.PackageType = "Jar" }),
			status: 400, code: "ValidationException", msg: validation("Jar", "packageType", "Member must satisfy enum value set: [Image, Zip]")},
		// Environment.
		{name: "create/reserved env key", call: create(func(in *lambda.CreateFunctionInput) { // AWS
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "eu-west-1"}}
		}), status: 400, code: "InvalidParameterValueException",
			msg: "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION"},
		{name: "create/env over 4KB", call: create(func(in *lambda.CreateFunctionInput) { in.Environment = &types.Environment{Variables: bigEnv} }), // AWS
			status: 400, code: "InvalidParameterValueException",
			msg: `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {"BIG":"` + bigEnv["BIG"] + `"}`},
		{name: "create/env key pattern", call: create(func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"1BAD": "x"}}
		}), status: 400, code: "ValidationException",
			msg: validation("[SENSITIVE]", "environment.variables", "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+ for its keys")},
		// Code packages.
		{name: "create/not a zip", call: create(func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = notZip }), // AWS
			status: 400, code: "InvalidParameterValueException", msg: unzipMsg},
		{name: "create/corrupt zip", call: create(func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = corruptZip }),
			status: 400, code: "InvalidParameterValueException", msg: unzipMsg},
		{name: "create/zip with ../", call: create(func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = escapeZip }),
			status: 400, code: "InvalidParameterValueException", msg: unzipMsg},
		{name: "create/zip with symlink out", call: create(func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = linkZip }),
			status: 400, code: "InvalidParameterValueException", msg: unzipMsg},
		{name: "create/zip bomb", call: create(func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = bombZip }),
			status: 400, code: "InvalidParameterValueException", msg: "Unzipped size must be smaller than 262144000 bytes"},
		{name: "create/zip with absolute path", call: create(func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = absZip }),
			status: 400, code: "InvalidParameterValueException", msg: unzipMsg},
		{name: "create/tag with aws: prefix", call: create(func(in *lambda.CreateFunctionInput) { in.Tags = map[string]string{"aws:x": "y"} }),
			status: 400, code: "InvalidParameterValueException", msg: "Tag keys cannot start with the reserved prefix 'aws:'."},

		// GetFunction / GetFunctionConfiguration / DeleteFunction.
		{name: "get/unknown function", call: getFn("nosuchfn", nil), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuchfn"},
		{name: "get/unknown version", call: getFn(fn+":1221", nil), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + fn + ":1221"},
		{name: "get/other region", call: getFn("arn:aws:lambda:eu-west-1:000000000000:function:"+fn, nil), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
		{name: "get/other account", call: getFn("arn:aws:lambda:us-east-1:111111111111:function:"+fn, nil),
			status: 403, code: "AccessDeniedException"},
		{name: "get/qualifier mismatch", call: getFn(fn+":1", aws.String("2")), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "The derived qualifier from the function name does not match the specified qualifier."},
		{name: "get/bad qualifier", call: getFn(fn, aws.String("bad qual!")), // AWS
			status: 400, code: "ValidationException", msg: validation("bad qual!", "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")},
		{name: "get/ARN too long", call: getFn(badArn+strings.Repeat("a", 171-len(badArn)), nil),
			status: 400, code: "ValidationException", msg: validation(badArn+strings.Repeat("a", 171-len(badArn)), "functionName", "Member must have length less than or equal to 170")},
		{name: "get/escaped slash in name", call: getFn("vic/tim", nil),
			status: 400, code: "ValidationException", msg: validation("vic/tim", "functionName", namePattern)},
		{name: "getconfig/unknown function", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("nosuchfn")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuchfn"},
		{name: "delete/unknown function", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("nosuchfn")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuchfn"},
		{name: "delete/$LATEST", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("$LATEST")})
			return err
		}), status: 400, code: "InvalidParameterValueException", msg: "$LATEST version cannot be deleted without deleting the function."},
		// A version number that does not exist is no error: AWS deletes nothing and
		// answers 204 (measured on the live service, floci PR 2824); see versions tests.
		{name: "delete/alias qualifier", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("nosuch")})
			return err
		}), status: 400, code: "InvalidParameterValueException", msg: "Deletion of aliases is not currently supported."},

		// ListFunctions.
		{name: "list/MaxItems 0", call: sdkCall(func(ctx context.Context) error {
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(0)})
			return err
		}), status: 400, code: "ValidationException", msg: validation("0", "maxItems", "Member must have value greater than or equal to 1")},
		{name: "list/MaxItems 10001", call: sdkCall(func(ctx context.Context) error {
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(10001)})
			return err
		}), status: 400, code: "ValidationException", msg: validation("10001", "maxItems", "Member must have value less than or equal to 10000")},
		{name: "list/bad marker", call: sdkCall(func(ctx context.Context) error {
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: aws.String("not-a-marker!")})
			return err
		}), status: 400, code: "InvalidParameterValueException", msg: "Invalid marker: not-a-marker!"},
		{name: "list/bad FunctionVersion", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: "invalid"})
			return err
		}), status: 400, code: "ValidationException", msg: validation("invalid", "functionVersion", "Member must satisfy enum value set: [ALL]")},
		{name: "list/MaxItems not a number", call: rawCall(ts, "GET", "/2015-03-31/functions?MaxItems=abc", nil),
			status: 400, code: "InvalidRequestContentException"},

		// UpdateFunctionCode.
		{name: "code/unknown function", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("nosuchfn"), ZipFile: goodZip})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuchfn"},
		{name: "code/not a zip", call: updateCode(notZip), status: 400, code: "InvalidParameterValueException", msg: unzipMsg},
		{name: "code/corrupt zip", call: updateCode(corruptZip), status: 400, code: "InvalidParameterValueException", msg: unzipMsg},
		{name: "code/zip with ../", call: updateCode(escapeZip), status: 400, code: "InvalidParameterValueException", msg: unzipMsg},
		{name: "code/stale RevisionId", call: updateCode(goodZip, func(in *lambda.UpdateFunctionCodeInput) { in.RevisionId = aws.String(staleRevision) }), // AWS
			status: 412, code: "PreconditionFailedException", msg: revisionMsg},
		{name: "code/ImageUri on a zip function", call: updateCode(nil, func(in *lambda.UpdateFunctionCodeInput) { // AWS
			in.ImageUri = aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/img:latest")
		}), status: 400, code: "InvalidParameterValueException", msg: "Please don't provide ImageUri when updating a function with packageType Zip."},
		{name: "code/no code", call: updateCode(nil), status: 400, code: "InvalidParameterValueException", msg: "Please provide a source for function code."},
		{name: "code/bad architecture", call: updateCode(goodZip, func(in *lambda.UpdateFunctionCodeInput) { in.Architectures = []types.Architecture{"sparc"} }),
			status: 400, code: "ValidationException",
			msg: validation("[sparc]", "architectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")},

		// UpdateFunctionConfiguration.
		{name: "config/unknown function", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("nosuchfn"), Timeout: aws.Int32(5)})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuchfn"},
		{name: "config/MemorySize 127", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { in.MemorySize = aws.Int32(127) }),
			status: 400, code: "ValidationException", msg: validation("127", "memorySize", "Member must have value greater than or equal to 128")},
		{name: "config/MemorySize 10241", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { in.MemorySize = aws.Int32(10241) }),
			status: 400, code: "ValidationException", msg: validation("10241", "memorySize", "Member must have value less than or equal to 10240")},
		{name: "config/Timeout 0", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { in.Timeout = aws.Int32(0) }),
			status: 400, code: "ValidationException", msg: validation("0", "timeout", "Member must have value greater than or equal to 1")},
		{name: "config/Timeout 901", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { in.Timeout = aws.Int32(901) }),
			status: 400, code: "ValidationException", msg: validation("901", "timeout", "Member must have value less than or equal to 900")},
		{name: "config/EphemeralStorage 10241", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) {
			in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(10241)}
		}), status: 400, code: "ValidationException", msg: validation("10241", "ephemeralStorage.size", "Member must have value less than or equal to 10240")},
		{name: "config/stale RevisionId", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { // AWS
			in.Timeout, in.RevisionId = aws.Int32(9), aws.String(staleRevision)
		}), status: 412, code: "PreconditionFailedException", msg: revisionMsg},
		{name: "config/unknown runtime", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { in.Runtime = "non-existent-runtime" }), // AWS
			status: 400, code: "InvalidParameterValueException",
			prefix: "Value non-existent-runtime at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [", suffix: "] or be a valid ARN"},
		{name: "config/deprecated runtime", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { in.Runtime = types.RuntimeNodejs12x }),
			status: 400, code: "InvalidParameterValueException", prefix: "The runtime parameter of nodejs12.x is no longer supported for creating or updating AWS Lambda functions."},
		{name: "config/bad role", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { in.Role = aws.String("r1") }), // AWS
			status: 400, code: "ValidationException",
			msg: validation("r1", "role", `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`)},
		{name: "config/reserved env key", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) { // AWS
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_ACCESS_KEY_ID": "x"}}
		}), status: 400, code: "InvalidParameterValueException",
			msg: "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_ACCESS_KEY_ID"},
		{name: "config/env over 4KB", call: updateConfig(func(in *lambda.UpdateFunctionConfigurationInput) {
			in.Environment = &types.Environment{Variables: bigEnv}
		}), // AWS
			status: 400, code: "InvalidParameterValueException",
			msg: `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {"BIG":"` + bigEnv["BIG"] + `"}`},
		{name: "config/body over 5120 bytes", call: rawCall(ts, "PUT", "/2015-03-31/functions/"+fn+"/configuration", // AWS (Lambda troubleshooting guide)
			jsonBody(map[string]any{"Description": strings.Repeat("d", 5200)})),
			status: 413, code: "RequestEntityTooLargeException", msg: "Request must be smaller than 5120 bytes for the UpdateFunctionConfiguration operation"},
		{name: "config/MemorySize not a number", call: rawCall(ts, "PUT", "/2015-03-31/functions/"+fn+"/configuration", []byte(`{"MemorySize":"abc"}`)),
			status: 400, code: "InvalidRequestContentException", prefix: "Could not parse request body into json"},

		// Invoke.
		{name: "invoke/unknown function", call: invoke(func(in *lambda.InvokeInput) { in.FunctionName = aws.String("nosuchfn") }), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuchfn"},
		{name: "invoke/name pattern", call: invoke(func(in *lambda.InvokeInput) { // AWS
			in.FunctionName = aws.String("arn:aws:lambda:us-east-1:123400000000@function:myfn")
		}), status: 400, code: "ValidationException", msg: validation("arn:aws:lambda:us-east-1:123400000000@function:myfn", "functionName", namePattern)},
		{name: "invoke/other region", call: invoke(func(in *lambda.InvokeInput) { // AWS
			in.FunctionName = aws.String("arn:aws:lambda:eu-central-1:000000000000:function:" + fn)
		}), status: 404, code: "ResourceNotFoundException", msg: "Functions from 'eu-central-1' are not reachable in this region ('us-east-1')"},
		{name: "invoke/bad InvocationType", call: invoke(func(in *lambda.InvokeInput) { in.InvocationType = "Later" }),
			status: 400, code: "ValidationException", msg: validation("Later", "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")},
		{name: "invoke/bad LogType", call: invoke(func(in *lambda.InvokeInput) { in.LogType = "Verbose" }),
			status: 400, code: "ValidationException", msg: validation("Verbose", "logType", "Member must satisfy enum value set: [Tail, None]")},
		{name: "invoke/ClientContext not base64", call: invoke(func(in *lambda.InvokeInput) { in.ClientContext = aws.String("not base64!") }), // AWS
			status: 400, code: "InvalidRequestContentException", msg: "Client context must be a valid Base64-encoded JSON object."},
		{name: "invoke/ClientContext not JSON", call: invoke(func(in *lambda.InvokeInput) { // AWS
			in.ClientContext = aws.String(base64.StdEncoding.EncodeToString([]byte("plain text")))
		}), status: 400, code: "InvalidRequestContentException", msg: "Client context must be a valid Base64-encoded JSON object."},
		{name: "invoke/ClientContext too long", call: invoke(func(in *lambda.InvokeInput) { in.ClientContext = aws.String(strings.Repeat(ccJSON, 300)) }),
			status: 400, code: "ValidationException", prefix: "1 validation error detected: Value '" + ccJSON, suffix: "' at 'clientContext' failed to satisfy constraint: Member must have length less than or equal to 3583"},
		{name: "invoke/payload not JSON", call: invoke(func(in *lambda.InvokeInput) { in.Payload = []byte("{not json") }), // AWS: the prefix
			status: 400, code: "InvalidRequestContentException", prefix: "Could not parse request body into json: Could not parse payload into json: "},
		{name: "invoke/unknown version", call: invoke(func(in *lambda.InvokeInput) { in.Qualifier = aws.String("3") }),
			status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + fn + ":3"},

		// Concurrency.
		{name: "putconc/negative", call: putConc(fn, -1),
			status: 400, code: "ValidationException", msg: validation("-1", "reservedConcurrentExecutions", "Member must have value greater than or equal to 0")},
		{name: "putconc/over the account", call: putConc(fn, 1001), // AWS
			status: 400, code: "InvalidParameterValueException",
			msg: "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."},
		{name: "putconc/eats the unreserved minimum", call: putConc(fn, 901), // AWS
			status: 400, code: "InvalidParameterValueException",
			msg: "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."},
		{name: "putconc/qualified", call: putConc(fn+":$LATEST", 1), // AWS
			status: 400, code: "InvalidParameterValueException",
			msg: "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN."},
		{name: "putconc/unknown function", call: putConc("nosuchfn", 1), // AWS adds ":$LATEST" to this ARN; see the report
			status: 404, code: "ResourceNotFoundException", prefix: "Function not found: " + badArn + "nosuchfn"},
		{name: "putconc/no value", call: rawCall(ts, "PUT", "/2017-10-31/functions/"+fn+"/concurrency", []byte(`{}`)),
			status: 400, code: "ValidationException", msg: notNull("reservedConcurrentExecutions")},
		{name: "getconc/unknown function", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("nosuchfn")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuchfn"},
		{name: "deleteconc/unknown function", call: sdkCall(func(ctx context.Context) error {
			_, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("nosuchfn")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuchfn"},
		{name: "deleteconc/qualified", call: sdkCall(func(ctx context.Context) error {
			_, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(fn + ":$LATEST")})
			return err
		}), status: 400, code: "InvalidParameterValueException",
			msg: "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN."},

		// GetAccountSettings takes no input; only the method can be wrong.
		{name: "account/POST", call: rawCall(ts, "POST", "/2016-08-19/account-settings", nil),
			status: 405, code: "UnknownOperationException"},

		// Tags.
		{name: "tag/not a Lambda ARN", call: tag("arn:aws:something", map[string]string{"a": "b"}), // AWS (the pattern text changed since; only its start is pinned)
			status: 400, code: "ValidationException",
			prefix: "1 validation error detected: Value 'arn:aws:something' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)"},
		{name: "tag/unknown function", call: tag(badArn+"doesnotexist", map[string]string{"a": "b"}), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "doesnotexist"},
		{name: "tag/qualified ARN", call: tag(badArn+fn+":$LATEST", map[string]string{"a": "b"}), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "Tags on function aliases and versions are not supported. Please specify a function ARN."},
		{name: "tag/other account", call: tag("arn:aws:lambda:us-east-1:111111111111:function:"+fn, map[string]string{"a": "b"}),
			status: 400, code: "InvalidParameterValueException"},
		{name: "tag/empty tags", call: tag(badArn+fn, map[string]string{}), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "An error occurred and the request cannot be processed."},
		{name: "tag/too many", call: tag(badArn+fn, manyTags), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "Number of tags exceeds resource tag limit."},
		{name: "tag/aws: prefix", call: tag(badArn+fn, map[string]string{"aws:owner": "me"}),
			status: 400, code: "InvalidParameterValueException", msg: "Tag keys cannot start with the reserved prefix 'aws:'."},
		{name: "tag/no Tags", call: rawCall(ts, "POST", "/2017-03-31/tags/"+badArn+fn, []byte(`{}`)),
			status: 400, code: "ValidationException", msg: notNull("tags")},
		{name: "untag/no tagKeys", call: rawCall(ts, "DELETE", "/2017-03-31/tags/"+badArn+fn, nil), // AWS
			status: 400, code: "ValidationException", msg: notNull("tagKeys")},
		{name: "untag/unknown function", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(badArn + "doesnotexist"), TagKeys: []string{"team"}})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "doesnotexist"},
		{name: "listtags/unknown function", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(badArn + "doesnotexist")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "doesnotexist"},
		{name: "listtags/not a Lambda ARN", call: sdkCall(func(ctx context.Context) error {
			_, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("victim")})
			return err
		}), status: 400, code: "ValidationException", prefix: "1 validation error detected: Value 'victim' at 'resource' failed to satisfy constraint: "},

		// Malformed requests.
		{name: "raw/malformed JSON", call: rawCall(ts, "POST", "/2015-03-31/functions", []byte(`{"FunctionName":`)),
			status: 400, code: "InvalidRequestContentException", prefix: "Could not parse request body into json"},
		{name: "raw/JSON array body", call: rawCall(ts, "POST", "/2015-03-31/functions", []byte(`[1,2]`)),
			status: 400, code: "InvalidRequestContentException", msg: "Could not parse request body into json: Could not parse payload into json"},
		{name: "raw/wrong JSON type", call: rawCall(ts, "POST", "/2015-03-31/functions", []byte(`{"FunctionName":"newfn","MemorySize":"abc"}`)),
			status: 400, code: "InvalidRequestContentException", prefix: "Could not parse request body into json"},
		{name: "raw/trailing garbage", call: rawCall(ts, "PUT", "/2017-10-31/functions/"+fn+"/concurrency", []byte(`{"ReservedConcurrentExecutions":1} x`)),
			status: 400, code: "InvalidRequestContentException", prefix: "Could not parse request body into json"},
		{name: "raw/Tags not a map", call: rawCall(ts, "POST", "/2017-03-31/tags/"+badArn+fn, []byte(`{"Tags":["a"]}`)),
			status: 400, code: "InvalidRequestContentException", prefix: "Could not parse request body into json"},
		{name: "raw/create body over 70167211 bytes", call: rawCall(ts, "POST", "/2015-03-31/functions", // AWS
			append([]byte(`{"Code":{"ZipFile":"`), bytes.Repeat([]byte("A"), 70167211+1-len(`{"Code":{"ZipFile":"`))...)),
			status: 413, code: "RequestEntityTooLargeException", msg: "Request must be smaller than 70167211 bytes for the CreateFunction operation"},
		{name: "raw/unknown path", call: rawCall(ts, "GET", "/2015-03-31/nothing-here", nil),
			status: 404, code: "UnknownOperationException"},
		// An unsigned request to any other path is S3's (GET /no/such/api reads key
		// such/api of bucket no): internal/s3 tests what it answers.
		{name: "raw/functions prefix without slash", call: rawCall(ts, "GET", "/2015-03-31/functions"+fn, nil),
			status: 404, code: "UnknownOperationException"},
		{name: "raw/too deep", call: rawCall(ts, "GET", "/2015-03-31/functions/"+fn+"/configuration/extra", nil),
			status: 404, code: "UnknownOperationException"},
		{name: "raw/PATCH function", call: rawCall(ts, "PATCH", "/2015-03-31/functions/"+fn, nil),
			status: 405, code: "UnknownOperationException"},
		{name: "raw/GET invocations", call: rawCall(ts, "GET", "/2015-03-31/functions/"+fn+"/invocations", nil),
			status: 405, code: "UnknownOperationException"},
		{name: "raw/GET on the 2017 concurrency path", call: rawCall(ts, "GET", "/2017-10-31/functions/"+fn+"/concurrency", nil),
			status: 405, code: "UnknownOperationException"},
		{name: "raw/escaped space in name", call: rawCall(ts, "GET", "/2015-03-31/functions/vic%20tim", nil),
			status: 400, code: "ValidationException", msg: validation("vic tim", "functionName", namePattern)},
		{name: "raw/escaped ARN of another account", call: rawCall(ts, "DELETE", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3A"+fn, nil),
			status: 403, code: "AccessDeniedException"},
		{name: "raw/empty name", call: rawCall(ts, "GET", "/2015-03-31/functions/%20/configuration", nil),
			status: 400, code: "ValidationException", msg: validation(" ", "functionName", namePattern)},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.call(t)
			if got.status != tc.status || got.code != tc.code {
				t.Errorf("got %d %s, want %d %s (message %q)", got.status, got.code, tc.status, tc.code, clip(got.message))
			}
			switch {
			case tc.msg != "" && got.message != tc.msg:
				t.Errorf("message\n got %q\nwant %q", clip(got.message), clip(tc.msg))
			case !strings.HasPrefix(got.message, tc.prefix) || !strings.HasSuffix(got.message, tc.suffix):
				t.Errorf("message %q, want prefix %q and suffix %q", clip(got.message), tc.prefix, tc.suffix)
			case got.message == "" && tc.code != "AccessDeniedException":
				t.Errorf("empty message")
			}
			if after := serverState(t, c, fn); after != before {
				t.Errorf("the failed call changed the server:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	// Still healthy: the function runs, at the revision it had.
	out := invokeFn(t, c, fn, `{"still":"here"}`)
	if string(out.Payload) != `{"still":"here"}` || out.FunctionError != nil {
		t.Errorf("invoke after bad input: %s %v", out.Payload, out.FunctionError)
	}
	// Setting concurrency keeps the RevisionId, so it is still the one CreateFunction gave.
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
	if err != nil || aws.ToString(cfg.RevisionId) != rev {
		t.Errorf("after bad input: RevisionId %s, want %s (%v)", aws.ToString(cfg.RevisionId), rev, err)
	}
	t.Logf("%d bad-input cases in %v", len(cases), time.Since(start).Round(time.Millisecond))
}
