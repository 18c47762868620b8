package metering

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Path is where Handler is served on the internal mux.
const Path = "/_stratus/usage"

// Query is a parsed usage request.
type Query struct {
	Start, End time.Time
	Function   string // "" for every function
	FreeTier   bool
}

// maxPeriod bounds a query; AWS keeps a year of Cost Explorer data at daily grain
// and more than that is a mistake more often than a wish.
const maxPeriod = 5 * 366 * 24 * time.Hour

// ParseQuery reads start and end (RFC 3339 or yyyy-mm-dd, UTC), or month
// (yyyy-mm); function; free-tier (true by default). Without a period it is the
// current month to now. It returns an error a user can act on.
func ParseQuery(q url.Values, now time.Time) (Query, error) {
	now = now.UTC()
	out := Query{FreeTier: true, End: now, Start: monthOf(now)}
	for k := range q {
		switch k {
		case "start", "end", "month", "function", "free-tier":
		default:
			return out, fmt.Errorf("unknown parameter %q", k)
		}
	}
	if v := q.Get("free-tier"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return out, fmt.Errorf("free-tier must be true or false, not %q", v)
		}
		out.FreeTier = b
	}
	out.Function = q.Get("function")
	if out.Function != "" && !validToken(out.Function) {
		return out, fmt.Errorf("function %q is not a valid function name", out.Function)
	}
	month, start, end := q.Get("month"), q.Get("start"), q.Get("end")
	if month != "" {
		if start != "" || end != "" {
			return out, errors.New("give either month or start and end, not both")
		}
		m, err := time.Parse("2006-01", month)
		if err != nil {
			return out, fmt.Errorf("month must be yyyy-mm, not %q", month)
		}
		out.Start, out.End = m, m.AddDate(0, 1, 0)
		return out, nil
	}
	var err error
	if start != "" {
		if out.Start, err = parseTime(start); err != nil {
			return out, fmt.Errorf("start: %w", err)
		}
	}
	if end != "" {
		if out.End, err = parseTime(end); err != nil {
			return out, fmt.Errorf("end: %w", err)
		}
	}
	if !out.Start.Before(out.End) {
		return out, fmt.Errorf("start %s is not before end %s", out.Start.Format(time.RFC3339), out.End.Format(time.RFC3339))
	}
	if out.End.Sub(out.Start) > maxPeriod {
		return out, errors.New("a period is at most five years")
	}
	return out, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1970 || t.Year() > 9999 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor yyyy-mm-dd", s)
}

// Response is the JSON body of GET /_stratus/usage.
type Response struct {
	Start              time.Time `json:"start"`
	End                time.Time `json:"end"`
	Function           string    `json:"function,omitempty"`
	FreeTier           bool      `json:"freeTier"`
	BillingGranularity string    `json:"billingGranularity"`
	Currency           string    `json:"currency"`
	Bill
}

// Handler serves GET Path from l with the given prices.
type Handler struct {
	Ledger *Ledger
	Prices *Prices
	// Granularity is the server's billing granularity, shown with the figures.
	Granularity time.Duration
	Now         func() time.Time
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	q, err := ParseQuery(r.URL.Query(), now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	bill, err := h.Ledger.Report(r.Context(), h.Prices, q.Start, q.End, q.FreeTier)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	if q.Function != "" {
		// The free tier and net stay account-wide: they are not per function.
		keep := bill.Functions[:0]
		for _, f := range bill.Functions {
			if f.Function == q.Function {
				keep = append(keep, f)
			}
		}
		bill.Functions = keep
	}
	writeJSON(w, http.StatusOK, Response{Start: q.Start, End: q.End, Function: q.Function, FreeTier: q.FreeTier,
		BillingGranularity: h.Granularity.String(), Currency: "USD", Bill: bill})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) //nolint:errcheck
}
