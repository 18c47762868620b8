package codedeploy

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"
)

const (
	styleBlueGreen      = "BLUE_GREEN"
	styleTrafficControl = "WITH_TRAFFIC_CONTROL"

	eventFailure    = "DEPLOYMENT_FAILURE"
	eventStopAlarm  = "DEPLOYMENT_STOP_ON_ALARM"
	eventStopManual = "DEPLOYMENT_STOP_ON_REQUEST"

	maxAlarms = 10
)

// groupRec is a deployment group as stored.
type groupRec struct {
	ID           string                     `json:"id"`
	Region       string                     `json:"region"`
	Application  string                     `json:"application"`
	Name         string                     `json:"name"`
	Config       string                     `json:"config"`
	ServiceRole  string                     `json:"serviceRole"`
	Alarms       *alarmConfiguration        `json:"alarms,omitempty"`
	AutoRollback *autoRollbackConfiguration `json:"autoRollback,omitempty"`
	Style        deploymentStyle            `json:"style"`
	Created      time.Time                  `json:"created"`
}

// groupSettings are the members CreateDeploymentGroup and
// UpdateDeploymentGroup share, validated; nil members were not given.
type groupSettings struct {
	config       *string
	role         *string
	alarms       *alarmConfiguration
	autoRollback *autoRollbackConfiguration
	style        *deploymentStyle
}

// checkGroupSettingsLocked validates what a request says of a group.
// Callers hold s.mu (for the configurations).
func (s *Service) checkGroupSettingsLocked(region string, in *input) (groupSettings, error) {
	var g groupSettings
	if in.DeploymentConfigName != nil {
		name := *in.DeploymentConfigName
		if _, err := s.lookupConfigLocked(region, name); err != nil {
			if strings.HasPrefix(name, predefinedPrefix) {
				return g, errInvalidConfigName("The deployment configuration %s is not one for the Lambda compute platform.", name)
			}
			return g, err
		}
		g.config = &name
	}
	if in.ServiceRoleArn != nil {
		arn := *in.ServiceRoleArn
		if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":iam::") || !strings.Contains(arn, ":role/") {
			return g, errInvalidRole(arn)
		}
		g.role = &arn
	}
	if c := in.AlarmConfiguration; c != nil {
		if len(c.Alarms) > maxAlarms {
			return g, cdErr("AlarmsLimitExceededException", "The maximum number of alarms for a deployment group (10) was exceeded.")
		}
		for _, a := range c.Alarms {
			if a.Name == "" {
				return g, errAlarmConfig("The alarm configuration is invalid: every alarm needs a name.")
			}
		}
		if c.Enabled && len(c.Alarms) == 0 {
			return g, errAlarmConfig("The alarm configuration is invalid: it is enabled but names no alarm.")
		}
		g.alarms = c
	}
	if c := in.AutoRollbackConfiguration; c != nil {
		if err := checkAutoRollback(c); err != nil {
			return g, err
		}
		g.autoRollback = c
	}
	if st := in.DeploymentStyle; st != nil {
		if (st.DeploymentType != "" && st.DeploymentType != styleBlueGreen) || (st.DeploymentOption != "" && st.DeploymentOption != styleTrafficControl) {
			return g, errDeploymentStyle("The Lambda compute platform takes deploymentType BLUE_GREEN and deploymentOption WITH_TRAFFIC_CONTROL only.")
		}
		g.style = &deploymentStyle{DeploymentType: styleBlueGreen, DeploymentOption: styleTrafficControl}
	}
	for _, raw := range [][]byte{in.Ec2TagFilters, in.AutoScalingGroups, in.EcsServices, in.LoadBalancerInfo} {
		if len(raw) > 0 && string(raw) != "null" && string(raw) != "[]" && string(raw) != "{}" {
			return g, errInvalidInput("EC2, Auto Scaling, ECS and load balancer settings do not apply to the Lambda compute platform.")
		}
	}
	return g, nil
}

func checkAutoRollback(c *autoRollbackConfiguration) error {
	for _, e := range c.Events {
		switch e {
		case eventFailure, eventStopAlarm, eventStopManual:
		default:
			return errAutoRollbackConfig("The automatic rollback event %s is not valid: it must be DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM or DEPLOYMENT_STOP_ON_REQUEST.", e)
		}
	}
	return nil
}

func (g groupSettings) apply(rec *groupRec) {
	if g.config != nil {
		rec.Config = *g.config
	}
	if g.role != nil {
		rec.ServiceRole = *g.role
	}
	if g.alarms != nil {
		rec.Alarms = g.alarms
	}
	if g.autoRollback != nil {
		rec.AutoRollback = g.autoRollback
	}
	if g.style != nil {
		rec.Style = *g.style
	}
}

func (s *Service) createDeploymentGroup(ctx context.Context, r *http.Request, in *input) (any, error) {
	app, name, err := appAndGroupName(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	if in.ServiceRoleArn == nil || *in.ServiceRoleArn == "" {
		return nil, errRoleRequired
	}
	region := s.region(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.lookupAppLocked(region, app); err != nil {
		return nil, err
	}
	k := key(region, app, name)
	if _, ok := s.groups[k]; ok {
		return nil, errGroupExists(name)
	}
	set, err := s.checkGroupSettingsLocked(region, in)
	if err != nil {
		return nil, err
	}
	g := groupRec{ID: newUUID(), Region: region, Application: app, Name: name, Config: defaultConfig,
		Style: deploymentStyle{DeploymentType: styleBlueGreen, DeploymentOption: styleTrafficControl}, Created: s.Now().UTC()}
	set.apply(&g)
	if err := createRecLocked(ctx, s.groupTable, s.groups, k, g, errGroupExists(name)); err != nil {
		return nil, err
	}
	return map[string]string{"deploymentGroupId": g.ID}, nil
}

// lookupGroupLocked returns the application's group, or the error
// CodeDeploy gives for a missing application or group. Callers hold s.mu.
func (s *Service) lookupGroupLocked(region, app, name string) (*groupRec, error) {
	if _, err := s.lookupAppLocked(region, app); err != nil {
		return nil, err
	}
	if g, ok := s.groups[key(region, app, name)]; ok {
		return g, nil
	}
	return nil, errGroupNotFound(name)
}

// groupInfoLocked renders a group with its last deployments. Callers hold
// s.mu.
func (s *Service) groupInfoLocked(g *groupRec) deploymentGroupInfo {
	st := g.Style
	info := deploymentGroupInfo{ApplicationName: g.Application, DeploymentGroupID: g.ID, DeploymentGroupName: g.Name,
		DeploymentConfigName: g.Config, ServiceRoleArn: g.ServiceRole, AlarmConfiguration: g.Alarms,
		AutoRollbackConfiguration: g.AutoRollback, DeploymentStyle: &st, ComputePlatform: platformLambda}
	if info.AlarmConfiguration == nil {
		info.AlarmConfiguration = &alarmConfiguration{Alarms: []alarm{}}
	}
	if info.AutoRollbackConfiguration == nil {
		info.AutoRollbackConfiguration = &autoRollbackConfiguration{Events: []string{}}
	}
	var attempted, succeeded *deployment
	for _, d := range s.deps {
		rec := &d.rec
		if rec.Region != g.Region || rec.Application != g.Application || rec.Group != g.Name || rec.Creator == creatorRollback {
			continue
		}
		if attempted == nil || rec.Created.After(attempted.Created) {
			attempted = rec
		}
		if rec.Status == statusSucceeded && (succeeded == nil || rec.Created.After(succeeded.Created)) {
			succeeded = rec
		}
	}
	last := func(d *deployment) *lastDeploymentInfo {
		return &lastDeploymentInfo{DeploymentID: d.ID, Status: d.Status, EndTime: at(d.Completed), CreateTime: at(d.Created)}
	}
	if attempted != nil {
		info.LastAttemptedDeployment = last(attempted)
		rev := attempted.Revision
		info.TargetRevision = &rev
	}
	if succeeded != nil {
		info.LastSuccessfulDeployment = last(succeeded)
	}
	return info
}

func (s *Service) getDeploymentGroup(ctx context.Context, r *http.Request, in *input) (any, error) {
	app, name, err := appAndGroupName(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookupGroupLocked(s.region(r), app, name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentGroupInfo": s.groupInfoLocked(g)}, nil
}

func (s *Service) batchGetDeploymentGroups(ctx context.Context, r *http.Request, in *input) (any, error) {
	app, err := appName(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	names := in.DeploymentGroupNames
	if len(names) == 0 {
		return nil, errDeploymentGroupNameRequired
	}
	if len(names) > 100 {
		return nil, errBatchLimit
	}
	region := s.region(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.lookupAppLocked(region, app); err != nil {
		return nil, err
	}
	out := []deploymentGroupInfo{}
	msg := ""
	for _, n := range names {
		g, ok := s.groups[key(region, app, n)]
		if !ok {
			msg = "Deployment groups not found: " + n
			continue
		}
		out = append(out, s.groupInfoLocked(g))
	}
	return map[string]any{"deploymentGroupsInfo": out, "errorMessage": omitEmpty(msg)}, nil
}

func (s *Service) updateDeploymentGroup(ctx context.Context, r *http.Request, in *input) (any, error) {
	app, cur, err := appAndGroupName(in.ApplicationName, in.CurrentDeploymentGroup)
	if err != nil {
		return nil, err
	}
	region := s.region(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookupGroupLocked(region, app, cur)
	if err != nil {
		return nil, err
	}
	set, err := s.checkGroupSettingsLocked(region, in)
	if err != nil {
		return nil, err
	}
	next := *g
	set.apply(&next)
	k := key(region, app, cur)
	if in.NewDeploymentGroupName != nil && *in.NewDeploymentGroupName != cur {
		nn, err := groupName(in.NewDeploymentGroupName)
		if err != nil {
			return nil, err
		}
		nk := key(region, app, nn)
		if _, ok := s.groups[nk]; ok {
			return nil, errGroupExists(nn)
		}
		next.Name = nn
		if _, err := s.groupTable.Create(ctx, nk, next); err != nil {
			return nil, err
		}
		if err := deleteRecLocked(ctx, s.groupTable, s.groups, k); err != nil {
			return nil, err
		}
		s.groups[nk] = &next
		return map[string]any{"hooksNotCleanedUp": []string{}}, nil
	}
	_, rev, err := s.groupTable.Get(ctx, k)
	if err != nil {
		return nil, err
	}
	if _, err := s.groupTable.Update(ctx, k, next, rev); err != nil {
		return nil, err
	}
	s.groups[k] = &next
	return map[string]any{"hooksNotCleanedUp": []string{}}, nil
}

// deleteDeploymentGroup deletes a group; as on CodeDeploy, one that does not
// exist is no error (its application must exist).
func (s *Service) deleteDeploymentGroup(ctx context.Context, r *http.Request, in *input) (any, error) {
	app, name, err := appAndGroupName(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	region := s.region(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.lookupAppLocked(region, app); err != nil {
		return nil, err
	}
	k := key(region, app, name)
	if _, ok := s.groups[k]; ok {
		if err := deleteRecLocked(ctx, s.groupTable, s.groups, k); err != nil {
			return nil, err
		}
	}
	return map[string]any{"hooksNotCleanedUp": []string{}}, nil
}

func (s *Service) listDeploymentGroups(ctx context.Context, r *http.Request, in *input) (any, error) {
	app, err := appName(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	region := s.region(r)
	s.mu.Lock()
	if _, err := s.lookupAppLocked(region, app); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	names := []string{}
	for _, g := range s.groupsOfLocked(region, app) {
		names = append(names, g.Name)
	}
	s.mu.Unlock()
	sort.Strings(names)
	page, next, err := paginate(names, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return map[string]any{"applicationName": app, "deploymentGroups": page, "nextToken": omitEmpty(next)}, nil
}
