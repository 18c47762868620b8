package logs

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

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
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		var p position
		if err != nil || len(b) != 56 {
			return nil, errBadToken
		}
		if _, err := fmt.Sscanf(string(b), "%020d%036d", &p.ts, &p.seq); err != nil {
			return nil, errBadToken
		}
		after = &p
	}

	region := awsproto.Info(ctx).Region
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
		return nil, err
	}
	out := struct {
		Events             []filteredLogEvent `json:"events"`
		SearchedLogStreams []struct{}         `json:"searchedLogStreams"`
		NextToken          string             `json:"nextToken,omitempty"`
	}{Events: []filteredLogEvent{}, SearchedLogStreams: []struct{}{}}
	if len(wanted) == 0 {
		return out, nil
	}
	filter := groupSubjects(region, group)
	if len(wanted) == 1 {
		for n := range wanted {
			filter = streamSubject(region, group, n)
		}
	}
	all, err := s.readEvents(ctx, filter, max(cut, aws0(in.StartTime)))
	if err != nil {
		return nil, err
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
	if hi < len(evs) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(evs[hi-1].pos().String()))
	}
	return out, nil
}
