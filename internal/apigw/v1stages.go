package apigw

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

type restDeploymentOutput struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	CreatedDate int64  `json:"createdDate"`
}

// createRestDeployment is CreateDeployment: a snapshot of the resources and
// methods; with a stageName, that stage (created if need be) serves it.
func (s *Service) createRestDeployment(w http.ResponseWriter, r *http.Request, args []string) error {
	var in struct {
		StageName        *string           `json:"stageName"`
		StageDescription *string           `json:"stageDescription"`
		Description      *string           `json:"description"`
		Variables        map[string]string `json:"variables"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.StageName != nil && !reStageName.MatchString(*in.StageName) {
		return badRequest("Stage name only allows a-zA-Z0-9_-")
	}
	if err := checkStageVariables(in.Variables); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	d := &restDeployment{ID: newID(6), Created: now}
	setStr(&d.Description, in.Description)
	_, err := s.mutateRest(r, args[0], func(a *restAPI) error {
		hasMethod := false
		for _, res := range a.Resources {
			if len(res.Methods) > 0 {
				hasMethod = true
			}
			for _, m := range res.Methods {
				if m.Integration == nil {
					return badRequest("No integration defined for method")
				}
			}
		}
		if !hasMethod {
			return badRequest("The REST API doesn't contain any methods")
		}
		d.Resources = maps.Clone(a.Resources)
		if a.Deployments == nil {
			a.Deployments = map[string]*restDeployment{}
		}
		a.Deployments[d.ID] = d
		if in.StageName != nil {
			st := a.Stages[*in.StageName]
			if st == nil {
				st = &restStage{Name: *in.StageName, Created: now}
				setStr(&st.Description, in.StageDescription)
				if a.Stages == nil {
					a.Stages = map[string]*restStage{}
				}
				a.Stages[st.Name] = st
			}
			st.DeploymentID, st.Updated = d.ID, now
			if in.Variables != nil {
				st.Variables = in.Variables
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, restDeploymentOutput{ID: d.ID, Description: d.Description, CreatedDate: now.Unix()})
	return nil
}

func (s *Service) getRestDeployments(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupRest(r, args[0])
	if err != nil {
		return err
	}
	items := []restDeploymentOutput{}
	for _, d := range a.Deployments {
		items = append(items, restDeploymentOutput{ID: d.ID, Description: d.Description, CreatedDate: d.Created.Unix()})
	}
	slices.SortFunc(items, func(x, y restDeploymentOutput) int { return int(x.CreatedDate - y.CreatedDate) })
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"item": items})
	return nil
}

type restStageOutput struct {
	StageName           string            `json:"stageName"`
	DeploymentID        string            `json:"deploymentId"`
	Description         string            `json:"description,omitempty"`
	Variables           map[string]string `json:"variables,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	CreatedDate         int64             `json:"createdDate"`
	LastUpdatedDate     int64             `json:"lastUpdatedDate"`
	MethodSettings      map[string]any    `json:"methodSettings"`
	TracingEnabled      bool              `json:"tracingEnabled"`
	CacheClusterEnabled bool              `json:"cacheClusterEnabled"`
}

func restStageOut(st *restStage) restStageOutput {
	return restStageOutput{StageName: st.Name, DeploymentID: st.DeploymentID, Description: st.Description,
		Variables: st.Variables, Tags: st.Tags, CreatedDate: st.Created.Unix(), LastUpdatedDate: st.Updated.Unix(),
		MethodSettings: map[string]any{}}
}

func stageMissing() *awsproto.Error { return notFound("Invalid Stage identifier specified") }

func (s *Service) createRestStage(w http.ResponseWriter, r *http.Request, args []string) error {
	var in struct {
		StageName    *string           `json:"stageName"`
		DeploymentID *string           `json:"deploymentId"`
		Description  *string           `json:"description"`
		Variables    map[string]string `json:"variables"`
		Tags         map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.StageName == nil || !reStageName.MatchString(*in.StageName) {
		return badRequest("Stage name only allows a-zA-Z0-9_-")
	}
	if in.DeploymentID == nil {
		return badRequest("Invalid deployment identifier specified")
	}
	if err := checkStageVariables(in.Variables); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	st := &restStage{Name: *in.StageName, DeploymentID: *in.DeploymentID, Variables: in.Variables, Tags: in.Tags,
		Created: now, Updated: now}
	setStr(&st.Description, in.Description)
	_, err := s.mutateRest(r, args[0], func(a *restAPI) error {
		if a.Deployments[st.DeploymentID] == nil {
			return notFound("Invalid Deployment identifier specified")
		}
		if a.Stages[st.Name] != nil {
			return conflict("Stage already exists")
		}
		if a.Stages == nil {
			a.Stages = map[string]*restStage{}
		}
		a.Stages[st.Name] = st
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, restStageOut(st))
	return nil
}

func (s *Service) getRestStage(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupRest(r, args[0])
	if err != nil {
		return err
	}
	st := a.Stages[args[2]]
	if st == nil {
		return stageMissing()
	}
	awsproto.WriteJSON(w, http.StatusOK, restStageOut(st))
	return nil
}

func (s *Service) getRestStages(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupRest(r, args[0])
	if err != nil {
		return err
	}
	items := []restStageOutput{}
	for _, name := range slices.Sorted(maps.Keys(a.Stages)) {
		items = append(items, restStageOut(a.Stages[name]))
	}
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"item": items})
	return nil
}

func (s *Service) deleteRestStage(w http.ResponseWriter, r *http.Request, args []string) error {
	_, err := s.mutateRest(r, args[0], func(a *restAPI) error {
		if a.Stages[args[2]] == nil {
			return stageMissing()
		}
		delete(a.Stages, args[2])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// binaryType reports whether contentType matches one of an API's binary media
// types ("image/png", "image/*", "*/*").
func binaryType(types []string, contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	for _, t := range types {
		t = strings.ToLower(t)
		if t == ct || t == "*/*" {
			return true
		}
		if prefix, ok := strings.CutSuffix(t, "/*"); ok && strings.HasPrefix(ct, prefix+"/") {
			return true
		}
	}
	return false
}
