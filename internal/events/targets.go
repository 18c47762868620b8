package events

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// maxTargetsPerRule is EventBridge's quota of targets on one rule.
const maxTargetsPerRule = 5

var pathsMapKeyRe = regexp.MustCompile(`^[A-Za-z0-9\_\-]+$`)

type failedTarget struct {
	TargetId     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

type targetsResult struct {
	FailedEntryCount int            `json:"FailedEntryCount"`
	FailedEntries    []failedTarget `json:"FailedEntries"`
}

// validTarget checks one target as EventBridge's model and service do; i is
// its index, for the member path of validation errors.
func validTarget(t *target, i int) error {
	f := fmt.Sprintf("targets.%d.member.", i+1)
	switch {
	case len(t.Id) < 1:
		return awsproto.Validation(t.Id, f+"id", cMin1)
	case len(t.Id) > 64:
		return awsproto.Validation(t.Id, f+"id", cMax64)
	case !targetIDRe.MatchString(t.Id):
		return awsproto.Validation(t.Id, f+"id", cPattern+`[\.\-_A-Za-z0-9]+`)
	case len(t.Arn) < 1:
		return awsproto.Validation(t.Arn, f+"arn", cMin1)
	case len(t.Arn) > 1600:
		return awsproto.Validation(t.Arn, f+"arn", cMax1600)
	case t.Input != nil && len(*t.Input) > 8192:
		return awsproto.Validation(*t.Input, f+"input", "Member must have length less than or equal to 8192")
	case t.InputPath != nil && len(*t.InputPath) > 256:
		return awsproto.Validation(*t.InputPath, f+"inputPath", cMax256)
	}
	n := 0
	for _, set := range []bool{t.Input != nil, t.InputPath != nil, t.InputTransformer != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errValidation("Only one of Input, InputPath, or InputTransformer must be provided.")
	}
	if t.Input != nil && !jsonValid(*t.Input) {
		return errValidation(fmt.Sprintf("Input for target %s contains invalid JSON text.", t.Id))
	}
	if t.InputPath != nil {
		if _, err := parsePath(*t.InputPath); err != nil {
			return errValidation(fmt.Sprintf("InputPath for target %s is invalid.", t.Id))
		}
	}
	if it := t.InputTransformer; it != nil {
		if it.InputTemplate == nil {
			return errValidation("Parameter(s) InputTemplate must be specified.")
		}
		if len(*it.InputTemplate) > 8192 {
			return awsproto.Validation(*it.InputTemplate, f+"inputTransformer.inputTemplate", "Member must have length less than or equal to 8192")
		}
		if len(it.InputPathsMap) > 100 {
			return errValidation("InputPathsMap for target " + t.Id + " can have at most 100 entries.")
		}
		for k, p := range it.InputPathsMap {
			if !pathsMapKeyRe.MatchString(k) || len(k) > 256 {
				return errValidation(fmt.Sprintf("Key '%s' in InputPathsMap is invalid.", k))
			}
			if isReservedVariable(k) {
				return errValidation(fmt.Sprintf("Key '%s' in InputPathsMap is reserved.", k))
			}
			if _, err := parsePath(p); err != nil {
				return errValidation(fmt.Sprintf("Value '%s' for key '%s' in InputPathsMap is an invalid JSONPath.", p, k))
			}
		}
		if err := checkTemplate(it); err != nil {
			return errValidation(fmt.Sprintf("InputTemplate for target %s contains invalid JSON text.", t.Id))
		}
	}
	if t.RetryPolicy != nil {
		if a := t.RetryPolicy.MaximumRetryAttempts; a != nil && (*a < 0 || *a > 185) {
			return awsproto.Validation(*a, f+"retryPolicy.maximumRetryAttempts", "Member must have value less than or equal to 185")
		}
		if a := t.RetryPolicy.MaximumEventAgeInSeconds; a != nil && (*a < 60 || *a > 86400) {
			return awsproto.Validation(*a, f+"retryPolicy.maximumEventAgeInSeconds", "Member must have value between 60 and 86400")
		}
	}
	return nil
}

func (s *Service) putTargets(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		Rule         string
		EventBusName string
		Targets      []target
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := validRuleName(in.Rule, "rule"); err != nil {
		return nil, err
	}
	if len(in.Targets) < 1 {
		return nil, awsproto.Validation("[]", "targets", cMin1)
	}
	if len(in.Targets) > 10 {
		return nil, errValidation("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	for i := range in.Targets {
		if err := validTarget(&in.Targets[i], i); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ru, err := s.findLocked(ruleRef{Name: in.Rule, EventBusName: in.EventBusName})
	if err != nil {
		return nil, err
	}
	c := *ru
	c.Targets = append([]target(nil), ru.Targets...)
	for _, t := range in.Targets {
		replaced := false
		for i := range c.Targets {
			if c.Targets[i].Id == t.Id {
				c.Targets[i], replaced = t, true
				break
			}
		}
		if !replaced {
			c.Targets = append(c.Targets, t)
		}
	}
	if len(c.Targets) > maxTargetsPerRule {
		return nil, &awsproto.Error{Code: "LimitExceededException", Status: http.StatusBadRequest,
			Message: fmt.Sprintf("The requested resource exceeds the maximum number allowed. Rule %s can have at most %d targets.", in.Rule, maxTargetsPerRule)}
	}
	if err := s.saveRuleLocked(ctx, k, &c); err != nil {
		return nil, err
	}
	return targetsResult{FailedEntries: []failedTarget{}}, nil
}

func (s *Service) removeTargets(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		Rule         string
		EventBusName string
		Ids          []string
		Force        bool
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := validRuleName(in.Rule, "rule"); err != nil {
		return nil, err
	}
	if len(in.Ids) < 1 {
		return nil, awsproto.Validation("[]", "ids", cMin1)
	}
	if len(in.Ids) > 100 {
		return nil, errValidation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ru, err := s.findLocked(ruleRef{Name: in.Rule, EventBusName: in.EventBusName})
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, id := range in.Ids {
		drop[id] = true
	}
	c := *ru
	c.Targets = nil
	for _, t := range ru.Targets {
		if !drop[t.Id] {
			c.Targets = append(c.Targets, t)
		}
	}
	if err := s.saveRuleLocked(ctx, k, &c); err != nil {
		return nil, err
	}
	return targetsResult{FailedEntries: []failedTarget{}}, nil
}

func (s *Service) listTargetsByRule(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		Rule         string
		EventBusName string
		NextToken    string
		Limit        *int
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := validRuleName(in.Rule, "rule"); err != nil {
		return nil, err
	}
	if in.Limit != nil && (*in.Limit < 1 || *in.Limit > 100) {
		return nil, awsproto.Validation(*in.Limit, "limit", "Member must have value between 1 and 100")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ru, err := s.findLocked(ruleRef{Name: in.Rule, EventBusName: in.EventBusName})
	if err != nil {
		return nil, err
	}
	byID := map[string]target{}
	ids := make([]string, 0, len(ru.Targets))
	for _, t := range ru.Targets {
		byID[t.Id] = t
		ids = append(ids, t.Id)
	}
	sort.Strings(ids)
	page, next, err := paginate(ids, in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		Targets   []target `json:"Targets"`
		NextToken string   `json:"NextToken,omitempty"`
	}{Targets: []target{}, NextToken: next}
	for _, id := range page {
		out.Targets = append(out.Targets, byID[id])
	}
	return out, nil
}
