package logs

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// checkStreamName validates a log stream name as CreateLogStream does.
func checkStreamName(name string) error {
	if len(name) > 512 {
		return errNameTooLong
	}
	if name == "" {
		return validation(name, "logStreamName", "Member must have length greater than or equal to 1")
	}
	if strings.ContainsAny(name, ":*") {
		return validation(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*")
	}
	return nil
}

type streamInput struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

func (s *Service) createLogStream(ctx context.Context, r *http.Request) (any, error) {
	var in streamInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	if in.LogGroupName == nil {
		return nil, notNull("logGroupName")
	}
	if in.LogStreamName == nil {
		return nil, notNull("logStreamName")
	}
	if err := checkStreamName(*in.LogStreamName); err != nil {
		return nil, err
	}
	_, err := s.ensureStream(ctx, awsproto.Info(ctx).Region, *in.LogGroupName, *in.LogStreamName, false)
	return struct{}{}, err
}

// ensureStream creates the stream in its group, and the group too when
// createGroup is set. It answers errStreamExists (with the stream) when the
// stream is there already.
func (s *Service) ensureStream(ctx context.Context, region, group, name string, createGroup bool) (*streamState, error) {
	s.mu.RLock()
	g := s.cache[groupKey(region, group)]
	var st *streamState
	if g != nil {
		st = g.streams[name]
	}
	s.mu.RUnlock()
	if st != nil {
		return st, errStreamExists
	}
	if g == nil {
		if !createGroup {
			return nil, errGroupNotFound
		}
		if _, err := s.ensureGroup(ctx, region, group); err != nil && !errors.Is(err, errGroupExists) {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookupGroupLocked(region, group)
	if err != nil {
		return nil, err
	}
	if st := g.streams[name]; st != nil {
		return st, errStreamExists
	}
	rec := streamRecord{Region: region, Group: group, Name: name, Created: s.nowMillis()}
	if _, err := s.streams.Create(ctx, streamKey(region, group, name), rec); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, errStreamExists
		}
		return nil, err
	}
	st = &streamState{rec: rec, statsKnown: true}
	g.streams[name] = st
	return st, nil
}

func (s *Service) deleteLogStream(ctx context.Context, r *http.Request) (any, error) {
	var in streamInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	if in.LogGroupName == nil {
		return nil, notNull("logGroupName")
	}
	if in.LogStreamName == nil {
		return nil, notNull("logStreamName")
	}
	region := awsproto.Info(ctx).Region
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookupGroupLocked(region, *in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if g.streams[*in.LogStreamName] == nil {
		return nil, errStreamNotFound
	}
	if err := s.streams.Delete(ctx, streamKey(region, g.rec.Name, *in.LogStreamName), 0); err != nil {
		return nil, err
	}
	delete(g.streams, *in.LogStreamName)
	if err := s.purgeSubject(ctx, streamSubject(region, g.rec.Name, *in.LogStreamName)); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type describeLogStreamsInput struct {
	LogGroupName        *string `json:"logGroupName"`
	LogGroupIdentifier  *string `json:"logGroupIdentifier"`
	LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
	OrderBy             *string `json:"orderBy"`
	Descending          bool    `json:"descending"`
	Limit               *int32  `json:"limit"`
	NextToken           *string `json:"nextToken"`
}

type logStream struct {
	Arn                 string `json:"arn"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
	LogStreamName       string `json:"logStreamName"`
	StoredBytes         int64  `json:"storedBytes"` // always 0, as AWS reports since 2019
}

func (s *Service) describeLogStreams(ctx context.Context, r *http.Request) (any, error) {
	var in describeLogStreamsInput
	if err := awsproto.ReadAWSJSON(r, &in); err != nil {
		return nil, err
	}
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	byTime := false
	if in.OrderBy != nil {
		switch *in.OrderBy {
		case "LogStreamName":
		case "LastEventTime":
			byTime = true
		default:
			return nil, validation(*in.OrderBy, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
		}
	}
	if byTime && in.LogStreamNamePrefix != nil {
		return nil, errOrderByPrefix
	}
	limit, err := checkLimit(in.Limit, 50)
	if err != nil {
		return nil, err
	}
	offset := 0
	if in.NextToken != nil {
		rest, ok := strings.CutPrefix(*in.NextToken, "o/")
		n, err := strconv.Atoi(rest)
		if !ok || err != nil || n < 0 {
			return nil, errBadToken
		}
		offset = n
	}
	region := awsproto.Info(ctx).Region
	if err := s.loadStats(ctx, region, group); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.lookupGroupLocked(region, group)
	if err != nil {
		return nil, err
	}
	var list []*streamState
	for _, st := range g.streams {
		if in.LogStreamNamePrefix == nil || strings.HasPrefix(st.rec.Name, *in.LogStreamNamePrefix) {
			list = append(list, st)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if byTime && a.last != b.last {
			return a.last < b.last
		}
		return a.rec.Name < b.rec.Name
	})
	if in.Descending {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
	out := struct {
		LogStreams []logStream `json:"logStreams"`
		NextToken  string      `json:"nextToken,omitempty"`
	}{LogStreams: []logStream{}}
	if offset > len(list) {
		offset = len(list)
	}
	end := offset + limit
	if end < len(list) {
		out.NextToken = "o/" + strconv.Itoa(end)
	} else {
		end = len(list)
	}
	arn := s.groupArn(region, group)
	for _, st := range list[offset:end] {
		out.LogStreams = append(out.LogStreams, logStream{
			Arn: arn + ":log-stream:" + st.rec.Name, CreationTime: st.rec.Created, FirstEventTimestamp: st.first,
			LastEventTimestamp: st.last, LastIngestionTime: st.lastIngest, LogStreamName: st.rec.Name,
		})
	}
	return out, nil
}

// loadStats fills in the event figures of the group's streams that have none yet
// (after a restart), from the stored events.
func (s *Service) loadStats(ctx context.Context, region, group string) error {
	s.mu.RLock()
	g := s.cache[groupKey(region, group)]
	need := false
	if g != nil {
		for _, st := range g.streams {
			need = need || !st.statsKnown
		}
	}
	s.mu.RUnlock()
	if !need {
		return nil
	}
	evs, err := s.readEvents(ctx, groupSubjects(region, group), 0)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g = s.cache[groupKey(region, group)]
	if g == nil {
		return nil
	}
	fresh := map[string]bool{}
	for _, st := range g.streams {
		if !st.statsKnown {
			fresh[st.rec.Name] = true
			st.statsKnown = true
		}
	}
	for i := range evs {
		if st := g.streams[evs[i].Stream]; st != nil && fresh[st.rec.Name] {
			st.noteLocked(evs[i].Timestamp, evs[i].Ingestion)
		}
	}
	return nil
}

// noteLocked records an appended event in the stream's figures. s.mu must be held
// for writing.
func (st *streamState) noteLocked(ts, ingest int64) {
	if st.first == 0 || ts < st.first {
		st.first = ts
	}
	if ts > st.last {
		st.last = ts
	}
	if ingest > st.lastIngest {
		st.lastIngest = ingest
	}
}
