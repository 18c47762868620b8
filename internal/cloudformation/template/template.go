// Package template is CloudFormation's template language: it parses JSON and
// YAML templates into their long form, checks them as CloudFormation does
// before a stack operation, binds parameters and conditions, orders resources
// by their dependencies and evaluates intrinsic functions. It has no side
// effects: resources are answered through a Resolver the caller supplies.
package template

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Template is a parsed template. Doc is the whole document in long form; the
// other fields are read from it by FromDoc and must not be edited apart from it.
type Template struct {
	Doc         map[string]any // the whole document, long form (what GetTemplate Original shows and what a transform rewrites)
	Version     string         // AWSTemplateFormatVersion
	Description string
	Transforms  []string // Transform: a string or a list
	Parameters  map[string]Parameter
	Mappings    map[string]any
	Conditions  map[string]any
	Resources   map[string]Resource
	Outputs     map[string]Output
}

// Parameter is one entry of the Parameters section.
type Parameter struct {
	Type                  string
	Default               *string // nil when there is none; lists are comma-joined as CloudFormation does
	AllowedValues         []string
	AllowedPattern        string
	MinLength, MaxLength  *int
	MinValue, MaxValue    *float64
	NoEcho                bool
	Description           string
	ConstraintDescription string

	// attrs are the keys the template wrote, for Validate's check of unknown ones.
	attrs []string
}

// Resource is one entry of the Resources section.
type Resource struct {
	Type                string
	Properties          map[string]any
	DependsOn           []string
	Condition           string
	DeletionPolicy      string // Delete (default), Retain, Snapshot, RetainExceptOnCreate
	UpdateReplacePolicy string
	Metadata            map[string]any
	CreationPolicy      any
	UpdatePolicy        any

	attrs     []string
	typeValue any // what Type held, to tell a missing Type from one that is not a string
}

// Output is one entry of the Outputs section.
type Output struct {
	Value       any
	Description string
	ExportName  any // the Export.Name expression, nil when not exported
	Condition   string

	hasValue bool
}

// FromDoc builds a Template from a document already in long form (what a
// transform returns). It fails only when a section has a shape that cannot be
// read at all; everything else is Validate's to report.
func FromDoc(doc map[string]any) (*Template, error) {
	if doc == nil {
		return nil, formatError("unsupported structure.")
	}
	t := &Template{Doc: doc}
	t.Version = text(doc["AWSTemplateFormatVersion"])
	t.Description = text(doc["Description"])
	switch tr := doc["Transform"].(type) {
	case nil:
	case string:
		t.Transforms = []string{tr}
	case []any:
		for _, e := range tr {
			s, ok := e.(string)
			if !ok {
				// A transform with parameters ({Name, Parameters}) names itself in Name.
				m, _ := e.(map[string]any)
				s, ok = m["Name"].(string)
			}
			if !ok {
				return nil, formatError("Every Transform member must be a string.")
			}
			t.Transforms = append(t.Transforms, s)
		}
	case map[string]any:
		s, ok := tr["Name"].(string)
		if !ok {
			return nil, formatError("Every Transform member must be a string.")
		}
		t.Transforms = []string{s}
	default:
		return nil, formatError("Every Transform member must be a string.")
	}

	var err error
	if t.Mappings, err = section(doc, "Mappings"); err != nil {
		return nil, err
	}
	if t.Conditions, err = section(doc, "Conditions"); err != nil {
		return nil, err
	}
	params, err := section(doc, "Parameters")
	if err != nil {
		return nil, err
	}
	t.Parameters = make(map[string]Parameter, len(params))
	for name, v := range params {
		p, err := readParameter(name, v)
		if err != nil {
			return nil, err
		}
		t.Parameters[name] = p
	}
	resources, err := section(doc, "Resources")
	if err != nil {
		return nil, err
	}
	t.Resources = make(map[string]Resource, len(resources))
	for name, v := range resources {
		r, err := readResource(name, v)
		if err != nil {
			return nil, err
		}
		t.Resources[name] = r
	}
	outputs, err := section(doc, "Outputs")
	if err != nil {
		return nil, err
	}
	t.Outputs = make(map[string]Output, len(outputs))
	for name, v := range outputs {
		o, err := readOutput(name, v)
		if err != nil {
			return nil, err
		}
		t.Outputs[name] = o
	}
	return t, nil
}

// section returns a top-level section that must be an object; a missing or
// empty (null) one is an empty map.
func section(doc map[string]any, name string) (map[string]any, error) {
	switch v := doc[name].(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return v, nil
	}
	return nil, formatError("Every %s member must be an object.", name)
}

func readParameter(name string, v any) (Parameter, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Parameter{}, formatError("Every Parameters object must contain a Type member.")
	}
	p := Parameter{
		Type:                  text(m["Type"]),
		AllowedPattern:        text(m["AllowedPattern"]),
		Description:           text(m["Description"]),
		ConstraintDescription: text(m["ConstraintDescription"]),
	}
	for k := range m {
		p.attrs = append(p.attrs, k)
	}
	sort.Strings(p.attrs)
	if d, ok := m["Default"]; ok && d != nil {
		s, err := parameterText(name, "Default", d)
		if err != nil {
			return p, err
		}
		p.Default = &s
	}
	switch av := m["AllowedValues"].(type) {
	case nil:
	case []any:
		for _, e := range av {
			s, err := parameterText(name, "AllowedValues", e)
			if err != nil {
				return p, err
			}
			p.AllowedValues = append(p.AllowedValues, s)
		}
	default:
		return p, formatError("Parameter '%s' AllowedValues must be a list", name)
	}
	var err error
	if p.MinLength, err = parameterInt(name, "MinLength", m["MinLength"]); err != nil {
		return p, err
	}
	if p.MaxLength, err = parameterInt(name, "MaxLength", m["MaxLength"]); err != nil {
		return p, err
	}
	if p.MinValue, err = parameterNumber(name, "MinValue", m["MinValue"]); err != nil {
		return p, err
	}
	if p.MaxValue, err = parameterNumber(name, "MaxValue", m["MaxValue"]); err != nil {
		return p, err
	}
	switch ne := m["NoEcho"].(type) {
	case bool:
		p.NoEcho = ne
	case string:
		p.NoEcho = strings.EqualFold(ne, "true")
	}
	return p, nil
}

// parameterText is a parameter attribute as the string CloudFormation keeps;
// a list Default is comma-joined.
func parameterText(name, attr string, v any) (string, error) {
	if l, ok := v.([]any); ok && attr == "Default" {
		parts := make([]string, len(l))
		for i, e := range l {
			s, ok := scalarText(e)
			if !ok {
				return "", formatError("Parameter '%s' %s must be a string", name, attr)
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	s, ok := scalarText(v)
	if !ok {
		return "", formatError("Parameter '%s' %s must be a string", name, attr)
	}
	return s, nil
}

func parameterNumber(name, attr string, v any) (*float64, error) {
	if v == nil {
		return nil, nil
	}
	s, ok := scalarText(v)
	if ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return &f, nil
		}
	}
	return nil, formatError("Parameter '%s' %s must be a number", name, attr)
}

func parameterInt(name, attr string, v any) (*int, error) {
	f, err := parameterNumber(name, attr, v)
	if err != nil || f == nil {
		return nil, err
	}
	if *f != math.Trunc(*f) || math.Abs(*f) > math.MaxInt32 {
		return nil, formatError("Parameter '%s' %s must be an integer", name, attr)
	}
	i := int(*f)
	return &i, nil
}

func readResource(name string, v any) (Resource, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Resource{}, formatError("[/Resources/%s] resource definition is malformed", name)
	}
	r := Resource{
		typeValue:           m["Type"],
		Condition:           text(m["Condition"]),
		DeletionPolicy:      text(m["DeletionPolicy"]),
		UpdateReplacePolicy: text(m["UpdateReplacePolicy"]),
		CreationPolicy:      m["CreationPolicy"],
		UpdatePolicy:        m["UpdatePolicy"],
	}
	for k := range m {
		r.attrs = append(r.attrs, k)
	}
	sort.Strings(r.attrs)
	if tv, ok := m["Type"]; ok {
		s, ok := tv.(string)
		if !ok {
			return r, formatError("[/Resources/%s] Every Type member must be a string.", name)
		}
		r.Type = s
	}
	if c, ok := m["Condition"]; ok {
		if _, ok := c.(string); !ok {
			return r, formatError("[/Resources/%s] Every Condition member must be a string.", name)
		}
	}
	switch p := m["Properties"].(type) {
	case nil:
	case map[string]any:
		r.Properties = p
	default:
		return r, formatError("[/Resources/%s/Properties] Every Properties member must be an object.", name)
	}
	switch md := m["Metadata"].(type) {
	case nil:
	case map[string]any:
		r.Metadata = md
	default:
		return r, formatError("[/Resources/%s/Metadata] Every Metadata member must be an object.", name)
	}
	switch d := m["DependsOn"].(type) {
	case nil:
	case string:
		r.DependsOn = []string{d}
	case []any:
		for _, e := range d {
			s, ok := e.(string)
			if !ok {
				return r, formatError("[/Resources/%s/DependsOn] Every DependsOn value must be a string.", name)
			}
			r.DependsOn = append(r.DependsOn, s)
		}
	default:
		return r, formatError("[/Resources/%s/DependsOn] Every DependsOn value must be a string.", name)
	}
	return r, nil
}

func readOutput(name string, v any) (Output, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Output{}, formatError("Every Outputs member must contain a Value object")
	}
	o := Output{Description: text(m["Description"]), Condition: text(m["Condition"])}
	o.Value, o.hasValue = m["Value"]
	switch e := m["Export"].(type) {
	case nil:
	case map[string]any:
		o.ExportName = e["Name"]
	default:
		return o, formatError("[/Outputs/%s/Export] Every Export member must be an object.", name)
	}
	return o, nil
}

// text is v when it is a scalar, as the string CloudFormation sees; "" otherwise.
func text(v any) string {
	s, _ := scalarText(v)
	return s
}

// scalarText renders a JSON scalar as CloudFormation turns it into a string:
// integers without a decimal point, booleans as true/false.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}
