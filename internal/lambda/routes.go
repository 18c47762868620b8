package lambda

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// handlerFunc is one operation; it returns an error that the route table renders.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p params) error

// op is a route's operation: its name in Lambda's API model and its handler.
type op struct {
	name string
	h    handlerFunc
}

// params are the path labels of a route.
type params struct {
	function  string // {FunctionName}, unescaped
	resource  string // {Resource} (an ARN), unescaped
	layer     string // {LayerName} (a name or layer ARN), unescaped
	version   string // {VersionNumber} of a layer
	alias     string // {Name} of an alias
	statement string // {StatementId} of a policy statement, unescaped
}

// Route table, one screen:
//
//	POST   /2015-03-31/functions                           CreateFunction
//	GET    /2015-03-31/functions                           ListFunctions
//	GET    /2015-03-31/functions/{name}                    GetFunction
//	DELETE /2015-03-31/functions/{name}                    DeleteFunction
//	GET    /2015-03-31/functions/{name}/configuration      GetFunctionConfiguration
//	PUT    /2015-03-31/functions/{name}/configuration      UpdateFunctionConfiguration
//	PUT    /2015-03-31/functions/{name}/code               UpdateFunctionCode
//	POST   /2015-03-31/functions/{name}/invocations        Invoke
//	POST   /2015-03-31/functions/{name}/versions           PublishVersion
//	GET    /2015-03-31/functions/{name}/versions           ListVersionsByFunction
//	POST   /2015-03-31/functions/{name}/aliases            CreateAlias
//	GET    /2015-03-31/functions/{name}/aliases            ListAliases
//	GET    /2015-03-31/functions/{name}/aliases/{alias}    GetAlias
//	PUT    /2015-03-31/functions/{name}/aliases/{alias}    UpdateAlias
//	DELETE /2015-03-31/functions/{name}/aliases/{alias}    DeleteAlias
//	POST   /2015-03-31/functions/{name}/policy             AddPermission
//	GET    /2015-03-31/functions/{name}/policy             GetPolicy
//	DELETE /2015-03-31/functions/{name}/policy/{sid}       RemovePermission
//	PUT    /2017-10-31/functions/{name}/concurrency        PutFunctionConcurrency
//	DELETE /2017-10-31/functions/{name}/concurrency        DeleteFunctionConcurrency
//	GET    /2019-09-30/functions/{name}/concurrency        GetFunctionConcurrency
//	PUT    /2019-09-25/functions/{name}/event-invoke-config      PutFunctionEventInvokeConfig
//	POST   /2019-09-25/functions/{name}/event-invoke-config      UpdateFunctionEventInvokeConfig
//	GET    /2019-09-25/functions/{name}/event-invoke-config      GetFunctionEventInvokeConfig
//	DELETE /2019-09-25/functions/{name}/event-invoke-config      DeleteFunctionEventInvokeConfig
//	GET    /2019-09-25/functions/{name}/event-invoke-config/list ListFunctionEventInvokeConfigs
//	POST   /2021-10-31/functions/{name}/url            CreateFunctionUrlConfig
//	GET    /2021-10-31/functions/{name}/url            GetFunctionUrlConfig
//	PUT    /2021-10-31/functions/{name}/url            UpdateFunctionUrlConfig
//	DELETE /2021-10-31/functions/{name}/url            DeleteFunctionUrlConfig
//	GET    /2021-10-31/functions/{name}/urls           ListFunctionUrlConfigs
//	GET    /2016-08-19/account-settings                    GetAccountSettings
//	POST   /2017-03-31/tags/{arn}                          TagResource
//	DELETE /2017-03-31/tags/{arn}                          UntagResource
//	GET    /2017-03-31/tags/{arn}                          ListTags
//	GET    /2018-10-31/layers                              ListLayers
//	GET    /2018-10-31/layers?find=LayerVersion&Arn=...    GetLayerVersionByArn
//	POST   /2018-10-31/layers/{name}/versions              PublishLayerVersion
//	GET    /2018-10-31/layers/{name}/versions              ListLayerVersions
//	GET    /2018-10-31/layers/{name}/versions/{n}          GetLayerVersion
//	DELETE /2018-10-31/layers/{name}/versions/{n}          DeleteLayerVersion
func (s *Service) route(method, path string) (op, params, error) {
	var p params
	path = strings.TrimSuffix(path, "/")
	switch {
	case strings.HasPrefix(path, "/2015-03-31/functions"):
		rest := strings.TrimPrefix(path, "/2015-03-31/functions")
		if rest == "" {
			return pick(method, map[string]op{"POST": {"CreateFunction", s.createFunction}, "GET": {"ListFunctions", s.listFunctions}})
		}
		if rest[0] != '/' { // "/2015-03-31/functionsfoo" is no route
			return op{}, p, errUnknownOperation
		}
		name, sub, err := splitName(rest)
		if err != nil {
			return op{}, p, err
		}
		p.function = name
		if alias, ok := strings.CutPrefix(sub, "aliases/"); ok {
			if p.alias, err = url.PathUnescape(alias); err != nil || p.alias == "" || strings.Contains(alias, "/") {
				return op{}, p, errUnknownOperation
			}
			h, _, err := pick(method, map[string]op{"GET": {"GetAlias", s.getAlias}, "PUT": {"UpdateAlias", s.updateAlias}, "DELETE": {"DeleteAlias", s.deleteAlias}})
			return h, p, err
		}
		if sid, ok := strings.CutPrefix(sub, "policy/"); ok {
			if p.statement, err = url.PathUnescape(sid); err != nil || p.statement == "" || strings.Contains(sid, "/") {
				return op{}, p, errUnknownOperation
			}
			h, _, err := pick(method, map[string]op{"DELETE": {"RemovePermission", s.removePermission}})
			return h, p, err
		}
		var h op
		switch sub {
		case "":
			h, _, err = pick(method, map[string]op{"GET": {"GetFunction", s.getFunction}, "DELETE": {"DeleteFunction", s.deleteFunction}})
		case "configuration":
			h, _, err = pick(method, map[string]op{"GET": {"GetFunctionConfiguration", s.getFunctionConfiguration}, "PUT": {"UpdateFunctionConfiguration", s.updateFunctionConfiguration}})
		case "code":
			h, _, err = pick(method, map[string]op{"PUT": {"UpdateFunctionCode", s.updateFunctionCode}})
		case "versions":
			h, _, err = pick(method, map[string]op{"POST": {"PublishVersion", s.publishVersion}, "GET": {"ListVersionsByFunction", s.listVersionsByFunction}})
		case "aliases":
			h, _, err = pick(method, map[string]op{"POST": {"CreateAlias", s.createAlias}, "GET": {"ListAliases", s.listAliases}})
		case "policy":
			h, _, err = pick(method, map[string]op{"POST": {"AddPermission", s.addPermission}, "GET": {"GetPolicy", s.getPolicy}})
		case "invocations": // the invoke hot path: no map, no allocation
			if method != http.MethodPost {
				return op{}, p, errMethodNotAllowed
			}
			h = op{"Invoke", s.invoke}
		default:
			err = errUnknownOperation
		}
		return h, p, err
	case strings.HasPrefix(path, "/2017-10-31/functions/"), strings.HasPrefix(path, "/2019-09-30/functions/"):
		name, sub, err := splitName(path[len("/2017-10-31/functions"):])
		if err != nil || sub != "concurrency" {
			return op{}, p, errUnknownOperation
		}
		p.function = name
		if strings.HasPrefix(path, "/2019-09-30/") {
			h, _, err := pick(method, map[string]op{"GET": {"GetFunctionConcurrency", s.getFunctionConcurrency}})
			return h, p, err
		}
		h, _, err := pick(method, map[string]op{"PUT": {"PutFunctionConcurrency", s.putFunctionConcurrency}, "DELETE": {"DeleteFunctionConcurrency", s.deleteFunctionConcurrency}})
		return h, p, err
	case strings.HasPrefix(path, "/2019-09-25/functions/"):
		rest := path[len("/2019-09-25/functions"):]
		list := strings.HasSuffix(rest, "/event-invoke-config/list")
		if list {
			rest = strings.TrimSuffix(rest, "/list")
		}
		name, sub, err := splitName(rest)
		if err != nil || sub != "event-invoke-config" {
			return op{}, p, errUnknownOperation
		}
		p.function = name
		if list {
			h, _, err := pick(method, map[string]op{"GET": {"ListFunctionEventInvokeConfigs", s.listEventConfigs}})
			return h, p, err
		}
		h, _, err := pick(method, map[string]op{"PUT": {"PutFunctionEventInvokeConfig", s.putEventConfig(true)}, "POST": {"UpdateFunctionEventInvokeConfig", s.putEventConfig(false)},
			"GET": {"GetFunctionEventInvokeConfig", s.getEventConfig}, "DELETE": {"DeleteFunctionEventInvokeConfig", s.deleteEventConfig}})
		return h, p, err
	case strings.HasPrefix(path, "/2021-10-31/functions/"):
		name, sub, err := splitName(path[len("/2021-10-31/functions"):])
		if err != nil {
			return op{}, p, err
		}
		p.function = name
		switch sub {
		case "url":
			h, _, err := pick(method, map[string]op{"POST": {"CreateFunctionUrlConfig", s.createURL}, "GET": {"GetFunctionUrlConfig", s.getURL}, "PUT": {"UpdateFunctionUrlConfig", s.updateURL}, "DELETE": {"DeleteFunctionUrlConfig", s.deleteURL}})
			return h, p, err
		case "urls":
			h, _, err := pick(method, map[string]op{"GET": {"ListFunctionUrlConfigs", s.listURLs}})
			return h, p, err
		}
		return op{}, p, errUnknownOperation
	case path == "/2016-08-19/account-settings":
		return pick(method, map[string]op{"GET": {"GetAccountSettings", s.getAccountSettings}})
	case strings.HasPrefix(path, "/2017-03-31/tags/"):
		res, err := url.PathUnescape(path[len("/2017-03-31/tags/"):])
		if err != nil || res == "" {
			return op{}, p, errUnknownOperation
		}
		p.resource = res
		h, _, err := pick(method, map[string]op{"POST": {"TagResource", s.tagResource}, "DELETE": {"UntagResource", s.untagResource}, "GET": {"ListTags", s.listTags}})
		return h, p, err
	case path == "/2018-10-31/layers":
		// GetLayerVersionByArn shares the path; its find=LayerVersion is in the query.
		return pick(method, map[string]op{"GET": {"ListLayers", s.layersGet}})
	case strings.HasPrefix(path, "/2018-10-31/layers/"):
		parts := strings.Split(path[len("/2018-10-31/layers/"):], "/")
		if len(parts) < 2 || len(parts) > 3 || parts[1] != "versions" {
			return op{}, p, errUnknownOperation
		}
		name, err := url.PathUnescape(parts[0])
		if err != nil || name == "" {
			return op{}, p, errUnknownOperation
		}
		p.layer = name
		if len(parts) == 2 {
			h, _, err := pick(method, map[string]op{"POST": {"PublishLayerVersion", s.publishLayerVersion}, "GET": {"ListLayerVersions", s.listLayerVersions}})
			return h, p, err
		}
		p.version = parts[2]
		h, _, err := pick(method, map[string]op{"GET": {"GetLayerVersion", s.getLayerVersion}, "DELETE": {"DeleteLayerVersion", s.deleteLayerVersion}})
		return h, p, err
	}
	return op{}, p, errUnknownOperation
}

func pick(method string, m map[string]op) (op, params, error) {
	if o, ok := m[method]; ok {
		return o, params{}, nil
	}
	return op{}, params{}, errMethodNotAllowed
}

// splitName splits "/{name}[/{sub}]" with {name} unescaped (it may be an ARN with
// escaped colons). Only "aliases/{alias}" and "policy/{sid}" may hold a second
// segment.
func splitName(rest string) (name, sub string, err error) {
	rest = strings.TrimPrefix(rest, "/")
	raw, sub, _ := strings.Cut(rest, "/")
	name, err = url.PathUnescape(raw)
	if err != nil || name == "" || (strings.Contains(sub, "/") && !strings.HasPrefix(sub, "aliases/") && !strings.HasPrefix(sub, "policy/")) {
		return "", "", errUnknownOperation
	}
	return name, sub, nil
}

// ServeHTTP answers one Lambda API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	o, p, err := s.route(r.Method, path)
	if err == nil {
		if o.name == "ListLayers" && r.URL.Query().Get("find") == "LayerVersion" {
			o.name = "GetLayerVersionByArn" // the two share a path
		}
		awsproto.Info(r.Context()).Operation = o.name
		err = o.h(w, r, p)
	}
	if err != nil {
		awsproto.WriteRESTJSONError(w, err)
	}
}

// Handles reports whether the request belongs to the Lambda API.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName != "" && signingName != "lambda" {
		return false
	}
	path := r.URL.Path
	return strings.HasPrefix(path, "/2015-03-31/") || strings.HasPrefix(path, "/2017-10-31/") ||
		strings.HasPrefix(path, "/2019-09-30/") || strings.HasPrefix(path, "/2016-08-19/") ||
		strings.HasPrefix(path, "/2019-09-25/functions/") || strings.HasPrefix(path, "/2021-10-31/functions/") ||
		strings.HasPrefix(path, "/2017-03-31/tags/") || path == "/2018-10-31/layers" ||
		strings.HasPrefix(path, "/2018-10-31/layers/")
}
