package codedeploy

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

func TestShifts(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		name string
		cfg  trafficRoutingConfig
		want []shift
	}{
		{"all at once", trafficRoutingConfig{Type: routingAllAtOnce}, []shift{{100, 0}}},
		{"canary 10% 5 min", predefined["CodeDeployDefault.LambdaCanary10Percent5Minutes"].Routing, []shift{{10, 5 * m}, {100, 0}}},
		{"canary 10% 30 min", predefined["CodeDeployDefault.LambdaCanary10Percent30Minutes"].Routing, []shift{{10, 30 * m}, {100, 0}}},
		{"linear 10% every minute", predefined["CodeDeployDefault.LambdaLinear10PercentEvery1Minute"].Routing,
			[]shift{{10, m}, {20, m}, {30, m}, {40, m}, {50, m}, {60, m}, {70, m}, {80, m}, {90, m}, {100, 0}}},
		{"linear 30% every 2 min", linear(30, 2), []shift{{30, 2 * m}, {60, 2 * m}, {90, 2 * m}, {100, 0}}},
		{"linear 50%", linear(50, 3), []shift{{50, 3 * m}, {100, 0}}},
		{"canary without its numbers", trafficRoutingConfig{Type: routingCanary}, []shift{{100, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := shifts(tc.cfg); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("shifts = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPredefinedNames(t *testing.T) {
	for _, n := range []string{"CodeDeployDefault.LambdaAllAtOnce",
		"CodeDeployDefault.LambdaCanary10Percent5Minutes", "CodeDeployDefault.LambdaCanary10Percent10Minutes",
		"CodeDeployDefault.LambdaCanary10Percent15Minutes", "CodeDeployDefault.LambdaCanary10Percent30Minutes",
		"CodeDeployDefault.LambdaLinear10PercentEvery1Minute", "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
		"CodeDeployDefault.LambdaLinear10PercentEvery3Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"} {
		if predefined[n] == nil {
			t.Errorf("%s is not predefined", n)
		}
	}
	if len(predefined) != 9 {
		t.Errorf("%d predefined configurations, want 9", len(predefined))
	}
}

func TestParseAppSpec(t *testing.T) {
	want := appSpec{Function: "fn", Alias: "live", CurrentVersion: "1", TargetVersion: "2", BeforeHook: "pre", AfterHook: "post"}
	for _, tc := range []struct{ name, text string }{
		{"yaml with bare versions", "version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: fn\n        Alias: live\n        CurrentVersion: 1\n        TargetVersion: 2\nHooks:\n  - BeforeAllowTraffic: pre\n  - AfterAllowTraffic: post\n"},
		{"json", `{"version":0.0,"Resources":[{"fn":{"Type":"AWS::Lambda::Function","Properties":{"Name":"fn","Alias":"live","CurrentVersion":"1","TargetVersion":"2"}}}],"Hooks":[{"BeforeAllowTraffic":"pre"},{"AfterAllowTraffic":"post"}]}`},
		{"lower-case keys", `{"version":0.0,"resources":[{"fn":{"type":"AWS::Lambda::Function","properties":{"name":"fn","alias":"live","currentversion":1,"targetversion":2}}}],"hooks":[{"beforeAllowTraffic":"pre","afterAllowTraffic":"post"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAppSpec(tc.text)
			if err != nil || got != want {
				t.Errorf("parseAppSpec = %+v, %v; want %+v", got, err, want)
			}
		})
	}
	for _, tc := range []struct{ name, text string }{
		{"not yaml", "Resources: ["},
		{"no resources", "version: 0.0\n"},
		{"two resources", `{"Resources":[{"a":{}},{"b":{}}]}`},
		{"ecs resource", `{"Resources":[{"a":{"Type":"AWS::ECS::Service","Properties":{}}}]}`},
		{"no alias", `{"Resources":[{"a":{"Type":"AWS::Lambda::Function","Properties":{"Name":"fn","CurrentVersion":1,"TargetVersion":2}}}]}`},
		{"same versions", `{"Resources":[{"a":{"Type":"AWS::Lambda::Function","Properties":{"Name":"fn","Alias":"l","CurrentVersion":1,"TargetVersion":1}}}]}`},
		{"server hook", `{"Resources":[{"a":{"Type":"AWS::Lambda::Function","Properties":{"Name":"fn","Alias":"l","CurrentVersion":1,"TargetVersion":2}}}],"Hooks":[{"ApplicationStart":"x"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAppSpec(tc.text)
			if !errors.Is(err, &awsproto.Error{Code: "InvalidRevisionException"}) {
				t.Errorf("parseAppSpec(%q) = %v, want InvalidRevisionException", tc.text, err)
			}
		})
	}
}

// FuzzParseAppSpec checks that no AppSpec content panics the parser, and
// that whatever it accepts names a whole alias move.
func FuzzParseAppSpec(f *testing.F) {
	f.Add("version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties: {Name: fn, Alias: live, CurrentVersion: 1, TargetVersion: 2}\nHooks:\n  - BeforeAllowTraffic: pre\n")
	f.Add(`{"Resources":[{"a":{"Type":"AWS::Lambda::Function","Properties":{"Name":"fn","Alias":"l","CurrentVersion":1,"TargetVersion":2}}}]}`)
	f.Add("Resources: [")
	f.Fuzz(func(t *testing.T, text string) {
		spec, err := parseAppSpec(text)
		if err != nil {
			return
		}
		if spec.Function == "" || spec.Alias == "" || spec.CurrentVersion == "" || spec.TargetVersion == "" || spec.CurrentVersion == spec.TargetVersion {
			t.Errorf("accepted an incomplete AppSpec: %+v", spec)
		}
	})
}
