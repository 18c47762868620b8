package sns

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// tool finds a query-protocol client: the first of paths that exists, else
// name on PATH. It skips the test when there is none, outside CI.
func tool(t *testing.T, name string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s missing in CI", name)
	}
	t.Skipf("%s not installed", name)
	return ""
}

func runTool(t *testing.T, ts *testServer, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "ENDPOINT="+ts.URL)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestAWSCLI(t *testing.T) {
	bin := tool(t, "aws", "/usr/bin/aws")
	rec := &recorder{}
	ts := newTestServer(t, rec, nil)
	aws := func(args ...string) map[string]any {
		t.Helper()
		out, err := runTool(t, ts, bin, append([]string{"--endpoint-url", ts.URL, "--output", "json", "sns"}, args...)...)
		if err != nil {
			t.Fatalf("aws sns %v: %v\n%s", args, err, out)
		}
		m := map[string]any{}
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("aws sns %v: %v\n%s", args, err, out)
			}
		}
		return m
	}
	topic := aws("create-topic", "--name", "cli")["TopicArn"].(string)
	if topic != "arn:aws:sns:us-east-1:000000000000:cli" {
		t.Fatalf("TopicArn %s", topic)
	}
	queue := "arn:aws:sqs:us-east-1:000000000000:cliq"
	sub := aws("subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", queue,
		"--attributes", `{"FilterPolicy":"{\"n\":[{\"numeric\":[\">\",5]}]}","RawMessageDelivery":"true"}`)["SubscriptionArn"].(string)
	attrs := aws("get-subscription-attributes", "--subscription-arn", sub)["Attributes"].(map[string]any)
	if attrs["FilterPolicy"] != `{"n":[{"numeric":[">",5]}]}` || attrs["FilterPolicyScope"] != "MessageAttributes" || attrs["RawMessageDelivery"] != "true" {
		t.Fatalf("subscription attributes %v", attrs)
	}
	for _, n := range []string{"3", "7"} {
		pub := aws("publish", "--topic-arn", topic, "--message", "n="+n, "--message-attributes",
			`{"n":{"DataType":"Number","StringValue":"`+n+`"}}`)
		if !uuidRE.MatchString(pub["MessageId"].(string)) {
			t.Fatalf("publish %v", pub)
		}
	}
	ts.drain()
	if got := rec.get(queue); len(got) != 1 || got[0].Body != "n=7" || got[0].Attributes["n"].DataType != "Number" {
		t.Fatalf("deliveries %+v", got)
	}
	ls := aws("list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"].([]any)
	if len(ls) != 1 || ls[0].(map[string]any)["Endpoint"] != queue || ls[0].(map[string]any)["Owner"] != "000000000000" {
		t.Fatalf("subscriptions %v", ls)
	}
	out, err := runTool(t, ts, bin, "--endpoint-url", ts.URL, "sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:000000000000:nope", "--message", "x")
	if err == nil || !strings.Contains(out, "An error occurred (NotFound) when calling the Publish operation: Topic does not exist") {
		t.Fatalf("publish to a missing topic: %v\n%s", err, out)
	}
}

func TestBoto3(t *testing.T) {
	// Debian's python3 may lack boto3 where another python3 on PATH has it.
	var bin string
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if exec.Command(p, "-c", "import boto3").Run() == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no python3 with boto3 in CI")
		}
		t.Skip("no python3 with boto3")
	}
	rec := &recorder{}
	ts := newTestServer(t, rec, nil)
	script := `
import boto3, json, os
from botocore.exceptions import ClientError
c = boto3.client("sns", endpoint_url=os.environ["ENDPOINT"])
arn = c.create_topic(Name="py.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
c.subscribe(TopicArn=arn, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:py.fifo")
p = c.publish(TopicArn=arn, Message="one", MessageGroupId="g")
b = c.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
    {"Id": "x", "Message": "two", "MessageGroupId": "g"},
    {"Id": "y", "Message": "three"}])
errs = {}
for name, call in {
    "missing": lambda: c.get_topic_attributes(TopicArn="arn:aws:sns:us-east-1:000000000000:nope"),
    "filter": lambda: c.subscribe(TopicArn=arn, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:other.fifo",
                                  Attributes={"FilterPolicy": json.dumps({"a": [{"exists": "yes"}]})}),
}.items():
    try:
        call()
    except ClientError as e:
        errs[name] = [e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"], e.response["Error"]["Message"]]
print(json.dumps({"publish": p, "batch": b, "errors": errs}))
`
	out, err := runTool(t, ts, bin, "-c", script)
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
	var res struct {
		Publish struct{ MessageId, SequenceNumber string }
		Batch   struct {
			Successful []struct{ Id, MessageId, SequenceNumber string }
			Failed     []struct {
				Id, Code, Message string
				SenderFault       bool
			}
		}
		Errors map[string][]any
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !uuidRE.MatchString(res.Publish.MessageId) || !seqRE.MatchString(res.Publish.SequenceNumber) {
		t.Fatalf("publish %+v", res.Publish)
	}
	if len(res.Batch.Successful) != 1 || res.Batch.Successful[0].Id != "x" || res.Batch.Successful[0].SequenceNumber <= res.Publish.SequenceNumber ||
		len(res.Batch.Failed) != 1 || res.Batch.Failed[0].Id != "y" || res.Batch.Failed[0].Code != "InvalidParameter" || !res.Batch.Failed[0].SenderFault {
		t.Fatalf("publish_batch %+v", res.Batch)
	}
	if e := res.Errors["missing"]; len(e) != 3 || e[0] != float64(404) || e[1] != "NotFound" || e[2] != "Topic does not exist" {
		t.Fatalf("missing topic error %v", e)
	}
	if e := res.Errors["filter"]; len(e) != 3 || e[1] != "InvalidParameter" ||
		e[2] != "Invalid parameter: Attributes Reason: FilterPolicy: exists match pattern must be either true or false." {
		t.Fatalf("filter error %v", e)
	}
	got := rec.wait(t, "arn:aws:sqs:us-east-1:000000000000:py.fifo", 2)
	if got[0].GroupID != "g" || !strings.Contains(got[0].Body, `"Message" : "one"`) || !strings.Contains(got[1].Body, `"Message" : "two"`) {
		t.Fatalf("deliveries %+v", got)
	}
}
