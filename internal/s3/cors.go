package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// CORS: the bucket's configuration (Put/Get/DeleteBucketCors), the preflight
// OPTIONS request browsers send unsigned, and the headers added to actual
// requests that carry an Origin. Rules are matched as S3 does: the first rule
// whose AllowedOrigin matches the Origin, whose AllowedMethod holds the method
// (Access-Control-Request-Method when the request carries one) and whose
// AllowedHeader patterns match every header of Access-Control-Request-Headers.

// maxCORSRules is the most rules a configuration may hold.
const maxCORSRules = 100

// corsMethods are the methods a rule may allow.
var corsMethods = map[string]bool{"GET": true, "PUT": true, "HEAD": true, "POST": true, "DELETE": true}

// corsConfiguration is the document of PutBucketCors and GetBucketCors.
type corsConfiguration struct {
	XMLName xml.Name `xml:"CORSConfiguration"`
	xmlns
	Rules []corsRule `xml:"CORSRule"`
}

type corsRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

// corsConfig is a configuration compiled for matching.
type corsConfig struct {
	rules []corsMatcher
}

type corsMatcher struct {
	origins  []wildcard
	anyOrig  bool // an AllowedOrigin is "*": answer "*", without credentials
	methods  map[string]bool
	headers  []wildcard // lower-cased
	allowed  string     // Access-Control-Allow-Methods
	expose   string     // Access-Control-Expose-Headers
	maxAge   string     // Access-Control-Max-Age
	hasAge   bool
	hasExpos bool
}

// wildcard is a pattern with at most one '*', which matches any run of
// characters.
type wildcard struct {
	prefix, suffix string
	star           bool
}

func compileWildcard(p string) wildcard {
	if i := strings.IndexByte(p, '*'); i >= 0 {
		return wildcard{prefix: p[:i], suffix: p[i+1:], star: true}
	}
	return wildcard{prefix: p}
}

func (w wildcard) match(s string) bool {
	if !w.star {
		return s == w.prefix
	}
	return len(s) >= len(w.prefix)+len(w.suffix) && strings.HasPrefix(s, w.prefix) && strings.HasSuffix(s, w.suffix)
}

// parseCORS decodes and validates a configuration as PutBucketCors does.
func parseCORS(body []byte) (*corsConfiguration, *corsConfig, error) {
	var doc corsConfiguration
	if err := decodeXML(body, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Rules) == 0 || len(doc.Rules) > maxCORSRules {
		return nil, nil, errMalformedXML
	}
	for _, r := range doc.Rules {
		if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
			return nil, nil, errMalformedXML
		}
		for _, m := range r.AllowedMethods {
			if !corsMethods[m] {
				return nil, nil, invalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is " + m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return nil, nil, invalidRequest(`AllowedOrigin "` + o + `" can not have more than one wildcard.`)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return nil, nil, invalidRequest(`AllowedHeader "` + h + `" can not have more than one wildcard.`)
			}
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			return nil, nil, errMalformedXML
		}
	}
	return &doc, compileCORS(&doc), nil
}

func compileCORS(doc *corsConfiguration) *corsConfig {
	cfg := &corsConfig{}
	for _, r := range doc.Rules {
		m := corsMatcher{methods: map[string]bool{}, allowed: strings.Join(r.AllowedMethods, ", ")}
		for _, o := range r.AllowedOrigins {
			m.origins = append(m.origins, compileWildcard(o))
			m.anyOrig = m.anyOrig || o == "*"
		}
		for _, x := range r.AllowedMethods {
			m.methods[x] = true
		}
		for _, h := range r.AllowedHeaders {
			m.headers = append(m.headers, compileWildcard(strings.ToLower(strings.TrimSpace(h))))
		}
		if len(r.ExposeHeaders) > 0 {
			m.expose, m.hasExpos = strings.Join(r.ExposeHeaders, ", "), true
		}
		if r.MaxAgeSeconds != nil {
			m.maxAge, m.hasAge = strconv.Itoa(*r.MaxAgeSeconds), true
		}
		cfg.rules = append(cfg.rules, m)
	}
	return cfg
}

// parseStoredCORS compiles a stored (validated) document.
func parseStoredCORS(raw []byte) (*corsConfig, error) {
	_, cfg, err := parseCORS(raw)
	return cfg, err
}

// match returns the first rule allowing origin, method and every requested
// header (lower-cased, in the order requested), or nil.
func (cfg *corsConfig) match(origin, method string, requested []string) *corsMatcher {
	for i := range cfg.rules {
		r := &cfg.rules[i]
		if !r.methods[method] || !anyMatch(r.origins, origin) {
			continue
		}
		all := true
		for _, h := range requested {
			if !anyMatch(r.headers, h) {
				all = false
				break
			}
		}
		if all {
			return r
		}
	}
	return nil
}

func anyMatch(ps []wildcard, s string) bool {
	for _, p := range ps {
		if p.match(s) {
			return true
		}
	}
	return false
}

// requestedHeaders splits Access-Control-Request-Headers, lower-cased.
func requestedHeaders(v string) []string {
	var hs []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			hs = append(hs, h)
		}
	}
	return hs
}

// corsVary is the Vary S3 sends with CORS headers.
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// writeCORS adds the headers of a matched rule.
func writeCORS(h http.Header, r *corsMatcher, origin string, requested []string) {
	if r.anyOrig {
		h["Access-Control-Allow-Origin"] = []string{"*"}
	} else {
		h["Access-Control-Allow-Origin"] = []string{origin}
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
	h["Vary"] = []string{corsVary}
	h["Access-Control-Allow-Methods"] = []string{r.allowed}
	if len(requested) > 0 {
		h["Access-Control-Allow-Headers"] = []string{strings.Join(requested, ", ")}
	}
	if r.hasExpos {
		h["Access-Control-Expose-Headers"] = []string{r.expose}
	}
	if r.hasAge {
		h["Access-Control-Max-Age"] = []string{r.maxAge}
	}
}

// applyCORS adds the CORS headers of the first matching rule to an actual
// request carrying an Origin, before its handler runs. A request carrying
// Access-Control-Request-Method or -Headers is matched on them, as S3 does. It is
// on every such request's path: it reads the parsed configuration from the cache
// and parses nothing.
func (s *Service) applyCORS(c *call) {
	cfg, _, err := s.corsOf(c.r.Context(), c.bucket)
	if err != nil || cfg == nil {
		return
	}
	method := c.r.Method
	if m := c.r.Header.Get("Access-Control-Request-Method"); m != "" {
		method = m
	}
	origin := c.r.Header.Get("Origin")
	requested := requestedHeaders(c.r.Header.Get("Access-Control-Request-Headers"))
	if r := cfg.match(origin, method, requested); r != nil {
		writeCORS(c.w.Header(), r, origin, requested)
	}
}

// accessForbidden is the preflight's 403, naming the method and the kind of
// resource.
func accessForbidden(msg, method, resource string) error {
	return s3err(http.StatusForbidden, "AccessForbidden", msg).With(field("Method", method), field("ResourceType", resource))
}

const corsNotAllowed = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."

// preflight answers a CORS preflight (OPTIONS on a bucket or an object), which
// browsers send unsigned: 200 with the matching rule's headers, 400 without an
// Origin or a valid Access-Control-Request-Method, 403 when no rule allows it.
func (s *Service) preflight(c *call) error {
	origin := c.r.Header.Get("Origin")
	if origin == "" {
		return s3err(http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed.")
	}
	reqMethod := c.r.Header.Get("Access-Control-Request-Method")
	shown := reqMethod
	if shown == "" {
		shown = http.MethodOptions
	}
	if c.bucket == "" {
		return accessForbidden("CORSResponse: Bucket not found", shown, "BUCKET")
	}
	cfg, exists, err := s.corsOf(c.r.Context(), c.bucket)
	switch {
	case err != nil:
		return err
	case !exists:
		return accessForbidden("CORSResponse: Bucket not found", shown, "BUCKET")
	case cfg == nil:
		return accessForbidden("CORSResponse: CORS is not enabled for this bucket.", shown, "BUCKET")
	}
	if !corsMethods[reqMethod] {
		if reqMethod == "" {
			reqMethod = "null"
		}
		return s3err(http.StatusBadRequest, "BadRequest", "Invalid Access-Control-Request-Method: "+reqMethod)
	}
	requested := requestedHeaders(c.r.Header.Get("Access-Control-Request-Headers"))
	r := cfg.match(origin, reqMethod, requested)
	if r == nil {
		resource := "OBJECT"
		if c.key == "" {
			resource = "BUCKET"
		}
		return accessForbidden(corsNotAllowed, reqMethod, resource)
	}
	h := c.w.Header()
	writeCORS(h, r, origin, requested)
	return ok(c)
}

// getBucketCors is GetBucketCors.
func (s *Service) getBucketCors(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	doc := b.Config[objstore.ConfigCORS]
	if doc == nil {
		return noSuchConfig(errNoSuchCORS, c.bucket)
	}
	return writeDoc(c, doc)
}

// putBucketCors is PutBucketCors: the configuration validated, then kept as S3
// would answer it.
func (s *Service) putBucketCors(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	doc, _, err := parseCORS(body)
	if err != nil {
		return err
	}
	doc.xmlns = ns()
	raw, err := encodeXML(doc)
	if err != nil {
		return err
	}
	if err := s.setConfig(c, objstore.ConfigCORS, raw); err != nil {
		return err
	}
	return ok(c)
}

// deleteBucketCors is DeleteBucketCors: 204 whether there was one or not.
func (s *Service) deleteBucketCors(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	if err := s.setConfig(c, objstore.ConfigCORS, nil); err != nil {
		return err
	}
	return noContent(c)
}
