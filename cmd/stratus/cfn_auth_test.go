package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestCfnStrictAuth runs a stack under --auth strict: the engine's own calls
// (the template read from S3, the queue made through SQS) must pass the
// signature check with the server's internal key.
func TestCfnStrictAuth(t *testing.T) {
	t.Parallel()
	credsFile := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(credsFile, []byte("[default]\naws_access_key_id = AKIDCFN\naws_secret_access_key = s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "", "--auth", "strict", "--credentials-file", credsFile)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKIDCFN", "s3cret", "")
	cl := cloudformation.New(cloudformation.Options{BaseEndpoint: aws.String(ts.URL), Region: "us-east-1", Credentials: creds, Retryer: aws.NopRetryer{}})
	s3c := s3.New(s3.Options{BaseEndpoint: aws.String(ts.URL), Region: "us-east-1", Credentials: creds, UsePathStyle: true, Retryer: aws.NopRetryer{}})
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tpl")}); err != nil {
		t.Fatal(err)
	}
	body := "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: strict-q}\nOutputs:\n  Url:\n    Value: !Ref Q\n"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tpl"), Key: aws.String("q.yaml"), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("strict"), TemplateURL: aws.String(ts.URL + "/tpl/q.yaml")}); err != nil {
		t.Fatal(err)
	}
	st := waitStack(t, cl, "strict", "CREATE_COMPLETE")
	if !strings.HasSuffix(outputsOf(st)["Url"], "/000000000000/strict-q") {
		t.Fatalf("outputs %v", outputsOf(st))
	}
	bad := cloudformation.New(cloudformation.Options{BaseEndpoint: aws.String(ts.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDCFN", "wrong", ""), Retryer: aws.NopRetryer{}})
	if _, err := bad.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{}); err == nil {
		t.Fatal("a wrong signature was accepted")
	}
}
