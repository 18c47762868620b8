package events

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

type tagEntry struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func validTags(tags []tagEntry) error {
	for _, t := range tags {
		switch {
		case len(t.Key) < 1:
			return awsproto.Validation(t.Key, "tags.member.key", cMin1)
		case len(t.Key) > 128:
			return awsproto.Validation(t.Key, "tags.member.key", "Member must have length less than or equal to 128")
		case len(t.Value) > 256:
			return awsproto.Validation(t.Value, "tags.member.value", cMax256)
		}
	}
	return nil
}

// resourceExistsLocked reports whether arn names a bus or rule here.
func (s *Service) resourceExistsLocked(arn string) bool {
	for n := range s.buses {
		if s.busArn(n) == arn {
			return true
		}
	}
	for _, ru := range s.rules {
		if s.ruleArn(ru.Bus, ru.Name) == arn {
			return true
		}
	}
	return false
}

// setTagsLocked adds tags to and removes keys from arn's tags, durably.
func (s *Service) setTagsLocked(ctx context.Context, arn string, add []tagEntry, remove []string) error {
	m := map[string]string{}
	for k, v := range s.tags[arn] {
		m[k] = v
	}
	for _, t := range add {
		m[t.Key] = t.Value
	}
	for _, k := range remove {
		delete(m, k)
	}
	if len(m) == 0 {
		s.dropTagsLocked(ctx, arn)
		return nil
	}
	k := key(arn)
	_, rev, err := s.tagTable.Get(ctx, k)
	if err != nil {
		_, err = s.tagTable.Create(ctx, k, m)
	} else {
		_, err = s.tagTable.Update(ctx, k, m, rev)
	}
	if err != nil {
		return fmt.Errorf("events: tags: %w", err)
	}
	s.tags[arn] = m
	return nil
}

func (s *Service) dropTagsLocked(ctx context.Context, arn string) {
	if _, ok := s.tags[arn]; ok {
		s.tagTable.Delete(ctx, key(arn), 0) //nolint:errcheck // a leftover tag set names nothing
		delete(s.tags, arn)
	}
}

func arnNotFound(arn string) error {
	name := arn[strings.LastIndex(arn, "/")+1:]
	if strings.Contains(arn, ":rule/") {
		return errResourceNotFound(fmt.Sprintf("Rule %s does not exist on EventBus default.", name))
	}
	return errBusNotFound(name)
}

func (s *Service) tagResource(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		ResourceARN string
		Tags        []tagEntry
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.resourceExistsLocked(in.ResourceARN) {
		return nil, arnNotFound(in.ResourceARN)
	}
	return empty{}, s.setTagsLocked(ctx, in.ResourceARN, in.Tags, nil)
}

func (s *Service) untagResource(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		ResourceARN string
		TagKeys     []string
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.resourceExistsLocked(in.ResourceARN) {
		return nil, arnNotFound(in.ResourceARN)
	}
	return empty{}, s.setTagsLocked(ctx, in.ResourceARN, nil, in.TagKeys)
}

func (s *Service) listTagsForResource(ctx context.Context, r *http.Request) (any, error) {
	var in struct{ ResourceARN string }
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.resourceExistsLocked(in.ResourceARN) {
		return nil, arnNotFound(in.ResourceARN)
	}
	out := struct {
		Tags []tagEntry `json:"Tags"`
	}{Tags: []tagEntry{}}
	for k, v := range s.tags[in.ResourceARN] {
		out.Tags = append(out.Tags, tagEntry{k, v})
	}
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Key < out.Tags[j].Key })
	return out, nil
}
