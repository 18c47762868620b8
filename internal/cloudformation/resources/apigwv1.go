package resources

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	gwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// Stratus's API Gateway (REST) has no Update operations, no DeleteDeployment
// and no import: these providers build what the Body describes from
// resources, methods and integrations, change stages by making them again,
// and fail an update the service cannot carry out rather than pretend.

func init() {
	register("AWS::ApiGateway::RestApi", restAPI{})
	register("AWS::ApiGateway::Resource", restResource{})
	register("AWS::ApiGateway::Method", restMethod{})
	register("AWS::ApiGateway::Deployment", restDeployment{})
	register("AWS::ApiGateway::Stage", restStage{})
}

// errNoRestUpdate is an in-place change Stratus's API Gateway cannot make.
var errNoRestUpdate = errors.New("Stratus's API Gateway cannot update a REST API's settings in place yet; only its Body can change")

type restAPI struct{}

func (r restAPI) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	body, err := openAPIBody(ctx, env, p)
	if err != nil {
		return Result{}, err
	}
	name := apiName(p, body)
	tags := p.tags("Tags")
	if len(tags) == 0 {
		tags = nil
	}
	input := &apigateway.CreateRestApiInput{Name: aws.String(name), Description: p.strp("Description"),
		BinaryMediaTypes: p.strs("BinaryMediaTypes"), DisableExecuteApiEndpoint: aws.ToBool(p.boolp("DisableExecuteApiEndpoint")), Tags: tags}
	c := apigateway.NewFromConfig(env.Config)
	out, err := c.CreateRestApi(ctx, input)
	if err != nil {
		return Result{}, err
	}
	id, root := aws.ToString(out.Id), aws.ToString(out.RootResourceId)
	res := Result{PhysicalID: id, Attrs: map[string]any{"RestApiId": id, "RootResourceId": root}}
	if body != nil {
		return res, importRest(ctx, c, id, root, body)
	}
	return res, nil
}

var restVerbs = map[string]string{"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS",
	"head": "HEAD", "patch": "PATCH", "x-amazon-apigateway-any-method": "ANY"}

// importRest makes the resource tree, methods and Lambda proxy integrations
// of an OpenAPI or Swagger document.
func importRest(ctx context.Context, c *apigateway.Client, id, root string, body props) error {
	ids := map[string]string{"/": root}
	resourceFor := func(path string) (string, error) {
		cur := "/"
		for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
			if part == "" {
				continue
			}
			next := strings.TrimSuffix(cur, "/") + "/" + part
			if _, ok := ids[next]; !ok {
				out, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: aws.String(id), ParentId: aws.String(ids[cur]), PathPart: aws.String(part)})
				if err != nil {
					return "", err
				}
				ids[next] = aws.ToString(out.Id)
			}
			cur = next
		}
		return ids[cur], nil
	}
	paths := body.obj("paths")
	for _, path := range sortedKeys(paths) {
		rid, err := resourceFor(path)
		if err != nil {
			return err
		}
		ops := paths.obj(path)
		for m, op := range ops {
			verb, ok := restVerbs[m]
			if !ok {
				continue
			}
			if err := putRestMethod(ctx, c, id, rid, verb, props(asMap(op)).obj("x-amazon-apigateway-integration"), "NONE", props(asMap(op)).strp("operationId")); err != nil {
				return err
			}
		}
	}
	return nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// putRestMethod puts a method and, when there is one, its integration; the
// integration's keys are x-amazon-apigateway-integration's (type, httpMethod,
// uri, timeoutInMillis), which the Method resource's Integration property
// spells with capitals.
func putRestMethod(ctx context.Context, c *apigateway.Client, api, resource, verb string, integ props, auth string, op *string) error {
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: aws.String(api), ResourceId: aws.String(resource),
		HttpMethod: aws.String(verb), AuthorizationType: aws.String(auth), OperationName: op}); err != nil {
		return err
	}
	if integ == nil {
		return nil
	}
	get := func(k string) string {
		if v := integ.str(k); v != "" {
			return v
		}
		return integ.str(strings.ToUpper(k[:1]) + k[1:])
	}
	timeout, err := toInt(firstNonEmpty(get("timeoutInMillis"), "29000"))
	if err != nil {
		return err
	}
	t := int32(timeout)
	method := get("httpMethod")
	if method == "" {
		method = get("integrationHttpMethod")
	}
	_, err = c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: aws.String(api), ResourceId: aws.String(resource),
		HttpMethod: aws.String(verb), Type: gwtypes.IntegrationType(strings.ToUpper(get("type"))), IntegrationHttpMethod: aws.String(method),
		Uri: aws.String(get("uri")), TimeoutInMillis: &t})
	return err
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (restAPI) Replaces(_, _ map[string]any) bool { return false }

func (restAPI) Update(ctx context.Context, env Env, cur Result, oldIn, newIn map[string]any) (Result, error) {
	old, p := props(oldIn), props(newIn)
	if changed(old, p, "Name", "Description", "BinaryMediaTypes", "DisableExecuteApiEndpoint", "EndpointConfiguration", "Tags") {
		return cur, errNoRestUpdate
	}
	if !changed(old, p, "Body", "BodyS3Location") {
		return cur, nil
	}
	body, err := openAPIBody(ctx, env, p)
	if err != nil {
		return cur, err
	}
	// Overwrite, as PutRestApi mode=overwrite does: drop every resource
	// below the root and the root's methods, then build the document.
	c := apigateway.NewFromConfig(env.Config)
	id, _ := cur.Attrs["RestApiId"].(string)
	root, _ := cur.Attrs["RootResourceId"].(string)
	out, err := c.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(id), Limit: aws.Int32(500)})
	if err != nil {
		return cur, err
	}
	for _, r := range out.Items {
		switch {
		case aws.ToString(r.Id) == root:
			for m := range r.ResourceMethods {
				if _, err := c.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: aws.String(id), ResourceId: r.Id, HttpMethod: aws.String(m)}); err != nil && !apigwGone(err) {
					return cur, err
				}
			}
		case aws.ToString(r.ParentId) == root:
			if _, err := c.DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: aws.String(id), ResourceId: r.Id}); err != nil && !apigwGone(err) {
				return cur, err
			}
		}
	}
	if body != nil {
		return cur, importRest(ctx, c, id, root, body)
	}
	return cur, nil
}

func (restAPI) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := apigateway.NewFromConfig(env.Config).DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: aws.String(cur.PhysicalID)})
	if apigwGone(err) {
		return nil
	}
	return err
}

type restResource struct{}

func (restResource) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "ParentId", "PathPart", "RestApiId"); err != nil {
		return Result{}, err
	}
	out, err := apigateway.NewFromConfig(env.Config).CreateResource(ctx, &apigateway.CreateResourceInput{
		RestApiId: p.strp("RestApiId"), ParentId: p.strp("ParentId"), PathPart: p.strp("PathPart")})
	if err != nil {
		return Result{}, err
	}
	id := aws.ToString(out.Id)
	return Result{PhysicalID: id, Attrs: map[string]any{"ResourceId": id}, State: state(apiChild{API: p.str("RestApiId")})}, nil
}

// Every property of a resource is create-only.
func (restResource) Replaces(old, new map[string]any) bool { return !sameValue(old, new) }

func (restResource) Update(_ context.Context, _ Env, cur Result, _, _ map[string]any) (Result, error) {
	return cur, nil
}

func (restResource) Delete(ctx context.Context, env Env, cur Result) error {
	return deleteAPIChild(cur, func(api string) error {
		_, err := apigateway.NewFromConfig(env.Config).DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: aws.String(api), ResourceId: aws.String(cur.PhysicalID)})
		return err
	})
}

type restMethod struct{}

type methodState struct {
	API      string `json:"api"`
	Resource string `json:"resource"`
	Method   string `json:"method"`
}

func (restMethod) put(ctx context.Context, env Env, p props) error {
	auth := p.str("AuthorizationType")
	if auth == "" {
		auth = "NONE"
	}
	return putRestMethod(ctx, apigateway.NewFromConfig(env.Config), p.str("RestApiId"), p.str("ResourceId"),
		strings.ToUpper(p.str("HttpMethod")), p.obj("Integration"), auth, p.strp("OperationName"))
}

func (m restMethod) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "HttpMethod", "ResourceId", "RestApiId"); err != nil {
		return Result{}, err
	}
	if err := m.put(ctx, env, p); err != nil {
		return Result{}, err
	}
	st := methodState{API: p.str("RestApiId"), Resource: p.str("ResourceId"), Method: strings.ToUpper(p.str("HttpMethod"))}
	return Result{PhysicalID: physicalName(env, 128), State: state(st)}, nil
}

func (restMethod) Replaces(old, new map[string]any) bool {
	return changed(old, new, "RestApiId", "ResourceId")
}

// Update puts the method again: Stratus has no UpdateMethod, and PutMethod
// refuses a method that exists, so the old one goes first.
func (m restMethod) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	if err := m.Delete(ctx, env, cur); err != nil {
		return cur, err
	}
	p := props(new)
	if err := m.put(ctx, env, p); err != nil {
		return cur, err
	}
	cur.State = state(methodState{API: p.str("RestApiId"), Resource: p.str("ResourceId"), Method: strings.ToUpper(p.str("HttpMethod"))})
	return cur, nil
}

func (restMethod) Delete(ctx context.Context, env Env, cur Result) error {
	var st methodState
	if err := loadState(cur, &st); err != nil {
		return err
	}
	_, err := apigateway.NewFromConfig(env.Config).DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: aws.String(st.API),
		ResourceId: aws.String(st.Resource), HttpMethod: aws.String(st.Method)})
	if apigwGone(err) {
		return nil
	}
	return err
}

// restDeployment snapshots the API. A deployment is immutable in Stratus
// (no UpdateDeployment), so every change makes a new one; deleting it
// removes the stage it created, the snapshot itself lives until the API is
// deleted because the service has no DeleteDeployment.
type restDeployment struct{}

type deploymentState struct {
	API   string `json:"api"`
	Stage string `json:"stage,omitempty"`
}

func (restDeployment) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "RestApiId"); err != nil {
		return Result{}, err
	}
	out, err := apigateway.NewFromConfig(env.Config).CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: p.strp("RestApiId"),
		Description: p.strp("Description"), StageName: p.strp("StageName"), StageDescription: p.obj("StageDescription").strp("Description")})
	if err != nil {
		return Result{}, err
	}
	id := aws.ToString(out.Id)
	return Result{PhysicalID: id, Attrs: map[string]any{"DeploymentId": id},
		State: state(deploymentState{API: p.str("RestApiId"), Stage: p.str("StageName")})}, nil
}

func (restDeployment) Replaces(old, new map[string]any) bool { return !sameValue(old, new) }

func (restDeployment) Update(_ context.Context, _ Env, cur Result, _, _ map[string]any) (Result, error) {
	return cur, nil
}

func (restDeployment) Delete(ctx context.Context, env Env, cur Result) error {
	var st deploymentState
	if err := loadState(cur, &st); err != nil || st.Stage == "" {
		return err
	}
	return deleteRestStage(ctx, env, st.API, st.Stage)
}

func deleteRestStage(ctx context.Context, env Env, api, stage string) error {
	_, err := apigateway.NewFromConfig(env.Config).DeleteStage(ctx, &apigateway.DeleteStageInput{RestApiId: aws.String(api), StageName: aws.String(stage)})
	if apigwGone(err) {
		return nil
	}
	return err
}

type restStage struct{}

func (restStage) create(ctx context.Context, env Env, p props) error {
	vars := p.strMap("Variables")
	tags := p.tags("Tags")
	if len(tags) == 0 {
		tags = nil
	}
	_, err := apigateway.NewFromConfig(env.Config).CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: p.strp("RestApiId"),
		StageName: p.strp("StageName"), DeploymentId: p.strp("DeploymentId"), Description: p.strp("Description"), Variables: vars, Tags: tags})
	return err
}

func (s restStage) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "RestApiId"); err != nil {
		return Result{}, err
	}
	if !p.has("StageName") {
		copied := map[string]any{}
		for k, v := range p {
			copied[k] = v
		}
		copied["StageName"] = physicalName(env, 128)
		p = copied
	}
	if err := s.create(ctx, env, p); err != nil {
		return Result{}, err
	}
	return Result{PhysicalID: p.str("StageName"), State: state(apiChild{API: p.str("RestApiId")})}, nil
}

func (restStage) Replaces(old, new map[string]any) bool {
	return changed(old, new, "RestApiId", "StageName")
}

// Update makes the stage again under the same name: the service has no
// UpdateStage for REST APIs.
func (s restStage) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	api, err := loadAPI(cur)
	if err != nil {
		return cur, err
	}
	if err := deleteRestStage(ctx, env, api, cur.PhysicalID); err != nil {
		return cur, err
	}
	p := map[string]any{}
	for k, v := range new {
		p[k] = v
	}
	p["StageName"] = cur.PhysicalID
	return cur, s.create(ctx, env, p)
}

func (restStage) Delete(ctx context.Context, env Env, cur Result) error {
	api, err := loadAPI(cur)
	if err != nil {
		return err
	}
	return deleteRestStage(ctx, env, api, cur.PhysicalID)
}
