// Package proxyevent builds the events API Gateway and Lambda function URLs hand a
// function for an HTTP request (the proxy payload formats 1.0 and 2.0), and maps the
// function's answer back to an HTTP response the way AWS does. It is shared by the
// three HTTP front doors: HTTP APIs, REST APIs and function URLs.
package proxyevent

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Request is what a front door knows about one HTTP request beyond the request itself.
type Request struct {
	HTTP *http.Request
	Body []byte
	// Path is the path as the client sent it (escaped form kept), with any
	// path-form prefix of Stratus's already removed; it includes the stage for
	// named stages, as AWS's rawPath does.
	Path string
	// ResourcePath is the path without the stage: the path routes are matched
	// against and REST APIs report as "path".
	ResourcePath string

	Account      string
	APIID        string // API id, or the function URL's id
	DomainName   string
	DomainPrefix string
	Stage        string // "$default" for the default stage
	RouteKey     string // HTTP APIs: "GET /items/{id}" or "$default"
	Resource     string // 1.0: the route or resource path, e.g. "/items/{id}"
	ResourceID   string // REST APIs
	RequestID    string
	Time         time.Time

	PathParameters map[string]string
	StageVariables map[string]string
	// Binary says whether the body goes base64-encoded; see IsTextType.
	Binary bool
	// IAM is the SigV4 caller of an AWS_IAM function URL, or nil.
	IAM *IAMCaller
}

// IAMCaller is the identity of a SigV4-signed request.
type IAMCaller struct {
	AccessKey, AccountID, CallerID, UserARN, UserID string
}

// IsTextType reports whether a body of this Content-Type reaches the function as
// text; HTTP APIs and function URLs base64-encode every other body (and a body
// without a Content-Type).
func IsTextType(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	if ct == "" {
		return false
	}
	if strings.HasPrefix(ct, "text/") || strings.HasSuffix(ct, "+json") || strings.HasSuffix(ct, "+xml") {
		return true
	}
	switch ct {
	case "application/json", "application/javascript", "application/xml", "application/yaml",
		"application/x-yaml", "application/ecmascript", "application/graphql":
		return true
	}
	return false
}

// RequestTime formats t as API Gateway's requestTime ("12/Mar/2020:19:03:58 +0000").
func RequestTime(t time.Time) string { return t.UTC().Format("02/Jan/2006:15:04:05 -0700") }

// NewHTTPAPIRequestID returns an id of the form HTTP APIs give (e.g. "JKJaXmPLvHcESHA=").
func NewHTTPAPIRequestID() string {
	var b [10]byte
	rand.Read(b[:]) //nolint:errcheck // never fails on Linux
	return base64.StdEncoding.EncodeToString(b[:])
}

// SourceIP is the client address of r, without its port.
func SourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (q *Request) body() (string, bool) {
	if len(q.Body) == 0 {
		return "", false
	}
	if q.Binary {
		return base64.StdEncoding.EncodeToString(q.Body), true
	}
	return string(q.Body), false
}

// joined folds a multi-valued map into one value per key, joined with commas, as
// payload 2.0 does for headers and query parameters.
func joined(m map[string][]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = strings.Join(v, ",")
	}
	return out
}

// lowerHeaders returns r's headers with lower-case names (and Host, which Go keeps
// apart), optionally leaving out Cookie.
func lowerHeaders(r *http.Request, skipCookie bool) map[string][]string {
	out := make(map[string][]string, len(r.Header)+1)
	for k, v := range r.Header {
		lk := strings.ToLower(k)
		if skipCookie && lk == "cookie" {
			continue
		}
		out[lk] = append(out[lk], v...)
	}
	if r.Host != "" {
		out["host"] = []string{r.Host}
	}
	addForwarded(out, r, strings.ToLower)
	return out
}

// addForwarded adds the X-Forwarded-* headers API Gateway and function URLs add
// (appending the client to X-Forwarded-For), names spelled by name.
func addForwarded(h map[string][]string, r *http.Request, name func(string) string) {
	ip := SourceIP(r)
	xff := name("X-Forwarded-For")
	if v := h[xff]; len(v) > 0 {
		h[xff] = []string{strings.Join(v, ", ") + ", " + ip}
	} else {
		h[xff] = []string{ip}
	}
	port := "80"
	if r.TLS != nil {
		port = "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	h[name("X-Forwarded-Port")] = []string{port}
	h[name("X-Forwarded-Proto")] = []string{proto}
}

// query parses the raw query as API Gateway does: a key without "=" has an empty
// value; a malformed escape keeps its raw text.
func query(raw string) map[string][]string {
	if raw == "" {
		return nil
	}
	out := map[string][]string{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out[k] = append(out[k], v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cookies splits the Cookie headers into the cookies of payload 2.0.
func cookies(r *http.Request) []string {
	var out []string
	for _, h := range r.Header.Values("Cookie") {
		for c := range strings.SplitSeq(h, ";") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

type identity struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     string  `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

type v1Context struct {
	AccountID         string    `json:"accountId"`
	APIID             string    `json:"apiId"`
	Authorizer        *struct{} `json:"authorizer,omitempty"`
	DomainName        string    `json:"domainName"`
	DomainPrefix      string    `json:"domainPrefix"`
	ExtendedRequestID string    `json:"extendedRequestId"`
	HTTPMethod        string    `json:"httpMethod"`
	Identity          identity  `json:"identity"`
	Path              string    `json:"path"`
	Protocol          string    `json:"protocol"`
	RequestID         string    `json:"requestId"`
	RequestTime       string    `json:"requestTime"`
	RequestTimeEpoch  int64     `json:"requestTimeEpoch"`
	ResourceID        *string   `json:"resourceId"`
	ResourcePath      string    `json:"resourcePath"`
	Stage             string    `json:"stage"`
}

type v1Event struct {
	Version                         string              `json:"version,omitempty"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	RequestContext                  v1Context           `json:"requestContext"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

// V1 returns the payload 1.0 event (REST APIs' Lambda proxy event; HTTP APIs add
// "version":"1.0" and lower-case header names when httpAPI). REST APIs keep the
// client's spelling of header names. Where a name or key repeats, the
// single-valued maps hold its last value.
func (q *Request) V1(httpAPI bool) ([]byte, error) {
	r := q.HTTP
	var mvh map[string][]string
	if httpAPI { // HTTP APIs lower-case every header name, in both formats
		mvh = lowerHeaders(r, false)
	} else {
		mvh = make(map[string][]string, len(r.Header)+1)
		for k, v := range r.Header {
			mvh[k] = v
		}
		if r.Host != "" {
			mvh["Host"] = []string{r.Host}
		}
		addForwarded(mvh, r, func(s string) string { return s })
	}
	mvq := query(r.URL.RawQuery)
	ev := v1Event{
		Resource:                        q.Resource,
		Path:                            q.ResourcePath,
		HTTPMethod:                      r.Method,
		Headers:                         last(mvh),
		MultiValueHeaders:               mvh,
		QueryStringParameters:           last(mvq),
		MultiValueQueryStringParameters: mvq,
		PathParameters:                  nonEmpty(q.PathParameters),
		StageVariables:                  nonEmpty(q.StageVariables),
		RequestContext: v1Context{
			AccountID:         q.Account,
			APIID:             q.APIID,
			DomainName:        q.DomainName,
			DomainPrefix:      q.DomainPrefix,
			ExtendedRequestID: q.RequestID,
			HTTPMethod:        r.Method,
			Identity:          identity{SourceIP: SourceIP(r), UserAgent: r.UserAgent()},
			Path:              q.Path,
			Protocol:          r.Proto,
			RequestID:         q.RequestID,
			RequestTime:       RequestTime(q.Time),
			RequestTimeEpoch:  q.Time.UnixMilli(),
			ResourcePath:      q.Resource,
			Stage:             q.Stage,
		},
	}
	if httpAPI {
		ev.Version = "1.0" // and resourceId stays null: HTTP APIs have no resources
	} else {
		ev.RequestContext.ResourceID = &q.ResourceID
	}
	if body, b64 := q.body(); len(q.Body) > 0 {
		ev.Body, ev.IsBase64Encoded = &body, b64
	}
	return json.Marshal(ev)
}

func last(m map[string][]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if len(v) > 0 {
			out[k] = v[len(v)-1]
		}
	}
	return out
}

// EnsureTraceID gives r an X-Amzn-Trace-Id when it came without one, as API
// Gateway and function URLs do before calling the function, so the event's
// headers and the invocation carry the same trace. It returns the header.
func EnsureTraceID(r *http.Request) string {
	if v := r.Header.Get("X-Amzn-Trace-Id"); v != "" {
		return v
	}
	var b [12]byte
	rand.Read(b[:]) //nolint:errcheck // never fails on Linux
	v := "Root=1-" + strconv.FormatInt(time.Now().Unix(), 16) + "-" + hex.EncodeToString(b[:])
	r.Header.Set("X-Amzn-Trace-Id", v)
	return v
}
