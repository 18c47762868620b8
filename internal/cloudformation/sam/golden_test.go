package sam

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// goldenOptions are the stack facts the golden pairs were generated for: SAM's own test
// suite translates in the aws partition, and no pair resolves the region or account.
var goldenOptions = Options{Region: "us-east-1", AccountID: "123456789012", Partition: "aws", StackName: "sam-app"}

// TestGolden runs every input published by AWS's SAM translator (testdata/translator/input)
// through Transform and compares the result with SAM's output field by field.
//
// Normalisations, both applied to both sides:
//   - numbers go through a JSON round trip, so YAML's int 10 equals JSON's 10;
//   - every list is sorted by its elements' canonical JSON, as SAM's own test does
//     (deep_sort_lists in tests/translator/test_translator.py), because SAM does not promise
//     the order of generated lists such as Tags or ManagedPolicyArns.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/translator/input/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			doc := loadYAML(t, in)
			want := loadJSON(t, filepath.Join("testdata/translator/output", name+".json"))
			got, err := Transform(doc, goldenOptions)
			if err != nil {
				t.Fatalf("Transform: %v", err)
			}
			g, w := normalise(t, got), normalise(t, want)
			var diffs []string
			diff("", g, w, &diffs)
			if known := knownDiffs[name]; !reflect.DeepEqual(diffs, known) {
				for _, d := range diffs {
					t.Error(d)
				}
				if len(known) > 0 {
					t.Errorf("want exactly the known differences:\n%s", strings.Join(known, "\n"))
				}
			}
		})
	}
}

// knownDiffs are the differences from SAM's output that this transform does not yet remove.
// Each pair must differ in exactly these ways, so a fix or a new difference fails the test.
var knownDiffs = map[string][]string{
	// The deployment id of an API whose DefinitionBody is written inline hashes str() of the
	// body as SAM's Python 2.7 emulation prints it; for template-sourced bodies that string is
	// not reproduced yet (generated definitions and DefinitionUri ones are).
	"explicit_api": {
		`.Resources.ApiWithInlineSwaggerDeployment09cda3d97b: missing, want {"Properties":{"Description":"RestApi deployment id: 09cda3d97b008bed7bd4ebb1b5304ed622492941","RestApiId":{"Ref":"ApiWithInlineSwagger"},"StageName":"Stage"},"Type":"AWS::ApiGateway::Deployment"}`,
		`.Resources.ApiWithInlineSwaggerDeploymentd7fcdf1086: unexpected {"Properties":{"Description":"RestApi deployment id: d7fcdf1086262180dfe8b7ad5a04cab235490858","RestApiId":{"Ref":"ApiWithInlineSwagger"},"StageName":"Stage"},"Type":"AWS::ApiGateway::Deployment"}`,
		`.Resources.ApiWithInlineSwaggerStage.Properties.DeploymentId.Ref: got "ApiWithInlineSwaggerDeploymentd7fcdf1086", want "ApiWithInlineSwaggerDeployment09cda3d97b"`,
	},
}

func loadJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// loadYAML reads a CloudFormation YAML template, expanding short-form tags (!Ref, !GetAtt,
// !Sub, ...) to their long form as the template package does before calling Transform.
func loadYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, err := yamlValue(&n)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: not a mapping", path)
	}
	return m
}

func yamlValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return yamlValue(n.Content[0])
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	}
	tag := n.Tag
	if strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		fn := "Fn::" + tag[1:]
		if tag == "!Ref" || tag == "!Condition" {
			fn = tag[1:]
		}
		inner := *n
		inner.Tag = ""
		switch n.Kind {
		case yaml.ScalarNode:
			inner.Tag = "!!str"
		case yaml.MappingNode:
			inner.Tag = "!!map"
		case yaml.SequenceNode:
			inner.Tag = "!!seq"
		}
		v, err := yamlValue(&inner)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok && fn == "Fn::GetAtt" {
			a, b, _ := strings.Cut(s, ".")
			v = []any{a, b}
		}
		return map[string]any{fn: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func normalise(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return sortLists(out)
}

func sortLists(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = sortLists(e)
		}
	case []any:
		for i, e := range x {
			x[i] = sortLists(e)
		}
		sort.SliceStable(x, func(i, j int) bool { return canonicalJSON(x[i]) < canonicalJSON(x[j]) })
	}
	return v
}

// diff records every path where got and want differ.
func diff(path string, got, want any, out *[]string) {
	gm, gok := got.(map[string]any)
	wm, wok := want.(map[string]any)
	if gok && wok {
		keys := map[string]bool{}
		for k := range gm {
			keys[k] = true
		}
		for k := range wm {
			keys[k] = true
		}
		for _, k := range sortedKeys(toAny(keys)) {
			g, inG := gm[k]
			w, inW := wm[k]
			switch {
			case !inG:
				*out = append(*out, fmt.Sprintf("%s.%s: missing, want %s", path, k, canonicalJSON(w)))
			case !inW:
				*out = append(*out, fmt.Sprintf("%s.%s: unexpected %s", path, k, canonicalJSON(g)))
			default:
				diff(path+"."+k, g, w, out)
			}
		}
		return
	}
	gl, gok := got.([]any)
	wl, wok := want.([]any)
	if gok && wok && len(gl) == len(wl) {
		for i := range gl {
			diff(fmt.Sprintf("%s[%d]", path, i), gl[i], wl[i], out)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, canonicalJSON(got), canonicalJSON(want)))
	}
}

func toAny(m map[string]bool) map[string]any {
	out := make(map[string]any, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
