package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// appHandler is the function of the app: items kept in the table whose name
// the template hands it in TABLE, with boto3 as AWS's examples write it.
const appHandler = `import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    method = event["requestContext"]["http"]["method"]
    item_id = event["pathParameters"]["id"]
    if method == "PUT":
        table.put_item(Item={"id": item_id, "body": event.get("body") or ""})
        return {"statusCode": 201, "body": json.dumps({"id": item_id})}
    item = table.get_item(Key={"id": item_id}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"message": "no item " + item_id})}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(item)}
`

// itemsAppTemplate is an API + function + table application as SAM users write
// one: an HttpApi whose routes invoke a Python function that reads and
// writes a SimpleTable, the table's name passed through the environment.
func itemsAppTemplate() string {
	code := "        " + strings.ReplaceAll(strings.TrimRight(appHandler, "\n"), "\n", "\n        ")
	return `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 30
Resources:
  Items:
    Type: AWS::Serverless::SimpleTable
  ItemsFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
` + code + `
      Environment:
        Variables:
          TABLE: !Ref Items
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Items
      Events:
        Put:
          Type: HttpApi
          Properties:
            Path: /items/{id}
            Method: put
        Get:
          Type: HttpApi
          Properties:
            Path: /items/{id}
            Method: get
Outputs:
  ApiUrl:
    Value: !GetAtt ServerlessHttpApi.ApiEndpoint
  TableName:
    Value: !Ref Items
`
}

// localhostClient is a plain HTTP client for the URLs Stratus gives its
// APIs ({api-id}.execute-api.localhost:{port}): every *.localhost name is
// dialled on the loopback interface, as browsers and systemd-resolved do,
// whatever the host's resolver makes of it.
func localhostClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err == nil && strings.HasSuffix(host, ".localhost") {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, addr)
		}}}
}

func httpDo(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestCfnApp deploys the SAM application with aws-sdk-go-v2 as `aws
// cloudformation deploy` does (a CREATE change set carrying the transform,
// then ExecuteChangeSet) and uses it over plain HTTP at the URL the stack
// outputs: an item PUT through the API is written to the table by the
// function and read back by a GET.
func TestCfnApp(t *testing.T) {
	skipWithoutPython(t)
	skipWithoutBoto3(t)
	t.Parallel()
	ts := startServer(t, "", hostFiles...)
	cl := cfnClient(ts.URL)
	ctx := context.Background()
	const stack = "items-app"

	cs, err := cl.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: aws.String(stack),
		ChangeSetName: aws.String("deploy-1"), ChangeSetType: cfntypes.ChangeSetTypeCreate,
		TemplateBody: aws.String(itemsAppTemplate()), Capabilities: samCaps})
	if err != nil {
		t.Fatal(err)
	}
	w := cloudformation.NewChangeSetCreateCompleteWaiter(cl, func(o *cloudformation.ChangeSetCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	d, err := w.WaitForOutput(ctx, &cloudformation.DescribeChangeSetInput{StackName: aws.String(stack), ChangeSetName: cs.Id}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The change set lists what the transform made, as CloudFormation's does.
	added := map[string]string{}
	for _, c := range d.Changes {
		if rc := c.ResourceChange; rc != nil && rc.Action == cfntypes.ChangeActionAdd {
			added[aws.ToString(rc.LogicalResourceId)] = aws.ToString(rc.ResourceType)
		}
	}
	for logical, typ := range map[string]string{"Items": "AWS::DynamoDB::Table", "ItemsFn": "AWS::Lambda::Function",
		"ServerlessHttpApi": "AWS::ApiGatewayV2::Api"} {
		if added[logical] != typ {
			t.Errorf("change set adds %s as %q, want %s; adds %v", logical, added[logical], typ, added)
		}
	}
	if _, err := cl.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{StackName: aws.String(stack), ChangeSetName: cs.Id}); err != nil {
		t.Fatal(err)
	}
	st := waitStack(t, cl, stack, "CREATE_COMPLETE")
	outs := outputsOf(st)
	base, table := outs["ApiUrl"], outs["TableName"]
	if !strings.HasPrefix(base, "http://") || table == "" {
		t.Fatalf("outputs %v", outs)
	}

	hc := localhostClient()
	if code, body := httpDo(t, hc, "PUT", base+"/items/42", `{"name":"towel"}`); code != 201 || body != `{"id": "42"}` {
		t.Fatalf("PUT /items/42: %d %s; events:\n%s", code, body, stackEvents(t, cl, stack))
	}
	code, body := httpDo(t, hc, "GET", base+"/items/42", "")
	var item map[string]string
	if code != 200 || json.Unmarshal([]byte(body), &item) != nil || item["id"] != "42" || item["body"] != `{"name":"towel"}` {
		t.Fatalf("GET /items/42: %d %s", code, body)
	}
	if code, body := httpDo(t, hc, "GET", base+"/items/7", ""); code != 404 {
		t.Errorf("GET /items/7: %d %s, want 404", code, body)
	}
	// The item is in the stack's table, not somewhere the function made up.
	got, err := ddbClient(ts.URL).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "42"}}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Item["body"].(*ddbtypes.AttributeValueMemberS); !ok || v.Value != `{"name":"towel"}` {
		t.Errorf("table %s holds %v", table, got.Item)
	}

	if _, err := cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(stack)}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, aws.ToString(st.StackId), "DELETE_COMPLETE")
	if _, err := ddbClient(ts.URL).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}); err == nil {
		t.Errorf("table %s outlived its stack", table)
	}
}

// TestCfnCancelUpdateStack cancels an update while CodeDeploy is shifting
// its alias (10% on the new version): the update stops, the deployment is
// stopped and the stack rolls back to UPDATE_ROLLBACK_COMPLETE with the
// alias wholly on the old version. A cancel from any other status is
// CloudFormation's ValidationError.
func TestCfnCancelUpdateStack(t *testing.T) {
	skipWithoutPython(t)
	t.Parallel()
	ts := startServer(t, "", append([]string{"--schedule-minute", deployMinute.String()}, hostFiles...)...)
	cl, lc := cfnClient(ts.URL), ts.lambdaClient()
	ctx := context.Background()
	const stack, fn = "cancel-app", "cancel-app-fn"
	const notNow = "CancelUpdateStack cannot be called from current stack status"

	deploySAM(t, cl, stack, cdSAMTemplate(stack, "v1", "Succeeded"), true)
	waitStack(t, cl, stack, "CREATE_COMPLETE")
	_, err := cl.CancelUpdateStack(ctx, &cloudformation.CancelUpdateStackInput{StackName: aws.String(stack)})
	wantCfnError(t, err, "ValidationError", notNow)

	deploySAM(t, cl, stack, cdSAMTemplate(stack, "v2", "Succeeded"), false)
	waitCanary(t, cl, stack, lc, fn, "1", "2", 15*time.Second)
	start := time.Now()
	if _, err := cl.CancelUpdateStack(ctx, &cloudformation.CancelUpdateStackInput{StackName: aws.String(stack)}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, stack, "UPDATE_ROLLBACK_COMPLETE")
	// The canary alone holds for five compressed minutes: a rollback that
	// came sooner was the cancel's, not the deployment's end.
	if took := time.Since(start); took >= 5*deployMinute {
		t.Errorf("the rollback took %s, as long as the canary (%s) left running", took, 5*deployMinute)
	}
	if v, w := aliasOf(t, lc, fn); v != "1" || w != nil {
		t.Errorf("after the cancel the alias is at %s with %v, want 1 alone", v, w)
	}
	if got := invokeText(t, lc, fn+":live"); got != `"v1"` {
		t.Errorf("after the cancel the alias answers %s", got)
	}
	evs := stackEventList(t, cl, stack)
	if e, ok := findEvent(evs, "FnAliaslive", "UPDATE_FAILED"); !ok || aws.ToString(e.ResourceStatusReason) != "Resource update cancelled" {
		t.Errorf("alias UPDATE_FAILED event %v (%s); events:\n%s", ok, aws.ToString(e.ResourceStatusReason), stackEvents(t, cl, stack))
	}
	if e, ok := findEvent(evs, stack, "UPDATE_ROLLBACK_IN_PROGRESS"); !ok || aws.ToString(e.ResourceStatusReason) != "Stack update cancelled" {
		t.Errorf("stack UPDATE_ROLLBACK_IN_PROGRESS event %v (%s)", ok, aws.ToString(e.ResourceStatusReason))
	}
	_, err = cl.CancelUpdateStack(ctx, &cloudformation.CancelUpdateStackInput{StackName: aws.String(stack)})
	wantCfnError(t, err, "ValidationError", notNow)
	_, err = cl.ContinueUpdateRollback(ctx, &cloudformation.ContinueUpdateRollbackInput{StackName: aws.String(stack)})
	wantCfnError(t, err, "ValidationError", "ContinueUpdateRollback cannot be called from current stack status")

	// The stack is updatable again, and the next update goes through.
	deploySAM(t, cl, stack, cdSAMTemplate(stack, "v3", "Succeeded"), false)
	waitStack(t, cl, stack, "UPDATE_COMPLETE")
	if got := invokeText(t, lc, fn+":live"); got != `"v3"` {
		t.Errorf("after the next update the alias answers %s", got)
	}
}

// queuesTemplate is a stack of n SQS queues, each exported under prefix:
// cheap resources, many events.
func queuesTemplate(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("Resources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  Q%03d:\n    Type: AWS::SQS::Queue\n", i)
	}
	b.WriteString("Outputs:\n")
	for i := range n {
		fmt.Fprintf(&b, "  Q%03d:\n    Value: !Ref Q%03d\n    Export:\n      Name: %s-q%03d\n", i, i, prefix, i)
	}
	return b.String()
}

// TestCfnPaging pages the list operations as the SDK's paginators do: 100
// items a page and a NextToken for the rest, every item once, in order; a
// token that is not one the operation issued is a ValidationError.
func TestCfnPaging(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	cl := cfnClient(ts.URL)
	ctx := context.Background()
	const n = 105
	if _, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("many"), TemplateBody: aws.String(queuesTemplate("many", n))}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "many", "CREATE_COMPLETE")

	var pages []int
	var logical []string
	rp := cloudformation.NewListStackResourcesPaginator(cl, &cloudformation.ListStackResourcesInput{StackName: aws.String("many")})
	for rp.HasMorePages() {
		out, err := rp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.StackResourceSummaries))
		for _, r := range out.StackResourceSummaries {
			logical = append(logical, aws.ToString(r.LogicalResourceId))
		}
	}
	if fmt.Sprint(pages) != "[100 5]" || len(logical) != n || logical[0] != "Q000" || logical[n-1] != fmt.Sprintf("Q%03d", n-1) {
		t.Errorf("ListStackResources pages %v, %d resources", pages, len(logical))
	}
	for i := 1; i < len(logical); i++ {
		if logical[i-1] >= logical[i] {
			t.Fatalf("ListStackResources out of order at %d: %s, %s", i, logical[i-1], logical[i])
		}
	}

	// 2 events a queue and 2 of the stack: three pages, newest first, each event once.
	pages = nil
	seen := map[string]bool{}
	var last time.Time
	ep := cloudformation.NewDescribeStackEventsPaginator(cl, &cloudformation.DescribeStackEventsInput{StackName: aws.String("many")})
	for ep.HasMorePages() {
		out, err := ep.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.StackEvents))
		for _, e := range out.StackEvents {
			id := aws.ToString(e.EventId)
			if seen[id] {
				t.Fatalf("event %s on two pages", id)
			}
			seen[id] = true
			if !last.IsZero() && e.Timestamp.After(last) {
				t.Fatalf("events not newest first: %s after %s", e.Timestamp, last)
			}
			last = *e.Timestamp
		}
	}
	if want := fmt.Sprint([]int{100, 100, 2*n + 2 - 200}); fmt.Sprint(pages) != want {
		t.Errorf("DescribeStackEvents pages %v, want %s", pages, want)
	}

	pages = nil
	var exports []string
	xp := cloudformation.NewListExportsPaginator(cl, &cloudformation.ListExportsInput{})
	for xp.HasMorePages() {
		out, err := xp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.Exports))
		for _, e := range out.Exports {
			exports = append(exports, aws.ToString(e.Name))
		}
	}
	if fmt.Sprint(pages) != "[100 5]" || len(exports) != n || exports[100] != "many-q100" {
		t.Errorf("ListExports pages %v, %d exports", pages, len(exports))
	}

	// A token is opaque and belongs to the operation that gave it.
	first, err := cl.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String("many")})
	if err != nil {
		t.Fatal(err)
	}
	tok := aws.ToString(first.NextToken)
	if tok == "" || strings.Contains(tok, "Q100") {
		t.Fatalf("NextToken %q", tok)
	}
	_, err = cl.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String("many"), NextToken: aws.String(tok)})
	wantCfnError(t, err, "ValidationError", tok+" is not a valid NextToken")
	_, err = cl.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String("many"), NextToken: aws.String("garbage!")})
	wantCfnError(t, err, "ValidationError", "garbage! is not a valid NextToken")

	// Stacks: more than a page of them, each listed once.
	const stacks = 101
	errs := make(chan error, stacks)
	for i := range stacks {
		go func() {
			_, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(fmt.Sprintf("s%03d", i)),
				TemplateBody: aws.String("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")})
			errs <- err
		}()
	}
	for range stacks {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	names := map[string]int{}
	pages = nil
	dp := cloudformation.NewDescribeStacksPaginator(cl, &cloudformation.DescribeStacksInput{})
	for dp.HasMorePages() {
		out, err := dp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.Stacks))
		for _, s := range out.Stacks {
			names[aws.ToString(s.StackName)]++
		}
	}
	if fmt.Sprint(pages) != "[100 2]" || len(names) != stacks+1 {
		t.Errorf("DescribeStacks pages %v, %d stacks", pages, len(names))
	}
	for name, c := range names {
		if c != 1 {
			t.Errorf("DescribeStacks listed %s %d times", name, c)
		}
	}
	pages = nil
	lp := cloudformation.NewListStacksPaginator(cl, &cloudformation.ListStacksInput{})
	total := 0
	for lp.HasMorePages() {
		out, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.StackSummaries))
		total += len(out.StackSummaries)
	}
	if fmt.Sprint(pages) != "[100 2]" || total != stacks+1 {
		t.Errorf("ListStacks pages %v", pages)
	}
	var ae smithy.APIError
	_, err = cl.ListStacks(ctx, &cloudformation.ListStacksInput{NextToken: aws.String(tok)})
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
		t.Errorf("ListStacks with a ListStackResources token: %v", err)
	}
}
