package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads a template body, JSON or YAML, into its long form. See the
// package's contract: short-form tags become {"Fn::X": ...}, scalars become the
// JSON values CloudFormation would see, and every error is a ValidationError
// "Template format error: ...".
func Parse(body []byte) (*Template, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	var (
		doc any
		err error
	)
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		doc, err = parseJSON(body)
	} else {
		doc, err = parseYAML(body)
	}
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, formatError("unsupported structure.")
	}
	return FromDoc(m)
}

// parseJSON decodes one JSON value and nothing after it. Duplicate keys keep
// the last value, which is what CloudFormation deploys.
func parseJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v any
	if err := dec.Decode(&v); err != nil {
		at := len(body)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			at = int(se.Offset) - 1 // Offset counts the byte that was wrong
		}
		return nil, jsonError(body, at)
	}
	end := int(dec.InputOffset())
	rest := bytes.TrimLeft(body[end:], " \t\r\n")
	if len(rest) > 0 {
		return nil, jsonError(body, len(body)-len(rest))
	}
	return v, nil
}

// jsonError reports the byte at index at as CloudFormation does: 1-based
// line and column.
func jsonError(body []byte, at int) error {
	at = max(0, min(at, len(body)))
	line, col := 1, 1
	for _, c := range body[:at] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return formatError("JSON not well-formed. (line %d, column %d)", line, col)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// maxAliasNodes bounds the nodes aliases may expand to, so a small body
// cannot make a huge document (the "billion laughs"). CloudFormation does not
// document aliases at all; this leaves room for the modest reuse people write.
const maxAliasNodes = 1 << 16

func parseYAML(body []byte) (any, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			return nil, formatError("YAML not well-formed. (line %s)", m[1])
		}
		return nil, formatError("YAML not well-formed.")
	}
	if root.Kind == 0 {
		return nil, nil
	}
	c := &yamlConverter{}
	return c.value(&root, 0)
}

type yamlConverter struct {
	aliasDepth int // > 0 while converting what an alias points at
	aliasNodes int
}

// shortTags maps a YAML tag to its long-form key. !Ref, !Condition and
// !GetAtt are handled on their own because their long forms differ.
var shortTags = map[string]string{
	"!Sub": "Fn::Sub", "!Join": "Fn::Join", "!Select": "Fn::Select", "!Split": "Fn::Split",
	"!If": "Fn::If", "!Equals": "Fn::Equals", "!And": "Fn::And", "!Or": "Fn::Or", "!Not": "Fn::Not",
	"!FindInMap": "Fn::FindInMap", "!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue",
	"!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform",
	"!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString",
}

func notWellFormed(n *yaml.Node) error {
	return formatError("YAML not well-formed. (line %d, column %d)", n.Line, n.Column)
}

func (c *yamlConverter) value(n *yaml.Node, depth int) (any, error) {
	if c.aliasDepth > 0 {
		c.aliasNodes++
	}
	if c.aliasNodes > maxAliasNodes || depth > 1000 {
		return nil, notWellFormed(n)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		c.aliasDepth++
		defer func() { c.aliasDepth-- }()
		return c.value(n.Alias, depth+1)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return c.tagged(n, depth)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return scalar(n), nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n, depth)
	}
	return nil, notWellFormed(n)
}

func (c *yamlConverter) mapping(n *yaml.Node, depth int) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		if k.Tag == "!!merge" {
			if err := c.merge(out, v, depth); err != nil {
				return nil, err
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, notWellFormed(k)
		}
		val, err := c.value(v, depth+1)
		if err != nil {
			return nil, err
		}
		// A later duplicate wins, as CloudFormation deploys it.
		out[k.Value] = val
	}
	return out, nil
}

// merge applies a "<<" key. Keys written in the map itself win over merged
// ones wherever they appear, as YAML's merge rule says.
func (c *yamlConverter) merge(out map[string]any, v *yaml.Node, depth int) error {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	var sources []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		sources = v.Content
	default:
		return notWellFormed(v)
	}
	for _, s := range sources {
		if s.Kind == yaml.AliasNode {
			s = s.Alias
		}
		if s.Kind != yaml.MappingNode {
			return notWellFormed(s)
		}
		m, err := c.mapping(s, depth+1)
		if err != nil {
			return err
		}
		for k, val := range m {
			if _, ok := out[k]; !ok {
				out[k] = val
			}
		}
	}
	return nil
}

// tagged converts a short-form intrinsic function to its long form. The
// content of a tagged scalar is always a string (!Ref 123 refers to "123").
func (c *yamlConverter) tagged(n *yaml.Node, depth int) (any, error) {
	var inner any
	var err error
	if n.Kind == yaml.ScalarNode {
		inner = n.Value
	} else {
		untagged := *n
		untagged.Tag = ""
		inner, err = c.value(&untagged, depth+1)
		if err != nil {
			return nil, err
		}
	}
	switch n.Tag {
	case "!Ref":
		return map[string]any{"Ref": inner}, nil
	case "!Condition":
		return map[string]any{"Condition": inner}, nil
	case "!GetAtt":
		if s, ok := inner.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return map[string]any{"Fn::GetAtt": []any{s}}, nil
			}
			return map[string]any{"Fn::GetAtt": []any{res, attr}}, nil
		}
		return map[string]any{"Fn::GetAtt": inner}, nil
	}
	if key, ok := shortTags[n.Tag]; ok {
		return map[string]any{key: inner}, nil
	}
	return nil, notWellFormed(n)
}

// scalar resolves a plain YAML scalar to the JSON value CloudFormation sees.
// Timestamps and binary stay the text written (CloudFormation does not
// support those types), so a version like 2012-10-17 stays a string.
func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return n.Value
		}
		return b
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "-0o") || strings.HasPrefix(s, "+0o") {
			s = strings.Replace(s, "0o", "0", 1)
		}
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return float64(i)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return n.Value
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			// JSON has no infinities; keep what was written.
			return n.Value
		}
		return f
	}
	return n.Value
}
