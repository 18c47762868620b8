package esm

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/store"
)

// create is CreateEventSourceMapping: it validates as Lambda does, stores the
// mapping in state Creating and answers 202; the reconciler starts its poller.
func (s *Service) create(w http.ResponseWriter, r *http.Request, _ string) error {
	ctx := r.Context()
	var in createInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := validateModel(&in.settingsInput); err != nil {
		return err
	}
	if in.StartingPosition != nil {
		switch *in.StartingPosition {
		case posTrimHorizon, posLatest, posAtTimestamp:
		default:
			return awsproto.Validation(*in.StartingPosition, "startingPosition", "Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]")
		}
	}
	if in.FunctionName == nil {
		return awsproto.Validation("null", "functionName", "Member must not be null")
	}
	if in.EventSourceArn == nil || *in.EventSourceArn == "" {
		return errNoEventSource
	}
	region := s.region(ctx)
	source := *in.EventSourceArn
	if len(source) > 1024 || !reEventSourceArn.MatchString(source) {
		return awsproto.Validation(source, "eventSourceArn", patternEventSourceArn)
	}
	service := sourceService(source)
	queue := s.Queues[service] != nil
	if s.Streams[service] == nil && !queue {
		return sourceNotServed(service, source)
	}
	var pos string
	var ts *time.Time
	st := streamDefaults()
	if queue {
		if in.StartingPosition != nil {
			return errQueuePosition
		}
		st = queueDefaults()
	} else {
		var err error
		if pos, ts, err = startingPosition(service, source, &in); err != nil {
			return err
		}
	}
	if err := s.apply(ctx, &st, &in.settingsInput); err != nil {
		return err
	}
	fnArn, err := s.Functions.FunctionARN(ctx, region, *in.FunctionName)
	if err != nil {
		return err
	}
	info, err := s.checkSource(ctx, source)
	if err != nil {
		return err
	}
	if queue {
		if err := checkQueueSettings(&in.settingsInput, &st, info); err != nil {
			return err
		}
		if err := s.checkVisibility(ctx, fnArn, info); err != nil {
			return err
		}
	}
	if d := s.duplicateOf("", source, fnArn); d != nil {
		return mappingExists(source, functionName(fnArn), d.UUID)
	}
	now := time.Now().UTC()
	rec := record{
		UUID: awsproto.NewRequestID(), Region: region, EventSourceArn: source, FunctionArn: fnArn,
		Created: now, LastModified: now, State: stateCreating, Enabled: in.Enabled == nil || *in.Enabled,
		StartingPosition: pos, StartingPositionTimestamp: ts, settings: st,
	}
	rev, err := s.mappings.Create(ctx, rec.UUID, rec)
	if err != nil {
		return err
	}
	s.remember(rec, rev)
	awsproto.WriteJSON(w, http.StatusAccepted, s.configuration(&rec, resultNone))
	return nil
}

// get is GetEventSourceMapping.
func (s *Service) get(w http.ResponseWriter, r *http.Request, uuid string) error {
	rec, _, err := s.find(r.Context(), uuid)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, s.configuration(&rec, s.result(&rec)))
	return nil
}

// update is UpdateEventSourceMapping: the given members change, the mapping
// goes to Enabling, Disabling or Updating and the reconciler settles it.
func (s *Service) update(w http.ResponseWriter, r *http.Request, uuid string) error {
	ctx := r.Context()
	var in settingsInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := validateModel(&in); err != nil {
		return err
	}
	for {
		rec, rev, err := s.find(ctx, uuid)
		if err != nil {
			return err
		}
		next := rec
		if err := s.apply(ctx, &next.settings, &in); err != nil {
			return err
		}
		if queues := s.Queues[sourceService(rec.EventSourceArn)]; queues != nil {
			info, err := queues.Describe(ctx, rec.EventSourceArn)
			if err != nil && !errors.Is(err, eventsource.ErrNotFound) {
				return err
			}
			if err := checkQueueSettings(&in, &next.settings, &info); err != nil {
				return err
			}
		}
		if in.FunctionName != nil {
			if next.FunctionArn, err = s.Functions.FunctionARN(ctx, rec.Region, *in.FunctionName); err != nil {
				return err
			}
			if queues := s.Queues[sourceService(rec.EventSourceArn)]; queues != nil {
				if info, err := queues.Describe(ctx, rec.EventSourceArn); err == nil {
					if err := s.checkVisibility(ctx, next.FunctionArn, &info); err != nil {
						return err
					}
				}
			}
			if d := s.duplicateOf(uuid, rec.EventSourceArn, next.FunctionArn); d != nil {
				return mappingExists(rec.EventSourceArn, functionName(next.FunctionArn), d.UUID)
			}
		}
		if in.Enabled != nil {
			next.Enabled = *in.Enabled
		}
		state, ok := afterUpdate(rec.State, rec.Enabled, next.Enabled)
		if !ok {
			return errMappingInUse
		}
		next.State = state
		next.LastModified = time.Now().UTC()
		nrev, err := s.mappings.Update(ctx, uuid, next, rev)
		if errors.Is(err, store.ErrConflict) {
			continue // the reconciler settled it meanwhile: apply to the new state
		}
		if err != nil {
			return err
		}
		s.remember(next, nrev)
		awsproto.WriteJSON(w, http.StatusAccepted, s.configuration(&next, s.result(&next)))
		return nil
	}
}

// remove is DeleteEventSourceMapping: the mapping answers in state Deleting;
// the reconciler stops its poller, drops its checkpoints and removes it.
func (s *Service) remove(w http.ResponseWriter, r *http.Request, uuid string) error {
	ctx := r.Context()
	for {
		rec, rev, err := s.find(ctx, uuid)
		if err != nil {
			return err
		}
		next := rec
		next.State = stateDeleting
		if rec.State != stateDeleting {
			nrev, err := s.mappings.Update(ctx, uuid, next, rev)
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			if err != nil {
				return err
			}
			s.remember(next, nrev)
		}
		awsproto.WriteJSON(w, http.StatusAccepted, s.configuration(&next, s.result(&next)))
		return nil
	}
}

type listOutput struct {
	EventSourceMappings []*configuration `json:"EventSourceMappings"`
	NextMarker          *string          `json:"NextMarker,omitempty"`
}

// list is ListEventSourceMappings: the region's mappings, oldest first,
// filtered by EventSourceArn and FunctionName, MaxItems (default 100) at a time.
func (s *Service) list(w http.ResponseWriter, r *http.Request, _ string) error {
	ctx := r.Context()
	q := r.URL.Query()
	max := 100
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return invalidParameter("Invalid MaxItems: " + v)
		}
		if err := checkRange(&n, intRange{"maxItems", 1, 10000}); err != nil {
			return err
		}
		max = n
	}
	after := ""
	if m := q.Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || len(b) == 0 {
			return invalidParameter("Invalid marker: " + m)
		}
		after = string(b)
	}
	region := s.region(ctx)
	source := q.Get("EventSourceArn")
	function := ""
	if f := q.Get("FunctionName"); f != "" {
		function = s.functionRefARN(region, f)
	}
	var all []record
	s.mu.Lock()
	for _, e := range s.cache {
		if e.deleted || e.rec.Region != region || (source != "" && e.rec.EventSourceArn != source) ||
			(function != "" && e.rec.FunctionArn != function) {
			continue
		}
		all = append(all, e.rec)
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool {
		if !all[i].Created.Equal(all[j].Created) {
			return all[i].Created.Before(all[j].Created)
		}
		return all[i].UUID < all[j].UUID
	})
	out := listOutput{EventSourceMappings: []*configuration{}}
	started := after == ""
	for i := range all {
		if !started {
			started = all[i].UUID == after
			continue
		}
		if len(out.EventSourceMappings) == max {
			m := base64.RawURLEncoding.EncodeToString([]byte(all[i-1].UUID))
			out.NextMarker = &m
			break
		}
		out.EventSourceMappings = append(out.EventSourceMappings, s.configuration(&all[i], s.result(&all[i])))
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// functionRefARN turns a FunctionName filter (name, partial ARN or ARN,
// possibly qualified) into the function ARN mappings store, without asking
// whether the function exists.
func (s *Service) functionRefARN(region, ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	if _, rest, ok := strings.Cut(ref, "function:"); ok {
		ref = rest
	}
	return "arn:aws:lambda:" + region + ":" + s.Account + ":function:" + ref
}

// find returns the mapping uuid names in the request's region, or
// ResourceNotFoundException.
func (s *Service) find(ctx context.Context, uuid string) (record, uint64, error) {
	s.mu.Lock()
	e := s.cache[uuid]
	s.mu.Unlock()
	if e == nil || e.deleted || e.rec.Region != s.region(ctx) {
		return record{}, 0, errMappingNotFound
	}
	return e.rec, e.rev, nil
}

// region is the request's region.
func (s *Service) region(ctx context.Context) string {
	if r := awsproto.Info(ctx).Region; r != "" {
		return r
	}
	return s.Region
}

// uuidLabel unescapes the {UUID} label of a path.
func uuidLabel(raw string) (string, bool) {
	u, err := url.PathUnescape(raw)
	return u, err == nil && u != "" && !strings.Contains(u, "/")
}
