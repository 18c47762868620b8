package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// cfnClient is an aws-sdk-go-v2 CloudFormation client for the server at url.
func cfnClient(url string) *cloudformation.Client {
	return cloudformation.New(cloudformation.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		// The SDK's standard retryer: net/http may close a kept-alive
		// connection under a request the server answered early
		// (aws-sdk-go-v2#2737), which it retries.
	})
}

// putCode uploads the test function's zip to bucket/fn.zip, for templates
// whose functions name it in Code.S3Bucket/S3Key.
func putCode(t *testing.T, url, bucket string) {
	t.Helper()
	ctx := context.Background()
	cl := s3Client(url)
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("fn.zip"), Body: bytes.NewReader(testFunctionZip(t))}); err != nil {
		t.Fatal(err)
	}
}

// waitStack polls a stack until it leaves *_IN_PROGRESS and fails the test
// unless it then is in want; the stack's events are shown when it is not.
func waitStack(t *testing.T, cl *cloudformation.Client, name, want string) cfntypes.Stack {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(40 * time.Second)
	for {
		out, err := cl.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeStacks %s: %v", name, err)
		}
		st := out.Stacks[0]
		status := string(st.StackStatus)
		if !strings.HasSuffix(status, "_IN_PROGRESS") || status == "REVIEW_IN_PROGRESS" && want == status {
			if status != want {
				t.Fatalf("stack %s is %s (%s), want %s; events:\n%s", name, status, aws.ToString(st.StackStatusReason), want, stackEvents(t, cl, name))
			}
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stack %s still %s after 40s; events:\n%s", name, status, stackEvents(t, cl, name))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stackEvents renders a stack's events, oldest first.
func stackEvents(t *testing.T, cl *cloudformation.Client, name string) string {
	evs := stackEventList(t, cl, name)
	var b strings.Builder
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		fmt.Fprintf(&b, "  %s %s %s %s\n", aws.ToString(e.LogicalResourceId), e.ResourceStatus, aws.ToString(e.PhysicalResourceId), aws.ToString(e.ResourceStatusReason))
	}
	return b.String()
}

func stackEventList(t *testing.T, cl *cloudformation.Client, name string) []cfntypes.StackEvent {
	t.Helper()
	out, err := cl.DescribeStackEvents(context.Background(), &cloudformation.DescribeStackEventsInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeStackEvents %s: %v", name, err)
	}
	return out.StackEvents
}

// findEvent returns the newest event of a resource in a status.
func findEvent(evs []cfntypes.StackEvent, logical, status string) (cfntypes.StackEvent, bool) {
	for _, e := range evs {
		if aws.ToString(e.LogicalResourceId) == logical && string(e.ResourceStatus) == status {
			return e, true
		}
	}
	return cfntypes.StackEvent{}, false
}

func outputsOf(st cfntypes.Stack) map[string]string {
	m := map[string]string{}
	for _, o := range st.Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}

func physicalIDs(t *testing.T, cl *cloudformation.Client, name string) map[string]string {
	t.Helper()
	out, err := cl.ListStackResources(context.Background(), &cloudformation.ListStackResourcesInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range out.StackResourceSummaries {
		m[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
	}
	return m
}

// wantCfnError fails unless err is the API error code with a message
// containing msg.
func wantCfnError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("got %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func cfnParams(kv ...string) []cfntypes.Parameter {
	var out []cfntypes.Parameter
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, cfntypes.Parameter{ParameterKey: aws.String(kv[i]), ParameterValue: aws.String(kv[i+1])})
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
