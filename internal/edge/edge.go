// Package edge is Stratus's one listener: it authenticates each request, learns its
// region from the SigV4 credential scope and routes it to its service.
package edge

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/caller"
)

// Service is one AWS service behind the edge.
type Service interface {
	// Handles reports whether a request for path (and SigV4 service name, when
	// signed) is this service's.
	Handles(r *http.Request, signingName string) bool
	http.Handler
}

// Edge is the HTTP front door. Set the exported fields, then Open.
type Edge struct {
	// Listen is host:port (default 127.0.0.1:4566; port 0 picks a free one).
	Listen string
	// Services are tried in order.
	Services []Service
	// Internal serves Stratus's own unauthenticated endpoints under /_stratus/.
	Internal http.Handler
	// Metrics serves GET /metrics (Prometheus) when the request is not signed: a
	// signed GET /metrics is an AWS call (an S3 path-style bucket named
	// "metrics") and goes to the services.
	Metrics http.Handler
	// Verifier checks every request's signature; nil accepts any credentials, as
	// local emulators do, and only reads the region from the signature's scope.
	Verifier *sigv4.Verifier
	// Apps serve the HTTP endpoints of user applications (API Gateway stages,
	// function URLs), reached by Host or by a path prefix before any AWS API
	// dispatch or signature check.
	Apps []App
	// Region is used for unsigned requests (default us-east-1).
	Region  string
	Account string
	// Observer hears of every AWS API request made from inside a function (one
	// whose context carries a caller.Identity); nil ignores them.
	Observer caller.Observer
	// Log gets a debug line for each of those requests; nil means slog.Default().
	Log *slog.Logger

	ln  net.Listener
	srv *http.Server
}

// Open starts listening and serving.
func (e *Edge) Open(ctx context.Context) error {
	if e.Listen == "" {
		e.Listen = "127.0.0.1:4566"
	}
	if e.Region == "" {
		e.Region = "us-east-1"
	}
	if e.Account == "" {
		e.Account = "000000000000"
	}
	ln, err := net.Listen("tcp", e.Listen)
	if err != nil {
		return err
	}
	e.ln = ln
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 30 * time.Second}
	go e.srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed
	return nil
}

// Addr is the address the edge listens on.
func (e *Edge) Addr() string { return e.ln.Addr().String() }

// URL is the endpoint URL clients (and functions) use.
func (e *Edge) URL() string {
	host, port, _ := net.SplitHostPort(e.Addr())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Close stops accepting requests and waits for those in flight until ctx ends.
func (e *Edge) Close(ctx context.Context) error {
	if e.srv == nil {
		return nil
	}
	err := e.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return e.srv.Close()
	}
	return err
}

var errUnknownService = &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
	Message: "The requested service or operation is not available on this endpoint."}

// ServeHTTP authenticates and routes one request.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Functions reach AWS's APIs and applications, as in AWS; Stratus's own
	// endpoints (other functions' usage, queues, metrics) are not theirs to see.
	id, fromFn := caller.From(r.Context())
	if strings.HasPrefix(r.URL.Path, "/_stratus/") {
		if e.Internal != nil && !fromFn {
			e.Internal.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
		return
	}
	if a, id, path, ok := e.app(r); ok {
		a.Serve(w, r, id, path)
		return
	}
	if r.URL.Path == "/metrics" && e.Metrics != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !signed(r) && !fromFn {
		e.Metrics.ServeHTTP(w, r)
		return
	}
	if !fromFn {
		e.serveAPI(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	info := e.serveAPI(sw, r)
	e.called(r, id, info, sw)
}

// serveAPI authenticates an AWS API request and hands it to its service. It returns
// what the edge and the service learned of it.
func (e *Edge) serveAPI(w http.ResponseWriter, r *http.Request) *awsproto.RequestInfo {
	info := &awsproto.RequestInfo{Region: e.Region, Account: e.Account, Host: r.Host, Scheme: "http", RequestID: awsproto.NewRequestID()}
	if r.TLS != nil {
		info.Scheme = "https"
	}
	w.Header()["X-Amzn-Requestid"] = []string{info.RequestID}
	// The service is found from the scope the request claims, before it is
	// verified, so that a verification failure is rendered in its protocol.
	claimed, _ := sigv4.Scope(r)
	var svc Service
	for _, s := range e.Services {
		if s.Handles(r, claimed.Service) {
			svc = s
			break
		}
	}
	if e.Verifier != nil {
		id, stream, err := e.Verifier.VerifyStream(r)
		switch {
		case err == nil:
			info.Region, info.Service, info.AccessKey = id.Region, id.Service, id.AccessKeyID
			if stream != nil {
				// An aws-chunked body's chunks are checked by the service that reads it.
				r = r.WithContext(sigv4.WithStream(r.Context(), stream))
			}
		case errors.Is(err, sigv4.Missing) && anonymous(svc, r):
			// Unsigned, and the service takes it so: it authenticates the request
			// itself or needs no credentials for it.
		case otherScheme(r) && ownAuth(svc, r):
			// Credentials of another scheme than SigV4 (a registry client's
			// Basic AWS:<token>), which the service checks itself.
		default:
			writeError(w, r, svc, err)
			return info
		}
	} else if claimed.AccessKeyID != "" || claimed.Service != "" {
		if claimed.Region != "" {
			info.Region = claimed.Region
		}
		info.Service, info.AccessKey = claimed.Service, claimed.AccessKeyID
	}
	r = r.WithContext(awsproto.WithInfo(r.Context(), info))
	if svc == nil {
		writeError(w, r, nil, errUnknownService)
		return info
	}
	svc.ServeHTTP(w, r)
	return info
}

// signed reports whether r carries SigV4 credentials, in a header or presigned.
func signed(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	q := r.URL.Query()
	return q.Has("X-Amz-Credential") || q.Has("X-Amz-Signature")
}

// Anonymous is a Service that takes some requests without a signature even when
// the edge verifies every other: browsers send S3's CORS preflights unsigned, and
// sign a POST upload in its form rather than its headers.
type Anonymous interface {
	TakesUnsigned(r *http.Request) bool
}

func anonymous(svc Service, r *http.Request) bool {
	a, ok := svc.(Anonymous)
	return ok && a.TakesUnsigned(r)
}

// OwnAuth is a Service that checks credentials of a scheme other than SigV4
// itself (the registry takes Basic AWS:<token>, as ECR's does). Only such a
// service gets a request whose Authorization header names another scheme;
// every other service still gets the edge's SigV4 error for it.
type OwnAuth interface {
	TakesOwnAuth(r *http.Request) bool
}

func ownAuth(svc Service, r *http.Request) bool {
	a, ok := svc.(OwnAuth)
	return ok && a.TakesOwnAuth(r)
}

// otherScheme reports whether r's Authorization header names a scheme other
// than SigV4's and r is not presigned either, so that nothing in it is for
// the edge to verify.
func otherScheme(r *http.Request) bool {
	scheme, _, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	return scheme != "" && scheme != "AWS4-HMAC-SHA256" && !r.URL.Query().Has("X-Amz-Algorithm")
}

// ErrorWriter is a Service whose errors are not REST-JSON or awsJson (S3's XML):
// the edge renders the errors it finds itself, such as a bad signature, with it.
type ErrorWriter interface {
	WriteError(w http.ResponseWriter, r *http.Request, err error)
}

// writeError renders err in the protocol the request speaks: svc's own when it
// has one, awsJson when it names an X-Amz-Target operation, REST-JSON otherwise.
func writeError(w http.ResponseWriter, r *http.Request, svc Service, err error) {
	if ew, ok := svc.(ErrorWriter); ok {
		ew.WriteError(w, r, err)
		return
	}
	if r.Header.Get("X-Amz-Target") != "" {
		ct := r.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "application/x-amz-json-") {
			ct = "application/x-amz-json-1.1"
		}
		awsproto.WriteAWSJSONError(w, ct, err)
		return
	}
	awsproto.WriteRESTJSONError(w, err)
}
