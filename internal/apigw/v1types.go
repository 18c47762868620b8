package apigw

import "time"

// restAPI is one REST API with everything in it, stored as one record under its id.
type restAPI struct {
	ID                        string            `json:"id"`
	Region                    string            `json:"region"`
	Name                      string            `json:"name"`
	Description               string            `json:"description,omitempty"`
	Version                   string            `json:"version,omitempty"`
	BinaryMediaTypes          []string          `json:"binaryMediaTypes,omitempty"`
	EndpointTypes             []string          `json:"endpointTypes"`
	APIKeySource              string            `json:"apiKeySource"`
	DisableExecuteAPIEndpoint bool              `json:"disableExecuteApiEndpoint,omitempty"`
	Tags                      map[string]string `json:"tags,omitempty"`
	Created                   time.Time         `json:"created"`
	RootID                    string            `json:"rootId"`

	Resources   map[string]*resource       `json:"resources"` // by id
	Deployments map[string]*restDeployment `json:"deployments,omitempty"`
	Stages      map[string]*restStage      `json:"stages,omitempty"` // by name
}

type resource struct {
	ID       string             `json:"id"`
	ParentID string             `json:"parentId,omitempty"`
	PathPart string             `json:"pathPart,omitempty"`
	Path     string             `json:"path"`
	Methods  map[string]*method `json:"resourceMethods,omitempty"`
}

type method struct {
	HTTPMethod        string           `json:"httpMethod"`
	AuthorizationType string           `json:"authorizationType"`
	APIKeyRequired    bool             `json:"apiKeyRequired"`
	OperationName     string           `json:"operationName,omitempty"`
	RequestParameters map[string]bool  `json:"requestParameters,omitempty"`
	Integration       *restIntegration `json:"methodIntegration,omitempty"`
}

type restIntegration struct {
	Type                string   `json:"type"`
	HTTPMethod          string   `json:"httpMethod,omitempty"`
	URI                 string   `json:"uri,omitempty"`
	TimeoutInMillis     int      `json:"timeoutInMillis"`
	PassthroughBehavior string   `json:"passthroughBehavior"`
	ContentHandling     string   `json:"contentHandling,omitempty"`
	CacheNamespace      string   `json:"cacheNamespace"`
	CacheKeyParameters  []string `json:"cacheKeyParameters"`
}

type restDeployment struct {
	ID          string               `json:"id"`
	Description string               `json:"description,omitempty"`
	Created     time.Time            `json:"created"`
	Resources   map[string]*resource `json:"resources"`

	compiled restCompiled // the resources parsed for matching, on first use
}

type restStage struct {
	Name         string            `json:"stageName"`
	DeploymentID string            `json:"deploymentId"`
	Description  string            `json:"description,omitempty"`
	Variables    map[string]string `json:"variables,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	Created      time.Time         `json:"created"`
	Updated      time.Time         `json:"updated"`
}
