package lambda

import (
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/proxyevent"
)

// The function URL front door's own answers, in Lambda's {"Message": ...} shape.
var (
	urlNotFoundAnswer = proxyevent.Refusal{Status: http.StatusNotFound, Field: "Message", Message: "Not Found"}
	urlForbidden      = proxyevent.Refusal{Status: http.StatusForbidden, Field: "Message", Message: "Forbidden", Code: "AccessDeniedException"}
	urlBadGateway     = proxyevent.Refusal{Status: http.StatusBadGateway, Field: "Message", Message: "Internal Server Error"}
	urlThrottled      = proxyevent.Refusal{Status: http.StatusTooManyRequests, Field: "Message", Message: "Rate Exceeded.", Code: "TooManyRequestsException"}
	urlInternal       = proxyevent.Refusal{Status: http.StatusInternalServerError, Field: "Message", Message: "Internal Server Error"}
	urlTooLarge       = proxyevent.Refusal{Status: http.StatusRequestEntityTooLarge, Field: "Message",
		Message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation", Code: "RequestTooLargeException"}
)

// ServeFunctionURL serves function URL id: the edge App of
// {url-id}.lambda-url.{region}.localhost. It checks AWS_IAM signatures, answers
// CORS preflights, hands the function a payload 2.0 event and maps its answer back
// as Lambda does. path is the request path as sent.
func (s *Service) ServeFunctionURL(w http.ResponseWriter, r *http.Request, id, path string) {
	u := s.urlCache.id(id)
	if u == nil {
		urlNotFoundAnswer.Write(w)
		return
	}
	c := &u.cfg
	var caller *proxyevent.IAMCaller
	if c.AuthType == "AWS_IAM" {
		var ok bool
		if caller, ok = s.urlCaller(r); !ok {
			urlForbidden.Write(w)
			return
		}
	}
	if u.rules != nil {
		if proxyevent.IsPreflight(r) {
			u.rules.Preflight(w, r)
			return
		}
		u.rules.Apply(w.Header(), r)
	}
	fn, invokedArn, err := s.resolveInvoke(c.Region, c.Function, c.Qualifier)
	if err != nil {
		urlNotFoundAnswer.Write(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxSyncPayload+1))
	if err != nil {
		urlInternal.Write(w)
		return
	}
	if len(body) > MaxSyncPayload {
		urlTooLarge.Write(w)
		return
	}
	traceID := proxyevent.EnsureTraceID(r)
	reqID := awsproto.NewRequestID()
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	q := &proxyevent.Request{HTTP: r, Body: body, Path: path, Account: s.Account, APIID: c.ID, DomainName: host,
		DomainPrefix: c.ID, RequestID: reqID, Time: time.Now(), IAM: caller,
		Binary: !proxyevent.IsTextType(r.Header.Get("Content-Type"))}
	payload, err := q.FunctionURL()
	if err != nil {
		urlInternal.Write(w)
		return
	}
	if len(payload) > MaxSyncPayload { // the body fits, its event (base64, headers) does not
		urlTooLarge.Write(w)
		return
	}
	res, err := s.Engine.Invoke(r.Context(), &invoke.Request{Function: fn, Payload: payload, InvokedArn: invokedArn,
		TraceID: traceID, RequestID: reqID})
	w.Header()["X-Amzn-Requestid"] = []string{reqID}
	if err != nil {
		var ae *awsproto.Error
		if errors.As(err, &ae) && ae.Code == "TooManyRequestsException" {
			urlThrottled.Write(w)
			return
		}
		urlInternal.Write(w)
		return
	}
	if res.FunctionError != "" {
		urlBadGateway.Write(w)
		return
	}
	resp, err := proxyevent.ParseV2(res.Payload)
	if err != nil {
		urlBadGateway.Write(w)
		return
	}
	if u.rules != nil {
		u.rules.Override(resp.Header, r)
	}
	resp.Write(w)
}

// urlCaller checks the SigV4 signature of a request to an AWS_IAM function URL
// (scoped to the lambda service) and returns who signed it.
func (s *Service) urlCaller(r *http.Request) (*proxyevent.IAMCaller, bool) {
	var id sigv4.Identity
	if s.URLVerifier != nil {
		v, err := s.URLVerifier.Verify(r)
		if err != nil {
			return nil, false
		}
		id = v
	} else {
		v, ok := sigv4.Scope(r)
		if !ok {
			return nil, false
		}
		id = v
	}
	if id.Service != "lambda" {
		return nil, false
	}
	return &proxyevent.IAMCaller{AccessKey: id.AccessKeyID, AccountID: s.Account, CallerID: id.AccessKeyID,
		UserARN: "arn:aws:iam::" + s.Account + ":user/" + id.AccessKeyID, UserID: id.AccessKeyID}, true
}
