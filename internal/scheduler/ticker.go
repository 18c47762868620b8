package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/delivery"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/schedule"
	"github.com/stratus-run/stratus/internal/store"
)

// tickEvery is how often the ticker looks at the schedules, in wall time:
// an occurrence is handed to delivery at most this late.
const tickEvery = 50 * time.Millisecond

// maxCatchUp bounds the occurrences of one schedule handed over in one pass,
// so a long outage is caught up over several passes.
const maxCatchUp = 100

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
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		s.mu.Lock()
		due := make([]sched, 0, len(s.schedules))
		for _, sc := range s.schedules {
			if sc.State == "ENABLED" {
				due = append(due, *sc)
			}
		}
		s.mu.Unlock()
		for i := range due {
			if err := s.fire(ctx, &due[i]); err != nil && ctx.Err() == nil {
				slog.Warn("scheduler: schedule", "schedule", s.scheduleArn(due[i].GroupName, due[i].Name), "err", err)
			}
		}
	}
}

// occurrence is one time a schedule invokes its target.
type occurrence struct {
	at     time.Time // the scheduled time (schedule time)
	fireAt time.Time // at plus the flexible window's offset
}

// fire hands sc's due occurrences to delivery, then records the last as its
// tick, then deletes a completed schedule whose ActionAfterCompletion says so.
func (s *Service) fire(ctx context.Context, sc *sched) error {
	k := key(sc.GroupName, sc.Name)
	arn := s.scheduleArn(sc.GroupName, sc.Name)
	loc := time.UTC
	if sc.ScheduleExpressionTimezone != "" {
		if l, err := time.LoadLocation(sc.ScheduleExpressionTimezone); err == nil {
			loc = l
		}
	}
	expr, err := schedule.Parse(sc.ScheduleExpression, loc)
	if err != nil {
		return nil
	}
	if r, ok := expr.(schedule.Rate); ok {
		r.Origin = sc.Since
		if sc.StartDate != nil {
			r.Origin = *sc.StartDate
		}
		expr = r
	}
	last, err := s.lastTick(ctx, k)
	if err != nil {
		return err
	}
	from := sc.Since
	if last.After(from) {
		from = last
	}
	if sc.StartDate != nil && sc.StartDate.Add(-time.Nanosecond).After(from) {
		from = sc.StartDate.Add(-time.Nanosecond)
	}
	vnow := s.clock.Now()
	var due []occurrence
	next := expr.Next(from)
	for ; !next.IsZero() && len(due) < maxCatchUp; next = expr.Next(next) {
		if sc.EndDate != nil && next.After(*sc.EndDate) {
			next = time.Time{}
			break
		}
		o := occurrence{at: next, fireAt: next.Add(s.flexOffset(sc, k, next))}
		if o.fireAt.After(vnow) {
			break
		}
		due = append(due, o)
	}
	if len(due) > 0 {
		if err := s.handOver(ctx, sc, arn, due); err != nil {
			return err
		}
		if err := s.recordTick(ctx, k, due[len(due)-1].at); err != nil {
			return err
		}
	}
	if next.IsZero() && sc.ActionAfterCompletion == "DELETE" {
		// No occurrence is left: the schedule completed.
		s.mu.Lock()
		defer s.mu.Unlock()
		if cur, ok := s.schedules[k]; ok && cur.Modified.Equal(sc.Modified) {
			return s.removeSchedule(ctx, k)
		}
	}
	return nil
}

// flexOffset is where in its flexible window an occurrence runs: fixed per
// occurrence, so that a restart does not move it.
func (s *Service) flexOffset(sc *sched, k string, at time.Time) time.Duration {
	fw := sc.FlexibleTimeWindow
	if fw.Mode != "FLEXIBLE" || fw.MaximumWindowInMinutes == nil {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(k + "|" + strconv.FormatInt(at.Unix(), 10)))
	window := int64(*fw.MaximumWindowInMinutes) * 60
	return time.Duration(h.Sum64()%uint64(window)) * time.Second
}

// handOver writes one delivery job per occurrence still young enough for
// the target's MaximumEventAgeInSeconds.
func (s *Service) handOver(ctx context.Context, sc *sched, arn string, due []occurrence) error {
	t := &sc.Target
	retries, maxAge := t.RetryPolicy.Limits()
	maxAge = s.clock.Scale(maxAge)
	now := s.Now()
	jobs := make([]delivery.Job, 0, len(due))
	ids := make([]string, 0, len(due))
	for _, o := range due {
		at := s.clock.Real(o.fireAt)
		if now.Sub(at) >= maxAge {
			continue
		}
		scheduled := o.at.UTC().Format("2006-01-02T15:04:05Z")
		input := "{}"
		if t.Input != nil {
			input = *t.Input
		}
		input = strings.NewReplacer("<aws.scheduler.schedule-arn>", arn, "<aws.scheduler.scheduled-time>", scheduled).Replace(input)
		m := eventsource.Message{Body: input}
		if p := t.SqsParameters; p != nil {
			m.GroupID = p.MessageGroupId
		}
		if p := t.EventBridgeParameters; p != nil && targetService(t.Arn) == "events" {
			m.Source, m.DetailType, m.Resources = p.Source, p.DetailType, []string{arn}
		}
		j := delivery.Job{Target: t.Arn, Message: m, At: at, Retries: retries, MaxAge: maxAge,
			DeadLetterBody: input, Source: arn, DeadLetterAttributes: map[string]string{
				"SCHEDULE_ARN":         arn,
				"TARGET_ARN":           t.Arn,
				"SCHEDULED_TIME":       scheduled,
				"IS_PAYLOAD_TRUNCATED": "false",
			}}
		if dl := t.DeadLetterConfig; dl != nil {
			j.DeadLetter = dl.Arn
		}
		jobs = append(jobs, j)
		ids = append(ids, arn+"|"+strconv.FormatInt(o.at.UnixNano(), 10))
	}
	return s.queue.Put(ctx, jobs, ids)
}

// prepare fills the context attributes that differ per attempt.
func prepare(j *delivery.Job, attempt int) {
	var b [8]byte
	rand.Read(b[:]) //nolint:errcheck // never fails
	id := hex.EncodeToString(b[:])
	n := strconv.Itoa(attempt)
	r := strings.NewReplacer("<aws.scheduler.execution-id>", id, "<aws.scheduler.attempt-number>", n)
	j.Message.Body = r.Replace(j.Message.Body)
	j.DeadLetterBody = r.Replace(j.DeadLetterBody)
	if j.DeadLetterAttributes != nil {
		j.DeadLetterAttributes["EXECUTION_ID"] = id
	}
}

func (s *Service) lastTick(ctx context.Context, k string) (time.Time, error) {
	s.mu.Lock()
	t, ok := s.last[k]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	tk, _, err := s.tickTable.Get(ctx, k)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return time.Time{}, err
	default:
		t = tk.At
	}
	s.mu.Lock()
	s.last[k] = t
	s.mu.Unlock()
	return t, nil
}

func (s *Service) recordTick(ctx context.Context, k string, at time.Time) error {
	_, rev, err := s.tickTable.Get(ctx, k)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err = s.tickTable.Create(ctx, k, tick{At: at})
	case err == nil:
		_, err = s.tickTable.Update(ctx, k, tick{At: at}, rev)
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.last[k] = at
	s.mu.Unlock()
	return nil
}
