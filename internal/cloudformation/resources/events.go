package resources

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func init() {
	register("AWS::Events::Rule", eventsRule{})
}

type eventsRule struct{}

// ruleState names the rule for Update and Delete: the physical id is only the
// name for rules on the default bus.
type ruleState struct {
	Name string `json:"name"`
	Bus  string `json:"bus,omitempty"`
}

func (eventsRule) put(ctx context.Context, c *eventbridge.Client, st ruleState, p props) (*eventbridge.PutRuleOutput, error) {
	pattern, err := p.jsonDoc("EventPattern")
	if err != nil {
		return nil, err
	}
	state := p.str("State")
	if state == "" {
		state = "ENABLED"
	}
	in := &eventbridge.PutRuleInput{Name: aws.String(st.Name), Description: p.strp("Description"),
		ScheduleExpression: p.strp("ScheduleExpression"), State: types.RuleState(state), RoleArn: p.strp("RoleArn")}
	if pattern != "" {
		in.EventPattern = aws.String(pattern)
	}
	if st.Bus != "" {
		in.EventBusName = aws.String(st.Bus)
	}
	return c.PutRule(ctx, in)
}

func ruleTargets(p props) ([]types.Target, error) {
	var out []types.Target
	for _, t := range p.list("Targets") {
		tg := types.Target{Id: t.strp("Id"), Arn: t.strp("Arn"), Input: t.strp("Input"), InputPath: t.strp("InputPath"), RoleArn: t.strp("RoleArn")}
		if it := t.obj("InputTransformer"); it != nil {
			paths := map[string]string{}
			for k, v := range it.obj("InputPathsMap") {
				paths[k] = scalarString(v)
			}
			tg.InputTransformer = &types.InputTransformer{InputPathsMap: paths, InputTemplate: it.strp("InputTemplate")}
		}
		if rp := t.obj("RetryPolicy"); rp != nil {
			age, err := rp.int32p("MaximumEventAgeInSeconds")
			if err != nil {
				return nil, err
			}
			n, err := rp.int32p("MaximumRetryAttempts")
			if err != nil {
				return nil, err
			}
			tg.RetryPolicy = &types.RetryPolicy{MaximumEventAgeInSeconds: age, MaximumRetryAttempts: n}
		}
		if dl := t.obj("DeadLetterConfig"); dl != nil {
			tg.DeadLetterConfig = &types.DeadLetterConfig{Arn: dl.strp("Arn")}
		}
		if sq := t.obj("SqsParameters"); sq != nil {
			tg.SqsParameters = &types.SqsParameters{MessageGroupId: sq.strp("MessageGroupId")}
		}
		out = append(out, tg)
	}
	return out, nil
}

// putTargets reports a target the service refused as the error it gave.
func putTargets(ctx context.Context, c *eventbridge.Client, st ruleState, targets []types.Target) error {
	if len(targets) == 0 {
		return nil
	}
	in := &eventbridge.PutTargetsInput{Rule: aws.String(st.Name), Targets: targets}
	if st.Bus != "" {
		in.EventBusName = aws.String(st.Bus)
	}
	out, err := c.PutTargets(ctx, in)
	if err != nil {
		return err
	}
	if len(out.FailedEntries) > 0 {
		f := out.FailedEntries[0]
		return &ValidationError{Message: aws.ToString(f.ErrorCode) + ": " + aws.ToString(f.ErrorMessage)}
	}
	return nil
}

func removeTargets(ctx context.Context, c *eventbridge.Client, st ruleState, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	in := &eventbridge.RemoveTargetsInput{Rule: aws.String(st.Name), Ids: ids}
	if st.Bus != "" {
		in.EventBusName = aws.String(st.Bus)
	}
	_, err := c.RemoveTargets(ctx, in)
	return err
}

func (r eventsRule) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if !p.has("EventPattern") && !p.has("ScheduleExpression") {
		return Result{}, &ValidationError{Message: "Either EventPattern or ScheduleExpression must be specified."}
	}
	st := ruleState{Name: p.str("Name"), Bus: p.str("EventBusName")}
	if strings.HasPrefix(st.Bus, "arn:") {
		st.Bus = st.Bus[strings.LastIndex(st.Bus, "/")+1:]
	}
	if st.Bus == "default" {
		st.Bus = ""
	}
	if st.Name == "" {
		st.Name = physicalName(env, 64)
	}
	targets, err := ruleTargets(p)
	if err != nil {
		return Result{}, err
	}
	c := eventbridge.NewFromConfig(env.Config)
	out, err := r.put(ctx, c, st, p)
	if err != nil {
		return Result{}, err
	}
	id := st.Name
	if st.Bus != "" {
		id = st.Bus + "|" + st.Name
	}
	res := Result{PhysicalID: id, Attrs: map[string]any{"Arn": aws.ToString(out.RuleArn)}, State: state(st)}
	return res, putTargets(ctx, c, st, targets)
}

func (eventsRule) Replaces(old, new map[string]any) bool {
	return changed(old, new, "Name", "EventBusName")
}

func (r eventsRule) Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	p := props(new)
	var st ruleState
	if err := loadState(cur, &st); err != nil {
		return cur, err
	}
	targets, err := ruleTargets(p)
	if err != nil {
		return cur, err
	}
	c := eventbridge.NewFromConfig(env.Config)
	if _, err := r.put(ctx, c, st, p); err != nil {
		return cur, err
	}
	keep := map[string]bool{}
	for _, t := range targets {
		keep[aws.ToString(t.Id)] = true
	}
	var gone []string
	for _, t := range props(old).list("Targets") {
		if !keep[t.str("Id")] {
			gone = append(gone, t.str("Id"))
		}
	}
	if err := removeTargets(ctx, c, st, gone); err != nil {
		return cur, err
	}
	return cur, putTargets(ctx, c, st, targets)
}

// Delete removes the rule's targets first: EventBridge refuses to delete a
// rule that has any.
func (eventsRule) Delete(ctx context.Context, env Env, cur Result) error {
	var st ruleState
	if err := loadState(cur, &st); err != nil {
		return err
	}
	c := eventbridge.NewFromConfig(env.Config)
	list := &eventbridge.ListTargetsByRuleInput{Rule: aws.String(st.Name)}
	if st.Bus != "" {
		list.EventBusName = aws.String(st.Bus)
	}
	out, err := c.ListTargetsByRule(ctx, list)
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	if err != nil {
		return err
	}
	var ids []string
	for _, t := range out.Targets {
		ids = append(ids, aws.ToString(t.Id))
	}
	if err := removeTargets(ctx, c, st, ids); err != nil {
		return err
	}
	del := &eventbridge.DeleteRuleInput{Name: aws.String(st.Name)}
	if st.Bus != "" {
		del.EventBusName = aws.String(st.Bus)
	}
	_, err = c.DeleteRule(ctx, del)
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}
