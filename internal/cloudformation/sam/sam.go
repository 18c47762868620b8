// Package sam expands templates that declare Transform: AWS::Serverless-2016-10-31 into plain
// CloudFormation, following AWS's SAM translator so that logical ids and generated resources
// match what AWS shows for the processed template.
package sam

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// TransformName is the value of a template's Transform section that this package expands.
const TransformName = "AWS::Serverless-2016-10-31"

// Options are the stack facts SAM needs to resolve some values itself.
type Options struct {
	Region, AccountID, Partition, StackName string // Partition "aws" when empty
	// Params are the stack's parameter values (string, or []string for list types), for
	// the places SAM resolves them itself (CodeUri, AutoPublishAlias, DeploymentPreference ...).
	Params map[string]any
}

// invalidError is one entry of SAM's error list; SAM reports every invalid resource at once.
type invalidError struct {
	id, msg string
	// structure marks errors of the template's layout; document errors (Globals) are
	// reported in their own words.
	structure, document bool
}

func (e *invalidError) Error() string {
	if e.document {
		return e.msg
	}
	if e.structure {
		return "Structure of the SAM template is invalid. " + e.msg
	}
	return fmt.Sprintf("Resource with id [%s] is invalid. %s", e.id, e.msg)
}

func resourceErr(id, format string, a ...any) *invalidError {
	return &invalidError{id: id, msg: fmt.Sprintf(format, a...)}
}

func eventErr(fn, event, format string, a ...any) *invalidError {
	return &invalidError{id: fn, msg: fmt.Sprintf("Event with id [%s] is invalid. ", event) + fmt.Sprintf(format, a...)}
}

func validation(errs []*invalidError) error {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	return &awsproto.Error{
		Code:   "ValidationError",
		Status: 400,
		Message: fmt.Sprintf("Transform %s failed with: Invalid Serverless Application Specification document. Number of errors found: %d. %s",
			TransformName, len(errs), strings.Join(parts, " ")),
	}
}

// translator holds the state of one Transform call.
type translator struct {
	o         Options
	doc       map[string]any
	resources map[string]any // output resources, plain CloudFormation
	// refs maps "Fn.Alias"/"Fn.Version" and renamed logical ids (layers) to their final ids.
	refs map[string]string
	// aliases maps a function's logical id to its alias's logical id, for event sources.
	aliases map[string]string
	apis    *apiSet
	errs    []*invalidError
}

// Transform expands a document with Transform: AWS::Serverless-2016-10-31 into plain
// CloudFormation, as AWS's SAM translator does: the same logical ids and the same resources and
// properties. The input is not modified. Errors are *awsproto.Error{Code: "ValidationError",
// Status: 400} in SAM's words, listing every invalid resource.
func Transform(doc map[string]any, o Options) (map[string]any, error) {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	doc, _ = deepCopy(doc).(map[string]any)
	t := &translator{o: o, doc: doc, resources: map[string]any{}, refs: map[string]string{}, aliases: map[string]string{}}
	t.apis = newAPISet(t)

	in, ok := doc["Resources"].(map[string]any)
	if !ok || len(in) == 0 {
		return nil, validation([]*invalidError{{structure: true, msg: "'Resources' section is required"}})
	}
	globals, gerr := parseGlobals(doc["Globals"])
	if gerr != nil {
		return nil, validation([]*invalidError{gerr})
	}

	ids := sortedKeys(in)
	for _, id := range ids {
		r, ok := in[id].(map[string]any)
		if !ok {
			t.errs = append(t.errs, &invalidError{structure: true, msg: "All 'Resources' must be Objects. If you're using YAML, this may be an indentation issue."})
			continue
		}
		typ, _ := r["Type"].(string)
		if strings.HasPrefix(typ, "AWS::Serverless::") {
			if p, has := r["Properties"]; has {
				if _, isMap := p.(map[string]any); !isMap {
					t.errs = append(t.errs, resourceErr(id, "Properties of a resource must be an object."))
					continue
				}
			} else {
				r["Properties"] = map[string]any{}
			}
			globals.apply(typ, r["Properties"].(map[string]any))
		}
	}
	// Plain resources and explicit APIs go first: S3 events edit buckets, and API events add
	// their routes to APIs declared anywhere in the template.
	for _, id := range ids {
		r, _ := in[id].(map[string]any)
		typ, _ := r["Type"].(string)
		switch {
		case typ == "AWS::Serverless::Api", typ == "AWS::Serverless::HttpApi":
			t.apis.declare(id, r)
		case r != nil && !strings.HasPrefix(typ, "AWS::Serverless::"):
			t.resources[id] = r
		}
	}
	for _, id := range ids {
		r, ok := in[id].(map[string]any)
		if !ok {
			continue
		}
		var err *invalidError
		switch r["Type"] {
		case "AWS::Serverless::Function":
			err = t.function(id, r)
		case "AWS::Serverless::SimpleTable":
			err = t.simpleTable(id, r)
		case "AWS::Serverless::LayerVersion":
			err = t.layerVersion(id, r)
		case "AWS::Serverless::Api", "AWS::Serverless::HttpApi":
			// rendered after every event has added its routes
		default:
			if typ, _ := r["Type"].(string); strings.HasPrefix(typ, "AWS::Serverless::") {
				err = resourceErr(id, "Resource type '%s' is not supported by Stratus's SAM transform.", typ)
			}
		}
		if err != nil {
			t.errs = append(t.errs, err)
		}
	}
	if len(t.errs) == 0 {
		t.errs = append(t.errs, t.apis.render(globals)...)
	}
	if len(t.errs) > 0 {
		sort.SliceStable(t.errs, func(i, j int) bool { return t.errs[i].id < t.errs[j].id })
		return nil, validation(t.errs)
	}

	out := map[string]any{}
	for k, v := range doc {
		switch k {
		case "Globals", "Resources":
		case "Transform":
			if rest := otherTransforms(v); rest != nil {
				out[k] = rest
			}
		default:
			out[k] = v
		}
	}
	out["Resources"] = t.resources
	if len(t.refs) > 0 {
		for id, r := range t.resources {
			t.resources[id] = rewriteRefs(r, t.refs)
		}
		if outs, ok := out["Outputs"]; ok {
			out["Outputs"] = rewriteRefs(outs, t.refs)
		}
	}
	return out, nil
}

// otherTransforms returns the Transform value without SAM's entry, or nil when nothing is left.
func otherTransforms(v any) any {
	switch v := v.(type) {
	case string:
		if v == TransformName {
			return nil
		}
		return v
	case []any:
		var rest []any
		for _, x := range v {
			if x != TransformName {
				rest = append(rest, x)
			}
		}
		if len(rest) == 0 {
			return nil
		}
		return rest
	}
	return v
}

// passthrough returns the resource attributes SAM copies from a SAM resource onto every
// resource it generates for it.
func passthrough(r map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"Condition", "DeletionPolicy", "UpdateReplacePolicy"} {
		if v, ok := r[k]; ok {
			out[k] = v
		}
	}
	return out
}

// newResource builds a resource of typ with props and attrs, dropping empty properties the way
// SAM does not emit unset ones.
func newResource(typ string, props map[string]any, attrs map[string]any) map[string]any {
	r := map[string]any{"Type": typ}
	for k, v := range attrs {
		r[k] = v
	}
	clean := map[string]any{}
	for k, v := range props {
		if v != nil {
			clean[k] = v
		}
	}
	if len(clean) > 0 {
		r["Properties"] = clean
	}
	return r
}

func (t *translator) add(id string, r map[string]any) {
	t.resources[id] = r
}

// resolveParam resolves {"Ref": Param} to the parameter's value (given, or its Default), as SAM
// does for the few properties it must know at transform time. Anything else is returned as is.
func (t *translator) resolveParam(v any) any {
	r, _ := t.lookupParam(v)
	return r
}

// lookupParam is resolveParam that also reports whether v was a Ref it could resolve.
func (t *translator) lookupParam(v any) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v, false
	}
	name, ok := m["Ref"].(string)
	if !ok {
		return v, false
	}
	if p, ok := t.o.Params[name]; ok {
		return p, true
	}
	switch name {
	case "AWS::Region":
		if t.o.Region != "" {
			return t.o.Region, true
		}
	case "AWS::AccountId":
		if t.o.AccountID != "" {
			return t.o.AccountID, true
		}
	case "AWS::Partition":
		return t.o.Partition, true
	case "AWS::StackName":
		if t.o.StackName != "" {
			return t.o.StackName, true
		}
	}
	params, _ := t.doc["Parameters"].(map[string]any)
	if p, ok := params[name].(map[string]any); ok {
		if d, ok := p["Default"]; ok {
			return d, true
		}
	}
	return v, false
}

// resolveDeep applies resolveParam to every Ref found in v.
func (t *translator) resolveDeep(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := t.lookupParam(x); ok {
			return r
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = t.resolveDeep(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = t.resolveDeep(e)
		}
		return out
	}
	return v
}

// rewriteRefs replaces Ref targets, GetAtt targets and ${name} in Fn::Sub strings using m.
func rewriteRefs(v any, m map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if name, ok := x["Ref"].(string); ok {
				if to, ok := m[name]; ok {
					return map[string]any{"Ref": to}
				}
				return x
			}
			if sub, ok := x["Fn::Sub"]; ok {
				return map[string]any{"Fn::Sub": rewriteSub(sub, m)}
			}
			if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
				if name, ok := ga[0].(string); ok {
					if to, ok := m[name]; ok {
						return map[string]any{"Fn::GetAtt": []any{to, rewriteRefs(ga[1], m)}}
					}
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = rewriteRefs(e, m)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = rewriteRefs(e, m)
		}
		return out
	}
	return v
}

func rewriteSub(sub any, m map[string]string) any {
	replace := func(s string) string {
		var b strings.Builder
		for {
			i := strings.Index(s, "${")
			if i < 0 {
				b.WriteString(s)
				return b.String()
			}
			j := strings.Index(s[i:], "}")
			if j < 0 {
				b.WriteString(s)
				return b.String()
			}
			name := s[i+2 : i+j]
			b.WriteString(s[:i])
			b.WriteString("${" + rewriteSubName(name, m) + "}")
			s = s[i+j+1:]
		}
	}
	switch x := sub.(type) {
	case string:
		return replace(x)
	case []any:
		if len(x) == 2 {
			if s, ok := x[0].(string); ok {
				return []any{replace(s), rewriteRefs(x[1], m)}
			}
		}
	}
	return sub
}

// rewriteSubName renames the resource part of a ${name} or ${name.Attr} reference; the
// resource part may itself hold a dot (${Fn.Version.Version}).
func rewriteSubName(name string, m map[string]string) string {
	if strings.HasPrefix(name, "!") {
		return name
	}
	if to, ok := m[name]; ok {
		return to
	}
	for dot := strings.LastIndex(name, "."); dot > 0; dot = strings.LastIndex(name[:dot], ".") {
		if to, ok := m[name[:dot]]; ok {
			return to + name[dot:]
		}
	}
	return name
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

func sub(s string) map[string]any { return map[string]any{"Fn::Sub": s} }

// isIntrinsic reports whether v is a single-key object naming an intrinsic function.
func isIntrinsic(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}
