package codedeploy

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/store"
)

// A deployment's lifecycle: Created → InProgress → Succeeded, Failed or
// Stopped. Within InProgress the runner moves through the phases below, and
// every transition is recorded before the next phase begins:
//
//	start ─► before (BeforeAllowTraffic hook) ─► shift (traffic steps) ─► after (AfterAllowTraffic hook) ─► done
//	  └──────────┴─────────────┴──────────────────┴──► ending (failure, alarm or stop; rollback) ─► done
const (
	statusCreated    = "Created"
	statusInProgress = "InProgress"
	statusSucceeded  = "Succeeded"
	statusFailed     = "Failed"
	statusStopped    = "Stopped"

	phaseStart  = ""
	phaseBefore = "before"
	phaseShift  = "shift"
	phaseAfter  = "after"
	phaseDone   = "done"

	creatorUser     = "user"
	creatorRollback = "codeDeployRollback"
	creatorCFN      = "CloudFormation"

	evPending    = "Pending"
	evInProgress = "InProgress"
	evSucceeded  = "Succeeded"
	evFailed     = "Failed"
	evSkipped    = "Skipped"
)

// validStatuses are the deployment statuses ListDeployments filters by.
var validStatuses = map[string]bool{"Created": true, "Queued": true, "InProgress": true, "Baking": true,
	"Succeeded": true, "Failed": true, "Stopped": true, "Ready": true}

// lifecycleNames are a Lambda deployment's lifecycle events, in order.
var lifecycleNames = []string{hookBefore, eventTraffic, hookAfter}

// deployment is a deployment as stored: what was asked, and how far the
// runner got.
type deployment struct {
	ID           string                     `json:"id"`
	Region       string                     `json:"region"`
	Application  string                     `json:"application"`
	Group        string                     `json:"group"`
	Config       string                     `json:"config"`
	Description  string                     `json:"description,omitempty"`
	Creator      string                     `json:"creator"`
	Status       string                     `json:"status"`
	Created      time.Time                  `json:"created"`
	Started      time.Time                  `json:"started,omitzero"`
	Completed    time.Time                  `json:"completed,omitzero"`
	Revision     revisionLocation           `json:"revision"`
	Spec         appSpec                    `json:"spec"`
	Routing      trafficRoutingConfig       `json:"routing"`
	AutoRollback *autoRollbackConfiguration `json:"autoRollback,omitempty"`
	Alarms       *alarmConfiguration        `json:"alarms,omitempty"`
	Override     *alarmConfiguration        `json:"override,omitempty"`

	Phase string `json:"phase"`
	// Shift is how many traffic steps were taken; Weight the target
	// version's share after the last; NextShift the wall time the next is
	// due, kept across restarts so a step's hold is not begun again.
	Shift     int                      `json:"shift"`
	Weight    float64                  `json:"weight"`
	NextShift time.Time                `json:"nextShift,omitzero"`
	Events    map[string]*lifecycleRec `json:"events"`
	Hooks     map[string]*hookRec      `json:"hooks,omitempty"`
	Stop      *stopRec                 `json:"stop,omitempty"`
	Ending    *ending                  `json:"ending,omitempty"`
	Error     *errorInformation        `json:"error,omitempty"`
	Rollback  *rollbackInfo            `json:"rollback,omitempty"`
	Updated   time.Time                `json:"updated"`
}

type lifecycleRec struct {
	Status string    `json:"status"`
	Start  time.Time `json:"start,omitzero"`
	End    time.Time `json:"end,omitzero"`
}

// hookRec is one hook execution: the runner records it before invoking the
// hook function (Invoked after), so a restart in between invokes it again
// rather than never.
type hookRec struct {
	ExecID   string    `json:"execId"`
	Function string    `json:"function"`
	Invoked  bool      `json:"invoked"`
	Status   string    `json:"status"`
	Started  time.Time `json:"started"`
}

type stopRec struct {
	Rollback bool `json:"rollback"`
}

// ending is how a deployment that did not succeed ends, decided before it is
// carried out: the rollback (when wanted) first, then the final status.
type ending struct {
	Status     string           `json:"status"`
	Error      errorInformation `json:"error"`
	Rollback   bool             `json:"rollback"`
	RollbackID string           `json:"rollbackId,omitempty"`
}

func (d *deployment) terminal() bool {
	return d.Status == statusSucceeded || d.Status == statusFailed || d.Status == statusStopped
}

func (d *deployment) clone() deployment {
	b, _ := json.Marshal(d) // plain data: cannot fail
	var c deployment
	json.Unmarshal(b, &c) //nolint:errcheck // just marshalled
	return c
}

// functionName is the AppSpec function's bare name, as usage is keyed:
// the Name property may be a name, a name with a qualifier or an ARN.
func (d *deployment) functionName() string {
	n := d.Spec.Function
	if strings.HasPrefix(n, "arn:") {
		parts := strings.Split(n, ":")
		if len(parts) >= 7 {
			return parts[6]
		}
	}
	n, _, _ = strings.Cut(n, ":")
	return n
}

func (d *deployment) targetID() string { return d.functionName() + ":" + d.Spec.Alias }

// targetStatus is the status of the deployment's one target, the alias.
func (d *deployment) targetStatus() string {
	switch d.Status {
	case statusCreated:
		return evPending
	case statusInProgress:
		return evInProgress
	case statusSucceeded:
		return evSucceeded
	}
	return evFailed
}

func (d *deployment) info() deploymentInfo {
	rev := d.Revision
	info := deploymentInfo{ApplicationName: d.Application, DeploymentGroupName: d.Group, DeploymentConfigName: d.Config,
		DeploymentID: d.ID, Revision: &rev, Status: d.Status, ErrorInformation: d.Error, CreateTime: at(d.Created),
		StartTime: at(d.Started), CompleteTime: at(d.Completed), DeploymentOverview: &deploymentOverview{},
		Description: d.Description, Creator: d.Creator, AutoRollbackConfiguration: d.AutoRollback,
		OverrideAlarmConfiguration: d.Override, RollbackInfo: d.Rollback,
		DeploymentStyle: &deploymentStyle{DeploymentType: styleBlueGreen, DeploymentOption: styleTrafficControl},
		ComputePlatform: platformLambda, StatusMessages: []string{}}
	switch d.targetStatus() {
	case evPending:
		info.DeploymentOverview.Pending = 1
	case evInProgress:
		info.DeploymentOverview.InProgress = 1
	case evSucceeded:
		info.DeploymentOverview.Succeeded = 1
	default:
		info.DeploymentOverview.Failed = 1
	}
	return info
}

func (s *Service) targetOf(d *deployment) deploymentTarget {
	t := &lambdaTarget{DeploymentID: d.ID, TargetID: d.targetID(),
		TargetArn: "arn:aws:lambda:" + d.Region + ":" + s.Account + ":function:" + d.targetID(),
		Status:    d.targetStatus(), LastUpdatedAt: at(d.Updated),
		LambdaFunctionInfo: &lambdaFunctionInfo{FunctionName: d.functionName(), FunctionAlias: d.Spec.Alias,
			CurrentVersion: d.Spec.CurrentVersion, TargetVersion: d.Spec.TargetVersion, TargetVersionWeight: d.Weight}}
	for _, n := range lifecycleNames {
		ev := lifecycleEvent{LifecycleEventName: n, Status: evPending}
		if e := d.Events[n]; e != nil {
			ev.Status, ev.StartTime, ev.EndTime = e.Status, at(e.Start), at(e.End)
		}
		t.LifecycleEvents = append(t.LifecycleEvents, ev)
	}
	return deploymentTarget{DeploymentTargetType: "LambdaTarget", LambdaTarget: t}
}

// errNoDeployment is update's error for an id it does not know.
var errNoDeployment = errors.New("codedeploy: no such deployment")

// update applies fn to the latest stored state of deployment id and writes
// the result (compare-and-set, again on a conflict), then wakes the
// waiters. fn's error leaves the deployment as it was.
func (s *Service) update(ctx context.Context, id string, fn func(d *deployment) error) (deployment, error) {
	for {
		s.mu.Lock()
		st := s.deps[id]
		if st == nil {
			s.mu.Unlock()
			return deployment{}, errNoDeployment
		}
		d := st.rec.clone()
		if err := fn(&d); err != nil {
			s.mu.Unlock()
			return d, err
		}
		d.Updated = s.Now().UTC()
		rev, err := s.depTable.Update(ctx, id, d, st.rev)
		if errors.Is(err, store.ErrConflict) {
			if cur, crev, gerr := s.depTable.Get(ctx, id); gerr == nil {
				st.rec, st.rev = cur, crev
			}
			s.mu.Unlock()
			continue
		}
		if err != nil {
			s.mu.Unlock()
			return d, err
		}
		st.rec, st.rev = d, rev
		s.notifyLocked()
		s.mu.Unlock()
		return d, nil
	}
}

// insertLocked stores a new deployment and caches it. Callers hold s.mu.
func (s *Service) insertLocked(ctx context.Context, d deployment) error {
	d.Updated = d.Created
	rev, err := s.depTable.Create(ctx, d.ID, d)
	if err != nil {
		return err
	}
	s.deps[d.ID] = &depState{rec: d, rev: rev}
	s.notifyLocked()
	return nil
}
