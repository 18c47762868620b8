package s3_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stratus-run/stratus/internal/edge"
	stratuss3 "github.com/stratus-run/stratus/internal/s3"
	"github.com/stratus-run/stratus/internal/s3/objstore/disk"
)

// testServer is the edge with S3 behind it, on a free loopback port, over a disk
// store in a temporary directory: what `stratus server` serves for S3, without
// Lambda.
type testServer struct {
	URL  string // http://127.0.0.1:PORT
	Port string
	S3   *stratuss3.Service
	Dir  string
}

// startS3 starts a server; configure, if given, sets the service's knobs before
// Open. Everything is closed when the test ends.
func startS3(t testing.TB, configure ...func(*stratuss3.Service)) *testServer {
	t.Helper()
	dir := t.TempDir()
	st, err := disk.Open(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	svc := &stratuss3.Service{Store: st}
	for _, f := range configure {
		f(svc)
	}
	ctx := context.Background()
	if err := svc.Open(ctx); err != nil {
		t.Fatal(err)
	}
	eg := &edge.Edge{Listen: "127.0.0.1:0", Services: []edge.Service{svc}}
	if err := eg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		eg.Close(cctx)  //nolint:errcheck
		svc.Close(cctx) //nolint:errcheck
		st.Close()      //nolint:errcheck
	})
	_, port, _ := net.SplitHostPort(eg.Addr())
	return &testServer{URL: eg.URL(), Port: port, S3: svc, Dir: dir}
}

// localhostDialer dials every *.localhost name at 127.0.0.1, as browsers and
// systemd-resolved resolve them, so virtual-hosted addressing works in tests
// whatever the machine's resolver does.
func localhostDialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// client returns an aws-sdk-go-v2 S3 client for ts, path-style, that sends no
// checksums of its own (s3.New's zero Options; sdkDefaults turns on what
// config.LoadDefaultConfig does); opts adjust it further.
func (ts *testServer) client(t testing.TB, opts ...func(*s3.Options)) *s3.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = localhostDialer()
	o := []func(*s3.Options){func(o *s3.Options) {
		o.UsePathStyle = true
		o.BaseEndpoint = aws.String(ts.URL)
		o.HTTPClient = &http.Client{Transport: tr}
	}}
	return s3.New(s3.Options{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, append(o, opts...)...)
}

// vhostClient returns a client that addresses buckets virtual-hosted, at
// {bucket}.s3.localhost:PORT.
func (ts *testServer) vhostClient(t testing.TB, opts ...func(*s3.Options)) *s3.Client {
	return ts.client(t, append([]func(*s3.Options){func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("http://s3.localhost:" + ts.Port)
	}}, opts...)...)
}
