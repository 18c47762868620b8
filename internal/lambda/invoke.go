package lambda

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/invoke"
)

// MaxSyncPayload is the largest synchronous Invoke payload Lambda accepts.
const MaxSyncPayload = 6291456

// maxClientContext bounds X-Amz-Client-Context (base64), as Lambda does.
const maxClientContext = 3583

var emptyEvent = []byte("{}")

// invoke is Invoke. It is the warm invoke hot path: the function comes from the
// in-memory cache, nothing touches the disk, and the headers are set directly.
func (s *Service) invoke(w http.ResponseWriter, r *http.Request, p params) error {
	h := r.Header
	invType := h.Get("X-Amz-Invocation-Type")
	switch invType {
	case "", "RequestResponse", "DryRun", "Event":
	default:
		return awsproto.Validation(invType, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	logType := h.Get("X-Amz-Log-Type")
	if logType != "" && logType != "None" && logType != "Tail" {
		return awsproto.Validation(logType, "logType", "Member must satisfy enum value set: [Tail, None]")
	}
	var clientContext string
	if cc := h.Get("X-Amz-Client-Context"); cc != "" {
		if len(cc) > maxClientContext {
			return awsproto.Validation(cc, "clientContext", "Member must have length less than or equal to 3583")
		}
		b, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(b) {
			return errClientContext
		}
		clientContext = string(b)
	}
	region := awsproto.Info(r.Context()).Region
	name, qualifier, err := s.invokeRef(r, p.function, region)
	if err != nil {
		return err
	}
	fn, invokedArn, err := s.resolveInvoke(region, name, qualifier)
	if err != nil {
		return err
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxSyncPayload+1))
	if err != nil {
		return errInvalidJSON
	}
	if len(payload) > MaxSyncPayload {
		return requestTooLarge(MaxSyncPayload, "InvokeFunction")
	}
	if len(payload) == 0 {
		payload = emptyEvent
	} else if !json.Valid(payload) {
		return &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest,
			Message: "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value"}
	}
	if invType == "DryRun" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if invType == "Event" {
		return s.enqueue(w, r, region, name, qualifier, payload, h.Get("X-Amzn-Trace-Id"), clientContext)
	}
	res, err := s.Engine.Invoke(r.Context(), &invoke.Request{
		Function:      fn,
		Payload:       payload,
		InvokedArn:    invokedArn,
		ClientContext: clientContext,
		TraceID:       h.Get("X-Amzn-Trace-Id"),
		LogTail:       logType == "Tail",
	})
	if err != nil {
		return err
	}
	wh := w.Header()
	wh["Content-Type"] = []string{"application/json"}
	wh["Content-Length"] = []string{strconv.Itoa(len(res.Payload))}
	wh["X-Amz-Executed-Version"] = []string{fn.Version}
	wh["X-Amzn-Requestid"] = []string{res.RequestID}
	if res.FunctionError != "" {
		wh["X-Amz-Function-Error"] = []string{res.FunctionError}
	}
	if logType == "Tail" {
		wh["X-Amz-Log-Result"] = []string{base64.StdEncoding.EncodeToString(res.LogTail)}
	}
	w.WriteHeader(http.StatusOK)
	w.Write(res.Payload) //nolint:errcheck // the caller left
	return nil
}

// resolveInvoke finds what an invocation of name:qualifier runs, now: the engine's
// snapshot of the function version and the ARN as invoked (with the qualifier when
// one was given). An alias with routing weights picks one of its two versions per
// call, in proportion to the weights. Sync Invoke and the delivery of queued events
// share it. The unqualified case is the warm invoke hot path: one map read under a
// read lock, no allocation.
func (s *Service) resolveInvoke(region, name, qualifier string) (*invoke.Function, string, error) {
	e := s.lookup(region, name)
	if e == nil {
		return nil, "", functionNotFound(s.arn(region, name))
	}
	switch {
	case qualifier == "":
		return e.fn, e.fn.Arn, nil
	case qualifier == "$LATEST":
		return e.fn, e.fn.Arn + ":$LATEST", nil
	case isVersionNumber(qualifier):
		ve := s.lookupVersion(region, name, qualifier)
		if ve == nil {
			return nil, "", functionNotFound(e.fn.Arn + ":" + qualifier)
		}
		return ve.fn, ve.arn, nil
	}
	a := s.lookupAlias(region, name, qualifier)
	if a == nil {
		return nil, "", functionNotFound(e.fn.Arn + ":" + qualifier)
	}
	v := a.pick()
	if v == "$LATEST" {
		return e.fn, a.arn, nil
	}
	ve := s.lookupVersion(region, name, v)
	if ve == nil { // the version went between the alias's check and now
		return nil, "", functionNotFound(e.fn.Arn + ":" + v)
	}
	return ve.fn, a.arn, nil
}
