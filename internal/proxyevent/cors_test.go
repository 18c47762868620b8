package proxyevent

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCORS(t *testing.T) {
	c := &CORS{AllowOrigins: []string{"https://a.example"}, AllowMethods: []string{"GET"}, AllowHeaders: []string{"x-h"}, ExposeHeaders: []string{"x-e"}}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Origin", "https://a.example")
	h := http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Allow-Methods": {"DELETE"}, "X-Own": {"1"}}
	c.Override(h, r)
	if h.Get("Access-Control-Allow-Origin") != "https://a.example" || h.Get("Access-Control-Allow-Methods") != "" ||
		h.Get("Access-Control-Expose-Headers") != "x-e" || h.Get("X-Own") != "1" {
		t.Errorf("Override: %v", h)
	}
	r.Header.Set("Origin", "https://b.example")
	h = http.Header{}
	c.Apply(h, r)
	if len(h) != 0 {
		t.Errorf("another origin got %v", h)
	}
	for _, c2 := range []struct {
		method, headers string
		allowed         bool
	}{{"GET", "x-h", true}, {"GET", "X-H, x-h", true}, {"PUT", "", false}, {"GET", "x-other", false}} {
		p := httptest.NewRequest("OPTIONS", "/", nil)
		p.Header.Set("Origin", "https://a.example")
		p.Header.Set("Access-Control-Request-Method", c2.method)
		if c2.headers != "" {
			p.Header.Set("Access-Control-Request-Headers", c2.headers)
		}
		w := httptest.NewRecorder()
		c.Preflight(w, p)
		if w.Code != 204 || (w.Header().Get("Access-Control-Allow-Origin") != "") != c2.allowed {
			t.Errorf("preflight %s %q: %d %v", c2.method, c2.headers, w.Code, w.Header())
		}
	}
}
