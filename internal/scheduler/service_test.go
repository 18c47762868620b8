package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/store"
)

// recorder is a Sender at the package's boundary: it records what it was
// sent and fails for the ARNs in fail.
type recorder struct {
	mu   sync.Mutex
	sent map[string][]eventsource.Message
	fail map[string]error
}

func (r *recorder) Send(ctx context.Context, arn string, m eventsource.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.fail[arn]; err != nil {
		return "", err
	}
	r.sent[arn] = append(r.sent[arn], m)
	return "id", nil
}

func (r *recorder) got(arn string) []eventsource.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]eventsource.Message(nil), r.sent[arn]...)
}

func (r *recorder) wait(t *testing.T, arn string, n int) []eventsource.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := r.got(arn)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %d messages, want %d", arn, len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type rig struct {
	t   *testing.T
	st  *store.Store
	rec *recorder
	svc *Service
	srv *httptest.Server
	c   *scheduler.Client
}

func newRig(t *testing.T, minute time.Duration) *rig {
	t.Helper()
	st := &store.Store{Dir: t.TempDir()}
	if err := st.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, rec: &recorder{sent: map[string][]eventsource.Message{}, fail: map[string]error{}}}
	r.open(minute)
	t.Cleanup(func() {
		r.close()
		st.Close(context.Background()) //nolint:errcheck
	})
	return r
}

func (r *rig) open(minute time.Duration) {
	r.t.Helper()
	r.svc = &Service{Store: r.st, Targets: r.rec, Minute: minute, RetryDelay: 20 * time.Millisecond}
	if err := r.svc.Open(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.srv = httptest.NewServer(r.svc)
	r.c = scheduler.New(scheduler.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(r.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("a", "b", ""),
	})
}

func (r *rig) close() {
	if r.srv == nil {
		return
	}
	r.srv.Close()
	r.svc.Close(context.Background()) //nolint:errcheck
	r.srv = nil
}

const (
	fnArn    = "arn:aws:lambda:us-east-1:000000000000:function:fn"
	queueArn = "arn:aws:sqs:us-east-1:000000000000:q"
	dlqArn   = "arn:aws:sqs:us-east-1:000000000000:dlq"
	busArn   = "arn:aws:events:us-east-1:000000000000:event-bus/default"
	role     = "arn:aws:iam::000000000000:role/r"
)

func off() *types.FlexibleTimeWindow {
	return &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}
}

// wantErr checks an error's code and HTTP status.
func wantErr(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error %v, want %s", err, code)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Fatalf("%s: status %d, want %d", code, re.HTTPStatusCode(), status)
	}
}

func TestSchedulesAndGroups(t *testing.T) {
	r := newRig(t, 0)
	ctx := context.Background()
	g, err := r.c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("team"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}}})
	if err != nil {
		t.Fatal(err)
	}
	if *g.ScheduleGroupArn != "arn:aws:scheduler:us-east-1:000000000000:schedule-group/team" {
		t.Fatalf("group arn %s", *g.ScheduleGroupArn)
	}
	_, err = r.c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("team")})
	wantErr(t, err, "ConflictException", 409)

	start := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	out, err := r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("nightly"), GroupName: aws.String("team"),
		ScheduleExpression:         aws.String("cron(30 2 * * ? *)"),
		ScheduleExpressionTimezone: aws.String("Europe/Berlin"),
		StartDate:                  aws.Time(start),
		Description:                aws.String("backs up"),
		FlexibleTimeWindow:         &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(15)},
		Target: &types.Target{Arn: aws.String(queueArn), RoleArn: aws.String(role), Input: aws.String(`{"a":1}`),
			RetryPolicy:      &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(300), MaximumRetryAttempts: aws.Int32(3)},
			DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(dlqArn)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *out.ScheduleArn != "arn:aws:scheduler:us-east-1:000000000000:schedule/team/nightly" {
		t.Fatalf("schedule arn %s", *out.ScheduleArn)
	}
	got, err := r.c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly"), GroupName: aws.String("team")})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Arn != *out.ScheduleArn || *got.GroupName != "team" || *got.ScheduleExpression != "cron(30 2 * * ? *)" ||
		*got.ScheduleExpressionTimezone != "Europe/Berlin" || got.State != types.ScheduleStateEnabled ||
		got.ActionAfterCompletion != types.ActionAfterCompletionNone || !got.StartDate.Equal(start) ||
		got.FlexibleTimeWindow.Mode != types.FlexibleTimeWindowModeFlexible || *got.FlexibleTimeWindow.MaximumWindowInMinutes != 15 ||
		*got.Target.Input != `{"a":1}` || *got.Target.RetryPolicy.MaximumRetryAttempts != 3 || *got.Target.DeadLetterConfig.Arn != dlqArn ||
		*got.Description != "backs up" || got.CreationDate == nil || got.LastModificationDate == nil {
		b, _ := json.Marshal(got)
		t.Fatalf("GetSchedule %s", b)
	}
	if time.Since(*got.CreationDate) > time.Minute {
		t.Fatalf("creation date %v", got.CreationDate)
	}

	_, err = r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("nightly"), GroupName: aws.String("team"),
		ScheduleExpression: aws.String("rate(1 hour)"), FlexibleTimeWindow: off(),
		Target: &types.Target{Arn: aws.String(fnArn), RoleArn: aws.String(role)}})
	wantErr(t, err, "ConflictException", 409)
	_, err = r.c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly")})
	wantErr(t, err, "ResourceNotFoundException", 404)
	_, err = r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("x"), GroupName: aws.String("nogroup"),
		ScheduleExpression: aws.String("rate(1 hour)"), FlexibleTimeWindow: off(),
		Target: &types.Target{Arn: aws.String(fnArn), RoleArn: aws.String(role)}})
	wantErr(t, err, "ResourceNotFoundException", 404)

	for i := range 5 {
		if _, err := r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String(fmt.Sprintf("job-%d", i)),
			ScheduleExpression: aws.String("rate(1 hour)"), FlexibleTimeWindow: off(), State: types.ScheduleStateDisabled,
			Target: &types.Target{Arn: aws.String(fnArn), RoleArn: aws.String(role)}}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := scheduler.NewListSchedulesPaginator(r.c, &scheduler.ListSchedulesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Schedules) > 2 {
			t.Fatalf("page of %d", len(page.Schedules))
		}
		for _, s := range page.Schedules {
			names = append(names, *s.GroupName+"/"+*s.Name)
			if *s.Target.Arn == "" || s.CreationDate == nil {
				t.Fatalf("summary %+v", s)
			}
		}
	}
	want := []string{"default/job-0", "default/job-1", "default/job-2", "default/job-3", "default/job-4", "team/nightly"}
	if !slices.Equal(names, want) {
		t.Fatalf("listed %v", names)
	}
	l, err := r.c.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String("team"), State: types.ScheduleStateEnabled})
	if err != nil || len(l.Schedules) != 1 || *l.Schedules[0].Name != "nightly" {
		t.Fatalf("filtered list %v %v", l, err)
	}
	l, err = r.c.ListSchedules(ctx, &scheduler.ListSchedulesInput{NamePrefix: aws.String("job-"), State: types.ScheduleStateDisabled})
	if err != nil || len(l.Schedules) != 5 {
		t.Fatalf("prefix list %v %v", l, err)
	}

	// UpdateSchedule replaces the whole schedule.
	if _, err := r.c.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: aws.String("job-0"),
		ScheduleExpression: aws.String("rate(5 minutes)"), FlexibleTimeWindow: off(),
		Target: &types.Target{Arn: aws.String(queueArn), RoleArn: aws.String(role)}}); err != nil {
		t.Fatal(err)
	}
	u, err := r.c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("job-0")})
	if err != nil || *u.ScheduleExpression != "rate(5 minutes)" || u.State != types.ScheduleStateEnabled || *u.Target.Arn != queueArn ||
		!u.LastModificationDate.After(*u.CreationDate) && !u.LastModificationDate.Equal(*u.CreationDate) {
		t.Fatalf("updated %+v %v", u, err)
	}
	_, err = r.c.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: aws.String("missing"),
		ScheduleExpression: aws.String("rate(5 minutes)"), FlexibleTimeWindow: off(),
		Target: &types.Target{Arn: aws.String(queueArn), RoleArn: aws.String(role)}})
	wantErr(t, err, "ResourceNotFoundException", 404)

	// Tags are on groups.
	tags, err := r.c.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: g.ScheduleGroupArn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "env" {
		t.Fatalf("tags %v %v", tags, err)
	}
	if _, err := r.c.TagResource(ctx, &scheduler.TagResourceInput{ResourceArn: g.ScheduleGroupArn,
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.UntagResource(ctx, &scheduler.UntagResourceInput{ResourceArn: g.ScheduleGroupArn, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err = r.c.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: g.ScheduleGroupArn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "owner" || *tags.Tags[0].Value != "me" {
		t.Fatalf("tags after %v %v", tags, err)
	}
	_, err = r.c.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:scheduler:us-east-1:000000000000:schedule-group/none")})
	wantErr(t, err, "ResourceNotFoundException", 404)

	gg, err := r.c.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("team")})
	if err != nil || gg.State != types.ScheduleGroupStateActive || *gg.Arn != *g.ScheduleGroupArn {
		t.Fatalf("group %+v %v", gg, err)
	}
	groups, err := r.c.ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{})
	if err != nil || len(groups.ScheduleGroups) != 2 || *groups.ScheduleGroups[0].Name != "default" {
		t.Fatalf("groups %+v %v", groups, err)
	}
	_, err = r.c.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("default")})
	wantErr(t, err, "ValidationException", 400)
	if _, err := r.c.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("team")}); err != nil {
		t.Fatal(err)
	}
	_, err = r.c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly"), GroupName: aws.String("team")})
	wantErr(t, err, "ResourceNotFoundException", 404)
	if _, err := r.c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("job-1")}); err != nil {
		t.Fatal(err)
	}
	_, err = r.c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("job-1")})
	wantErr(t, err, "ResourceNotFoundException", 404)

	// What is stored survives a restart.
	r.close()
	r.open(0)
	if _, err := r.c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("job-0")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("team")}); err == nil {
		t.Fatal("deleted group came back")
	}
}

func TestValidation(t *testing.T) {
	r := newRig(t, 0)
	ctx := context.Background()
	base := func() *scheduler.CreateScheduleInput {
		return &scheduler.CreateScheduleInput{Name: aws.String("v"), ScheduleExpression: aws.String("rate(1 hour)"),
			FlexibleTimeWindow: off(), Target: &types.Target{Arn: aws.String(fnArn), RoleArn: aws.String(role)}}
	}
	for name, mod := range map[string]func(*scheduler.CreateScheduleInput){
		"expression": func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("rate(1 minutes)") },
		"cron":       func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("cron(0 12 * * * *)") },
		"at":         func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("at(2026-02-30T00:00:00)") },
		"timezone":   func(in *scheduler.CreateScheduleInput) { in.ScheduleExpressionTimezone = aws.String("Mars/Olympus") },
		"name":       func(in *scheduler.CreateScheduleInput) { in.Name = aws.String("a/b") },
		"flexible": func(in *scheduler.CreateScheduleInput) {
			in.FlexibleTimeWindow.Mode = types.FlexibleTimeWindowModeFlexible
		},
		"window range": func(in *scheduler.CreateScheduleInput) {
			in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: "FLEXIBLE", MaximumWindowInMinutes: aws.Int32(1441)}
		},
		"age": func(in *scheduler.CreateScheduleInput) {
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(59)}
		},
		"attempts": func(in *scheduler.CreateScheduleInput) {
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(186)}
		},
		"dlq": func(in *scheduler.CreateScheduleInput) {
			in.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(fnArn)}
		},
		"universal": func(in *scheduler.CreateScheduleInput) {
			in.Target.Arn = aws.String("arn:aws:scheduler:::aws-sdk:sqs:sendMessage")
		},
		"bus params": func(in *scheduler.CreateScheduleInput) { in.Target.Arn = aws.String(busArn) },
		"end before start": func(in *scheduler.CreateScheduleInput) {
			in.StartDate, in.EndDate = aws.Time(time.Now().Add(2*time.Hour)), aws.Time(time.Now().Add(time.Hour))
		},
		"state": func(in *scheduler.CreateScheduleInput) { in.State = "PAUSED" },
	} {
		in := base()
		mod(in)
		_, err := r.c.CreateSchedule(ctx, in)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
			t.Errorf("%s: %v, want ValidationException", name, err)
		}
	}
	l, err := r.c.ListSchedules(ctx, &scheduler.ListSchedulesInput{})
	if err != nil || len(l.Schedules) != 0 {
		t.Fatalf("refused schedules were stored: %v %v", l, err)
	}
	// The error body is restJson1's: the code in X-Amzn-ErrorType, a Message.
	resp, err := http.Post(r.srv.URL+"/schedules/v", "application/json", strings.NewReader(`{"ScheduleExpression":"rate(0 hours)","FlexibleTimeWindow":{"Mode":"OFF"},"Target":{"Arn":"`+fnArn+`","RoleArn":"`+role+`"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Message string }
	json.NewDecoder(resp.Body).Decode(&body) //nolint:errcheck
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "ValidationException" || body.Message == "" {
		t.Fatalf("raw error %d %v %q", resp.StatusCode, resp.Header, body.Message)
	}
}

func TestScheduleFires(t *testing.T) {
	r := newRig(t, 100*time.Millisecond)
	ctx := context.Background()
	if _, err := r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("every"),
		ScheduleExpression: aws.String("rate(1 minute)"), FlexibleTimeWindow: off(),
		Target: &types.Target{Arn: aws.String(fnArn), RoleArn: aws.String(role),
			Input: aws.String(`{"arn":"<aws.scheduler.schedule-arn>","at":"<aws.scheduler.scheduled-time>","try":"<aws.scheduler.attempt-number>","id":"<aws.scheduler.execution-id>"}`)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("bus"),
		ScheduleExpression: aws.String("rate(1 minute)"), FlexibleTimeWindow: off(),
		Target: &types.Target{Arn: aws.String(busArn), RoleArn: aws.String(role), Input: aws.String(`{"k":"v"}`),
			EventBridgeParameters: &types.EventBridgeParameters{DetailType: aws.String("tick"), Source: aws.String("my.app")}}}); err != nil {
		t.Fatal(err)
	}
	// at() a few schedule-minutes ahead, deleted once it ran.
	at := r.svc.clock.Now().Add(2 * time.Minute).UTC().Format("2006-01-02T15:04:05")
	if _, err := r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("once"),
		ScheduleExpression: aws.String("at(" + at + ")"), FlexibleTimeWindow: off(), ActionAfterCompletion: types.ActionAfterCompletionDelete,
		Target: &types.Target{Arn: aws.String(queueArn), RoleArn: aws.String(role), Input: aws.String("once"),
			SqsParameters: &types.SqsParameters{MessageGroupId: aws.String("g")}}}); err != nil {
		t.Fatal(err)
	}
	msgs := r.rec.wait(t, fnArn, 4)
	var prev time.Time
	for i, m := range msgs[:4] {
		var in struct{ Arn, At, Try, ID string }
		if err := json.Unmarshal([]byte(m.Body), &in); err != nil {
			t.Fatalf("payload %q: %v", m.Body, err)
		}
		ts, err := time.Parse(time.RFC3339, in.At)
		if err != nil || in.Arn != "arn:aws:scheduler:us-east-1:000000000000:schedule/default/every" || in.Try != "1" || len(in.ID) != 16 {
			t.Fatalf("payload %d %q", i, m.Body)
		}
		if i > 0 && ts.Sub(prev) != time.Minute {
			t.Fatalf("occurrences %v then %v: want one schedule-minute apart", prev, ts)
		}
		prev = ts
	}
	bus := r.rec.wait(t, busArn, 1)[0]
	if bus.Source != "my.app" || bus.DetailType != "tick" || bus.Body != `{"k":"v"}` || len(bus.Resources) != 1 ||
		!strings.HasSuffix(bus.Resources[0], ":schedule/default/bus") {
		t.Fatalf("bus message %+v", bus)
	}
	once := r.rec.wait(t, queueArn, 1)
	if once[0].Body != "once" || once[0].GroupID != "g" {
		t.Fatalf("at message %+v", once[0])
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := r.c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("once")})
		if err != nil {
			wantErr(t, err, "ResourceNotFoundException", 404)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("completed at() schedule with ActionAfterCompletion DELETE was not deleted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(r.rec.got(queueArn)); n != 1 {
		t.Fatalf("at() ran %d times", n)
	}
}

// TestRestartFiresMissedOnce stops the service across several occurrences:
// each missed one fires once when it comes back, and none fires twice.
func TestRestartFiresMissedOnce(t *testing.T) {
	minute := 100 * time.Millisecond
	r := newRig(t, minute)
	ctx := context.Background()
	if _, err := r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("every"),
		ScheduleExpression: aws.String("rate(1 minute)"), FlexibleTimeWindow: off(),
		Target: &types.Target{Arn: aws.String(fnArn), RoleArn: aws.String(role), Input: aws.String(`"<aws.scheduler.scheduled-time>"`)}}); err != nil {
		t.Fatal(err)
	}
	r.rec.wait(t, fnArn, 2)
	r.close()
	before := len(r.rec.got(fnArn))
	time.Sleep(5 * minute)
	if n := len(r.rec.got(fnArn)); n != before {
		t.Fatalf("delivered while stopped: %d then %d", before, n)
	}
	r.open(minute)
	msgs := r.rec.wait(t, fnArn, before+6)
	seen := map[string]bool{}
	var times []time.Time
	for _, m := range msgs {
		if seen[m.Body] {
			t.Fatalf("occurrence %s delivered twice", m.Body)
		}
		seen[m.Body] = true
		var s string
		json.Unmarshal([]byte(m.Body), &s) //nolint:errcheck
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatalf("body %q", m.Body)
		}
		times = append(times, ts)
	}
	slices.SortFunc(times, time.Time.Compare)
	for i := 1; i < len(times); i++ {
		if times[i].Sub(times[i-1]) != time.Minute {
			t.Fatalf("occurrence missing between %v and %v", times[i-1], times[i])
		}
	}
}

func TestDeadLetter(t *testing.T) {
	r := newRig(t, 100*time.Millisecond)
	ctx := context.Background()
	r.rec.mu.Lock()
	r.rec.fail[fnArn] = &awsproto.Error{Code: "ServiceException", Message: "boom", Status: 500, Server: true}
	r.rec.fail[queueArn] = fmt.Errorf("%w: gone", eventsource.ErrNotFound)
	r.rec.mu.Unlock()
	for _, tc := range []struct{ name, arn string }{{"retried", fnArn}, {"gone", queueArn}} {
		if _, err := r.c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String(tc.name),
			ScheduleExpression: aws.String("rate(1 minute)"), FlexibleTimeWindow: off(),
			Target: &types.Target{Arn: aws.String(tc.arn), RoleArn: aws.String(role), Input: aws.String(tc.name),
				RetryPolicy:      &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(2)},
				DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(dlqArn)}}}); err != nil {
			t.Fatal(err)
		}
	}
	byBody := map[string]eventsource.Message{}
	deadline := time.Now().Add(20 * time.Second)
	for len(byBody) < 2 && time.Now().Before(deadline) {
		for _, m := range r.rec.got(dlqArn) {
			byBody[m.Body] = m
		}
		time.Sleep(10 * time.Millisecond)
	}
	attr := func(m eventsource.Message, k string) string { return m.Attributes[k].StringValue }
	m := byBody["retried"]
	if attr(m, "ERROR_CODE") != "ServiceException" || attr(m, "ERROR_MESSAGE") != "boom" || attr(m, "RETRY_ATTEMPTS") != "2" ||
		attr(m, "EXHAUSTED_RETRY_CONDITION") != "MaximumRetryAttempts" || attr(m, "TARGET_ARN") != fnArn ||
		!strings.HasSuffix(attr(m, "SCHEDULE_ARN"), ":schedule/default/retried") || len(attr(m, "EXECUTION_ID")) != 16 ||
		attr(m, "SCHEDULED_TIME") == "" || attr(m, "IS_PAYLOAD_TRUNCATED") != "false" {
		t.Fatalf("retried dead letter %+v", m)
	}
	m = byBody["gone"]
	if attr(m, "ERROR_CODE") != "ResourceNotFoundException" || attr(m, "RETRY_ATTEMPTS") != "0" || m.Attributes["EXHAUSTED_RETRY_CONDITION"].StringValue != "" {
		t.Fatalf("gone dead letter %+v", m)
	}
}
