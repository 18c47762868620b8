package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/stratus-run/stratus/internal/testfn"
)

// s3Client is an aws-sdk-go-v2 S3 client for a server at url, path-style.
func s3Client(url string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		// config.LoadDefaultConfig's defaults: a CRC32 on every upload.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// TestS3BackupExample is the seed's example end to end: examples/s3-backup copies
// every new object of one bucket into another. 100 objects go in (one of them 50 MB,
// uploaded in parts by feature/s3/manager); the server is killed with SIGKILL while
// the small ones are being uploaded and restarted on the same data; every object
// acknowledged before the kill, and every one after, ends up in the backup bucket
// with the same ETag.
func TestS3BackupExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	ctx := context.Background()
	bin := serverBinary(t, t.TempDir())
	root, err := testfn.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	_, zipped, err := testfn.BuildGoFunction(root, "./examples/s3-backup", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	flags := []string{"--async-ack-wait", "1s", "--async-retry-delay", "200ms"}
	sp := startServerProcess(t, bin, dataDir, flags...)
	lc := sp.client()
	fn, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("backup"), Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::000000000000:role/backup"), Code: &lambdatypes.FunctionCode{ZipFile: zipped},
		MemorySize: aws.Int32(256), Timeout: aws.Int32(60),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"BACKUP_BUCKET": "backup"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sc := s3Client(sp.URL)
	for _, b := range []string{"source", "backup"} {
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	notify := &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String("source"),
		NotificationConfiguration: &s3types.NotificationConfiguration{LambdaFunctionConfigurations: []s3types.LambdaFunctionConfiguration{{
			LambdaFunctionArn: fn.FunctionArn, Events: []s3types.Event{"s3:ObjectCreated:*"},
		}}}}
	// S3 refuses a function that has not let it invoke, as AWS does.
	if _, err := sc.PutBucketNotificationConfiguration(ctx, notify); err == nil {
		t.Fatal("a notification to a function without a permission for S3 was accepted")
	}
	if _, err := lc.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String("backup"), StatementId: aws.String("s3-source"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::source"), SourceAccount: aws.String("000000000000"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutBucketNotificationConfiguration(ctx, notify); err != nil {
		t.Fatal(err)
	}

	big := make([]byte, 50<<20)
	rand.Read(big) //nolint:errcheck
	up := manager.NewUploader(sc, func(u *manager.Uploader) { u.PartSize = 10 << 20 })
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("source"), Key: aws.String("big/fifty mb.bin"), Body: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}

	const objects = 100 // the big one and 99 small ones
	var made atomic.Int64
	put := func(c *s3.Client, key string) error {
		body := make([]byte, 1024+len(key)*97)
		rand.Read(body) //nolint:errcheck
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("source"), Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	}
	noRetry := s3.New(sc.Options(), func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	acked := acceptUntilKilled(t, sp, 40, "object", func(g, i int) (string, bool) {
		if made.Load() >= objects-1-10 { // leave some for after the restart
			time.Sleep(5 * time.Millisecond)
			return "", false
		}
		key := fmt.Sprintf("small/%d-%03d.txt", g, i)
		if put(noRetry, key) != nil {
			return "", false
		}
		made.Add(1)
		return key, true
	})
	t.Logf("%d small objects acknowledged before the kill", len(acked))

	sp = startServerProcess(t, bin, dataDir, flags...)
	sc = s3Client(sp.URL)
	for i := 0; len(acked) < objects-1; i++ {
		key := fmt.Sprintf("small/after-%03d.txt", i)
		if err := put(sc, key); err != nil {
			t.Fatalf("put %s after the restart: %v", key, err)
		}
		acked = append(acked, key)
	}

	want := map[string]string{}
	for _, k := range append(acked, "big/fifty mb.bin") {
		h, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("source"), Key: aws.String(k)})
		if err != nil {
			t.Fatalf("head %s in the source: %v", k, err)
		}
		want[k] = aws.ToString(h.ETag)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		got := map[string]string{}
		p := s3.NewListObjectsV2Paginator(sc, &s3.ListObjectsV2Input{Bucket: aws.String("backup")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				got[aws.ToString(o.Key)] = aws.ToString(o.ETag)
			}
		}
		missing, differ := 0, 0
		for k, etag := range want {
			switch g, ok := got[k]; {
			case !ok:
				missing++
			case g != etag:
				differ++
				t.Logf("%s: backup ETag %s, source %s", k, g, etag)
			}
		}
		if missing == 0 && differ == 0 {
			t.Logf("all %d objects backed up with equal ETags (the big one %s)", len(want), want["big/fifty mb.bin"])
			return
		}
		if differ > 0 || time.Now().After(deadline) {
			t.Fatalf("%d of %d objects missing from the backup, %d with another ETag", missing, len(want), differ)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
