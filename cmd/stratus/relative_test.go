package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stratus-run/stratus/bench"
)

// TestServerWithDefaults runs the binary as the README's first command does: from
// a fresh directory, with the embedded defaults, so its data dir is the relative
// ".stratus" (every other test passes an absolute one). Paths under it reach
// runtimes and containers, which start in other directories.
func TestServerWithDefaults(t *testing.T) {
	dir := t.TempDir()
	bin := serverBinary(t, dir)
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := bench.StartProcess(ctx, time.Minute, "/bin/sh", "-c", "cd '"+work+"' && exec '"+bin+"' server --listen 127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx) //nolint:errcheck
	if _, err := os.Stat(filepath.Join(work, ".stratus")); err != nil {
		t.Fatalf("no .stratus in the working directory: %v", err)
	}
	c := lambda.New(lambda.Options{BaseEndpoint: aws.String(p.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), Retryer: aws.NopRetryer{}})
	createFn(t, c, "defaults-go", "echo")
	if out := invokeFn(t, c, "defaults-go", `{"go":1}`); out.FunctionError != nil || string(out.Payload) != `{"go":1}` {
		t.Errorf("Go function: %s", out.Payload)
	}
	if _, err := os.Stat("/usr/bin/node"); err == nil {
		createFn(t, c, "defaults-node", "index.handler", func(in *lambda.CreateFunctionInput) {
			in.Runtime = types.RuntimeNodejs20x
			in.Code = &types.FunctionCode{ZipFile: pyZip(t, map[string]string{"index.mjs": "export const handler = async (event) => event;\n"})}
		})
		if out := invokeFn(t, c, "defaults-node", `{"node":1}`); out.FunctionError != nil || string(out.Payload) != `{"node":1}` {
			t.Errorf("Node.js function: %s", out.Payload)
		}
	}
	if os.Getenv("CI") != "" && strings.Contains(p.Log(), "oci sandbox is unavailable") {
		t.Errorf("the default sandbox fell back to process on a CI machine with crun:\n%s", p.Log())
	}
}
