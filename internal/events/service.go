// Package events serves Amazon EventBridge (awsJson 1.1, X-Amz-Target
// AWSEvents.<Operation>): event buses, rules with event patterns or schedules,
// targets, PutEvents and TestEventPattern. Accepted events are written to a
// JetStream stream before PutEvents answers; matching and delivery to targets
// run from that stream with explicit acks, so nothing accepted is lost when the
// process dies. The Service is also an eventsource.Sender for event bus ARNs.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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

const (
	targetPrefix = "AWSEvents."
	contentType  = awsproto.AWSJSON11
	defaultBus   = "default"
)

// Service is EventBridge. Set the exported fields, then Open; Close stops
// delivery and the schedule ticker (undelivered events stay in the stream).
type Service struct {
	// Store holds buses, rules, schedule ticks and the event stream. Required.
	Store *store.Store
	// Targets delivers to rule targets (Lambda, SQS, SNS, other buses) and
	// dead-letter queues. Nil drops every delivery as failed.
	Targets eventsource.Sender
	// Region and Account name resources in ARNs (defaults us-east-1,
	// 000000000000). Buses and rules are the server's, whatever region a
	// request is signed for.
	Region, Account string
	// Minute is how long one minute of schedule time lasts (default
	// time.Minute). Tests shrink it: schedule time then runs on a virtual
	// clock, anchored at the real time of the store's first Open and kept
	// across restarts, that advances 60s/Minute times faster than the wall
	// clock; rate() intervals and cron() times are evaluated on it. It is meant for tests only.
	Minute time.Duration
	// RetryDelay is the first wait before a failed delivery is retried; it
	// doubles per attempt up to RetryMaxDelay (defaults 1 s and 5 min).
	RetryDelay, RetryMaxDelay time.Duration
	// Stream names the JetStream stream of accepted events (default EVENTS).
	Stream string
	// Now is the wall clock (default time.Now), for tests.
	Now func() time.Time

	mu    sync.Mutex
	buses map[string]*bus  // by name
	rules map[string]*rule // by ruleKey(bus, name)
	tags  map[string]map[string]string

	busTable  *store.Table[bus]
	ruleTable *store.Table[rule]
	tickTable *store.Table[tick]
	tagTable  *store.Table[map[string]string]

	js     jetstream.JetStream
	queue  *delivery.Queue
	cancel context.CancelFunc
	wg     sync.WaitGroup
	clock  schedule.Clock
	kick   chan struct{}
}

// op is one operation's handler: it decodes its input from r and returns the
// output to encode, or an error to render.
type op func(ctx context.Context, r *http.Request) (any, error)

// route is the route table.
func (s *Service) route(name string) op {
	switch name {
	case "CreateEventBus":
		return s.createEventBus
	case "DescribeEventBus":
		return s.describeEventBus
	case "ListEventBuses":
		return s.listEventBuses
	case "DeleteEventBus":
		return s.deleteEventBus
	case "PutRule":
		return s.putRule
	case "DescribeRule":
		return s.describeRule
	case "ListRules":
		return s.listRules
	case "DeleteRule":
		return s.deleteRule
	case "EnableRule":
		return s.enableRule
	case "DisableRule":
		return s.disableRule
	case "ListRuleNamesByTarget":
		return s.listRuleNamesByTarget
	case "PutTargets":
		return s.putTargets
	case "RemoveTargets":
		return s.removeTargets
	case "ListTargetsByRule":
		return s.listTargetsByRule
	case "PutEvents":
		return s.putEvents
	case "TestEventPattern":
		return s.testEventPattern
	case "TagResource":
		return s.tagResource
	case "UntagResource":
		return s.untagResource
	case "ListTagsForResource":
		return s.listTagsForResource
	}
	return nil
}

// Open loads buses and rules, creates the default bus, and starts delivery
// and the schedule ticker.
func (s *Service) Open(ctx context.Context) error {
	if s.Store == nil {
		return errors.New("events: Store is required")
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
	if s.RetryDelay <= 0 {
		s.RetryDelay = time.Second
	}
	if s.RetryMaxDelay < s.RetryDelay {
		s.RetryMaxDelay = max(5*time.Minute, s.RetryDelay)
	}
	if s.Stream == "" {
		s.Stream = "EVENTS"
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.kick = make(chan struct{}, 1)
	var err error
	anchors, err := store.OpenTable[time.Time](ctx, s.Store, s.Stream+"_CLOCK", 1)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	s.clock = schedule.Clock{Minute: s.Minute, Wall: s.Now}
	if s.clock.Anchor, err = schedule.LoadAnchor(ctx, anchors, "anchor", s.Now()); err != nil {
		return fmt.Errorf("events: clock: %w", err)
	}
	if s.busTable, err = store.OpenTable[bus](ctx, s.Store, s.Stream+"_BUSES", 1); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if s.ruleTable, err = store.OpenTable[rule](ctx, s.Store, s.Stream+"_RULES", 1); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if s.tickTable, err = store.OpenTable[tick](ctx, s.Store, s.Stream+"_TICKS", 1); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if s.tagTable, err = store.OpenTable[map[string]string](ctx, s.Store, s.Stream+"_TAGS", 1); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if err := s.load(ctx); err != nil {
		return err
	}
	if _, ok := s.buses[defaultBus]; !ok {
		b := &bus{Name: defaultBus, Created: s.Now().UTC()}
		if _, err := s.busTable.Create(ctx, key(b.Name), *b); err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("events: default bus: %w", err)
		}
		s.buses[defaultBus] = b
	}
	if err := s.openStream(ctx); err != nil {
		return err
	}
	return nil
}

// load reads every bus, rule and tag set into memory: the API reads from
// memory and writes through to the tables first.
func (s *Service) load(ctx context.Context) error {
	s.buses = map[string]*bus{}
	s.rules = map[string]*rule{}
	s.tags = map[string]map[string]string{}
	err := errors.Join(
		s.busTable.Each(ctx, func(_ string, b bus) { s.buses[b.Name] = &b }),
		s.ruleTable.Each(ctx, func(_ string, r rule) { s.rules[ruleKey(r.Bus, r.Name)] = &r }),
		s.tagTable.Each(ctx, func(k string, t map[string]string) {
			if arn, ok := unkey(k); ok {
				s.tags[arn] = t
			}
		}))
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	return nil
}

// Close stops delivery and the ticker, waiting for them until ctx ends.
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

// Handles reports whether the request is an EventBridge call.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName == "events" {
		return true
	}
	if signingName != "" {
		return false
	}
	_, ok := awsproto.Target(r, targetPrefix)
	return ok
}

// ServeHTTP answers one EventBridge request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, _ := awsproto.Target(r, targetPrefix)
	h := s.route(name)
	if h == nil || r.Method != http.MethodPost {
		s.writeError(w, errUnknownOperation(name))
		return
	}
	out, err := h(r.Context(), r)
	if err != nil {
		var ae *awsproto.Error
		if !errors.As(err, &ae) {
			slog.Error("events: "+name, "err", err)
		}
		s.writeError(w, err)
		return
	}
	awsproto.WriteAWSJSON(w, contentType, out)
}

// WriteError renders errors the edge finds (a bad signature) as EventBridge does.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) { s.writeError(w, err) }

func (s *Service) writeError(w http.ResponseWriter, err error) {
	awsproto.WriteAWSJSONErrorNS(w, contentType, "", err)
}

// decode reads the request's JSON body into v.
func decode(r *http.Request, v any) error { return awsproto.ReadAWSJSON(r, v) }

// empty is the answer of operations that return nothing.
type empty struct{}

var _ eventsource.Sender = (*Service)(nil)
var _ http.Handler = (*Service)(nil)
