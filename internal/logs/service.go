// Package logs serves the CloudWatch Logs API (awsJson 1.1, X-Amz-Target
// Logs_20140328.<Operation>): log groups and streams kept in a JetStream key-value
// bucket, events in one JetStream stream, and a Sink that lands Lambda function
// logs in /aws/lambda/<function>.
package logs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// Service is the CloudWatch Logs API. Set the exported fields, then Open; Close
// stops the retention sweep.
type Service struct {
	Store *store.Store
	// Account is the account id in ARNs (default 000000000000).
	Account string
	// SweepEvery is how often events past their group's retention are purged
	// (default one minute). Reads never return them either way.
	SweepEvery time.Duration
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time

	groups  *store.Table[groupRecord]
	streams *store.Table[streamRecord]
	events  jetstream.Stream
	js      jetstream.JetStream

	// mu guards the cache: every group and stream, loaded at Open and kept in step
	// with this node's own writes.
	mu    sync.RWMutex
	cache map[string]*groupState // groupKey(region, name) → group
	// appended is closed and replaced at every append: following tails wait on it.
	appended chan struct{}

	tails tailPolls

	stop chan struct{}
	done chan struct{}
}

// groupRecord is a log group as stored.
type groupRecord struct {
	Region    string `json:"region"`
	Name      string `json:"name"`
	Created   int64  `json:"created"`
	Retention int32  `json:"retention,omitempty"`
}

// streamRecord is a log stream as stored.
type streamRecord struct {
	Region  string `json:"region"`
	Group   string `json:"group"`
	Name    string `json:"name"`
	Created int64  `json:"created"`
}

type groupState struct {
	rec     groupRecord
	rev     uint64
	streams map[string]*streamState
}

// streamState is a stream and what is known of its events. The event figures are
// loaded from the event store on first need (statsKnown), then kept up to date by
// appends through this node.
type streamState struct {
	rec        streamRecord
	statsKnown bool
	first      int64 // first (earliest) event timestamp, 0 when none
	last       int64 // last (latest) event timestamp
	lastIngest int64
}

const (
	eventsStream = "LOGS"
	contentType  = awsproto.AWSJSON11
	targetPrefix = "Logs_20140328."
)

// Open binds the buckets and the events stream and loads every group and stream.
func (s *Service) Open(ctx context.Context) error {
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.SweepEvery <= 0 {
		s.SweepEvery = time.Minute
	}
	var err error
	if s.groups, err = store.OpenTable[groupRecord](ctx, s.Store, "logs_groups", 1); err != nil {
		return err
	}
	if s.streams, err = store.OpenTable[streamRecord](ctx, s.Store, "logs_streams", 1); err != nil {
		return err
	}
	s.js = s.Store.JetStream()
	s.events, err = s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      eventsStream,
		Subjects:  []string{"logs.>"},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy,
		Discard:   jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("logs: events stream: %w", err)
	}
	s.cache = map[string]*groupState{}
	s.appended = make(chan struct{})
	keys, err := s.groups.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		g, rev, err := s.groups.Get(ctx, k)
		if err != nil {
			continue
		}
		s.cache[k] = &groupState{rec: g, rev: rev, streams: map[string]*streamState{}}
	}
	keys, err = s.streams.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		st, _, err := s.streams.Get(ctx, k)
		if err != nil {
			continue
		}
		g := s.cache[groupKey(st.Region, st.Group)]
		if g == nil { // left behind by a group deletion cut short
			s.streams.Delete(ctx, k, 0) //nolint:errcheck
			continue
		}
		g.streams[st.Name] = &streamState{rec: st}
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.sweepLoop()
	return nil
}

// Close stops the retention sweep.
func (s *Service) Close(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	close(s.stop)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) sweepLoop() {
	defer close(s.done)
	t := time.NewTicker(s.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.Sweep(context.Background()); err != nil {
				slog.Warn("logs: retention sweep", "err", err)
			}
		}
	}
}

// Handles reports whether the request is a CloudWatch Logs API call.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName == "logs" {
		return true
	}
	_, ok := awsproto.Target(r, targetPrefix)
	return signingName == "" && ok
}

type handlerFunc func(ctx context.Context, r *http.Request) (any, error)

// operation is the route table: the operation an X-Amz-Target names → its handler,
// or nil.
func (s *Service) operation(op string) handlerFunc {
	switch op {
	case "CreateLogGroup":
		return s.createLogGroup
	case "DescribeLogGroups":
		return s.describeLogGroups
	case "DeleteLogGroup":
		return s.deleteLogGroup
	case "PutRetentionPolicy":
		return s.putRetentionPolicy
	case "DeleteRetentionPolicy":
		return s.deleteRetentionPolicy
	case "CreateLogStream":
		return s.createLogStream
	case "DescribeLogStreams":
		return s.describeLogStreams
	case "DeleteLogStream":
		return s.deleteLogStream
	case "PutLogEvents":
		return s.putLogEvents
	case "GetLogEvents":
		return s.getLogEvents
	case "FilterLogEvents":
		return s.filterLogEvents
	}
	return nil
}

// ServeHTTP answers one CloudWatch Logs API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := awsproto.Target(r, targetPrefix)
	var h handlerFunc
	if ok && r.Method == http.MethodPost {
		h = s.operation(op)
	}
	if h == nil {
		awsproto.WriteAWSJSONError(w, contentType, errUnknownOperation)
		return
	}
	out, err := h(r.Context(), r)
	if err != nil {
		var ae *awsproto.Error
		if !errors.As(err, &ae) {
			slog.Error("logs: "+op, "err", err)
		}
		awsproto.WriteAWSJSONError(w, contentType, err)
		return
	}
	awsproto.WriteAWSJSON(w, contentType, out)
}

// lookupGroupLocked returns the cached group or ResourceNotFoundException.
// Callers hold s.mu (read or write).
func (s *Service) lookupGroupLocked(region, name string) (*groupState, error) {
	g := s.cache[groupKey(region, name)]
	if g == nil {
		return nil, errGroupNotFound
	}
	return g, nil
}

// sortedGroupsLocked returns the region's groups by name. Callers hold s.mu.
func (s *Service) sortedGroupsLocked(region string) []*groupState {
	var out []*groupState
	for _, g := range s.cache {
		if g.rec.Region == region {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rec.Name < out[j].rec.Name })
	return out
}

func (s *Service) nowMillis() int64 { return s.Now().UnixMilli() }

func (s *Service) groupArn(region, name string) string {
	return "arn:aws:logs:" + region + ":" + s.Account + ":log-group:" + name
}

// groupName resolves logGroupName / logGroupIdentifier (a name or an ARN).
func groupName(name, identifier *string) (string, error) {
	if name != nil && identifier != nil {
		return "", errNameAndIdentifier
	}
	if identifier != nil {
		id := *identifier
		if strings.HasPrefix(id, "arn:") {
			parts := strings.SplitN(id, ":", 7)
			if len(parts) < 7 || parts[5] != "log-group" {
				return "", invalidParameter("Invalid log group identifier: " + id)
			}
			return strings.TrimSuffix(parts[6], ":*"), nil
		}
		return id, nil
	}
	if name == nil {
		return "", notNull("logGroupName")
	}
	return *name, nil
}
