package sqs

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// runTool runs a query-protocol client (Debian's aws CLI or python3 with
// boto3) against ts, skipping when it is not installed outside CI.
func runTool(t *testing.T, ts *testServer, bin string, args ...string) (string, error) {
	t.Helper()
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing in CI", bin)
		}
		t.Skipf("%s not installed", bin)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "ENDPOINT="+ts.URL)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestAWSCLIQueryProtocol(t *testing.T) {
	ts := newTestServer(t)
	aws := func(args ...string) map[string]any {
		t.Helper()
		out, err := runTool(t, ts, "/usr/bin/aws", append([]string{"--endpoint-url", ts.URL, "--output", "json", "sqs"}, args...)...)
		if err != nil {
			t.Fatalf("aws sqs %v: %v\n%s", args, err, out)
		}
		m := map[string]any{}
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("aws sqs %v: %v\n%s", args, err, out)
			}
		}
		return m
	}
	url := aws("create-queue", "--queue-name", "cli")["QueueUrl"].(string)
	if url != ts.URL+"/000000000000/cli" {
		t.Fatalf("QueueUrl %s", url)
	}
	sent := aws("send-message", "--queue-url", url, "--message-body", "hello",
		"--message-attributes", `{"k":{"DataType":"String","StringValue":"v"},"b":{"DataType":"Binary","BinaryValue":"AQI="}}`)
	if sent["MD5OfMessageBody"] != "5d41402abc4b2a76b9719d911017c592" || sent["MD5OfMessageAttributes"] == nil {
		t.Fatalf("send-message %v", sent)
	}
	got := aws("receive-message", "--queue-url", url, "--attribute-names", "All", "--message-attribute-names", "All")
	msgs := got["Messages"].([]any)
	m := msgs[0].(map[string]any)
	if m["Body"] != "hello" || m["MD5OfMessageAttributes"] != sent["MD5OfMessageAttributes"] {
		t.Fatalf("receive-message %v", got)
	}
	if m["Attributes"].(map[string]any)["ApproximateReceiveCount"] != "1" {
		t.Fatalf("attributes %v", m["Attributes"])
	}
	aws("delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"].(string))
	attrs := aws("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"].(map[string]any)
	if attrs["ApproximateNumberOfMessages"] != "0" || attrs["QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:cli" {
		t.Fatalf("attributes %v", attrs)
	}
	// The newer operations through the query protocol's XML.
	src := aws("create-queue", "--queue-name", "cli-src", "--attributes",
		`{"RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:cli\",\"maxReceiveCount\":\"2\"}"}`)["QueueUrl"].(string)
	if srcs := aws("list-dead-letter-source-queues", "--queue-url", url)["queueUrls"].([]any); len(srcs) != 1 || srcs[0] != src {
		t.Fatalf("list-dead-letter-source-queues %v", srcs)
	}
	aws("send-message", "--queue-url", src, "--message-body", "one")
	r := aws("receive-message", "--queue-url", src)["Messages"].([]any)[0].(map[string]any)
	batch := aws("change-message-visibility-batch", "--queue-url", src, "--entries",
		`[{"Id":"a","ReceiptHandle":"`+r["ReceiptHandle"].(string)+`","VisibilityTimeout":0},{"Id":"b","ReceiptHandle":"junk","VisibilityTimeout":0}]`)
	if ok, failed := batch["Successful"].([]any), batch["Failed"].([]any); len(ok) != 1 || len(failed) != 1 || failed[0].(map[string]any)["Code"] != "ReceiptHandleIsInvalid" {
		t.Fatalf("change-message-visibility-batch %v", batch)
	}
	aws("add-permission", "--queue-url", src, "--label", "l", "--aws-account-ids", "111122223333", "--actions", "SendMessage")
	if p := aws("get-queue-attributes", "--queue-url", src, "--attribute-names", "Policy")["Attributes"].(map[string]any)["Policy"].(string); !strings.Contains(p, `"Sid":"l"`) {
		t.Fatalf("policy after add-permission: %s", p)
	}
	aws("remove-permission", "--queue-url", src, "--label", "l")
	out, err := runTool(t, ts, "/usr/bin/aws", "--endpoint-url", ts.URL, "sqs", "get-queue-url", "--queue-name", "nope")
	if err == nil || !strings.Contains(out, "AWS.SimpleQueueService.NonExistentQueue") || !strings.Contains(out, "does not exist for this wsdl version") {
		t.Fatalf("get-queue-url of a missing queue: %v\n%s", err, out)
	}
}

func TestBoto3QueryProtocol(t *testing.T) {
	ts := newTestServer(t)
	script := `
import boto3, os
c = boto3.client("sqs", endpoint_url=os.environ["ENDPOINT"])
url = c.create_queue(QueueName="py", Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
r = c.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "1"}}}])
assert len(r["Successful"]) == 2, r
got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
assert sorted(m["Body"] for m in got) == ["one", "two"], got
d = c.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
assert len(d["Successful"]) == 2, d
print(c.list_queues()["QueueUrls"][0])
`
	out, err := runTool(t, ts, "/usr/bin/python3", "-c", script)
	if err != nil || strings.TrimSpace(out) != ts.URL+"/000000000000/py" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
