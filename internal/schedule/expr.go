// Package schedule is the schedule expressions of EventBridge rules and of
// EventBridge Scheduler — rate(value unit), cron(minutes hours day-of-month
// month day-of-week year) and Scheduler's at(yyyy-mm-ddThh:mm:ss) — and the
// clock they run on. Rules evaluate them in UTC; Scheduler in a schedule's
// time zone.
package schedule

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Schedule yields fire times.
type Schedule interface {
	// Next returns the first fire time strictly after t (whole minutes for
	// cron, whole seconds for at), or the zero time when there is none.
	Next(t time.Time) time.Time
}

// ErrExpr is the error of an expression that does not parse.
var ErrExpr = errors.New("invalid schedule expression")

var errExpr = ErrExpr

// Parse parses a schedule expression; cron and at are read in loc (UTC when
// nil). Rate intervals count from the Rate's Origin, which the caller sets.
func Parse(s string, loc *time.Location) (Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		return parseRate(s[5 : len(s)-1])
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
		c, err := parseCron(s[5 : len(s)-1])
		if err != nil {
			return nil, err
		}
		c.loc = loc
		return c, nil
	case strings.HasPrefix(s, "at(") && strings.HasSuffix(s, ")"):
		t, err := time.ParseInLocation("2006-01-02T15:04:05", s[3:len(s)-1], loc)
		if err != nil {
			return nil, errExpr
		}
		return At(t), nil
	}
	return nil, errExpr
}

// Rate fires every Every, counted from Origin.
type Rate struct {
	Every  time.Duration
	Origin time.Time
}

func (r Rate) Next(t time.Time) time.Time {
	if t.Before(r.Origin) {
		return r.Origin.Add(r.Every)
	}
	n := t.Sub(r.Origin)/r.Every + 1
	return r.Origin.Add(n * r.Every)
}

// At fires once.
type At time.Time

func (a At) Next(t time.Time) time.Time {
	if time.Time(a).After(t) {
		return time.Time(a)
	}
	return time.Time{}
}

func parseRate(s string) (Rate, error) {
	f := strings.Fields(s)
	if len(f) != 2 || strings.Join(f, " ") != s {
		return Rate{}, errExpr
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || f[0][0] == '+' || n > 1<<20 {
		return Rate{}, errExpr
	}
	unit := f[1]
	// AWS wants the singular for 1 and the plural otherwise.
	if n == 1 {
		unit += "s"
	} else if !strings.HasSuffix(unit, "s") {
		return Rate{}, errExpr
	}
	var d time.Duration
	switch unit {
	case "minutes":
		d = time.Minute
	case "hours":
		d = time.Hour
	case "days":
		d = 24 * time.Hour
	default:
		return Rate{}, errExpr
	}
	return Rate{Every: time.Duration(n) * d}, nil
}

// cron is a parsed cron expression; each set is a bitmask of allowed values.
type cron struct {
	minutes, hours uint64
	months         uint64 // bits 1..12
	years          map[int]bool
	allYears       bool
	// day of month: anyDOM means '?' (the day of week decides).
	anyDOM   bool
	doms     uint64 // bits 1..31
	lastDOM  bool   // L
	weekday  int    // nW: the weekday nearest day n; 0 when unused
	lastWeek bool   // LW: the last weekday of the month
	// day of week (1 = Sunday .. 7 = Saturday): anyDOW means '?'.
	anyDOW  bool
	dows    uint64
	lastDOW int // nL: the last such day of the month; 0 when unused
	nthDOW  int // n#k: day n ...
	nthK    int // ... the k-th of the month
	loc     *time.Location
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(s string) (*cron, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, errExpr
	}
	c := &cron{}
	var err error
	if c.minutes, err = parseField(f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if c.hours, err = parseField(f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	if c.months, err = parseField(f[3], 1, 12, monthNames); err != nil {
		return nil, err
	}
	if f[2] == "?" && f[4] == "?" || f[2] != "?" && f[4] != "?" {
		// One of day-of-month and day-of-week must be '?', and only one.
		return nil, errExpr
	}
	if err := c.parseDOM(f[2]); err != nil {
		return nil, err
	}
	if err := c.parseDOW(f[4]); err != nil {
		return nil, err
	}
	if f[5] == "*" {
		c.allYears = true
	} else {
		c.years = map[int]bool{}
		for _, part := range strings.Split(f[5], ",") {
			lo, hi, step, err := parseRange(part, 1970, 2199, nil)
			if err != nil {
				return nil, err
			}
			for y := lo; y <= hi; y += step {
				c.years[y] = true
			}
		}
	}
	return c, nil
}

func (c *cron) parseDOM(f string) error {
	switch {
	case f == "?":
		c.anyDOM = true
	case f == "L":
		c.lastDOM = true
	case f == "LW":
		c.lastWeek = true
	case strings.HasSuffix(f, "W"):
		n, err := strconv.Atoi(f[:len(f)-1])
		if err != nil || n < 1 || n > 31 {
			return errExpr
		}
		c.weekday = n
	default:
		var err error
		c.doms, err = parseField(f, 1, 31, nil)
		return err
	}
	return nil
}

func (c *cron) parseDOW(f string) error {
	switch {
	case f == "?":
		c.anyDOW = true
	case f == "L":
		c.dows = 1 << 7
	case strings.HasSuffix(f, "L"):
		n, err := dayValue(f[:len(f)-1])
		if err != nil {
			return err
		}
		c.lastDOW = n
	case strings.Contains(f, "#"):
		d, k, _ := strings.Cut(f, "#")
		n, err := dayValue(d)
		if err != nil {
			return err
		}
		kk, err := strconv.Atoi(k)
		if err != nil || kk < 1 || kk > 5 {
			return errExpr
		}
		c.nthDOW, c.nthK = n, kk
	default:
		var err error
		c.dows, err = parseField(f, 1, 7, dayNames)
		return err
	}
	return nil
}

func dayValue(s string) (int, error) {
	if n, ok := dayNames[s]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 7 {
		return 0, errExpr
	}
	return n, nil
}

// parseField parses a list of values, ranges and steps into a bitmask.
func parseField(f string, lo, hi int, names map[string]int) (uint64, error) {
	var m uint64
	for _, part := range strings.Split(f, ",") {
		a, b, step, err := parseRange(part, lo, hi, names)
		if err != nil {
			return 0, err
		}
		for v := a; v <= b; v += step {
			m |= 1 << uint(v)
		}
	}
	return m, nil
}

// parseRange parses *, n, a-b, with an optional /step.
func parseRange(part string, lo, hi int, names map[string]int) (a, b, step int, err error) {
	step = 1
	if r, s, ok := strings.Cut(part, "/"); ok {
		step, err = strconv.Atoi(s)
		if err != nil || step < 1 || step > hi-lo+1 {
			return 0, 0, 0, errExpr
		}
		part = r
		if !strings.Contains(part, "-") && part != "*" {
			// n/step runs from n to the field's end.
			a, err = value(part, lo, hi, names)
			return a, hi, step, err
		}
	}
	if part == "*" {
		return lo, hi, step, nil
	}
	if x, y, ok := strings.Cut(part, "-"); ok {
		if a, err = value(x, lo, hi, names); err != nil {
			return
		}
		if b, err = value(y, lo, hi, names); err != nil {
			return
		}
		if a > b {
			return 0, 0, 0, errExpr
		}
		return a, b, step, nil
	}
	a, err = value(part, lo, hi, names)
	return a, a, step, err
}

func value(s string, lo, hi int, names map[string]int) (int, error) {
	if n, ok := names[strings.ToUpper(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi || s == "" || s[0] == '+' || s[0] == '-' {
		return 0, errExpr
	}
	return n, nil
}

func (c *cron) yearOK(y int) bool { return c.allYears || c.years[y] }

// dayOK reports whether the calendar date is a day the expression fires on.
func (c *cron) dayOK(y int, m time.Month, d int) bool {
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	dow := int(date.Weekday()) + 1
	if c.anyDOM {
		switch {
		case c.lastDOW != 0:
			return dow == c.lastDOW && d+7 > last
		case c.nthDOW != 0:
			return dow == c.nthDOW && (d-1)/7+1 == c.nthK
		}
		return c.dows&(1<<uint(dow)) != 0
	}
	switch {
	case c.lastDOM:
		return d == last
	case c.lastWeek:
		return d == nearestWeekday(y, m, last, last)
	case c.weekday != 0:
		return d == nearestWeekday(y, m, min(c.weekday, last), last)
	}
	return c.doms&(1<<uint(d)) != 0
}

// nearestWeekday is the weekday nearest day n of the month, not leaving it.
func nearestWeekday(y int, m time.Month, n, last int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

// Next walks the calendar of c's location. A wall time that a daylight
// saving change skips runs at the same offset after the change (02:30 on a
// spring-forward night becomes 03:30), once; a repeated hour runs once, at
// its first occurrence.
func (c *cron) Next(after time.Time) time.Time {
	loc := c.loc
	if loc == nil {
		loc = time.UTC
	}
	t := after.In(loc)
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc).Add(time.Minute)
	for y := t.Year(); y <= 2199; y++ {
		if !c.yearOK(y) {
			continue
		}
		m0 := time.January
		if y == t.Year() {
			m0 = t.Month()
		}
		for m := m0; m <= time.December; m++ {
			if c.months&(1<<uint(m)) == 0 {
				continue
			}
			d0 := 1
			if y == t.Year() && m == t.Month() {
				d0 = t.Day()
			}
			last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
			for d := d0; d <= last; d++ {
				if !c.dayOK(y, m, d) {
					continue
				}
				h0, min0 := 0, 0
				if y == t.Year() && m == t.Month() && d == t.Day() {
					h0, min0 = t.Hour(), t.Minute()
				}
				for h := h0; h < 24; h++ {
					if c.hours&(1<<uint(h)) == 0 {
						continue
					}
					mm := 0
					if h == h0 {
						mm = min0
					}
					for ; mm < 60; mm++ {
						if c.minutes&(1<<uint(mm)) == 0 {
							continue
						}
						v := time.Date(y, m, d, h, mm, 0, 0, loc)
						if v.Hour() != h {
							// In a skipped hour: keep the offset from before the change.
							_, off := v.Add(-3 * time.Hour).Zone()
							v = time.Date(y, m, d, h, mm, 0, 0, time.UTC).Add(-time.Duration(off) * time.Second).In(loc)
						}
						if v.After(after) && (v.Hour() == h || !c.firesAt(v)) {
							return v
						}
					}
				}
			}
		}
	}
	return time.Time{}
}

// firesAt reports whether c names v's own wall time, so that a skipped time
// moved onto it is not a second run.
func (c *cron) firesAt(v time.Time) bool {
	return c.hours&(1<<uint(v.Hour())) != 0 && c.minutes&(1<<uint(v.Minute())) != 0 &&
		c.months&(1<<uint(v.Month())) != 0 && c.dayOK(v.Year(), v.Month(), v.Day()) && c.yearOK(v.Year())
}
