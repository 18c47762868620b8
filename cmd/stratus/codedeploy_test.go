package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// deployMinute is how long a minute of deployment time lasts in these tests
// (--schedule-minute): a 5-minute canary holds 1.5 s.
const deployMinute = 300 * time.Millisecond

func (ts *testServer) codedeployClient() *codedeploy.Client {
	return codedeploy.New(codedeploy.Options{
		BaseEndpoint: aws.String(ts.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// hookSource is a PreTraffic/PostTraffic hook as SAM users write them, in
// Python with boto3: it reports HOOK_STATUS for its execution, after
// writing the event it got to EVENT_FILE (a host path: the process sandbox
// shares the host's files) so a test can replay it.
const hookSource = `import json, os
import boto3

def lambda_handler(event, context):
    path = os.environ.get("EVENT_FILE")
    if path:
        with open(path, "w") as f:
            json.dump(event, f)
    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=os.environ["HOOK_STATUS"])
    return "reported"
`

// cdFixture is one application, deployment group and function with two
// published versions and an alias "live" on version 1.
type cdFixture struct {
	app, group, fn string
}

// newCDFixture creates the function (version 2 running mode2), the alias,
// the application and a group with the given settings.
func newCDFixture(t *testing.T, ts *testServer, name, mode2 string, group func(*codedeploy.CreateDeploymentGroupInput)) cdFixture {
	t.Helper()
	ctx := context.Background()
	lc, cd := ts.lambdaClient(), ts.codedeployClient()
	f := cdFixture{app: name + "-app", group: name + "-group", fn: name}
	createFn(t, lc, name, "echo", func(in *lambda.CreateFunctionInput) { in.Publish = true })
	if _, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
		Handler: aws.String(mode2), Environment: &lambdatypes.Environment{Variables: map[string]string{"VERSION": "2"}}}); err != nil {
		t.Fatal(err)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(lc).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 10*time.Second,
		func(o *lambda.FunctionUpdatedV2WaiterOptions) {
			o.MinDelay, o.MaxDelay = 20*time.Millisecond, 100*time.Millisecond
		}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		out, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
		var conflict *lambdatypes.ResourceConflictException
		if errors.As(err, &conflict) && i < 50 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("PublishVersion: %v", err)
		}
		if v := aws.ToString(out.Version); v != "2" {
			t.Fatalf("PublishVersion gave version %s, want 2", v)
		}
		break
	}
	if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"),
		FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(f.app),
		ComputePlatform: cdtypes.ComputePlatformLambda}); err != nil {
		t.Fatal(err)
	}
	in := &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String(f.app), DeploymentGroupName: aws.String(f.group),
		ServiceRoleArn: aws.String("arn:aws:iam::000000000000:role/codedeploy"),
		DeploymentStyle: &cdtypes.DeploymentStyle{DeploymentType: cdtypes.DeploymentTypeBlueGreen,
			DeploymentOption: cdtypes.DeploymentOptionWithTrafficControl},
		AutoRollbackConfiguration: &cdtypes.AutoRollbackConfiguration{Enabled: true,
			Events: []cdtypes.AutoRollbackEvent{cdtypes.AutoRollbackEventDeploymentFailure, cdtypes.AutoRollbackEventDeploymentStopOnAlarm}}}
	if group != nil {
		group(in)
	}
	if _, err := cd.CreateDeploymentGroup(ctx, in); err != nil {
		t.Fatal(err)
	}
	return f
}

// appSpec is a Lambda AppSpec moving live from 1 to 2, in YAML with bare
// version numbers as users write it, with the hooks given.
func (f cdFixture) appSpec(before, after string) string {
	s := fmt.Sprintf("version: 0.0\nResources:\n  - %s:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: %s\n        Alias: live\n        CurrentVersion: 1\n        TargetVersion: 2\n", f.fn, f.fn)
	if before != "" || after != "" {
		s += "Hooks:\n"
	}
	if before != "" {
		s += "  - BeforeAllowTraffic: " + before + "\n"
	}
	if after != "" {
		s += "  - AfterAllowTraffic: " + after + "\n"
	}
	return s
}

func (f cdFixture) deploy(t *testing.T, cd *codedeploy.Client, config, spec string) string {
	t.Helper()
	in := &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(f.app), DeploymentGroupName: aws.String(f.group),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(spec)}}}
	if config != "" {
		in.DeploymentConfigName = aws.String(config)
	}
	out, err := cd.CreateDeployment(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	return aws.ToString(out.DeploymentId)
}

// aliasState is the alias's version and the target version's weight.
func aliasState(t *testing.T, lc *lambda.Client, fn string) (string, float64, int) {
	t.Helper()
	out, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	w := 0.0
	if out.RoutingConfig != nil {
		n = len(out.RoutingConfig.AdditionalVersionWeights)
		w = out.RoutingConfig.AdditionalVersionWeights["2"]
	}
	return aws.ToString(out.FunctionVersion), w, n
}

// waitAlias polls the alias every 25 ms until ok holds, calling seen with
// every weight it observes, for at most limit.
func waitAlias(t *testing.T, lc *lambda.Client, fn string, limit time.Duration, ok func(version string, weight float64) bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		v, w, _ := aliasState(t, lc, fn)
		if ok(v, w) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("alias %s:live is still at version %s with weight %v after %s", fn, v, w, limit)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitDeployment polls GetDeployment until the deployment ends.
func waitDeployment(t *testing.T, cd *codedeploy.Client, id string, limit time.Duration) *cdtypes.DeploymentInfo {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, err := cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		switch out.DeploymentInfo.Status {
		case cdtypes.DeploymentStatusSucceeded, cdtypes.DeploymentStatusFailed, cdtypes.DeploymentStatusStopped:
			return out.DeploymentInfo
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment %s still %s after %s", id, out.DeploymentInfo.Status, limit)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// checkRolledBack checks that d ended with status and error code, was
// rolled back by a succeeded rollback deployment, and that the alias serves
// version 1 alone again.
func checkRolledBack(t *testing.T, cd *codedeploy.Client, lc *lambda.Client, fn string, d *cdtypes.DeploymentInfo, status cdtypes.DeploymentStatus, code cdtypes.ErrorCode) {
	t.Helper()
	if d.Status != status || d.ErrorInformation == nil || d.ErrorInformation.Code != code || d.CompleteTime == nil {
		t.Errorf("deployment ended %s with %+v, want %s with %s", d.Status, d.ErrorInformation, status, code)
	}
	if d.RollbackInfo == nil || aws.ToString(d.RollbackInfo.RollbackDeploymentId) == "" {
		t.Fatalf("no rollbackInfo: %+v", d.RollbackInfo)
	}
	rb := waitDeployment(t, cd, aws.ToString(d.RollbackInfo.RollbackDeploymentId), time.Second)
	if rb.Status != cdtypes.DeploymentStatusSucceeded || rb.Creator != cdtypes.DeploymentCreatorCodeDeployRollback ||
		rb.RollbackInfo == nil || aws.ToString(rb.RollbackInfo.RollbackTriggeringDeploymentId) != aws.ToString(d.DeploymentId) {
		t.Errorf("rollback deployment: %s %s %+v", rb.Status, rb.Creator, rb.RollbackInfo)
	}
	if v, _, n := aliasState(t, lc, fn); v != "1" || n != 0 {
		t.Errorf("after rollback the alias is at %s with %d extra weights, want 1 alone", v, n)
	}
}

func createHook(t *testing.T, lc *lambda.Client, name, status, eventFile string) {
	t.Helper()
	createPyFn(t, lc, name, map[string]string{"lambda_function.py": hookSource}, func(in *lambda.CreateFunctionInput) {
		in.Timeout = aws.Int32(30)
		in.Environment = &lambdatypes.Environment{Variables: map[string]string{"HOOK_STATUS": status, "EVENT_FILE": eventFile}}
	})
}

// TestCodeDeployLambda runs CodeDeploy deployments of a function alias on
// one server whose minute lasts 300 ms, each in a subtest of its own.
func TestCodeDeployLambda(t *testing.T) {
	skipWithoutPython(t)
	ts := startServer(t, "", append([]string{"--schedule-minute", deployMinute.String()}, hostFiles...)...)
	lc, cd := ts.lambdaClient(), ts.codedeployClient()
	ctx := context.Background()
	createHook(t, lc, "hook-ok", "Succeeded", "")
	failedEvent := filepath.Join(t.TempDir(), "event.json")
	createHook(t, lc, "hook-fail", "Failed", failedEvent)

	t.Run("CanaryWithHooks", func(t *testing.T) {
		t.Parallel()
		f := newCDFixture(t, ts, "canary", "echo", nil)
		start := time.Now()
		id := f.deploy(t, cd, "CodeDeployDefault.LambdaCanary10Percent5Minutes", f.appSpec("hook-ok", "hook-ok"))
		waitAlias(t, lc, f.fn, 10*time.Second, func(v string, w float64) bool { return v == "1" && w == 0.1 })
		canaryAt := time.Since(start)
		mid, err := cd.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(f.fn + ":live")})
		if err != nil {
			t.Fatal(err)
		}
		if lt := mid.DeploymentTarget.LambdaTarget; lt.Status != cdtypes.TargetStatusInProgress || lt.LambdaFunctionInfo.TargetVersionWeight != 0.1 ||
			lt.LifecycleEvents[0].Status != cdtypes.LifecycleEventStatusSucceeded || lt.LifecycleEvents[1].Status != cdtypes.LifecycleEventStatusInProgress {
			t.Errorf("target during the canary: %s weight %v events %+v", lt.Status, lt.LambdaFunctionInfo.TargetVersionWeight, lt.LifecycleEvents)
		}
		waitAlias(t, lc, f.fn, 10*time.Second, func(v string, w float64) bool { return v == "2" })
		// The canary holds for its 5 minutes (1.5 s) before everything moves.
		if held := time.Since(start) - canaryAt; held < 5*deployMinute-200*time.Millisecond {
			t.Errorf("the canary held %s, want about %s", held, 5*deployMinute)
		}
		if _, _, n := aliasState(t, lc, f.fn); n != 0 {
			t.Errorf("alias keeps %d additional weights after the shift", n)
		}
		d := waitDeployment(t, cd, id, 10*time.Second)
		if d.Status != cdtypes.DeploymentStatusSucceeded || d.ErrorInformation != nil || d.DeploymentOverview.Succeeded != 1 ||
			d.Creator != cdtypes.DeploymentCreatorUser || d.ComputePlatform != cdtypes.ComputePlatformLambda {
			t.Errorf("deployment: %s %+v %+v", d.Status, d.ErrorInformation, d.DeploymentOverview)
		}
		g, err := cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(f.app), DeploymentGroupName: aws.String(f.group)})
		if err != nil {
			t.Fatal(err)
		}
		if gi := g.DeploymentGroupInfo; aws.ToString(gi.LastSuccessfulDeployment.DeploymentId) != id || gi.DeploymentStyle.DeploymentType != cdtypes.DeploymentTypeBlueGreen ||
			aws.ToString(gi.ServiceRoleArn) != "arn:aws:iam::000000000000:role/codedeploy" || !gi.AutoRollbackConfiguration.Enabled {
			t.Errorf("group: %+v", gi)
		}

		// The aws CLI shows it.
		awsBin := awsCLIv2(t)
		run, _, _ := awsCLIRunner(t, awsBin, ts)
		got := run("deploy", "get-deployment", "--deployment-id", id)
		info := got["deploymentInfo"].(map[string]any)
		if info["status"] != "Succeeded" || info["deploymentConfigName"] != "CodeDeployDefault.LambdaCanary10Percent5Minutes" || info["applicationName"] != f.app {
			t.Errorf("aws deploy get-deployment: %v", got)
		}
		list := run("deploy", "list-deployments", "--application-name", f.app, "--deployment-group-name", f.group, "--include-only-statuses", "Succeeded")
		if ids, _ := list["deployments"].([]any); len(ids) != 1 || ids[0] != id {
			t.Errorf("aws deploy list-deployments: %v", list)
		}
	})

	t.Run("Linear", func(t *testing.T) {
		t.Parallel()
		f := newCDFixture(t, ts, "linear", "echo", nil)
		id := f.deploy(t, cd, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", f.appSpec("", ""))
		var seen []float64
		waitAlias(t, lc, f.fn, 15*time.Second, func(v string, w float64) bool {
			if v == "1" && w > 0 && (len(seen) == 0 || seen[len(seen)-1] != w) {
				seen = append(seen, w)
			}
			return v == "2"
		})
		// Ten percent more every minute (300 ms): polled every 25 ms, most
		// steps are seen, always growing by tenths.
		if len(seen) < 6 || seen[0] != 0.1 {
			t.Errorf("weights seen %v, want most of 0.1 … 0.9 from 0.1", seen)
		}
		for i := 1; i < len(seen); i++ {
			if step := seen[i] - seen[i-1]; step < 0.05 || int(seen[i]*100+0.5)%10 != 0 {
				t.Errorf("weights seen %v do not grow by tenths", seen)
				break
			}
		}
		if d := waitDeployment(t, cd, id, 5*time.Second); d.Status != cdtypes.DeploymentStatusSucceeded {
			t.Errorf("linear deployment %s: %+v", d.Status, d.ErrorInformation)
		}
	})

	t.Run("PreTrafficHookFails", func(t *testing.T) {
		t.Parallel()
		f := newCDFixture(t, ts, "prefail", "echo", nil)
		id := f.deploy(t, cd, "CodeDeployDefault.LambdaCanary10Percent5Minutes", f.appSpec("hook-fail", ""))
		d := waitDeployment(t, cd, id, 20*time.Second)
		checkRolledBack(t, cd, lc, f.fn, d, cdtypes.DeploymentStatusFailed, cdtypes.ErrorCodeHookExecutionFailure)
		tg, err := cd.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(f.fn + ":live")})
		if err != nil {
			t.Fatal(err)
		}
		if ev := tg.DeploymentTarget.LambdaTarget.LifecycleEvents; ev[0].Status != cdtypes.LifecycleEventStatusFailed || ev[1].Status != cdtypes.LifecycleEventStatusSkipped {
			t.Errorf("lifecycle events %+v", ev)
		}
		// The hook's execution is over: reporting it again is refused.
		var event struct{ DeploymentId, LifecycleEventHookExecutionId string }
		b, err := os.ReadFile(failedEvent)
		if err != nil || json.Unmarshal(b, &event) != nil || event.DeploymentId != id {
			t.Fatalf("hook event %s: %v", b, err)
		}
		_, err = cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{DeploymentId: aws.String(id),
			LifecycleEventHookExecutionId: aws.String(event.LifecycleEventHookExecutionId), Status: cdtypes.LifecycleEventStatusSucceeded})
		apiError(t, err, "LifecycleEventAlreadyCompletedException")
		_, err = cd.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{DeploymentId: aws.String(id),
			LifecycleEventHookExecutionId: aws.String("not-an-execution"), Status: cdtypes.LifecycleEventStatusSucceeded})
		apiError(t, err, "InvalidLifecycleEventHookExecutionIdException")
	})

	t.Run("StopWithRollback", func(t *testing.T) {
		t.Parallel()
		f := newCDFixture(t, ts, "stopme", "echo", nil)
		id := f.deploy(t, cd, "CodeDeployDefault.LambdaCanary10Percent30Minutes", f.appSpec("", ""))
		waitAlias(t, lc, f.fn, 10*time.Second, func(v string, w float64) bool { return v == "1" && w == 0.1 })
		// One deployment at a time per group.
		_, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(f.app), DeploymentGroupName: aws.String(f.group),
			Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
				AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(f.appSpec("", ""))}}})
		apiError(t, err, "DeploymentLimitExceededException")
		if _, err := cd.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		d := waitDeployment(t, cd, id, 5*time.Second)
		checkRolledBack(t, cd, lc, f.fn, d, cdtypes.DeploymentStatusStopped, cdtypes.ErrorCodeManualStop)
		_, err = cd.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)})
		apiError(t, err, "DeploymentAlreadyCompletedException")
	})

	t.Run("AlarmOnNewVersionErrors", func(t *testing.T) {
		t.Parallel()
		f := newCDFixture(t, ts, "alarmed", "error", func(in *codedeploy.CreateDeploymentGroupInput) {
			in.AlarmConfiguration = &cdtypes.AlarmConfiguration{Enabled: true, Alarms: []cdtypes.Alarm{{Name: aws.String("alarmed-errors")}}}
		})
		id := f.deploy(t, cd, "CodeDeployDefault.LambdaCanary10Percent30Minutes", f.appSpec("", ""))
		waitAlias(t, lc, f.fn, 10*time.Second, func(v string, w float64) bool { return v == "1" && w == 0.1 })
		// Traffic through the alias until the canary (version 2) fails once.
		errored := false
		for i := 0; i < 200 && !errored; i++ {
			out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(f.fn + ":live"), Payload: []byte(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			errored = out.FunctionError != nil && aws.ToString(out.ExecutedVersion) == "2"
		}
		if !errored {
			t.Fatal("version 2 never ran through the alias")
		}
		d := waitDeployment(t, cd, id, 5*time.Second)
		checkRolledBack(t, cd, lc, f.fn, d, cdtypes.DeploymentStatusStopped, cdtypes.ErrorCodeAlarmActive)
	})

	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		f := newCDFixture(t, ts, "errs", "echo", nil)
		_, err := cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("bogus-app")})
		if ae := apiError(t, err, "ApplicationDoesNotExistException"); ae.ErrorMessage() != "No application found for name: bogus-app" {
			t.Errorf("message %q", ae.ErrorMessage())
		}
		_, err = cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("servers")})
		apiError(t, err, "InvalidComputePlatformException")
		_, err = cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(f.app), ComputePlatform: cdtypes.ComputePlatformLambda})
		apiError(t, err, "ApplicationAlreadyExistsException")
		group := func(name, config string) error {
			in := &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String(f.app), DeploymentGroupName: aws.String(name),
				ServiceRoleArn: aws.String("arn:aws:iam::000000000000:role/codedeploy")}
			if config != "" {
				in.DeploymentConfigName = aws.String(config)
			}
			_, err := cd.CreateDeploymentGroup(ctx, in)
			return err
		}
		apiError(t, group(f.group, ""), "DeploymentGroupAlreadyExistsException")
		apiError(t, group("other", "CodeDeployDefault.OneAtATime"), "InvalidDeploymentConfigNameException")
		apiError(t, group("other", "NoSuchConfig"), "DeploymentConfigDoesNotExistException")
		_, err = cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(f.app), DeploymentGroupName: aws.String("nope")})
		apiError(t, err, "DeploymentGroupDoesNotExistException")
		_, err = cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-USUAELQEX")})
		apiError(t, err, "DeploymentDoesNotExistException")
		_, err = cd.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String("d-USUAELQEX")})
		apiError(t, err, "DeploymentDoesNotExistException")
		_, err = cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(f.app)})
		apiError(t, err, "DeploymentGroupNameRequiredException")
		_, err = cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(f.app), DeploymentGroupName: aws.String(f.group),
			Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
				AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String("Resources: [")}}})
		apiError(t, err, "InvalidRevisionException")
		_, err = cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(f.app), DeploymentGroupName: aws.String(f.group)})
		apiError(t, err, "RevisionRequiredException")

		// Custom configurations beside the predefined ones.
		_, err = cd.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("Linear20Every1"),
			ComputePlatform: cdtypes.ComputePlatformLambda, TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeTimeBasedLinear,
				TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: 20, LinearInterval: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cd.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("Linear20Every1"),
			ComputePlatform: cdtypes.ComputePlatformLambda, TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeAllAtOnce}})
		apiError(t, err, "DeploymentConfigAlreadyExistsException")
		_, err = cd.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String("CodeDeployDefault.Mine"),
			ComputePlatform: cdtypes.ComputePlatformLambda, TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeAllAtOnce}})
		apiError(t, err, "InvalidDeploymentConfigNameException")
		_, err = cd.DeleteDeploymentConfig(ctx, &codedeploy.DeleteDeploymentConfigInput{DeploymentConfigName: aws.String("CodeDeployDefault.LambdaAllAtOnce")})
		apiError(t, err, "InvalidOperationException")
		cfg, err := cd.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String("CodeDeployDefault.LambdaCanary10Percent15Minutes")})
		if err != nil {
			t.Fatal(err)
		}
		if c := cfg.DeploymentConfigInfo.TrafficRoutingConfig; c.Type != cdtypes.TrafficRoutingTypeTimeBasedCanary ||
			c.TimeBasedCanary.CanaryPercentage != 10 || c.TimeBasedCanary.CanaryInterval != 15 {
			t.Errorf("predefined canary: %+v", c)
		}
		list, err := cd.ListDeploymentConfigs(ctx, &codedeploy.ListDeploymentConfigsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.DeploymentConfigsList) != 10 {
			t.Errorf("configs %v, want the 9 predefined Lambda ones and Linear20Every1", list.DeploymentConfigsList)
		}
		// The custom one deploys: 20%, 40%, 60%, 80%, then everything.
		id := f.deploy(t, cd, "Linear20Every1", f.appSpec("", ""))
		waitAlias(t, lc, f.fn, 10*time.Second, func(v string, w float64) bool { return v == "1" && w == 0.4 })
		if d := waitDeployment(t, cd, id, 10*time.Second); d.Status != cdtypes.DeploymentStatusSucceeded {
			t.Errorf("custom linear deployment %s: %+v", d.Status, d.ErrorInformation)
		}
		if v, _, n := aliasState(t, lc, f.fn); v != "2" || n != 0 {
			t.Errorf("alias at %s with %d weights", v, n)
		}
		_, err = cd.DeleteDeploymentConfig(ctx, &codedeploy.DeleteDeploymentConfigInput{DeploymentConfigName: aws.String("Linear20Every1")})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestCodeDeployResumesAfterRestart stops the server during a canary's hold
// and starts it again after the hold would have ended: the deployment goes
// on from its recorded step, at once, rather than holding the canary anew.
func TestCodeDeployResumesAfterRestart(t *testing.T) {
	flags := append([]string{"--schedule-minute", deployMinute.String()}, hostFiles...)
	ts := startServer(t, "", flags...)
	f := newCDFixture(t, ts, "resume", "echo", nil)
	cd := ts.codedeployClient()
	id := f.deploy(t, cd, "CodeDeployDefault.LambdaCanary10Percent5Minutes", f.appSpec("", ""))
	waitAlias(t, ts.lambdaClient(), f.fn, 10*time.Second, func(v string, w float64) bool { return v == "1" && w == 0.1 })
	canaryAt := time.Now()
	ts.Stop(t)
	time.Sleep(time.Until(canaryAt.Add(5*deployMinute + 300*time.Millisecond)))

	ts2 := startServer(t, ts.DataDir, flags...)
	restarted := time.Now()
	waitAlias(t, ts2.lambdaClient(), f.fn, 10*time.Second, func(v string, w float64) bool { return v == "2" })
	if took := time.Since(restarted); took > 5*deployMinute-300*time.Millisecond {
		t.Errorf("after the restart the shift took %s: the canary's hold began again", took)
	}
	if d := waitDeployment(t, ts2.codedeployClient(), id, 5*time.Second); d.Status != cdtypes.DeploymentStatusSucceeded {
		t.Errorf("deployment %s: %+v", d.Status, d.ErrorInformation)
	}
}
