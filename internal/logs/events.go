package logs

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// PutLogEvents limits, as AWS documents them.
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1048576
	eventOverhead  = 26
	maxEventBytes  = 1048576 - eventOverhead
	tooOldAge      = 14 * 24 * time.Hour
	tooNewAhead    = 2 * time.Hour
)

type inputLogEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

type putLogEventsInput struct {
	LogGroupName  *string         `json:"logGroupName"`
	LogStreamName *string         `json:"logStreamName"`
	LogEvents     []inputLogEvent `json:"logEvents"`
	SequenceToken *string         `json:"sequenceToken"` // accepted and ignored, as AWS does now
}

type rejectedLogEventsInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

func (s *Service) putLogEvents(ctx context.Context, r *http.Request) (any, error) {
	var in putLogEventsInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	switch {
	case in.LogGroupName == nil:
		return nil, notNull("logGroupName")
	case in.LogStreamName == nil:
		return nil, notNull("logStreamName")
	case in.LogEvents == nil:
		return nil, notNull("logEvents")
	case len(in.LogEvents) == 0:
		return nil, invalidParameter("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(in.LogEvents) > maxBatchEvents:
		return nil, invalidParameter(fmt.Sprintf("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", maxBatchEvents))
	}
	size := 0
	for i, e := range in.LogEvents {
		field := "logEvents." + strconv.Itoa(i+1) + ".member."
		if e.Timestamp == nil {
			return nil, notNull(field + "timestamp")
		}
		if e.Message == nil {
			return nil, notNull(field + "message")
		}
		if *e.Message == "" {
			return nil, validation("", field+"message", "Member must have length greater than or equal to 1")
		}
		if *e.Timestamp < 0 {
			return nil, validation(*e.Timestamp, field+"timestamp", "Member must have value greater than or equal to 0")
		}
		if i > 0 && *e.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, errOutOfOrder
		}
		size += len(*e.Message) + eventOverhead
	}
	if size > maxBatchBytes {
		return nil, errBatchTooLarge
	}
	if *in.LogEvents[len(in.LogEvents)-1].Timestamp-*in.LogEvents[0].Timestamp > (24 * time.Hour).Milliseconds() {
		return nil, errSpan24h
	}

	region := awsproto.Info(ctx).Region
	s.mu.RLock()
	g, err := s.lookupGroupLocked(region, *in.LogGroupName)
	var retention int32
	if err == nil {
		retention = g.rec.Retention
		if g.streams[*in.LogStreamName] == nil {
			err = errStreamNotFound
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}

	now := s.Now()
	tooOld := now.Add(-tooOldAge).UnixMilli()
	tooNew := now.Add(tooNewAhead).UnixMilli()
	expired := s.cutoff(retention)
	var rej rejectedLogEventsInfo
	subject := streamSubject(region, *in.LogGroupName, *in.LogStreamName)
	evs := make([]pendingEvent, 0, len(in.LogEvents))
	for i, e := range in.LogEvents {
		ts := *e.Timestamp
		switch {
		case ts < tooOld:
			rej.TooOldLogEventEndIndex = ptr(i)
		case expired != 0 && ts < expired:
			rej.ExpiredLogEventEndIndex = ptr(i)
		case ts > tooNew:
			if rej.TooNewLogEventStartIndex == nil {
				rej.TooNewLogEventStartIndex = ptr(i)
			}
		default:
			evs = append(evs, pendingEvent{subject: subject, timestamp: ts, message: truncate([]byte(*e.Message))})
		}
	}
	if len(evs) > 0 {
		ingest := now.UnixMilli()
		if err := s.appendEvents(ctx, evs, ingest); err != nil {
			return nil, err
		}
		s.noteAppended(region, *in.LogGroupName, *in.LogStreamName, evs, ingest)
	}
	out := struct {
		NextSequenceToken     string                 `json:"nextSequenceToken"`
		RejectedLogEventsInfo *rejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
	}{NextSequenceToken: sequenceToken(now)}
	if rej != (rejectedLogEventsInfo{}) {
		out.RejectedLogEventsInfo = &rej
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// aws0 is *p, or 0 when p is nil.
func aws0(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// truncate cuts a message to the largest event AWS stores.
func truncate(b []byte) []byte {
	if len(b) > maxEventBytes {
		return b[:maxEventBytes]
	}
	return b
}

// sequenceToken is a PutLogEvents nextSequenceToken: AWS no longer requires one,
// but still returns a 56-digit token.
func sequenceToken(now time.Time) string {
	return fmt.Sprintf("%056d", now.UnixNano())
}

// noteAppended updates a stream's figures after an append.
func (s *Service) noteAppended(region, group, stream string, evs []pendingEvent, ingest int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.appended)
	s.appended = make(chan struct{})
	g := s.cache[groupKey(region, group)]
	if g == nil {
		return
	}
	st := g.streams[stream]
	if st == nil || !st.statsKnown {
		return
	}
	for _, e := range evs {
		st.noteLocked(e.timestamp, ingest)
	}
}

// position is a place between events in (timestamp, sequence) order, carried by
// GetLogEvents' tokens: "f/" + key means the events after key, "b/" + key the
// events before it.
type position struct {
	ts  int64
	seq uint64
}

func (p position) String() string { return fmt.Sprintf("%020d%036d", p.ts, p.seq) }

func (e *event) pos() position { return position{e.Timestamp, e.Seq} }

func (p position) less(q position) bool {
	if p.ts != q.ts {
		return p.ts < q.ts
	}
	return p.seq < q.seq
}

func parseGetToken(tok string) (forward bool, p position, err error) {
	if len(tok) != 2+56 || (tok[:2] != "f/" && tok[:2] != "b/") {
		return false, p, errBadToken
	}
	ts, err1 := strconv.ParseInt(tok[2:22], 10, 64)
	seq, err2 := strconv.ParseUint(tok[22:], 10, 64)
	if err1 != nil || err2 != nil {
		return false, p, errBadToken
	}
	return tok[:2] == "f/", position{ts, seq}, nil
}

type getLogEventsInput struct {
	LogGroupName       *string `json:"logGroupName"`
	LogGroupIdentifier *string `json:"logGroupIdentifier"`
	LogStreamName      *string `json:"logStreamName"`
	StartTime          *int64  `json:"startTime"`
	EndTime            *int64  `json:"endTime"`
	StartFromHead      *bool   `json:"startFromHead"`
	Limit              *int32  `json:"limit"`
	NextToken          *string `json:"nextToken"`
	Unmask             bool    `json:"unmask"`
}

type outputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// maxResponseBytes bounds the events of one GetLogEvents/FilterLogEvents answer.
const maxResponseBytes = 1048576

func (s *Service) getLogEvents(ctx context.Context, r *http.Request) (any, error) {
	var in getLogEventsInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if in.LogStreamName == nil {
		return nil, notNull("logStreamName")
	}
	limit, err := checkLimit(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	var (
		haveToken bool
		forward   bool
		at        position
	)
	if in.NextToken != nil {
		if forward, at, err = parseGetToken(*in.NextToken); err != nil {
			return nil, err
		}
		haveToken = true
	}
	region := awsproto.Info(ctx).Region
	s.mu.RLock()
	g, err := s.lookupGroupLocked(region, group)
	var cut int64
	if err == nil {
		cut = s.cutoff(g.rec.Retention)
		if g.streams[*in.LogStreamName] == nil {
			err = errStreamNotFound
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	all, err := s.readEvents(ctx, streamSubject(region, group, *in.LogStreamName), max(cut, aws0(in.StartTime)))
	if err != nil {
		return nil, err
	}
	// The window: startTime inclusive, endTime exclusive, and retention.
	evs := all[:0]
	for _, e := range all {
		if e.Timestamp < cut || (in.StartTime != nil && e.Timestamp < *in.StartTime) ||
			(in.EndTime != nil && e.Timestamp >= *in.EndTime) {
			continue
		}
		evs = append(evs, e)
	}
	sortEvents(evs)

	// Pick [lo, hi) of evs.
	var lo, hi int
	switch {
	case haveToken && forward:
		lo = len(evs)
		for i := range evs {
			if at.less(evs[i].pos()) {
				lo = i
				break
			}
		}
		hi = takeForward(evs, lo, limit)
	case haveToken:
		hi = 0
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].pos().less(at) {
				hi = i + 1
				break
			}
		}
		lo = takeBackward(evs, hi, limit)
	case in.StartFromHead != nil && *in.StartFromHead:
		lo, hi = 0, takeForward(evs, 0, limit)
	default:
		hi = len(evs)
		lo = takeBackward(evs, hi, limit)
	}

	out := struct {
		Events            []outputLogEvent `json:"events"`
		NextForwardToken  string           `json:"nextForwardToken"`
		NextBackwardToken string           `json:"nextBackwardToken"`
	}{Events: make([]outputLogEvent, 0, hi-lo)}
	for _, e := range evs[lo:hi] {
		out.Events = append(out.Events, outputLogEvent{Timestamp: e.Timestamp, Message: string(e.Message), IngestionTime: e.Ingestion})
	}
	if hi > lo {
		out.NextForwardToken = "f/" + evs[hi-1].pos().String()
		out.NextBackwardToken = "b/" + evs[lo].pos().String()
	} else if haveToken {
		// Nothing in that direction: the token given comes back, and the other
		// direction starts from the same place.
		if forward {
			out.NextForwardToken = *in.NextToken
			out.NextBackwardToken = "b/" + position{at.ts, at.seq + 1}.String()
		} else {
			out.NextBackwardToken = *in.NextToken
			p := position{at.ts, at.seq - 1}
			if at.seq == 0 {
				p = position{at.ts - 1, 1<<63 - 1}
			}
			out.NextForwardToken = "f/" + p.String()
		}
	} else {
		out.NextForwardToken = "f/" + position{}.String()
		out.NextBackwardToken = "b/" + position{}.String()
	}
	return out, nil
}

// takeForward returns the end of the page that starts at lo: at most limit events
// and maxResponseBytes.
func takeForward(evs []event, lo, limit int) int {
	size, hi := 0, lo
	for hi < len(evs) && hi-lo < limit {
		size += len(evs[hi].Message) + eventOverhead
		if size > maxResponseBytes && hi > lo {
			break
		}
		hi++
	}
	return hi
}

// takeBackward returns the start of the page that ends at hi.
func takeBackward(evs []event, hi, limit int) int {
	size, lo := 0, hi
	for lo > 0 && hi-lo < limit {
		size += len(evs[lo-1].Message) + eventOverhead
		if size > maxResponseBytes && lo < hi {
			break
		}
		lo--
	}
	return lo
}
