package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/async"
	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/invoke"
)

// MaxAsyncPayload is the largest Event (asynchronous) Invoke payload Lambda
// accepts: 1 MB since 2025.
const MaxAsyncPayload = 1048576

func asyncTooLarge(n int) error {
	return awsproto.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
		"%d byte payload is too large for the Event invocation type (limit %d bytes)", n, MaxAsyncPayload)
}

var errQueueUnavailable = &awsproto.Error{Code: "ServiceException", Status: http.StatusInternalServerError, Server: true,
	Message: "The event could not be queued; try again."}

// enqueue answers an Event invoke: 202 once the event is on disk in the queue. The
// request id of the response is the one the function will see on every attempt.
func (s *Service) enqueue(w http.ResponseWriter, r *http.Request, region, name, qualifier string, payload []byte, traceID, clientContext string) error {
	id, err := s.queueEvent(r.Context(), awsproto.Info(r.Context()).RequestID, region, name, qualifier, payload, traceID, clientContext)
	if err != nil {
		return err
	}
	w.Header()["X-Amzn-Requestid"] = []string{id}
	w.Header()["Content-Length"] = []string{"0"}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// queueEvent is the one way into the queue for an Event invocation, whoever asks
// (Invoke, EnqueueEvent): it returns the event's request id ("" id: a new one) once
// the event is on disk, from where Deliver sees it through with the function's
// retries, event age, destinations and dead-letter target. A payload over 1 MB is
// RequestEntityTooLargeException; a queue that cannot take it, ServiceException.
func (s *Service) queueEvent(ctx context.Context, id, region, name, qualifier string, payload []byte, traceID, clientContext string) (string, error) {
	if len(payload) > MaxAsyncPayload {
		return "", asyncTooLarge(len(payload))
	}
	if id == "" {
		id = awsproto.NewRequestID()
	}
	ev := &async.Event{
		ID: id, Region: region, Function: name, Qualifier: qualifier, Payload: payload,
		TraceID: traceID, ClientContext: clientContext, Accepted: time.Now().UTC(),
	}
	if err := s.Queue.Publish(ctx, ev); err != nil {
		slog.Error("lambda: cannot queue event", "function", name, "err", err)
		return "", errQueueUnavailable
	}
	return id, nil
}

// errEventNotJSON is Invoke's answer to a payload that is not JSON.
var errEventNotJSON = &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest,
	Message: "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value"}

// EnqueueEvent queues an asynchronous invocation of the function functionArn
// names (a full function ARN of this account, of any region, unqualified or with a
// version or alias), as an Invoke with InvocationType Event does: the event is on
// disk before it returns, and is delivered at least once with the function's
// retries, maximum event age, destinations and dead-letter queue. An empty payload
// is {}. It returns the request id the function will see on every attempt.
//
// It fails with an error wrapping ErrFunctionNotFound when the function, version
// or alias does not exist, and with Invoke's *awsproto.Error when the payload is
// not JSON (InvalidRequestContentException), passes 1 MB
// (RequestEntityTooLargeException) or cannot be queued (ServiceException).
func (s *Service) EnqueueEvent(ctx context.Context, functionArn string, payload []byte, traceID string) (requestID string, err error) {
	region, name, qualifier, ok := s.functionARN(functionArn)
	if !ok {
		return "", fmt.Errorf("lambda: %q is not a function ARN of account %s: %w", functionArn, s.Account, ErrFunctionNotFound)
	}
	if _, _, err := s.resolveInvoke(region, name, qualifier); err != nil {
		return "", fmt.Errorf("lambda: %s: %w", functionArn, ErrFunctionNotFound)
	}
	if len(payload) == 0 {
		payload = emptyEvent
	} else if len(payload) <= MaxAsyncPayload && !json.Valid(payload) {
		return "", errEventNotJSON
	}
	return s.queueEvent(ctx, "", region, name, qualifier, payload, traceID, "")
}

// Deliver handles one delivery of a queued event: it runs the event in its
// function and sees its outcome through (a retry queued, a destination invoked, a
// dead letter stored) before saying Done. It is the queue's Handler.
func (s *Service) Deliver(ctx context.Context, ev *async.Event) async.Outcome {
	fn, invokedArn, err := s.resolveInvoke(ev.Region, ev.Function, ev.Qualifier)
	if err != nil {
		// Lambda discards the queued events of a function that was deleted.
		slog.Info("lambda: dropping event of a missing function", "function", ev.Function, "qualifier", ev.Qualifier, "requestId", ev.ID)
		return async.Done
	}
	cfg := s.eventConfigFor(ctx, ev.Region, ev.Function, qualifierOrLatest(ev.Qualifier))
	now := time.Now()
	deadline := ev.Accepted.Add(cfg.maxAge(s.AgeUnit))
	if !now.Before(deadline) {
		return s.finish(ctx, ev, cfg, fn, conditionAgeExceeded)
	}
	res, err := s.Engine.Invoke(ctx, &invoke.Request{
		Function: fn, Payload: ev.Payload, InvokedArn: invokedArn,
		RequestID: ev.ID, TraceID: ev.TraceID, ClientContext: ev.ClientContext,
	})
	if err != nil {
		if ctx.Err() != nil {
			return async.Abandoned
		}
		// Throttled (or the engine is briefly unable to run it): try again later,
		// without spending an attempt.
		return async.Throttled
	}
	ev.Attempts++
	ev.Last = &async.Attempt{FunctionError: res.FunctionError, Response: keptResponse(res.Payload), Version: fn.Version}
	st := afterAttempt(ev.Attempts, res.FunctionError != "", cfg.retries(), deadline, s.RetryDelay, time.Now())
	if st.condition != "" {
		return s.finish(ctx, ev, cfg, fn, st.condition)
	}
	next := *ev
	next.NotBefore = st.retryAt
	if err := s.Queue.Publish(ctx, &next); err != nil {
		slog.Warn("lambda: cannot queue a retry; the event will be delivered again", "requestId", ev.ID, "err", err)
		return async.Abandoned
	}
	return async.Done
}

// step is what becomes of an event after an attempt: it is finished with a
// destination condition, or (condition "") retried at retryAt.
type step struct {
	condition string
	retryAt   time.Time
}

// afterAttempt decides the step after attempt number attempts (1-based) of an event
// that must be done by deadline. A failed attempt is retried while retries are
// left, after delay, then twice delay (Lambda's 1 and 2 minutes); a retry due after
// the deadline is set at it, when the event is handled as too old.
func afterAttempt(attempts int, failed bool, maxRetry int, deadline time.Time, delay time.Duration, now time.Time) step {
	switch {
	case !failed:
		return step{condition: conditionSuccess}
	case attempts > maxRetry:
		return step{condition: conditionRetriesExhausted}
	}
	at := now.Add(delay << (attempts - 1))
	if at.After(deadline) {
		at = deadline
	}
	return step{retryAt: at}
}

// maxKeptResponse bounds the response an event carries to its destination record,
// so the record stays within the asynchronous payload limit.
const maxKeptResponse = 256 << 10

func keptResponse(b []byte) []byte {
	if len(b) <= maxKeptResponse {
		return b
	}
	return b[:maxKeptResponse] // no longer JSON: the record carries it as a string
}

func qualifierOrLatest(q string) string {
	if q == "" {
		return "$LATEST"
	}
	return q
}

// Conditions of a destination record.
const (
	conditionSuccess          = "Success"
	conditionRetriesExhausted = "RetriesExhausted"
	conditionAgeExceeded      = "EventAgeExceeded"
)

// finish sends the outcome of an event to its destination (and, on failure, to the
// function's dead-letter target). Done only once each of them is stored.
func (s *Service) finish(ctx context.Context, ev *async.Event, cfg *eventConfig, fn *invoke.Function, condition string) async.Outcome {
	dest := ""
	if cfg != nil {
		dest = cfg.OnFailure
		if condition == conditionSuccess {
			dest = cfg.OnSuccess
		}
	}
	if dest != "" {
		if err := s.sendRecord(ctx, ev, fn, condition, dest); err != nil {
			slog.Warn("lambda: cannot queue a destination record; the event will be delivered again", "requestId", ev.ID, "err", err)
			return async.Abandoned
		}
	}
	if condition != conditionSuccess {
		if err := s.deadLetter(ctx, ev, fn); err != nil {
			slog.Warn("lambda: cannot store a dead letter; the event will be delivered again", "requestId", ev.ID, "err", err)
			return async.Abandoned
		}
	}
	return async.Done
}

// record is the invocation record Lambda sends to a destination.
type invocationRecord struct {
	Version         string           `json:"version"`
	Timestamp       string           `json:"timestamp"`
	RequestContext  recordRequest    `json:"requestContext"`
	RequestPayload  json.RawMessage  `json:"requestPayload"`
	ResponseContext *recordResponse  `json:"responseContext,omitempty"`
	ResponsePayload *json.RawMessage `json:"responsePayload,omitempty"`
}

type recordRequest struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type recordResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// buildRecord makes the destination record of ev's outcome.
func buildRecord(ev *async.Event, fnArn, condition string, at time.Time) *invocationRecord {
	rec := &invocationRecord{
		Version:   "1.0",
		Timestamp: at.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: recordRequest{
			RequestID: ev.ID, FunctionArn: fnArn, Condition: condition, ApproximateInvokeCount: ev.Attempts,
		},
		RequestPayload: ev.Payload,
	}
	if l := ev.Last; l != nil {
		rec.ResponseContext = &recordResponse{StatusCode: http.StatusOK, ExecutedVersion: l.Version, FunctionError: l.FunctionError}
		p := json.RawMessage(l.Response)
		if !json.Valid(p) {
			// A response that is not JSON is carried as a string.
			b, _ := json.Marshal(string(l.Response))
			p = b
		}
		rec.ResponsePayload = &p
	}
	return rec
}

// sendRecord sends the record to its destination: a function invoked
// asynchronously with it, or through Targets a queue, topic or event bus.
func (s *Service) sendRecord(ctx context.Context, ev *async.Event, fn *invoke.Function, condition, dest string) error {
	fnArn := fn.Arn + ":" + qualifierOrLatest(ev.Qualifier)
	body, err := json.Marshal(buildRecord(ev, fnArn, condition, time.Now()))
	if err != nil {
		return err
	}
	region, name, qualifier, ok := s.parseLambdaArn(dest)
	if !ok {
		if s.Targets == nil {
			return errors.New("no service takes destination " + dest)
		}
		m := eventsource.Message{Body: string(body)}
		if sourceService(dest) == "events" {
			// Lambda's EventBridge destination event: the record is its detail.
			m.Source, m.Resources = "lambda", []string{fnArn}
			m.DetailType = "Lambda Function Invocation Result - Success"
			if condition != conditionSuccess {
				m.DetailType = "Lambda Function Invocation Result - Failure"
			}
		}
		_, err := s.Targets.Send(ctx, dest, m)
		if errors.Is(err, eventsource.ErrNotFound) {
			// As in Lambda, a destination that is gone loses the record.
			slog.Warn("lambda: destination not found; the record is dropped", "requestId", ev.ID, "destination", dest)
			return nil
		}
		return err
	}
	return s.Queue.Publish(ctx, &async.Event{
		// The destination's invocation is an event of its own, with its own id.
		ID: awsproto.NewRequestID(), Region: region, Function: name, Qualifier: qualifier,
		Payload: body, Accepted: time.Now().UTC(),
	})
}

// sourceService is the service field of an ARN.
func sourceService(arn string) string {
	p := strings.SplitN(arn, ":", 4)
	if len(p) < 4 {
		return ""
	}
	return p[2]
}

// deadLetter sends the event to the function's DeadLetterConfig target, as
// Lambda sends it to SQS/SNS: the request payload as body, and RequestID,
// ErrorCode and ErrorMessage attributes. A target that does not exist loses
// the event, as in Lambda.
func (s *Service) deadLetter(ctx context.Context, ev *async.Event, fn *invoke.Function) error {
	e := s.lookup(ev.Region, ev.Function)
	if e == nil || e.rec.DeadLetterTarget == "" {
		return nil
	}
	msg := "Event age exceeded"
	if ev.Last != nil {
		var body struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(ev.Last.Response, &body) == nil && body.ErrorMessage != "" {
			msg = body.ErrorMessage
		} else {
			msg = string(ev.Last.Response)
		}
	}
	if len(msg) > 1024 { // Lambda sends the first 1 KB
		msg = msg[:1024]
	}
	if s.Targets == nil {
		return errors.New("no service takes dead letters for " + e.rec.DeadLetterTarget)
	}
	_, err := s.Targets.Send(ctx, e.rec.DeadLetterTarget, DeadLetterMessage(string(ev.Payload), ev.ID, msg))
	if errors.Is(err, eventsource.ErrNotFound) {
		slog.Warn("lambda: dead-letter target not found; the event is dropped", "requestId", ev.ID, "target", e.rec.DeadLetterTarget)
		return nil
	}
	return err
}

// DeadLetterMessage is the message Lambda sends a dead-letter queue or topic
// for an event it gave up on.
func DeadLetterMessage(payload, requestID, errorMessage string) eventsource.Message {
	return eventsource.Message{
		Body: payload,
		Attributes: map[string]eventsource.Attribute{
			"RequestID":    {DataType: "String", StringValue: requestID},
			"ErrorCode":    {DataType: "Number", StringValue: strconv.Itoa(http.StatusOK)},
			"ErrorMessage": {DataType: "String", StringValue: errorMessage},
		},
	}
}
