package schedule

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	tests := []struct{ expr, tz, after, want string }{
		{"cron(0 12 * * ? *)", "", "2026-01-01T13:00:00Z", "2026-01-02T12:00:00Z"},
		{"cron(15 10 ? * 6L 2026)", "", "2026-01-01T00:00:00Z", "2026-01-30T10:15:00Z"},
		{"cron(0 8 1W * ? *)", "", "2026-02-02T09:00:00Z", "2026-03-02T08:00:00Z"},
		{"cron(0/15 * * * ? *)", "", "2026-01-01T00:01:00Z", "2026-01-01T00:15:00Z"},
		{"cron(0 0 ? * MON#2 *)", "", "2026-01-01T00:00:00Z", "2026-01-12T00:00:00Z"},
		{"cron(0 0 L * ? *)", "", "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z"},
		// 09:00 in New York is 14:00 UTC in winter and 13:00 in summer.
		{"cron(0 9 * * ? *)", "America/New_York", "2026-01-10T15:00:00Z", "2026-01-11T14:00:00Z"},
		{"cron(0 9 * * ? *)", "America/New_York", "2026-07-10T14:00:00Z", "2026-07-11T13:00:00Z"},
		// 02:30 does not exist on 2026-03-08 in New York: it runs at 03:30 EDT.
		{"cron(30 2 * * ? *)", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T07:30:00Z"},
		// 01:30 happens twice on 2026-11-01: it runs at the first.
		{"cron(30 1 * * ? *)", "America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z"},
		{"cron(30 1 * * ? *)", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
		{"at(2026-05-01T10:00:00)", "Europe/Paris", "2026-01-01T00:00:00Z", "2026-05-01T08:00:00Z"},
		{"at(2026-05-01T10:00:00)", "", "2026-05-01T10:00:00Z", "0001-01-01T00:00:00Z"},
		{"rate(5 minutes)", "", "2026-01-01T00:07:00Z", "2026-01-01T00:10:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+" "+tt.tz, func(t *testing.T) {
			loc := time.UTC
			if tt.tz != "" {
				var err error
				if loc, err = time.LoadLocation(tt.tz); err != nil {
					t.Skip(err)
				}
			}
			s, err := Parse(tt.expr, loc)
			if err != nil {
				t.Fatal(err)
			}
			if r, ok := s.(Rate); ok {
				r.Origin = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				s = r
			}
			after, _ := time.Parse(time.RFC3339, tt.after)
			if got := s.Next(after).UTC().Format(time.RFC3339); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"rate(1 minutes)", "rate(2 minute)", "rate(0 minutes)", "rate(5 weeks)",
		"cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(60 * * * ? *)", "at(2026-13-01T00:00:00)", "at(tomorrow)", "every minute"} {
		if _, err := Parse(s, nil); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}

func TestClock(t *testing.T) {
	anchor := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	real := anchor.Add(2 * time.Second)
	c := &Clock{Minute: time.Second, Anchor: anchor, Wall: func() time.Time { return real }}
	if got := c.Now(); !got.Equal(anchor.Add(2 * time.Minute)) {
		t.Fatalf("now %v", got)
	}
	if got := c.Real(anchor.Add(3 * time.Minute)); !got.Equal(anchor.Add(3 * time.Second)) {
		t.Fatalf("real %v", got)
	}
	if got := c.Scale(time.Hour); got != time.Minute {
		t.Fatalf("scale %v", got)
	}
	if w := (&Clock{Minute: time.Minute}).Scale(time.Hour); w != time.Hour {
		t.Fatalf("unscaled %v", w)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "cron(0 12 * * ? *)", "cron(0/5 1-3 ? JAN-MAR MON#2 2030)", "cron(0 0 LW * ? *)", "at(2030-01-01T00:00:00)"} {
		f.Add(s)
	}
	ny, _ := time.LoadLocation("America/New_York")
	f.Fuzz(func(t *testing.T, s string) {
		for _, loc := range []*time.Location{nil, ny} {
			if sch, err := Parse(s, loc); err == nil {
				after := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				if r, ok := sch.(Rate); ok {
					r.Origin = after
					sch = r
				}
				if n := sch.Next(after); !n.IsZero() && !n.After(after) {
					t.Fatalf("%q: next %v not after %v", s, n, after)
				}
			}
		}
	})
}
