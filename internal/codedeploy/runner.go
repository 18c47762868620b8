package codedeploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/store"
)

const (
	// hookTimeout is how long CodeDeploy waits for a hook's status.
	hookTimeout = time.Hour
	// alarmPoll is how often (in deployment time) watched alarms are
	// evaluated while a deployment runs.
	alarmPoll = 5 * time.Second
	// retryDelay is the wall-time wait after a step failed for a reason that
	// may pass (the store or the endpoint busy).
	retryDelay = 500 * time.Millisecond
)

// startLocked starts the runner of deployment id unless it runs. Callers
// hold s.mu.
func (s *Service) startLocked(id string) {
	st := s.deps[id]
	if st == nil || st.running || s.ctx == nil {
		return
	}
	st.running = true
	s.wg.Add(1)
	go s.run(id)
}

// run carries deployment id out step by step until it ends or the service
// closes. Each step reads the stored state, acts, and records the result,
// so whatever stopped the runner, the next one resumes from the record.
func (s *Service) run(id string) {
	defer s.wg.Done()
	ctx := s.ctx
	var lastAlarm time.Time
	for {
		s.mu.Lock()
		st := s.deps[id]
		changed := s.changed
		d := st.rec.clone()
		if d.terminal() {
			st.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		now := s.Now()
		checkAlarms := now.Sub(lastAlarm) >= s.pollEvery()
		if checkAlarms {
			lastAlarm = now
		}
		wait, err := s.step(ctx, &d, checkAlarms)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.Log.Warn("codedeploy: deployment step", "deployment", id, "phase", d.Phase, "err", err)
			wait = retryDelay
		}
		if wait <= 0 {
			continue
		}
		if p := s.pollEvery() - s.Now().Sub(lastAlarm); p < wait && d.Phase != phaseStart {
			wait = max(p, time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-changed:
			t.Stop()
		}
	}
}

func (s *Service) pollEvery() time.Duration {
	return max(s.clock.Scale(alarmPoll), 20*time.Millisecond)
}

// step takes deployment d one step and returns how long to wait before the
// next (0: at once; the runner also wakes at any change).
func (s *Service) step(ctx context.Context, d *deployment, checkAlarms bool) (time.Duration, error) {
	if d.Ending != nil {
		return 0, s.finish(ctx, d)
	}
	if d.Stop != nil {
		return 0, s.end(ctx, d.ID, statusStopped, errorInformation{Code: "MANUAL_STOP",
			Message: "The deployment was stopped by a user's StopDeployment request."}, d.Stop.Rollback)
	}
	if d.Phase == phaseStart {
		return 0, s.begin(ctx, d)
	}
	if checkAlarms {
		if names, firing, err := s.alarmsFiring(ctx, d); err != nil {
			s.Log.Warn("codedeploy: evaluating alarms", "deployment", d.ID, "err", err)
		} else if firing {
			return 0, s.end(ctx, d.ID, statusStopped, errorInformation{Code: "ALARM_ACTIVE",
				Message: "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <" + strings.Join(names, ", ") + ">"},
				d.AutoRollback.hasEvent(eventStopAlarm))
		}
	}
	switch d.Phase {
	case phaseBefore:
		return s.hookStep(ctx, d, hookBefore)
	case phaseShift:
		return s.shiftStep(ctx, d)
	case phaseAfter:
		return s.hookStep(ctx, d, hookAfter)
	}
	return 0, fmt.Errorf("codedeploy: deployment %s in unknown phase %q", d.ID, d.Phase)
}

// begin checks that the alias exists and serves the AppSpec's current
// version, then starts the deployment.
func (s *Service) begin(ctx context.Context, d *deployment) error {
	a, err := s.Lambda.GetAlias(ctx, d.Region, d.Spec.Function, d.Spec.Alias)
	if errors.Is(err, ErrNoAlias) {
		return s.end(ctx, d.ID, statusFailed, errorInformation{Code: "INVALID_LAMBDA_FUNCTION",
			Message: fmt.Sprintf("The Lambda function %s or its alias %s does not exist.", d.Spec.Function, d.Spec.Alias)}, false)
	}
	if err != nil {
		return err
	}
	if a.Version != d.Spec.CurrentVersion {
		return s.end(ctx, d.ID, statusFailed, errorInformation{Code: "INVALID_LAMBDA_CONFIGURATION",
			Message: fmt.Sprintf("The alias %s of Lambda function %s points to version %s, not to the AppSpec's CurrentVersion %s.", d.Spec.Alias, d.Spec.Function, a.Version, d.Spec.CurrentVersion)}, false)
	}
	now := s.Now().UTC()
	_, err = s.update(ctx, d.ID, func(d *deployment) error {
		d.Status, d.Started, d.Phase = statusInProgress, now, phaseBefore
		return nil
	})
	return err
}

// hookStep runs a lifecycle hook: record the execution, invoke the hook
// function, wait for its status (up to an hour), then move on or fail.
func (s *Service) hookStep(ctx context.Context, d *deployment, name string) (time.Duration, error) {
	now := s.Now().UTC()
	next := func(d *deployment) {
		if name == hookBefore {
			d.Phase = phaseShift
			return
		}
		d.Phase, d.Status, d.Completed = phaseDone, statusSucceeded, now
	}
	fn := d.Spec.hook(name)
	if fn == "" {
		_, err := s.update(ctx, d.ID, func(d *deployment) error {
			d.Events[name] = &lifecycleRec{Status: evSkipped, Start: now, End: now}
			next(d)
			return nil
		})
		return 0, err
	}
	h := d.Hooks[name]
	if h == nil {
		_, err := s.update(ctx, d.ID, func(d *deployment) error {
			if d.Hooks == nil {
				d.Hooks = map[string]*hookRec{}
			}
			d.Hooks[name] = &hookRec{ExecID: newExecID(), Function: fn, Status: evPending, Started: now}
			d.Events[name] = &lifecycleRec{Status: evInProgress, Start: now}
			return nil
		})
		return 0, err
	}
	if !h.Invoked {
		payload, _ := json.Marshal(map[string]string{"DeploymentId": d.ID, "LifecycleEventHookExecutionId": h.ExecID})
		if err := s.Lambda.InvokeEvent(ctx, d.Region, fn, payload); err != nil {
			if !clientFault(err) {
				return 0, err
			}
			return 0, s.fail(ctx, d, name, errorInformation{Code: "HOOK_EXECUTION_FAILURE",
				Message: fmt.Sprintf("The %s hook function %s could not be invoked: %s", name, fn, apiMessage(err))})
		}
		_, err := s.update(ctx, d.ID, func(d *deployment) error {
			d.Hooks[name].Invoked = true
			return nil
		})
		return 0, err
	}
	switch h.Status {
	case evSucceeded:
		_, err := s.update(ctx, d.ID, func(d *deployment) error {
			d.Events[name].Status, d.Events[name].End = evSucceeded, now
			next(d)
			return nil
		})
		return 0, err
	case evFailed:
		return 0, s.fail(ctx, d, name, errorInformation{Code: "HOOK_EXECUTION_FAILURE",
			Message: fmt.Sprintf("The deployment failed because the %s lifecycle event hook %s reported Failed.", name, fn)})
	}
	deadline := h.Started.Add(s.clock.Scale(hookTimeout))
	if !now.Before(deadline) {
		return 0, s.fail(ctx, d, name, errorInformation{Code: "TIMEOUT",
			Message: fmt.Sprintf("The %s lifecycle event hook %s did not report a status within one hour.", name, fn)})
	}
	return deadline.Sub(now), nil
}

// fail ends the deployment as Failed in lifecycle event name, rolling back
// when its automatic rollback covers DEPLOYMENT_FAILURE.
func (s *Service) fail(ctx context.Context, d *deployment, name string, info errorInformation) error {
	return s.end(ctx, d.ID, statusFailed, info, d.AutoRollback.hasEvent(eventFailure), name)
}

// shiftStep takes the next traffic step when its time has come.
func (s *Service) shiftStep(ctx context.Context, d *deployment) (time.Duration, error) {
	plan := shifts(d.Routing)
	now := s.Now().UTC()
	if d.Shift > 0 && d.Shift < len(plan) && now.Before(d.NextShift) {
		return d.NextShift.Sub(now), nil
	}
	if d.Shift < len(plan) {
		p := plan[d.Shift]
		var err error
		if p.Percent >= 100 {
			err = s.Lambda.UpdateAlias(ctx, d.Region, d.Spec.Function, d.Spec.Alias, d.Spec.TargetVersion, nil)
		} else {
			err = s.Lambda.UpdateAlias(ctx, d.Region, d.Spec.Function, d.Spec.Alias, d.Spec.CurrentVersion,
				map[string]float64{d.Spec.TargetVersion: float64(p.Percent) / 100})
		}
		if err != nil {
			if !clientFault(err) {
				return 0, err
			}
			return 0, s.fail(ctx, d, eventTraffic, errorInformation{Code: "INVALID_LAMBDA_CONFIGURATION",
				Message: fmt.Sprintf("Shifting traffic of alias %s of %s to version %s failed: %s", d.Spec.Alias, d.Spec.Function, d.Spec.TargetVersion, apiMessage(err))})
		}
	}
	_, err := s.update(ctx, d.ID, func(d *deployment) error {
		ev := d.Events[eventTraffic]
		if ev.Status == evPending {
			ev.Status, ev.Start = evInProgress, now
		}
		if d.Shift < len(plan) {
			d.Weight = float64(plan[d.Shift].Percent) / 100
			d.NextShift = now.Add(s.clock.Scale(plan[d.Shift].Hold))
			d.Shift++
		}
		if d.Shift >= len(plan) {
			ev.Status, ev.End = evSucceeded, now
			d.Phase = phaseAfter
		}
		return nil
	})
	return 0, err
}

// end decides how the deployment ends; finish carries it out. A deployment
// already ending keeps its first ending. in names the lifecycle event that
// failed, if one did.
func (s *Service) end(ctx context.Context, id, status string, info errorInformation, rollback bool, in ...string) error {
	_, err := s.update(ctx, id, func(d *deployment) error {
		if d.terminal() || d.Ending != nil {
			return nil
		}
		d.Ending = &ending{Status: status, Error: info, Rollback: rollback}
		if rollback {
			d.Ending.RollbackID = newDeploymentID()
		}
		for _, n := range in {
			if ev := d.Events[n]; ev != nil {
				ev.Status, ev.End = evFailed, s.Now().UTC()
			}
		}
		return nil
	})
	return err
}

// finish rolls the alias back when the ending says so, recording the
// rollback as a deployment of its own as CodeDeploy does, then gives the
// deployment its final status.
func (s *Service) finish(ctx context.Context, d *deployment) error {
	e := d.Ending
	now := s.Now().UTC()
	if e.Rollback {
		if d.Shift > 0 {
			if err := s.Lambda.UpdateAlias(ctx, d.Region, d.Spec.Function, d.Spec.Alias, d.Spec.CurrentVersion, nil); err != nil {
				return err
			}
		}
		if err := s.insertRollback(ctx, d, now); err != nil {
			return err
		}
	}
	_, err := s.update(ctx, d.ID, func(d *deployment) error {
		d.Status, d.Completed, d.Phase = e.Status, now, phaseDone
		info := e.Error
		d.Error = &info
		if e.Rollback {
			d.Weight = 0
			d.Rollback = &rollbackInfo{RollbackDeploymentID: e.RollbackID,
				RollbackMessage: "Deployment " + d.ID + " has been rolled back by deployment " + e.RollbackID + "."}
		}
		for _, n := range lifecycleNames {
			ev := d.Events[n]
			switch ev.Status {
			case evInProgress:
				ev.Status, ev.End = evFailed, now
			case evPending:
				ev.Status = evSkipped
			}
		}
		return nil
	})
	return err
}

// insertRollback stores the rollback deployment of d, already succeeded:
// the same alias moved back wholly to the current version at once.
func (s *Service) insertRollback(ctx context.Context, d *deployment, now time.Time) error {
	rb := deployment{ID: d.Ending.RollbackID, Region: d.Region, Application: d.Application, Group: d.Group,
		Config: defaultConfig, Creator: creatorRollback, Status: statusSucceeded, Created: now, Started: now, Completed: now,
		Revision: d.Revision, Routing: trafficRoutingConfig{Type: routingAllAtOnce}, Phase: phaseDone,
		Spec:  appSpec{Function: d.Spec.Function, Alias: d.Spec.Alias, CurrentVersion: d.Spec.TargetVersion, TargetVersion: d.Spec.CurrentVersion},
		Shift: 1, Weight: 1, Events: map[string]*lifecycleRec{},
		Rollback: &rollbackInfo{RollbackTriggeringDeploymentID: d.ID,
			RollbackMessage: "Deployment " + d.Ending.RollbackID + " rolled back deployment " + d.ID + "."}}
	for _, n := range lifecycleNames {
		rb.Events[n] = &lifecycleRec{Status: evSkipped}
	}
	rb.Events[eventTraffic] = &lifecycleRec{Status: evSucceeded, Start: now, End: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.deps[rb.ID]; ok {
		return nil
	}
	if err := s.insertLocked(ctx, rb); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	return nil
}

// alarmsFiring evaluates the deployment's alarms (the deployment's own
// override, else the group's): with no CloudWatch alarms to read, each
// watches the deployed function's errors since the deployment started.
func (s *Service) alarmsFiring(ctx context.Context, d *deployment) ([]string, bool, error) {
	cfg := d.Alarms
	if d.Override != nil {
		cfg = d.Override
	}
	names := cfg.alarmNames()
	if len(names) == 0 || s.Usage == nil || d.Started.IsZero() {
		return nil, false, nil
	}
	u, err := s.Usage.Sum(ctx, d.Started, s.Now().Add(time.Second))
	if err != nil {
		if cfg.IgnorePollAlarmFailure {
			return nil, false, nil
		}
		return nil, false, err
	}
	fn := d.functionName()
	for k, a := range u {
		if k.Region == d.Region && k.Function == fn && a.Errors > 0 {
			return names, true, nil
		}
	}
	return nil, false, nil
}

// clientFault reports whether err is an AWS error the caller caused (the
// request will not succeed if repeated), rather than one that may pass.
func clientFault(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorFault() != smithy.FaultServer
}

// newExecID returns a lifecycle event hook execution id: opaque, unique.
func newExecID() string {
	return strings.ReplaceAll(newUUID()+newUUID(), "-", "")
}
