package apigw

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/proxyevent"
	"github.com/stratus-run/stratus/internal/store"
)

// v2Handler is one apigatewayv2 operation; args are the path's labels after /v2/apis.
type v2Handler func(w http.ResponseWriter, r *http.Request, args []string) error

// serveV2 routes the HTTP API management API. Route table:
//
//	POST   /v2/apis                            CreateApi
//	GET    /v2/apis                            GetApis
//	GET    /v2/apis/{id}                       GetApi
//	PATCH  /v2/apis/{id}                       UpdateApi
//	DELETE /v2/apis/{id}                       DeleteApi
//	DELETE /v2/apis/{id}/cors                  DeleteCorsConfiguration
//	POST   /v2/apis/{id}/routes                CreateRoute
//	GET    /v2/apis/{id}/routes                GetRoutes
//	GET    /v2/apis/{id}/routes/{routeId}      GetRoute
//	PATCH  /v2/apis/{id}/routes/{routeId}      UpdateRoute
//	DELETE /v2/apis/{id}/routes/{routeId}      DeleteRoute
//	POST   /v2/apis/{id}/integrations          CreateIntegration
//	GET    /v2/apis/{id}/integrations          GetIntegrations
//	GET    /v2/apis/{id}/integrations/{iid}    GetIntegration
//	PATCH  /v2/apis/{id}/integrations/{iid}    UpdateIntegration
//	DELETE /v2/apis/{id}/integrations/{iid}    DeleteIntegration
//	POST   /v2/apis/{id}/stages                CreateStage
//	GET    /v2/apis/{id}/stages                GetStages
//	GET    /v2/apis/{id}/stages/{name}         GetStage
//	PATCH  /v2/apis/{id}/stages/{name}         UpdateStage
//	DELETE /v2/apis/{id}/stages/{name}         DeleteStage
//	POST   /v2/apis/{id}/deployments           CreateDeployment
//	GET    /v2/apis/{id}/deployments           GetDeployments
func (s *Service) serveV2(w http.ResponseWriter, r *http.Request) error {
	args := splitPath(r.URL.EscapedPath(), "/v2/apis")
	var table map[string]v2Handler
	switch {
	case len(args) == 0:
		table = map[string]v2Handler{"POST": s.createAPI, "GET": s.getAPIs}
	case len(args) == 1:
		table = map[string]v2Handler{"GET": s.getAPI, "PATCH": s.updateAPI, "DELETE": s.deleteAPI}
	case len(args) == 2 && args[1] == "cors":
		table = map[string]v2Handler{"DELETE": s.deleteCORS}
	case len(args) == 2 && args[1] == "routes":
		table = map[string]v2Handler{"POST": s.createRoute, "GET": s.getRoutes}
	case len(args) == 3 && args[1] == "routes":
		table = map[string]v2Handler{"GET": s.getRoute, "PATCH": s.updateRoute, "DELETE": s.deleteRoute}
	case len(args) == 2 && args[1] == "integrations":
		table = map[string]v2Handler{"POST": s.createIntegration, "GET": s.getIntegrations}
	case len(args) == 3 && args[1] == "integrations":
		table = map[string]v2Handler{"GET": s.getIntegration, "PATCH": s.updateIntegration, "DELETE": s.deleteIntegration}
	case len(args) == 2 && args[1] == "stages":
		table = map[string]v2Handler{"POST": s.createStage, "GET": s.getStages}
	case len(args) == 3 && args[1] == "stages":
		table = map[string]v2Handler{"GET": s.getStage, "PATCH": s.updateStage, "DELETE": s.deleteStage}
	case len(args) == 2 && args[1] == "deployments":
		table = map[string]v2Handler{"POST": s.createDeployment, "GET": s.getDeployments}
	default:
		return errUnknownOperation
	}
	h, ok := table[r.Method]
	if !ok {
		return errMethodNotAllowed
	}
	return h(w, r, args)
}

// apiNotFound is the NotFoundException of a missing API, HTTP or REST alike.
func (s *Service) apiNotFound(id string) *awsproto.Error {
	return notFound("Invalid API identifier specified %s:%s", s.Account, id)
}

// lookupAPI returns the cached HTTP API of the request's region.
func (s *Service) lookupAPI(r *http.Request, id string) (*httpAPI, error) {
	a := s.httpC.get(id)
	if a == nil || a.Region != region(r) {
		return nil, s.apiNotFound(id)
	}
	return a, nil
}

// mutateAPI changes HTTP API id with fn, as update does, mapping a missing API
// (or one of another region) to NotFoundException; stages with auto-deploy get a
// new deployment of the result.
func (s *Service) mutateAPI(r *http.Request, id string, fn func(*httpAPI) error) (*httpAPI, error) {
	if _, err := s.lookupAPI(r, id); err != nil {
		return nil, err
	}
	a, err := update(r.Context(), s.httpAPIs, &s.httpC, id, func(a *httpAPI) error {
		if err := fn(a); err != nil {
			return err
		}
		autoDeploy(a, time.Now())
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.apiNotFound(id)
	}
	return a, err
}

type apiInput struct {
	Name                      *string           `json:"name"`
	ProtocolType              *string           `json:"protocolType"`
	Description               *string           `json:"description"`
	Version                   *string           `json:"version"`
	RouteSelectionExpression  *string           `json:"routeSelectionExpression"`
	APIKeySelectionExpression *string           `json:"apiKeySelectionExpression"`
	DisableExecuteAPIEndpoint *bool             `json:"disableExecuteApiEndpoint"`
	CORS                      *proxyevent.CORS  `json:"corsConfiguration"`
	Tags                      map[string]string `json:"tags"`
	Target                    *string           `json:"target"`
	RouteKey                  *string           `json:"routeKey"`
	CredentialsArn            *string           `json:"credentialsArn"`
}

type apiOutput struct {
	APIEndpoint               string            `json:"apiEndpoint"`
	APIID                     string            `json:"apiId"`
	APIKeySelectionExpression string            `json:"apiKeySelectionExpression"`
	CORS                      *proxyevent.CORS  `json:"corsConfiguration,omitempty"`
	CreatedDate               string            `json:"createdDate"`
	Description               string            `json:"description,omitempty"`
	DisableExecuteAPIEndpoint bool              `json:"disableExecuteApiEndpoint"`
	Name                      string            `json:"name"`
	ProtocolType              string            `json:"protocolType"`
	RouteSelectionExpression  string            `json:"routeSelectionExpression"`
	Tags                      map[string]string `json:"tags"`
	Version                   string            `json:"version,omitempty"`
}

// Endpoint is the invoke URL of an API (or function URL) id on this server.
func (s *Service) endpoint(id string) string {
	return "http://" + id + ".execute-api.localhost:" + s.Port
}

func (s *Service) apiOut(a *httpAPI) apiOutput {
	tags := a.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return apiOutput{APIEndpoint: s.endpoint(a.ID), APIID: a.ID, APIKeySelectionExpression: a.APIKeySelectionExpression,
		CORS: a.CORS, CreatedDate: isoTime(a.Created), Description: a.Description,
		DisableExecuteAPIEndpoint: a.DisableExecuteAPIEndpoint, Name: a.Name, ProtocolType: a.ProtocolType,
		RouteSelectionExpression: a.RouteSelectionExpression, Tags: tags, Version: a.Version}
}

// createAPI is CreateApi, quick create included: a target makes an AWS_PROXY
// integration (payload 2.0), a route (routeKey, by default $default) and a
// $default stage with auto-deploy.
func (s *Service) createAPI(w http.ResponseWriter, r *http.Request, _ []string) error {
	var in apiInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == nil || *in.Name == "" || len(*in.Name) > 128 {
		return badRequest("Invalid API name specified")
	}
	if in.ProtocolType == nil {
		return badRequest("Invalid protocol specified. Must be one of [HTTP, WEBSOCKET]")
	}
	switch *in.ProtocolType {
	case "HTTP":
	case "WEBSOCKET":
		return badRequest("WEBSOCKET APIs are not supported by Stratus")
	default:
		return badRequest("Invalid protocol specified. Must be one of [HTTP, WEBSOCKET]")
	}
	if err := checkCORS(in.CORS); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	a := &httpAPI{ID: newID(10), Region: region(r), Name: *in.Name, ProtocolType: "HTTP",
		RouteSelectionExpression: "$request.method $request.path", APIKeySelectionExpression: "$request.header.x-api-key",
		CORS: in.CORS, Tags: in.Tags, Created: now}
	setStr(&a.Description, in.Description)
	setStr(&a.Version, in.Version)
	if in.RouteSelectionExpression != nil && *in.RouteSelectionExpression != a.RouteSelectionExpression {
		return badRequest("Unsupported route selection expression for HTTP API: %s", *in.RouteSelectionExpression)
	}
	if in.DisableExecuteAPIEndpoint != nil {
		a.DisableExecuteAPIEndpoint = *in.DisableExecuteAPIEndpoint
	}
	if in.RouteKey != nil && in.Target == nil {
		return badRequest("RouteKey can only be specified with a Target")
	}
	if in.Target != nil {
		if _, _, ok := functionOf(*in.Target); !ok {
			return badRequest("Invalid target specified: quick create takes a Lambda function ARN")
		}
		key := "$default"
		if in.RouteKey != nil {
			key = *in.RouteKey
		}
		if _, _, err := parseRouteKey(key); err != nil {
			return badRequest("Invalid route key specified: %s", key)
		}
		integ := &integration{ID: newID(7), Type: "AWS_PROXY", URI: *in.Target, Method: "POST",
			PayloadFormatVersion: "2.0", TimeoutInMillis: 30000, ConnectionType: "INTERNET"}
		rt := &route{ID: newID(7), RouteKey: key, Target: "integrations/" + integ.ID, AuthorizationType: "NONE"}
		a.Integrations = map[string]*integration{integ.ID: integ}
		a.Routes = map[string]*route{rt.ID: rt}
		a.Stages = map[string]*stage{"$default": {Name: "$default", AutoDeploy: true, Created: now, Updated: now}}
		autoDeploy(a, now)
	}
	rev, err := s.httpAPIs.Create(r.Context(), a.ID, *a)
	if err != nil {
		return err
	}
	s.httpC.put(a.ID, a, rev)
	awsproto.WriteJSON(w, http.StatusCreated, s.apiOut(a))
	return nil
}

func setStr(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func checkCORS(c *proxyevent.CORS) error {
	if c == nil {
		return nil
	}
	if c.MaxAge != nil && (*c.MaxAge < -1 || *c.MaxAge > 86400) {
		return badRequest("Invalid CORS maxAge: must be between -1 and 86400")
	}
	if c.AllowCredentials && slices.Contains(c.AllowOrigins, "*") {
		return badRequest("allow-credentials cannot be used with allow-origin=*")
	}
	return nil
}

func (s *Service) getAPI(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupAPI(r, args[0])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, s.apiOut(a))
	return nil
}

func (s *Service) getAPIs(w http.ResponseWriter, r *http.Request, _ []string) error {
	items := []apiOutput{}
	reg := region(r)
	all := s.httpC.all()
	slices.SortFunc(all, func(a, b *httpAPI) int { return strings.Compare(a.ID, b.ID) })
	for _, a := range all {
		if a.Region == reg {
			items = append(items, s.apiOut(a))
		}
	}
	awsproto.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Service) updateAPI(w http.ResponseWriter, r *http.Request, args []string) error {
	var in apiInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name != nil && (*in.Name == "" || len(*in.Name) > 128) {
		return badRequest("Invalid API name specified")
	}
	if err := checkCORS(in.CORS); err != nil {
		return err
	}
	a, err := s.mutateAPI(r, args[0], func(a *httpAPI) error {
		setStr(&a.Name, in.Name)
		setStr(&a.Description, in.Description)
		setStr(&a.Version, in.Version)
		if in.CORS != nil {
			a.CORS = in.CORS
		}
		if in.DisableExecuteAPIEndpoint != nil {
			a.DisableExecuteAPIEndpoint = *in.DisableExecuteAPIEndpoint
		}
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, s.apiOut(a))
	return nil
}

func (s *Service) deleteCORS(w http.ResponseWriter, r *http.Request, args []string) error {
	_, err := s.mutateAPI(r, args[0], func(a *httpAPI) error { a.CORS = nil; return nil })
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) deleteAPI(w http.ResponseWriter, r *http.Request, args []string) error {
	if _, err := s.lookupAPI(r, args[0]); err != nil {
		return err
	}
	if err := remove(r.Context(), s.httpAPIs, &s.httpC, args[0]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s.apiNotFound(args[0])
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// functionOf reads the function an AWS_PROXY integration calls from its URI: a
// Lambda function ARN, or API Gateway's
// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations.
func functionOf(uri string) (region, fn string, ok bool) {
	if rest, found := strings.CutPrefix(uri, "arn:aws:apigateway:"); found {
		_, path, found := strings.Cut(rest, ":lambda:path/2015-03-31/functions/")
		if !found {
			return "", "", false
		}
		uri, found = strings.CutSuffix(path, "/invocations")
		if !found {
			return "", "", false
		}
	}
	parts := strings.Split(uri, ":")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" || parts[6] == "" || parts[3] == "" {
		return "", "", false
	}
	return parts[3], uri, true
}
