package eventpattern

import (
	"strings"
	"testing"
)

// benchEvent is a typical EventBridge event of about 1 KB: a CloudTrail-style
// API call.
var benchEvent = []byte(`{
  "version": "0",
  "id": "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "AWS API Call via CloudTrail",
  "source": "aws.s3",
  "account": "123456789012",
  "time": "2024-03-12T08:14:32Z",
  "region": "us-east-1",
  "resources": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/uploads/report.png"],
  "detail": {
    "eventVersion": "1.08",
    "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:session", "arn": "arn:aws:sts::123456789012:assumed-role/uploader/session", "accountId": "123456789012"},
    "eventTime": "2024-03-12T08:14:31Z",
    "eventSource": "s3.amazonaws.com",
    "eventName": "PutObject",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "10.0.12.34",
    "userAgent": "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux md/GOARCH#amd64",
    "requestParameters": {"bucketName": "example-bucket", "key": "uploads/report.png", "x-amz-acl": "private"},
    "responseElements": null,
    "additionalEventData": {"bytesTransferredIn": 48213, "bytesTransferredOut": 0, "SignatureVersion": "SigV4"},
    "requestID": "ABCDEF0123456789",
    "eventID": "e8a9b0c1-d2e3-4f5a-6b7c-8d9e0f1a2b3c",
    "readOnly": false,
    "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::example-bucket/uploads/report.png"}, {"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::example-bucket"}],
    "eventType": "AwsApiCall",
    "managementEvent": false,
    "recipientAccountId": "123456789012"
  }
}`)

const benchPattern = `{
  "source": ["aws.s3"],
  "detail-type": [{"equals-ignore-case": "aws api call via cloudtrail"}],
  "detail": {
    "eventName": ["PutObject", "CompleteMultipartUpload"],
    "requestParameters": {"key": [{"suffix": ".png"}], "bucketName": [{"prefix": "example-"}]},
    "additionalEventData": {"bytesTransferredIn": [{"numeric": [">", 1024]}]},
    "sourceIPAddress": [{"cidr": "10.0.0.0/16"}],
    "userIdentity": {"type": [{"anything-but": "Root"}]},
    "resources": {"type": ["AWS::S3::Object"], "ARN": [{"wildcard": "arn:aws:s3:::*/uploads/*"}]}
  }
}`

func BenchmarkMatch(b *testing.B) {
	p, err := Compile([]byte(benchPattern), Options{})
	if err != nil {
		b.Fatal(err)
	}
	if !p.Match(benchEvent) {
		b.Fatal("the benchmark's pattern does not match its event")
	}
	b.SetBytes(int64(len(benchEvent)))
	b.ReportAllocs()
	for b.Loop() {
		p.Match(benchEvent)
	}
}

func TestBenchEventIsTypical(t *testing.T) {
	if n := len(strings.Join(strings.Fields(string(benchEvent)), "")); n < 900 || n > 1400 {
		t.Errorf("benchmark event is %d bytes compacted, want about 1 KB", n)
	}
}
