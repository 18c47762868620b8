package template

import (
	"reflect"
	"testing"
)

const paramsTemplate = `
Parameters:
  Name: {Type: String, MinLength: 2, MaxLength: 5, AllowedPattern: "[a-z]+"}
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Size: {Type: Number, Default: 3, MinValue: 1, MaxValue: 10}
  Tidy: {Type: String, Default: ok, AllowedPattern: "[a-z]+", ConstraintDescription: lower-case letters only}
  Zones: {Type: CommaDelimitedList, Default: "a, b,c"}
  Ports: {Type: List<Number>, Default: "80,443"}
  Subnets: {Type: List<AWS::EC2::Subnet::Id>, Default: "subnet-1,subnet-2"}
  Vpc: {Type: AWS::EC2::VPC::Id, Default: vpc-1}
Resources:
  R: {Type: T}
`

func TestBindValues(t *testing.T) {
	tpl := mustParse(t, paramsTemplate)
	s, err := tpl.Bind(map[string]string{"Name": "abc", "Env": "prod"}, Pseudo{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Name": "abc", "Env": "prod", "Size": "3", "Tidy": "ok",
		"Zones": []string{"a", "b", "c"}, "Ports": []string{"80", "443"},
		"Subnets": []string{"subnet-1", "subnet-2"}, "Vpc": "vpc-1",
	}
	if !reflect.DeepEqual(s.Params, want) {
		t.Errorf("Params = %#v", s.Params)
	}
	if s.Pseudo.Partition != "aws" || s.Pseudo.URLSuffix != "amazonaws.com" || s.Pseudo.Region != "eu-west-1" {
		t.Errorf("Pseudo = %+v", s.Pseudo)
	}
}

func TestBindErrors(t *testing.T) {
	tpl := mustParse(t, paramsTemplate)
	tests := []struct {
		name   string
		values map[string]string
		msg    string
	}{
		{"missing", map[string]string{}, "Parameters: [Name] must have values"},
		{"unknown", map[string]string{"Name": "abc", "Nope": "x", "Also": "y"}, "Parameters: [Also, Nope] do not exist in the template"},
		{"allowed values", map[string]string{"Name": "abc", "Env": "qa"}, "Parameter 'Env' must be one of AllowedValues"},
		{"pattern", map[string]string{"Name": "ab1"}, "Parameter 'Name' must match pattern [a-z]+"},
		{"min length", map[string]string{"Name": "a"}, "Parameter 'Name' must contain at least 2 characters"},
		{"max length", map[string]string{"Name": "abcdef"}, "Parameter 'Name' must contain at most 5 characters"},
		{"not a number", map[string]string{"Name": "abc", "Size": "x"}, "Parameter 'Size' must be a number"},
		{"min value", map[string]string{"Name": "abc", "Size": "0"}, "Parameter 'Size' must be a number not less than 1"},
		{"max value", map[string]string{"Name": "abc", "Size": "11"}, "Parameter 'Size' must be a number not greater than 10"},
		{"list of numbers", map[string]string{"Name": "abc", "Ports": "80,http"}, "Parameter 'Ports' must be a number"},
		{"constraint description", map[string]string{"Name": "abc", "Tidy": "UP"}, "Parameter 'Tidy' failed to satisfy constraint: lower-case letters only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tpl.Bind(tt.values, Pseudo{})
			wantValidation(t, err, tt.msg)
		})
	}
	t.Run("ssm", func(t *testing.T) {
		tpl := mustParse(t, "Parameters:\n  Ami: {Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: /aws/ami}\nResources:\n  R: {Type: T}\n")
		_, err := tpl.Bind(nil, Pseudo{})
		wantValidation(t, err, "Unable to fetch parameters [/aws/ami] from parameter store for this account.")
	})
}

func TestConditions(t *testing.T) {
	tpl := mustParse(t, `
Parameters:
  Env: {Type: String, Default: prod}
  Count: {Type: Number, Default: 3}
Mappings:
  M: {prod: {big: "yes"}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Three: !Equals [!Ref Count, 3]
  Both: !And [!Condition IsProd, !Condition Three]
  Either: !Or [!Condition IsDev, !Equals [!Ref "AWS::Region", us-east-1]]
  Big: !Equals [!FindInMap [M, !Ref Env, big], "yes"]
  Raw: {"Fn::Equals": [{"Ref": "AWS::Partition"}, aws]}
Resources:
  R: {Type: T}
`)
	s, err := tpl.Bind(nil, Pseudo{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"IsProd": true, "IsDev": false, "Three": true, "Both": true, "Either": true, "Big": true, "Raw": true}
	if !reflect.DeepEqual(s.Conditions, want) {
		t.Errorf("Conditions = %v", s.Conditions)
	}
	s, err = tpl.Bind(map[string]string{"Env": "dev"}, Pseudo{Region: "eu-west-1"})
	if err == nil {
		t.Fatalf("FindInMap of a missing key bound: %v", s.Conditions)
	}
	wantValidation(t, err, "Template error: Unable to get mapping for M::dev::big")

	bad := []struct{ cond, msg string }{
		{"!And [!Condition A]", "Template error: every Fn::And object requires a list of at least 2 and at most 10 boolean parameters."},
		{"!Equals [a]", "Template error: every Fn::Equals object requires a list of 2 string parameters."},
		{"!Not [a, b]", "Template error: every Fn::Not object requires a list of 1 boolean parameter."},
	}
	for _, b := range bad {
		tpl := mustParse(t, "Conditions:\n  A: !Equals [a, a]\n  X: "+b.cond+"\nResources:\n  R: {Type: T}\n")
		_, err := tpl.Bind(nil, Pseudo{})
		wantValidation(t, err, b.msg)
	}
}
