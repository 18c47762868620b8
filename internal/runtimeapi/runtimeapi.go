// Package runtimeapi serves the Lambda Runtime API (2018-06-01) to one execution
// environment. It knows the wire protocol only; the environment behind it (the invoke
// engine's) decides what an event is and what an answer means.
package runtimeapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
)

// MaxResponseBytes is the largest response a runtime may post, as Lambda allows for a
// synchronous invocation (6 MB plus a little framing, as AWS counts it).
const MaxResponseBytes = 6291556

// MaxErrorBytes bounds an /error or /init/error body; Lambda keeps error payloads
// to the same limit as responses.
const MaxErrorBytes = MaxResponseBytes

// Invocation is one event handed to the runtime by /next.
type Invocation struct {
	RequestID          string
	Payload            []byte
	Deadline           time.Time
	InvokedFunctionArn string
	TraceID            string
	ClientContext      string // JSON, already decoded from the invoker's base64
	CognitoIdentity    string // JSON
}

// FunctionError is what a runtime reports through /error or /init/error.
type FunctionError struct {
	// Type is the Lambda-Runtime-Function-Error-Type header (e.g. Runtime.Unknown,
	// Function.Unhandled); empty when the runtime sent none.
	Type string
	// Body is the runtime's JSON body ({"errorMessage","errorType","stackTrace"}).
	Body []byte
}

// Errors an Env returns to have the Runtime API answer as Lambda does.
var (
	// ErrInvalidRequestID: the id is not one this environment was given (400).
	ErrInvalidRequestID = errors.New("invalid request id")
	// ErrInvalidState: the invocation was already answered, or the call does not fit
	// the environment's state (403 InvalidStateTransition).
	ErrInvalidState = errors.New("invalid state transition")
	// ErrEnvGone: the environment is shutting down; the runtime is about to be killed.
	ErrEnvGone = errors.New("environment gone")
)

// Env is the engine's side of one execution environment. Its methods are called
// concurrently from the runtime's HTTP requests.
type Env interface {
	// Next blocks until an event is assigned to the environment, ctx ends, or the
	// environment is going away (ErrEnvGone).
	Next(ctx context.Context) (*Invocation, error)
	// Respond records the runtime's answer to requestID.
	Respond(requestID string, body []byte) error
	// Fail records an invocation error for requestID.
	Fail(requestID string, fe FunctionError) error
	// InitFail records that the runtime failed to initialise.
	InitFail(fe FunctionError) error
	// TooLarge records that the runtime tried to answer requestID with a response
	// over MaxResponseBytes.
	TooLarge(requestID string) error
}

// Server is one environment's Runtime API endpoint.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Serve answers the Runtime API on ln for env until Close. ln belongs to the Server
// from then on.
//
// conns are connections already made to the server (a socket handed to the
// runtime at its start); they are served before anything ln accepts.
func Serve(ln net.Listener, env Env, conns ...net.Conn) *Server {
	if len(conns) > 0 {
		ln = WithConns(ln, conns...)
	}
	s := &Server{ln: ln, srv: &http.Server{
		Handler:           &handler{env: env},
		ReadHeaderTimeout: 10 * time.Second,
	}}
	go s.srv.Serve(ln) //nolint:errcheck // Serve ends with ErrServerClosed on Close.
	return s
}

// WithConns is ln, handing out conns (made beforehand) before anything it accepts.
func WithConns(ln net.Listener, conns ...net.Conn) net.Listener {
	return &readyListener{Listener: ln, ready: conns}
}

// SocketEnv names the descriptor of a Runtime API connection a runtime inherits
// (see SocketPair); Stratus's own runtime clients look for it.
const SocketEnv = "_STRATUS_RUNTIME_API_FD"

// SocketPair returns the two ends of a new connection: a file for a runtime to
// inherit (as cmd.ExtraFiles, descriptor 3 for the first), and a connection for
// the Runtime API server (Serve's conns).
func SocketPair() (*os.File, net.Conn, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	child := os.NewFile(uintptr(fds[0]), "runtime-api")
	mine := os.NewFile(uintptr(fds[1]), "runtime-api")
	conn, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		child.Close()
		return nil, nil, err
	}
	return child, conn, nil
}

// readyListener hands out connections made beforehand, then accepts as ln does.
type readyListener struct {
	net.Listener
	mu    sync.Mutex
	ready []net.Conn
}

func (l *readyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if n := len(l.ready); n > 0 {
		c := l.ready[0]
		l.ready = l.ready[1:]
		l.mu.Unlock()
		return c, nil
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// Addr is the host:port runtimes use as AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server at once, cutting any runtime still blocked in /next.
func (s *Server) Close() error { return s.srv.Close() }
