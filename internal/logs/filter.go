package logs

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// pattern is a parsed filter pattern of unstructured terms: every plain term (or
// quoted phrase) must appear, no -term may appear, and when there are ?terms at
// least one of them must appear. Matching is case-sensitive, as in CloudWatch Logs.
type pattern struct {
	all, none, any [][]byte
}

// parsePattern parses the unstructured filter pattern syntax. JSON ({...}) and
// space-delimited ([...]) patterns are not supported and give errBadPattern.
func parsePattern(p string) (*pattern, error) {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "{") || strings.HasPrefix(p, "[") {
		return nil, errBadPattern
	}
	var pt pattern
	for i := 0; i < len(p); {
		if p[i] == ' ' || p[i] == '\t' {
			i++
			continue
		}
		kind := byte(0)
		if p[i] == '?' || p[i] == '-' {
			kind = p[i]
			i++
		}
		var term string
		if i < len(p) && p[i] == '"' {
			end := strings.IndexByte(p[i+1:], '"')
			if end < 0 {
				return nil, errBadPattern
			}
			term = p[i+1 : i+1+end]
			i += end + 2
		} else {
			j := i
			for j < len(p) && p[j] != ' ' && p[j] != '\t' {
				j++
			}
			term = p[i:j]
			i = j
		}
		if term == "" {
			continue
		}
		switch kind {
		case '?':
			pt.any = append(pt.any, []byte(term))
		case '-':
			pt.none = append(pt.none, []byte(term))
		default:
			pt.all = append(pt.all, []byte(term))
		}
	}
	return &pt, nil
}

func (pt *pattern) match(msg []byte) bool {
	for _, t := range pt.all {
		if !bytes.Contains(msg, t) {
			return false
		}
	}
	for _, t := range pt.none {
		if bytes.Contains(msg, t) {
			return false
		}
	}
	if len(pt.any) == 0 {
		return true
	}
	for _, t := range pt.any {
		if bytes.Contains(msg, t) {
			return true
		}
	}
	return false
}

type filterLogEventsInput struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupIdentifier  *string  `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       *string  `json:"filterPattern"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int32   `json:"limit"`
	Interleaved         *bool    `json:"interleaved"` // ignored: always interleaved, as AWS
	Unmask              bool     `json:"unmask"`
}

type filteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

func (s *Service) filterLogEvents(ctx context.Context, r *http.Request) (any, error) {
	var in filterLogEventsInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		return nil, errNamesAndPrefix
	}
	if len(in.LogStreamNames) > 100 {
		return nil, validation(in.LogStreamNames, "logStreamNames", "Member must have length less than or equal to 100")
	}
	limit, err := checkLimit(in.Limit, 10000)
	if err != nil {
		return nil, err
	}
	pt := &pattern{}
	if in.FilterPattern != nil {
		if pt, err = parsePattern(*in.FilterPattern); err != nil {
			return nil, err
		}
	}
	var after *position
	followed := false
	if in.NextToken != nil {
		p, follow, err := parseFilterToken(*in.NextToken)
		if err != nil {
			return nil, err
		}
		after, followed = &p, follow
	}

	region := awsproto.Info(ctx).Region
	following := followed || (in.NextToken == nil && isCLITail(r) && s.tails.repeat(r.RemoteAddr, region, group))
	deadline := time.Now().Add(followWait)
	for {
		sig := s.appendedSignal()
		out, last, more, err := s.filterOnce(ctx, region, group, &in, pt, after, limit)
		if err != nil || !following {
			return out, err
		}
		// Only a poll that carries a follow token waits: the first poll of a
		// following tail answers at once with what is there.
		if len(out.Events) > 0 || more || !followed || !waitAppended(ctx, sig, deadline) {
			out.NextToken = followToken(last)
			return out, nil
		}
	}
}

type filterLogEventsOutput struct {
	Events             []filteredLogEvent `json:"events"`
	SearchedLogStreams []struct{}         `json:"searchedLogStreams"`
	NextToken          string             `json:"nextToken,omitempty"`
}

// filterOnce runs one FilterLogEvents query: the page, the position after its last
// event (or after, or before the start time, when it has none), and whether more
// pages follow.
func (s *Service) filterOnce(ctx context.Context, region, group string, in *filterLogEventsInput, pt *pattern, after *position, limit int) (out filterLogEventsOutput, last position, more bool, err error) {
	out = filterLogEventsOutput{Events: []filteredLogEvent{}, SearchedLogStreams: []struct{}{}}
	switch {
	case after != nil:
		last = *after
	default:
		last = position{ts: aws0(in.StartTime) - 1}
	}
	s.mu.RLock()
	g, err := s.lookupGroupLocked(region, group)
	var cut int64
	wanted := map[string]bool{}
	if err == nil {
		cut = s.cutoff(g.rec.Retention)
		for name := range g.streams {
			if in.LogStreamNamePrefix != nil && !strings.HasPrefix(name, *in.LogStreamNamePrefix) {
				continue
			}
			wanted[name] = true
		}
		if in.LogStreamNames != nil {
			wanted = map[string]bool{}
			for _, n := range in.LogStreamNames {
				if g.streams[n] != nil {
					wanted[n] = true
				}
			}
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return out, last, false, err
	}
	if len(wanted) == 0 {
		return out, last, false, nil
	}
	filter := groupSubjects(region, group)
	if len(wanted) == 1 {
		for n := range wanted {
			filter = streamSubject(region, group, n)
		}
	}
	all, err := s.readEvents(ctx, filter, max(cut, aws0(in.StartTime)))
	if err != nil {
		return out, last, false, err
	}
	evs := all[:0]
	for _, e := range all {
		if !wanted[e.Stream] || e.Timestamp < cut || (in.StartTime != nil && e.Timestamp < *in.StartTime) ||
			(in.EndTime != nil && e.Timestamp > *in.EndTime) || (after != nil && !after.less(e.pos())) ||
			!pt.match(e.Message) {
			continue
		}
		evs = append(evs, e)
	}
	sortEvents(evs)
	hi := takeForward(evs, 0, limit)
	for _, e := range evs[:hi] {
		out.Events = append(out.Events, filteredLogEvent{
			LogStreamName: e.Stream, Timestamp: e.Timestamp, Message: string(e.Message),
			IngestionTime: e.Ingestion, EventID: e.pos().String(),
		})
	}
	if hi > 0 {
		last = evs[hi-1].pos()
	}
	if hi < len(evs) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(last.String()))
		more = true
	}
	return out, last, more, nil
}
