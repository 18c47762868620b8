package sns

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/store"
)

// testServer is a Service on its own JetStream store, served on a random
// loopback port, with an SDK client pointed at it. reopen restarts the
// service and the store on the same directory.
type testServer struct {
	t      *testing.T
	dir    string
	tune   func(*Service)
	st     *store.Store
	svc    *Service
	hs     *httptest.Server
	URL    string
	client *awssns.Client
}

// newTestServer starts a server whose Service has short retry delays; tune,
// when not nil, adjusts the Service before Open.
func newTestServer(t *testing.T, targets eventsource.Sender, tune func(*Service)) *testServer {
	t.Helper()
	ts := &testServer{t: t, dir: t.TempDir(), tune: tune}
	ts.start(targets)
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start(targets eventsource.Sender) {
	ts.t.Helper()
	ctx := context.Background()
	ts.st = &store.Store{Dir: ts.dir}
	if err := ts.st.Open(ctx); err != nil {
		ts.t.Fatal(err)
	}
	ts.svc = &Service{Store: ts.st, Targets: targets, TargetRetryDelay: 50 * time.Millisecond,
		HTTPRetryDelay: 50 * time.Millisecond, AckWait: time.Second}
	if ts.tune != nil {
		ts.tune(ts.svc)
	}
	if err := ts.svc.Open(ctx); err != nil {
		ts.t.Fatal(err)
	}
	ts.hs = httptest.NewServer(ts.svc)
	ts.URL = ts.hs.URL
	ts.client = awssns.New(awssns.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func (ts *testServer) stop() {
	if ts.hs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ts.hs.Close()
	if err := ts.svc.Close(ctx); err != nil {
		ts.t.Errorf("close service: %v", err)
	}
	if err := ts.st.Close(ctx); err != nil {
		ts.t.Errorf("close store: %v", err)
	}
	ts.hs = nil
}

// reopen stops the service and its store and starts both again on the same
// directory, delivering to targets.
func (ts *testServer) reopen(targets eventsource.Sender) {
	ts.t.Helper()
	ts.stop()
	ts.start(targets)
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// wantAPIError fails unless err is an AWS error with the code, message and
// HTTP status given.
func wantAPIError(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Fatalf("error %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("status of %v, want %d", err, status)
	}
}

// recorder is a Sender that records what SNS delivers to sqs and lambda
// targets. While failing is set it refuses every message, as a target that
// is down (counting the attempt); down does so for some targets only.
type recorder struct {
	mu       sync.Mutex
	sent     map[string][]eventsource.Message
	failing  bool
	failNext int             // how many sends to refuse before accepting again
	down     map[string]bool // targets that refuse every send
	attempts int
}

func (r *recorder) Send(_ context.Context, arn string, m eventsource.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.failing || r.failNext > 0 || r.down[arn] {
		r.failNext--
		return "", errors.New("target unavailable")
	}
	if r.sent == nil {
		r.sent = map[string][]eventsource.Message{}
	}
	r.sent[arn] = append(r.sent[arn], m)
	return "id", nil
}

// wait returns arn's deliveries once there are at least n.
func (r *recorder) wait(t *testing.T, arn string, n int) []eventsource.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if got := r.get(arn); len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: fewer than %d deliveries", arn, n)
	return nil
}

func (r *recorder) get(arn string) []eventsource.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]eventsource.Message(nil), r.sent[arn]...)
}

func (r *recorder) attemptCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// drain waits until the delivery queue holds nothing pending or in flight:
// filters are decided at Publish, so after drain every delivery a publish
// made has been attempted and a test can assert what did not arrive.
func (ts *testServer) drain() {
	ts.t.Helper()
	ctx := context.Background()
	// The consumer's counts can lag a publish JetStream has acknowledged
	// (under load they read 0 before the consumer has seen the message), so
	// drained also means delivered up to the stream's last message now.
	si, err := ts.svc.stream.Info(ctx)
	if err != nil {
		ts.t.Fatal(err)
	}
	last := si.State.LastSeq
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := ts.svc.stream.Consumer(ctx, deliveryConsumer)
		if err != nil {
			ts.t.Fatal(err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			ts.t.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream >= last {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.t.Fatal("delivery queue did not drain")
}
