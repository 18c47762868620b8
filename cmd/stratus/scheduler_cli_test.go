package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSchedulerCLI drives EventBridge Scheduler through Debian's aws CLI
// (restJson1, epoch-second timestamps), as the README shows it.
func TestSchedulerCLI(t *testing.T) {
	t.Parallel()
	aws := awsCLIv2(t)
	ts := startServer(t, "", hostFiles...)
	run, _, env := awsCLIRunner(t, aws, ts)
	run("scheduler", "create-schedule-group", "--name", "ops", "--tags", "Key=team,Value=core")
	out := run("scheduler", "create-schedule", "--name", "morning", "--group-name", "ops",
		"--schedule-expression", "cron(0 9 ? * MON-FRI *)", "--schedule-expression-timezone", "Europe/Paris",
		"--flexible-time-window", "Mode=FLEXIBLE,MaximumWindowInMinutes=10",
		"--start-date", "2030-01-01T00:00:00Z",
		"--target", `{"Arn":"arn:aws:sqs:us-east-1:000000000000:q","RoleArn":"arn:aws:iam::000000000000:role/r","Input":"hi","RetryPolicy":{"MaximumRetryAttempts":2}}`)
	if out["ScheduleArn"] != "arn:aws:scheduler:us-east-1:000000000000:schedule/ops/morning" {
		t.Fatalf("create-schedule %v", out)
	}
	got := run("scheduler", "get-schedule", "--name", "morning", "--group-name", "ops")
	target, _ := got["Target"].(map[string]any)
	retry, _ := target["RetryPolicy"].(map[string]any)
	if got["ScheduleExpressionTimezone"] != "Europe/Paris" || got["State"] != "ENABLED" || target["Input"] != "hi" ||
		retry["MaximumRetryAttempts"] != float64(2) || !strings.HasPrefix(got["StartDate"].(string), "2030-01-01T0") {
		t.Fatalf("get-schedule %v", got)
	}
	list := run("scheduler", "list-schedules", "--group-name", "ops")
	if s, _ := list["Schedules"].([]any); len(s) != 1 {
		t.Fatalf("list-schedules %v", list)
	}
	tags := run("scheduler", "list-tags-for-resource", "--resource-arn", "arn:aws:scheduler:us-east-1:000000000000:schedule-group/ops")
	if tl, _ := tags["Tags"].([]any); len(tl) != 1 {
		t.Fatalf("tags %v", tags)
	}
	run("scheduler", "delete-schedule", "--name", "morning", "--group-name", "ops")
	cmd := exec.Command(aws, "--endpoint-url", ts.URL, "scheduler", "get-schedule", "--name", "morning", "--group-name", "ops")
	cmd.Env = env
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "ResourceNotFoundException") {
		t.Fatalf("get of a deleted schedule: %v %s", err, msg)
	}
}
