package apigw

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

var reStageName = regexp.MustCompile(`^[a-zA-Z0-9_\-]{1,128}$`)

// reStageVariable is what stage variable names and values may hold, as AWS says.
var (
	reStageVarName  = regexp.MustCompile(`^[a-zA-Z0-9_]{1,64}$`)
	reStageVarValue = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#&=,]{0,512}$`)
)

func checkStageVariables(vars map[string]string) error {
	for k, v := range vars {
		if !reStageVarName.MatchString(k) {
			return badRequest("Stage variable names may only contain alphanumeric characters and underscores")
		}
		if !reStageVarValue.MatchString(v) {
			return badRequest("Stage variable values must match the regular expression [A-Za-z0-9-._~:/?#&=,]+")
		}
	}
	return nil
}

// autoDeploy deploys a's current routes to its auto-deploy stages, and forgets
// automatic deployments no stage serves any more.
func autoDeploy(a *httpAPI, now time.Time) {
	var d *deployment
	for _, st := range a.Stages {
		if !st.AutoDeploy {
			continue
		}
		if d == nil {
			d = snapshot(a, now, "", true)
		}
		st.DeploymentID = d.ID
		st.Updated = now
	}
	used := map[string]bool{}
	for _, st := range a.Stages {
		used[st.DeploymentID] = true
	}
	for id, dep := range a.Deployments {
		if dep.AutoDeployed && !used[id] {
			delete(a.Deployments, id)
		}
	}
}

// snapshot records a deployment of a's routes and integrations.
func snapshot(a *httpAPI, now time.Time, desc string, auto bool) *deployment {
	d := &deployment{ID: newID(6), Description: desc, AutoDeployed: auto, Created: now,
		Routes: maps.Clone(a.Routes), Integrations: maps.Clone(a.Integrations)}
	if a.Deployments == nil {
		a.Deployments = map[string]*deployment{}
	}
	a.Deployments[d.ID] = d
	return d
}

type stageInput struct {
	StageName      *string           `json:"stageName"`
	Description    *string           `json:"description"`
	DeploymentID   *string           `json:"deploymentId"`
	AutoDeploy     *bool             `json:"autoDeploy"`
	StageVariables map[string]string `json:"stageVariables"`
	Tags           map[string]string `json:"tags"`
}

type stageOutput struct {
	AutoDeploy           bool              `json:"autoDeploy"`
	CreatedDate          string            `json:"createdDate"`
	DefaultRouteSettings map[string]any    `json:"defaultRouteSettings"`
	DeploymentID         string            `json:"deploymentId,omitempty"`
	Description          string            `json:"description,omitempty"`
	LastUpdatedDate      string            `json:"lastUpdatedDate"`
	RouteSettings        map[string]any    `json:"routeSettings"`
	StageName            string            `json:"stageName"`
	StageVariables       map[string]string `json:"stageVariables,omitempty"`
	Tags                 map[string]string `json:"tags"`
}

func stageOut(st *stage) stageOutput {
	tags := st.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return stageOutput{AutoDeploy: st.AutoDeploy, CreatedDate: isoTime(st.Created),
		DefaultRouteSettings: map[string]any{"detailedMetricsEnabled": false}, DeploymentID: st.DeploymentID,
		Description: st.Description, LastUpdatedDate: isoTime(st.Updated), RouteSettings: map[string]any{},
		StageName: st.Name, StageVariables: st.Variables, Tags: tags}
}

func stageNotFound() error { return notFound("Invalid stage identifier specified") }

func (s *Service) createStage(w http.ResponseWriter, r *http.Request, args []string) error {
	var in stageInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.StageName == nil || (*in.StageName != "$default" && !reStageName.MatchString(*in.StageName)) {
		return badRequest("Stage name must be $default or match [a-zA-Z0-9-_]{1,128}")
	}
	if err := checkStageVariables(in.StageVariables); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	st := &stage{Name: *in.StageName, Variables: in.StageVariables, Tags: in.Tags, Created: now, Updated: now}
	setStr(&st.Description, in.Description)
	setStr(&st.DeploymentID, in.DeploymentID)
	if in.AutoDeploy != nil {
		st.AutoDeploy = *in.AutoDeploy
	}
	a, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		if a.Stages[st.Name] != nil {
			return conflict("Stage %s already exists", st.Name)
		}
		if st.DeploymentID != "" && a.Deployments[st.DeploymentID] == nil {
			return badRequest("Deployment %s does not exist", st.DeploymentID)
		}
		if a.Stages == nil {
			a.Stages = map[string]*stage{}
		}
		a.Stages[st.Name] = st
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, stageOut(a.Stages[st.Name]))
	return nil
}

func (s *Service) getStage(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupAPI(r, args[0])
	if err != nil {
		return err
	}
	st := a.Stages[args[2]]
	if st == nil {
		return stageNotFound()
	}
	awsproto.WriteJSON(w, http.StatusOK, stageOut(st))
	return nil
}

func (s *Service) getStages(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupAPI(r, args[0])
	if err != nil {
		return err
	}
	items := []stageOutput{}
	for _, name := range slices.Sorted(maps.Keys(a.Stages)) {
		items = append(items, stageOut(a.Stages[name]))
	}
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Service) updateStage(w http.ResponseWriter, r *http.Request, args []string) error {
	var in stageInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkStageVariables(in.StageVariables); err != nil {
		return err
	}
	a, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		st := a.Stages[args[2]]
		if st == nil {
			return stageNotFound()
		}
		setStr(&st.Description, in.Description)
		if in.DeploymentID != nil {
			if a.Deployments[*in.DeploymentID] == nil {
				return badRequest("Deployment %s does not exist", *in.DeploymentID)
			}
			st.DeploymentID = *in.DeploymentID
		}
		if in.AutoDeploy != nil {
			st.AutoDeploy = *in.AutoDeploy
		}
		if in.StageVariables != nil {
			// As on AWS, a variable set to "" is removed.
			if st.Variables == nil {
				st.Variables = map[string]string{}
			}
			for k, v := range in.StageVariables {
				if v == "" {
					delete(st.Variables, k)
				} else {
					st.Variables[k] = v
				}
			}
		}
		st.Updated = time.Now().UTC().Truncate(time.Second)
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, stageOut(a.Stages[args[2]]))
	return nil
}

func (s *Service) deleteStage(w http.ResponseWriter, r *http.Request, args []string) error {
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		if a.Stages[args[2]] == nil {
			return stageNotFound()
		}
		delete(a.Stages, args[2])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type deploymentOutput struct {
	AutoDeployed     bool   `json:"autoDeployed"`
	CreatedDate      string `json:"createdDate"`
	DeploymentID     string `json:"deploymentId"`
	DeploymentStatus string `json:"deploymentStatus"`
	Description      string `json:"description,omitempty"`
}

func deploymentOut(d *deployment) deploymentOutput {
	return deploymentOutput{AutoDeployed: d.AutoDeployed, CreatedDate: isoTime(d.Created), DeploymentID: d.ID,
		DeploymentStatus: "DEPLOYED", Description: d.Description}
}

// createDeployment is CreateDeployment: a snapshot of the routes, served by the
// stage named (if any) from now on. Stages with auto-deploy take none.
func (s *Service) createDeployment(w http.ResponseWriter, r *http.Request, args []string) error {
	var in struct {
		StageName   *string `json:"stageName"`
		Description *string `json:"description"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	var d *deployment
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		var st *stage
		if in.StageName != nil {
			if st = a.Stages[*in.StageName]; st == nil {
				return stageNotFound()
			}
			if st.AutoDeploy {
				return badRequest("Stage %s has auto-deploy enabled and takes no manual deployments", st.Name)
			}
		}
		desc := ""
		setStr(&desc, in.Description)
		d = snapshot(a, time.Now().UTC().Truncate(time.Second), desc, false)
		if st != nil {
			st.DeploymentID = d.ID
			st.Updated = d.Created
		}
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, deploymentOut(d))
	return nil
}

func (s *Service) getDeployments(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupAPI(r, args[0])
	if err != nil {
		return err
	}
	items := []deploymentOutput{}
	for _, d := range a.Deployments {
		items = append(items, deploymentOut(d))
	}
	slices.SortFunc(items, func(x, y deploymentOutput) int {
		return strings.Compare(x.CreatedDate+x.DeploymentID, y.CreatedDate+y.DeploymentID)
	})
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}
