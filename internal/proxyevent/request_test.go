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
// sameJSON checks that two encoders of one event give the same JSON value.
func sameJSON(t *testing.T, got, want func() ([]byte, error)) {
	t.Helper()
	g, err1 := got()
	w, err2 := want()
	var gv, wv any
	if err1 != nil || err2 != nil || json.Unmarshal(g, &gv) != nil || json.Unmarshal(w, &wv) != nil || !reflect.DeepEqual(gv, wv) {
		t.Fatalf("encoders disagree:\n got %s\nwant %s", g, w)
	}
}

func TestV2MatchesReference(t *testing.T) {
	r := httptest.NewRequest("POST", "/a%20b?x=1&x=2&y=%22q%22", nil)
	r.Header["Cookie"] = []string{"a=1; b=\"2\""}
	r.Header["X-Multi"] = []string{"1", "2\u2028"}
	r.Header["X-Ctl"] = []string{"\x01\t\xff<&>"}
	q := &Request{HTTP: r, Body: []byte("b\"ody\n"), Path: "/a%20b", Account: "000000000000", APIID: "id", Stage: "prod",
		RouteKey: "POST /{p}", RequestID: "rid", Time: time.Unix(1700000000, 123e6), PathParameters: map[string]string{"p": "a b"},
		StageVariables: map[string]string{"v": "1"}}
	sameJSON(t, q.V2, q.referenceV2)
	q.Binary = true
	sameJSON(t, q.V2, q.referenceV2)
	q.IAM = &IAMCaller{AccessKey: "AK", AccountID: "1", CallerID: "c", UserARN: "arn", UserID: "u"}
	sameJSON(t, q.FunctionURL, q.referenceFunctionURL)
}

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
		sameJSON(t, q.V2, q.referenceV2)
		q.IAM = &IAMCaller{AccessKey: cookie, AccountID: "000000000000", CallerID: rawQuery, UserARN: "a\u2028", UserID: ct}
		sameJSON(t, q.FunctionURL, q.referenceFunctionURL)
	})
}
