package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func e2eCreds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")
}

// TestS3ToSNSToSQSToLambdaAcrossKill is the chain the seed names: objects
// uploaded to a bucket notify a topic, the topic fans out to a queue, and an
// event source mapping hands the queue's messages to a function. The server
// is killed (SIGKILL) while uploads go on and restarted on the same data:
// every upload S3 acknowledged reaches the function, at least once.
func TestS3ToSNSToSQSToLambdaAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	t.Parallel()
	ctx := context.Background()
	bin := serverBinary(t, t.TempDir())
	dataDir := t.TempDir()
	sp := startServerProcess(t, bin, dataDir, hostFiles...)
	ranFile := filepath.Join(t.TempDir(), "ran")

	qc := sqs.New(sqs.Options{BaseEndpoint: aws.String(sp.URL), Region: "us-east-1", Credentials: e2eCreds()})
	nc := sns.New(sns.Options{BaseEndpoint: aws.String(sp.URL), Region: "us-east-1", Credentials: e2eCreds()})
	q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("uploads-q")})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := nc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("uploads")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:uploads-q")}); err != nil {
		t.Fatal(err)
	}
	lc := sp.client()
	createFn(t, lc, "on-upload", "append", func(in *lambda.CreateFunctionInput) {
		in.Environment = &lambdatypes.Environment{Variables: map[string]string{"APPEND_FILE": ranFile}}
	})
	if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("on-upload"),
		EventSourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:uploads-q"), BatchSize: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	s3c := func(url string) *s3.Client {
		return s3.New(s3.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", Credentials: e2eCreds(), UsePathStyle: true})
	}
	sc := s3c(sp.URL)
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("inbox")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("inbox"),
		NotificationConfiguration: &s3types.NotificationConfiguration{TopicConfigurations: []s3types.TopicConfiguration{{
			TopicArn: topic.TopicArn, Events: []s3types.Event{"s3:ObjectCreated:*"}}}}}); err != nil {
		t.Fatal(err)
	}
	_ = q

	noRetry := s3.New(s3.Options{BaseEndpoint: aws.String(sp.URL), Region: "us-east-1", Credentials: e2eCreds(), UsePathStyle: true,
		Retryer: aws.NopRetryer{}})
	acked := acceptUntilKilled(t, sp, 200, "upload", func(g, i int) (string, bool) {
		key := fmt.Sprintf("g%d/%d", g, i)
		_, err := noRetry.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("inbox"), Key: aws.String(key), Body: strings.NewReader(key)})
		if err != nil {
			time.Sleep(5 * time.Millisecond)
			return "", false
		}
		return key, true
	})
	t.Logf("%d uploads acknowledged before the kill", len(acked))
	sp = startServerProcess(t, bin, dataDir, hostFiles...)
	sc = s3c(sp.URL)
	for i := range 20 {
		key := fmt.Sprintf("after/%d", i)
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("inbox"), Key: aws.String(key), Body: strings.NewReader(key)}); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, key)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := uploadsSeen(t, ranFile)
		var missing []string
		for _, k := range acked {
			if !got[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged uploads never reached the function, e.g. %q", len(missing), len(acked), missing[0])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// uploadsSeen reads the function's lines: each is an SQS event whose bodies
// are SNS envelopes whose Message is S3's event. It returns the object keys.
func uploadsSeen(t *testing.T, file string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return seen
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		var line struct {
			Event struct {
				Records []struct {
					Body        string `json:"body"`
					EventSource string `json:"eventSource"`
				}
			} `json:"event"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		for _, r := range line.Event.Records {
			var env struct{ Type, Message, TopicArn string }
			if r.EventSource != "aws:sqs" || json.Unmarshal([]byte(r.Body), &env) != nil || env.Type != "Notification" {
				t.Errorf("not an SNS notification in an SQS record: %s", r.Body)
				continue
			}
			var ev struct {
				Records []struct {
					EventName string `json:"eventName"`
					S3        struct {
						Object struct{ Key string } `json:"object"`
					} `json:"s3"`
				}
			}
			if json.Unmarshal([]byte(env.Message), &ev) != nil {
				continue // S3's s3:TestEvent
			}
			for _, e := range ev.Records {
				seen[e.S3.Object.Key] = true
			}
		}
	}
	return seen
}
