package events

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/delivery"
	"github.com/stratus-run/stratus/internal/schedule"
	"github.com/stratus-run/stratus/internal/store"
)

// The ticker fires scheduled rules. Schedule time is s.clock (see
// Service.Minute), anchored at the first Open of the store so that it goes
// on across restarts. Before a tick's deliveries are written, the tick is recorded in the
// ticks table, so no tick fires twice, across restarts too. A tick missed
// while the server was down fires once on Open (the latest missed tick
// only), and only to targets whose MaximumEventAgeInSeconds it is within.

// tickEvery is how often the ticker looks at the schedules, in wall time.
const tickEvery = 50 * time.Millisecond

// kickTicker makes the ticker look at the schedules at once.
func (s *Service) kickTicker() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Service) tickLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	last := map[string]time.Time{} // rule ARN -> last tick fired (cache of the ticks table)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		s.mu.Lock()
		var due []rule
		for _, ru := range s.rules {
			if ru.Schedule != "" && ru.State != "DISABLED" && len(ru.Targets) > 0 {
				due = append(due, *ru)
			}
		}
		s.mu.Unlock()
		live := map[string]bool{}
		for _, ru := range due {
			arn := s.ruleArn(ru.Bus, ru.Name)
			live[arn] = true
			if err := s.fireDue(ctx, &ru, arn, last); err != nil && ctx.Err() == nil {
				slog.Warn("events: scheduled rule", "rule", arn, "err", err)
			}
		}
		for arn := range last {
			if !live[arn] {
				delete(last, arn)
			}
		}
	}
}

// fireDue fires ru's latest due tick, if any, once.
func (s *Service) fireDue(ctx context.Context, ru *rule, arn string, last map[string]time.Time) error {
	sch, err := parseRuleSchedule(ru.Schedule)
	if err != nil {
		return nil
	}
	if r, ok := sch.(schedule.Rate); ok {
		r.Origin = ru.Created
		sch = r
	}
	prev, ok := last[arn]
	var rev uint64
	if !ok {
		tk, rv, err := s.tickTable.Get(ctx, key(arn))
		switch {
		case err == nil:
			prev, rev = tk.At, rv
		case errors.Is(err, store.ErrNotFound):
			prev = ru.Created
		default:
			return err
		}
		last[arn] = prev
	}
	if prev.Before(ru.Created) {
		prev = ru.Created
	}
	vnow := s.clock.Now()
	next := sch.Next(prev)
	if next.IsZero() || next.After(vnow) {
		return nil
	}
	// Only the latest due tick fires: earlier ones were missed.
	for i := 0; i < 1<<16; i++ {
		n := sch.Next(next)
		if n.IsZero() || n.After(vnow) {
			break
		}
		next = n
	}
	if rev == 0 {
		if _, rv, err := s.tickTable.Get(ctx, key(arn)); err == nil {
			rev = rv
		}
	}
	tk := tick{Rule: arn, At: next}
	if rev == 0 {
		_, err = s.tickTable.Create(ctx, key(arn), tk)
	} else {
		_, err = s.tickTable.Update(ctx, key(arn), tk, rev)
	}
	if err != nil {
		return err
	}
	last[arn] = next
	ev, _ := json.Marshal(event{Version: "0", ID: awsproto.NewRequestID(), DetailType: "Scheduled Event",
		Source: "aws.events", Account: s.Account, Time: next.UTC().Format("2006-01-02T15:04:05Z"),
		Region: s.Region, Resources: []string{arn}, Detail: json.RawMessage("{}")})
	at := s.clock.Real(next)
	var jobs []delivery.Job
	var ids []string
	for _, t := range ru.Targets {
		if _, maxAge := t.RetryPolicy.Limits(); s.Now().Sub(at) > maxAge {
			continue
		}
		j, id, err := s.jobFor(arn, t, ev, at, "tick:"+strconv.FormatInt(next.Unix(), 10))
		if err != nil {
			continue
		}
		jobs = append(jobs, j)
		ids = append(ids, id)
	}
	return s.queue.Put(ctx, jobs, ids)
}

// parseRuleSchedule parses a rule's ScheduleExpression: rate or cron, in UTC
// (at() is Scheduler's alone).
func parseRuleSchedule(expr string) (schedule.Schedule, error) {
	sch, err := schedule.Parse(expr, time.UTC)
	if _, ok := sch.(schedule.At); ok {
		return nil, schedule.ErrExpr
	}
	return sch, err
}
