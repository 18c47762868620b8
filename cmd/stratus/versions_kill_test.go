package main

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/stratus-run/stratus/bench"
)

// TestVersionsSurviveKill: what PublishVersion, CreateAlias and UpdateAlias
// acknowledged is still there after the server is killed with SIGKILL.
func TestVersionsSurviveKill(t *testing.T) {
	dir := t.TempDir()
	bin := serverBinary(t, dir)
	ctx := context.Background()
	start := func() (*bench.Process, *lambda.Client) {
		p, err := bench.StartProcess(ctx, time.Minute, bin, "server", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"))
		if err != nil {
			t.Fatal(err)
		}
		c := lambda.New(lambda.Options{BaseEndpoint: aws.String(p.URL), Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), Retryer: aws.NopRetryer{}})
		return p, c
	}
	p, c := start()
	const fn = "killed"
	createFn(t, c, fn, "echo", func(in *lambda.CreateFunctionInput) { in.Publish = true })
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Timeout: aws.Int32(6)}); err != nil {
		t.Fatal(err)
	}
	publishVersion(t, c, fn)
	a, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod"), FunctionVersion: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	upd, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod"),
		FunctionVersion: aws.String("2"), RevisionId: a.RevisionId})
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.Close(ctx) //nolint:errcheck // it was killed

	p, c = start()
	defer func() {
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	if got := strings.Join(listVersionNumbers(t, c, fn, 50), " "); got != "$LATEST 1 2" {
		t.Errorf("versions after SIGKILL: %s", got)
	}
	got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("prod")})
	if err != nil || aws.ToString(got.FunctionVersion) != "2" || aws.ToString(got.RevisionId) != aws.ToString(upd.RevisionId) {
		t.Errorf("alias after SIGKILL: %+v %v", got, err)
	}
	if out := invokeFn(t, c, fn+":prod", `{"k":1}`); aws.ToString(out.ExecutedVersion) != "2" || string(out.Payload) != `{"k":1}` {
		t.Errorf("alias invoke after SIGKILL: %s %s", aws.ToString(out.ExecutedVersion), out.Payload)
	}
	if v := publishVersion(t, c, fn); aws.ToString(v.Version) != "2" {
		t.Errorf("publishing unchanged $LATEST after SIGKILL gave version %s, want 2", aws.ToString(v.Version))
	}
}
