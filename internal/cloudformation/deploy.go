package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdapi "github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/stratus-run/stratus/internal/cloudformation/resources"
	"github.com/stratus-run/stratus/internal/cloudformation/template"
	"github.com/stratus-run/stratus/internal/codedeploy"
)

// Gradual deployments: an AWS::Lambda::Alias whose UpdatePolicy is
// CodeDeployLambdaAliasUpdate is not pointed at its new version by the
// provider; the engine starts a CodeDeploy deployment from the old version
// to the new one and the update's outcome is the deployment's. The
// deployment is recorded with the resource before it starts, so that a
// rollback after a crash can stop it (with CodeDeploy's own rollback of the
// alias) instead of racing it.

// Deployer starts CodeDeploy deployments of a Lambda alias and waits for
// their end; (*codedeploy.Service) is one.
type Deployer interface {
	// Deploy starts a deployment and returns its id, or CodeDeploy's error.
	Deploy(ctx context.Context, in codedeploy.DeployInput) (string, error)
	// Wait blocks until deployment id ends, or ctx does.
	Wait(ctx context.Context, id string) (codedeploy.Result, error)
}

// aliasDeployment is the CodeDeploy deployment an alias update runs: the
// group is known before the deployment starts, its id once it has.
type aliasDeployment struct {
	Application string `json:"application"`
	Group       string `json:"group"`
	ID          string `json:"id,omitempty"`
}

// aliasShift is an alias update to carry out through CodeDeploy.
type aliasShift struct {
	in codedeploy.DeployInput
}

// stopWait bounds how long a rollback waits for a stopped deployment to
// end: stopping takes one step of the deployment's runner.
const stopWait = time.Minute

// aliasShiftFor reports whether the update of logical from old to new
// properties is a CodeDeploy deployment, and of what: an AWS::Lambda::Alias
// with UpdatePolicy.CodeDeployLambdaAliasUpdate (its intrinsics evaluated
// now) whose FunctionVersion changes. It returns nil for any other update,
// and an error when the policy cannot be evaluated or lacks its names.
func (s *Service) aliasShiftFor(st *stack, b *template.Stack, logical string, r template.Resolver, old, new map[string]any) (*aliasShift, error) {
	def := b.T.Resources[logical]
	if def.Type != "AWS::Lambda::Alias" || def.UpdatePolicy == nil {
		return nil, nil
	}
	from, to := fmt.Sprint(old["FunctionVersion"]), fmt.Sprint(new["FunctionVersion"])
	if from == to {
		return nil, nil
	}
	v, err := b.Eval(def.UpdatePolicy, r)
	if err != nil {
		return nil, err
	}
	policy, _ := v.(map[string]any)
	u, ok := policy["CodeDeployLambdaAliasUpdate"].(map[string]any)
	if !ok {
		return nil, nil
	}
	str := func(k string) string {
		s, _ := u[k].(string)
		return s
	}
	if str("ApplicationName") == "" || str("DeploymentGroupName") == "" {
		return nil, validationError("Template error: UpdatePolicy CodeDeployLambdaAliasUpdate of %s needs ApplicationName and DeploymentGroupName", logical)
	}
	if s.Deployer == nil {
		return nil, fmt.Errorf("the UpdatePolicy CodeDeployLambdaAliasUpdate of %s needs CodeDeploy, which this server runs without", logical)
	}
	return &aliasShift{in: codedeploy.DeployInput{Region: st.Region, Application: str("ApplicationName"),
		Group: str("DeploymentGroupName"), Function: fmt.Sprint(new["FunctionName"]), Alias: fmt.Sprint(new["Name"]),
		CurrentVersion: from, TargetVersion: to, BeforeHook: str("BeforeAllowTrafficHook"),
		AfterHook:   str("AfterAllowTrafficHook"),
		Description: fmt.Sprintf("Update of %s in stack %s", logical, st.Name)}}, nil
}

// shift runs the deployment of an alias update and waits for its end;
// rec's properties are still the old ones (old), props the new. When the
// deployment succeeded, whatever else changed in the alias (description,
// provisioned concurrency) is applied by the provider. It returns
// errStopped, leaving the resource in progress, when the service closes
// before the deployment ends: the next Open rolls the update back and
// stops the deployment.
func (s *Service) shift(st *stack, logical string, rec *res, p resources.Provider, old *res, props map[string]any, sh *aliasShift) (resources.Result, error) {
	id, err := s.Deployer.Deploy(opCtx, sh.in)
	if err != nil {
		s.mu.Lock()
		// Nothing was started: a rollback must not stop another's deployment.
		rec.Deployment = nil
		s.mu.Unlock()
		return old.Result, fmt.Errorf("CodeDeploy could not start the deployment of %s: %s", logical, reason(err))
	}
	s.mu.Lock()
	rec.Deployment = &aliasDeployment{Application: sh.in.Application, Group: sh.in.Group, ID: id}
	s.addEventLocked(st, logical, old.Result.PhysicalID, rec.Type, statusUpdateInProgress,
		fmt.Sprintf("CodeDeploy deployment %s is shifting traffic of alias %s from version %s to version %s.", id, sh.in.Alias, sh.in.CurrentVersion, sh.in.TargetVersion))
	err = s.saveLocked(st)
	s.mu.Unlock()
	if err != nil {
		return old.Result, err
	}
	out, err := s.Deployer.Wait(s.updateContext(st), id)
	if err != nil {
		if s.ctx.Err() != nil {
			return old.Result, errStopped
		}
		if s.updateCancelled(st) {
			// The rollback stops the deployment (settleDeployment), which
			// moves the alias back.
			return old.Result, errResourceUpdateCancelled
		}
		return old.Result, fmt.Errorf("waiting for CodeDeploy deployment %s: %w", id, err)
	}
	if out.Status != "Succeeded" {
		msg := fmt.Sprintf("CodeDeploy deployment %s %s", id, strings.ToLower(out.Status))
		if out.ErrorCode != "" || out.ErrorMessage != "" {
			msg += fmt.Sprintf(" (%s): %s", out.ErrorCode, out.ErrorMessage)
		}
		if out.RollbackID != "" {
			msg += fmt.Sprintf(" Deployment %s rolled the alias back to version %s.", out.RollbackID, sh.in.CurrentVersion)
		}
		return old.Result, errors.New(msg)
	}
	// The alias is on the new version now; the provider applies the rest.
	rest := func(m map[string]any) map[string]any {
		c := make(map[string]any, len(m))
		for k, v := range m {
			if k != "FunctionVersion" {
				c[k] = v
			}
		}
		return c
	}
	if reflect.DeepEqual(rest(old.Props), rest(props)) {
		return old.Result, nil
	}
	moved := rest(old.Props)
	moved["FunctionVersion"] = props["FunctionVersion"]
	return p.Update(opCtx, s.env(st, logical), old.Result, moved, props)
}

// settleDeployment makes sure the deployment an interrupted or failed alias
// update started has ended before the alias is restored: one still running
// is stopped with rollback (CodeDeploy moves the alias back to the old
// version). When a crash came between the deployment's start and the save
// of its id, the group's deployments CloudFormation started and that are
// still going are the ones stopped. It returns the error that kept it from
// knowing the deployment ended.
func (s *Service) settleDeployment(st *stack, d *aliasDeployment) error {
	if s.Deployer == nil {
		return errors.New("a CodeDeploy deployment of this alias may be running, and this server runs without CodeDeploy")
	}
	cl := cdapi.NewFromConfig(s.awsConfig(st.Region))
	ids := []string{d.ID}
	if d.ID == "" {
		list, err := cl.ListDeployments(opCtx, &cdapi.ListDeploymentsInput{ApplicationName: aws.String(d.Application),
			DeploymentGroupName: aws.String(d.Group), IncludeOnlyStatuses: []cdtypes.DeploymentStatus{
				cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued, cdtypes.DeploymentStatusInProgress,
				cdtypes.DeploymentStatusBaking, cdtypes.DeploymentStatusReady}})
		if err != nil {
			return fmt.Errorf("listing the deployments of group %s: %s", d.Group, reason(err))
		}
		ids = nil
		for _, id := range list.Deployments {
			got, err := cl.GetDeployment(opCtx, &cdapi.GetDeploymentInput{DeploymentId: aws.String(id)})
			if err != nil {
				return fmt.Errorf("reading deployment %s: %s", id, reason(err))
			}
			if got.DeploymentInfo != nil && got.DeploymentInfo.Creator == cdtypes.DeploymentCreatorCloudFormation {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		_, err := cl.StopDeployment(opCtx, &cdapi.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)})
		var done *cdtypes.DeploymentAlreadyCompletedException
		if err != nil && !errors.As(err, &done) {
			return fmt.Errorf("stopping CodeDeploy deployment %s: %s", id, reason(err))
		}
		ctx, cancel := context.WithTimeout(s.ctx, stopWait)
		_, err = s.Deployer.Wait(ctx, id)
		cancel()
		if err != nil {
			if s.ctx.Err() != nil {
				return errStopped
			}
			return fmt.Errorf("waiting for CodeDeploy deployment %s to stop: %w", id, err)
		}
	}
	return nil
}
