package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// putObject stores body at bucket/key and returns the version id S3 gave it.
func putObject(t *testing.T, sc *s3.Client, bucket, key string, body []byte) string {
	t.Helper()
	out, err := sc.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.VersionId)
}

func createBucket(t *testing.T, sc *s3.Client, bucket string, versioned bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := sc.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
}

// marker invokes a function in the "marker" mode and returns the marker file of
// the code package it runs.
func marker(t *testing.T, c *lambda.Client, ref string) string {
	t.Helper()
	var m struct{ Marker string }
	out := invokeFn(t, c, ref, `{}`)
	if out.FunctionError != nil {
		t.Fatalf("invoke %s: %s", ref, out.Payload)
	}
	if err := json.Unmarshal(out.Payload, &m); err != nil {
		t.Fatalf("invoke %s: %v: %s", ref, err, out.Payload)
	}
	return m.Marker
}

// wantLambdaError asserts err is Lambda's answer with this HTTP status, code and
// message.
func wantLambdaError(t *testing.T, what string, err error, status int, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Errorf("%s: want %s, got %v", what, code, err)
		return
	}
	if re.HTTPStatusCode() != status || ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("%s: %d %s %q, want %d %s %q", what, re.HTTPStatusCode(), ae.ErrorCode(), ae.ErrorMessage(), status, code, msg)
	}
}

// TestLambdaS3Code takes functions' code packages from Stratus's own S3, as
// Lambda takes them from Code.S3Bucket/S3Key/S3ObjectVersion: create and
// update from S3, a version of a versioned bucket, and Lambda's errors for
// what cannot be read or is not a package.
func TestLambdaS3Code(t *testing.T) {
	ts := startServer(t, "")
	lc, sc := ts.lambdaClient(), s3Client(ts.URL)
	ctx := context.Background()
	v1, v2 := withMarker(t, testFunctionZip(t), "one"), withMarker(t, testFunctionZip(t), "two")
	createBucket(t, sc, "code", false)
	putObject(t, sc, "code", "v1.zip", v1)
	putObject(t, sc, "code", "v2.zip", v2)
	putObject(t, sc, "code", "notes.txt", []byte("not a zip"))

	created := createFn(t, lc, "from-s3", "marker", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{S3Bucket: aws.String("code"), S3Key: aws.String("v1.zip")}
	})
	sum := sha256.Sum256(v1)
	if aws.ToString(created.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || created.CodeSize != int64(len(v1)) {
		t.Errorf("CodeSha256 %s CodeSize %d, want the object's", aws.ToString(created.CodeSha256), created.CodeSize)
	}
	if got := marker(t, lc, "from-s3"); got != "one" {
		t.Errorf("from v1.zip the function answers %q", got)
	}
	got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("from-s3")})
	if err != nil || aws.ToString(got.Code.RepositoryType) != "S3" || aws.ToString(got.Code.Location) == "" {
		t.Fatalf("GetFunction: %+v %v", got, err)
	}

	if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("from-s3"),
		S3Bucket: aws.String("code"), S3Key: aws.String("v2.zip")}); err != nil {
		t.Fatal(err)
	}
	if got := marker(t, lc, "from-s3"); got != "two" {
		t.Errorf("after UpdateFunctionCode from v2.zip the function answers %q", got)
	}

	// A version of a versioned bucket: the older one, though a newer is latest.
	createBucket(t, sc, "versioned", true)
	old := putObject(t, sc, "versioned", "fn.zip", v1)
	putObject(t, sc, "versioned", "fn.zip", v2)
	if old == "" || old == "null" {
		t.Fatalf("version id %q", old)
	}
	createFn(t, lc, "by-version", "marker", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{S3Bucket: aws.String("versioned"), S3Key: aws.String("fn.zip"), S3ObjectVersion: aws.String(old)}
	})
	if got := marker(t, lc, "by-version"); got != "one" {
		t.Errorf("from version %s the function answers %q", old, got)
	}
	// Without a version, the latest.
	createFn(t, lc, "latest", "marker", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{S3Bucket: aws.String("versioned"), S3Key: aws.String("fn.zip")}
	})
	if got := marker(t, lc, "latest"); got != "two" {
		t.Errorf("from the latest version the function answers %q", got)
	}
	// A delete marker as the latest version hides the key.
	if _, err := sc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("versioned"), Key: aws.String("fn.zip")}); err != nil {
		t.Fatal(err)
	}

	const noKey = "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
	for _, tc := range []struct {
		name    string
		code    types.FunctionCode
		status  int
		errCode string
		msg     string
	}{
		{"missing bucket", types.FunctionCode{S3Bucket: aws.String("no-such-bucket"), S3Key: aws.String("v1.zip")}, 400, "InvalidParameterValueException",
			"Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist"},
		{"missing key", types.FunctionCode{S3Bucket: aws.String("code"), S3Key: aws.String("gone.zip")}, 400, "InvalidParameterValueException", noKey},
		{"delete marker", types.FunctionCode{S3Bucket: aws.String("versioned"), S3Key: aws.String("fn.zip")}, 400, "InvalidParameterValueException", noKey},
		{"missing version", types.FunctionCode{S3Bucket: aws.String("versioned"), S3Key: aws.String("fn.zip"), S3ObjectVersion: aws.String(strings.Repeat("0", len(old)))},
			400, "InvalidParameterValueException", "Error occurred while GetObject. S3 Error Code: NoSuchVersion. S3 Error Message: The specified version does not exist."},
		{"not a zip", types.FunctionCode{S3Bucket: aws.String("code"), S3Key: aws.String("notes.txt")}, 400, "InvalidParameterValueException",
			"Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"bucket without key", types.FunctionCode{S3Bucket: aws.String("code")}, 400, "InvalidParameterValueException",
			"S3 Bucket and Key are required for uploading with S3 parameters."},
		{"key without bucket", types.FunctionCode{S3Key: aws.String("v1.zip")}, 400, "InvalidParameterValueException",
			"S3 Bucket and Key are required for uploading with S3 parameters."},
		{"zip and S3", types.FunctionCode{ZipFile: v1, S3Bucket: aws.String("code"), S3Key: aws.String("v1.zip")}, 400, "InvalidParameterValueException",
			"Please do not provide other FunctionCode parameters when providing a ZipFile."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("failed"), Runtime: types.RuntimeProvidedal2023,
				Handler: aws.String("marker"), Role: aws.String(testRole), Code: &tc.code})
			wantLambdaError(t, "CreateFunction", err, tc.status, tc.errCode, tc.msg)
			if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("failed")}); err == nil {
				t.Error("a failed CreateFunction left a function")
			}
			before, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("from-s3")})
			if err != nil {
				t.Fatal(err)
			}
			_, err = lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("from-s3"), ZipFile: tc.code.ZipFile,
				S3Bucket: tc.code.S3Bucket, S3Key: tc.code.S3Key, S3ObjectVersion: tc.code.S3ObjectVersion})
			wantLambdaError(t, "UpdateFunctionCode", err, tc.status, tc.errCode, tc.msg)
			after, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("from-s3")})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(after.Configuration.CodeSha256) != aws.ToString(before.Configuration.CodeSha256) ||
				aws.ToString(after.Configuration.RevisionId) != aws.ToString(before.Configuration.RevisionId) {
				t.Error("a failed UpdateFunctionCode changed the function")
			}
			if got := marker(t, lc, "from-s3"); got != "two" {
				t.Errorf("after a failed update the function answers %q", got)
			}
		})
	}
}

// TestLambdaS3Layer publishes a layer version from S3 (Content.S3Bucket/S3Key)
// and runs a function with it; a layer from a missing object fails as a
// function's code does.
func TestLambdaS3Layer(t *testing.T) {
	ts := startServer(t, "")
	lc, sc := ts.lambdaClient(), s3Client(ts.URL)
	ctx := context.Background()
	layerZip := zipOf(t, map[string]string{"layer.txt": "from s3"})
	createBucket(t, sc, "layers", false)
	putObject(t, sc, "layers", "lib.zip", layerZip)

	p, err := lc.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("s3lib"),
		Content: &types.LayerVersionContentInput{S3Bucket: aws.String("layers"), S3Key: aws.String("lib.zip")}})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(layerZip)
	if p.Version != 1 || aws.ToString(p.Content.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || p.Content.CodeSize != int64(len(layerZip)) {
		t.Errorf("PublishLayerVersion: version %d content %+v", p.Version, p.Content)
	}
	createFn(t, lc, "with-layer", "read", func(in *lambda.CreateFunctionInput) { in.Layers = []string{aws.ToString(p.LayerVersionArn)} })
	out := invokeFn(t, lc, "with-layer", `{"Paths":["/opt/layer.txt"]}`)
	if !strings.Contains(string(out.Payload), `"/opt/layer.txt":"from s3"`) {
		t.Errorf("the function reads %s", out.Payload)
	}

	_, err = lc.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("s3lib"),
		Content: &types.LayerVersionContentInput{S3Bucket: aws.String("layers"), S3Key: aws.String("gone.zip")}})
	wantLambdaError(t, "PublishLayerVersion from a missing key", err, 400, "InvalidParameterValueException",
		"Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.")
	// The failed publish took no version number.
	p2, err := lc.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("s3lib"),
		Content: &types.LayerVersionContentInput{S3Bucket: aws.String("layers"), S3Key: aws.String("lib.zip")}})
	if err != nil || p2.Version != 2 {
		t.Errorf("second publish: %+v %v", p2, err)
	}
}

// TestLambdaS3CodeCLI is `aws lambda create-function --code S3Bucket=...,S3Key=...`
// through the aws CLI, after `aws s3api put-object` put the package there.
func TestLambdaS3CodeCLI(t *testing.T) {
	cli := awsCLIv2(t)
	ts := startServer(t, "")
	run, dir, env := awsCLIRunner(t, cli, ts)
	run("s3api", "create-bucket", "--bucket", "cli-code")
	run("s3api", "put-object", "--bucket", "cli-code", "--key", "pkg/fn.zip", "--body", "fn.zip")
	created := run("lambda", "create-function", "--function-name", "cli-s3", "--runtime", "provided.al2023",
		"--handler", "echo", "--role", testRole, "--code", "S3Bucket=cli-code,S3Key=pkg/fn.zip")
	if created["FunctionName"] != "cli-s3" || created["CodeSize"] != float64(len(testFunctionZip(t))) {
		t.Errorf("create-function: %v", created)
	}
	run("lambda", "wait", "function-active-v2", "--function-name", "cli-s3")
	inv := run("lambda", "invoke", "--function-name", "cli-s3", "--payload", `{"from":"s3"}`,
		"--cli-binary-format", "raw-in-base64-out", "out.json")
	if inv["StatusCode"] != 200.0 || inv["FunctionError"] != nil {
		t.Errorf("invoke: %v", inv)
	}
	if body, _ := os.ReadFile(filepath.Join(dir, "out.json")); string(body) != `{"from":"s3"}` {
		t.Errorf("out.json = %s", body)
	}

	cmd := exec.Command(cli, "--endpoint-url", ts.URL, "lambda", "create-function", "--function-name", "cli-missing",
		"--runtime", "provided.al2023", "--handler", "echo", "--role", testRole, "--code", "S3Bucket=cli-code,S3Key=nope.zip")
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	want := "An error occurred (InvalidParameterValueException) when calling the CreateFunction operation: " +
		"Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 254 || !strings.Contains(string(out), want) {
		t.Errorf("create-function from a missing key: %v\n%s", err, out)
	}
}
