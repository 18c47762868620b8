package events

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/delivery"
	"github.com/stratus-run/stratus/internal/eventpattern"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// Two kinds of records share the stream: <stream>.put holds accepted events
// until they are matched, <stream>.deliver one delivery.Job per (event,
// target) until it is delivered or dead-lettered. Matching writes the jobs
// before it acks the event, so a crash in between delivers again rather than
// never; jobs carry a message id so a repeat within JetStream's duplicate
// window is dropped.

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
	s.queue = &delivery.Queue{JS: s.js, Stream: s.Stream, Subject: s.subject("deliver"), Targets: s.Targets,
		RetryDelay: s.RetryDelay, RetryMaxDelay: s.RetryMaxDelay, Now: s.Now, Log: "events"}
	if err := s.queue.Start(ctx); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		delivery.Pull(wctx, match, s.match)
	}()
	go s.tickLoop(wctx)
	return nil
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
	var jobs []delivery.Job
	var ids []string
	for _, ru := range rules {
		p, err := eventpattern.Compile([]byte(ru.Pattern), eventpattern.Options{})
		if err != nil || !p.Match(a.Event) {
			continue
		}
		arn := s.ruleArn(ru.Bus, ru.Name)
		for _, t := range ru.Targets {
			j, id, err := s.jobFor(arn, t, a.Event, a.Ingested, strconv.FormatUint(seq, 10))
			if err != nil {
				slog.Warn("events: target input", "rule", arn, "target", t.Id, "err", err)
				continue
			}
			jobs = append(jobs, j)
			ids = append(ids, id)
		}
	}
	if err := s.queue.Put(ctx, jobs, ids); err != nil {
		msg.NakWithDelay(time.Second) //nolint:errcheck
		return
	}
	msg.Ack() //nolint:errcheck // were it lost, matching runs again and duplicates are dropped
}

// jobFor is the delivery of event ev to target t of rule arn, and its
// message id (unique per cause: origin names the event or tick).
func (s *Service) jobFor(arn string, t target, ev json.RawMessage, at time.Time, origin string) (delivery.Job, string, error) {
	p, err := payload(&t, arn, ev, at)
	if err != nil {
		return delivery.Job{}, "", err
	}
	retries, maxAge := t.RetryPolicy.Limits()
	j := delivery.Job{Target: t.Arn, Message: message(&t, p), At: at, Retries: retries, MaxAge: maxAge,
		DeadLetterBody: string(ev), Source: arn,
		DeadLetterAttributes: map[string]string{"RULE_ARN": arn, "TARGET_ARN": t.Arn}}
	if dl := t.DeadLetterConfig; dl != nil {
		j.DeadLetter = dl.Arn
	}
	return j, origin + "|" + arn + "|" + t.Id, nil
}

// message is what t's service is handed for payload p.
func message(t *target, p string) eventsource.Message {
	m := eventsource.Message{Body: p}
	if sp := t.SqsParameters; sp != nil {
		m.GroupID = sp.MessageGroupId
	}
	if isBusArn(t.Arn) {
		// Another bus gets the event itself, to match against its own rules.
		var ev event
		if json.Unmarshal([]byte(p), &ev) == nil && ev.Source != "" {
			m = eventsource.Message{Body: string(ev.Detail), Source: ev.Source, DetailType: ev.DetailType, Resources: ev.Resources}
		}
	}
	return m
}

func isBusArn(arn string) bool {
	return strings.Contains(arn, ":events:") && strings.Contains(arn, ":event-bus/")
}
