package apigw

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/proxyevent"
)

// restCompiled is a deployment's resources, parsed once for matching.
type restCompiled struct {
	once      sync.Once
	cands     []candidate
	resources []*resource
}

// match finds the resource of a request path and its variables, or nil.
func (d *restDeployment) match(path []string) (*resource, map[string]string) {
	c := &d.compiled
	c.once.Do(func() {
		for _, res := range d.Resources {
			segs, err := parseTemplate(res.Path)
			if err != nil {
				continue
			}
			c.cands = append(c.cands, candidate{method: "ANY", segs: segs, ref: len(c.resources)})
			c.resources = append(c.resources, res)
		}
	})
	i, params := selectRoute(c.cands, "ANY", path)
	if i < 0 {
		return nil, nil
	}
	return c.resources[i], params
}

// serveRESTAPI serves a REST API stage: /{stage}/{resource path}. A path or method
// with no resource gets 403 Missing Authentication Token, as on AWS.
func (s *Service) serveRESTAPI(w http.ResponseWriter, r *http.Request, a *restAPI, path string) {
	reqID := awsproto.NewRequestID()
	h := w.Header()
	h.Set("X-Amzn-Requestid", reqID)
	h.Set("X-Amz-Apigw-Id", proxyevent.NewHTTPAPIRequestID())
	first, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	st := a.Stages[unescape(first)]
	if st == nil || a.DisableExecuteAPIEndpoint {
		gwMissingToken.Write(w)
		return
	}
	d := a.Deployments[st.DeploymentID]
	if d == nil {
		gwMissingToken.Write(w)
		return
	}
	resourcePath := "/" + rest
	res, params := d.match(requestSegments(resourcePath))
	if res == nil {
		gwMissingToken.Write(w)
		return
	}
	m := res.Methods[r.Method]
	if m == nil {
		m = res.Methods["ANY"]
	}
	if m == nil {
		gwMissingToken.Write(w)
		return
	}
	if m.Integration == nil {
		gwInternalREST.Write(w)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	proxyevent.EnsureTraceID(r)
	q := &proxyevent.Request{HTTP: r, Body: body, Path: path, ResourcePath: resourcePath, Account: s.Account,
		APIID: a.ID, DomainName: domainName(r), DomainPrefix: a.ID, Stage: st.Name, Resource: res.Path,
		ResourceID: res.ID, RequestID: reqID, Time: time.Now(), PathParameters: params, StageVariables: st.Variables,
		Binary: binaryType(a.BinaryMediaTypes, r.Header.Get("Content-Type"))}
	payload, err := q.V1(false)
	if err != nil {
		gwInternalREST.Write(w)
		return
	}
	out, gerr := s.call(r, m.Integration.URI, st.Variables, payload, time.Duration(m.Integration.TimeoutInMillis)*time.Millisecond)
	if gerr != nil {
		switch *gerr {
		case gwBadGatewayV2:
			gwBadGatewayV1.Write(w)
		case gwInternalHTTP:
			gwInternalREST.Write(w)
		default:
			gerr.Write(w)
		}
		return
	}
	resp, err := proxyevent.ParseV1(out, true)
	if err != nil {
		gwBadGatewayV1.Write(w)
		return
	}
	resp.Write(w)
}
