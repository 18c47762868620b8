package edge

import (
	"net/http/httptest"
	"testing"
)

func TestAppRouting(t *testing.T) {
	e := &Edge{Apps: []App{{Label: "execute-api"}, {Label: "lambda-url"}}}
	cases := []struct {
		host, target    string
		label, id, path string
		ok              bool
	}{
		{"abc.execute-api.localhost:4566", "/prod/x%2Fy?q=1", "execute-api", "abc", "/prod/x%2Fy", true},
		{"abc.execute-api.localhost", "/", "execute-api", "abc", "/", true},
		{"u1.lambda-url.eu-west-1.localhost:4566", "/p", "lambda-url", "u1", "/p", true},
		{"127.0.0.1:4566", "/_aws/execute-api/abc/prod/items", "execute-api", "abc", "/prod/items", true},
		{"127.0.0.1:4566", "/_aws/lambda-url/u1", "lambda-url", "u1", "/", true},
		{"127.0.0.1:4566", "/_aws/lambda-url/", "", "", "", false},
		{"127.0.0.1:4566", "/_aws/s3/x", "", "", "", false},
		{"127.0.0.1:4566", "/2015-03-31/functions/f/invocations", "", "", "", false},
		{"localhost:4566", "/2015-03-31/functions", "", "", "", false},
		{"x.s3.localhost:4566", "/", "", "", "", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", c.target, nil)
		r.Host = c.host
		a, id, path, ok := e.app(r)
		if ok != c.ok || a.Label != c.label || id != c.id || path != c.path {
			t.Errorf("%s%s: got %q %q %q %v", c.host, c.target, a.Label, id, path, ok)
		}
	}
}
