package template

import (
	"errors"
	"reflect"
	"testing"
)

// fakeResolver answers for resources as a deployed stack would.
type fakeResolver struct{}

func (fakeResolver) Ref(logical string) (string, error) { return "phys-" + logical, nil }

func (fakeResolver) GetAtt(logical, attr string) (any, error) {
	if attr == "List" {
		return []any{"x", "y"}, nil
	}
	if attr == "Missing" {
		return nil, errNoAttr
	}
	return "arn:" + logical + ":" + attr, nil
}

func (fakeResolver) ImportValue(name string) (string, error) { return "imported-" + name, nil }

var errNoAttr = errors.New("no such attribute")

const evalTemplate = `
Parameters:
  Env: {Type: String, Default: prod}
  Attr: {Type: String, Default: Arn}
  Zones: {Type: CommaDelimitedList, Default: "a,b"}
  Count: {Type: Number, Default: 2}
Mappings:
  Sizes:
    prod: {Mem: 1024, Name: big}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Off: !Equals [a, b]
Resources:
  Fn: {Type: T}
  Hidden: {Type: T, Condition: Off}
Outputs:
  Arn:
    Value: !GetAtt Fn.Arn
    Description: the function
    Export: {Name: !Sub "${AWS::StackName}-arn"}
  Zones:
    Value: !Ref Zones
  Secret:
    Condition: Off
    Value: hidden
`

func evalStack(t *testing.T) *Stack {
	t.Helper()
	tpl := mustParse(t, evalTemplate)
	if err := tpl.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := tpl.Bind(nil, Pseudo{AccountID: "123456789012", Region: "us-east-1", StackName: "app", StackID: "arn:stack", NotificationARNs: []string{"arn:n"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEval(t *testing.T) {
	s := evalStack(t)
	tests := []struct {
		name string
		yaml string
		want any
	}{
		{"ref param", `!Ref Env`, "prod"},
		{"ref list param", `!Ref Zones`, []any{"a", "b"}},
		{"ref resource", `!Ref Fn`, "phys-Fn"},
		{"pseudo", `!Sub "${AWS::AccountId}/${AWS::Region}/${AWS::StackName}/${AWS::StackId}/${AWS::Partition}/${AWS::URLSuffix}"`, "123456789012/us-east-1/app/arn:stack/aws/amazonaws.com"},
		{"notification arns", `!Ref AWS::NotificationARNs`, []any{"arn:n"}},
		{"getatt string form", `{"Fn::GetAtt": "Fn.Arn"}`, "arn:Fn:Arn"},
		{"getatt list with ref", `!GetAtt [Fn, !Ref Attr]`, "arn:Fn:Arn"},
		{"getatt list value", `!GetAtt Fn.List`, []any{"x", "y"}},
		{"sub resource and attr", `!Sub "${Fn}|${Fn.Arn}|${!Literal}|${Count}"`, "phys-Fn|arn:Fn:Arn|${Literal}|2"},
		{"sub with vars", `!Sub ["${A}-${B}", {A: !Ref Env, B: 7}]`, "prod-7"},
		{"sub unclosed", `!Sub "a ${b"`, "a ${b"},
		{"join", `!Join ["-", [a, !Ref Env, 3]]`, "a-prod-3"},
		{"join function list", `!Join [",", !GetAZs ""]`, "us-east-1a,us-east-1b,us-east-1c"},
		{"select", `!Select [1, [a, b, c]]`, "b"},
		{"select string index", `!Select ["0", !Ref Zones]`, "a"},
		{"split", `!Split [",", "a,,b"]`, []any{"a", "", "b"}},
		{"split then select", `!Select [2, !Split ["/", "a/b/c"]]`, "c"},
		{"if true", `!If [IsProd, yes-prod, no]`, "yes-prod"},
		{"if false", `!If [Off, a, [b]]`, []any{"b"}},
		{"novalue in list", `[a, !If [Off, b, !Ref AWS::NoValue], c]`, []any{"a", "c"}},
		{"novalue in map", `{A: 1, B: !If [Off, 2, !Ref AWS::NoValue]}`, map[string]any{"A": float64(1)}},
		{"novalue at top", `!Ref AWS::NoValue`, nil},
		{"findinmap", `!FindInMap [Sizes, !Ref Env, Mem]`, float64(1024)},
		{"findinmap default", `!FindInMap [Sizes, dev, Mem, {DefaultValue: 128}]`, float64(128)},
		{"getazs region", `!GetAZs eu-west-1`, []any{"eu-west-1a", "eu-west-1b", "eu-west-1c"}},
		{"getazs ref region", `!GetAZs {Ref: "AWS::Region"}`, []any{"us-east-1a", "us-east-1b", "us-east-1c"}},
		{"importvalue", `!ImportValue {"Fn::Sub": "${Env}-vpc"}`, "imported-prod-vpc"},
		{"base64", `!Base64 "hello"`, "aGVsbG8="},
		{"cidr", `!Cidr ["10.0.0.0/16", 3, 8]`, []any{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"}},
		{"cidr unaligned block", `!Cidr ["192.168.1.77/24", 2, 6]`, []any{"192.168.1.0/26", "192.168.1.64/26"}},
		{"cidr ipv6", `!Cidr ["2001:db8::/56", 2, 64]`, []any{"2001:db8::/64", "2001:db8:0:1::/64"}},
		{"length", `!Length [a, b, c]`, float64(3)},
		{"length of function", `!Length {Ref: Zones}`, float64(2)},
		{"tojsonstring", `!ToJsonString {b: [1, !Ref Env], a: true}`, `{"a":true,"b":[1,"prod"]}`},
		{"equals", `!Equals [!Ref Env, prod]`, true},
		{"not", `!Not [!Equals [a, a]]`, false},
		{"and", `!And [!Condition IsProd, !Equals [x, x]]`, true},
		{"or", `!Or [!Condition Off, !Condition IsProd]`, true},
		{"nested data", `{List: [{Ref: Env}], Key: {Condition: notAFunction}}`, map[string]any{"List": []any{"prod"}, "Key": map[string]any{"Condition": "notAFunction"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := mustParse(t, "Resources:\n  R:\n    Type: T\n    Properties:\n      P: "+tt.yaml+"\n")
			got, err := s.Eval(tpl.Resources["R"].Properties["P"], fakeResolver{})
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	s := evalStack(t)
	tests := []struct{ name, yaml, msg string }{
		{"ref not string", `{Ref: [a]}`, "Template format error: Every Ref object must have a single String value."},
		{"ref undefined", `!Ref Nope`, "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"},
		{"ref inactive", `!Ref Hidden`, "Template format error: Unresolved resource dependencies [Hidden] in the Resources block of the template"},
		{"getatt inactive", `!GetAtt Hidden.Arn`, "Template error: instance of Fn::GetAtt references undefined resource Hidden"},
		{"getatt malformed", `{"Fn::GetAtt": [Fn]}`, "Template error: every Fn::GetAtt object requires two non-empty parameters"},
		{"sub malformed", `{"Fn::Sub": [a, b, c]}`, "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string"},
		{"sub bad name", `!Sub "${a-b}"`, "Template error: variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, and colons"},
		{"sub list", `!Sub "${Zones}"`, "Template error: variable Zones in Fn::Sub expression does not resolve to a string"},
		{"sub undefined attr", `!Sub "${Nope.Arn}"`, "Template format error: Unresolved resource dependencies [Nope.Arn] in the Resources block of the template"},
		{"join malformed", `!Join [",", a]`, "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined."},
		{"select out of range", `!Select [3, [a]]`, "Template error: Fn::Select  cannot select nonexistent value at index 3"},
		{"select malformed", `!Select [x, [a]]`, "Template error: every Fn::Select object requires two parameters, (1) an index and (2) a list of values"},
		{"split malformed", `!Split [","]`, "Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split."},
		{"if undefined", `!If [Nope, a, b]`, "Template error: unresolved condition dependency Nope in Fn::If"},
		{"if malformed", `!If [[a], b, c]`, "Template error: Fn::If requires a list argument with the first element being a condition"},
		{"findinmap missing", `!FindInMap [Sizes, dev, Mem]`, "Template error: Unable to get mapping for Sizes::dev::Mem"},
		{"findinmap malformed", `!FindInMap [Sizes]`, "Template error: every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value"},
		{"cidr too many", `!Cidr ["10.0.0.0/24", 5, 7]`, "Template error: Fn::Cidr: 10.0.0.0/24 has room for 2 subnets of 7 bits, not 5"},
		{"unknown function", `{"Fn::Nope": x}`, "Template format error: Encountered unsupported function: Fn::Nope Supported functions are: [Fn::And, Fn::Base64, Fn::Cidr, Fn::Equals, Fn::FindInMap, Fn::GetAZs, Fn::GetAtt, Fn::If, Fn::ImportValue, Fn::Join, Fn::Length, Fn::Not, Fn::Or, Fn::Select, Fn::Split, Fn::Sub, Fn::ToJsonString, Fn::Transform]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := mustParse(t, "Resources:\n  R:\n    Type: T\n    Properties:\n      P: "+tt.yaml+"\n")
			_, err := s.Eval(tpl.Resources["R"].Properties["P"], fakeResolver{})
			wantValidation(t, err, tt.msg)
		})
	}
	t.Run("resolver errors pass through", func(t *testing.T) {
		_, err := s.Eval(map[string]any{"Fn::GetAtt": []any{"Fn", "Missing"}}, fakeResolver{})
		if !errors.Is(err, errNoAttr) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestOutputs(t *testing.T) {
	s := evalStack(t)
	got, err := s.Outputs(fakeResolver{})
	if err != nil {
		t.Fatal(err)
	}
	want := []OutputValue{
		{Key: "Arn", Value: "arn:Fn:Arn", Description: "the function", ExportName: "app-arn"},
		{Key: "Zones", Value: "a,b"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Outputs = %+v", got)
	}
}
