package edge

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/caller"
)

// called reports an AWS API request that came from inside a function, once it was
// answered: to the Observer, and as a debug line that names the calling function
// and invocation beside the response's request id (for an Invoke, the callee's
// invocation, as its START line shows it).
func (e *Edge) called(r *http.Request, id *caller.Identity, info *awsproto.RequestInfo, sw *statusWriter) {
	op := info.Operation
	if op == "" {
		// awsJson services name the operation in X-Amz-Target: "Logs_20140328.PutLogEvents".
		if t := r.Header.Get("X-Amz-Target"); t != "" {
			op = t[strings.LastIndexByte(t, '.')+1:]
		}
	}
	c := &caller.Call{Caller: id, Service: info.Service, Operation: op, Status: sw.code(), RequestID: sw.Header().Get("X-Amzn-Requestid")}
	if e.Observer != nil {
		e.Observer.Observe(c)
	}
	log := e.Log
	if log == nil {
		log = slog.Default()
	}
	if ctx := r.Context(); log.Enabled(ctx, slog.LevelDebug) {
		log.LogAttrs(ctx, slog.LevelDebug, "aws request from a function",
			slog.String("function", id.Function), slog.String("version", id.Version),
			slog.String("caller_request_id", id.CurrentRequestID()), slog.String("env", id.EnvID),
			slog.String("service", c.Service), slog.String("operation", c.Operation),
			slog.String("status", strconv.Itoa(c.Status)), slog.String("request_id", c.RequestID))
	}
}

// statusWriter remembers the status a handler answered. Unwrap lets
// http.ResponseController reach the connection's own Flush and deadlines.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// code is the status answered; a handler that wrote nothing answered 200.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
