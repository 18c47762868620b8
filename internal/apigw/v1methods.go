package apigw

import (
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

var restMethods = map[string]bool{"ANY": true, "GET": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "HEAD": true, "OPTIONS": true}

func methodNotFound() *awsproto.Error { return notFound("Invalid Method identifier specified") }

// methodOf finds method args[4] of resource args[2] in a.
func (s *Service) methodOf(a *restAPI, args []string) (*resource, *method, error) {
	res := a.Resources[args[2]]
	if res == nil {
		return nil, nil, resourceNotFound()
	}
	m := res.Methods[args[4]]
	if m == nil {
		return res, nil, methodNotFound()
	}
	return res, m, nil
}

func (s *Service) putMethod(w http.ResponseWriter, r *http.Request, args []string) error {
	var in struct {
		AuthorizationType *string         `json:"authorizationType"`
		APIKeyRequired    *bool           `json:"apiKeyRequired"`
		OperationName     *string         `json:"operationName"`
		RequestParameters map[string]bool `json:"requestParameters"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if !restMethods[args[4]] {
		return badRequest("Invalid HTTP method specified")
	}
	if in.AuthorizationType == nil {
		return badRequest("Invalid authorization type specified")
	}
	switch *in.AuthorizationType {
	case "NONE":
	case "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS":
		return badRequest("Authorization type %s is not supported by Stratus", *in.AuthorizationType)
	default:
		return badRequest("Invalid authorization type specified")
	}
	m := &method{HTTPMethod: args[4], AuthorizationType: *in.AuthorizationType, RequestParameters: in.RequestParameters}
	setStr(&m.OperationName, in.OperationName)
	if in.APIKeyRequired != nil {
		m.APIKeyRequired = *in.APIKeyRequired
	}
	_, err := s.mutateRest(r, args[0], func(a *restAPI) error {
		res := a.Resources[args[2]]
		if res == nil {
			return resourceNotFound()
		}
		if res.Methods[args[4]] != nil {
			return conflict("Method already exists for this resource")
		}
		if res.Methods == nil {
			res.Methods = map[string]*method{}
		}
		res.Methods[args[4]] = m
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Service) getMethod(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupRest(r, args[0])
	if err != nil {
		return err
	}
	_, m, err := s.methodOf(a, args)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, m)
	return nil
}

func (s *Service) deleteMethod(w http.ResponseWriter, r *http.Request, args []string) error {
	_, err := s.mutateRest(r, args[0], func(a *restAPI) error {
		res, _, err := s.methodOf(a, args)
		if err != nil {
			return err
		}
		delete(res.Methods, args[4])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putIntegration is PutIntegration; Stratus runs AWS_PROXY integrations to Lambda.
func (s *Service) putIntegration(w http.ResponseWriter, r *http.Request, args []string) error {
	var in struct {
		Type            *string `json:"type"`
		HTTPMethod      *string `json:"httpMethod"`
		URI             *string `json:"uri"`
		TimeoutInMillis *int    `json:"timeoutInMillis"`
		ContentHandling *string `json:"contentHandling"`
		CacheNamespace  *string `json:"cacheNamespace"`
		Passthrough     *string `json:"passthroughBehavior"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	typ := ""
	setStr(&typ, in.Type)
	switch typ {
	case "AWS_PROXY":
	case "AWS", "HTTP", "HTTP_PROXY", "MOCK":
		return badRequest("Integration type %s is not supported by Stratus; use AWS_PROXY", typ)
	default:
		return badRequest("1 validation error detected: Value '%s' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, AWS, MOCK, HTTP_PROXY, AWS_PROXY]", typ)
	}
	if in.HTTPMethod == nil || *in.HTTPMethod == "" {
		return badRequest("Enumeration value for HttpMethod must be non-empty")
	}
	if in.URI == nil {
		return badRequest("Invalid ARN specified in the request")
	}
	if err := checkRESTURI(*in.URI); err != nil {
		return err
	}
	integ := &restIntegration{Type: "AWS_PROXY", HTTPMethod: *in.HTTPMethod, URI: *in.URI, TimeoutInMillis: 29000,
		PassthroughBehavior: "WHEN_NO_MATCH", CacheKeyParameters: []string{}}
	setStr(&integ.ContentHandling, in.ContentHandling)
	setStr(&integ.PassthroughBehavior, in.Passthrough)
	if in.TimeoutInMillis != nil {
		if *in.TimeoutInMillis < 50 || *in.TimeoutInMillis > 29000 {
			return badRequest("Timeout should be between 50 ms and 29000 ms")
		}
		integ.TimeoutInMillis = *in.TimeoutInMillis
	}
	_, err := s.mutateRest(r, args[0], func(a *restAPI) error {
		res, m, err := s.methodOf(a, args)
		if err != nil {
			return err
		}
		integ.CacheNamespace = res.ID
		setStr(&integ.CacheNamespace, in.CacheNamespace)
		m.Integration = integ
		return nil
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, integ)
	return nil
}

// checkRESTURI checks a REST API's AWS_PROXY integration URI, which must be
// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations.
func checkRESTURI(uri string) error {
	parts := strings.SplitN(uri, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "apigateway" {
		return badRequest("Invalid ARN specified in the request")
	}
	if !strings.HasPrefix(parts[5], "path/") && !strings.HasPrefix(parts[5], "action/") {
		return badRequest("AWS ARN for integration must contain path or action")
	}
	if parts[4] != "lambda" {
		return badRequest("Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.")
	}
	if _, _, ok := functionOf(substitute(uri, nil)); !ok && !containsStageVar(uri) {
		return badRequest("Invalid ARN specified in the request")
	}
	return nil
}

func containsStageVar(uri string) bool {
	return len(uri) > 0 && substitute(uri, nil) != uri
}

func (s *Service) getRestIntegration(w http.ResponseWriter, r *http.Request, args []string) error {
	a, err := s.lookupRest(r, args[0])
	if err != nil {
		return err
	}
	_, m, err := s.methodOf(a, args)
	if err != nil {
		return err
	}
	if m.Integration == nil {
		return notFound("Invalid Integration identifier specified")
	}
	awsproto.WriteJSON(w, http.StatusOK, m.Integration)
	return nil
}
