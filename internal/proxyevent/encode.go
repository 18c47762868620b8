package proxyevent

import (
	"slices"
	"strconv"

	"github.com/stratus-run/stratus/internal/jsonenc"
)

// V2 returns the payload 2.0 event of an HTTP API. It is on the API Gateway hot
// path, so it is written by hand rather than through encoding/json's reflection;
// the tests hold it to the same JSON as the Go types of reference_test.go.
func (q *Request) V2() ([]byte, error) { return q.appendV2(make([]byte, 0, 1536), false), nil }

// FunctionURL returns the payload 2.0 event of a function URL: routeKey and stage
// $default, pathParameters and stageVariables null, the IAM caller if any.
func (q *Request) FunctionURL() ([]byte, error) {
	q.RouteKey, q.Stage = "$default", "$default"
	return q.appendV2(make([]byte, 0, 1536), true), nil
}

func (q *Request) appendV2(b []byte, furl bool) []byte {
	r := q.HTTP
	b = append(b, `{"version":"2.0","routeKey":`...)
	b = appendString(b, q.RouteKey)
	b = append(b, `,"rawPath":`...)
	b = appendString(b, q.Path)
	b = append(b, `,"rawQueryString":`...)
	b = appendString(b, r.URL.RawQuery)
	if cs := cookies(r); len(cs) > 0 {
		b = append(b, `,"cookies":[`...)
		for i, c := range cs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c)
		}
		b = append(b, ']')
	}
	b = append(b, `,"headers":`...)
	b = appendJoined(b, lowerHeaders(r, true))
	if qs := query(r.URL.RawQuery); len(qs) > 0 {
		b = append(b, `,"queryStringParameters":`...)
		b = appendJoined(b, qs)
	}
	if !furl && len(q.PathParameters) > 0 {
		b = append(b, `,"pathParameters":`...)
		b = appendMap(b, q.PathParameters)
	}
	b = append(b, `,"requestContext":{"accountId":`...)
	b = appendString(b, q.Account)
	b = append(b, `,"apiId":`...)
	b = appendString(b, q.APIID)
	b = append(b, `,"authentication":null`...)
	if furl && q.IAM != nil {
		b = append(b, `,"authorizer":{"iam":{"accessKey":`...)
		b = appendString(b, q.IAM.AccessKey)
		b = append(b, `,"accountId":`...)
		b = appendString(b, q.IAM.AccountID)
		b = append(b, `,"callerId":`...)
		b = appendString(b, q.IAM.CallerID)
		b = append(b, `,"cognitoIdentity":null,"principalOrgId":null,"userArn":`...)
		b = appendString(b, q.IAM.UserARN)
		b = append(b, `,"userId":`...)
		b = appendString(b, q.IAM.UserID)
		b = append(b, `}}`...)
	}
	b = append(b, `,"domainName":`...)
	b = appendString(b, q.DomainName)
	b = append(b, `,"domainPrefix":`...)
	b = appendString(b, q.DomainPrefix)
	b = append(b, `,"http":{"method":`...)
	b = appendString(b, r.Method)
	b = append(b, `,"path":`...)
	b = appendString(b, q.Path)
	b = append(b, `,"protocol":`...)
	b = appendString(b, r.Proto)
	b = append(b, `,"sourceIp":`...)
	b = appendString(b, SourceIP(r))
	b = append(b, `,"userAgent":`...)
	b = appendString(b, r.UserAgent())
	b = append(b, `},"requestId":`...)
	b = appendString(b, q.RequestID)
	b = append(b, `,"routeKey":`...)
	b = appendString(b, q.RouteKey)
	b = append(b, `,"stage":`...)
	b = appendString(b, q.Stage)
	b = append(b, `,"time":`...)
	b = appendString(b, RequestTime(q.Time))
	b = append(b, `,"timeEpoch":`...)
	b = strconv.AppendInt(b, q.Time.UnixMilli(), 10)
	b = append(b, '}')
	if !furl && len(q.StageVariables) > 0 {
		b = append(b, `,"stageVariables":`...)
		b = appendMap(b, q.StageVariables)
	}
	if body, b64 := q.body(); len(q.Body) > 0 {
		b = append(b, `,"body":`...)
		b = appendString(b, body)
		if b64 {
			b = append(b, `,"isBase64Encoded":true`...)
		} else {
			b = append(b, `,"isBase64Encoded":false`...)
		}
	} else {
		b = append(b, `,"isBase64Encoded":false`...)
	}
	if furl {
		b = append(b, `,"pathParameters":null,"stageVariables":null`...)
	}
	return append(b, '}')
}

// appendMap appends m as a JSON object, keys sorted as encoding/json sorts them.
func appendMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

// appendJoined appends a multi-valued map as one value per key, joined with
// commas, as payload 2.0 has headers and query parameters.
func appendJoined(b []byte, m map[string][]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, `:"`...)
		for j, v := range m[k] {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendEscaped(b, v)
		}
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte { return jsonenc.AppendString(b, s) }

func appendEscaped(b []byte, s string) []byte { return jsonenc.AppendEscaped(b, s) }
