package events

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/delivery"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// Bounds of PutEvents, as EventBridge documents them.
const (
	maxEntries   = 10
	maxEventSize = 256 * 1024
)

// entry is one PutEventsRequestEntry.
type entry struct {
	Source       *string
	DetailType   *string
	Detail       *string
	Resources    []string
	Time         *json.Number // epoch seconds
	EventBusName string
	TraceHeader  *string
	// service marks an event an AWS service puts (S3's, another bus's
	// forwarded one): it may carry an aws.* source.
	service bool
}

type entryResult struct {
	EventId      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// event is an event as EventBridge builds it, members in AWS's order.
type event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// accepted is an event on the stream, waiting to be matched against the
// rules of its bus.
type accepted struct {
	Bus      string
	Event    json.RawMessage
	Ingested time.Time
}

// size is an entry's size as EventBridge counts it toward the 256 KB bound.
func (e *entry) size() int {
	n := 0
	if e.Time != nil {
		n += 14
	}
	for _, p := range []*string{e.Source, e.DetailType, e.Detail} {
		if p != nil {
			n += len(*p)
		}
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// check returns the per-entry error code and message of an entry that
// EventBridge refuses, or "" when it is good.
func (e *entry) check() (code, msg string) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	switch {
	case str(e.Source) == "":
		return "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."
	case str(e.DetailType) == "":
		return "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."
	case str(e.Detail) == "":
		return "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."
	}
	d := strings.TrimSpace(*e.Detail)
	if !strings.HasPrefix(d, "{") || !json.Valid([]byte(d)) {
		return "MalformedDetail", "Detail is malformed."
	}
	if strings.HasPrefix(*e.Source, "aws.") && !e.service {
		return "NotAuthorizedForSourceException", "Not authorized for the source."
	}
	for _, r := range e.Resources {
		if r == "" {
			return "InvalidArgument", "Parameter Resources is not valid. Reason: Resources contains an empty element."
		}
	}
	if e.Time != nil {
		if _, err := e.Time.Float64(); err != nil {
			return "InvalidArgument", "Parameter Time is not valid."
		}
	}
	return "", ""
}

// build returns the event AWS makes of a good entry.
func (s *Service) build(e *entry, now time.Time) event {
	t := now
	if e.Time != nil {
		f, _ := e.Time.Float64()
		t = time.Unix(0, int64(f*1e9))
	}
	res := e.Resources
	if res == nil {
		res = []string{}
	}
	return event{Version: "0", ID: awsproto.NewRequestID(), DetailType: *e.DetailType, Source: *e.Source,
		Account: s.Account, Time: t.UTC().Format("2006-01-02T15:04:05Z"), Region: s.Region,
		Resources: res, Detail: compact([]byte(*e.Detail))}
}

func (s *Service) putEvents(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		Entries    []entry
		EndpointId string
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.Entries) < 1 {
		return nil, awsproto.Validation("[]", "entries", cMin1)
	}
	if len(in.Entries) > maxEntries {
		return nil, errValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'entries' failed to satisfy constraint: Member must have length less than or equal to %d",
			entriesText(in.Entries), maxEntries))
	}
	total := 0
	for i := range in.Entries {
		total += in.Entries[i].size()
	}
	if total > maxEventSize {
		return nil, errValidation("Total size of the entries in the request is over the limit.")
	}
	results, err := s.accept(ctx, in.Entries)
	if err != nil {
		return nil, err
	}
	out := struct {
		FailedEntryCount int           `json:"FailedEntryCount"`
		Entries          []entryResult `json:"Entries"`
	}{Entries: results}
	for _, e := range results {
		if e.ErrorCode != "" {
			out.FailedEntryCount++
		}
	}
	return out, nil
}

func entriesText(es []entry) string {
	parts := make([]string, len(es))
	for i := range es {
		parts[i] = "PutEventsRequestEntry"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// accept checks the entries, writes the good ones to the stream and returns
// their results. It returns an error only when the stream did not take an
// event, and then nothing of the request is answered as accepted.
func (s *Service) accept(ctx context.Context, entries []entry) ([]entryResult, error) {
	now := s.Now()
	results := make([]entryResult, len(entries))
	var recs [][]byte
	for i := range entries {
		e := &entries[i]
		if code, msg := e.check(); code != "" {
			results[i] = entryResult{ErrorCode: code, ErrorMessage: msg}
			continue
		}
		bn, err := busName(e.EventBusName, "eventBusName")
		if err != nil {
			results[i] = entryResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter EventBusName is not valid."}
			continue
		}
		s.mu.Lock()
		_, ok := s.buses[bn]
		s.mu.Unlock()
		if !ok {
			results[i] = entryResult{ErrorCode: "ResourceNotFoundException", ErrorMessage: fmt.Sprintf("Event bus %s does not exist.", bn)}
			continue
		}
		ev := s.build(e, now)
		b, _ := json.Marshal(ev)
		rec, _ := json.Marshal(accepted{Bus: bn, Event: b, Ingested: now.UTC()})
		results[i] = entryResult{EventId: ev.ID}
		recs = append(recs, rec)
	}
	if err := delivery.Publish(ctx, s.js, s.subject("put"), recs, nil); err != nil {
		return nil, err
	}
	return results, nil
}

// Send puts one event on the bus busARN names, for Lambda destinations and
// other services: Source, DetailType, Body (the detail) and Resources make
// the entry. It returns the event's id once the event is durable, an
// *awsproto.Error when EventBridge would refuse the entry, and
// eventsource.ErrNotFound when there is no such bus.
func (s *Service) Send(ctx context.Context, busARN string, m eventsource.Message) (string, error) {
	bn, err := busName(busARN, "eventBusName")
	if err != nil {
		return "", fmt.Errorf("%w: %s", eventsource.ErrNotFound, busARN)
	}
	s.mu.Lock()
	_, ok := s.buses[bn]
	s.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("%w: %s", eventsource.ErrNotFound, busARN)
	}
	e := entry{Source: &m.Source, DetailType: &m.DetailType, Detail: &m.Body, Resources: m.Resources, EventBusName: bn, service: true}
	if e.size() > maxEventSize {
		return "", errValidation("Total size of the entries in the request is over the limit.")
	}
	res, err := s.accept(ctx, []entry{e})
	if err != nil {
		return "", err
	}
	if res[0].ErrorCode != "" {
		return "", &awsproto.Error{Code: res[0].ErrorCode, Message: res[0].ErrorMessage, Status: http.StatusBadRequest}
	}
	return res[0].EventId, nil
}
