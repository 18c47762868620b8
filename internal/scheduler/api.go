package scheduler

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/schedule"
	"github.com/stratus-run/stratus/internal/store"
)

var (
	namePattern = regexp.MustCompile(`^[0-9a-zA-Z-_.]{1,64}$`)
	sqsArn      = regexp.MustCompile(`^arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$`)
)

const maxGroups = 500

// scheduleInput is CreateSchedule's and UpdateSchedule's body.
type scheduleInput struct {
	ActionAfterCompletion      *string         `json:"ActionAfterCompletion"`
	ClientToken                *string         `json:"ClientToken"`
	Description                *string         `json:"Description"`
	EndDate                    *epoch          `json:"EndDate"`
	FlexibleTimeWindow         *flexibleWindow `json:"FlexibleTimeWindow"`
	GroupName                  *string         `json:"GroupName"`
	KmsKeyArn                  *string         `json:"KmsKeyArn"`
	ScheduleExpression         *string         `json:"ScheduleExpression"`
	ScheduleExpressionTimezone *string         `json:"ScheduleExpressionTimezone"`
	StartDate                  *epoch          `json:"StartDate"`
	State                      *string         `json:"State"`
	Target                     *target         `json:"Target"`
}

// scheduleOutput is GetSchedule's output.
type scheduleOutput struct {
	ActionAfterCompletion      string         `json:"ActionAfterCompletion"`
	Arn                        string         `json:"Arn"`
	CreationDate               epoch          `json:"CreationDate"`
	Description                string         `json:"Description,omitempty"`
	EndDate                    *epoch         `json:"EndDate,omitempty"`
	FlexibleTimeWindow         flexibleWindow `json:"FlexibleTimeWindow"`
	GroupName                  string         `json:"GroupName"`
	KmsKeyArn                  string         `json:"KmsKeyArn,omitempty"`
	LastModificationDate       epoch          `json:"LastModificationDate"`
	Name                       string         `json:"Name"`
	ScheduleExpression         string         `json:"ScheduleExpression"`
	ScheduleExpressionTimezone string         `json:"ScheduleExpressionTimezone,omitempty"`
	StartDate                  *epoch         `json:"StartDate,omitempty"`
	State                      string         `json:"State"`
	Target                     target         `json:"Target"`
}

func readBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errValidation("Invalid request body: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func groupOf(v *string) string {
	if v == nil || *v == "" {
		return defaultGroup
	}
	return *v
}

func (s *Service) createSchedule(ctx context.Context, r *http.Request, name string) (any, error) {
	var in scheduleInput
	if err := readBody(r, &in); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	sc, err := s.checkSchedule(name, &in, now)
	if err != nil {
		return nil, err
	}
	sc.Created, sc.Modified, sc.Since = now, now, s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[sc.GroupName]; !ok {
		return nil, errGroupNotFound(sc.GroupName)
	}
	k := key(sc.GroupName, sc.Name)
	if _, ok := s.schedules[k]; ok {
		return nil, errConflict("Schedule %s already exists.", sc.Name)
	}
	if _, err := s.scheduleTable.Create(ctx, k, *sc); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, errConflict("Schedule %s already exists.", sc.Name)
		}
		return nil, err
	}
	// A schedule of the same name created earlier left its last tick: this
	// one starts afresh.
	s.forgetTick(ctx, k)
	s.schedules[k] = sc
	s.kickTicker()
	return map[string]string{"ScheduleArn": s.scheduleArn(sc.GroupName, sc.Name)}, nil
}

func (s *Service) updateSchedule(ctx context.Context, r *http.Request, name string) (any, error) {
	var in scheduleInput
	if err := readBody(r, &in); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	sc, err := s.checkSchedule(name, &in, now)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(sc.GroupName, sc.Name)
	old, ok := s.schedules[k]
	if !ok {
		return nil, errScheduleNotFound(sc.GroupName, sc.Name)
	}
	// UpdateSchedule replaces every field; the creation date stays. A new
	// expression, or a schedule enabled again, counts its occurrences from
	// now: none missed in between fires.
	sc.Created, sc.Modified, sc.Since = old.Created, now, old.Since
	if old.ScheduleExpression != sc.ScheduleExpression || old.ScheduleExpressionTimezone != sc.ScheduleExpressionTimezone ||
		old.State == "DISABLED" && sc.State == "ENABLED" {
		sc.Since = s.clock.Now()
	}
	_, rev, err := s.scheduleTable.Get(ctx, k)
	if err != nil {
		return nil, err
	}
	if _, err := s.scheduleTable.Update(ctx, k, *sc, rev); err != nil {
		return nil, err
	}
	s.schedules[k] = sc
	s.kickTicker()
	return map[string]string{"ScheduleArn": s.scheduleArn(sc.GroupName, sc.Name)}, nil
}

// checkSchedule validates a CreateSchedule or UpdateSchedule body into the
// schedule it describes.
func (s *Service) checkSchedule(name string, in *scheduleInput, now time.Time) (*sched, error) {
	if !namePattern.MatchString(name) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+", name)
	}
	g := groupOf(in.GroupName)
	if !namePattern.MatchString(g) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+", g)
	}
	sc := &sched{Name: name, GroupName: g, State: "ENABLED", ActionAfterCompletion: "NONE"}
	if in.ScheduleExpression == nil || *in.ScheduleExpression == "" {
		return nil, errValidation("ScheduleExpression is required.")
	}
	sc.ScheduleExpression = *in.ScheduleExpression
	loc := time.UTC
	if in.ScheduleExpressionTimezone != nil && *in.ScheduleExpressionTimezone != "" {
		l, err := time.LoadLocation(*in.ScheduleExpressionTimezone)
		if err != nil || *in.ScheduleExpressionTimezone == "Local" {
			return nil, errValidation("Invalid time zone: %s.", *in.ScheduleExpressionTimezone)
		}
		loc = l
		sc.ScheduleExpressionTimezone = *in.ScheduleExpressionTimezone
	}
	if _, err := schedule.Parse(sc.ScheduleExpression, loc); err != nil {
		return nil, errValidation("Invalid Schedule Expression %s.", sc.ScheduleExpression)
	}
	sc.StartDate, sc.EndDate = timeOf(in.StartDate), timeOf(in.EndDate)
	if sc.StartDate != nil && sc.EndDate != nil && !sc.EndDate.After(*sc.StartDate) {
		return nil, errValidation("The EndDate must be after the StartDate.")
	}
	if sc.EndDate != nil && !sc.EndDate.After(now) {
		return nil, errValidation("The EndDate must be in the future.")
	}
	if in.Description != nil {
		if len(*in.Description) > 512 {
			return nil, errValidation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512")
		}
		sc.Description = *in.Description
	}
	if in.State != nil {
		if *in.State != "ENABLED" && *in.State != "DISABLED" {
			return nil, errValidation("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]", *in.State)
		}
		sc.State = *in.State
	}
	if in.ActionAfterCompletion != nil {
		if *in.ActionAfterCompletion != "NONE" && *in.ActionAfterCompletion != "DELETE" {
			return nil, errValidation("1 validation error detected: Value '%s' at 'actionAfterCompletion' failed to satisfy constraint: Member must satisfy enum value set: [NONE, DELETE]", *in.ActionAfterCompletion)
		}
		sc.ActionAfterCompletion = *in.ActionAfterCompletion
	}
	if in.KmsKeyArn != nil {
		sc.KmsKeyArn = *in.KmsKeyArn
	}
	fw := in.FlexibleTimeWindow
	if fw == nil {
		return nil, errValidation("FlexibleTimeWindow is required.")
	}
	switch fw.Mode {
	case "OFF":
		if fw.MaximumWindowInMinutes != nil {
			return nil, errValidation("MaximumWindowInMinutes is only allowed when Mode is FLEXIBLE.")
		}
	case "FLEXIBLE":
		if fw.MaximumWindowInMinutes == nil || *fw.MaximumWindowInMinutes < 1 || *fw.MaximumWindowInMinutes > 1440 {
			return nil, errValidation("MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE.")
		}
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'flexibleTimeWindow.mode' failed to satisfy constraint: Member must satisfy enum value set: [OFF, FLEXIBLE]", fw.Mode)
	}
	sc.FlexibleTimeWindow = *fw
	if in.Target == nil {
		return nil, errValidation("Target is required.")
	}
	if err := checkTarget(in.Target); err != nil {
		return nil, err
	}
	sc.Target = *in.Target
	return sc, nil
}

func checkTarget(t *target) error {
	if t.Arn == "" || t.RoleArn == "" {
		return errValidation("Target Arn and RoleArn are required.")
	}
	switch targetService(t.Arn) {
	case "lambda", "sqs", "sns":
		if t.EventBridgeParameters != nil {
			return errValidation("EventBridgeParameters are only allowed for an EventBridge event bus target.")
		}
	case "events":
		if p := t.EventBridgeParameters; p == nil || p.DetailType == "" || p.Source == "" {
			return errValidation("EventBridgeParameters with DetailType and Source are required for an EventBridge event bus target.")
		}
	case "scheduler":
		return errValidation("Universal targets (%s) are not supported by Stratus; use a Lambda function, SQS queue, SNS topic or EventBridge bus.", t.Arn)
	default:
		return errValidation("Invalid target ARN %s.", t.Arn)
	}
	if t.SqsParameters != nil && targetService(t.Arn) != "sqs" {
		return errValidation("SqsParameters are only allowed for an SQS queue target.")
	}
	if len(t.EcsParameters) > 0 || len(t.KinesisParameters) > 0 || len(t.SageMakerParameters) > 0 {
		return errValidation("ECS, Kinesis and SageMaker targets are not supported by Stratus.")
	}
	if p := t.RetryPolicy; p != nil {
		if a := p.MaximumEventAgeInSeconds; a != nil && (*a < 60 || *a > 86400) {
			return errValidation("1 validation error detected: Value '%d' at 'target.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400", *a)
		}
		if a := p.MaximumRetryAttempts; a != nil && (*a < 0 || *a > 185) {
			return errValidation("1 validation error detected: Value '%d' at 'target.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185", *a)
		}
	}
	if dl := t.DeadLetterConfig; dl != nil && dl.Arn != "" && !sqsArn.MatchString(dl.Arn) {
		return errValidation("1 validation error detected: Value '%s' at 'target.deadLetterConfig.arn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[a-z]+)?:sqs:[a-z0-9\\-]+:\\d{12}:[a-zA-Z0-9\\-_]+", dl.Arn)
	}
	if t.Input != nil && len(*t.Input) > 8192 {
		return errValidation("Target Input must be at most 8192 characters.")
	}
	return nil
}

// targetService is the service of an ARN: arn:aws:<service>:...
func targetService(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	switch {
	case parts[2] == "lambda" && strings.HasPrefix(parts[5], "function:"),
		parts[2] == "sqs", parts[2] == "sns",
		parts[2] == "events" && strings.HasPrefix(parts[5], "event-bus/"),
		parts[2] == "scheduler":
		return parts[2]
	}
	return ""
}

func (s *Service) getSchedule(ctx context.Context, r *http.Request, name string) (any, error) {
	g := groupOf(ptr(r.URL.Query().Get("groupName")))
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[g]; !ok {
		return nil, errGroupNotFound(g)
	}
	sc, ok := s.schedules[key(g, name)]
	if !ok {
		return nil, errScheduleNotFound(g, name)
	}
	return scheduleOutput{ActionAfterCompletion: sc.ActionAfterCompletion, Arn: s.scheduleArn(g, name),
		CreationDate: epoch(sc.Created), Description: sc.Description, EndDate: epochOf(sc.EndDate),
		FlexibleTimeWindow: sc.FlexibleTimeWindow, GroupName: g, KmsKeyArn: sc.KmsKeyArn,
		LastModificationDate: epoch(sc.Modified), Name: name, ScheduleExpression: sc.ScheduleExpression,
		ScheduleExpressionTimezone: sc.ScheduleExpressionTimezone, StartDate: epochOf(sc.StartDate),
		State: sc.State, Target: sc.Target}, nil
}

func (s *Service) deleteSchedule(ctx context.Context, r *http.Request, name string) (any, error) {
	g := groupOf(ptr(r.URL.Query().Get("groupName")))
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(g, name)
	if _, ok := s.schedules[k]; !ok {
		return nil, errScheduleNotFound(g, name)
	}
	if err := s.removeSchedule(ctx, k); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// removeSchedule deletes a schedule; s.mu is held.
func (s *Service) removeSchedule(ctx context.Context, k string) error {
	if err := s.scheduleTable.Delete(ctx, k, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	delete(s.schedules, k)
	s.forgetTick(ctx, k)
	return nil
}

// forgetTick drops the last tick of a schedule that is gone; s.mu is held.
func (s *Service) forgetTick(ctx context.Context, k string) {
	s.tickTable.Delete(ctx, k, 0) //nolint:errcheck // absent is fine
	delete(s.last, k)
}

type scheduleSummary struct {
	Arn                  string            `json:"Arn"`
	CreationDate         epoch             `json:"CreationDate"`
	GroupName            string            `json:"GroupName"`
	LastModificationDate epoch             `json:"LastModificationDate"`
	Name                 string            `json:"Name"`
	State                string            `json:"State"`
	Target               map[string]string `json:"Target"`
}

func (s *Service) listSchedules(ctx context.Context, r *http.Request, _ string) (any, error) {
	q := r.URL.Query()
	limit, start, err := paging(q.Get("MaxResults"), q.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	g, prefix, state := q.Get("ScheduleGroup"), q.Get("NamePrefix"), q.Get("State")
	if state != "" && state != "ENABLED" && state != "DISABLED" {
		return nil, errValidation("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]", state)
	}
	s.mu.Lock()
	var all []*sched
	for _, sc := range s.schedules {
		if (g == "" || sc.GroupName == g) && strings.HasPrefix(sc.Name, prefix) && (state == "" || sc.State == state) {
			all = append(all, sc)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b *sched) int {
		return strings.Compare(a.GroupName+"/"+a.Name, b.GroupName+"/"+b.Name)
	})
	out := struct {
		NextToken string            `json:"NextToken,omitempty"`
		Schedules []scheduleSummary `json:"Schedules"`
	}{Schedules: []scheduleSummary{}}
	for _, sc := range all {
		id := sc.GroupName + "/" + sc.Name
		if id <= start {
			continue
		}
		if len(out.Schedules) == limit {
			out.NextToken = token(out.Schedules[limit-1].GroupName + "/" + out.Schedules[limit-1].Name)
			break
		}
		out.Schedules = append(out.Schedules, scheduleSummary{Arn: s.scheduleArn(sc.GroupName, sc.Name),
			CreationDate: epoch(sc.Created), GroupName: sc.GroupName, LastModificationDate: epoch(sc.Modified),
			Name: sc.Name, State: sc.State, Target: map[string]string{"Arn": sc.Target.Arn}})
	}
	return out, nil
}

// paging reads MaxResults (1..100, default 100) and NextToken, which is the
// last id of the page before.
func paging(maxResults, next string) (int, string, error) {
	limit := 100
	if maxResults != "" {
		n, err := strconv.Atoi(maxResults)
		if err != nil || n < 1 || n > 100 {
			return 0, "", errValidation("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", maxResults)
		}
		limit = n
	}
	start := ""
	if next != "" {
		b, err := base64.RawURLEncoding.DecodeString(next)
		if err != nil || len(b) == 0 {
			return 0, "", errValidation("Invalid NextToken.")
		}
		start = string(b)
	}
	return limit, start, nil
}

func token(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }

type groupOutput struct {
	Arn                  string `json:"Arn"`
	CreationDate         epoch  `json:"CreationDate"`
	LastModificationDate epoch  `json:"LastModificationDate"`
	Name                 string `json:"Name"`
	State                string `json:"State"`
}

func (s *Service) groupOut(g *group) groupOutput {
	return groupOutput{Arn: s.groupArn(g.Name), CreationDate: epoch(g.Created), LastModificationDate: epoch(g.Modified), Name: g.Name, State: "ACTIVE"}
}

type tagList []struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func (t tagList) check() error {
	if len(t) > 200 {
		return errValidation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200")
	}
	for _, kv := range t {
		if kv.Key == "" || len(kv.Key) > 128 || len(kv.Value) > 256 {
			return errValidation("Tag keys must be 1 to 128 characters and values at most 256.")
		}
	}
	return nil
}

func (s *Service) createGroup(ctx context.Context, r *http.Request, name string) (any, error) {
	var in struct {
		ClientToken *string `json:"ClientToken"`
		Tags        tagList `json:"Tags"`
	}
	if err := readBody(r, &in); err != nil {
		return nil, err
	}
	if !namePattern.MatchString(name) {
		return nil, errValidation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+", name)
	}
	if err := in.Tags.check(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[name]; ok {
		return nil, errConflict("Schedule group %s already exists.", name)
	}
	if len(s.groups) >= maxGroups {
		return nil, errQuota("schedule groups", maxGroups)
	}
	now := s.Now().UTC()
	g := &group{Name: name, Created: now, Modified: now}
	if _, err := s.groupTable.Create(ctx, key(name), *g); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, errConflict("Schedule group %s already exists.", name)
		}
		return nil, err
	}
	s.groups[name] = g
	if len(in.Tags) > 0 {
		if err := s.putTags(ctx, s.groupArn(name), in.Tags, nil); err != nil {
			return nil, err
		}
	}
	return map[string]string{"ScheduleGroupArn": s.groupArn(name)}, nil
}

func (s *Service) getGroup(ctx context.Context, r *http.Request, name string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[name]
	if !ok {
		return nil, errGroupNotFound(name)
	}
	return s.groupOut(g), nil
}

func (s *Service) deleteGroup(ctx context.Context, r *http.Request, name string) (any, error) {
	if name == defaultGroup {
		return nil, errValidation("The default schedule group cannot be deleted.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[name]; !ok {
		return nil, errGroupNotFound(name)
	}
	// The group's schedules go with it.
	for k, sc := range s.schedules {
		if sc.GroupName == name {
			if err := s.removeSchedule(ctx, k); err != nil {
				return nil, err
			}
		}
	}
	if err := s.groupTable.Delete(ctx, key(name), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	delete(s.groups, name)
	arn := s.groupArn(name)
	s.tagTable.Delete(ctx, hex.EncodeToString([]byte(arn)), 0) //nolint:errcheck
	delete(s.tags, arn)
	return struct{}{}, nil
}

func (s *Service) listGroups(ctx context.Context, r *http.Request, _ string) (any, error) {
	q := r.URL.Query()
	limit, start, err := paging(q.Get("MaxResults"), q.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	prefix := q.Get("NamePrefix")
	s.mu.Lock()
	var names []string
	for n := range s.groups {
		if strings.HasPrefix(n, prefix) && n > start {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	out := struct {
		NextToken      string        `json:"NextToken,omitempty"`
		ScheduleGroups []groupOutput `json:"ScheduleGroups"`
	}{ScheduleGroups: []groupOutput{}}
	for i, n := range names {
		if i == limit {
			out.NextToken = token(names[limit-1])
			break
		}
		out.ScheduleGroups = append(out.ScheduleGroups, s.groupOut(s.groups[n]))
	}
	s.mu.Unlock()
	return out, nil
}

// taggable finds the group an ARN names: only groups carry tags.
func (s *Service) taggable(arn string) error {
	prefix := "arn:aws:scheduler:" + s.Region + ":" + s.Account + ":schedule-group/"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		if strings.HasPrefix(arn, "arn:aws:scheduler:") {
			return errNotFound("Resource %s does not exist.", arn)
		}
		return errValidation("Invalid ARN %s.", arn)
	}
	if _, ok := s.groups[name]; !ok {
		return errGroupNotFound(name)
	}
	return nil
}

func (s *Service) tagResource(ctx context.Context, r *http.Request, arn string) (any, error) {
	var in struct {
		Tags tagList `json:"Tags"`
	}
	if err := readBody(r, &in); err != nil {
		return nil, err
	}
	if err := in.Tags.check(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.taggable(arn); err != nil {
		return nil, err
	}
	return struct{}{}, s.putTags(ctx, arn, in.Tags, nil)
}

func (s *Service) untagResource(ctx context.Context, r *http.Request, arn string) (any, error) {
	keys := r.URL.Query()["TagKeys"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.taggable(arn); err != nil {
		return nil, err
	}
	return struct{}{}, s.putTags(ctx, arn, nil, keys)
}

func (s *Service) listTags(ctx context.Context, r *http.Request, arn string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.taggable(arn); err != nil {
		return nil, err
	}
	out := struct {
		Tags tagList `json:"Tags"`
	}{Tags: tagList{}}
	keys := make([]string, 0, len(s.tags[arn]))
	for k := range s.tags[arn] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out.Tags = append(out.Tags, struct {
			Key   string `json:"Key"`
			Value string `json:"Value"`
		}{k, s.tags[arn][k]})
	}
	return out, nil
}

// putTags adds and removes tags of arn, writing through; s.mu is held.
func (s *Service) putTags(ctx context.Context, arn string, add tagList, remove []string) error {
	next := map[string]string{}
	for k, v := range s.tags[arn] {
		next[k] = v
	}
	for _, kv := range add {
		next[kv.Key] = kv.Value
	}
	for _, k := range remove {
		delete(next, k)
	}
	if len(next) > 200 {
		return errValidation("A resource can have at most 200 tags.")
	}
	k := hex.EncodeToString([]byte(arn))
	_, rev, err := s.tagTable.Get(ctx, k)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err = s.tagTable.Create(ctx, k, next)
	case err == nil:
		_, err = s.tagTable.Update(ctx, k, next, rev)
	}
	if err != nil {
		return fmt.Errorf("scheduler: tags: %w", err)
	}
	s.tags[arn] = next
	return nil
}

func unhex(k string) (string, bool) {
	b, err := hex.DecodeString(k)
	return string(b), err == nil
}

func ptr(s string) *string { return &s }
