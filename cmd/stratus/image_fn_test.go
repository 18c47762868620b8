package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-containerregistry/pkg/crane"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// goFunctionImage builds an image holding testdata/fn's static aws-lambda-go
// bootstrap as /bootstrap, with ENTRYPOINT ["/bootstrap"], CMD ["env"] (the
// mode testdata/fn reads from _HANDLER) and IMAGE_MARK=mark in its ENV.
func goFunctionImage(t *testing.T, mark string) v1.Image {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(testFunctionZip(t)), int64(len(testFunctionZip(t))))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	tw.WriteHeader(&tar.Header{Name: "bootstrap", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg}) //nolint:errcheck
	tw.Write(bin)                                                                                             //nolint:errcheck
	tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar.Bytes())), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint = []string{"/bootstrap"}
	cf.Config.Cmd = []string{"env"}
	cf.Config.Env = []string{"IMAGE_MARK=" + mark, "PATH=/usr/bin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestImageFunction runs PackageType Image functions from the server's own
// registry in the oci sandbox: create, invoke cold and warm, ImageConfig,
// GetFunction, UpdateFunctionCode, Lambda's errors, an image deleted under a
// function, and the aws CLI with the logs in CloudWatch Logs.
func TestImageFunction(t *testing.T) {
	skipWithoutOCI(t)
	t.Parallel()
	ts := startServer(t, "", "--sandbox", "oci")
	c := ts.lambdaClient()
	ctx := context.Background()
	host := strings.TrimPrefix(ts.URL, "http://")
	_, port, _ := strings.Cut(host, ":")
	ecrHost := "000000000000.dkr.ecr.us-east-1.localhost:" + port

	push := func(img v1.Image, tag string) string {
		t.Helper()
		if err := crane.Push(img, host+"/fns/go:"+tag, crane.Insecure); err != nil {
			t.Fatalf("push: %v", err)
		}
		d, _ := img.Digest()
		return d.String()
	}
	d1 := push(goFunctionImage(t, "one"), "v1")
	d2 := push(goFunctionImage(t, "two"), "v2")
	uri1, uri2 := ecrHost+"/fns/go:v1", ecrHost+"/fns/go:v2"

	create := func(name, uri string, mod func(*lambda.CreateFunctionInput)) error {
		in := &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), PackageType: types.PackageTypeImage,
			Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &types.FunctionCode{ImageUri: aws.String(uri)},
			Environment: &types.Environment{Variables: map[string]string{"FROM_FUNCTION": "yes"}},
		}
		if mod != nil {
			mod(in)
		}
		_, err := c.CreateFunction(ctx, in)
		return err
	}
	envOf := func(name string) (map[string]string, float64) {
		t.Helper()
		out := invokeFn(t, c, name, `{}`)
		if out.FunctionError != nil {
			t.Fatalf("%s: %s", name, out.Payload)
		}
		var p struct {
			Env map[string]string
			Pid float64
		}
		if err := json.Unmarshal(out.Payload, &p); err != nil {
			t.Fatalf("%s: %v: %s", name, err, out.Payload)
		}
		return p.Env, p.Pid
	}

	if err := create("img", uri1, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	env, pid := envOf("img")
	t.Logf("cold invoke %v", time.Since(start))
	if env["IMAGE_MARK"] != "one" || env["FROM_FUNCTION"] != "yes" || env["AWS_LAMBDA_RUNTIME_API"] == "" ||
		env["AWS_LAMBDA_FUNCTION_NAME"] != "img" || env["PATH"] != "/usr/bin:/bin" || env["_HANDLER"] != "env" {
		t.Fatalf("cold env: %v", env)
	}
	if env2, pid2 := envOf("img"); pid2 != pid || env2["IMAGE_MARK"] != "one" {
		t.Fatalf("warm invoke ran pid %v (cold %v), env %v", pid2, pid, env2)
	}

	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("img")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Code == nil || aws.ToString(got.Code.RepositoryType) != "ECR" || aws.ToString(got.Code.ImageUri) != uri1 ||
		aws.ToString(got.Code.ResolvedImageUri) != ecrHost+"/fns/go@"+d1 ||
		got.Configuration.PackageType != types.PackageTypeImage || got.Configuration.Handler != nil || got.Configuration.Runtime != "" ||
		aws.ToString(got.Configuration.CodeSha256) != strings.TrimPrefix(d1, "sha256:") {
		t.Fatalf("GetFunction: code %+v, configuration %+v", got.Code, got.Configuration)
	}

	// ImageConfig's Command replaces CMD: testdata/fn echoes in mode "echo".
	if err := create("img-echo", uri1, func(in *lambda.CreateFunctionInput) {
		in.ImageConfig = &types.ImageConfig{Command: []string{"echo"}, WorkingDirectory: aws.String("/tmp")}
	}); err != nil {
		t.Fatal(err)
	}
	if out := invokeFn(t, c, "img-echo", `{"hello":"image"}`); out.FunctionError != nil || string(out.Payload) != `{"hello":"image"}` {
		t.Fatalf("img-echo: %s %s", aws.ToString(out.FunctionError), out.Payload)
	}
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("img-echo")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ImageConfigResponse == nil || cfg.ImageConfigResponse.ImageConfig == nil ||
		strings.Join(cfg.ImageConfigResponse.ImageConfig.Command, " ") != "echo" ||
		aws.ToString(cfg.ImageConfigResponse.ImageConfig.WorkingDirectory) != "/tmp" {
		t.Fatalf("ImageConfigResponse: %+v", cfg.ImageConfigResponse)
	}

	// UpdateFunctionCode to the second tag: the next invocation runs it.
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("img"), ImageUri: aws.String(uri2)}); err != nil {
		t.Fatal(err)
	}
	if env, _ := envOf("img"); env["IMAGE_MARK"] != "two" {
		t.Fatalf("after update: IMAGE_MARK=%q", env["IMAGE_MARK"])
	}
	got, _ = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("img")})
	if aws.ToString(got.Code.ResolvedImageUri) != ecrHost+"/fns/go@"+d2 {
		t.Fatalf("after update: ResolvedImageUri %s", aws.ToString(got.Code.ResolvedImageUri))
	}

	// Lambda's errors.
	for _, tc := range []struct {
		name, uri, want string
		mod             func(*lambda.CreateFunctionInput)
	}{
		{"missing", ecrHost + "/fns/go:nope", "Source image " + ecrHost + "/fns/go:nope does not exist. Provide a valid source image.", nil},
		{"missing-repo", "000000000000.dkr.ecr.us-east-1.amazonaws.com/nothing:latest", "Source image 000000000000.dkr.ecr.us-east-1.amazonaws.com/nothing:latest does not exist. Provide a valid source image.", nil},
		{"handler", uri1, "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image.", func(in *lambda.CreateFunctionInput) { in.Handler = aws.String("x") }},
	} {
		err := create("bad-"+tc.name, tc.uri, tc.mod)
		var ipe *types.InvalidParameterValueException
		if !errors.As(err, &ipe) || aws.ToString(ipe.Message) != tc.want {
			t.Errorf("%s: %v, want InvalidParameterValueException %q", tc.name, err, tc.want)
		}
	}
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("img"), ZipFile: testFunctionZip(t)}); err == nil {
		t.Error("UpdateFunctionCode with a zip on an image function succeeded")
	}

	// The amazonaws.com form names the same local repository.
	if err := create("img-aws", "000000000000.dkr.ecr.us-east-1.amazonaws.com/fns/go:v1", nil); err != nil {
		t.Fatal(err)
	}

	// Delete v1 (its manifest, so GC may take its blobs): img-echo and
	// img-aws keep the digest they resolved, cold as well as warm.
	if err := crane.Delete(host+"/fns/go@"+d1, crane.Insecure); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := crane.Head(host+"/fns/go:v1", crane.Insecure); err == nil {
		t.Fatal("v1 is still in the registry")
	}
	if env, _ := envOf("img-aws"); env["IMAGE_MARK"] != "one" {
		t.Fatalf("after delete: IMAGE_MARK=%q", env["IMAGE_MARK"])
	}

	// One invocation through the aws CLI, and its log lines in CloudWatch Logs.
	if awsBin := awsCLIv2(t); awsBin != "" {
		run, dir, _ := awsCLIRunner(t, awsBin, ts)
		out := run("lambda", "invoke", "--function-name", "img-echo", "--cli-binary-format", "raw-in-base64-out",
			"--payload", `{"via":"cli"}`, dir+"/out.json")
		if out["StatusCode"] != float64(200) || out["FunctionError"] != nil {
			t.Fatalf("aws lambda invoke: %v", out)
		}
		lc := ts.logsClient()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ev, err := lc.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/img-echo")})
			n := 0
			if err == nil {
				for _, e := range ev.Events {
					if m := aws.ToString(e.Message); strings.HasPrefix(m, "START RequestId:") || strings.HasPrefix(m, "REPORT RequestId:") {
						n++
					}
				}
			}
			if n >= 4 { // two invocations, one of them the CLI's: START and REPORT each
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("logs of img-echo: %d START/REPORT lines (%v)", n, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestImageFunctionProcessSandbox: the process sandbox has no root to give an
// image, so an image function's invocation fails saying what it needs.
func TestImageFunctionProcessSandbox(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "", "--sandbox", "process")
	c := ts.lambdaClient()
	host := strings.TrimPrefix(ts.URL, "http://")
	_, port, _ := strings.Cut(host, ":")
	if err := crane.Push(goFunctionImage(t, "one"), host+"/fns/go:v1", crane.Insecure); err != nil {
		t.Fatalf("push: %v", err)
	}
	_, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("img"), PackageType: types.PackageTypeImage, Role: aws.String("arn:aws:iam::000000000000:role/r"),
		Code: &types.FunctionCode{ImageUri: aws.String("000000000000.dkr.ecr.us-east-1.localhost:" + port + "/fns/go:v1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := invokeFn(t, c, "img", `{}`)
	if out.FunctionError == nil || !strings.Contains(string(out.Payload), "need the oci sandbox") {
		t.Fatalf("invoke under the process sandbox: %s", out.Payload)
	}
}
