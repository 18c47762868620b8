package codedeploy

import (
	"encoding/json"
	"math"
	"time"
)

// The wire shapes of CodeDeploy's model (awsJson 1.1, camelCase members),
// as aws-sdk-go-v2/service/codedeploy serializes them. Stored records reuse
// the shapes that are plain data (alarm, rollback and style settings).

// epoch is a timestamp as awsJson writes it: seconds since the epoch, with
// milliseconds as the fraction.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return json.Marshal(math.Round(float64(t.UnixMilli())) / 1000)
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	sec, frac := math.Modf(f)
	*e = epoch(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

func at(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

type alarm struct {
	Name string `json:"name"`
}

type alarmConfiguration struct {
	Enabled                bool    `json:"enabled"`
	IgnorePollAlarmFailure bool    `json:"ignorePollAlarmFailure"`
	Alarms                 []alarm `json:"alarms"`
}

type autoRollbackConfiguration struct {
	Enabled bool     `json:"enabled"`
	Events  []string `json:"events"`
}

type deploymentStyle struct {
	DeploymentType   string `json:"deploymentType,omitempty"`
	DeploymentOption string `json:"deploymentOption,omitempty"`
}

type timeBased struct {
	CanaryPercentage int32 `json:"canaryPercentage,omitempty"`
	CanaryInterval   int32 `json:"canaryInterval,omitempty"`
	LinearPercentage int32 `json:"linearPercentage,omitempty"`
	LinearInterval   int32 `json:"linearInterval,omitempty"`
}

type trafficRoutingConfig struct {
	Type            string     `json:"type,omitempty"`
	TimeBasedCanary *timeBased `json:"timeBasedCanary,omitempty"`
	TimeBasedLinear *timeBased `json:"timeBasedLinear,omitempty"`
}

type content struct {
	Content *string `json:"content,omitempty"`
	Sha256  string  `json:"sha256,omitempty"`
}

type revisionLocation struct {
	RevisionType   string          `json:"revisionType,omitempty"`
	AppSpecContent *content        `json:"appSpecContent,omitempty"`
	String         *content        `json:"string,omitempty"`
	S3Location     json.RawMessage `json:"s3Location,omitempty"`
	GitHubLocation json.RawMessage `json:"gitHubLocation,omitempty"`
}

type timeRange struct {
	Start *epoch `json:"start"`
	End   *epoch `json:"end"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// input is every operation's input: each handler reads the members its
// operation has.
type input struct {
	ApplicationName           *string                    `json:"applicationName"`
	ApplicationNames          []string                   `json:"applicationNames"`
	NewApplicationName        *string                    `json:"newApplicationName"`
	ComputePlatform           string                     `json:"computePlatform"`
	Tags                      []tag                      `json:"tags"`
	DeploymentGroupName       *string                    `json:"deploymentGroupName"`
	DeploymentGroupNames      []string                   `json:"deploymentGroupNames"`
	CurrentDeploymentGroup    *string                    `json:"currentDeploymentGroupName"`
	NewDeploymentGroupName    *string                    `json:"newDeploymentGroupName"`
	DeploymentConfigName      *string                    `json:"deploymentConfigName"`
	ServiceRoleArn            *string                    `json:"serviceRoleArn"`
	AlarmConfiguration        *alarmConfiguration        `json:"alarmConfiguration"`
	AutoRollbackConfiguration *autoRollbackConfiguration `json:"autoRollbackConfiguration"`
	DeploymentStyle           *deploymentStyle           `json:"deploymentStyle"`
	TrafficRoutingConfig      *trafficRoutingConfig      `json:"trafficRoutingConfig"`
	MinimumHealthyHosts       json.RawMessage            `json:"minimumHealthyHosts"`
	Ec2TagFilters             json.RawMessage            `json:"ec2TagFilters"`
	AutoScalingGroups         json.RawMessage            `json:"autoScalingGroups"`
	EcsServices               json.RawMessage            `json:"ecsServices"`
	LoadBalancerInfo          json.RawMessage            `json:"loadBalancerInfo"`

	Revision                   *revisionLocation   `json:"revision"`
	Description                *string             `json:"description"`
	OverrideAlarmConfiguration *alarmConfiguration `json:"overrideAlarmConfiguration"`
	DeploymentID               *string             `json:"deploymentId"`
	DeploymentIDs              []string            `json:"deploymentIds"`
	IncludeOnlyStatuses        []string            `json:"includeOnlyStatuses"`
	CreateTimeRange            *timeRange          `json:"createTimeRange"`
	AutoRollbackEnabled        *bool               `json:"autoRollbackEnabled"`
	HookExecutionID            *string             `json:"lifecycleEventHookExecutionId"`
	Status                     *string             `json:"status"`
	TargetID                   *string             `json:"targetId"`
	TargetIDs                  []string            `json:"targetIds"`
	NextToken                  string              `json:"nextToken"`
}

type applicationInfo struct {
	ApplicationID   string `json:"applicationId"`
	ApplicationName string `json:"applicationName"`
	CreateTime      *epoch `json:"createTime"`
	LinkedToGitHub  bool   `json:"linkedToGitHub"`
	ComputePlatform string `json:"computePlatform"`
}

type lastDeploymentInfo struct {
	DeploymentID string `json:"deploymentId"`
	Status       string `json:"status"`
	EndTime      *epoch `json:"endTime,omitempty"`
	CreateTime   *epoch `json:"createTime"`
}

type deploymentGroupInfo struct {
	ApplicationName           string                     `json:"applicationName"`
	DeploymentGroupID         string                     `json:"deploymentGroupId"`
	DeploymentGroupName       string                     `json:"deploymentGroupName"`
	DeploymentConfigName      string                     `json:"deploymentConfigName"`
	ServiceRoleArn            string                     `json:"serviceRoleArn"`
	AlarmConfiguration        *alarmConfiguration        `json:"alarmConfiguration"`
	AutoRollbackConfiguration *autoRollbackConfiguration `json:"autoRollbackConfiguration"`
	DeploymentStyle           *deploymentStyle           `json:"deploymentStyle"`
	ComputePlatform           string                     `json:"computePlatform"`
	TargetRevision            *revisionLocation          `json:"targetRevision,omitempty"`
	LastSuccessfulDeployment  *lastDeploymentInfo        `json:"lastSuccessfulDeployment,omitempty"`
	LastAttemptedDeployment   *lastDeploymentInfo        `json:"lastAttemptedDeployment,omitempty"`
}

type deploymentConfigInfo struct {
	DeploymentConfigID   string                `json:"deploymentConfigId"`
	DeploymentConfigName string                `json:"deploymentConfigName"`
	CreateTime           *epoch                `json:"createTime"`
	ComputePlatform      string                `json:"computePlatform"`
	TrafficRoutingConfig *trafficRoutingConfig `json:"trafficRoutingConfig"`
}

type errorInformation struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type rollbackInfo struct {
	RollbackDeploymentID           string `json:"rollbackDeploymentId,omitempty"`
	RollbackTriggeringDeploymentID string `json:"rollbackTriggeringDeploymentId,omitempty"`
	RollbackMessage                string `json:"rollbackMessage,omitempty"`
}

type deploymentOverview struct {
	Pending    int64 `json:"Pending"`
	InProgress int64 `json:"InProgress"`
	Succeeded  int64 `json:"Succeeded"`
	Failed     int64 `json:"Failed"`
	Skipped    int64 `json:"Skipped"`
	Ready      int64 `json:"Ready"`
}

type deploymentInfo struct {
	ApplicationName            string                     `json:"applicationName"`
	DeploymentGroupName        string                     `json:"deploymentGroupName"`
	DeploymentConfigName       string                     `json:"deploymentConfigName"`
	DeploymentID               string                     `json:"deploymentId"`
	PreviousRevision           *revisionLocation          `json:"previousRevision,omitempty"`
	Revision                   *revisionLocation          `json:"revision"`
	Status                     string                     `json:"status"`
	ErrorInformation           *errorInformation          `json:"errorInformation,omitempty"`
	CreateTime                 *epoch                     `json:"createTime"`
	StartTime                  *epoch                     `json:"startTime,omitempty"`
	CompleteTime               *epoch                     `json:"completeTime,omitempty"`
	DeploymentOverview         *deploymentOverview        `json:"deploymentOverview"`
	Description                string                     `json:"description,omitempty"`
	Creator                    string                     `json:"creator"`
	AutoRollbackConfiguration  *autoRollbackConfiguration `json:"autoRollbackConfiguration,omitempty"`
	OverrideAlarmConfiguration *alarmConfiguration        `json:"overrideAlarmConfiguration,omitempty"`
	RollbackInfo               *rollbackInfo              `json:"rollbackInfo,omitempty"`
	DeploymentStyle            *deploymentStyle           `json:"deploymentStyle"`
	ComputePlatform            string                     `json:"computePlatform"`
	StatusMessages             []string                   `json:"deploymentStatusMessages"`
}

type lifecycleEvent struct {
	LifecycleEventName string `json:"lifecycleEventName"`
	StartTime          *epoch `json:"startTime,omitempty"`
	EndTime            *epoch `json:"endTime,omitempty"`
	Status             string `json:"status"`
}

type lambdaFunctionInfo struct {
	FunctionName        string  `json:"functionName"`
	FunctionAlias       string  `json:"functionAlias"`
	CurrentVersion      string  `json:"currentVersion"`
	TargetVersion       string  `json:"targetVersion"`
	TargetVersionWeight float64 `json:"targetVersionWeight"`
}

type lambdaTarget struct {
	DeploymentID       string              `json:"deploymentId"`
	TargetID           string              `json:"targetId"`
	TargetArn          string              `json:"targetArn"`
	Status             string              `json:"status"`
	LastUpdatedAt      *epoch              `json:"lastUpdatedAt"`
	LifecycleEvents    []lifecycleEvent    `json:"lifecycleEvents"`
	LambdaFunctionInfo *lambdaFunctionInfo `json:"lambdaFunctionInfo"`
}

type deploymentTarget struct {
	DeploymentTargetType string        `json:"deploymentTargetType"`
	LambdaTarget         *lambdaTarget `json:"lambdaTarget"`
}
