package sam

import (
	"sort"
	"strings"
)

const (
	implicitRestAPI = "ServerlessRestApi"
	implicitHTTPAPI = "ServerlessHttpApi"
)

// api is one REST or HTTP API, declared in the template or implied by events.
type api struct {
	id   string
	http bool
	r    map[string]any // the AWS::Serverless::Api or HttpApi resource; nil when implicit
	p    map[string]any
	body *pyDict // the definition; nil when the template gives DefinitionUri
	// managed is set when SAM generates the definition, so events add their routes to it.
	managed bool
	// users are the resource attributes of the functions whose events created an implicit API.
	users []map[string]any
	// routeSettings are HTTP API events' RouteSettings, which override the API's for their route.
	routeSettings []routeSetting
}

type routeSetting struct {
	route    string
	settings map[string]any
}

// apiSet collects the APIs of one template; events add routes, render emits the resources.
type apiSet struct {
	t    *translator
	apis map[string]*api
}

func newAPISet(t *translator) *apiSet { return &apiSet{t: t, apis: map[string]*api{}} }

func (s *apiSet) declare(id string, r map[string]any) {
	p, _ := r["Properties"].(map[string]any)
	a := &api{id: id, http: r["Type"] == "AWS::Serverless::HttpApi", r: r, p: p}
	if body, ok := p["DefinitionBody"].(map[string]any); ok {
		a.body = fromTemplate(body).(*pyDict)
	} else if _, ok := p["DefinitionUri"]; !ok {
		a.body = skeleton(a.http)
		a.managed = true
	}
	s.apis[id] = a
}

// skeleton is the definition SAM starts from when it generates one, built in SAM's order.
func skeleton(http bool) *pyDict {
	d := newPyDict()
	if http {
		d.set("openapi", false, "3.0.1")
	} else {
		d.set("swagger", false, "2.0")
	}
	info := d.child("info", false)
	info.set("version", false, "1.0")
	info.set("title", false, ref("AWS::StackName"))
	d.child("paths", false)
	if http {
		d.set("tags", false, []any{map[string]any{"name": "httpapi:createdBy", "x-amazon-apigateway-tag-value": "SAM"}})
	}
	return d
}

// target finds the API an event names, creating the implicit one on first use. A reference
// to an API outside the template yields nil: SAM then only grants the permission.
func (s *apiSet) target(apiRef any, http bool) (*api, any) {
	if apiRef == nil {
		id := implicitRestAPI
		if http {
			id = implicitHTTPAPI
		}
		a, ok := s.apis[id]
		if !ok {
			a = &api{id: id, http: http, p: map[string]any{}, body: skeleton(http), managed: true}
			s.apis[id] = a
		}
		return a, ref(id)
	}
	if m, ok := apiRef.(map[string]any); ok {
		if id, ok := m["Ref"].(string); ok {
			if a, ok := s.apis[id]; ok && a.http == http {
				return a, ref(id)
			}
		}
	}
	return nil, apiRef
}

// integrationURI is the Lambda proxy integration URI; SAM writes the partition it translates
// for rather than ${AWS::Partition}. The string counts as the template's when it names the
// function itself, not its alias, as in SAM.
func (s *apiSet) integrationURI(f *fn, http bool) *pyDict {
	arn := "arn:" + s.partition(http) + ":apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${" + f.subName(s.t) + "}/invocations"
	d := newPyDict()
	if s.t.aliases[f.id] != "" {
		d.set("Fn::Sub", false, arn)
	} else {
		d.set("Fn::Sub", false, uni(arn))
	}
	return d
}

// operation is the path-item method SAM adds for a Lambda proxy integration.
func (s *apiSet) operation(f *fn, http bool, extra ...any) *pyDict {
	integration := newPyDict()
	integration.set("type", false, "aws_proxy")
	integration.set("httpMethod", false, "POST")
	integration.set("uri", false, s.integrationURI(f, http))
	for i := 0; i+1 < len(extra); i += 2 {
		integration.set(extra[i].(string), false, extra[i+1])
	}
	op := newPyDict()
	op.set("x-amazon-apigateway-integration", false, integration)
	op.set("responses", false, newPyDict())
	return op
}

// partition is how SAM writes the partition: REST APIs get the literal one, HTTP APIs the
// pseudo parameter.
func (s *apiSet) partition(http bool) string {
	if http {
		return "${AWS::Partition}"
	}
	return s.t.o.Partition
}

func (s *apiSet) executeAPIArn(resource string, apiID any, http bool) map[string]any {
	return map[string]any{"Fn::Sub": []any{
		"arn:" + s.partition(http) + ":execute-api:${AWS::Region}:${AWS::AccountId}:" + resource,
		map[string]any{"__ApiId__": apiID, "__Stage__": "*"},
	}}
}

// methodKey is the path-item key for method; the ANY extension key is SAM's own string.
func methodKey(method string) (string, bool) {
	m := strings.ToLower(method)
	if m == "any" {
		return "x-amazon-apigateway-any-method", false
	}
	return m, true
}

func (s *apiSet) addRoute(a *api, f *fn, event, path, method string, op *pyDict) *invalidError {
	if !a.managed {
		return nil
	}
	pm := a.body.child("paths", false).child(path, path != "$default")
	key, fromTemplate := methodKey(method)
	if _, dup := pm.get(key); dup {
		return eventErr(f.id, event, "API method \"%s\" defined multiple times for path \"%s\".", strings.ToLower(method), path)
	}
	pm.set(key, fromTemplate, op)
	return nil
}

func (s *apiSet) restEvent(f *fn, event string, props map[string]any) *invalidError {
	if err := require(f, event, props, "Path", "Method"); err != nil {
		return err
	}
	path, ok1 := props["Path"].(string)
	method, ok2 := props["Method"].(string)
	if !ok1 || !ok2 {
		return eventErr(f.id, event, "Api Event must have a String specified for 'Path' and 'Method'.")
	}
	// The permission is named after the API's stage: Prod for the implicit API, the stage
	// name of an API in the template, and "Stage" when that name is not a plain string.
	suffix := "Prod"
	if raw, ok := props["RestApiId"]; ok {
		id, isStr := raw.(string)
		if m, isMap := raw.(map[string]any); isMap {
			id, isStr = m["Ref"].(string)
		}
		if isStr {
			r, _ := s.t.resources[id].(map[string]any)
			if a, declared := s.apis[id]; declared && a.r != nil {
				r = a.r
			}
			if r == nil {
				return eventErr(f.id, event, "RestApiId property of Api event must reference a valid resource in the same template.")
			}
			rp, _ := r["Properties"].(map[string]any)
			suffix = "Stage"
			if st, ok := rp["StageName"].(string); ok {
				if st == "" {
					return resourceErr(id, "StageName cannot be empty.")
				}
				suffix = st
			}
		}
	}
	a, apiID := s.target(props["RestApiId"], false)
	if a != nil && a.r == nil {
		a.users = append(a.users, f.attrs)
	}
	if a != nil {
		if err := s.addRoute(a, f, event, path, method, s.operation(f, false)); err != nil {
			return err
		}
	}
	m := strings.ToUpper(method)
	if m == "ANY" {
		m = "*"
	}
	permID := f.id + event + "Permission" + suffix
	if !isAlnum(suffix) {
		permID = logicalID(f.id+event+"Permission", suffix)
	}
	// API Gateway drops a trailing slash, so the permission's path has none.
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	s.t.permission(f, permID, "apigateway.amazonaws.com", map[string]any{
		"SourceArn": s.executeAPIArn("${__ApiId__}/${__Stage__}/"+m+executeAPIPath(path), apiID, false),
	})
	return nil
}

func (s *apiSet) httpEvent(f *fn, event string, props map[string]any) *invalidError {
	path, _ := props["Path"].(string)
	method, _ := props["Method"].(string)
	_, hasPath := props["Path"]
	_, hasMethod := props["Method"]
	if hasPath != hasMethod {
		return eventErr(f.id, event, "Event source HttpApi must have both Path and Method, or neither.")
	}
	isDefault := !hasPath
	if isDefault {
		path, method = "$default", "any"
	}
	a, apiID := s.target(props["ApiId"], true)
	if a != nil && a.r == nil {
		a.users = append(a.users, f.attrs)
	}
	if a != nil {
		extra := []any{"payloadFormatVersion", "2.0"}
		if v, ok := props["PayloadFormatVersion"]; ok {
			extra[1] = v
		}
		if v, ok := props["TimeoutInMillis"]; ok {
			extra = append(extra, "timeoutInMillis", v)
		}
		op := s.operation(f, true, extra...)
		if isDefault {
			op.set("isDefaultRoute", false, true)
		}
		if err := s.addRoute(a, f, event, path, method, op); err != nil {
			return err
		}
		if rs, ok := props["RouteSettings"].(map[string]any); ok {
			route := path
			if !isDefault {
				route = strings.ToUpper(method) + " " + path
				if strings.EqualFold(method, "any") {
					route = "ANY " + path
				}
			}
			a.routeSettings = append(a.routeSettings, routeSetting{route, rs})
		}
	}
	resource := "${__ApiId__}/${__Stage__}/*"
	if !isDefault {
		m := strings.ToUpper(method)
		if m == "ANY" {
			m = "*"
		}
		resource = "${__ApiId__}/${__Stage__}/" + m + executeAPIPath(path)
	}
	s.t.permission(f, f.id+event+"Permission", "apigateway.amazonaws.com", map[string]any{
		"SourceArn": s.executeAPIArn(resource, apiID, true),
	})
	return nil
}

// render emits the resources of every API, after all events have added their routes.
func (s *apiSet) render(g globals) []*invalidError {
	ids := make([]string, 0, len(s.apis))
	for id := range s.apis {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var errs []*invalidError
	for _, id := range ids {
		a := s.apis[id]
		if a.r == nil {
			// The implicit APIs take the Globals of their type like declared ones do.
			typ := "AWS::Serverless::Api"
			if a.http {
				typ = "AWS::Serverless::HttpApi"
			}
			g.apply(typ, a.p)
			if !a.http {
				a.p["StageName"] = "Prod"
			}
		}
		var err *invalidError
		if a.http {
			err = s.renderHTTP(a)
		} else {
			err = s.renderRest(a)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// attrs are the resource attributes of the API's generated resources. An implicit API takes
// the strongest DeletionPolicy and UpdateReplacePolicy of the functions that use it, so that
// it is not deleted while a retained function still points at it.
func (a *api) attrs() map[string]any {
	if a.r != nil {
		return passthrough(a.r)
	}
	out := map[string]any{}
	strongest := func(key string, order ...string) {
		for _, want := range order {
			for _, u := range a.users {
				if u[key] == want {
					out[key] = want
					return
				}
			}
		}
	}
	strongest("DeletionPolicy", "Retain", "Delete")
	strongest("UpdateReplacePolicy", "Retain", "Snapshot", "Delete")
	return out
}

func (s *apiSet) definitionLocation(a *api, bucketKey, keyKey, versionKey string) (map[string]any, *invalidError) {
	return s3Location(a.id, s.t.resolveParam(a.p["DefinitionUri"]), "DefinitionUri", bucketKey, keyKey, versionKey)
}

func (s *apiSet) renderRest(a *api) *invalidError {
	stage, ok := a.p["StageName"]
	if !ok || stage == "" || stage == nil {
		return resourceErr(a.id, "Missing required property 'StageName'.")
	}
	stageID := stageLogicalID(a.id, stage)
	if a.managed {
		if err := addCors(a); err != nil {
			return err
		}
	}
	props := map[string]any{}
	copyProps(props, a.p, "Name", "Description", "BinaryMediaTypes", "MinimumCompressionSize", "Mode", "ApiKeySourceType", "FailOnWarnings", "DisableExecuteApiEndpoint")
	var hashed any
	if a.body != nil {
		props["Body"] = plain(a.body)
		hashed = a.body
	} else {
		loc, err := s.definitionLocation(a, "Bucket", "Key", "Version")
		if err != nil {
			return err
		}
		props["BodyS3Location"] = loc
		// Values of a {Bucket, Key} object are the template's strings; those parsed out of
		// an s3:// URI are SAM's.
		_, isObject := a.p["DefinitionUri"].(map[string]any)
		d := newPyDict()
		for _, k := range []string{"Bucket", "Key", "Version"} {
			if v, ok := loc[k]; ok {
				if str, isStr := v.(string); isStr && isObject {
					d.set(k, false, uni(str))
				} else {
					d.set(k, false, v)
				}
			}
		}
		hashed = d
	}
	if ec, ok := a.p["EndpointConfiguration"]; ok {
		switch x := ec.(type) {
		case map[string]any:
			out := map[string]any{}
			if typ, ok := x["Type"]; ok {
				out["Types"] = []any{typ}
				props["Parameters"] = map[string]any{"endpointConfigurationTypes": typ}
			}
			copyProps(out, x, "VPCEndpointIds", "IpAddressType")
			props["EndpointConfiguration"] = out
		default:
			props["EndpointConfiguration"] = map[string]any{"Types": []any{x}}
			props["Parameters"] = map[string]any{"endpointConfigurationTypes": x}
		}
	}
	s.t.add(a.id, newResource("AWS::ApiGateway::RestApi", props, a.attrs()))

	// The deployment is named after the definition so that a changed API is redeployed.
	hashInput := pyRepr(hashed)
	if v, ok := a.p["OpenApiVersion"].(string); ok {
		hashInput += "||" + v
	}
	deployID := logicalID(a.id+"Deployment", hashInput)
	s.t.add(deployID, newResource("AWS::ApiGateway::Deployment", map[string]any{
		"Description": "RestApi deployment id: " + dataHash(hashInput, 40),
		"RestApiId":   ref(a.id),
		"StageName":   "Stage",
	}, a.attrs()))

	stageProps := map[string]any{"DeploymentId": ref(deployID), "RestApiId": ref(a.id), "StageName": stage}
	copyProps(stageProps, a.p, "Variables", "MethodSettings", "TracingEnabled", "CacheClusterEnabled", "CacheClusterSize", "AccessLogSetting", "CanarySetting")
	if tags, ok := a.p["Tags"].(map[string]any); ok {
		var list []any
		for _, k := range sortedKeys(tags) {
			list = append(list, map[string]any{"Key": k, "Value": tags[k]})
		}
		stageProps["Tags"] = list
	}
	s.t.add(stageID, newResource("AWS::ApiGateway::Stage", stageProps, a.attrs()))
	return nil
}

// stageLogicalID names an API's stage after its name when that is alphanumeric, and after a
// hash of it otherwise; a name that is not a plain string counts as empty.
func stageLogicalID(apiID string, stage any) string {
	name, _ := stage.(string)
	if isAlnum(name) {
		return apiID + name + "Stage"
	}
	return logicalID(apiID+"Stage", name)
}

// isAlnum is Python's str.isalnum for the ASCII names SAM puts into logical ids.
func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// addCors adds the OPTIONS method SAM generates on every path of a managed REST definition.
func addCors(a *api) *invalidError {
	c, ok := a.p["Cors"]
	if !ok {
		return nil
	}
	var origin, headers, methods, maxAge any
	credentials := false
	switch x := c.(type) {
	case string:
		origin = x
	case map[string]any:
		var has bool
		if origin, has = x["AllowOrigin"]; !has {
			return resourceErr(a.id, "Cors.AllowOrigin is required.")
		}
		headers, methods, maxAge = x["AllowHeaders"], x["AllowMethods"], x["MaxAge"]
		credentials = x["AllowCredentials"] == true
	default:
		return resourceErr(a.id, "Cors must be a string or an object.")
	}
	paths := a.body.child("paths", false)
	for _, path := range paths.keys {
		pm, _ := paths.vals[path].(*pyDict)
		if pm == nil {
			continue
		}
		if _, ok := pm.get("options"); ok {
			continue
		}
		allowMethods := methods
		if allowMethods == nil {
			var ms []string
			for _, k := range pm.keys {
				if k == "x-amazon-apigateway-any-method" {
					ms = append(ms, "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
				} else {
					ms = append(ms, strings.ToUpper(k))
				}
			}
			ms = append(ms, "OPTIONS")
			allowMethods = "'" + strings.Join(uniqueSorted(ms), ",") + "'"
		}
		params := map[string]any{
			"method.response.header.Access-Control-Allow-Origin":  fromTemplate(origin),
			"method.response.header.Access-Control-Allow-Methods": fromTemplate(allowMethods),
		}
		respHeaders := map[string]any{
			"Access-Control-Allow-Origin":  map[string]any{"type": "string"},
			"Access-Control-Allow-Methods": map[string]any{"type": "string"},
		}
		if headers != nil {
			params["method.response.header.Access-Control-Allow-Headers"] = fromTemplate(headers)
			respHeaders["Access-Control-Allow-Headers"] = map[string]any{"type": "string"}
		}
		if maxAge != nil {
			params["method.response.header.Access-Control-Max-Age"] = fromTemplate(maxAge)
			respHeaders["Access-Control-Max-Age"] = map[string]any{"type": "integer"}
		}
		if credentials {
			params["method.response.header.Access-Control-Allow-Credentials"] = "'true'"
			respHeaders["Access-Control-Allow-Credentials"] = map[string]any{"type": "string"}
		}
		pm.set("options", false, generated(map[string]any{
			"summary":  "CORS support",
			"consumes": []any{"application/json"},
			"produces": []any{"application/json"},
			"x-amazon-apigateway-integration": map[string]any{
				"type":             "mock",
				"requestTemplates": map[string]any{"application/json": "{\n  \"statusCode\" : 200\n}\n"},
				"responses": map[string]any{"default": map[string]any{
					"statusCode":         "200",
					"responseParameters": params,
					"responseTemplates":  map[string]any{"application/json": "{}\n"},
				}},
			},
			"responses": map[string]any{"200": map[string]any{
				"description": "Default response for CORS method",
				"headers":     respHeaders,
			}},
		}))
	}
	return nil
}

// generated converts an object SAM writes itself; values taken from the template keep their
// origin.
func generated(v any) any {
	switch x := v.(type) {
	case map[string]any:
		d := newPyDict()
		for _, k := range sortedKeys(x) {
			d.set(k, false, generated(x[k]))
		}
		return d
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = generated(e)
		}
		return out
	}
	return v
}

func uniqueSorted(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func (s *apiSet) renderHTTP(a *api) *invalidError {
	props := map[string]any{}
	copyProps(props, a.p, "FailOnWarnings", "Name", "Description", "DisableExecuteApiEndpoint")
	if a.body != nil {
		if a.managed {
			if tags, ok := a.p["Tags"].(map[string]any); ok {
				v, _ := a.body.get("tags")
				list, _ := v.([]any)
				for _, k := range sortedKeys(tags) {
					list = append(list, map[string]any{"name": k, "x-amazon-apigateway-tag-value": tags[k]})
				}
				a.body.set("tags", false, list)
			}
			if cors, ok := a.p["CorsConfiguration"]; ok {
				cors = s.t.resolveParam(cors)
				if cors == true || cors == "true" || cors == "True" {
					cors = map[string]any{"allowOrigins": []any{"*"}}
				} else if cors == "false" || cors == "False" {
					cors = false
				} else if m, ok := cors.(map[string]any); ok {
					out := map[string]any{}
					for k, v := range m {
						out[strings.ToLower(k[:1])+k[1:]] = v
					}
					cors = out
				}
				if cors != false {
					a.body.set("x-amazon-apigateway-cors", false, cors)
				}
			}
			if d, ok := a.p["Description"]; ok {
				a.body.child("info", false).set("description", false, d)
				delete(props, "Description")
			}
		}
		props["Body"] = plain(a.body)
	} else {
		loc, err := s.definitionLocation(a, "Bucket", "Key", "Version")
		if err != nil {
			return err
		}
		props["BodyS3Location"] = loc
	}
	s.t.add(a.id, newResource("AWS::ApiGatewayV2::Api", props, a.attrs()))

	stage, hasStage := a.p["StageName"]
	stageID := a.id + "ApiGatewayDefaultStage"
	if !hasStage || stage == "$default" {
		stage = "$default"
	} else {
		stageID = stageLogicalID(a.id, stage)
	}
	stageProps := map[string]any{"ApiId": ref(a.id), "StageName": stage, "AutoDeploy": true}
	copyProps(stageProps, a.p, "StageVariables", "AccessLogSettings", "DefaultRouteSettings")
	rs, _ := deepCopy(a.p["RouteSettings"]).(map[string]any)
	for _, e := range a.routeSettings {
		if rs == nil {
			rs = map[string]any{}
		}
		cur, _ := rs[e.route].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		for k, v := range e.settings {
			cur[k] = v
		}
		rs[e.route] = cur
	}
	if rs != nil {
		stageProps["RouteSettings"] = rs
	}
	tags := map[string]any{"httpapi:createdBy": "SAM"}
	if t, ok := a.p["Tags"].(map[string]any); ok {
		for k, v := range t {
			tags[k] = v
		}
	}
	stageProps["Tags"] = tags
	s.t.add(stageID, newResource("AWS::ApiGatewayV2::Stage", stageProps, a.attrs()))
	return nil
}
