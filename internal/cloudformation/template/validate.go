package template

import (
	"sort"
	"strings"
)

// Limits CloudFormation enforces on one template.
const (
	MaxResources  = 500
	MaxParameters = 200
	MaxOutputs    = 200
)

var sections = map[string]bool{
	"AWSTemplateFormatVersion": true, "Description": true, "Metadata": true, "Parameters": true,
	"Rules": true, "Mappings": true, "Conditions": true, "Transform": true, "Resources": true,
	"Outputs": true, "Hooks": true,
}

var resourceAttrs = map[string]bool{
	"Type": true, "Properties": true, "DependsOn": true, "Condition": true, "DeletionPolicy": true,
	"UpdateReplacePolicy": true, "Metadata": true, "CreationPolicy": true, "UpdatePolicy": true,
	"Version": true, "Description": true,
}

var parameterAttrs = map[string]bool{
	"Type": true, "Default": true, "AllowedValues": true, "AllowedPattern": true, "MinLength": true,
	"MaxLength": true, "MinValue": true, "MaxValue": true, "NoEcho": true, "Description": true,
	"ConstraintDescription": true,
}

// pseudoParams are the names Ref answers without a declaration.
var pseudoParams = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

// Validate checks what CloudFormation checks before parameters are known and
// returns the first problem as CloudFormation words it, or nil.
func (t *Template) Validate() error {
	var unknown []string
	for k := range t.Doc {
		if !sections[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		return formatError("Invalid template property or properties [%s]", list(unknown))
	}
	if len(t.Resources) == 0 {
		return formatError("At least one Resources member must be defined.")
	}
	if n := len(t.Resources); n > MaxResources {
		return formatError("Number of resources, %d, is greater than maximum allowed, %d", n, MaxResources)
	}
	if n := len(t.Parameters); n > MaxParameters {
		return formatError("Parameter count %d is greater than max allowed %d", n, MaxParameters)
	}
	if n := len(t.Outputs); n > MaxOutputs {
		return formatError("Outputs count %d is greater than max allowed %d", n, MaxOutputs)
	}
	for _, name := range sortedKeys(t.Parameters) {
		if err := t.validateParameter(name, t.Parameters[name]); err != nil {
			return err
		}
	}
	if err := t.validateConditions(); err != nil {
		return err
	}
	if err := t.validateResources(); err != nil {
		return err
	}
	if err := t.validateOutputs(); err != nil {
		return err
	}
	if cycle := cycles(t.graph(nil)); len(cycle) > 0 {
		return validation("Circular dependency between resources: [%s]", list(cycle))
	}
	return nil
}

func (t *Template) validateParameter(name string, p Parameter) error {
	if p.Type == "" {
		return formatError("Every Parameters object must contain a Type member.")
	}
	if !knownParameterType(p.Type) {
		return formatError("Unrecognized parameter type: %s", p.Type)
	}
	for _, a := range p.attrs {
		if !parameterAttrs[a] {
			return formatError("Invalid template parameter property '%s'", a)
		}
	}
	if p.Default != nil && !isSSMType(p.Type) {
		if _, err := p.bind(name, *p.Default); err != nil {
			return err
		}
	}
	return nil
}

// knownParameterType reports whether CloudFormation accepts typ: the basic
// types, the AWS-specific ones (validated by AWS against the account, here
// taken as strings) and SSM parameter types.
func knownParameterType(typ string) bool {
	switch typ {
	case "String", "Number", "List<Number>", "List<String>", "CommaDelimitedList",
		"AWS::SSM::Parameter::Name", "AWS::Route53::HostedZone::Id", "List<AWS::Route53::HostedZone::Id>":
		return true
	}
	if isSSMType(typ) {
		return true
	}
	inner := typ
	if strings.HasPrefix(inner, "List<") && strings.HasSuffix(inner, ">") {
		inner = inner[len("List<") : len(inner)-1]
	}
	return strings.HasPrefix(inner, "AWS::EC2::") && strings.Count(inner, "::") >= 3
}

func isSSMType(typ string) bool {
	return strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<") && strings.HasSuffix(typ, ">")
}

func (t *Template) validateConditions() error {
	for _, name := range sortedKeys(t.Conditions) {
		w := walker{condContext: true}
		w.walk(t.Conditions[name])
		var bad []string
		for _, r := range w.refs {
			if _, ok := t.Parameters[r.Name]; ok || pseudoParams[r.Name] {
				continue
			}
			bad = append(bad, r.Name)
		}
		if len(bad) > 0 {
			return formatError("Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", list(bad))
		}
		for _, c := range w.conds {
			if _, ok := t.Conditions[c]; !ok {
				return formatError("Condition %s is not defined.", c)
			}
		}
	}
	graph := map[string][]string{}
	for name, c := range t.Conditions {
		w := walker{condContext: true}
		w.walk(c)
		graph[name] = w.conds
	}
	if cycle := cycles(graph); len(cycle) > 0 {
		return validation("Circular dependency between conditions: [%s]", list(cycle))
	}
	return nil
}

func (t *Template) validateResources() error {
	var missing []string
	for _, name := range sortedKeys(t.Resources) {
		r := t.Resources[name]
		if r.typeValue == nil {
			return formatError("[/Resources/%s] Every Resources object must contain a Type member.", name)
		}
		for _, a := range r.attrs {
			if !resourceAttrs[a] {
				return validation("Invalid template resource property '%s'", a)
			}
		}
		if r.Condition != "" {
			if _, ok := t.Conditions[r.Condition]; !ok {
				return formatError("Condition %s is not defined.", r.Condition)
			}
		}
		if path, ok := findNull(r.Properties, "/Resources/"+name+"/Properties"); ok {
			return formatError("[%s] 'null' values are not allowed in templates", path)
		}
		for _, d := range r.DependsOn {
			if _, ok := t.Resources[d]; !ok {
				missing = append(missing, d)
			}
		}
		w := walker{}
		w.walk(r.Properties)
		m, err := t.checkRefs(w)
		if err != nil {
			return err
		}
		missing = append(missing, m...)
	}
	if len(missing) > 0 {
		return unresolved(missing, "Resources")
	}
	return nil
}

func (t *Template) validateOutputs() error {
	var missing []string
	for _, name := range sortedKeys(t.Outputs) {
		o := t.Outputs[name]
		if !o.hasValue || o.Value == nil {
			return formatError("Every Outputs member must contain a Value object")
		}
		if o.Condition != "" {
			if _, ok := t.Conditions[o.Condition]; !ok {
				return formatError("Condition %s is not defined.", o.Condition)
			}
		}
		w := walker{}
		w.walk(o.Value)
		w.walk(o.ExportName)
		m, err := t.checkRefs(w)
		if err != nil {
			return err
		}
		missing = append(missing, m...)
	}
	if len(missing) > 0 {
		return unresolved(missing, "Outputs")
	}
	return nil
}

// checkRefs returns the names w found that the template does not define, or
// the error for a GetAtt of a missing resource or an undefined condition.
func (t *Template) checkRefs(w walker) ([]string, error) {
	var missing []string
	for _, r := range w.refs {
		_, isRes := t.Resources[r.Name]
		_, isParam := t.Parameters[r.Name]
		switch {
		case isRes:
		case r.Kind == kindGetAtt:
			return nil, templateError("instance of Fn::GetAtt references undefined resource %s", r.Name)
		case r.Attr == "" && (isParam || pseudoParams[r.Name]):
		default:
			name := r.Name
			if r.Kind == kindSub && r.Attr != "" {
				name += "." + r.Attr
			}
			missing = append(missing, name)
		}
	}
	for _, c := range w.conds {
		if _, ok := t.Conditions[c]; !ok {
			return nil, templateError("unresolved condition dependency %s in Fn::If", c)
		}
	}
	return missing, nil
}

// graph returns every resource's dependencies on other resources. With taken
// nil, both branches of every Fn::If count (the check before parameters are known).
func (t *Template) graph(taken func(string) (bool, bool)) map[string][]string {
	g := make(map[string][]string, len(t.Resources))
	for name, r := range t.Resources {
		g[name] = t.resourceDeps(r, taken)
	}
	return g
}

// resourceDeps lists the resources r names, sorted and without repeats.
func (t *Template) resourceDeps(r Resource, taken func(string) (bool, bool)) []string {
	seen := map[string]bool{}
	for _, d := range r.DependsOn {
		if _, ok := t.Resources[d]; ok {
			seen[d] = true
		}
	}
	w := walker{taken: taken}
	w.walk(r.Properties)
	for _, ref := range w.refs {
		if _, ok := t.Resources[ref.Name]; ok {
			seen[ref.Name] = true
		}
	}
	return sortedKeys(seen)
}

// findNull returns the path of the first null in v, CloudFormation's
// JSON-pointer style.
func findNull(v any, path string) (string, bool) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if x[k] == nil {
				return path + "/" + k, true
			}
			if p, ok := findNull(x[k], path+"/"+k); ok {
				return p, true
			}
		}
	case []any:
		for i, e := range x {
			p := path + "/" + itoa(i)
			if e == nil {
				return p, true
			}
			if p, ok := findNull(e, p); ok {
				return p, true
			}
		}
	}
	return "", false
}

// cycles returns the nodes of g that are on a cycle (Tarjan's strongly
// connected components of more than one node, or with an edge to itself).
func cycles(g map[string][]string) []string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack, out []string
	next := 0
	var visit func(v string)
	visit = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g[v] {
			if _, ok := g[w]; !ok {
				continue
			}
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var comp []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			comp = append(comp, w)
			if w == v {
				break
			}
		}
		if len(comp) > 1 || contains(g[v], v) {
			out = append(out, comp...)
		}
	}
	for _, v := range sortedKeys(g) {
		if _, seen := index[v]; !seen {
			visit(v)
		}
	}
	sort.Strings(out)
	return out
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
