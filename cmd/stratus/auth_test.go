package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func TestStrictAuth(t *testing.T) {
	credsFile := filepath.Join(t.TempDir(), "credentials")
	os.WriteFile(credsFile, []byte("[default]\naws_access_key_id = AKIDSTRICT\naws_secret_access_key = s3cret\n"), 0o600) //nolint:errcheck
	ts := startServer(t, "", "--auth", "strict", "--credentials-file", credsFile)
	ctx := context.Background()
	withCreds := func(key, secret, token string) func(*lambda.Options) {
		return func(o *lambda.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(key, secret, token)
		}
	}

	good := ts.lambdaClient(withCreds("AKIDSTRICT", "s3cret", ""))
	createFn(t, good, "authfn", "env")

	_, err := ts.lambdaClient(withCreds("AKIDSTRICT", "wrong", "")).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	apiError(t, err, "InvalidSignatureException")
	_, err = ts.lambdaClient(withCreds("AKIDNOBODY", "s3cret", "")).ListFunctions(ctx, &lambda.ListFunctionsInput{})
	ae := apiError(t, err, "UnrecognizedClientException")
	if ae.ErrorMessage() != "The security token included in the request is invalid." {
		t.Errorf("message %q", ae.ErrorMessage())
	}

	// Unsigned: 403 MissingAuthenticationTokenException.
	resp, err := http.Get(ts.URL + "/2015-03-31/functions/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}

	// Presigned query form.
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/2015-03-31/functions/", nil)
	signer := v4.NewSigner()
	url, _, err := signer.PresignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDSTRICT", SecretAccessKey: "s3cret"}, req,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "lambda", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Functions []struct{ FunctionName string }
	}
	json.NewDecoder(resp.Body).Decode(&list) //nolint:errcheck
	resp.Body.Close()
	if resp.StatusCode != 200 || len(list.Functions) != 1 {
		t.Errorf("presigned ListFunctions: %d %+v", resp.StatusCode, list)
	}

	// A function's own credentials pass strict auth, so its SDK calls reach Stratus.
	out := invokeFn(t, good, "authfn", `{}`)
	var got struct{ Env map[string]string }
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatal(err)
	}
	inner := ts.lambdaClient(withCreds(got.Env["AWS_ACCESS_KEY_ID"], got.Env["AWS_SECRET_ACCESS_KEY"], got.Env["AWS_SESSION_TOKEN"]))
	if _, err := inner.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("authfn")}); err != nil {
		t.Errorf("function credentials refused: %v", err)
	}
}
