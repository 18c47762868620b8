package dynamodb

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/stratus-run/stratus/internal/dynamodb/tablestore/bolt"
)

// testServer is a Service on a bolt store in a temporary directory, served by
// an httptest server, with SDK clients pointed at it.
type testServer struct {
	Svc     *Service
	DB      *dynamodb.Client
	Streams *dynamodbstreams.Client
	URL     string
	// Clock is the Service's clock: it reads the real time plus an offset a
	// test moves with Advance.
	Clock *testClock
}

// testClock is a clock a test can move forward.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the real time plus the offset.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// newTestServer starts a Service with its defaults (TTLEvery 10 s, so the
// background TTL pass does not run during a test; call expireItems directly).
func newTestServer(t *testing.T) *testServer {
	return newTestServerWith(t, nil)
}

// newTestServerWith starts a Service after configure (when not nil) set its
// fields; Store and Now (the test clock) are set before configure runs.
func newTestServerWith(t *testing.T, configure func(*Service)) *testServer {
	t.Helper()
	st, err := bolt.Open(t.TempDir(), bolt.Options{})
	if err != nil {
		t.Fatalf("bolt.Open: %v", err)
	}
	clock := &testClock{}
	svc := &Service{Store: st, Now: clock.Now}
	if configure != nil {
		configure(svc)
	}
	if err := svc.Open(context.Background()); err != nil {
		st.Close()
		t.Fatalf("Service.Open: %v", err)
	}
	hs := httptest.NewServer(svc)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := svc.Close(ctx); err != nil {
			t.Errorf("Service.Close: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("store Close: %v", err)
		}
	})
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")
	return &testServer{
		Svc: svc,
		DB: dynamodb.New(dynamodb.Options{
			BaseEndpoint:     aws.String(hs.URL),
			Region:           "us-east-1",
			Credentials:      creds,
			RetryMaxAttempts: 1, // an error is the answer under test, not something to retry
		}),
		Streams: dynamodbstreams.New(dynamodbstreams.Options{
			BaseEndpoint:     aws.String(hs.URL),
			Region:           "us-east-1",
			Credentials:      creds,
			RetryMaxAttempts: 1,
		}),
		URL:   hs.URL,
		Clock: clock,
	}
}
