package codedeploy

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

const (
	hookBefore    = "BeforeAllowTraffic"
	hookAfter     = "AfterAllowTraffic"
	eventTraffic  = "AllowTraffic"
	lambdaResType = "AWS::Lambda::Function"
)

// appSpec is what a Lambda AppSpec says: one function alias to move from
// one version to another, and the hook functions around the traffic shift.
type appSpec struct {
	Function       string `json:"function"`
	Alias          string `json:"alias"`
	CurrentVersion string `json:"currentVersion"`
	TargetVersion  string `json:"targetVersion"`
	BeforeHook     string `json:"beforeHook,omitempty"`
	AfterHook      string `json:"afterHook,omitempty"`
}

func (a *appSpec) hook(name string) string {
	if name == hookBefore {
		return a.BeforeHook
	}
	return a.AfterHook
}

// parseAppSpec reads a Lambda AppSpec in YAML or JSON (YAML's subset):
//
//	version: 0.0
//	Resources:
//	  - myFunction:
//	      Type: AWS::Lambda::Function
//	      Properties: {Name: fn, Alias: live, CurrentVersion: "1", TargetVersion: "2"}
//	Hooks:
//	  - BeforeAllowTraffic: preTrafficFn
//	  - AfterAllowTraffic: postTrafficFn
//
// Keys are matched without regard to case, as CodeDeploy reads them. Any
// problem is an InvalidRevisionException naming it.
func parseAppSpec(text string) (appSpec, error) {
	var spec appSpec
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return spec, errInvalidRevision("The AppSpec content is not valid YAML or JSON: %s", firstLine(err.Error()))
	}
	res, ok := field(doc, "Resources").([]any)
	if !ok || len(res) != 1 {
		return spec, errInvalidRevision("The AppSpec file must list exactly one resource under Resources for the Lambda compute platform.")
	}
	entry, ok := res[0].(map[string]any)
	if !ok || len(entry) != 1 {
		return spec, errInvalidRevision("The AppSpec resource must be a map of one name to its Type and Properties.")
	}
	var body map[string]any
	for _, v := range entry {
		body, _ = v.(map[string]any)
	}
	if t := scalar(field(body, "Type")); t != lambdaResType {
		return spec, errInvalidRevision("The AppSpec resource type %q is not supported: the Lambda compute platform takes %s.", t, lambdaResType)
	}
	props, _ := field(body, "Properties").(map[string]any)
	spec.Function = scalar(field(props, "Name"))
	spec.Alias = scalar(field(props, "Alias"))
	spec.CurrentVersion = scalar(field(props, "CurrentVersion"))
	spec.TargetVersion = scalar(field(props, "TargetVersion"))
	for _, p := range []struct{ name, v string }{{"Name", spec.Function}, {"Alias", spec.Alias},
		{"CurrentVersion", spec.CurrentVersion}, {"TargetVersion", spec.TargetVersion}} {
		if p.v == "" {
			return spec, errInvalidRevision("The AppSpec resource's Properties lack %s.", p.name)
		}
	}
	if spec.CurrentVersion == spec.TargetVersion {
		return spec, errInvalidRevision("The AppSpec's CurrentVersion and TargetVersion are both %s.", spec.CurrentVersion)
	}
	if h := field(doc, "Hooks"); h != nil {
		hooks, ok := h.([]any)
		if !ok {
			return spec, errInvalidRevision("The AppSpec's Hooks must be a list of maps of a lifecycle event to a function.")
		}
		for _, e := range hooks {
			m, ok := e.(map[string]any)
			if !ok {
				return spec, errInvalidRevision("The AppSpec's Hooks must be a list of maps of a lifecycle event to a function.")
			}
			for k, v := range m {
				fn := scalar(v)
				switch {
				case strings.EqualFold(k, hookBefore):
					spec.BeforeHook = fn
				case strings.EqualFold(k, hookAfter):
					spec.AfterHook = fn
				default:
					return spec, errInvalidRevision("The AppSpec names the lifecycle event %s: the Lambda compute platform has BeforeAllowTraffic and AfterAllowTraffic.", k)
				}
				if fn == "" {
					return spec, errInvalidRevision("The AppSpec's %s hook names no function.", k)
				}
			}
		}
	}
	return spec, nil
}

func field(m map[string]any, name string) any {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// scalar renders a YAML scalar as text: versions are often written as bare
// numbers.
func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int, int64, float64, bool:
		return fmt.Sprint(v)
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
