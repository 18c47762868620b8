package codedeploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"
)

// createRequest is a deployment to create, from the API or from Go.
type createRequest struct {
	Region, Application, Group, Config string
	Description, Creator               string
	Revision                           revisionLocation
	Spec                               appSpec
	AutoRollback                       *autoRollbackConfiguration
	Override                           *alarmConfiguration
}

// create validates req against the application, group and configuration,
// stores the deployment and starts its runner, returning its id.
func (s *Service) create(ctx context.Context, req createRequest) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookupGroupLocked(req.Region, req.Application, req.Group)
	if err != nil {
		return "", err
	}
	cfgName := req.Config
	if cfgName == "" {
		cfgName = g.Config
	}
	cfg, err := s.lookupConfigLocked(req.Region, cfgName)
	if err != nil {
		if strings.HasPrefix(cfgName, predefinedPrefix) {
			return "", errInvalidConfigName("The deployment configuration %s is not one for the Lambda compute platform.", cfgName)
		}
		return "", err
	}
	for _, st := range s.deps {
		d := &st.rec
		if d.Region == req.Region && d.Application == req.Application && d.Group == req.Group && !d.terminal() {
			return "", errDeploymentActive(req.Group, d.ID)
		}
	}
	d := deployment{ID: newDeploymentID(), Region: req.Region, Application: req.Application, Group: req.Group,
		Config: cfg.Name, Description: req.Description, Creator: req.Creator, Status: statusCreated,
		Created: s.Now().UTC(), Revision: req.Revision, Spec: req.Spec, Routing: cfg.Routing,
		AutoRollback: g.AutoRollback, Alarms: g.Alarms, Override: req.Override, Events: map[string]*lifecycleRec{}}
	if req.AutoRollback != nil {
		d.AutoRollback = req.AutoRollback
	}
	for _, n := range lifecycleNames {
		d.Events[n] = &lifecycleRec{Status: evPending}
	}
	if err := s.insertLocked(ctx, d); err != nil {
		return "", err
	}
	s.startLocked(d.ID)
	return d.ID, nil
}

// revisionSpec reads the AppSpec of a CreateDeployment revision.
func revisionSpec(rev *revisionLocation) (appSpec, error) {
	if rev == nil || rev.RevisionType == "" {
		return appSpec{}, errRevisionRequired
	}
	var c *content
	switch rev.RevisionType {
	case "AppSpecContent":
		c = rev.AppSpecContent
	case "String":
		c = rev.String
	default:
		return appSpec{}, errInvalidRevision("The revision type %s is not supported: Stratus takes AppSpecContent (or String) revisions for the Lambda compute platform.", rev.RevisionType)
	}
	if c == nil || c.Content == nil || strings.TrimSpace(*c.Content) == "" {
		return appSpec{}, errInvalidRevision("The revision's AppSpec content is empty.")
	}
	if c.Sha256 != "" {
		sum := sha256.Sum256([]byte(*c.Content))
		if !strings.EqualFold(c.Sha256, hex.EncodeToString(sum[:])) {
			return appSpec{}, errInvalidRevision("The sha256 of the AppSpec content does not match its content.")
		}
	}
	return parseAppSpec(*c.Content)
}

func (s *Service) createDeployment(ctx context.Context, r *http.Request, in *input) (any, error) {
	app, group, err := appAndGroupName(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	spec, err := revisionSpec(in.Revision)
	if err != nil {
		return nil, err
	}
	if in.AutoRollbackConfiguration != nil {
		if err := checkAutoRollback(in.AutoRollbackConfiguration); err != nil {
			return nil, err
		}
	}
	if c := in.OverrideAlarmConfiguration; c != nil && c.Enabled && len(c.alarmNames()) == 0 {
		return nil, errAlarmConfig("The alarm configuration is invalid: it is enabled but names no alarm.")
	}
	id, err := s.create(ctx, createRequest{Region: s.region(r), Application: app, Group: group, Config: str(in.DeploymentConfigName),
		Description: str(in.Description), Creator: creatorUser, Revision: *in.Revision, Spec: spec,
		AutoRollback: in.AutoRollbackConfiguration, Override: in.OverrideAlarmConfiguration})
	if err != nil {
		return nil, err
	}
	return map[string]string{"deploymentId": id}, nil
}

// lookupDeploymentLocked returns a copy of the deployment, or
// DeploymentDoesNotExistException. Callers hold s.mu.
func (s *Service) lookupDeploymentLocked(id string) (deployment, error) {
	st, ok := s.deps[id]
	if !ok {
		return deployment{}, errDeploymentNotFound(id)
	}
	return st.rec.clone(), nil
}

// lookupDeployment is lookupDeploymentLocked for a caller that does not
// hold s.mu; the copy it returns is the caller's own.
func (s *Service) lookupDeployment(id string) (deployment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupDeploymentLocked(id)
}

func deploymentID(p *string) (string, error) {
	if p == nil || *p == "" {
		return "", errDeploymentIDRequired
	}
	return *p, nil
}

func (s *Service) getDeployment(ctx context.Context, r *http.Request, in *input) (any, error) {
	id, err := deploymentID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	d, err := s.lookupDeployment(id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deploymentInfo": d.info()}, nil
}

func (s *Service) batchGetDeployments(ctx context.Context, r *http.Request, in *input) (any, error) {
	if len(in.DeploymentIDs) == 0 {
		return nil, errDeploymentIDRequired
	}
	if len(in.DeploymentIDs) > 25 {
		return nil, errBatchLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []deploymentInfo{}
	for _, id := range in.DeploymentIDs {
		if d, err := s.lookupDeploymentLocked(id); err == nil {
			out = append(out, d.info())
		}
	}
	return map[string]any{"deploymentsInfo": out}, nil
}

// listDeployments lists deployment ids, newest first. As on CodeDeploy an
// application and a deployment group filter together or not at all.
func (s *Service) listDeployments(ctx context.Context, r *http.Request, in *input) (any, error) {
	app, group := str(in.ApplicationName), str(in.DeploymentGroupName)
	if app != "" && group == "" {
		return nil, errDeploymentGroupNameRequired
	}
	if app == "" && group != "" {
		return nil, errApplicationNameRequired
	}
	for _, st := range in.IncludeOnlyStatuses {
		if !validStatuses[st] {
			return nil, errInvalidStatus(st)
		}
	}
	var from, to time.Time
	if tr := in.CreateTimeRange; tr != nil {
		if tr.Start != nil {
			from = time.Time(*tr.Start)
		}
		if tr.End != nil {
			to = time.Time(*tr.End)
		}
		if !from.IsZero() && !to.IsZero() && from.After(to) {
			return nil, errInvalidTimeRange
		}
	}
	region := s.region(r)
	s.mu.Lock()
	if app != "" {
		if _, err := s.lookupGroupLocked(region, app, group); err != nil {
			s.mu.Unlock()
			return nil, err
		}
	}
	var found []*deployment
	for _, st := range s.deps {
		d := &st.rec
		if d.Region != region || (app != "" && (d.Application != app || d.Group != group)) {
			continue
		}
		if len(in.IncludeOnlyStatuses) > 0 && !contains(in.IncludeOnlyStatuses, d.Status) {
			continue
		}
		if (!from.IsZero() && d.Created.Before(from)) || (!to.IsZero() && d.Created.After(to)) {
			continue
		}
		found = append(found, d)
	}
	sort.Slice(found, func(i, j int) bool {
		if !found[i].Created.Equal(found[j].Created) {
			return found[i].Created.After(found[j].Created)
		}
		return found[i].ID > found[j].ID
	})
	ids := make([]string, len(found))
	for i, d := range found {
		ids[i] = d.ID
	}
	s.mu.Unlock()
	page, next, err := paginate(ids, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deployments": page, "nextToken": omitEmpty(next)}, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// updateForRequest is update for a request's handler: an id it does not
// know is DeploymentDoesNotExistException.
func (s *Service) updateForRequest(ctx context.Context, id string, fn func(d *deployment) error) error {
	_, err := s.update(ctx, id, fn)
	if errors.Is(err, errNoDeployment) {
		return errDeploymentNotFound(id)
	}
	return err
}

// stopDeployment asks the runner to stop; the rollback, when asked for (or,
// when autoRollbackEnabled is left out, when the deployment's automatic
// rollback covers DEPLOYMENT_STOP_ON_REQUEST), is carried out by it.
func (s *Service) stopDeployment(ctx context.Context, r *http.Request, in *input) (any, error) {
	id, err := deploymentID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	err = s.updateForRequest(ctx, id, func(d *deployment) error {
		if d.terminal() || d.Ending != nil {
			return errDeploymentCompleted(id)
		}
		rollback := d.AutoRollback.hasEvent(eventStopManual)
		if in.AutoRollbackEnabled != nil {
			rollback = *in.AutoRollbackEnabled
		}
		d.Stop = &stopRec{Rollback: rollback}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"status": "Pending", "statusMessage": "Stopping deployment " + id + "."}, nil
}

// putHookStatus records what a hook function reports about its execution.
func (s *Service) putHookStatus(ctx context.Context, r *http.Request, in *input) (any, error) {
	id, err := deploymentID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	execID := str(in.HookExecutionID)
	if execID == "" {
		return nil, errHookIDInvalid
	}
	status := str(in.Status)
	err = s.updateForRequest(ctx, id, func(d *deployment) error {
		var h *hookRec
		for _, x := range d.Hooks {
			if x.ExecID == execID {
				h = x
			}
		}
		if h == nil {
			return errHookIDInvalid
		}
		if status != evSucceeded && status != evFailed {
			return errHookStatusInvalid
		}
		if h.Status == evSucceeded || h.Status == evFailed || d.terminal() {
			return errHookCompleted
		}
		h.Status = status
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"lifecycleEventHookExecutionId": execID}, nil
}

func (s *Service) listDeploymentTargets(ctx context.Context, r *http.Request, in *input) (any, error) {
	id, err := deploymentID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	d, err := s.lookupDeployment(id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"targetIds": []string{d.targetID()}}, nil
}

func (s *Service) getDeploymentTarget(ctx context.Context, r *http.Request, in *input) (any, error) {
	id, err := deploymentID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if str(in.TargetID) == "" {
		return nil, errTargetIDRequired
	}
	d, err := s.lookupDeployment(id)
	if err != nil {
		return nil, err
	}
	if *in.TargetID != d.targetID() {
		return nil, errTargetNotFound(*in.TargetID)
	}
	return map[string]any{"deploymentTarget": s.targetOf(&d)}, nil
}

func (s *Service) batchGetDeploymentTargets(ctx context.Context, r *http.Request, in *input) (any, error) {
	id, err := deploymentID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if len(in.TargetIDs) == 0 {
		return nil, errTargetIDRequired
	}
	d, err := s.lookupDeployment(id)
	if err != nil {
		return nil, err
	}
	out := []deploymentTarget{}
	for _, t := range in.TargetIDs {
		if t != d.targetID() {
			return nil, errTargetNotFound(t)
		}
		out = append(out, s.targetOf(&d))
	}
	return map[string]any{"deploymentTargets": out}, nil
}

// DeployInput is a Lambda deployment started from Go, as CloudFormation
// starts one for an alias whose UpdatePolicy is CodeDeployLambdaAliasUpdate.
type DeployInput struct {
	Region      string // default the service's
	Application string
	Group       string
	// Config is the deployment configuration; "" takes the group's.
	Config                        string
	Function, Alias               string
	CurrentVersion, TargetVersion string
	// BeforeHook and AfterHook name the hook functions, if any.
	BeforeHook, AfterHook string
	Description           string
	// Creator is deploymentInfo's creator (default CloudFormation).
	Creator string
}

// Deploy starts a deployment and returns its id, or the error
// CreateDeployment would give (an *awsproto.Error with CodeDeploy's code).
// The deployment's revision is the AppSpec CodeDeploy would be given.
func (s *Service) Deploy(ctx context.Context, in DeployInput) (string, error) {
	if in.Region == "" {
		in.Region = s.Region
	}
	if in.Creator == "" {
		in.Creator = creatorCFN
	}
	doc := map[string]any{"version": 0.0, "Resources": []any{map[string]any{in.Function: map[string]any{
		"Type": lambdaResType, "Properties": map[string]any{"Name": in.Function, "Alias": in.Alias,
			"CurrentVersion": in.CurrentVersion, "TargetVersion": in.TargetVersion}}}}}
	var hooks []any
	if in.BeforeHook != "" {
		hooks = append(hooks, map[string]string{hookBefore: in.BeforeHook})
	}
	if in.AfterHook != "" {
		hooks = append(hooks, map[string]string{hookAfter: in.AfterHook})
	}
	if hooks != nil {
		doc["Hooks"] = hooks
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	text := string(b)
	sum := sha256.Sum256(b)
	rev := revisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &content{Content: &text, Sha256: hex.EncodeToString(sum[:])}}
	spec, err := revisionSpec(&rev)
	if err != nil {
		return "", err
	}
	return s.create(ctx, createRequest{Region: in.Region, Application: in.Application, Group: in.Group, Config: in.Config,
		Description: in.Description, Creator: in.Creator, Revision: rev, Spec: spec})
}

// Result is how a deployment ended.
type Result struct {
	// Status is Succeeded, Failed or Stopped.
	Status string
	// ErrorCode and ErrorMessage are errorInformation's, for one that did
	// not succeed.
	ErrorCode, ErrorMessage string
	// RollbackID is the deployment that rolled the alias back, if one did.
	RollbackID string
}

// Wait blocks until deployment id ends and returns how, or ctx's error, or
// DeploymentDoesNotExistException.
func (s *Service) Wait(ctx context.Context, id string) (Result, error) {
	for {
		s.mu.Lock()
		st, ok := s.deps[id]
		changed := s.changed
		var d deployment
		if ok {
			d = st.rec
		}
		s.mu.Unlock()
		if !ok {
			return Result{}, errDeploymentNotFound(id)
		}
		if d.terminal() {
			res := Result{Status: d.Status}
			if d.Error != nil {
				res.ErrorCode, res.ErrorMessage = d.Error.Code, d.Error.Message
			}
			if d.Rollback != nil {
				res.RollbackID = d.Rollback.RollbackDeploymentID
			}
			return res, nil
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-changed:
		}
	}
}
