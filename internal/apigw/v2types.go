package apigw

import (
	"time"

	"github.com/stratus-run/stratus/internal/proxyevent"
)

// httpAPI is one HTTP API with everything in it, stored as one record under its id.
type httpAPI struct {
	ID                        string            `json:"id"`
	Region                    string            `json:"region"`
	Name                      string            `json:"name"`
	Description               string            `json:"description,omitempty"`
	Version                   string            `json:"version,omitempty"`
	ProtocolType              string            `json:"protocolType"`
	RouteSelectionExpression  string            `json:"routeSelectionExpression"`
	APIKeySelectionExpression string            `json:"apiKeySelectionExpression"`
	DisableExecuteAPIEndpoint bool              `json:"disableExecuteApiEndpoint,omitempty"`
	CORS                      *proxyevent.CORS  `json:"cors,omitempty"`
	Tags                      map[string]string `json:"tags,omitempty"`
	Created                   time.Time         `json:"created"`

	Routes       map[string]*route       `json:"routes,omitempty"`       // by id
	Integrations map[string]*integration `json:"integrations,omitempty"` // by id
	Stages       map[string]*stage       `json:"stages,omitempty"`       // by name
	Deployments  map[string]*deployment  `json:"deployments,omitempty"`  // by id
}

type route struct {
	ID                string `json:"routeId"`
	RouteKey          string `json:"routeKey"`
	Target            string `json:"target,omitempty"`
	AuthorizationType string `json:"authorizationType"`
	APIKeyRequired    bool   `json:"apiKeyRequired"`
	OperationName     string `json:"operationName,omitempty"`
}

type integration struct {
	ID                   string `json:"integrationId"`
	Type                 string `json:"integrationType"`
	URI                  string `json:"integrationUri,omitempty"`
	Method               string `json:"integrationMethod,omitempty"`
	PayloadFormatVersion string `json:"payloadFormatVersion"`
	TimeoutInMillis      int    `json:"timeoutInMillis"`
	ConnectionType       string `json:"connectionType"`
	Description          string `json:"description,omitempty"`
}

type stage struct {
	Name         string            `json:"stageName"`
	Description  string            `json:"description,omitempty"`
	DeploymentID string            `json:"deploymentId,omitempty"`
	AutoDeploy   bool              `json:"autoDeploy"`
	Variables    map[string]string `json:"stageVariables,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	Created      time.Time         `json:"created"`
	Updated      time.Time         `json:"updated"`
}

// deployment is a snapshot of an API's routes and integrations that stages
// without auto-deploy serve.
type deployment struct {
	ID           string                  `json:"deploymentId"`
	Description  string                  `json:"description,omitempty"`
	AutoDeployed bool                    `json:"autoDeployed"`
	Created      time.Time               `json:"created"`
	Routes       map[string]*route       `json:"routes,omitempty"`
	Integrations map[string]*integration `json:"integrations,omitempty"`

	compiled compiled // the routes parsed for matching, on first use
}
