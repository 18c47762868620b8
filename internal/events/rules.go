package events

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventpattern"
	"github.com/stratus-run/stratus/internal/store"
)

// maxPatternLength is EventPattern's bound in EventBridge's model.
const maxPatternLength = 4096

type ruleOut struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventBusName       string `json:"EventBusName"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
}

func (s *Service) ruleOut(ru *rule) ruleOut {
	return ruleOut{Name: ru.Name, Arn: s.ruleArn(ru.Bus, ru.Name), EventBusName: ru.Bus,
		EventPattern: ru.Pattern, ScheduleExpression: ru.Schedule, State: ru.State,
		Description: ru.Description, RoleArn: ru.RoleArn}
}

func (s *Service) putRule(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		Name               string
		EventBusName       string
		EventPattern       *string
		ScheduleExpression *string
		State              string
		Description        string
		RoleArn            string
		Tags               []tagEntry
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := validRuleName(in.Name, "name"); err != nil {
		return nil, err
	}
	bn, err := busName(in.EventBusName, "eventBusName")
	if err != nil {
		return nil, err
	}
	switch in.State {
	case "":
		in.State = "ENABLED"
	case "ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
	default:
		return nil, awsproto.Validation(in.State, "state",
			"Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]")
	}
	if len(in.Description) > 512 {
		return nil, awsproto.Validation(in.Description, "description", cMax512)
	}
	if len(in.RoleArn) > 1600 {
		return nil, awsproto.Validation(in.RoleArn, "roleArn", cMax1600)
	}
	if in.EventPattern != nil && len(*in.EventPattern) > maxPatternLength {
		return nil, awsproto.Validation(*in.EventPattern, "eventPattern", "Member must have length less than or equal to 4096")
	}
	if in.ScheduleExpression != nil && len(*in.ScheduleExpression) > 256 {
		return nil, awsproto.Validation(*in.ScheduleExpression, "scheduleExpression", cMax256)
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	if (in.EventPattern == nil || *in.EventPattern == "") && (in.ScheduleExpression == nil || *in.ScheduleExpression == "") {
		return nil, errNeedPattern
	}
	ru := rule{Name: in.Name, Bus: bn, State: in.State, Description: in.Description, RoleArn: in.RoleArn}
	if in.EventPattern != nil && *in.EventPattern != "" {
		if _, err := eventpattern.Compile([]byte(*in.EventPattern), eventpattern.Options{}); err != nil {
			return nil, errPattern(err)
		}
		ru.Pattern = *in.EventPattern
	}
	if in.ScheduleExpression != nil && *in.ScheduleExpression != "" {
		if _, err := parseRuleSchedule(*in.ScheduleExpression); err != nil {
			return nil, errBadSchedule
		}
		if bn != defaultBus {
			return nil, errScheduleOnBus
		}
		ru.Schedule = *in.ScheduleExpression
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buses[bn]; !ok {
		return nil, errBusNotFound(bn)
	}
	k := ruleKey(bn, in.Name)
	ru.Created = s.Now().UTC()
	if old, ok := s.rules[k]; ok {
		// PutRule replaces a rule but keeps its targets.
		ru.Targets = old.Targets
		if old.Schedule == ru.Schedule {
			ru.Created = old.Created
		}
	}
	if err := s.saveRuleLocked(ctx, k, &ru); err != nil {
		return nil, err
	}
	arn := s.ruleArn(bn, in.Name)
	if len(in.Tags) > 0 {
		if err := s.setTagsLocked(ctx, arn, in.Tags, nil); err != nil {
			return nil, err
		}
	}
	s.kickTicker()
	return struct {
		RuleArn string `json:"RuleArn"`
	}{arn}, nil
}

// saveRuleLocked writes ru to the rules table, then to memory.
func (s *Service) saveRuleLocked(ctx context.Context, k string, ru *rule) error {
	_, rev, err := s.ruleTable.Get(ctx, k)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err = s.ruleTable.Create(ctx, k, *ru)
	case err == nil:
		_, err = s.ruleTable.Update(ctx, k, *ru, rev)
	}
	if err != nil {
		return fmt.Errorf("events: save rule: %w", err)
	}
	s.rules[k] = ru
	return nil
}

// ruleRef decodes the Name and EventBusName of an operation on one rule.
type ruleRef struct {
	Name         string
	EventBusName string
}

// findLocked checks ref and returns its rule's key and rule.
func (s *Service) findLocked(ref ruleRef) (string, *rule, error) {
	if err := validRuleName(ref.Name, "name"); err != nil {
		return "", nil, err
	}
	bn, err := busName(ref.EventBusName, "eventBusName")
	if err != nil {
		return "", nil, err
	}
	k := ruleKey(bn, ref.Name)
	ru, ok := s.rules[k]
	if !ok {
		return "", nil, errRuleNotFound(ref.Name, bn)
	}
	return k, ru, nil
}

func (s *Service) describeRule(ctx context.Context, r *http.Request) (any, error) {
	var in ruleRef
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ru, err := s.findLocked(in)
	if err != nil {
		return nil, err
	}
	return struct {
		ruleOut
		CreatedBy string `json:"CreatedBy"`
	}{s.ruleOut(ru), s.Account}, nil
}

func (s *Service) listRules(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		NamePrefix   string
		EventBusName string
		NextToken    string
		Limit        *int
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.NamePrefix) > 64 {
		return nil, awsproto.Validation(in.NamePrefix, "namePrefix", cMax64)
	}
	if in.Limit != nil && (*in.Limit < 1 || *in.Limit > 100) {
		return nil, awsproto.Validation(*in.Limit, "limit", "Member must have value between 1 and 100")
	}
	bn, err := busName(in.EventBusName, "eventBusName")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buses[bn]; !ok {
		return nil, errBusNotFound(bn)
	}
	var names []string
	for _, ru := range s.rules {
		if ru.Bus == bn && strings.HasPrefix(ru.Name, in.NamePrefix) {
			names = append(names, ru.Name)
		}
	}
	sort.Strings(names)
	page, next, err := paginate(names, in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		Rules     []ruleOut `json:"Rules"`
		NextToken string    `json:"NextToken,omitempty"`
	}{Rules: []ruleOut{}, NextToken: next}
	for _, n := range page {
		out.Rules = append(out.Rules, s.ruleOut(s.rules[ruleKey(bn, n)]))
	}
	return out, nil
}

func (s *Service) deleteRule(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		ruleRef
		Force bool
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ru, err := s.findLocked(in.ruleRef)
	if err != nil {
		var ae *awsproto.Error
		if errors.As(err, &ae) && ae.Code == "ResourceNotFoundException" {
			// Deleting a rule that is not there is no error in EventBridge.
			return empty{}, nil
		}
		return nil, err
	}
	if len(ru.Targets) > 0 && !in.Force {
		return nil, errRuleHasTargets
	}
	if err := s.ruleTable.Delete(ctx, k, 0); err != nil {
		return nil, fmt.Errorf("events: delete rule: %w", err)
	}
	delete(s.rules, k)
	arn := s.ruleArn(ru.Bus, ru.Name)
	s.dropTagsLocked(ctx, arn)
	s.tickTable.Delete(ctx, key(arn), 0) //nolint:errcheck // a rule made again starts afresh anyway
	return empty{}, nil
}

func (s *Service) enableRule(ctx context.Context, r *http.Request) (any, error) {
	return s.setState(ctx, r, "ENABLED")
}

func (s *Service) disableRule(ctx context.Context, r *http.Request) (any, error) {
	return s.setState(ctx, r, "DISABLED")
}

func (s *Service) setState(ctx context.Context, r *http.Request, state string) (any, error) {
	var in ruleRef
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ru, err := s.findLocked(in)
	if err != nil {
		return nil, err
	}
	c := *ru
	c.State = state
	if err := s.saveRuleLocked(ctx, k, &c); err != nil {
		return nil, err
	}
	s.kickTicker()
	return empty{}, nil
}

func (s *Service) listRuleNamesByTarget(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		TargetArn    string
		EventBusName string
		NextToken    string
		Limit        *int
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.TargetArn) < 1 {
		return nil, awsproto.Validation(in.TargetArn, "targetArn", cMin1)
	}
	if in.Limit != nil && (*in.Limit < 1 || *in.Limit > 100) {
		return nil, awsproto.Validation(*in.Limit, "limit", "Member must have value between 1 and 100")
	}
	bn, err := busName(in.EventBusName, "eventBusName")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buses[bn]; !ok {
		return nil, errBusNotFound(bn)
	}
	var names []string
	for _, ru := range s.rules {
		if ru.Bus != bn {
			continue
		}
		for _, t := range ru.Targets {
			if t.Arn == in.TargetArn {
				names = append(names, ru.Name)
				break
			}
		}
	}
	sort.Strings(names)
	page, next, err := paginate(names, in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	return struct {
		RuleNames []string `json:"RuleNames"`
		NextToken string   `json:"NextToken,omitempty"`
	}{append([]string{}, page...), next}, nil
}
