package proxyevent

import (
	"net/http"
	"reflect"
	"testing"
)

func TestParseV2(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		status  int
		header  http.Header
		body    string
		bad     bool
	}{
		{"bare object", `{"a":1}`, 200, http.Header{"Content-Type": {"application/json"}}, `{"a":1}`, false},
		{"bare string", `"hi"`, 200, http.Header{"Content-Type": {"application/json"}}, `"hi"`, false},
		{"bare number", `42`, 200, http.Header{"Content-Type": {"application/json"}}, `42`, false},
		{"structured", `{"statusCode":204,"headers":{"x-n":1,"x-b":true}}`, 204, http.Header{"X-N": {"1"}, "X-B": {"true"}}, "", false},
		{"status as string", `{"statusCode":"201","body":"x"}`, 201, http.Header{}, "x", false},
		{"cookies", `{"statusCode":200,"cookies":["a=1","b=2"]}`, 200, http.Header{"Set-Cookie": {"a=1", "b=2"}}, "", false},
		{"base64", `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, 200, http.Header{}, "hi", false},
		{"null fields", `{"statusCode":200,"headers":null,"body":null,"cookies":null}`, 200, http.Header{}, "", false},
		{"not JSON", `{`, 0, nil, "", true},
		{"bad status", `{"statusCode":99}`, 0, nil, "", true},
		{"bad base64", `{"statusCode":200,"body":"%","isBase64Encoded":true}`, 0, nil, "", true},
		{"object header", `{"statusCode":200,"headers":{"a":{}}}`, 0, nil, "", true},
		{"cookies not strings", `{"statusCode":200,"cookies":[1]}`, 0, nil, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseV2([]byte(c.payload))
			if c.bad {
				if err != ErrMalformed {
					t.Fatalf("want ErrMalformed, got %v %+v", err, r)
				}
				return
			}
			if err != nil || r.Status != c.status || string(r.Body) != c.body || !reflect.DeepEqual(r.Header, c.header) {
				t.Errorf("got %+v %v", r, err)
			}
		})
	}
}

func TestParseV1(t *testing.T) {
	r, err := ParseV1([]byte(`{"statusCode":200,"headers":{"a":"1","b":"h"},"multiValueHeaders":{"b":["m1","m2"]},"body":"x"}`), true)
	if err != nil || !reflect.DeepEqual(r.Header, http.Header{"A": {"1"}, "B": {"m1", "m2"}}) || string(r.Body) != "x" {
		t.Errorf("merge: %+v %v", r, err)
	}
	for _, bad := range []string{`{"body":"x"}`, `"x"`, `{"statusCode":200,"extra":1}`, `{"statusCode":200,"multiValueHeaders":{"a":"x"}}`} {
		if _, err := ParseV1([]byte(bad), true); err != ErrMalformed {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := ParseV1([]byte(`{"statusCode":200,"extra":1}`), false); err != nil {
		t.Errorf("lenient: %v", err)
	}
}

func TestIsTextType(t *testing.T) {
	for ct, want := range map[string]bool{"text/html; charset=utf-8": true, "application/json": true, "application/vnd.api+json": true,
		"application/xml": true, "image/png": false, "": false, "application/octet-stream": false, "multipart/form-data": false} {
		if IsTextType(ct) != want {
			t.Errorf("IsTextType(%q) = %v", ct, !want)
		}
	}
}

// FuzzParse: no answer a function gives may panic the mapping, and whatever maps
// has a real status.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"statusCode":200}`, `"x"`, `{"statusCode":200,"multiValueHeaders":{"a":["1"]},"cookies":["c"]}`,
		`{"statusCode":"200","body":"aGk=","isBase64Encoded":true}`, `[]`, `null`, `{"headers":{"a":1.5e3}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (*Response, error){ParseV2,
			func(b []byte) (*Response, error) { return ParseV1(b, true) },
			func(b []byte) (*Response, error) { return ParseV1(b, false) }} {
			r, err := parse(b)
			if err == nil && (r.Status < 100 || r.Status > 599) {
				t.Fatalf("status %d from %q", r.Status, b)
			}
		}
	})
}
