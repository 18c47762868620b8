package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// cdResourcesTemplate is a CodeDeploy application and deployment group,
// the group's configuration and name given as parameters.
const cdResourcesTemplate = `Parameters:
  Config:
    Type: String
  GroupName:
    Type: String
Resources:
  App:
    Type: AWS::CodeDeploy::Application
    Properties:
      ComputePlatform: Lambda
  Group:
    Type: AWS::CodeDeploy::DeploymentGroup
    Properties:
      ApplicationName: !Ref App
      DeploymentGroupName: !Ref GroupName
      DeploymentConfigName: !Ref Config
      ServiceRoleArn: arn:aws:iam::000000000000:role/codedeploy
      DeploymentStyle:
        DeploymentType: BLUE_GREEN
        DeploymentOption: WITH_TRAFFIC_CONTROL
      AutoRollbackConfiguration:
        Enabled: true
        Events: [DEPLOYMENT_FAILURE]
      AlarmConfiguration:
        Enabled: true
        Alarms:
          - Name: errors
Outputs:
  AppName:
    Value: !Ref App
  GroupName:
    Value: !Ref Group
`

// TestCfnCodeDeployResources deploys an application and a deployment group
// from a template and checks them through CodeDeploy's API: created as
// written (the application's name generated), the group's configuration
// updated in place, a new group name replacing the group, a Server
// application refused by CodeDeploy, and everything gone with the stack.
func TestCfnCodeDeployResources(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	cl, cd := cfnClient(ts.URL), ts.codedeployClient()
	ctx := context.Background()
	group := func(app, name string) *cdtypes.DeploymentGroupInfo {
		t.Helper()
		out, err := cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetDeploymentGroup %s/%s: %v", app, name, err)
		}
		return out.DeploymentGroupInfo
	}
	created, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("cd-res"), TemplateBody: aws.String(cdResourcesTemplate),
		Parameters: cfnParams("Config", "CodeDeployDefault.LambdaCanary10Percent5Minutes", "GroupName", "g1")})
	if err != nil {
		t.Fatal(err)
	}
	outs := outputsOf(waitStack(t, cl, "cd-res", "CREATE_COMPLETE"))
	app := outs["AppName"]
	if !strings.HasPrefix(app, "cd-res-App-") || outs["GroupName"] != "g1" {
		t.Fatalf("outputs %v", outs)
	}
	a, err := cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String(app)})
	if err != nil || a.Application.ComputePlatform != cdtypes.ComputePlatformLambda {
		t.Fatalf("GetApplication: %+v, %v", a, err)
	}
	g := group(app, "g1")
	if aws.ToString(g.DeploymentConfigName) != "CodeDeployDefault.LambdaCanary10Percent5Minutes" || aws.ToString(g.ServiceRoleArn) != "arn:aws:iam::000000000000:role/codedeploy" ||
		!g.AutoRollbackConfiguration.Enabled || len(g.AutoRollbackConfiguration.Events) != 1 || !g.AlarmConfiguration.Enabled ||
		len(g.AlarmConfiguration.Alarms) != 1 || aws.ToString(g.AlarmConfiguration.Alarms[0].Name) != "errors" {
		t.Errorf("group as created: %+v", g)
	}
	groupID := aws.ToString(g.DeploymentGroupId)

	// The configuration changes in place: the same group, by id.
	if _, err := cl.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("cd-res"), UsePreviousTemplate: aws.Bool(true),
		Parameters: cfnParams("Config", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", "GroupName", "g1")}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "cd-res", "UPDATE_COMPLETE")
	if g := group(app, "g1"); aws.ToString(g.DeploymentConfigName) != "CodeDeployDefault.LambdaLinear10PercentEvery1Minute" || aws.ToString(g.DeploymentGroupId) != groupID {
		t.Errorf("group after the config update: %s %s (id was %s)", aws.ToString(g.DeploymentConfigName), aws.ToString(g.DeploymentGroupId), groupID)
	}

	// A new name replaces the group; the old one is deleted in the cleanup.
	if _, err := cl.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("cd-res"), UsePreviousTemplate: aws.Bool(true),
		Parameters: cfnParams("Config", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute", "GroupName", "g2")}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "cd-res", "UPDATE_COMPLETE")
	if g := group(app, "g2"); aws.ToString(g.DeploymentGroupId) == groupID {
		t.Error("the renamed group kept the old group's id")
	}
	list, err := cd.ListDeploymentGroups(ctx, &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String(app)})
	if err != nil || strings.Join(list.DeploymentGroups, ",") != "g2" {
		t.Errorf("groups after the rename: %v, %v", list, err)
	}

	// CloudFormation's default platform is Server, which CodeDeploy refuses.
	if _, err := cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("cd-server"),
		TemplateBody: aws.String("Resources:\n  App:\n    Type: AWS::CodeDeploy::Application\n")}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, "cd-server", "ROLLBACK_COMPLETE")
	if e, ok := findEvent(stackEventList(t, cl, "cd-server"), "App", "CREATE_FAILED"); !ok || !strings.Contains(aws.ToString(e.ResourceStatusReason), "Server") {
		t.Errorf("CREATE_FAILED of a Server application: %+v", e)
	}

	if _, err := cl.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("cd-res")}); err != nil {
		t.Fatal(err)
	}
	waitStack(t, cl, aws.ToString(created.StackId), "DELETE_COMPLETE")
	_, err = cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String(app)})
	var gone *cdtypes.ApplicationDoesNotExistException
	if !errors.As(err, &gone) {
		t.Errorf("GetApplication after the stack's delete: %v", err)
	}
}

// cdSAMTemplate is a SAM application as users write one for gradual
// deployments: a Python function behind AutoPublishAlias live answering
// version (its inline code, so that a new version changes the code),
// shifted by Canary10Percent5Minutes with a PreTraffic hook (hookSource,
// in Python with boto3) that reports hookStatus.
func cdSAMTemplate(prefix, version, hookStatus string) string {
	indent := func(src string) string {
		return "        " + strings.ReplaceAll(strings.TrimRight(src, "\n"), "\n", "\n        ")
	}
	fnSource := fmt.Sprintf("def lambda_handler(event, context):\n    return %q\n", version)
	return fmt.Sprintf(`Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: %[1]s-fn
      InlineCode: |
%[2]s
      Handler: index.lambda_handler
      Runtime: python3.12
      AutoPublishAlias: live
      DeploymentPreference:
        Type: Canary10Percent5Minutes
        Hooks:
          PreTraffic: !Ref PreTrafficHook
  PreTrafficHook:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: %[1]s-hook
      InlineCode: |
%[3]s
      Handler: index.lambda_handler
      Runtime: python3.12
      Timeout: 30
      Environment:
        Variables:
          HOOK_STATUS: %[4]s
`, prefix, indent(fnSource), indent(hookSource), hookStatus)
}

var samCaps = []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityAutoExpand}

func deploySAM(t *testing.T, cl *cloudformation.Client, stack, body string, create bool) {
	t.Helper()
	ctx := context.Background()
	var err error
	if create {
		_, err = cl.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(body), Capabilities: samCaps})
	} else {
		_, err = cl.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(body), Capabilities: samCaps})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// aliasOf is the alias live of fn: its version and its additional weights.
func aliasOf(t *testing.T, lc *lambda.Client, fn string) (string, map[string]float64) {
	t.Helper()
	out, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]float64
	if out.RoutingConfig != nil && len(out.RoutingConfig.AdditionalVersionWeights) > 0 {
		w = out.RoutingConfig.AdditionalVersionWeights
	}
	return aws.ToString(out.FunctionVersion), w
}

// waitCanary polls the alias until it serves version from with 10% on
// version to, showing the stack's events if it does not within limit.
func waitCanary(t *testing.T, cl *cloudformation.Client, stack string, lc *lambda.Client, fn, from, to string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		v, w := aliasOf(t, lc, fn)
		if v == from && len(w) == 1 && w[to] == 0.1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("alias %s:live at %s with weights %v after %s, want %s with 10%% on %s; events:\n%s", fn, v, w, limit, from, to, stackEvents(t, cl, stack))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cdDeployments lists a group's deployments, newest first, as CodeDeploy
// shows them.
func cdDeployments(t *testing.T, cd *codedeploy.Client, app, group string) []*cdtypes.DeploymentInfo {
	t.Helper()
	ctx := context.Background()
	list, err := cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String(group)})
	if err != nil {
		t.Fatal(err)
	}
	var out []*cdtypes.DeploymentInfo
	for _, id := range list.Deployments {
		d, err := cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.DeploymentInfo)
	}
	return out
}

func invokeText(t *testing.T, lc *lambda.Client, fn string) string {
	t.Helper()
	out, err := lc.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil {
		t.Fatalf("invoke %s: %s %s", fn, aws.ToString(out.FunctionError), out.Payload)
	}
	return string(out.Payload)
}

// TestCfnCodeDeployCanary deploys a SAM application with a
// DeploymentPreference and updates its code twice: the first update is
// shifted by CodeDeploy (10% on the new version for the canary's five
// compressed minutes, then all of it) while the stack shows the alias
// UPDATE_IN_PROGRESS; the second, whose PreTraffic hook reports Failed, is
// rolled back by CodeDeploy and the stack, the alias still on version 2.
func TestCfnCodeDeployCanary(t *testing.T) {
	skipWithoutPython(t)
	t.Parallel()
	ts := startServer(t, "", append([]string{"--schedule-minute", deployMinute.String()}, hostFiles...)...)
	cl, lc, cd := cfnClient(ts.URL), ts.lambdaClient(), ts.codedeployClient()
	ctx := context.Background()
	const fn = "canary-app-fn"

	deploySAM(t, cl, "canary-app", cdSAMTemplate("canary-app", "v1", "Succeeded"), true)
	waitStack(t, cl, "canary-app", "CREATE_COMPLETE")
	ids := physicalIDs(t, cl, "canary-app")
	app, group := ids["ServerlessDeploymentApplication"], ids["FnDeploymentGroup"]
	if app == "" || group == "" {
		t.Fatalf("no CodeDeploy resources in %v", ids)
	}
	if v, w := aliasOf(t, lc, fn); v != "1" || w != nil {
		t.Fatalf("after create the alias is at %s with %v, want 1 alone", v, w)
	}
	if ds := cdDeployments(t, cd, app, group); len(ds) != 0 {
		t.Fatalf("the create ran %d deployments, want none", len(ds))
	}

	// v2: shifted by a canary.
	start := time.Now()
	deploySAM(t, cl, "canary-app", cdSAMTemplate("canary-app", "v2", "Succeeded"), false)
	waitCanary(t, cl, "canary-app", lc, fn, "1", "2", 15*time.Second)
	canaryAt := time.Now()
	res, err := cl.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{StackName: aws.String("canary-app"), LogicalResourceId: aws.String("FnAliaslive")})
	if err != nil {
		t.Fatal(err)
	}
	if res.StackResourceDetail.ResourceStatus != cfntypes.ResourceStatusUpdateInProgress {
		t.Errorf("during the canary the alias is %s, want UPDATE_IN_PROGRESS", res.StackResourceDetail.ResourceStatus)
	}
	if got := invokeText(t, lc, fn+":live"); got != `"v1"` && got != `"v2"` {
		t.Errorf("the alias answered %s during the canary", got)
	}
	waitStack(t, cl, "canary-app", "UPDATE_COMPLETE")
	if held := time.Since(canaryAt); held < 5*deployMinute-300*time.Millisecond {
		t.Errorf("the stack completed %s after the canary began, before its 5 minutes (%s) were over", held, 5*deployMinute)
	}
	if v, w := aliasOf(t, lc, fn); v != "2" || w != nil {
		t.Errorf("after the update the alias is at %s with %v, want 2 alone", v, w)
	}
	if got := invokeText(t, lc, fn+":live"); got != `"v2"` {
		t.Errorf("the alias answers %s, want \"v2\"", got)
	}
	ds := cdDeployments(t, cd, app, group)
	if len(ds) != 1 || ds[0].Status != cdtypes.DeploymentStatusSucceeded || ds[0].Creator != cdtypes.DeploymentCreatorCloudFormation ||
		aws.ToString(ds[0].DeploymentConfigName) != "CodeDeployDefault.LambdaCanary10Percent5Minutes" {
		t.Fatalf("deployments after the update: %+v", ds)
	}
	shiftID := aws.ToString(ds[0].DeploymentId)
	evs := stackEventList(t, cl, "canary-app")
	if e, ok := findEvent(evs, "FnAliaslive", "UPDATE_IN_PROGRESS"); !ok || !strings.Contains(aws.ToString(e.ResourceStatusReason), shiftID) {
		t.Errorf("no UPDATE_IN_PROGRESS event of the alias naming deployment %s: %+v", shiftID, e)
	}
	t.Logf("the canary update took %s", time.Since(start))

	// v3 with a failing PreTraffic hook: CodeDeploy rolls back, so does the stack.
	deploySAM(t, cl, "canary-app", cdSAMTemplate("canary-app", "v3", "Failed"), false)
	waitStack(t, cl, "canary-app", "UPDATE_ROLLBACK_COMPLETE")
	if v, w := aliasOf(t, lc, fn); v != "2" || w != nil {
		t.Errorf("after the rollback the alias is at %s with %v, want 2 alone", v, w)
	}
	if got := invokeText(t, lc, fn+":live"); got != `"v2"` {
		t.Errorf("after the rollback the alias answers %s, want \"v2\"", got)
	}
	ds = cdDeployments(t, cd, app, group)
	var failed *cdtypes.DeploymentInfo
	for _, d := range ds {
		if d.Status == cdtypes.DeploymentStatusFailed {
			failed = d
		}
	}
	if failed == nil || failed.ErrorInformation == nil || failed.ErrorInformation.Code != cdtypes.ErrorCodeHookExecutionFailure {
		t.Fatalf("no deployment failed by its hook among %+v", ds)
	}
	evs = stackEventList(t, cl, "canary-app")
	e, ok := findEvent(evs, "FnAliaslive", "UPDATE_FAILED")
	why := aws.ToString(e.ResourceStatusReason)
	if !ok || !strings.Contains(why, aws.ToString(failed.DeploymentId)) || !strings.Contains(why, "HOOK_EXECUTION_FAILURE") || !strings.Contains(why, "canary-app-hook") {
		t.Errorf("the alias's UPDATE_FAILED event does not name the deployment and its hook's failure: %q", why)
	}
	// The rollback brought the hook's environment back too.
	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("canary-app-hook")})
	if err != nil || cfg.Environment.Variables["HOOK_STATUS"] != "Succeeded" {
		t.Errorf("the hook after the rollback: %+v, %v", cfg.Environment, err)
	}
}

// TestCfnCodeDeployKill kills the server (SIGKILL) while a stack update
// waits on a canary deployment, and checks that on restart the update is
// rolled back and the deployment stopped with CodeDeploy's rollback: the
// alias serves the old version alone, and stays so after the canary's
// time is over.
func TestCfnCodeDeployKill(t *testing.T) {
	skipWithoutPython(t)
	t.Parallel()
	bin := serverBinary(t, t.TempDir())
	data := t.TempDir()
	// A minute of 1 s: the canary holds 5 s, more than a restart takes.
	const minute = time.Second
	flags := append([]string{"--schedule-minute", minute.String()}, hostFiles...)
	sp := startServerProcess(t, bin, data, flags...)
	cl, lc := cfnClient(sp.URL), (&testServer{URL: sp.URL}).lambdaClient()
	const fn = "kill-app-fn"
	deploySAM(t, cl, "kill-app", cdSAMTemplate("kill-app", "v1", "Succeeded"), true)
	waitStack(t, cl, "kill-app", "CREATE_COMPLETE")
	ids := physicalIDs(t, cl, "kill-app")

	deploySAM(t, cl, "kill-app", cdSAMTemplate("kill-app", "v2", "Succeeded"), false)
	waitCanary(t, cl, "kill-app", lc, fn, "1", "2", 15*time.Second)
	sp.kill()
	killedAt := time.Now()

	sp = startServerProcess(t, bin, data, flags...)
	cl, lc = cfnClient(sp.URL), (&testServer{URL: sp.URL}).lambdaClient()
	cd := (&testServer{URL: sp.URL}).codedeployClient()
	waitStack(t, cl, "kill-app", "UPDATE_ROLLBACK_COMPLETE")
	if v, w := aliasOf(t, lc, fn); v != "1" || w != nil {
		t.Errorf("after the rollback the alias is at %s with %v, want 1 alone", v, w)
	}
	ds := cdDeployments(t, cd, ids["ServerlessDeploymentApplication"], ids["FnDeploymentGroup"])
	var stopped bool
	for _, d := range ds {
		switch d.Status {
		case cdtypes.DeploymentStatusStopped:
			stopped = d.RollbackInfo != nil && aws.ToString(d.RollbackInfo.RollbackDeploymentId) != ""
		case cdtypes.DeploymentStatusSucceeded:
			if d.Creator == cdtypes.DeploymentCreatorCloudFormation {
				t.Errorf("the interrupted deployment %s succeeded after the restart", aws.ToString(d.DeploymentId))
			}
		case cdtypes.DeploymentStatusFailed:
		default:
			t.Errorf("deployment %s is still %s once the stack has rolled back", aws.ToString(d.DeploymentId), d.Status)
		}
	}
	if !stopped {
		t.Errorf("no deployment stopped with a rollback among %+v", ds)
	}
	// Past the canary's end, nothing moves the alias any more.
	time.Sleep(time.Until(killedAt.Add(5*minute + 500*time.Millisecond)))
	if v, w := aliasOf(t, lc, fn); v != "1" || w != nil {
		t.Errorf("after the canary's time the alias is at %s with %v, want 1 alone", v, w)
	}
}
