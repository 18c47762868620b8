package template

import "testing"

// FuzzParse feeds arbitrary bodies through everything a stack operation runs
// before any resource exists; none of it may panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		yamlApp, jsonApp, appTemplate, evalTemplate, paramsTemplate,
		"Resources:\n  A: {Type: T, DependsOn: A}\n",
		"Resources:\n  A: {Type: T, Properties: {X: !Sub '${A.Arn} ${!x} ${'}}\n",
		"Conditions:\n  A: !Condition A\nResources:\n  R: {Type: T, Condition: A}\n",
		"Resources:\n  R: {Type: T, Properties: {X: !Cidr ['::/0', 256, 128]}}\n",
		"a: &a [*a]\n",
		`{"Resources": {"R": {"Type": "T", "Properties": {"X": {"Fn::If": ["C", {"Ref": "R"}, 1]}}}}}`,
		"- !GetAtt\n- !Ref [a]\n",
		"Resources: !Ref x\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tpl, err := Parse(body)
		if err != nil {
			return
		}
		_ = tpl.Validate()
		s, err := tpl.Bind(nil, Pseudo{Region: "us-east-1"})
		if err != nil {
			return
		}
		if _, err := s.Order(); err != nil {
			return
		}
		for name, r := range tpl.Resources {
			_ = s.Deps(name)
			_, _ = s.Eval(r.Properties, fakeResolver{})
		}
		_, _ = s.Outputs(fakeResolver{})
	})
}
