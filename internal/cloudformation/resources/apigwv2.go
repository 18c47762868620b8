package resources

import (
	"context"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gopkg.in/yaml.v3"
)

func init() {
	register("AWS::ApiGatewayV2::Api", httpAPI{})
	register("AWS::ApiGatewayV2::Stage", httpStage{})
	register("AWS::ApiGatewayV2::Integration", httpIntegration{})
	register("AWS::ApiGatewayV2::Route", httpRoute{})
}

func apigwGone(err error) bool { return isCode(err, "NotFoundException") }

func httpCors(c props) (*types.Cors, error) {
	if c == nil {
		return nil, nil
	}
	age, err := c.int32p("MaxAge")
	if err != nil {
		return nil, err
	}
	return &types.Cors{AllowCredentials: c.boolp("AllowCredentials"), AllowHeaders: c.strs("AllowHeaders"), AllowMethods: c.strs("AllowMethods"),
		AllowOrigins: c.strs("AllowOrigins"), ExposeHeaders: c.strs("ExposeHeaders"), MaxAge: age}, nil
}

// openAPIBody is the API's OpenAPI document: the Body property (an object,
// or a string of JSON or YAML) or the object BodyS3Location names; nil when
// the template gives neither.
func openAPIBody(ctx context.Context, env Env, p props) (props, error) {
	var text []byte
	switch b := p["Body"].(type) {
	case map[string]any:
		return b, nil
	case string:
		text = []byte(b)
	case nil:
		loc := p.obj("BodyS3Location")
		if loc == nil {
			return nil, nil
		}
		out, err := s3Client(env).GetObject(ctx, &s3.GetObjectInput{Bucket: loc.strp("Bucket"), Key: loc.strp("Key"), VersionId: loc.strp("Version")})
		if err != nil {
			return nil, err
		}
		defer out.Body.Close()
		if text, err = io.ReadAll(out.Body); err != nil {
			return nil, err
		}
	default:
		return nil, &ValidationError{Message: "Body must be an object or a string"}
	}
	// YAML is a superset of JSON, so one decoder reads both.
	var m map[string]any
	if err := yaml.Unmarshal(text, &m); err != nil {
		return nil, &ValidationError{Message: "Unable to parse the OpenAPI definition: " + err.Error()}
	}
	return m, nil
}

// apiName is the Name property, or else the title of the API's OpenAPI
// document body (nil when there is none).
func apiName(p, body props) string {
	name := p.str("Name")
	if name == "" && body != nil {
		name = body.obj("info").str("title")
	}
	return name
}

// apiCors is the CorsConfiguration property, or else the document body's
// x-amazon-apigateway-cors; nil when neither gives one.
func apiCors(p, body props) (*types.Cors, error) {
	c := p.obj("CorsConfiguration")
	if c == nil && body != nil {
		c = corsFromOpenAPI(body)
	}
	return httpCors(c)
}

// corsFromOpenAPI reads x-amazon-apigateway-cors, whose keys are
// CorsConfiguration's with a lower-case first letter.
func corsFromOpenAPI(body props) props {
	c := body.obj("x-amazon-apigateway-cors")
	if c == nil {
		return nil
	}
	out := props{}
	for k, v := range c {
		if k != "" {
			out[strings.ToUpper(k[:1])+k[1:]] = v
		}
	}
	return out
}

type httpAPI struct{}

func (h httpAPI) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	body, err := openAPIBody(ctx, env, p)
	if err != nil {
		return Result{}, err
	}
	name := apiName(p, body)
	cors, err := apiCors(p, body)
	if err != nil {
		return Result{}, err
	}
	protocol := p.str("ProtocolType")
	if protocol == "" && body != nil {
		protocol = "HTTP"
	}
	tags := p.strMap("Tags")
	c := apigatewayv2.NewFromConfig(env.Config)
	out, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{
		Name: aws.String(name), ProtocolType: types.ProtocolType(protocol), Description: p.strp("Description"),
		Version: p.strp("Version"), RouteSelectionExpression: p.strp("RouteSelectionExpression"),
		DisableExecuteApiEndpoint: p.boolp("DisableExecuteApiEndpoint"), CorsConfiguration: cors, Tags: tags,
		Target: p.strp("Target"), RouteKey: p.strp("RouteKey"), CredentialsArn: p.strp("CredentialsArn"),
	})
	if err != nil {
		return Result{}, err
	}
	id := aws.ToString(out.ApiId)
	res := Result{PhysicalID: id, Attrs: map[string]any{"ApiId": id, "ApiEndpoint": aws.ToString(out.ApiEndpoint)}}
	if body != nil {
		if err := importOpenAPI(ctx, c, id, body); err != nil {
			return res, err
		}
	}
	return res, nil
}

// importOpenAPI makes one integration and one route per operation of an
// HTTP API's OpenAPI document, as ImportApi does for the
// x-amazon-apigateway-integration extension (Lambda proxy integrations).
func importOpenAPI(ctx context.Context, c *apigatewayv2.Client, id string, body props) error {
	paths := body.obj("paths")
	for _, path := range sortedKeys(paths) {
		ops := paths.obj(path)
		for _, m := range sortedKeys(ops) {
			op := ops.obj(m)
			if op == nil {
				continue
			}
			method := strings.ToUpper(m)
			switch m {
			case "x-amazon-apigateway-any-method":
				method = "ANY"
			case "get", "put", "post", "delete", "options", "head", "patch":
			default:
				continue // parameters, summary, other extensions
			}
			routeKey := method + " " + path
			if path == "$default" {
				routeKey = "$default"
			}
			in := &apigatewayv2.CreateRouteInput{ApiId: aws.String(id), RouteKey: aws.String(routeKey), OperationName: op.strp("operationId")}
			if integ := op.obj("x-amazon-apigateway-integration"); integ != nil {
				timeout, err := integ.int32p("timeoutInMillis")
				if err != nil {
					return err
				}
				typ := strings.ToUpper(integ.str("type"))
				if typ == "" {
					typ = "AWS_PROXY"
				}
				version := integ.str("payloadFormatVersion")
				if version == "" {
					version = "2.0"
				}
				out, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: aws.String(id),
					IntegrationType: types.IntegrationType(typ), IntegrationUri: integ.strp("uri"), IntegrationMethod: integ.strp("httpMethod"),
					PayloadFormatVersion: aws.String(version), TimeoutInMillis: timeout})
				if err != nil {
					return err
				}
				in.Target = aws.String("integrations/" + aws.ToString(out.IntegrationId))
			}
			if _, err := c.CreateRoute(ctx, in); err != nil {
				return err
			}
		}
	}
	return nil
}

// clearAPI removes every route and integration, before a document is
// imported over the API again (ReimportApi's overwrite).
func clearAPI(ctx context.Context, c *apigatewayv2.Client, id string) error {
	routes, err := c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(id)})
	if err != nil {
		return err
	}
	for _, r := range routes.Items {
		if _, err := c.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: aws.String(id), RouteId: r.RouteId}); err != nil {
			return err
		}
	}
	integs, err := c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: aws.String(id)})
	if err != nil {
		return err
	}
	for _, i := range integs.Items {
		if _, err := c.DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: aws.String(id), IntegrationId: i.IntegrationId}); err != nil {
			return err
		}
	}
	return nil
}

func (httpAPI) Replaces(old, new map[string]any) bool {
	return changed(old, new, "ProtocolType")
}

func (httpAPI) Update(ctx context.Context, env Env, cur Result, oldIn, newIn map[string]any) (Result, error) {
	old, p := props(oldIn), props(newIn)
	body, err := openAPIBody(ctx, env, p)
	if err != nil {
		return cur, err
	}
	c := apigatewayv2.NewFromConfig(env.Config)
	name := apiName(p, body)
	cors, err := apiCors(p, body)
	if err != nil {
		return cur, err
	}
	in := &apigatewayv2.UpdateApiInput{ApiId: aws.String(cur.PhysicalID), Name: aws.String(name), Description: aws.String(p.str("Description")),
		Version: p.strp("Version"), DisableExecuteApiEndpoint: aws.Bool(toBool(p["DisableExecuteApiEndpoint"])), CorsConfiguration: cors}
	if _, err := c.UpdateApi(ctx, in); err != nil {
		return cur, err
	}
	if cors == nil {
		if _, err := c.DeleteCorsConfiguration(ctx, &apigatewayv2.DeleteCorsConfigurationInput{ApiId: aws.String(cur.PhysicalID)}); err != nil && !apigwGone(err) {
			return cur, err
		}
	}
	if changed(old, p, "Body", "BodyS3Location") {
		if err := clearAPI(ctx, c, cur.PhysicalID); err != nil {
			return cur, err
		}
		if body != nil {
			if err := importOpenAPI(ctx, c, cur.PhysicalID, body); err != nil {
				return cur, err
			}
		}
	}
	return cur, nil
}

func (httpAPI) Delete(ctx context.Context, env Env, cur Result) error {
	_, err := apigatewayv2.NewFromConfig(env.Config).DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: aws.String(cur.PhysicalID)})
	if apigwGone(err) {
		return nil
	}
	return err
}

// apiChild is the API a stage, route or integration belongs to.
type apiChild struct {
	API string `json:"api"`
}

func loadAPI(cur Result) (string, error) {
	var st apiChild
	err := loadState(cur, &st)
	return st.API, err
}

// deleteAPIChild calls del with the API the child cur belongs to; a child
// (or API) already gone is not an error.
func deleteAPIChild(cur Result, del func(api string) error) error {
	api, err := loadAPI(cur)
	if err != nil {
		return err
	}
	if err := del(api); !apigwGone(err) {
		return err
	}
	return nil
}

type httpStage struct{}

func (httpStage) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "ApiId", "StageName"); err != nil {
		return Result{}, err
	}
	tags := p.strMap("Tags")
	_, err := apigatewayv2.NewFromConfig(env.Config).CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: p.strp("ApiId"),
		StageName: p.strp("StageName"), AutoDeploy: p.boolp("AutoDeploy"), DeploymentId: p.strp("DeploymentId"),
		Description: p.strp("Description"), StageVariables: p.strMap("StageVariables"), Tags: tags})
	if err != nil {
		return Result{}, err
	}
	return Result{PhysicalID: p.str("StageName"), State: state(apiChild{API: p.str("ApiId")})}, nil
}

func (httpStage) Replaces(old, new map[string]any) bool {
	return changed(old, new, "ApiId", "StageName")
}

func (httpStage) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	p := props(new)
	api, err := loadAPI(cur)
	if err != nil {
		return cur, err
	}
	_, err = apigatewayv2.NewFromConfig(env.Config).UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: aws.String(api),
		StageName: aws.String(cur.PhysicalID), AutoDeploy: aws.Bool(toBool(p["AutoDeploy"])), DeploymentId: p.strp("DeploymentId"),
		Description: aws.String(p.str("Description")), StageVariables: p.strMap("StageVariables")})
	return cur, err
}

func (httpStage) Delete(ctx context.Context, env Env, cur Result) error {
	return deleteAPIChild(cur, func(api string) error {
		_, err := apigatewayv2.NewFromConfig(env.Config).DeleteStage(ctx, &apigatewayv2.DeleteStageInput{ApiId: aws.String(api), StageName: aws.String(cur.PhysicalID)})
		return err
	})
}

type httpIntegration struct{}

func (httpIntegration) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "ApiId", "IntegrationType"); err != nil {
		return Result{}, err
	}
	timeout, err := p.int32p("TimeoutInMillis")
	if err != nil {
		return Result{}, err
	}
	out, err := apigatewayv2.NewFromConfig(env.Config).CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: p.strp("ApiId"),
		IntegrationType: types.IntegrationType(p.str("IntegrationType")), IntegrationUri: p.strp("IntegrationUri"),
		IntegrationMethod: p.strp("IntegrationMethod"), PayloadFormatVersion: p.strp("PayloadFormatVersion"),
		TimeoutInMillis: timeout, Description: p.strp("Description"), ConnectionType: types.ConnectionType(p.str("ConnectionType"))})
	if err != nil {
		return Result{}, err
	}
	id := aws.ToString(out.IntegrationId)
	return Result{PhysicalID: id, Attrs: map[string]any{"IntegrationId": id}, State: state(apiChild{API: p.str("ApiId")})}, nil
}

func (httpIntegration) Replaces(old, new map[string]any) bool { return changed(old, new, "ApiId") }

func (httpIntegration) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	p := props(new)
	api, err := loadAPI(cur)
	if err != nil {
		return cur, err
	}
	timeout, err := p.int32p("TimeoutInMillis")
	if err != nil {
		return cur, err
	}
	_, err = apigatewayv2.NewFromConfig(env.Config).UpdateIntegration(ctx, &apigatewayv2.UpdateIntegrationInput{ApiId: aws.String(api),
		IntegrationId: aws.String(cur.PhysicalID), IntegrationType: types.IntegrationType(p.str("IntegrationType")),
		IntegrationUri: p.strp("IntegrationUri"), IntegrationMethod: p.strp("IntegrationMethod"),
		PayloadFormatVersion: p.strp("PayloadFormatVersion"), TimeoutInMillis: timeout, Description: p.strp("Description")})
	return cur, err
}

func (httpIntegration) Delete(ctx context.Context, env Env, cur Result) error {
	return deleteAPIChild(cur, func(api string) error {
		_, err := apigatewayv2.NewFromConfig(env.Config).DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: aws.String(api), IntegrationId: aws.String(cur.PhysicalID)})
		return err
	})
}

type httpRoute struct{}

func (httpRoute) Create(ctx context.Context, env Env, in map[string]any) (Result, error) {
	p := props(in)
	if err := requireProps(env, p, "ApiId", "RouteKey"); err != nil {
		return Result{}, err
	}
	input := &apigatewayv2.CreateRouteInput{ApiId: p.strp("ApiId"), RouteKey: p.strp("RouteKey"), Target: p.strp("Target"),
		ApiKeyRequired: p.boolp("ApiKeyRequired"), OperationName: p.strp("OperationName")}
	if a := p.str("AuthorizationType"); a != "" {
		input.AuthorizationType = types.AuthorizationType(a)
	}
	out, err := apigatewayv2.NewFromConfig(env.Config).CreateRoute(ctx, input)
	if err != nil {
		return Result{}, err
	}
	id := aws.ToString(out.RouteId)
	return Result{PhysicalID: id, Attrs: map[string]any{"RouteId": id}, State: state(apiChild{API: p.str("ApiId")})}, nil
}

func (httpRoute) Replaces(old, new map[string]any) bool { return changed(old, new, "ApiId") }

func (httpRoute) Update(ctx context.Context, env Env, cur Result, _, new map[string]any) (Result, error) {
	p := props(new)
	api, err := loadAPI(cur)
	if err != nil {
		return cur, err
	}
	auth := p.str("AuthorizationType")
	if auth == "" {
		auth = "NONE"
	}
	_, err = apigatewayv2.NewFromConfig(env.Config).UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: aws.String(api),
		RouteId: aws.String(cur.PhysicalID), RouteKey: p.strp("RouteKey"), Target: aws.String(p.str("Target")),
		AuthorizationType: types.AuthorizationType(auth), OperationName: p.strp("OperationName")})
	return cur, err
}

func (httpRoute) Delete(ctx context.Context, env Env, cur Result) error {
	return deleteAPIChild(cur, func(api string) error {
		_, err := apigatewayv2.NewFromConfig(env.Config).DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: aws.String(api), RouteId: aws.String(cur.PhysicalID)})
		return err
	})
}
