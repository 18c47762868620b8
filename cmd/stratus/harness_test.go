package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/stratus-run/stratus/internal/testfn"

	// testdata/fn builds against aws-lambda-go; go mod tidy does not look into
	// testdata, so these keep the module required.
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-lambda-go/lambdacontext"
	_ "github.com/aws/aws-sdk-go-v2/config"
)

// testServer is a real Stratus server on a free loopback port.
type testServer struct {
	URL     string
	DataDir string
	cancel  context.CancelFunc
	done    chan error
	stderr  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `stratus server` in-process with the given extra flags; dataDir ""
// means a fresh temporary one. The server is stopped when the test ends.
func startServer(t testing.TB, dataDir string, flags ...string) *testServer {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	ts := &testServer{DataDir: dataDir, done: make(chan error, 1), stderr: &syncBuffer{}}
	m := &Main{Stdout: io.Discard, Stderr: ts.stderr}
	args := append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir}, flags...)
	if err := m.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	m.Ready = func(url string) { ready <- url }
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	go func() { ts.done <- m.Run(ctx) }()
	select {
	case ts.URL = <-ready:
	case err := <-ts.done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, ts.stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start in 30s")
	}
	t.Cleanup(func() { ts.Stop(t) })
	return ts
}

// Stop shuts the server down as SIGTERM would and waits for it.
func (ts *testServer) Stop(t testing.TB) {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("server did not stop in 20s")
	}
}

// lambdaClient is an aws-sdk-go-v2 Lambda client for ts with throwaway credentials.
func (ts *testServer) lambdaClient(opts ...func(*lambda.Options)) *lambda.Client {
	return lambda.New(lambda.Options{
		BaseEndpoint: aws.String(ts.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	}, opts...)
}

var (
	fnZipOnce sync.Once
	fnZip     []byte
	fnZipErr  error
)

// testFunctionZip builds testdata/fn (an aws-lambda-go program whose behaviour is
// picked by its Handler) as a provided.al2023 `bootstrap` and zips it, once per run.
func testFunctionZip(t testing.TB) []byte {
	t.Helper()
	fnZipOnce.Do(func() {
		fnZip, fnZipErr = buildFunctionZip()
	})
	if fnZipErr != nil {
		t.Fatal(fnZipErr)
	}
	return fnZip
}

func buildFunctionZip() ([]byte, error) {
	root, err := testfn.ModuleRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "stratus-fn")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	_, zipped, err := testfn.BuildFunction(root, dir)
	return zipped, err
}

// serverBinary builds cmd/stratus into dir/stratus, for tests that run the server
// as a process of its own (to kill it, or to start it as a user does).
func serverBinary(t testing.TB, dir string) string {
	t.Helper()
	root, err := testfn.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "stratus")
	if err := testfn.GoBuild(root, "./cmd/stratus", bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// sqsClient is an aws-sdk-go-v2 SQS client for ts.
func (ts *testServer) sqsClient() *sqs.Client {
	return sqs.New(sqs.Options{
		BaseEndpoint: aws.String(ts.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}
