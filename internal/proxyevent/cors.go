package proxyevent

import (
	"net/http"
	"strconv"
	"strings"
)

// CORS is a CORS configuration of an HTTP API or function URL, which API Gateway
// and Lambda apply themselves: they answer preflight requests without calling the
// function and add the Access-Control-* headers to its responses. The JSON names
// are apigatewayv2's; Lambda's (capitalised) decode into it too.
type CORS struct {
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowOrigins     []string `json:"allowOrigins,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAge           *int     `json:"maxAge,omitempty"`
}

// IsPreflight reports whether r is a CORS preflight request.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// allowedOrigin returns the Access-Control-Allow-Origin value for origin, or "".
func (c *CORS) allowedOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if c.AllowCredentials {
				return origin
			}
			return "*"
		}
		if strings.EqualFold(o, origin) {
			return origin
		}
	}
	return ""
}

// Preflight answers a preflight request: 204, with the Access-Control-* headers
// when the origin (and the method and headers asked for) are allowed.
func (c *CORS) Preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if o := c.allowedOrigin(r.Header.Get("Origin")); o != "" && c.allows(r) {
		h.Set("Access-Control-Allow-Origin", o)
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.MaxAge != nil {
			h.Set("Access-Control-Max-Age", strconv.Itoa(*c.MaxAge))
		}
		if len(c.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// allows reports whether the preflight's method and headers are allowed.
func (c *CORS) allows(r *http.Request) bool {
	m := r.Header.Get("Access-Control-Request-Method")
	if !containsFold(c.AllowMethods, m) {
		return false
	}
	for _, hv := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(hv, ",") {
			if name = strings.TrimSpace(name); name != "" && !containsFold(c.AllowHeaders, name) {
				return false
			}
		}
	}
	return true
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// Override drops the Access-Control-* headers a function answered with: where
// CORS is configured, the gateway's configuration alone decides them. Apply then
// adds the configured ones.
func (c *CORS) Override(h http.Header, r *http.Request) {
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	c.Apply(h, r)
}

// Apply adds the Access-Control-* headers of an actual (not preflight) response
// to r.
func (c *CORS) Apply(h http.Header, r *http.Request) {
	o := c.allowedOrigin(r.Header.Get("Origin"))
	if o == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", o)
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if o != "*" {
		h.Add("Vary", "Origin")
	}
}
