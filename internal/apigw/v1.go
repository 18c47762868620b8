package apigw

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// serveV1 routes the REST API management API. Route table:
//
//	POST   /restapis                                          CreateRestApi
//	GET    /restapis                                          GetRestApis
//	GET    /restapis/{id}                                     GetRestApi
//	DELETE /restapis/{id}                                     DeleteRestApi
//	GET    /restapis/{id}/resources                           GetResources
//	GET    /restapis/{id}/resources/{rid}                     GetResource
//	POST   /restapis/{id}/resources/{parentId}                CreateResource
//	DELETE /restapis/{id}/resources/{rid}                     DeleteResource
//	PUT    /restapis/{id}/resources/{rid}/methods/{m}         PutMethod
//	GET    /restapis/{id}/resources/{rid}/methods/{m}         GetMethod
//	DELETE /restapis/{id}/resources/{rid}/methods/{m}         DeleteMethod
//	PUT    /restapis/{id}/resources/{rid}/methods/{m}/integration   PutIntegration
//	GET    /restapis/{id}/resources/{rid}/methods/{m}/integration   GetIntegration
//	POST   /restapis/{id}/deployments                         CreateDeployment
//	GET    /restapis/{id}/deployments                         GetDeployments
//	POST   /restapis/{id}/stages                              CreateStage
//	GET    /restapis/{id}/stages                              GetStages
//	GET    /restapis/{id}/stages/{name}                       GetStage
//	DELETE /restapis/{id}/stages/{name}                       DeleteStage
func (s *Service) serveV1(w http.ResponseWriter, r *http.Request) error {
	args := splitPath(r.URL.EscapedPath(), "/restapis")
	var table map[string]v2Handler
	n := len(args)
	switch {
	case n == 0:
		table = map[string]v2Handler{"POST": s.createRestAPI, "GET": s.getRestAPIs}
	case n == 1:
		table = map[string]v2Handler{"GET": s.getRestAPI, "DELETE": s.deleteRestAPI}
	case n == 2 && args[1] == "resources":
		table = map[string]v2Handler{"GET": s.getResources}
	case n == 3 && args[1] == "resources":
		table = map[string]v2Handler{"GET": s.getResource, "POST": s.createResource, "DELETE": s.deleteResource}
	case n == 5 && args[1] == "resources" && args[3] == "methods":
		table = map[string]v2Handler{"PUT": s.putMethod, "GET": s.getMethod, "DELETE": s.deleteMethod}
	case n == 6 && args[1] == "resources" && args[3] == "methods" && args[5] == "integration":
		table = map[string]v2Handler{"PUT": s.putIntegration, "GET": s.getRestIntegration}
	case n == 2 && args[1] == "deployments":
		table = map[string]v2Handler{"POST": s.createRestDeployment, "GET": s.getRestDeployments}
	case n == 2 && args[1] == "stages":
		table = map[string]v2Handler{"POST": s.createRestStage, "GET": s.getRestStages}
	case n == 3 && args[1] == "stages":
		table = map[string]v2Handler{"GET": s.getRestStage, "DELETE": s.deleteRestStage}
	default:
		return errUnknownOperation
	}
	h, ok := table[r.Method]
	if !ok {
		return errMethodNotAllowed
	}
	return h(w, r, args)
}

func (s *Service) lookupRest(r *http.Request, id string) (*restAPI, error) {
	a := s.restC.get(id)
	if a == nil || a.Region != region(r) {
		return nil, s.apiNotFound(id)
	}
	return a, nil
}

func (s *Service) mutateRest(r *http.Request, id string, fn func(*restAPI) error) (*restAPI, error) {
	if _, err := s.lookupRest(r, id); err != nil {
		return nil, err
	}
	a, err := update(r.Context(), s.restAPIs, &s.restC, id, fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.apiNotFound(id)
	}
	return a, err
}

type restAPIOutput struct {
	ID                        string            `json:"id"`
	Name                      string            `json:"name"`
	Description               string            `json:"description,omitempty"`
	Version                   string            `json:"version,omitempty"`
	CreatedDate               int64             `json:"createdDate"`
	BinaryMediaTypes          []string          `json:"binaryMediaTypes,omitempty"`
	APIKeySource              string            `json:"apiKeySource"`
	EndpointConfiguration     map[string]any    `json:"endpointConfiguration"`
	DisableExecuteAPIEndpoint bool              `json:"disableExecuteApiEndpoint"`
	RootResourceID            string            `json:"rootResourceId"`
	Tags                      map[string]string `json:"tags,omitempty"`
}

func restOut(a *restAPI) restAPIOutput {
	return restAPIOutput{ID: a.ID, Name: a.Name, Description: a.Description, Version: a.Version,
		CreatedDate: a.Created.Unix(), BinaryMediaTypes: a.BinaryMediaTypes, APIKeySource: a.APIKeySource,
		EndpointConfiguration: map[string]any{"types": a.EndpointTypes}, DisableExecuteAPIEndpoint: a.DisableExecuteAPIEndpoint,
		RootResourceID: a.RootID, Tags: a.Tags}
}

func (s *Service) createRestAPI(w http.ResponseWriter, r *http.Request, _ []string) error {
	var in struct {
		Name                      *string           `json:"name"`
		Description               *string           `json:"description"`
		Version                   *string           `json:"version"`
		BinaryMediaTypes          []string          `json:"binaryMediaTypes"`
		APIKeySource              *string           `json:"apiKeySource"`
		DisableExecuteAPIEndpoint *bool             `json:"disableExecuteApiEndpoint"`
		Tags                      map[string]string `json:"tags"`
		EndpointConfiguration     *struct {
			Types []string `json:"types"`
		} `json:"endpointConfiguration"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return badRequest("Invalid REST API name specified")
	}
	now := time.Now().UTC().Truncate(time.Second)
	root := &resource{ID: newID(10), Path: "/"}
	a := &restAPI{ID: newID(10), Region: region(r), Name: *in.Name, Created: now, APIKeySource: "HEADER",
		EndpointTypes: []string{"EDGE"}, BinaryMediaTypes: in.BinaryMediaTypes, Tags: in.Tags, RootID: root.ID,
		Resources: map[string]*resource{root.ID: root}}
	setStr(&a.Description, in.Description)
	setStr(&a.Version, in.Version)
	if in.APIKeySource != nil {
		if *in.APIKeySource != "HEADER" && *in.APIKeySource != "AUTHORIZER" {
			return badRequest("Invalid API Key source specified: %s", *in.APIKeySource)
		}
		a.APIKeySource = *in.APIKeySource
	}
	if in.DisableExecuteAPIEndpoint != nil {
		a.DisableExecuteAPIEndpoint = *in.DisableExecuteAPIEndpoint
	}
	if in.EndpointConfiguration != nil && len(in.EndpointConfiguration.Types) > 0 {
		for _, t := range in.EndpointConfiguration.Types {
			if t != "EDGE" && t != "REGIONAL" && t != "PRIVATE" {
				return badRequest("Invalid endpoint type specified: %s", t)
			}
		}
		a.EndpointTypes = in.EndpointConfiguration.Types
	}
	rev, err := s.restAPIs.Create(r.Context(), a.ID, *a)
	if err != nil {
		return err
	}
	s.restC.put(a.ID, a, rev)
	awsproto.WriteJSON(w, http.StatusCreated, restOut(a))
	return nil
}

func (s *Service) getRestAPI(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupRest(r, args[0])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, restOut(a))
	return nil
}

func (s *Service) getRestAPIs(w http.ResponseWriter, r *http.Request, _ []string) error {
	items := []restAPIOutput{}
	all := s.restC.all()
	slices.SortFunc(all, func(a, b *restAPI) int { return strings.Compare(a.ID, b.ID) })
	for _, a := range all {
		if a.Region == region(r) {
			items = append(items, restOut(a))
		}
	}
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"item": items})
	return nil
}

func (s *Service) deleteRestAPI(w http.ResponseWriter, r *http.Request, args []string) error {
	if _, err := s.lookupRest(r, args[0]); err != nil {
		return err
	}
	if err := remove(r.Context(), s.restAPIs, &s.restC, args[0]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s.apiNotFound(args[0])
		}
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func resourceNotFound() *awsproto.Error { return notFound("Invalid Resource identifier specified") }

func (s *Service) getResources(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupRest(r, args[0])
	if err != nil {
		return err
	}
	items := make([]*resource, 0, len(a.Resources))
	for _, res := range a.Resources {
		items = append(items, res)
	}
	slices.SortFunc(items, func(x, y *resource) int { return strings.Compare(x.Path, y.Path) })
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"item": items})
	return nil
}

func (s *Service) getResource(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupRest(r, args[0])
	if err != nil {
		return err
	}
	res := a.Resources[args[2]]
	if res == nil {
		return resourceNotFound()
	}
	awsproto.WriteJSON(w, http.StatusOK, res)
	return nil
}

// rePathPart is what a resource's path part may be: a name, {var} or a last {var+}.
var rePathPart = regexp.MustCompile(`^([a-zA-Z0-9._\-:]+|\{[a-zA-Z0-9._\-]+\+?\})$`)

func (s *Service) createResource(w http.ResponseWriter, r *http.Request, args []string) error {
	var in struct {
		PathPart *string `json:"pathPart"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.PathPart == nil || !rePathPart.MatchString(*in.PathPart) {
		return badRequest("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.")
	}
	part := *in.PathPart
	res := &resource{ID: newID(6), ParentID: args[2], PathPart: part}
	_, err := s.mutateRest(r, args[0], func(a *restAPI) error {
		parent := a.Resources[args[2]]
		if parent == nil {
			return resourceNotFound()
		}
		if strings.HasSuffix(parent.PathPart, "+}") {
			return badRequest("Cannot create a child of a resource with a greedy path variable: %s", parent.Path)
		}
		for _, o := range a.Resources {
			if o.ParentID == parent.ID && (o.PathPart == part || strings.HasPrefix(o.PathPart, "{") && strings.HasPrefix(part, "{")) {
				if o.PathPart == part {
					return conflict("Another resource with the same parent already has this name: %s", part)
				}
				return badRequest("A sibling (%s) of this resource already has a variable path part -- only one is allowed", o.PathPart)
			}
		}
		res.Path = strings.TrimSuffix(parent.Path, "/") + "/" + part
		a.Resources[res.ID] = res
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, res)
	return nil
}

// deleteResource is DeleteResource: the resource and everything below it.
func (s *Service) deleteResource(w http.ResponseWriter, r *http.Request, args []string) error {
	_, err := s.mutateRest(r, args[0], func(a *restAPI) error {
		res := a.Resources[args[2]]
		if res == nil {
			return resourceNotFound()
		}
		if res.ID == a.RootID {
			return badRequest("Cannot delete root resource")
		}
		for id, o := range a.Resources {
			if o.Path == res.Path || strings.HasPrefix(o.Path, res.Path+"/") {
				delete(a.Resources, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
