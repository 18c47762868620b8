package resources

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

func init() {
	register("AWS::Scheduler::Schedule", schedule{})
}

type schedule struct{}

// scheduleSpec is everything CreateSchedule and UpdateSchedule both take;
// UpdateSchedule replaces the whole schedule, so both are built from it.
type scheduleSpec struct {
	expr, tz, desc, kms *string
	state               types.ScheduleState
	window              *types.FlexibleTimeWindow
	target              *types.Target
	start, end          *time.Time
	after               types.ActionAfterCompletion
}

func readSchedule(env Env, p props) (scheduleSpec, error) {
	if err := requireProps(env, p, "FlexibleTimeWindow", "ScheduleExpression", "Target"); err != nil {
		return scheduleSpec{}, err
	}
	s := scheduleSpec{expr: p.strp("ScheduleExpression"), tz: p.strp("ScheduleExpressionTimezone"), desc: p.strp("Description"),
		kms: p.strp("KmsKeyArn"), state: types.ScheduleState(p.str("State")), after: types.ActionAfterCompletion(p.str("ActionAfterCompletion"))}
	fw := p.obj("FlexibleTimeWindow")
	max, err := fw.int32p("MaximumWindowInMinutes")
	if err != nil {
		return s, err
	}
	s.window = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowMode(fw.str("Mode")), MaximumWindowInMinutes: max}
	t := p.obj("Target")
	s.target = &types.Target{Arn: t.strp("Arn"), RoleArn: t.strp("RoleArn"), Input: t.strp("Input")}
	if rp := t.obj("RetryPolicy"); rp != nil {
		age, err := rp.int32p("MaximumEventAgeInSeconds")
		if err != nil {
			return s, err
		}
		n, err := rp.int32p("MaximumRetryAttempts")
		if err != nil {
			return s, err
		}
		s.target.RetryPolicy = &types.RetryPolicy{MaximumEventAgeInSeconds: age, MaximumRetryAttempts: n}
	}
	if dl := t.obj("DeadLetterConfig"); dl != nil {
		s.target.DeadLetterConfig = &types.DeadLetterConfig{Arn: dl.strp("Arn")}
	}
	if eb := t.obj("EventBridgeParameters"); eb != nil {
		s.target.EventBridgeParameters = &types.EventBridgeParameters{DetailType: eb.strp("DetailType"), Source: eb.strp("Source")}
	}
	if sq := t.obj("SqsParameters"); sq != nil {
		s.target.SqsParameters = &types.SqsParameters{MessageGroupId: sq.strp("MessageGroupId")}
	}
	for k, dst := range map[string]**time.Time{"StartDate": &s.start, "EndDate": &s.end} {
		if v := p.str(k); v != "" {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return s, &ValidationError{Message: "Property " + k + ": " + v + " is not an ISO 8601 date-time"}
			}
			*dst = &tm
		}
	}
	return s, nil
}

type scheduleState struct {
	Name  string `json:"name"`
	Group string `json:"group,omitempty"`
}

func (schedule) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	s, err := readSchedule(env, p)
	if err != nil {
		return Result{}, err
	}
	st := scheduleState{Name: p.str("Name"), Group: p.str("GroupName")}
	if st.Name == "" {
		st.Name = physicalName(env, 64)
	}
	out, err := scheduler.NewFromConfig(env.Config).CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String(st.Name), GroupName: p.strp("GroupName"), ScheduleExpression: s.expr, ScheduleExpressionTimezone: s.tz,
		Description: s.desc, KmsKeyArn: s.kms, State: s.state, FlexibleTimeWindow: s.window, Target: s.target,
		StartDate: s.start, EndDate: s.end, ActionAfterCompletion: s.after,
	})
	if err != nil {
		return Result{}, err
	}
	return Result{PhysicalID: st.Name, Attrs: map[string]any{"Arn": aws.ToString(out.ScheduleArn)}, State: state(st)}, nil
}

func (schedule) Replaces(old, new map[string]any) bool {
	return changed(old, new, "Name", "GroupName")
}

func (schedule) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	s, err := readSchedule(env, props(new))
	if err != nil {
		return cur, err
	}
	var st scheduleState
	if err := loadState(cur, &st); err != nil {
		return cur, err
	}
	in := &scheduler.UpdateScheduleInput{
		Name: aws.String(st.Name), ScheduleExpression: s.expr, ScheduleExpressionTimezone: s.tz,
		Description: s.desc, KmsKeyArn: s.kms, State: s.state, FlexibleTimeWindow: s.window, Target: s.target,
		StartDate: s.start, EndDate: s.end, ActionAfterCompletion: s.after,
	}
	if st.Group != "" {
		in.GroupName = aws.String(st.Group)
	}
	_, err = scheduler.NewFromConfig(env.Config).UpdateSchedule(ctx, in)
	return cur, err
}

func (schedule) Delete(ctx context.Context, env Env, cur Result) error {
	var st scheduleState
	if err := loadState(cur, &st); err != nil {
		return err
	}
	in := &scheduler.DeleteScheduleInput{Name: aws.String(st.Name)}
	if st.Group != "" {
		in.GroupName = aws.String(st.Group)
	}
	_, err := scheduler.NewFromConfig(env.Config).DeleteSchedule(ctx, in)
	if isCode(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}
