package sam

import (
	"fmt"
	"strings"
)

// globalSections maps each Globals section to the SAM resource type it applies to and the
// properties SAM accepts there.
var globalSections = map[string]struct {
	typ   string
	props []string
}{
	"Function": {"AWS::Serverless::Function", []string{
		"Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize", "Timeout",
		"VpcConfig", "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn", "AutoPublishAlias",
		"AutoPublishAliasAllProperties", "Layers", "DeploymentPreference", "RolePath", "PermissionsBoundary",
		"ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument",
		"EventInvokeConfig", "FileSystemConfigs", "CodeSigningConfigArn", "Architectures", "SnapStart",
		"EphemeralStorage", "FunctionUrlConfig", "RuntimeManagementConfig", "LoggingConfig", "RecursiveLoop",
		"SourceKMSKeyArn",
	}},
	"Api": {"AWS::Serverless::Api", []string{
		"AccessLogSetting", "AlwaysDeploy", "Auth", "BinaryMediaTypes", "CacheClusterEnabled",
		"CacheClusterSize", "CanarySetting", "Cors", "DefinitionUri", "Domain", "EndpointConfiguration",
		"GatewayResponses", "MergeDefinitions", "MethodSettings", "MinimumCompressionSize", "Name",
		"OpenApiVersion", "PropagateTags", "TracingEnabled", "Variables",
	}},
	"HttpApi": {"AWS::Serverless::HttpApi", []string{
		"AccessLogSettings", "Auth", "CorsConfiguration", "DefaultRouteSettings", "Domain",
		"FailOnWarnings", "PropagateTags", "RouteSettings", "StageVariables", "Tags",
	}},
	"SimpleTable":  {"AWS::Serverless::SimpleTable", []string{"SSESpecification"}},
	"LayerVersion": {"AWS::Serverless::LayerVersion", []string{}},
}

// globalSectionNames are the sections SAM accepts, as it lists them in its error; Globals for
// resource types this transform does not expand are accepted and have no effect.
var globalSectionNames = []string{"Api", "CapacityProvider", "Function", "HttpApi", "LayerVersion", "SimpleTable", "StateMachine", "WebSocketApi"}

// globals holds the parsed Globals section by SAM resource type.
type globals map[string]map[string]any

// parseGlobals validates the Globals section; nil yields no globals.
func parseGlobals(v any) (globals, *invalidError) {
	g := globals{}
	if v == nil {
		return g, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, globalsErr("'Globals' must be a dict.")
	}
	for _, section := range sortedKeys(m) {
		def, ok := globalSections[section]
		if !ok && contains(globalSectionNames, section) {
			continue
		}
		if !ok {
			return nil, globalsErr(fmt.Sprintf("'%s' is not supported. Must be one of the following values - %s", section, pyList(globalSectionNames)))
		}
		props, ok := m[section].(map[string]any)
		if !ok {
			return nil, globalsErr(fmt.Sprintf("Value of %s must be an object.", section))
		}
		for _, p := range sortedKeys(props) {
			if !contains(def.props, p) {
				return nil, globalsErr(fmt.Sprintf(
					"'%s' is not a supported property of '%s'. Must be one of the following values - %s",
					p, section, pyList(def.props)))
			}
		}
		g[def.typ] = props
	}
	return g, nil
}

func globalsErr(msg string) *invalidError {
	return &invalidError{document: true, msg: "'Globals' section is invalid. " + msg}
}

// pyList renders names as Python prints a list of str, which is how SAM words the choices.
func pyList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// apply merges the globals for typ into props, with SAM's rules: a value set on the resource
// wins, objects merge key by key, lists concatenate with the global entries first, and
// intrinsic functions count as single values.
func (g globals) apply(typ string, props map[string]any) {
	for k, gv := range g[typ] {
		lv, has := props[k]
		if !has {
			props[k] = deepCopy(gv)
			continue
		}
		props[k] = mergeGlobal(gv, lv)
	}
}

func mergeGlobal(global, local any) any {
	if isIntrinsic(global) || isIntrinsic(local) {
		return local
	}
	switch g := global.(type) {
	case map[string]any:
		l, ok := local.(map[string]any)
		if !ok {
			return local
		}
		out := deepCopy(g).(map[string]any)
		for k, lv := range l {
			if gv, ok := out[k]; ok {
				out[k] = mergeGlobal(gv, lv)
			} else {
				out[k] = lv
			}
		}
		return out
	case []any:
		l, ok := local.([]any)
		if !ok {
			return local
		}
		return append(deepCopy(g).([]any), l...)
	}
	return local
}
