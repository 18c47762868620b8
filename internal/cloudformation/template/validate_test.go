package template

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidateErrors(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"unknown section", "Foo: 1\nBar: 2\nResources:\n  R: {Type: T}\n",
			"Template format error: Invalid template property or properties [Bar, Foo]"},
		{"no resources", "Description: x\n", "Template format error: At least one Resources member must be defined."},
		{"missing type", "Resources:\n  R:\n    Properties: {}\n",
			"Template format error: [/Resources/R] Every Resources object must contain a Type member."},
		{"unknown resource attribute", "Resources:\n  R:\n    Type: T\n    Propertys: {}\n",
			"Invalid template resource property 'Propertys'"},
		{"unresolved ref", "Resources:\n  R:\n    Type: T\n    Properties:\n      A: !Ref Nope\n      B: !Sub '${Gone} ${AWS::Region}'\n",
			"Template format error: Unresolved resource dependencies [Gone, Nope] in the Resources block of the template"},
		{"unresolved sub attr", "Resources:\n  R:\n    Type: T\n    Properties:\n      A: !Sub '${Nope.Arn}'\n",
			"Template format error: Unresolved resource dependencies [Nope.Arn] in the Resources block of the template"},
		{"unresolved depends on", "Resources:\n  R:\n    Type: T\n    DependsOn: [Nope]\n",
			"Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"},
		{"getatt undefined", "Resources:\n  R:\n    Type: T\n    Properties:\n      A: !GetAtt Nope.Arn\n",
			"Template error: instance of Fn::GetAtt references undefined resource Nope"},
		{"outputs unresolved", "Resources:\n  R: {Type: T}\nOutputs:\n  O:\n    Value: !Ref Nope\n",
			"Template format error: Unresolved resource dependencies [Nope] in the Outputs block of the template"},
		{"output without value", "Resources:\n  R: {Type: T}\nOutputs:\n  O:\n    Description: d\n",
			"Template format error: Every Outputs member must contain a Value object"},
		{"resource condition undefined", "Resources:\n  R:\n    Type: T\n    Condition: Nope\n",
			"Template format error: Condition Nope is not defined."},
		{"if condition undefined", "Resources:\n  R:\n    Type: T\n    Properties:\n      A: !If [Nope, a, b]\n",
			"Template error: unresolved condition dependency Nope in Fn::If"},
		{"condition references resource", "Conditions:\n  C: !Equals [!Ref R, x]\nResources:\n  R: {Type: T}\n",
			"Template format error: Unresolved dependencies [R]. Cannot reference resources in the Conditions block of the template"},
		{"condition references undefined condition", "Conditions:\n  C: !Not [!Condition D]\nResources:\n  R: {Type: T}\n",
			"Template format error: Condition D is not defined."},
		{"cycle", "Resources:\n  B:\n    Type: T\n    Properties: {X: !Ref A}\n  A:\n    Type: T\n    Properties: {X: !GetAtt C.Arn}\n  C:\n    Type: T\n    DependsOn: B\n  D:\n    Type: T\n    DependsOn: A\n",
			"Circular dependency between resources: [A, B, C]"},
		{"self reference", "Resources:\n  A:\n    Type: T\n    Properties: {X: !Sub '${A.Arn}'}\n",
			"Circular dependency between resources: [A]"},
		{"parameter without type", "Parameters:\n  P: {Default: x}\nResources:\n  R: {Type: T}\n",
			"Template format error: Every Parameters object must contain a Type member."},
		{"unknown parameter type", "Parameters:\n  P: {Type: Strin}\nResources:\n  R: {Type: T}\n",
			"Template format error: Unrecognized parameter type: Strin"},
		{"unknown parameter attribute", "Parameters:\n  P: {Type: String, Defualt: x}\nResources:\n  R: {Type: T}\n",
			"Template format error: Invalid template parameter property 'Defualt'"},
		{"default violates constraint", "Parameters:\n  P: {Type: String, Default: ab, MinLength: 3}\nResources:\n  R: {Type: T}\n",
			"Parameter 'P' must contain at least 3 characters"},
		{"null property", "Resources:\n  R:\n    Type: T\n    Properties:\n      A: {B: [1, null]}\n",
			"Template format error: [/Resources/R/Properties/A/B/1] 'null' values are not allowed in templates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantValidation(t, mustParse(t, tt.body).Validate(), tt.msg)
		})
	}
}

func TestValidateLimits(t *testing.T) {
	build := func(resources, params, outputs int) string {
		var b strings.Builder
		b.WriteString("Parameters:\n")
		for i := 0; i < params; i++ {
			fmt.Fprintf(&b, "  P%d: {Type: String}\n", i)
		}
		b.WriteString("Resources:\n")
		for i := 0; i < resources; i++ {
			fmt.Fprintf(&b, "  R%d: {Type: T}\n", i)
		}
		b.WriteString("Outputs:\n")
		for i := 0; i < outputs; i++ {
			fmt.Fprintf(&b, "  O%d: {Value: x}\n", i)
		}
		return b.String()
	}
	if err := mustParse(t, build(500, 200, 200)).Validate(); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	wantValidation(t, mustParse(t, build(501, 1, 1)).Validate(),
		"Template format error: Number of resources, 501, is greater than maximum allowed, 500")
	wantValidation(t, mustParse(t, build(1, 201, 1)).Validate(),
		"Template format error: Parameter count 201 is greater than max allowed 200")
	wantValidation(t, mustParse(t, build(1, 1, 201)).Validate(),
		"Template format error: Outputs count 201 is greater than max allowed 200")
}

func TestValidateAccepts(t *testing.T) {
	tests := map[string]string{
		"pseudo parameters and sub literals": "Resources:\n  R:\n    Type: T\n    Properties:\n      A: !Sub '${AWS::Region} ${AWS::AccountId} ${!Literal} ${AWS::URLSuffix}'\n      B: !Ref AWS::NoValue\n",
		"sub local variables":                "Resources:\n  R:\n    Type: T\n    Properties:\n      A: !Sub ['${X}-${Y.Z}', {X: a, Y: b}]\n",
		"iam condition key is data":          "Resources:\n  R:\n    Type: T\n    Properties:\n      Policy: {Condition: {StringEquals: {a: b}}}\n      C: {Condition: NotACondition}\n",
		"aws-specific parameter types":       "Parameters:\n  V: {Type: 'AWS::EC2::VPC::Id'}\n  S: {Type: 'List<AWS::EC2::Subnet::Id>'}\n  M: {Type: 'AWS::SSM::Parameter::Value<String>'}\nResources:\n  R: {Type: T}\n",
		"getatt attribute from ref":          "Parameters:\n  A: {Type: String}\nResources:\n  R: {Type: T}\n  S:\n    Type: T\n    Properties: {X: !GetAtt [R, !Ref A]}\n",
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			if err := mustParse(t, body).Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}
