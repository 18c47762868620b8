package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// TestScheduleEveryMinuteAcrossKill runs a function every minute from an
// EventBridge Scheduler schedule and from an EventBridge rule, on a clock
// where a minute lasts 400 ms. The server is killed (SIGKILL) and restarted
// on the same data after some minutes: every Scheduler occurrence runs once,
// the ones missed while the server was down included, and the rule goes on
// firing without repeating a tick.
func TestScheduleEveryMinuteAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	t.Parallel()
	ctx := context.Background()
	const minute = 400 * time.Millisecond
	flags := append([]string{"--schedule-minute", minute.String()}, hostFiles...)
	bin := serverBinary(t, t.TempDir())
	dataDir := t.TempDir()
	sp := startServerProcess(t, bin, dataDir, flags...)
	ranFile := filepath.Join(t.TempDir(), "ran")

	fn := createFn(t, sp.client(), "every-minute", "append", func(in *lambda.CreateFunctionInput) {
		in.Environment = &lambdatypes.Environment{Variables: map[string]string{"APPEND_FILE": ranFile}}
	})
	sc := scheduler.New(scheduler.Options{BaseEndpoint: aws.String(sp.URL), Region: "us-east-1", Credentials: e2eCreds()})
	if _, err := sc.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("every-minute"),
		ScheduleExpression: aws.String("rate(1 minute)"),
		FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		Target: &schedtypes.Target{Arn: fn.FunctionArn, RoleArn: aws.String("arn:aws:iam::000000000000:role/scheduler"),
			Input: aws.String(`{"from":"scheduler","at":"<aws.scheduler.scheduled-time>"}`)}}); err != nil {
		t.Fatal(err)
	}
	ec := eventbridge.New(eventbridge.Options{BaseEndpoint: aws.String(sp.URL), Region: "us-east-1", Credentials: e2eCreds()})
	if _, err := ec.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("every-minute"), ScheduleExpression: aws.String("rate(1 minute)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("every-minute"),
		Targets: []ebtypes.Target{{Id: aws.String("fn"), Arn: fn.FunctionArn}}}); err != nil {
		t.Fatal(err)
	}

	waitRuns(t, ranFile, 3, 3)
	time.Sleep(minute / 2) // between two occurrences
	sp.kill()
	before := scheduleRuns(t, ranFile)
	time.Sleep(4 * minute)
	sp = startServerProcess(t, bin, dataDir, flags...)
	runs := waitRuns(t, ranFile, len(before.scheduler)+7, len(before.rule)+2)

	// Scheduler: one run per minute from the first, none missing, none twice.
	times := runs.scheduler
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d != time.Minute {
			t.Fatalf("Scheduler occurrences %v then %v (%v apart): want every minute exactly once", times[i-1], times[i], d)
		}
	}
	// The rule: no tick twice (a tick missed while down may be skipped, as
	// EventBridge rules are).
	for i := 1; i < len(runs.rule); i++ {
		if !runs.rule[i].After(runs.rule[i-1]) {
			t.Fatalf("rule tick %v ran twice", runs.rule[i])
		}
	}
	t.Logf("%d Scheduler runs (%d before the kill), %d rule runs", len(times), len(before.scheduler), len(runs.rule))
}

type runTimes struct{ scheduler, rule []time.Time }

// scheduleRuns reads the function's lines: the scheduled time of each
// Scheduler run and the event time of each rule run, sorted.
func scheduleRuns(t *testing.T, file string) runTimes {
	t.Helper()
	var r runTimes
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return r
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var line struct {
			Event struct {
				From, At   string
				Source     string `json:"source"`
				DetailType string `json:"detail-type"`
				Time       string `json:"time"`
			} `json:"event"`
		}
		if json.Unmarshal(s.Bytes(), &line) != nil {
			continue
		}
		ev := line.Event
		switch {
		case ev.From == "scheduler":
			at, err := time.Parse(time.RFC3339, ev.At)
			if err != nil {
				t.Fatalf("scheduled time %q", ev.At)
			}
			r.scheduler = append(r.scheduler, at)
		case ev.Source == "aws.events" && ev.DetailType == "Scheduled Event":
			at, err := time.Parse(time.RFC3339, ev.Time)
			if err != nil {
				t.Fatalf("event time %q", ev.Time)
			}
			r.rule = append(r.rule, at)
		default:
			t.Fatalf("unexpected event %s", s.Bytes())
		}
	}
	slices.SortFunc(r.scheduler, time.Time.Compare)
	slices.SortFunc(r.rule, time.Time.Compare)
	return r
}

func waitRuns(t *testing.T, file string, scheduler, rule int) runTimes {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := scheduleRuns(t, file)
		if len(r.scheduler) >= scheduler && len(r.rule) >= rule {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Scheduler and %d rule runs, want %d and %d", len(r.scheduler), len(r.rule), scheduler, rule)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
