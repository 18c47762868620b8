package apigw

import (
	"net/http"
	"slices"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

type routeInput struct {
	RouteKey          *string `json:"routeKey"`
	Target            *string `json:"target"`
	AuthorizationType *string `json:"authorizationType"`
	APIKeyRequired    *bool   `json:"apiKeyRequired"`
	OperationName     *string `json:"operationName"`
}

// checkRoute validates a route's key and target against the API's integrations.
func checkRoute(a *httpAPI, rt *route) error {
	if _, _, err := parseRouteKey(rt.RouteKey); err != nil {
		return badRequest("Invalid route key specified: %s", rt.RouteKey)
	}
	if rt.Target != "" {
		id, ok := strings.CutPrefix(rt.Target, "integrations/")
		if !ok || a.Integrations[id] == nil {
			return badRequest("Invalid integration target specified: %s", rt.Target)
		}
	}
	switch rt.AuthorizationType {
	case "NONE":
	case "AWS_IAM", "JWT", "CUSTOM":
		return badRequest("AuthorizationType %s is not supported by Stratus", rt.AuthorizationType)
	default:
		return badRequest("Invalid authorization type specified: %s", rt.AuthorizationType)
	}
	for _, o := range a.Routes {
		if o.ID != rt.ID && o.RouteKey == rt.RouteKey {
			return conflict("Route with key %s already exists for this API", rt.RouteKey)
		}
	}
	return nil
}

func (rt *route) apply(in *routeInput) {
	setStr(&rt.RouteKey, in.RouteKey)
	setStr(&rt.Target, in.Target)
	setStr(&rt.AuthorizationType, in.AuthorizationType)
	setStr(&rt.OperationName, in.OperationName)
	if in.APIKeyRequired != nil {
		rt.APIKeyRequired = *in.APIKeyRequired
	}
}

func (s *Service) createRoute(w http.ResponseWriter, r *http.Request, args []string) error {
	var in routeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.RouteKey == nil {
		return badRequest("Invalid route key specified")
	}
	rt := &route{ID: newID(7), AuthorizationType: "NONE"}
	rt.apply(&in)
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		if err := checkRoute(a, rt); err != nil {
			return err
		}
		if a.Routes == nil {
			a.Routes = map[string]*route{}
		}
		a.Routes[rt.ID] = rt
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, rt)
	return nil
}

func (s *Service) routeOf(r *http.Request, args []string) (*route, error) {
	a, err := s.lookupAPI(r, args[0])
	if err != nil {
		return nil, err
	}
	rt := a.Routes[args[2]]
	if rt == nil {
		return nil, notFound("Invalid Route identifier specified %s", args[2])
	}
	return rt, nil
}

func (s *Service) getRoute(w http.ResponseWriter, r *http.Request, args []string) error {
	rt, err := s.routeOf(r, args)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, rt)
	return nil
}

func (s *Service) getRoutes(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupAPI(r, args[0])
	if err != nil {
		return err
	}
	items := make([]*route, 0, len(a.Routes))
	for _, rt := range a.Routes {
		items = append(items, rt)
	}
	slices.SortFunc(items, func(x, y *route) int { return strings.Compare(x.RouteKey, y.RouteKey) })
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Service) updateRoute(w http.ResponseWriter, r *http.Request, args []string) error {
	var in routeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if _, err := s.routeOf(r, args); err != nil {
		return err
	}
	var out *route
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		rt := a.Routes[args[2]]
		if rt == nil {
			return notFound("Invalid Route identifier specified %s", args[2])
		}
		rt.apply(&in)
		out = rt
		return checkRoute(a, rt)
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) deleteRoute(w http.ResponseWriter, r *http.Request, args []string) error {
	if _, err := s.routeOf(r, args); err != nil {
		return err
	}
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		if a.Routes[args[2]] == nil {
			return notFound("Invalid Route identifier specified %s", args[2])
		}
		delete(a.Routes, args[2])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type integrationInput struct {
	IntegrationType      *string `json:"integrationType"`
	IntegrationURI       *string `json:"integrationUri"`
	IntegrationMethod    *string `json:"integrationMethod"`
	PayloadFormatVersion *string `json:"payloadFormatVersion"`
	TimeoutInMillis      *int    `json:"timeoutInMillis"`
	ConnectionType       *string `json:"connectionType"`
	Description          *string `json:"description"`
}

// applyIntegration checks in and applies it to integ (a new one when create).
func applyIntegration(integ *integration, in *integrationInput, create bool) error {
	if in.IntegrationType != nil {
		switch *in.IntegrationType {
		case "AWS_PROXY":
			integ.Type = "AWS_PROXY"
		case "HTTP_PROXY", "AWS", "HTTP", "MOCK":
			return badRequest("Integration type %s is not supported by Stratus; use AWS_PROXY", *in.IntegrationType)
		default:
			return badRequest("Invalid integration type specified: %s", *in.IntegrationType)
		}
	} else if create {
		return badRequest("Invalid integration type specified")
	}
	if in.IntegrationURI != nil {
		if _, _, ok := functionOf(substitute(*in.IntegrationURI, nil)); !ok && !containsStageVar(*in.IntegrationURI) {
			return badRequest("Invalid integration URI specified: %s", *in.IntegrationURI)
		}
		integ.URI = *in.IntegrationURI
	} else if create {
		return badRequest("Integration URI is required for AWS_PROXY integrations")
	}
	if in.PayloadFormatVersion != nil {
		if v := *in.PayloadFormatVersion; v != "1.0" && v != "2.0" {
			return badRequest("Invalid payload format version specified: %s", v)
		}
		integ.PayloadFormatVersion = *in.PayloadFormatVersion
	} else if create {
		return badRequest("PayloadFormatVersion is required for AWS_PROXY integrations of HTTP APIs")
	}
	if in.ConnectionType != nil && *in.ConnectionType != "INTERNET" {
		return badRequest("Invalid connection type specified: %s", *in.ConnectionType)
	}
	if in.TimeoutInMillis != nil {
		if *in.TimeoutInMillis < 50 || *in.TimeoutInMillis > 30000 {
			return badRequest("Timeout must be between 50 ms and 30000 ms")
		}
		integ.TimeoutInMillis = *in.TimeoutInMillis
	}
	setStr(&integ.Method, in.IntegrationMethod)
	setStr(&integ.Description, in.Description)
	return nil
}

func (s *Service) createIntegration(w http.ResponseWriter, r *http.Request, args []string) error {
	var in integrationInput
	if err := decode(r, &in); err != nil {
		return err
	}
	integ := &integration{ID: newID(7), Method: "POST", TimeoutInMillis: 30000, ConnectionType: "INTERNET"}
	if err := applyIntegration(integ, &in, true); err != nil {
		return err
	}
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		if a.Integrations == nil {
			a.Integrations = map[string]*integration{}
		}
		a.Integrations[integ.ID] = integ
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, integ)
	return nil
}

func (s *Service) updateIntegration(w http.ResponseWriter, r *http.Request, args []string) error {
	var in integrationInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if _, err := s.integrationOf(r, args); err != nil {
		return err
	}
	var out *integration
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		integ := a.Integrations[args[2]]
		if integ == nil {
			return notFound("Invalid Integration identifier specified %s", args[2])
		}
		out = integ
		return applyIntegration(integ, &in, false)
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) integrationOf(r *http.Request, args []string) (*integration, error) {
	a, err := s.lookupAPI(r, args[0])
	if err != nil {
		return nil, err
	}
	i := a.Integrations[args[2]]
	if i == nil {
		return nil, notFound("Invalid Integration identifier specified %s", args[2])
	}
	return i, nil
}

func (s *Service) getIntegration(w http.ResponseWriter, r *http.Request, args []string) error {
	i, err := s.integrationOf(r, args)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, i)
	return nil
}

func (s *Service) getIntegrations(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupAPI(r, args[0])
	if err != nil {
		return err
	}
	items := make([]*integration, 0, len(a.Integrations))
	for _, i := range a.Integrations {
		items = append(items, i)
	}
	slices.SortFunc(items, func(x, y *integration) int { return strings.Compare(x.ID, y.ID) })
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// deleteIntegration is DeleteIntegration; an integration a route targets stays.
func (s *Service) deleteIntegration(w http.ResponseWriter, r *http.Request, args []string) error {
	if _, err := s.integrationOf(r, args); err != nil {
		return err
	}
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		for _, rt := range a.Routes {
			if rt.Target == "integrations/"+args[2] {
				return conflict("Cannot delete integration %s, it is in use by route %s", args[2], rt.RouteKey)
			}
		}
		delete(a.Integrations, args[2])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
