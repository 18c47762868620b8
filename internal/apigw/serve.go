package apigw

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/proxyevent"
)

// MaxPayload is the largest request body API Gateway passes on (10 MB).
const MaxPayload = 10 << 20

// ServeExecuteAPI serves the stages of API id (an HTTP API or a REST API): it is
// the edge App of {api-id}.execute-api.localhost. path is the request path as
// sent, stage included.
func (s *Service) ServeExecuteAPI(w http.ResponseWriter, r *http.Request, id, path string) {
	if a := s.httpC.get(id); a != nil {
		s.serveHTTPAPI(w, r, a, path)
		return
	}
	if a := s.restC.get(id); a != nil {
		s.serveRESTAPI(w, r, a, path)
		return
	}
	gwNotFound.Write(w)
}

// compiled is a deployment's routes, parsed once for matching.
type compiled struct {
	once   sync.Once
	cands  []candidate
	routes []*route
	deflt  *route
}

// match finds the route for a request: the most specific, else $default, else nil.
// The routes are parsed on first use; a cached deployment never changes.
func (d *deployment) match(method string, path []string) (*route, map[string]string) {
	c := &d.compiled
	c.once.Do(func() {
		for _, rt := range d.Routes {
			m, segs, err := parseRouteKey(rt.RouteKey)
			if err != nil {
				continue
			}
			if rt.RouteKey == "$default" {
				c.deflt = rt
				continue
			}
			c.cands = append(c.cands, candidate{method: m, segs: segs, ref: len(c.routes)})
			c.routes = append(c.routes, rt)
		}
	})
	if i, params := selectRoute(c.cands, method, path); i >= 0 {
		return c.routes[i], params
	}
	return c.deflt, nil
}

// splitStage finds the stage a request path names: a named stage as its first
// segment, else the $default stage. It returns the path below the stage.
func splitStage(stages map[string]*stage, path string) (*stage, string) {
	first, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if first != "" && first != "$default" {
		if st := stages[unescape(first)]; st != nil {
			return st, "/" + rest
		}
	}
	return stages["$default"], path
}

func (s *Service) serveHTTPAPI(w http.ResponseWriter, r *http.Request, a *httpAPI, path string) {
	reqID := proxyevent.NewHTTPAPIRequestID()
	w.Header().Set("Apigw-Requestid", reqID)
	st, routePath := splitStage(a.Stages, path)
	if st == nil || a.DisableExecuteAPIEndpoint {
		gwNotFound.Write(w)
		return
	}
	d := a.Deployments[st.DeploymentID]
	if d == nil {
		gwNotFound.Write(w)
		return
	}
	if a.CORS != nil {
		if proxyevent.IsPreflight(r) {
			a.CORS.Preflight(w, r)
			return
		}
		a.CORS.Apply(w.Header(), r)
	}
	rt, params := d.match(r.Method, requestSegments(routePath))
	if rt == nil {
		gwNotFound.Write(w)
		return
	}
	integ := d.Integrations[strings.TrimPrefix(rt.Target, "integrations/")]
	if integ == nil {
		gwInternalHTTP.Write(w)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	proxyevent.EnsureTraceID(r)
	now := time.Now()
	q := &proxyevent.Request{HTTP: r, Body: body, Path: path, ResourcePath: path, Account: s.Account,
		APIID: a.ID, DomainName: domainName(r), DomainPrefix: a.ID, Stage: st.Name, RouteKey: rt.RouteKey,
		RequestID: reqID, Time: now, PathParameters: params, StageVariables: st.Variables,
		Binary: !proxyevent.IsTextType(r.Header.Get("Content-Type"))}
	var payload []byte
	var err error
	if integ.PayloadFormatVersion == "1.0" {
		// resource is the route's path; the $default route has none, so the
		// request's path stands in.
		q.Resource = routePath
		if _, tmpl, ok := strings.Cut(rt.RouteKey, " "); ok {
			q.Resource = tmpl
		}
		payload, err = q.V1(true)
	} else {
		payload, err = q.V2()
	}
	if err != nil {
		gwInternalHTTP.Write(w)
		return
	}
	timeout := time.Duration(integ.TimeoutInMillis) * time.Millisecond
	out, gerr := s.call(r, integ.URI, st.Variables, payload, timeout)
	if gerr != nil {
		gerr.Write(w)
		return
	}
	var resp *proxyevent.Response
	if integ.PayloadFormatVersion == "1.0" {
		resp, err = proxyevent.ParseV1(out, false)
	} else {
		resp, err = proxyevent.ParseV2(out)
	}
	if err != nil {
		gwBadGatewayV2.Write(w)
		return
	}
	if a.CORS != nil {
		a.CORS.Override(resp.Header, r)
	}
	resp.Write(w)
}

// call invokes the function of an integration URI (with stage variables
// substituted) and returns its answer, or the gateway error to send instead:
// 504 past the timeout, 503 when Lambda throttles, 502 on a function error, 500
// when the function cannot be invoked at all.
func (s *Service) call(r *http.Request, uri string, vars map[string]string, payload []byte, timeout time.Duration) ([]byte, *gatewayError) {
	uri = substitute(uri, vars)
	region, fn, ok := functionOf(uri)
	if !ok {
		return nil, &gwInternalHTTP
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	res, err := s.Invoker.InvokeSync(ctx, region, fn, payload, r.Header.Get("X-Amzn-Trace-Id"))
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return nil, &gwTimeout
	case err != nil:
		var ae *awsproto.Error
		if errors.As(err, &ae) && ae.Code == "TooManyRequestsException" {
			return nil, &gwUnavailable
		}
		if errors.As(err, &ae) && ae.Code == "RequestEntityTooLargeException" {
			return nil, &gwTooLarge
		}
		return nil, &gwInternalHTTP
	case res.FunctionError != "":
		return nil, &gwBadGatewayV2
	}
	return res.Payload, nil
}

// substitute replaces ${stageVariables.NAME} in an integration URI.
func substitute(uri string, vars map[string]string) string {
	for strings.Contains(uri, "${stageVariables.") {
		i := strings.Index(uri, "${stageVariables.")
		j := strings.IndexByte(uri[i:], '}')
		if j < 0 {
			break
		}
		name := uri[i+len("${stageVariables.") : i+j]
		uri = uri[:i] + vars[name] + uri[i+j+1:]
	}
	return uri
}

// readBody reads a request body up to MaxPayload; past it the client gets a 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		gwInternalHTTP.Write(w)
		return nil, false
	}
	if len(body) > MaxPayload {
		gwTooLarge.Write(w)
		return nil, false
	}
	return body, true
}

// domainName is the host the client addressed, without its port.
func domainName(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		return h
	}
	return r.Host
}
