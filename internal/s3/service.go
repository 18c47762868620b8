// Package s3 serves the S3 API (REST-XML) on the edge's port: buckets, objects,
// versions, multipart uploads, bucket configuration, lifecycle expiration, and
// notifications that invoke functions through Lambda's durable event queue.
//
// The service decides what a request means (addressing, headers, checksums,
// preconditions, S3's errors); package objstore keeps the state and applies S3's
// versioning rules atomically.
package s3

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/lifecycle"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Functions is what S3 needs of Lambda to deliver notifications. *lambda.Service
// implements it.
type Functions interface {
	// Permits returns nil when the function (a full ARN) exists and its resource
	// policy lets principal invoke it for sourceArn and sourceAccount.
	Permits(ctx context.Context, functionArn, principal, sourceArn, sourceAccount string) error
	// EnqueueEvent queues an asynchronous invocation durably (on disk when it
	// returns), delivered with the function's retries, destinations and DLQ.
	EnqueueEvent(ctx context.Context, functionArn string, payload []byte, traceID string) (string, error)
}

// Service is S3. Set the exported fields, then Open.
type Service struct {
	Store objstore.Store
	// Functions receives notification events; nil refuses Lambda destinations.
	Functions Functions
	// FunctionNotFound is the error Functions wraps when a function does not
	// exist (lambda.ErrFunctionNotFound): a notification for such a function is
	// dropped, as S3 drops it, rather than retried. nil retries it.
	FunctionNotFound error
	// Targets receives notification events for SQS queues and SNS topics
	// (QueueConfiguration, TopicConfiguration); nil refuses them as
	// destinations that do not exist.
	Targets eventsource.Sender
	// Account owns every bucket (default 000000000000).
	Account string
	// Region is where a bucket created without a LocationConstraint is when the
	// request names no region (default us-east-1).
	Region string
	// LifecycleDay is how long one day of a lifecycle rule lasts (default 24h;
	// tests shorten it). LifecycleEvery is how often rules are evaluated
	// (default 1 minute, at most LifecycleDay).
	LifecycleDay   time.Duration
	LifecycleEvery time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// HostID is the x-amz-id-2 of every answer (default: made at Open).
	HostID string
	// Verifier checks the signatures of browser POST uploads, which sign their
	// policy in the form; nil (auth modes that verify nothing) checks none.
	Verifier *sigv4.Verifier

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	bstate buckets // parsed bucket configuration, by bucket name
}

// Open starts the service's background work: the notification outbox drain and
// lifecycle expiration.
func (s *Service) Open(ctx context.Context) error {
	if s.Store == nil {
		return errors.New("s3: Store is required")
	}
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.LifecycleDay <= 0 {
		s.LifecycleDay = 24 * time.Hour
	}
	if s.LifecycleEvery <= 0 {
		s.LifecycleEvery = time.Minute
	}
	if s.LifecycleEvery > s.LifecycleDay {
		s.LifecycleEvery = s.LifecycleDay
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.HostID == "" {
		s.HostID = newHostID()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s.startBackground(s.ctx)
}

// Close stops the background work and waits for it.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel != nil {
		s.cancel()
	}
	return lifecycle.Wait(ctx, s.wg.Wait)
}

// Handles reports whether a request is S3's: signed for s3, addressed to an S3
// host name ({bucket}.s3[.{region}].localhost, s3[.{region}].localhost), or unsigned
// and naming no awsJson operation (path-style anonymous and presigned requests).
// S3 comes last among the edge's services, so other services' paths are theirs.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName == "s3" {
		return true
	}
	if _, ok := hostBucket(r.Host); ok {
		return true
	}
	return signingName == "" && r.Header.Get("X-Amz-Target") == ""
}

// hostBucket returns the bucket a virtual-hosted host names ("" for the service
// endpoint itself), and ok=false when host is not an S3 host name.
func hostBucket(host string) (string, bool) {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	host = strings.ToLower(host)
	rest, ok := strings.CutSuffix(host, ".localhost")
	if !ok {
		return "", false
	}
	if rest == "s3" || strings.HasPrefix(rest, "s3.") && !strings.Contains(rest[3:], ".") {
		return "", true
	}
	// {bucket}.s3 or {bucket}.s3.{region}; a bucket name may hold dots.
	if b, ok := strings.CutSuffix(rest, ".s3"); ok && b != "" {
		return b, true
	}
	if i := strings.LastIndex(rest, ".s3."); i > 0 && !strings.Contains(rest[i+4:], ".") {
		return rest[:i], true
	}
	return "", false
}

// call is one request as the handlers see it.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	info   *awsproto.RequestInfo
	bucket string // "" for service operations
	key    string // unescaped; "" for bucket operations
	q      url.Values
}

// ServeHTTP answers one S3 request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, info: awsproto.Info(r.Context())}
	// S3's request ids are 16 upper-case hex characters, not the UUIDs of the
	// JSON services; the edge's is replaced before anything reports it.
	c.info.RequestID = newRequestID()
	h := w.Header()
	h["X-Amz-Request-Id"] = []string{c.info.RequestID}
	h["X-Amz-Id-2"] = []string{s.HostID}
	h.Del("X-Amzn-Requestid")
	err := s.serve(c)
	if err != nil {
		s.WriteError(w, r, err)
	}
}

func (s *Service) serve(c *call) error {
	var err error
	if c.bucket, c.key, err = address(c.r); err != nil {
		return err
	}
	if c.q, err = url.ParseQuery(c.r.URL.RawQuery); err != nil {
		return errInvalidURI
	}
	if err := s.checkPresigned(c); err != nil {
		return err
	}
	if c.r.Method == http.MethodOptions {
		c.info.Operation = "PreflightRequest"
		return s.preflight(c)
	}
	o, err := s.route(c)
	if err != nil {
		return err
	}
	c.info.Operation = o.name
	if c.bucket != "" && c.r.Header.Get("Origin") != "" {
		s.applyCORS(c)
	}
	return o.h(c)
}

// address returns the bucket and key a request names, virtual-hosted or
// path-style.
func address(r *http.Request) (bucket, key string, err error) {
	path := r.URL.Path
	if b, ok := hostBucket(r.Host); ok && b != "" {
		return b, strings.TrimPrefix(path, "/"), nil
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key, nil
}

// WriteError renders err as S3 does, mapping the signature verifier's failures to
// S3's own codes. The edge calls it for requests it routed here.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	awsproto.WriteXMLError(w, r, s.HostID, s3Error(r, err))
}

// bucket returns the request's bucket, or NoSuchBucket.
func (s *Service) bucket(c *call) (objstore.Bucket, error) {
	b, err := s.Store.Bucket(c.r.Context(), c.bucket)
	if err != nil {
		return objstore.Bucket{}, storeError(err, c.bucket, "")
	}
	return b, nil
}

// TakesUnsigned reports whether S3 takes r without a SigV4 signature when the edge
// verifies signatures: a CORS preflight (browsers never sign one) and a browser
// POST upload to a bucket, whose policy is signed in its form and checked by
// postObject.
func (s *Service) TakesUnsigned(r *http.Request) bool {
	if r.Method == http.MethodOptions {
		return true
	}
	bucket, key, err := address(r)
	return err == nil && r.Method == http.MethodPost && bucket != "" && key == "" &&
		strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data")
}
