package lambda

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/proxyevent"
)

// urlError is an answer of the function URL front door itself, in its
// {"Message": ...} shape.
type urlError struct {
	status  int
	message string
	code    string
}

var (
	urlNotFoundAnswer = urlError{http.StatusNotFound, "Not Found", ""}
	urlForbidden      = urlError{http.StatusForbidden, "Forbidden", "AccessDeniedException"}
	urlBadGateway     = urlError{http.StatusBadGateway, "Internal Server Error", ""}
	urlThrottled      = urlError{http.StatusTooManyRequests, "Rate Exceeded.", "TooManyRequestsException"}
	urlInternal       = urlError{http.StatusInternalServerError, "Internal Server Error", ""}
	urlTooLarge       = urlError{http.StatusRequestEntityTooLarge, "Request must be smaller than 6291456 bytes for the InvokeFunction operation", "RequestTooLargeException"}
)

func (e urlError) write(w http.ResponseWriter) {
	b, _ := json.Marshal(map[string]string{"Message": e.message})
	h := w.Header()
	if e.code != "" {
		h["X-Amzn-Errortype"] = []string{e.code}
	}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(e.status)
	w.Write(b) //nolint:errcheck // the client went away
}

// ServeFunctionURL serves function URL id: the edge App of
// {url-id}.lambda-url.{region}.localhost. It checks AWS_IAM signatures, answers
// CORS preflights, hands the function a payload 2.0 event and maps its answer back
// as Lambda does. path is the request path as sent.
func (s *Service) ServeFunctionURL(w http.ResponseWriter, r *http.Request, id, path string) {
	u := s.urlCache.id(id)
	if u == nil {
		urlNotFoundAnswer.write(w)
		return
	}
	c := &u.cfg
	var caller *proxyevent.IAMCaller
	if c.AuthType == "AWS_IAM" {
		var ok bool
		if caller, ok = s.urlCaller(r); !ok {
			urlForbidden.write(w)
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
		urlNotFoundAnswer.write(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxSyncPayload+1))
	if err != nil {
		urlInternal.write(w)
		return
	}
	if len(body) > MaxSyncPayload {
		urlTooLarge.write(w)
		return
	}
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
		urlInternal.write(w)
		return
	}
	res, err := s.Engine.Invoke(r.Context(), &invoke.Request{Function: fn, Payload: payload, InvokedArn: invokedArn,
		TraceID: r.Header.Get("X-Amzn-Trace-Id"), RequestID: reqID})
	w.Header()["X-Amzn-Requestid"] = []string{reqID}
	if err != nil {
		var ae *awsproto.Error
		if errors.As(err, &ae) && ae.Code == "TooManyRequestsException" {
			urlThrottled.write(w)
			return
		}
		urlInternal.write(w)
		return
	}
	if res.FunctionError != "" {
		urlBadGateway.write(w)
		return
	}
	resp, err := proxyevent.ParseV2(res.Payload)
	if err != nil {
		urlBadGateway.write(w)
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
