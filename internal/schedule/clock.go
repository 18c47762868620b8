package schedule

import (
	"context"
	"errors"
	"time"

	_ "time/tzdata" // schedules name IANA zones; the binary must not depend on the host having them

	"github.com/stratus-run/stratus/internal/store"
)

// Clock is schedule time. With Minute a real minute it is the wall clock.
// Tests shrink Minute: schedule time then runs 1 min / Minute times faster
// than the wall clock from Anchor, so a rate(1 minute) schedule fires every
// Minute of real time and a cron fires at its compressed wall time. The
// anchor is stored (see LoadAnchor) so that schedule time goes on where it
// left off across a restart instead of jumping back behind the ticks already
// fired.
type Clock struct {
	Minute time.Duration
	Anchor time.Time
	// Wall is the real clock (time.Now when nil).
	Wall func() time.Time
}

func (c *Clock) wall() time.Time {
	if c.Wall == nil {
		return time.Now()
	}
	return c.Wall()
}

func (c *Clock) scaled() bool { return c.Minute > 0 && c.Minute != time.Minute }

// Now is the current schedule time.
func (c *Clock) Now() time.Time { return c.Virtual(c.wall()) }

// Virtual is the schedule time at real time r.
func (c *Clock) Virtual(r time.Time) time.Time {
	if !c.scaled() {
		return r
	}
	return c.Anchor.Add(time.Duration(float64(r.Sub(c.Anchor)) * float64(time.Minute) / float64(c.Minute)))
}

// Real is the real time at which schedule time v is reached.
func (c *Clock) Real(v time.Time) time.Time {
	if !c.scaled() {
		return v
	}
	return c.Anchor.Add(time.Duration(float64(v.Sub(c.Anchor)) * float64(c.Minute) / float64(time.Minute)))
}

// Scale converts a span of schedule time (an event age, a flexible window)
// to real time.
func (c *Clock) Scale(d time.Duration) time.Duration {
	if !c.scaled() {
		return d
	}
	return time.Duration(float64(d) * float64(c.Minute) / float64(time.Minute))
}

// LoadAnchor returns the anchor stored under key in t, storing now as the
// anchor when there is none yet.
func LoadAnchor(ctx context.Context, t *store.Table[time.Time], key string, now time.Time) (time.Time, error) {
	a, _, err := t.Get(ctx, key)
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return time.Time{}, err
	}
	if _, err := t.Create(ctx, key, now); err != nil {
		if a, _, err2 := t.Get(ctx, key); err2 == nil {
			return a, nil
		}
		return time.Time{}, err
	}
	return now, nil
}
