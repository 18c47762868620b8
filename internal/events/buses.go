package events

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

type busOut struct {
	Name             string      `json:"Name"`
	Arn              string      `json:"Arn"`
	Description      string      `json:"Description,omitempty"`
	CreationTime     json.Number `json:"CreationTime"`
	LastModifiedTime json.Number `json:"LastModifiedTime"`
}

func (s *Service) busOut(b *bus) busOut {
	return busOut{Name: b.Name, Arn: s.busArn(b.Name), Description: b.Description,
		CreationTime: epoch(b.Created), LastModifiedTime: epoch(b.Created)}
}

func (s *Service) createEventBus(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		Name            string
		Description     string
		EventSourceName string
		Tags            []tagEntry
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	switch {
	case len(in.Name) > 256:
		return nil, awsproto.Validation(in.Name, "name", cMax256)
	case len(in.Name) < 1:
		return nil, awsproto.Validation(in.Name, "name", cMin1)
	case !busNameRe.MatchString(in.Name):
		return nil, awsproto.Validation(in.Name, "name", cPattern+`[/\.\-_A-Za-z0-9]+`)
	case len(in.Description) > 512:
		return nil, awsproto.Validation(in.Description, "description", cMax512)
	}
	if in.Name == defaultBus {
		return nil, errBusExists(in.Name)
	}
	if strings.HasPrefix(in.Name, "aws.") && in.EventSourceName == "" {
		return nil, errValidation("Event bus name must not start with 'aws.'")
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buses[in.Name]; ok {
		return nil, errBusExists(in.Name)
	}
	b := &bus{Name: in.Name, Description: in.Description, Created: s.Now().UTC()}
	if _, err := s.busTable.Create(ctx, key(b.Name), *b); err != nil {
		return nil, fmt.Errorf("events: create bus: %w", err)
	}
	s.buses[b.Name] = b
	if len(in.Tags) > 0 {
		if err := s.setTagsLocked(ctx, s.busArn(b.Name), in.Tags, nil); err != nil {
			return nil, err
		}
	}
	out := struct {
		EventBusArn string `json:"EventBusArn"`
		Description string `json:"Description,omitempty"`
	}{s.busArn(b.Name), b.Description}
	return out, nil
}

func (s *Service) describeEventBus(ctx context.Context, r *http.Request) (any, error) {
	var in struct{ Name string }
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := busName(in.Name, "name")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buses[name]
	if !ok {
		return nil, errBusNotFound(name)
	}
	return s.busOut(b), nil
}

func (s *Service) listEventBuses(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		NamePrefix string
		NextToken  string
		Limit      *int
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Limit != nil && (*in.Limit < 1 || *in.Limit > 100) {
		return nil, awsproto.Validation(*in.Limit, "limit", "Member must have value between 1 and 100")
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.buses))
	for n := range s.buses {
		if strings.HasPrefix(n, in.NamePrefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	page, next, err := paginate(names, in.NextToken, in.Limit)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	out := struct {
		EventBuses []busOut `json:"EventBuses"`
		NextToken  string   `json:"NextToken,omitempty"`
	}{EventBuses: []busOut{}, NextToken: next}
	for _, n := range page {
		out.EventBuses = append(out.EventBuses, s.busOut(s.buses[n]))
	}
	s.mu.Unlock()
	return out, nil
}

func (s *Service) deleteEventBus(ctx context.Context, r *http.Request) (any, error) {
	var in struct{ Name string }
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.Name) < 1 {
		return nil, awsproto.Validation(in.Name, "name", cMin1)
	}
	if in.Name == defaultBus {
		return nil, errDeleteDefault
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buses[in.Name]; !ok {
		// Deleting a bus that is not there is no error in EventBridge.
		return empty{}, nil
	}
	for k, ru := range s.rules {
		if ru.Bus == in.Name {
			if err := s.ruleTable.Delete(ctx, k, 0); err != nil {
				return nil, fmt.Errorf("events: delete bus rules: %w", err)
			}
			delete(s.rules, k)
		}
	}
	if err := s.busTable.Delete(ctx, key(in.Name), 0); err != nil {
		return nil, fmt.Errorf("events: delete bus: %w", err)
	}
	delete(s.buses, in.Name)
	s.dropTagsLocked(ctx, s.busArn(in.Name))
	return empty{}, nil
}

// paginate returns the page of sorted names after the token (the last name of
// the previous page, hex-encoded) and the next token.
func paginate(names []string, token string, limit *int) ([]string, string, error) {
	start := 0
	if token != "" {
		after, ok := unkey(token)
		if !ok {
			return nil, "", errBadNextToken
		}
		start = sort.SearchStrings(names, after)
		if start < len(names) && names[start] == after {
			start++
		}
	}
	n := 100
	if limit != nil {
		n = *limit
	}
	end := min(start+n, len(names))
	page := names[start:end]
	if end < len(names) && len(page) > 0 {
		return page, key(page[len(page)-1]), nil
	}
	return page, "", nil
}
