package resources

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

func init() {
	register("AWS::CodeDeploy::Application", codeDeployApp{})
	register("AWS::CodeDeploy::DeploymentGroup", codeDeployGroup{})
}

// defaultLambdaConfig is what a group without DeploymentConfigName deploys
// with: CodeDeploy's default for the Lambda compute platform.
const defaultLambdaConfig = "CodeDeployDefault.LambdaAllAtOnce"

// codeDeployApp is an application; Ref is its name. Its name and compute
// platform are create-only.
type codeDeployApp struct{}

func codeDeployTags(p props) []types.Tag {
	var tags []types.Tag
	for _, t := range p.list("Tags") {
		tags = append(tags, types.Tag{Key: t.strp("Key"), Value: aws.String(t.str("Value"))})
	}
	return tags
}

// errNoCodeDeployTagging rejects a change of Tags: Stratus's CodeDeploy
// takes tags when a resource is created but has no TagResource yet, so a
// change could not be applied and is refused rather than dropped.
func errNoCodeDeployTagging(typ string) error {
	return &ValidationError{Message: fmt.Sprintf("Stratus's CodeDeploy cannot change the Tags of an existing %s yet (it has no TagResource).", typ)}
}

func (codeDeployApp) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	name := p.str("ApplicationName")
	if name == "" {
		name = physicalName(env, 100)
	}
	// CloudFormation's default platform is Server, which Stratus's CodeDeploy
	// refuses with its own error.
	platform := types.ComputePlatformServer
	if p.has("ComputePlatform") {
		platform = types.ComputePlatform(p.str("ComputePlatform"))
	}
	_, err := codedeploy.NewFromConfig(env.Config).CreateApplication(ctx, &codedeploy.CreateApplicationInput{
		ApplicationName: aws.String(name), ComputePlatform: platform, Tags: codeDeployTags(p)})
	if err != nil {
		return Result{}, err
	}
	return Result{PhysicalID: name}, nil
}

func (codeDeployApp) Replaces(old, new map[string]any) bool {
	return changed(old, new, "ApplicationName", "ComputePlatform")
}

func (codeDeployApp) Update(_ context.Context, _ Env, cur Result, old, new map[string]any) (Result, error) {
	if changed(old, new, "Tags") {
		return cur, errNoCodeDeployTagging("AWS::CodeDeploy::Application")
	}
	return cur, nil
}

func (codeDeployApp) Delete(ctx context.Context, env Env, cur Result) error {
	// DeleteApplication succeeds for an application already gone, and takes
	// its deployment groups with it.
	_, err := codedeploy.NewFromConfig(env.Config).DeleteApplication(ctx, &codedeploy.DeleteApplicationInput{
		ApplicationName: aws.String(cur.PhysicalID)})
	return err
}

// codeDeployGroup is a deployment group of a Lambda application; Ref is its
// name. The application and the group's name are create-only.
type codeDeployGroup struct{}

// groupState keeps the application, so that Delete needs no properties.
type groupState struct {
	Application string `json:"application"`
}

// codeDeployUnsupported are the group properties of the EC2, on-premises and
// ECS platforms, and the Deployment a stack would make from an S3 or GitHub
// revision: none applies to a Lambda application, which is all Stratus's
// CodeDeploy serves. TriggerConfigurations need notifications it does not
// send yet.
var codeDeployUnsupported = []string{"AutoScalingGroups", "BlueGreenDeploymentConfiguration", "Deployment",
	"ECSServices", "Ec2TagFilters", "Ec2TagSet", "LoadBalancerInfo", "OnPremisesInstanceTagFilters",
	"OnPremisesTagSet", "TriggerConfigurations"}

// groupSettings are the settings CreateDeploymentGroup and
// UpdateDeploymentGroup share. A setting the template leaves out is sent
// as its default, so that removing it from the template clears it.
type groupSettings struct {
	config       *string
	role         *string
	alarms       *types.AlarmConfiguration
	autoRollback *types.AutoRollbackConfiguration
	style        *types.DeploymentStyle
}

func readGroup(env Env, p props) (groupSettings, error) {
	var g groupSettings
	for _, k := range codeDeployUnsupported {
		if v := p[k]; v != nil && !sameValue(v, []any{}) {
			return g, &ValidationError{Message: fmt.Sprintf("Stratus's CodeDeploy serves the Lambda compute platform only: property %s of %s is not supported.", k, env.LogicalID)}
		}
	}
	g.config = aws.String(defaultLambdaConfig)
	if p.has("DeploymentConfigName") {
		g.config = p.strp("DeploymentConfigName")
	}
	g.role = p.strp("ServiceRoleArn")
	g.alarms = &types.AlarmConfiguration{Alarms: []types.Alarm{}}
	if a := p.obj("AlarmConfiguration"); len(a) > 0 {
		g.alarms.Enabled = toBool(a["Enabled"])
		g.alarms.IgnorePollAlarmFailure = toBool(a["IgnorePollAlarmFailure"])
		for _, al := range a.list("Alarms") {
			g.alarms.Alarms = append(g.alarms.Alarms, types.Alarm{Name: al.strp("Name")})
		}
	}
	g.autoRollback = &types.AutoRollbackConfiguration{}
	if a := p.obj("AutoRollbackConfiguration"); len(a) > 0 {
		g.autoRollback.Enabled = toBool(a["Enabled"])
		for _, e := range a.strs("Events") {
			g.autoRollback.Events = append(g.autoRollback.Events, types.AutoRollbackEvent(e))
		}
	}
	g.style = &types.DeploymentStyle{DeploymentType: types.DeploymentTypeBlueGreen, DeploymentOption: types.DeploymentOptionWithTrafficControl}
	if s := p.obj("DeploymentStyle"); len(s) > 0 {
		g.style = &types.DeploymentStyle{DeploymentType: types.DeploymentType(s.str("DeploymentType")),
			DeploymentOption: types.DeploymentOption(s.str("DeploymentOption"))}
	}
	return g, nil
}

func (codeDeployGroup) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "ApplicationName", "ServiceRoleArn"); err != nil {
		return Result{}, err
	}
	g, err := readGroup(env, p)
	if err != nil {
		return Result{}, err
	}
	name := p.str("DeploymentGroupName")
	if name == "" {
		name = physicalName(env, 100)
	}
	_, err = codedeploy.NewFromConfig(env.Config).CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: p.strp("ApplicationName"), DeploymentGroupName: aws.String(name), ServiceRoleArn: g.role,
		DeploymentConfigName: g.config, AlarmConfiguration: g.alarms, AutoRollbackConfiguration: g.autoRollback,
		DeploymentStyle: g.style, Tags: codeDeployTags(p)})
	if err != nil {
		return Result{}, err
	}
	return Result{PhysicalID: name, State: state(groupState{Application: p.str("ApplicationName")})}, nil
}

func (codeDeployGroup) Replaces(old, new map[string]any) bool {
	return changed(old, new, "ApplicationName", "DeploymentGroupName")
}

func (codeDeployGroup) Update(ctx context.Context, env Env, cur Result, old, new map[string]any) (Result, error) {
	p := props(new)
	if changed(old, p, "Tags") {
		return cur, errNoCodeDeployTagging("AWS::CodeDeploy::DeploymentGroup")
	}
	if err := requireProps(env, p, "ApplicationName", "ServiceRoleArn"); err != nil {
		return cur, err
	}
	g, err := readGroup(env, p)
	if err != nil {
		return cur, err
	}
	_, err = codedeploy.NewFromConfig(env.Config).UpdateDeploymentGroup(ctx, &codedeploy.UpdateDeploymentGroupInput{
		ApplicationName: p.strp("ApplicationName"), CurrentDeploymentGroupName: aws.String(cur.PhysicalID),
		ServiceRoleArn: g.role, DeploymentConfigName: g.config, AlarmConfiguration: g.alarms,
		AutoRollbackConfiguration: g.autoRollback, DeploymentStyle: g.style})
	return cur, err
}

func (codeDeployGroup) Delete(ctx context.Context, env Env, cur Result) error {
	var st groupState
	if err := loadState(cur, &st); err != nil {
		return err
	}
	_, err := codedeploy.NewFromConfig(env.Config).DeleteDeploymentGroup(ctx, &codedeploy.DeleteDeploymentGroupInput{
		ApplicationName: aws.String(st.Application), DeploymentGroupName: aws.String(cur.PhysicalID)})
	// A group whose application is gone went with it.
	if isCode(err, "ApplicationDoesNotExistException") {
		return nil
	}
	return err
}
