package template

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// mustParse parses body or fails the test.
func mustParse(t *testing.T, body string) *Template {
	t.Helper()
	tpl, err := Parse([]byte(body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tpl
}

// wantValidation checks err is a ValidationError with exactly msg.
func wantValidation(t *testing.T, err error, msg string) {
	t.Helper()
	var e *awsproto.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *awsproto.Error", err)
	}
	if e.Code != "ValidationError" || e.Status != 400 {
		t.Errorf("code %s status %d, want ValidationError 400", e.Code, e.Status)
	}
	if e.Message != msg {
		t.Errorf("message\n got %q\nwant %q", e.Message, msg)
	}
}

func TestShortTags(t *testing.T) {
	tests := []struct {
		yaml string
		want any
	}{
		{`!Ref Bucket`, map[string]any{"Ref": "Bucket"}},
		{`!Ref 123`, map[string]any{"Ref": "123"}},
		{`!GetAtt Fn.Arn`, map[string]any{"Fn::GetAtt": []any{"Fn", "Arn"}}},
		{`!GetAtt Db.Endpoint.Address`, map[string]any{"Fn::GetAtt": []any{"Db", "Endpoint.Address"}}},
		{`!GetAtt [Fn, !Ref Attr]`, map[string]any{"Fn::GetAtt": []any{"Fn", map[string]any{"Ref": "Attr"}}}},
		{`!Sub "${AWS::Region}-x"`, map[string]any{"Fn::Sub": "${AWS::Region}-x"}},
		{`!Sub ["${A}", {A: !Ref B}]`, map[string]any{"Fn::Sub": []any{"${A}", map[string]any{"A": map[string]any{"Ref": "B"}}}}},
		{`!Join [",", [a, b]]`, map[string]any{"Fn::Join": []any{",", []any{"a", "b"}}}},
		{`!Select [0, !GetAZs ""]`, map[string]any{"Fn::Select": []any{float64(0), map[string]any{"Fn::GetAZs": ""}}}},
		{`!Split [",", "a,b"]`, map[string]any{"Fn::Split": []any{",", "a,b"}}},
		{`!If [C, a, !Ref AWS::NoValue]`, map[string]any{"Fn::If": []any{"C", "a", map[string]any{"Ref": "AWS::NoValue"}}}},
		{`!Equals [a, b]`, map[string]any{"Fn::Equals": []any{"a", "b"}}},
		{`!And [!Condition A, !Condition B]`, map[string]any{"Fn::And": []any{map[string]any{"Condition": "A"}, map[string]any{"Condition": "B"}}}},
		{`!Or [!Condition A, !Condition B]`, map[string]any{"Fn::Or": []any{map[string]any{"Condition": "A"}, map[string]any{"Condition": "B"}}}},
		{`!Not [!Condition A]`, map[string]any{"Fn::Not": []any{map[string]any{"Condition": "A"}}}},
		{`!FindInMap [M, k, v]`, map[string]any{"Fn::FindInMap": []any{"M", "k", "v"}}},
		{`!ImportValue shared`, map[string]any{"Fn::ImportValue": "shared"}},
		{`!Base64 {"Fn::Sub": x}`, map[string]any{"Fn::Base64": map[string]any{"Fn::Sub": "x"}}},
		{`!Cidr ["10.0.0.0/16", 4, 8]`, map[string]any{"Fn::Cidr": []any{"10.0.0.0/16", float64(4), float64(8)}}},
		{`!Transform {Name: AWS::Include}`, map[string]any{"Fn::Transform": map[string]any{"Name": "AWS::Include"}}},
		{`!Length [a, b]`, map[string]any{"Fn::Length": []any{"a", "b"}}},
		{`!ToJsonString {a: 1}`, map[string]any{"Fn::ToJsonString": map[string]any{"a": float64(1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			tpl := mustParse(t, "Resources:\n  R:\n    Type: T\n    Properties:\n      P: "+tt.yaml+"\n")
			got := tpl.Resources["R"].Properties["P"]
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestScalars(t *testing.T) {
	tpl := mustParse(t, `
AWSTemplateFormatVersion: 2010-09-09
Resources:
  R:
    Type: T
    Properties:
      Int: 5
      Hex: 0x10
      Float: 1.5
      Bool: true
      Yes: yes
      Null: ~
      Date: 2012-10-17
      Quoted: "007"
      Inf: .inf
      Account: 123456789012
      2012-10-17: key
`)
	if tpl.Version != "2010-09-09" {
		t.Errorf("Version = %q", tpl.Version)
	}
	want := map[string]any{
		"Int": float64(5), "Hex": float64(16), "Float": 1.5, "Bool": true, "Yes": "yes", "Null": nil,
		"Date": "2012-10-17", "Quoted": "007", "Inf": ".inf", "Account": float64(123456789012), "2012-10-17": "key",
	}
	if got := tpl.Resources["R"].Properties; !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

const yamlApp = `
AWSTemplateFormatVersion: "2010-09-09"
Description: app
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      TableName: !Sub "${AWS::StackName}-table"
  Fn:
    Type: AWS::Lambda::Function
    DependsOn: Table
    Properties:
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          TABLE: !Ref Table
          MODE: !If [IsProd, fast, !Ref AWS::NoValue]
  Role:
    Type: AWS::IAM::Role
Outputs:
  Arn:
    Value: !GetAtt Fn.Arn
    Export:
      Name: !Sub "${AWS::StackName}-arn"
`

const jsonApp = `{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Description": "app",
  "Transform": ["AWS::Serverless-2016-10-31"],
  "Parameters": {"Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]}},
  "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
  "Resources": {
    "Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain",
      "Properties": {"TableName": {"Fn::Sub": "${AWS::StackName}-table"}}},
    "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": "Table",
      "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Environment": {"Variables": {"TABLE": {"Ref": "Table"},
          "MODE": {"Fn::If": ["IsProd", "fast", {"Ref": "AWS::NoValue"}]}}}}},
    "Role": {"Type": "AWS::IAM::Role"}
  },
  "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]},
    "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-arn"}}}}
}`

func TestYAMLAndJSONAgree(t *testing.T) {
	y, j := mustParse(t, yamlApp), mustParse(t, jsonApp)
	// Transform is written as a string in one and a list in the other.
	delete(y.Doc, "Transform")
	delete(j.Doc, "Transform")
	if !reflect.DeepEqual(y.Doc, j.Doc) {
		t.Errorf("documents differ\nyaml %#v\njson %#v", y.Doc, j.Doc)
	}
	if !reflect.DeepEqual(y.Transforms, j.Transforms) || y.Transforms[0] != "AWS::Serverless-2016-10-31" {
		t.Errorf("transforms %v vs %v", y.Transforms, j.Transforms)
	}
	r := y.Resources["Fn"]
	if !reflect.DeepEqual(r.DependsOn, []string{"Table"}) || r.Type != "AWS::Lambda::Function" {
		t.Errorf("Fn = %+v", r)
	}
	if y.Resources["Table"].DeletionPolicy != "Retain" {
		t.Errorf("DeletionPolicy = %q", y.Resources["Table"].DeletionPolicy)
	}
	p := y.Parameters["Stage"]
	if p.Default == nil || *p.Default != "dev" || !reflect.DeepEqual(p.AllowedValues, []string{"dev", "prod"}) {
		t.Errorf("Stage = %+v", p)
	}
	o := y.Outputs["Arn"]
	if !reflect.DeepEqual(o.ExportName, map[string]any{"Fn::Sub": "${AWS::StackName}-arn"}) {
		t.Errorf("ExportName = %#v", o.ExportName)
	}
	if err := y.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"yaml syntax", "Resources:\n  R: a\n   b: c\n", "Template format error: YAML not well-formed. (line 3)"},
		{"json syntax", "{\n  \"Resources\": {,}\n}", "Template format error: JSON not well-formed. (line 2, column 17)"},
		{"json trailing", `{"Resources": {}} x`, "Template format error: JSON not well-formed. (line 1, column 19)"},
		{"json trailing object", `{"Resources": {}} {}`, "Template format error: JSON not well-formed. (line 1, column 19)"},
		{"scalar", "hello", "Template format error: unsupported structure."},
		{"list", "- a\n- b\n", "Template format error: unsupported structure."},
		{"empty", "", "Template format error: unsupported structure."},
		{"unknown tag", "Resources:\n  R: !Nope x\n", "Template format error: YAML not well-formed. (line 2, column 6)"},
		{"resource not object", "Resources:\n  R: x\n", "Template format error: [/Resources/R] resource definition is malformed"},
		{"type not string", "Resources:\n  R:\n    Type: [a]\n", "Template format error: [/Resources/R] Every Type member must be a string."},
		{"resources not object", "Resources: [a]\n", "Template format error: Every Resources member must be an object."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body))
			wantValidation(t, err, tt.msg)
		})
	}
}

func TestParseDetails(t *testing.T) {
	t.Run("duplicate keys keep the last", func(t *testing.T) {
		tpl := mustParse(t, "Resources:\n  R:\n    Type: A\n    Type: B\n")
		if tpl.Resources["R"].Type != "B" {
			t.Errorf("Type = %q", tpl.Resources["R"].Type)
		}
		tpl = mustParse(t, `{"Resources": {"R": {"Type": "A", "Type": "B"}}}`)
		if tpl.Resources["R"].Type != "B" {
			t.Errorf("JSON Type = %q", tpl.Resources["R"].Type)
		}
	})
	t.Run("list default is comma-joined", func(t *testing.T) {
		tpl := mustParse(t, "Parameters:\n  L:\n    Type: CommaDelimitedList\n    Default: [a, b]\n    MinLength: 2\n    MaxValue: 3\nResources:\n  R: {Type: T}\n")
		p := tpl.Parameters["L"]
		if *p.Default != "a,b" || *p.MinLength != 2 || *p.MaxValue != 3 {
			t.Errorf("L = %+v", p)
		}
	})
	t.Run("anchors and merge keys", func(t *testing.T) {
		tpl := mustParse(t, "Base: &b {X: 1, Y: 2}\nResources:\n  R:\n    Type: T\n    Properties:\n      <<: *b\n      Y: 3\n")
		want := map[string]any{"X": float64(1), "Y": float64(3)}
		if got := tpl.Resources["R"].Properties; !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v", got)
		}
	})
	t.Run("alias bomb", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
		prev := "a"
		for i := 0; i < 9; i++ {
			name := string(rune('b' + i))
			b.WriteString(name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n")
			prev = name
		}
		if _, err := Parse([]byte(b.String())); err == nil {
			t.Fatal("an alias bomb parsed")
		}
	})
	t.Run("bom", func(t *testing.T) {
		mustParse(t, "\xef\xbb\xbf{\"Resources\": {\"R\": {\"Type\": \"T\"}}}")
	})
}
