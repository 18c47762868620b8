package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventpattern"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// Two kinds of records share the stream: <stream>.put holds accepted events
// until they are matched, <stream>.deliver one record per (event, target)
// until it is delivered or dead-lettered. Matching writes the deliveries
// before it acks the event, so a crash in between delivers again rather than
// never; deliveries carry a message id so a repeat within JetStream's
// duplicate window is dropped.

// delivery is one event on its way to one target.
type delivery struct {
	RuleArn  string
	Target   target
	Event    json.RawMessage // the event, for the dead-letter queue
	Payload  string          // what the target gets
	EventAt  time.Time       // when the event was accepted, for MaximumEventAgeInSeconds
	Ingested time.Time
}

const deliverWorkers = 4

func (s *Service) subject(kind string) string { return "events." + s.Stream + "." + kind }

func (s *Service) openStream(ctx context.Context) error {
	s.js = s.Store.JetStream()
	st, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      s.Stream,
		Subjects:  []string{s.subject("put"), s.subject("deliver")},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.WorkQueuePolicy,
	})
	if err != nil {
		return fmt.Errorf("events: stream %s: %w", s.Stream, err)
	}
	match, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       "match",
		FilterSubject: s.subject("put"),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
	})
	if err != nil {
		return fmt.Errorf("events: match consumer: %w", err)
	}
	deliver, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       "deliver",
		FilterSubject: s.subject("deliver"),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
		MaxAckPending: 1 << 20,
	})
	if err != nil {
		return fmt.Errorf("events: deliver consumer: %w", err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go s.pull(wctx, match, s.match)
	for range deliverWorkers {
		s.wg.Add(1)
		go s.pull(wctx, deliver, s.deliver)
	}
	s.wg.Add(1)
	go s.tickLoop(wctx)
	return nil
}

// publishAll writes records to subject and returns once JetStream has stored
// every one. ids, when given, are their message ids for duplicate detection.
func (s *Service) publishAll(ctx context.Context, subject string, recs [][]byte, ids []string) error {
	futures := make([]jetstream.PubAckFuture, 0, len(recs))
	for i, rec := range recs {
		var opts []jetstream.PublishOpt
		if ids != nil {
			opts = append(opts, jetstream.WithMsgID(ids[i]))
		}
		f, err := s.js.PublishAsync(subject, rec, opts...)
		if err != nil {
			return fmt.Errorf("events: publish: %w", err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("events: publish: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// pull hands the consumer's messages one at a time to handle until ctx ends.
func (s *Service) pull(ctx context.Context, cons jetstream.Consumer, handle func(context.Context, jetstream.Msg)) {
	defer s.wg.Done()
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) &&
				!errors.Is(err, jetstream.ErrNoMessages) {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
			continue
		}
		handle(ctx, msg)
	}
}

// match finds the rules of an accepted event's bus that match it and queues
// one delivery per target of each.
func (s *Service) match(ctx context.Context, msg jetstream.Msg) {
	var a accepted
	if err := json.Unmarshal(msg.Data(), &a); err != nil {
		slog.Error("events: dropping undecodable event", "err", err)
		msg.TermWithReason("undecodable") //nolint:errcheck
		return
	}
	md, _ := msg.Metadata()
	var seq uint64
	if md != nil {
		seq = md.Sequence.Stream
	}
	s.mu.Lock()
	var rules []rule
	for _, ru := range s.rules {
		if ru.Bus == a.Bus && ru.State != "DISABLED" && ru.Pattern != "" && len(ru.Targets) > 0 {
			rules = append(rules, *ru)
		}
	}
	s.mu.Unlock()
	var recs [][]byte
	var ids []string
	for _, ru := range rules {
		p, err := eventpattern.Compile([]byte(ru.Pattern), eventpattern.Options{})
		if err != nil || !p.Match(a.Event) {
			continue
		}
		arn := s.ruleArn(ru.Bus, ru.Name)
		for _, t := range ru.Targets {
			rec, id, err := s.deliveryFor(arn, t, a.Event, a.Ingested, strconv.FormatUint(seq, 10))
			if err != nil {
				slog.Warn("events: target input", "rule", arn, "target", t.Id, "err", err)
				continue
			}
			recs = append(recs, rec)
			ids = append(ids, id)
		}
	}
	if err := s.publishAll(ctx, s.subject("deliver"), recs, ids); err != nil {
		msg.NakWithDelay(time.Second) //nolint:errcheck
		return
	}
	msg.Ack() //nolint:errcheck // were it lost, matching runs again and duplicates are dropped
}

// deliveryFor is the delivery record of event to target t of rule arn, and
// its message id (unique per cause: origin names the event or tick).
func (s *Service) deliveryFor(arn string, t target, ev json.RawMessage, ingested time.Time, origin string) ([]byte, string, error) {
	p, err := payload(&t, arn, ev, ingested)
	if err != nil {
		return nil, "", err
	}
	rec, err := json.Marshal(delivery{RuleArn: arn, Target: t, Event: ev, Payload: p, EventAt: ingested, Ingested: ingested})
	return rec, origin + "|" + arn + "|" + t.Id, err
}

// deliver sends one delivery to its target, retrying under the target's
// RetryPolicy and then dead-lettering or dropping it.
func (s *Service) deliver(ctx context.Context, msg jetstream.Msg) {
	var d delivery
	if err := json.Unmarshal(msg.Data(), &d); err != nil {
		msg.TermWithReason("undecodable") //nolint:errcheck
		return
	}
	attempt := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		attempt = md.NumDelivered
	}
	err := s.send(ctx, d.Target.Arn, s.message(&d))
	if err == nil {
		msg.Ack() //nolint:errcheck
		return
	}
	if ctx.Err() != nil {
		msg.Nak() //nolint:errcheck // stopping: deliver after the next Open
		return
	}
	retries, maxAge := d.Target.retries()
	retryable := isRetryable(err)
	next := s.backoff(attempt)
	if retryable && int(attempt) <= retries && s.Now().Add(next).Sub(d.EventAt) < maxAge {
		msg.NakWithDelay(next) //nolint:errcheck
		return
	}
	s.deadLetter(ctx, &d, err)
	msg.Ack() //nolint:errcheck
}

func (s *Service) send(ctx context.Context, arn string, m eventsource.Message) error {
	if s.Targets == nil {
		return fmt.Errorf("%w: no targets configured", eventsource.ErrNotFound)
	}
	_, err := s.Targets.Send(ctx, arn, m)
	return err
}

// message is what the target's service is handed for d.
func (s *Service) message(d *delivery) eventsource.Message {
	m := eventsource.Message{Body: d.Payload}
	if p := d.Target.SqsParameters; p != nil {
		m.GroupID = p.MessageGroupId
	}
	if isBusArn(d.Target.Arn) {
		// Another bus gets the event itself, to match against its own rules.
		var ev event
		if json.Unmarshal([]byte(d.Payload), &ev) == nil && ev.Source != "" {
			m = eventsource.Message{Body: string(ev.Detail), Source: ev.Source, DetailType: ev.DetailType, Resources: ev.Resources}
		}
	}
	return m
}

func isBusArn(arn string) bool {
	return strings.Contains(arn, ":events:") && strings.Contains(arn, ":event-bus/")
}

// isRetryable: EventBridge retries throttling and service faults, not a
// target that is gone or refuses the event.
func isRetryable(err error) bool {
	if errors.Is(err, eventsource.ErrNotFound) {
		return false
	}
	var ae *awsproto.Error
	if errors.As(err, &ae) {
		return ae.Server || ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Status == 0
	}
	return true
}

// backoff is the wait after the attempt-th failed delivery.
func (s *Service) backoff(attempt uint64) time.Duration {
	d := s.RetryDelay
	for i := uint64(1); i < attempt && d < s.RetryMaxDelay; i++ {
		d *= 2
	}
	return min(d, s.RetryMaxDelay)
}

// deadLetter sends a delivery that failed for good to the target's
// dead-letter queue, with the attributes EventBridge adds, or drops it.
func (s *Service) deadLetter(ctx context.Context, d *delivery, cause error) {
	dl := d.Target.DeadLetterConfig
	if dl == nil || dl.Arn == "" {
		slog.Warn("events: dropping undeliverable event", "rule", d.RuleArn, "target", d.Target.Arn, "err", cause)
		return
	}
	code, msg := "ServiceException", "An internal error occurred."
	var ae *awsproto.Error
	switch {
	case errors.Is(cause, eventsource.ErrNotFound):
		code, msg = "ResourceNotFoundException", "Target "+d.Target.Arn+" does not exist."
	case errors.As(cause, &ae):
		code, msg = ae.Code, ae.Message
	}
	str := func(v string) eventsource.Attribute { return eventsource.Attribute{DataType: "String", StringValue: v} }
	m := eventsource.Message{Body: string(d.Event), Attributes: map[string]eventsource.Attribute{
		"RULE_ARN":      str(d.RuleArn),
		"TARGET_ARN":    str(d.Target.Arn),
		"ERROR_CODE":    str(code),
		"ERROR_MESSAGE": str(msg),
	}}
	if err := s.send(ctx, dl.Arn, m); err != nil {
		slog.Warn("events: dead-letter queue refused an event; dropped", "dlq", dl.Arn, "err", err)
	}
}
