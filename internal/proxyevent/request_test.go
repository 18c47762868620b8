package proxyevent

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

func TestQuery(t *testing.T) {
	got := query("a=1&a=2&b&c=x%20y&d=%zz&&=e")
	want := map[string][]string{"a": {"1", "2"}, "b": {""}, "c": {"x y"}, "d": {"%zz"}, "": {"e"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("query = %v", got)
	}
}

// FuzzEvents: any query, cookie, body and content type makes valid JSON events.
func FuzzEvents(f *testing.F) {
	f.Add("a=1&a=2", "x=1; y=2", []byte("body"), "text/plain")
	f.Add("%zz=%", "", []byte{0xff}, "")
	f.Fuzz(func(t *testing.T, rawQuery, cookie string, body []byte, ct string) {
		r := httptest.NewRequest("POST", "/p", nil)
		r.URL.RawQuery = rawQuery
		r.Header["Cookie"] = []string{cookie}
		r.Header["Content-Type"] = []string{ct}
		q := &Request{HTTP: r, Body: body, Path: "/p", ResourcePath: "/p", Time: time.Unix(0, 0), Binary: !IsTextType(ct)}
		for _, build := range []func() ([]byte, error){q.V2, func() ([]byte, error) { return q.V1(true) }, q.FunctionURL} {
			b, err := build()
			if err != nil || !json.Valid(b) {
				t.Fatalf("invalid event %s: %v", b, err)
			}
		}
	})
}
