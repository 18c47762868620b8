package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzCompileMatch compiles arbitrary patterns under every dialect and
// matches arbitrary events: it must never panic, a refused pattern must
// give an *Error, Match must agree with MatchValue on the decoded event,
// and one match must stay fast whatever the inputs (no backtracking blow-up).
func FuzzCompileMatch(f *testing.F) {
	seeds := [][2]string{
		{`{"detail": {"state": [{"anything-but": "initializing"}]}}`, rulerEvent},
		{`{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}`, rulerEvent},
		{`{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}`, rulerEvent},
		{`{"time": [{"prefix": {"equals-ignore-case": "2017"}}], "source": [{"suffix": "ec2"}]}`, rulerEvent},
		{`{"v": [{"wildcard": "*a*a*a*a*a*b"}]}`, `{"v":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`},
		{`{"$or": [{"a": [{"exists": false}]}, {"b": {"c": [null, true, 1e2, "x"]}}]}`, `{"b":[{"c":[[100]]}]}`},
		{`{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}`, `{"employees":[{"firstName":"Anna","lastName":"Smith"}]}`},
		{`{"a": [{"anything-but": {"wildcard": ["*x*", "y\\*"]}}, {"equals-ignore-case": "ß"}]}`, `{"a":"SS"}`},
		{`{"eventName": ["INSERT"=123]}`, `{}`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		for _, d := range []Dialect{EventBridge, SNSMessageAttributes, SNSMessageBody} {
			p, err := Compile(pattern, Options{Dialect: d})
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Reason == "" {
					t.Fatalf("Compile(%q) returned %v, not an *Error with a reason", pattern, err)
				}
				continue
			}
			start := time.Now()
			got := p.Match(event)
			if el := time.Since(start); el > time.Second {
				t.Fatalf("Match took %v", el)
			}
			dec := json.NewDecoder(bytes.NewReader(event))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) == nil && !dec.More() {
				if p.MatchValue(v) != got {
					t.Fatalf("Match and MatchValue disagree on %q / %q", pattern, event)
				}
			} else if got {
				t.Fatalf("invalid JSON %q matched", event)
			}
		}
	})
}
