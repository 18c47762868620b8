package proxyevent

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkV2 builds the 2.0 event of a typical API request: the API Gateway hop's
// own cost on the warm path.
func BenchmarkV2(b *testing.B) {
	r := httptest.NewRequest("POST", "/items?x=1", strings.NewReader(""))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "Go-http-client/1.1")
	r.Header.Set("Accept-Encoding", "gzip")
	r.Host = "abcdef1234.execute-api.localhost:4566"
	body := []byte(`{"data":"` + strings.Repeat("x", 89) + `"}`)
	q := &Request{HTTP: r, Body: body, Path: "/items", ResourcePath: "/items", Account: "000000000000", APIID: "abcdef1234",
		DomainName: "abcdef1234.execute-api.localhost", DomainPrefix: "abcdef1234", Stage: "$default", RouteKey: "$default",
		RequestID: "JKJaXmPLvHcESHA=", Time: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.V2(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseV2(b *testing.B) {
	payload := []byte(`{"data":"` + strings.Repeat("x", 89) + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseV2(payload); err != nil {
			b.Fatal(err)
		}
	}
}
