package runtimeapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fuzzEnv answers as an environment with one outstanding request id "abc".
type fuzzEnv struct{}

func (fuzzEnv) Next(ctx context.Context) (*Invocation, error) {
	return &Invocation{RequestID: "abc", Payload: []byte(`{}`), Deadline: time.Now()}, nil
}

func (fuzzEnv) Respond(id string, body []byte) error {
	if id != "abc" {
		return ErrInvalidRequestID
	}
	return nil
}

func (fuzzEnv) Fail(id string, fe FunctionError) error {
	if id != "abc" {
		return ErrInvalidRequestID
	}
	return nil
}

func (fuzzEnv) InitFail(fe FunctionError) error { return ErrInvalidState }

func (fuzzEnv) TooLarge(id string) error { return nil }

// FuzzHandler feeds arbitrary requests to the Runtime API: it never panics, and
// every answer is one the Runtime API defines.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/2018-06-01/runtime/invocation/next", "", "")
	f.Add("POST", "/2018-06-01/runtime/invocation/abc/response", `{"ok":true}`, "")
	f.Add("POST", "/2018-06-01/runtime/invocation/abc/error", `{"errorMessage":"x"}`, "Runtime.Unknown")
	f.Add("POST", "/2018-06-01/runtime/invocation/zzz/response", `x`, "")
	f.Add("POST", "/2018-06-01/runtime/init/error", `{}`, "Runtime.InitError")
	f.Add("PUT", "/2018-06-01/runtime/invocation//response", "", "")
	f.Add("GET", "/ping", "", "")
	f.Add("POST", "/2018-06-01/runtime/invocation/a/b/response", "", "")
	h := &handler{env: fuzzEnv{}}
	allowed := map[int]bool{200: true, 202: true, 400: true, 403: true, 404: true, 405: true, 410: true, 413: true}
	f.Fuzz(func(t *testing.T, method, path, body, errType string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n?#") || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		req, err := http.NewRequest(method, "http://rapi"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		if errType != "" && !strings.ContainsAny(errType, "\r\n") {
			req.Header.Set("Lambda-Runtime-Function-Error-Type", errType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !allowed[w.Code] {
			t.Fatalf("%s %s: status %d", method, path, w.Code)
		}
	})
}
