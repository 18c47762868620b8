package metering

import (
	"net/url"
	"testing"
	"time"
)

// FuzzDecodeBatch: a stored batch never panics the rollup, and what it accepts
// re-encodes to records it accepts again.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"id":"a","r":"us-east-1","fn":"f","v":"$LATEST","arch":"x86_64","mem":128,"start":1,"dur":5,"billed":1000000,"out":"ok"}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`{"r":"us-east-1","fn":"a.b","arch":"arm64","mem":1}`))
	f.Add([]byte(`{"r":"us-east-1","fn":"f","arch":"x86_64","mem":128,"billed":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := decodeBatch(b)
		if err != nil {
			return
		}
		again, err := decodeBatch(encodeBatch(nil, rs))
		if err != nil || len(again) != len(rs) {
			t.Fatalf("re-encoded batch: %v (%d of %d)", err, len(again), len(rs))
		}
		for _, r := range rs {
			var a Agg
			a.add(&r)
			if a.MBMillis < 0 || a.BilledMs < 0 {
				t.Fatalf("negative figures from %+v", r)
			}
		}
	})
}

// FuzzParseQuery: any query string is a valid period or an error, never a panic
// nor an empty or inverted period.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "month=2026-11", "start=2026-11-01&end=2026-11-02", "start=2026-11-01T10:00:00Z",
		"free-tier=false&function=hello", "month=2026-13", "start=x", "start=2026-11-02&end=2026-11-01", "bogus=1",
		"function=a.b", "start=0001-01-01&end=9999-12-31"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		q, err := ParseQuery(v, now)
		if err != nil {
			return
		}
		if !q.Start.Before(q.End) || q.End.Sub(q.Start) > maxPeriod+31*24*time.Hour {
			t.Fatalf("%q gave period %s to %s", s, q.Start, q.End)
		}
		if q.Function != "" && !validToken(q.Function) {
			t.Fatalf("%q gave function %q", s, q.Function)
		}
	})
}

func TestParseQuery(t *testing.T) {
	now := time.Date(2026, 11, 26, 23, 5, 0, 0, time.UTC)
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for _, tc := range []struct {
		in         string
		start, end string
		freeTier   bool
		err        string
	}{
		{"", "2026-11-01T00:00:00Z", "2026-11-26T23:05:00Z", true, ""},
		{"month=2026-02", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", true, ""},
		{"start=2026-11-01&end=2026-11-02&free-tier=false", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", false, ""},
		{"start=2026-11-01T10:00:00%2B02:00", "2026-11-01T08:00:00Z", "2026-11-26T23:05:00Z", true, ""},
		{"month=2026-13", "", "", false, `month must be yyyy-mm, not "2026-13"`},
		{"month=2026-11&start=2026-11-01", "", "", false, "give either month or start and end, not both"},
		{"start=yesterday", "", "", false, `start: "yesterday" is neither RFC 3339 nor yyyy-mm-dd`},
		{"start=2026-11-02&end=2026-11-01", "", "", false, "start 2026-11-02T00:00:00Z is not before end 2026-11-01T00:00:00Z"},
		{"free-tier=maybe", "", "", false, `free-tier must be true or false, not "maybe"`},
		{"function=my.fn", "", "", false, `function "my.fn" is not a valid function name`},
		{"region=us-east-1", "", "", false, `unknown parameter "region"`},
		{"start=1971-01-01&end=2026-01-01", "", "", false, "a period is at most five years"},
	} {
		v, _ := url.ParseQuery(tc.in)
		q, err := ParseQuery(v, now)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !q.Start.Equal(at(tc.start)) || !q.End.Equal(at(tc.end)) || q.FreeTier != tc.freeTier {
			t.Errorf("%q = %+v", tc.in, q)
		}
	}
}
