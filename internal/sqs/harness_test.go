package sqs

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/stratus-run/stratus/internal/store"
)

type testServer struct {
	Svc *Service
	SQS *sqs.Client
	URL string
	dir string
	st  *store.Store
	hs  *httptest.Server
}

func newTestServer(t *testing.T) *testServer {
	ts := &testServer{dir: t.TempDir()}
	ts.start(t)
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ts.st = &store.Store{Dir: ts.dir}
	if err := ts.st.Open(ctx); err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	ts.Svc = &Service{Store: ts.st, PollEvery: 20 * time.Millisecond}
	if err := ts.Svc.Open(ctx); err != nil {
		t.Fatalf("Service.Open: %v", err)
	}
	ts.hs = httptest.NewServer(ts.Svc)
	ts.URL = ts.hs.URL
	ts.SQS = sqs.New(sqs.Options{
		BaseEndpoint:     aws.String(ts.hs.URL),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// stop closes the HTTP server, the service and JetStream, keeping the data.
func (ts *testServer) stop() {
	if ts.hs == nil {
		return
	}
	ts.hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ts.Svc.Close(ctx) //nolint:errcheck
	ts.st.Close(ctx)  //nolint:errcheck
	ts.hs = nil
}

// restart is a process restart on the same data directory.
func (ts *testServer) restart(t *testing.T) {
	ts.stop()
	ts.start(t)
}
