package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// queueChain is a template of n queues made one after another (each
// DependsOn the one before), so that a stack operation takes long enough to
// be killed in the middle.
func queueChain(prefix string, n int, withParam bool) string {
	var b strings.Builder
	if withParam {
		b.WriteString("Parameters:\n  Vis:\n    Type: Number\n    Default: 30\n")
	}
	b.WriteString("Resources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  Q%d:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: %s-%d\n", i, prefix, i)
		if withParam {
			b.WriteString("      VisibilityTimeout: !Ref Vis\n")
		}
		if i > 0 {
			fmt.Fprintf(&b, "    DependsOn: Q%d\n", i-1)
		}
	}
	return b.String()
}

// killWhen polls the stack's resources until at least 3 (and not all n) are
// in status, then kills the server.
func killWhen(t *testing.T, sp *serverProcess, cl *cloudformation.Client, stackID, status string, n int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := cl.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stackID)})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, r := range res.StackResourceSummaries {
			if string(r.ResourceStatus) == status {
				done++
			}
		}
		if done >= 3 {
			if done == n {
				t.Fatal("the operation finished before the kill; make the stack longer")
			}
			sp.kill()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no resource reached %s in 20s", status)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCfnCreateSurvivesKill kills the server (SIGKILL) while it creates a
// stack of queues made one after another, restarts it on the same data, and
// checks that the interrupted create is rolled back: the stack ends in
// ROLLBACK_COMPLETE and none of its queues is left.
func TestCfnCreateSurvivesKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := serverBinary(t, dir)
	data := t.TempDir()
	sp := startServerProcess(t, bin, data)
	const n = 60
	cl := cfnClient(sp.URL)
	ctx := context.Background()
	out, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("crashy"), TemplateBody: aws.String(queueChain("crash-q", n, false))})
	if err != nil {
		t.Fatal(err)
	}
	killWhen(t, sp, cl, aws.ToString(out.StackId), "CREATE_COMPLETE", n)

	sp = startServerProcess(t, bin, data)
	cl = cfnClient(sp.URL)
	waitStack(t, cl, aws.ToString(out.StackId), "ROLLBACK_COMPLETE")
	if e, ok := findEvent(stackEventList(t, cl, "crashy"), "crashy", "ROLLBACK_IN_PROGRESS"); !ok || !strings.Contains(aws.ToString(e.ResourceStatusReason), "restarted") {
		t.Errorf("the stack's ROLLBACK_IN_PROGRESS event: %+v", e)
	}
	qs, err := (&testServer{URL: sp.URL}).sqsClient().ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("crash-q-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(qs.QueueUrls) != 0 {
		t.Fatalf("%d queues left after the rollback: %v", len(qs.QueueUrls), qs.QueueUrls)
	}
	if _, err := cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("crashy")}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, aws.ToString(out.StackId), "DELETE_COMPLETE")
}

// TestCfnUpdateSurvivesKill kills the server while it updates a stack's
// queues one after another, and checks that on restart the update is rolled
// back: every queue has its old attributes again. Then it kills it in the
// middle of the stack's delete, which the restart carries on.
func TestCfnUpdateSurvivesKill(t *testing.T) {
	t.Parallel()
	bin := serverBinary(t, t.TempDir())
	data := t.TempDir()
	sp := startServerProcess(t, bin, data)
	const n = 60
	cl := cfnClient(sp.URL)
	ctx := context.Background()
	out, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("upd"), TemplateBody: aws.String(queueChain("upd-q", n, true))})
	if err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "upd", "CREATE_COMPLETE")
	if _, err := cl.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("upd"), UsePreviousTemplate: aws.Bool(true),
		Parameters: []cfntypes.Parameter{{ParameterKey: aws.String("Vis"), ParameterValue: aws.String("45")}}}); err != nil {
		t.Fatal(err)
	}
	killWhen(t, sp, cl, aws.ToString(out.StackId), "UPDATE_COMPLETE", n)

	sp = startServerProcess(t, bin, data)
	cl = cfnClient(sp.URL)
	waitStack(t, cl, "upd", "UPDATE_ROLLBACK_COMPLETE")
	sq := (&testServer{URL: sp.URL}).sqsClient()
	for i := range n {
		url, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(fmt.Sprintf("upd-q-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		a, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"VisibilityTimeout"}})
		if err != nil {
			t.Fatal(err)
		}
		if v := a.Attributes["VisibilityTimeout"]; v != "30" {
			t.Errorf("upd-q-%d: VisibilityTimeout %s after the rollback, want 30", i, v)
		}
	}
	st := waitStack(t, cl, "upd", "UPDATE_ROLLBACK_COMPLETE")
	for _, p := range st.Parameters {
		if aws.ToString(p.ParameterKey) == "Vis" && aws.ToString(p.ParameterValue) != "30" {
			t.Errorf("parameter Vis %s after the rollback", aws.ToString(p.ParameterValue))
		}
	}

	// A delete a kill interrupts is carried on after the restart.
	if _, err := cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("upd")}); err != nil {
		t.Fatal(err)
	}
	killWhen(t, sp, cl, aws.ToString(out.StackId), "DELETE_COMPLETE", n)
	sp = startServerProcess(t, bin, data)
	cl = cfnClient(sp.URL)
	waitStack(t, cl, aws.ToString(out.StackId), "DELETE_COMPLETE")
	qs, err := (&testServer{URL: sp.URL}).sqsClient().ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("upd-q-")})
	if err != nil || len(qs.QueueUrls) != 0 {
		t.Fatalf("queues left after the resumed delete: %v %v", qs.QueueUrls, err)
	}
}
