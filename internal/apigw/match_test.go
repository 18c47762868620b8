package apigw

import (
	"reflect"
	"testing"
)

func TestSelectRoute(t *testing.T) {
	keys := []string{"GET /items/{id}", "GET /items/special", "ANY /items/{id}", "ANY /{proxy+}", "POST /items/{id}/tags/{tag}",
		"GET /files/{path+}", "GET /"}
	var cands []candidate
	for i, k := range keys {
		m, segs, err := parseRouteKey(k)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		cands = append(cands, candidate{method: m, segs: segs, ref: i})
	}
	cases := []struct {
		method, path string
		want         string
		params       map[string]string
	}{
		{"GET", "/items/special", "GET /items/special", nil},
		{"GET", "/items/7", "GET /items/{id}", map[string]string{"id": "7"}},
		{"DELETE", "/items/7", "ANY /items/{id}", map[string]string{"id": "7"}},
		{"POST", "/items/7/tags/x%20y", "POST /items/{id}/tags/{tag}", map[string]string{"id": "7", "tag": "x y"}},
		{"GET", "/items/7/tags/x", "ANY /{proxy+}", map[string]string{"proxy": "items/7/tags/x"}},
		{"GET", "/files/a/b/c", "GET /files/{path+}", map[string]string{"path": "a/b/c"}},
		{"PUT", "/files/a", "ANY /{proxy+}", map[string]string{"proxy": "files/a"}},
		{"GET", "/", "GET /", nil},
		{"POST", "/", "", nil},
		{"GET", "/items/7/", "GET /items/{id}", map[string]string{"id": "7"}},
	}
	for _, c := range cases {
		i, params := selectRoute(cands, c.method, requestSegments(c.path))
		got := ""
		if i >= 0 {
			got = keys[i]
		}
		if got != c.want || !reflect.DeepEqual(params, c.params) {
			t.Errorf("%s %s: got %q %v, want %q %v", c.method, c.path, got, params, c.want, c.params)
		}
	}
}

func TestParseRouteKeyRefuses(t *testing.T) {
	for _, k := range []string{"", "GET", "GET items", "FETCH /x", "GET /{proxy+}/x", "GET //x", "GET /{}", "GET /a{b}", "get /x", "GET /x/"} {
		if _, _, err := parseRouteKey(k); err == nil {
			t.Errorf("%q accepted", k)
		}
	}
}

func TestFunctionOf(t *testing.T) {
	fn := "arn:aws:lambda:eu-west-1:000000000000:function:f:live"
	for uri, want := range map[string]string{
		fn: fn,
		"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/" + fn + "/invocations": fn,
		"arn:aws:sqs:eu-west-1:000000000000:q":                                                 "",
		"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/" + fn:                  "",
	} {
		region, got, ok := functionOf(uri)
		if got != want || ok != (want != "") || (ok && region != "eu-west-1") {
			t.Errorf("functionOf(%s) = %s %s %v", uri, region, got, ok)
		}
	}
	if got := substitute("arn:aws:lambda:us-east-1:000000000000:function:${stageVariables.fn}", map[string]string{"fn": "x"}); got != "arn:aws:lambda:us-east-1:000000000000:function:x" {
		t.Errorf("substitute: %s", got)
	}
}

// FuzzRouteKey: no route key or request path panics parsing or matching, and a
// match binds every variable of the template.
func FuzzRouteKey(f *testing.F) {
	f.Add("GET /items/{id}", "/items/1")
	f.Add("ANY /{proxy+}", "/a/b/c")
	f.Add("$default", "/")
	f.Add("POST /a/{b}/c/{d+}", "/a/%zz/c/x/y")
	f.Fuzz(func(t *testing.T, key, path string) {
		m, segs, err := parseRouteKey(key)
		if err != nil || key == "$default" {
			return
		}
		i, params := selectRoute([]candidate{{method: m, segs: segs}}, m, requestSegments(path))
		if i < 0 {
			return
		}
		for _, s := range segs {
			if _, ok := params[s.param]; s.param != "" && !ok {
				t.Fatalf("%q matched %q without binding %s", key, path, s.param)
			}
		}
	})
}
