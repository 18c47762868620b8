// Package scheduler serves Amazon EventBridge Scheduler (restJson1, signing
// name "scheduler"): schedules with at(), rate() and cron() expressions in a
// time zone, start and end dates, flexible time windows, retry policies and
// dead-letter queues, in schedule groups with tags. Targets are Lambda
// functions, SQS queues, SNS topics and EventBridge buses (Scheduler's
// templated targets). Occurrences are handed to the shared delivery queue
// (internal/delivery) before they are recorded as fired, with a message id
// per occurrence, so across a kill none is lost and none is sent twice; one
// missed while the server was down fires when it comes back, if it is still
// within its target's MaximumEventAgeInSeconds, as Scheduler retries a
// target it could not reach.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/delivery"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/lifecycle"
	"github.com/stratus-run/stratus/internal/schedule"
	"github.com/stratus-run/stratus/internal/store"
)

const defaultGroup = "default"

// Service is EventBridge Scheduler. Set the exported fields, then Open;
// Close stops the ticker and delivery (what is queued stays queued).
type Service struct {
	// Store holds schedules, groups, ticks and the delivery stream. Required.
	Store *store.Store
	// Targets delivers to schedule targets and dead-letter queues.
	Targets eventsource.Sender
	// Region and Account name resources (defaults us-east-1, 000000000000).
	Region, Account string
	// Minute is how long one minute of schedule time lasts (default
	// time.Minute); tests shrink it, as events.Service.Minute.
	Minute time.Duration
	// RetryDelay is the first wait before a failed delivery is retried
	// (default 1 s), doubling up to RetryMaxDelay (default 5 min).
	RetryDelay, RetryMaxDelay time.Duration
	// Stream names the JetStream stream of deliveries (default SCHEDULER).
	Stream string
	// Now is the wall clock (default time.Now).
	Now func() time.Time

	mu        sync.Mutex
	schedules map[string]*sched // by key(group, name)
	groups    map[string]*group
	tags      map[string]map[string]string // by group ARN
	last      map[string]time.Time         // cache of tickTable, by schedule key

	scheduleTable *store.Table[sched]
	groupTable    *store.Table[group]
	tickTable     *store.Table[tick]
	tagTable      *store.Table[map[string]string]

	js     jetstream.JetStream
	queue  *delivery.Queue
	clock  schedule.Clock
	kick   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open loads schedules and groups, creates the default group, and starts
// delivery and the ticker.
func (s *Service) Open(ctx context.Context) error {
	if s.Store == nil {
		return errors.New("scheduler: Store is required")
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Minute <= 0 {
		s.Minute = time.Minute
	}
	if s.Stream == "" {
		s.Stream = "SCHEDULER"
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.kick = make(chan struct{}, 1)
	var err error
	if s.scheduleTable, err = store.OpenTable[sched](ctx, s.Store, s.Stream+"_SCHEDULES", 1); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if s.groupTable, err = store.OpenTable[group](ctx, s.Store, s.Stream+"_GROUPS", 1); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if s.tickTable, err = store.OpenTable[tick](ctx, s.Store, s.Stream+"_TICKS", 1); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	if s.tagTable, err = store.OpenTable[map[string]string](ctx, s.Store, s.Stream+"_TAGS", 1); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	anchors, err := store.OpenTable[time.Time](ctx, s.Store, s.Stream+"_CLOCK", 1)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	s.clock = schedule.Clock{Minute: s.Minute, Wall: s.Now}
	if s.clock.Anchor, err = schedule.LoadAnchor(ctx, anchors, "anchor", s.Now()); err != nil {
		return fmt.Errorf("scheduler: clock: %w", err)
	}
	if err := s.load(ctx); err != nil {
		return err
	}
	if _, ok := s.groups[defaultGroup]; !ok {
		now := s.Now().UTC()
		g := &group{Name: defaultGroup, Created: now, Modified: now}
		if _, err := s.groupTable.Create(ctx, key(g.Name), *g); err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("scheduler: default group: %w", err)
		}
		s.groups[defaultGroup] = g
	}
	s.js = s.Store.JetStream()
	subject := "scheduler." + s.Stream + ".deliver"
	if _, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      s.Stream,
		Subjects:  []string{subject},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.WorkQueuePolicy,
		// Long enough that an occurrence written again after a crash,
		// before its tick was recorded, is recognised as the same.
		Duplicates: 10 * time.Minute,
	}); err != nil {
		return fmt.Errorf("scheduler: stream %s: %w", s.Stream, err)
	}
	s.queue = &delivery.Queue{JS: s.js, Stream: s.Stream, Subject: subject, Targets: s.Targets,
		RetryDelay: s.RetryDelay, RetryMaxDelay: s.RetryMaxDelay, Now: s.Now, Prepare: prepare, Log: "scheduler"}
	if err := s.queue.Start(ctx); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go s.tickLoop(wctx)
	return nil
}

func (s *Service) load(ctx context.Context) error {
	s.schedules = map[string]*sched{}
	s.groups = map[string]*group{}
	s.tags = map[string]map[string]string{}
	s.last = map[string]time.Time{}
	err := errors.Join(
		s.groupTable.Each(ctx, func(_ string, g group) { s.groups[g.Name] = &g }),
		s.scheduleTable.Each(ctx, func(_ string, sc sched) { s.schedules[key(sc.GroupName, sc.Name)] = &sc }),
		s.tagTable.Each(ctx, func(k string, t map[string]string) {
			if arn, ok := unhex(k); ok {
				s.tags[arn] = t
			}
		}))
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	return nil
}

// Close stops the ticker and delivery, waiting for them until ctx ends.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	return lifecycle.Wait(ctx, func() {
		s.wg.Wait()
		s.queue.Stop()
	})
}

// Handles claims requests signed for Scheduler: its paths (/schedules,
// /tags) are too generic to claim unsigned ones beside S3 and API Gateway.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	return signingName == "scheduler"
}

type op func(ctx context.Context, r *http.Request, name string) (any, error)

// route finds the operation of a request and the name (or ARN) in its path.
func (s *Service) route(r *http.Request) (op, string) {
	p := r.URL.EscapedPath()
	var coll, rest string
	for _, c := range []string{"/schedules", "/schedule-groups", "/tags"} {
		if p == c || strings.HasPrefix(p, c+"/") {
			coll, rest = c, strings.TrimPrefix(strings.TrimPrefix(p, c), "/")
			break
		}
	}
	name, err := url.PathUnescape(rest)
	if coll == "" || err != nil {
		return nil, ""
	}
	m := r.Method
	switch {
	case coll == "/schedules" && rest == "" && m == http.MethodGet:
		return s.listSchedules, ""
	case coll == "/schedules" && rest != "":
		switch m {
		case http.MethodPost:
			return s.createSchedule, name
		case http.MethodGet:
			return s.getSchedule, name
		case http.MethodPut:
			return s.updateSchedule, name
		case http.MethodDelete:
			return s.deleteSchedule, name
		}
	case coll == "/schedule-groups" && rest == "" && m == http.MethodGet:
		return s.listGroups, ""
	case coll == "/schedule-groups" && rest != "":
		switch m {
		case http.MethodPost:
			return s.createGroup, name
		case http.MethodGet:
			return s.getGroup, name
		case http.MethodDelete:
			return s.deleteGroup, name
		}
	case coll == "/tags" && rest != "":
		switch m {
		case http.MethodPost:
			return s.tagResource, name
		case http.MethodGet:
			return s.listTags, name
		case http.MethodDelete:
			return s.untagResource, name
		}
	}
	return nil, ""
}

// ServeHTTP answers one Scheduler request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, name := s.route(r)
	if h == nil {
		awsproto.WriteRESTJSONError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException",
			"No operation matches %s %s.", r.Method, r.URL.Path))
		return
	}
	out, err := h(r.Context(), r, name)
	if err != nil {
		if awsproto.As(err).Code == "ServiceException" {
			slog.Error("scheduler: "+r.Method+" "+r.URL.Path, "err", err)
			err = errInternal
		}
		awsproto.WriteRESTJSONError(w, err)
		return
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
}

// WriteError renders errors the edge finds (a bad signature) as Scheduler does.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	awsproto.WriteRESTJSONError(w, err)
}

func (s *Service) scheduleArn(g, name string) string {
	return "arn:aws:scheduler:" + s.Region + ":" + s.Account + ":schedule/" + g + "/" + name
}

func (s *Service) groupArn(g string) string {
	return "arn:aws:scheduler:" + s.Region + ":" + s.Account + ":schedule-group/" + g
}
