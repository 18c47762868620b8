package metering

import (
	"context"
	"time"
)

// Report prices [start, end) with prices: each calendar month the period touches
// is billed on its own, its tiers and free tier counted from the first of the
// month (so usage earlier in the month, outside the period, is read too).
func (l *Ledger) Report(ctx context.Context, prices *Prices, start, end time.Time, freeTier bool) (Bill, error) {
	start, end = start.UTC(), end.UTC()
	var months []MonthUsage
	for m := monthOf(start); m.Before(end); m = m.AddDate(0, 1, 0) {
		from, to := maxTime(m, start), minTime(m.AddDate(0, 1, 0), end)
		before, err := l.Sum(ctx, m, from)
		if err != nil {
			return Bill{}, err
		}
		during, err := l.Sum(ctx, from, to)
		if err != nil {
			return Bill{}, err
		}
		months = append(months, MonthUsage{Month: m.Format("2006-01"), Before: before, During: during})
	}
	return prices.Price(months, freeTier), nil
}

func monthOf(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
