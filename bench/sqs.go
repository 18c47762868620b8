package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/stratus-run/stratus/internal/testfn"
)

// goaws is the SQS benchmarks' peer, built from the Go module proxy into the
// user's cache (never linked or vendored) and run as a child process.
const (
	GoawsModule  = "github.com/Admiral-Piett/goaws"
	GoawsVersion = "v0.4.5"
	// SQSQueue is the queue every party's messages go through.
	SQSQueue = "bench"
)

// BuildGoaws returns the path of a goaws binary of GoawsVersion, building it
// with `go install` the first time (its main package is app/cmd).
func BuildGoaws(ctx context.Context) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "stratus-bench", "goaws")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, GoawsVersion, "goaws")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) //nolint:errcheck
	out, err := goCmd(ctx, dir, []string{"GOBIN=" + tmp, "GOFLAGS=-mod=mod"}, "install", GoawsModule+"/app/cmd@"+GoawsVersion)
	if err != nil {
		return "", fmt.Errorf("bench: go install %s: %w\n%s", GoawsModule, err, lastLines(out, 20))
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	return bin, os.Rename(filepath.Join(tmp, "cmd"), bin)
}

// StartGoaws runs goaws with one queue, SQSQueue, on a free port. goaws
// listens on every interface (it has no address setting); the benchmark only
// talks to it on loopback.
func StartGoaws(ctx context.Context, bin, dir string) (*Process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cfg := filepath.Join(dir, "goaws.yaml")
	yaml := "Local:\n  Host: 127.0.0.1\n  Port: " + port + "\n  Region: us-east-1\n  AccountId: \"000000000000\"\n" +
		"  LogToFile: false\n  QueueAttributeDefaults:\n    VisibilityTimeout: 30\n    ReceiveMessageWaitTimeSeconds: 0\n" +
		"  Queues:\n    - Name: " + SQSQueue + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-config", cfg, "Local")
	p, err := startPolled(ctx, 30*time.Second, cmd, "http://"+addr, "/health")
	if err != nil {
		return nil, fmt.Errorf("bench: goaws: %w", err)
	}
	return p, nil
}

// SQSRig is one SQS benchmark run: Stratus, goaws (when asked and it could be
// built) and rawecho, each a child process.
type SQSRig struct {
	Stratus    *Process
	Goaws      *Process
	GoawsErr   error
	Raw        *Process
	Root, dir  string
	StratusBin string
}

// OpenSQS builds and starts the servers; only a failure of Stratus or the
// raw baseline is an error.
func OpenSQS(ctx context.Context, stratusBin string, flags []string, goaws bool) (_ *SQSRig, err error) {
	r := &SQSRig{StratusBin: stratusBin}
	if r.Root, err = testfn.ModuleRoot(); err != nil {
		return nil, err
	}
	if r.dir, err = os.MkdirTemp("", "stratus-sqsbench"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.Close(context.Background()) //nolint:errcheck
		}
	}()
	if r.Raw, err = startRawecho(ctx, r.Root, r.dir); err != nil {
		return nil, err
	}
	if r.Stratus, err = startStratusProcess(ctx, r.Root, stratusBin, r.dir, filepath.Join(r.dir, "stratus-data"), flags); err != nil {
		return nil, err
	}
	if _, err := NewSQSClient(r.Stratus.URL, NewHTTPClient(1)).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(SQSQueue)}); err != nil {
		return nil, err
	}
	if !goaws {
		r.GoawsErr = errors.New("not asked for")
		return r, nil
	}
	bin, err := BuildGoaws(ctx)
	if err == nil {
		r.Goaws, err = StartGoaws(ctx, bin, r.dir)
	}
	r.GoawsErr = err
	return r, nil
}

// Dir is the run's scratch directory.
func (r *SQSRig) Dir() string { return r.dir }

// Close stops every server and removes the run's files.
func (r *SQSRig) Close(ctx context.Context) error {
	return closeRig(ctx, r.dir, r.Stratus, r.Goaws, r.Raw)
}

// NewSQSClient is an aws-sdk-go-v2 SQS client (awsJson 1.0) of endpoint.
func NewSQSClient(endpoint string, hc *http.Client) *sqs.Client {
	return sqs.New(sqs.Options{
		BaseEndpoint: aws.String(endpoint), Region: "us-east-1", HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", ""),
		Retryer:     closedConnRetryer{},
	})
}

// SDKCycleCaller is one send, receive and delete of a message through the
// aws-sdk-go-v2 client: the unit the SQS rows count.
func SDKCycleCaller(c *sqs.Client, queueURL string) Caller {
	body := aws.String(strings.Repeat("m", 100))
	return func(ctx context.Context) error {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: body}); err != nil {
			return err
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &queueURL, WaitTimeSeconds: 1})
		if err != nil {
			return err
		}
		if len(out.Messages) == 0 {
			return errors.New("receive: no message")
		}
		_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queueURL, ReceiptHandle: out.Messages[0].ReceiptHandle})
		return err
	}
}

// QueryClient speaks SQS's query protocol (form POSTs, XML answers), signed
// with SigV4 by aws-sdk-go-v2's signer: the protocol goaws serves, since it
// does not serve the awsJson one current SDKs send. The same client runs
// against both servers.
type QueryClient struct {
	HC       *http.Client
	Endpoint string
	signer   *v4.Signer
	creds    aws.Credentials
}

// NewQueryClient returns a query-protocol client of endpoint.
func NewQueryClient(endpoint string, hc *http.Client) *QueryClient {
	return &QueryClient{HC: hc, Endpoint: endpoint, signer: v4.NewSigner(),
		creds: aws.Credentials{AccessKeyID: "AKIDBENCH", SecretAccessKey: "secret"}}
}

// Do sends one action and returns the XML answer; a status other than 200 is
// an error.
func (q *QueryClient) Do(ctx context.Context, v url.Values) ([]byte, error) {
	v.Set("Version", "2012-11-05")
	body := v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.Endpoint+"/", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	h := sha256.Sum256([]byte(body))
	if err := q.signer.SignHTTP(ctx, q.creds, req, hex.EncodeToString(h[:]), "sqs", "us-east-1", time.Now()); err != nil {
		return nil, err
	}
	resp, err := q.HC.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", v.Get("Action"), resp.StatusCode, lastLines(string(b), 3))
	}
	return b, nil
}

// QueryCycleCaller is QueryClient's send, receive and delete of a message.
func QueryCycleCaller(q *QueryClient, queueURL string) Caller {
	body := strings.Repeat("m", 100)
	return func(ctx context.Context) error {
		if _, err := q.Do(ctx, url.Values{"Action": {"SendMessage"}, "QueueUrl": {queueURL}, "MessageBody": {body}}); err != nil {
			return err
		}
		b, err := q.Do(ctx, url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {queueURL}, "WaitTimeSeconds": {"1"}})
		if err != nil {
			return err
		}
		var doc struct {
			Handles []string `xml:"ReceiveMessageResult>Message>ReceiptHandle"`
		}
		if err := xml.Unmarshal(b, &doc); err != nil || len(doc.Handles) == 0 {
			return fmt.Errorf("receive: no message (%v)", err)
		}
		_, err = q.Do(ctx, url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {queueURL}, "ReceiptHandle": {doc.Handles[0]}})
		return err
	}
}

// RawCycleCaller is three raw POST round trips, the baseline of one cycle.
func RawCycleCaller(hc *http.Client, url string) Caller {
	one := RawPostCaller(hc, url, bytes.Repeat([]byte("m"), 100))
	return func(ctx context.Context) error {
		for range 3 {
			if err := one(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}
