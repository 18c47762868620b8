package proxyevent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// ErrMalformed is returned for a function answer that is not a proxy response of
// the format asked for; API Gateway answers such a response with a 502.
var ErrMalformed = errors.New("proxyevent: malformed Lambda proxy response")

// Response is the HTTP response a function's answer maps to.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Write sends the response. Content-Type is always set, so net/http never sniffs
// one of its own.
func (resp *Response) Write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	w.Write(resp.Body) //nolint:errcheck // the client went away
}

// v1Keys are the only fields a REST API's Lambda proxy response may have.
var v1Keys = map[string]bool{"statusCode": true, "headers": true, "multiValueHeaders": true, "body": true, "isBase64Encoded": true}

// ParseV1 maps a payload 1.0 answer: statusCode (required), headers,
// multiValueHeaders (a name in both keeps only the multi-valued values), body and
// isBase64Encoded. strict, as REST APIs are, refuses any other field.
func ParseV1(payload []byte, strict bool) (*Response, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil || m == nil {
		return nil, ErrMalformed
	}
	if strict {
		for k := range m {
			if !v1Keys[k] {
				return nil, ErrMalformed
			}
		}
	}
	resp, err := structured(m)
	if err != nil {
		return nil, err
	}
	if raw, ok := m["multiValueHeaders"]; ok && !isNull(raw) {
		var mv map[string][]json.RawMessage
		if err := json.Unmarshal(raw, &mv); err != nil {
			return nil, ErrMalformed
		}
		for k, vs := range mv {
			ck := http.CanonicalHeaderKey(k)
			delete(resp.Header, ck)
			for _, v := range vs {
				s, ok := scalar(v)
				if !ok {
					return nil, ErrMalformed
				}
				resp.Header[ck] = append(resp.Header[ck], s)
			}
		}
	}
	return resp, nil
}

// ParseV2 maps a payload 2.0 answer (HTTP APIs and function URLs). An object with
// a statusCode is a structured response: statusCode, headers, cookies (each a
// Set-Cookie), body and isBase64Encoded. Any other valid JSON is the body itself of
// a 200 application/json response: the 2.0 shortcut.
func ParseV2(payload []byte) (*Response, error) {
	bare := &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: payload}
	if !bytes.HasPrefix(bytes.TrimSpace(payload), []byte("{")) {
		if !json.Valid(payload) {
			return nil, ErrMalformed
		}
		return bare, nil
	}
	// Most answers are one or the other; a struct finds statusCode without
	// building a map of every field (and Unmarshal checks the JSON first).
	var probe struct {
		StatusCode json.RawMessage `json:"statusCode"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, ErrMalformed
	}
	if probe.StatusCode == nil {
		return bare, nil
	}
	var m map[string]json.RawMessage
	json.Unmarshal(payload, &m)        //nolint:errcheck // valid JSON object
	if _, ok := m["statusCode"]; !ok { // the probe matched another spelling
		return bare, nil
	}
	resp, err := structured(m)
	if err != nil {
		return nil, err
	}
	if raw, ok := m["cookies"]; ok && !isNull(raw) {
		var cs []string
		if err := json.Unmarshal(raw, &cs); err != nil {
			return nil, ErrMalformed
		}
		for _, c := range cs {
			resp.Header.Add("Set-Cookie", c)
		}
	}
	return resp, nil
}

// structured reads the fields both formats share.
func structured(m map[string]json.RawMessage) (*Response, error) {
	resp := &Response{Header: http.Header{}}
	raw, ok := m["statusCode"]
	if !ok {
		return nil, ErrMalformed
	}
	code, err := strconv.Atoi(string(bytes.Trim(raw, `"`)))
	if err != nil || code < 100 || code > 599 {
		return nil, ErrMalformed
	}
	resp.Status = code
	if raw, ok := m["headers"]; ok && !isNull(raw) {
		var hs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &hs); err != nil {
			return nil, ErrMalformed
		}
		for k, v := range hs {
			s, ok := scalar(v)
			if !ok {
				return nil, ErrMalformed
			}
			resp.Header[http.CanonicalHeaderKey(k)] = []string{s}
		}
	}
	var b64 bool
	if raw, ok := m["isBase64Encoded"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &b64); err != nil {
			return nil, ErrMalformed
		}
	}
	if raw, ok := m["body"]; ok && !isNull(raw) {
		var body string
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, ErrMalformed
		}
		if b64 {
			b, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				return nil, ErrMalformed
			}
			resp.Body = b
		} else {
			resp.Body = []byte(body)
		}
	}
	return resp, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// scalar renders a header value: a string as is, a number or boolean as its JSON text.
func scalar(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] == '{' || raw[0] == '[' || raw[0] == '"' || isNull(raw) {
		return "", false
	}
	return string(raw), true
}
