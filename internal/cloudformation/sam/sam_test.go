package sam

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
)

func fnDoc(props map[string]any, extra map[string]any) map[string]any {
	res := map[string]any{"Function": map[string]any{"Type": "AWS::Serverless::Function", "Properties": props}}
	for k, v := range extra {
		res[k] = v
	}
	return map[string]any{"Transform": TransformName, "Resources": res}
}

func basicProps() map[string]any {
	return map[string]any{"CodeUri": "s3://bucket/key.zip", "Handler": "index.handler", "Runtime": "python3.12"}
}

func with(m map[string]any, k string, v any) map[string]any {
	m[k] = v
	return m
}

func TestTransformErrors(t *testing.T) {
	const prefix = "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification document. "
	apiEvent := func(path string) map[string]any {
		return map[string]any{"Type": "Api", "Properties": map[string]any{"Path": path, "Method": "post"}}
	}
	tests := []struct {
		name string
		doc  map[string]any
		want string
	}{
		{"no resources", map[string]any{"Transform": TransformName},
			"Number of errors found: 1. Structure of the SAM template is invalid. 'Resources' section is required"},
		{"local CodeUri", fnDoc(with(basicProps(), "CodeUri", "./src"), nil),
			"Number of errors found: 1. Resource with id [Function] is invalid. 'CodeUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter."},
		{"no code", fnDoc(map[string]any{"Handler": "h", "Runtime": "python3.12"}, nil),
			"Number of errors found: 1. Resource with id [Function] is invalid. Only one of 'InlineCode' or 'CodeUri' can be set."},
		{"S3 bucket outside the template", fnDoc(with(basicProps(), "Events", map[string]any{"ImageBucket": map[string]any{
			"Type": "S3", "Properties": map[string]any{"Bucket": "somebucket", "Events": "s3:ObjectCreated:*"}}}), nil),
			"Number of errors found: 1. Resource with id [Function] is invalid. Event with id [ImageBucket] is invalid. S3 events must reference an S3 bucket in the same template."},
		{"duplicate API method", fnDoc(with(basicProps(), "Events", map[string]any{"A": apiEvent("/add"), "B": apiEvent("/add")}), nil),
			`Number of errors found: 1. Resource with id [Function] is invalid. Event with id [B] is invalid. API method "post" defined multiple times for path "/add".`},
		{"Globals type", with(fnDoc(basicProps(), nil), "Globals", map[string]any{"NewType": map[string]any{}}),
			"Number of errors found: 1. 'Globals' section is invalid. 'NewType' is not supported. Must be one of the following values - ['Api', 'CapacityProvider', 'Function', 'HttpApi', 'LayerVersion', 'SimpleTable', 'StateMachine', 'WebSocketApi']"},
		{"Globals property", with(fnDoc(basicProps(), nil), "Globals", map[string]any{"SimpleTable": map[string]any{"SomeKey": 1}}),
			"Number of errors found: 1. 'Globals' section is invalid. 'SomeKey' is not a supported property of 'SimpleTable'. Must be one of the following values - ['SSESpecification']"},
		{"reserved tag", fnDoc(with(basicProps(), "Tags", map[string]any{"lambda:createdBy": "me"}), nil),
			"Number of errors found: 1. Resource with id [Function] is invalid. lambda:createdBy is a reserved Tag key name and cannot be set on your function. Please change the tag key in the input."},
		{"deployment preference without alias", fnDoc(with(basicProps(), "DeploymentPreference", map[string]any{"Type": "AllAtOnce"}), nil),
			"Number of errors found: 1. Resource with id [Function] is invalid. 'DeploymentPreference' requires AutoPublishAlias property to be specified."},
		{"every invalid resource is reported", fnDoc(with(basicProps(), "CodeUri", "src/"), map[string]any{
			"Table": map[string]any{"Type": "AWS::Serverless::SimpleTable", "Properties": map[string]any{"PrimaryKey": map[string]any{"Name": "id", "Type": "Bool"}}}}),
			`Number of errors found: 2. Resource with id [Function] is invalid. 'CodeUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter. Resource with id [Table] is invalid. Invalid 'Type' "Bool".`},
		{"missing policy template parameter", fnDoc(with(basicProps(), "Policies", []any{map[string]any{"DynamoDBCrudPolicy": map[string]any{}}}), nil),
			"Number of errors found: 1. Resource with id [Function] is invalid. Error: Missing parameters to policy template 'DynamoDBCrudPolicy'. Parameter values are missing for following parameters: TableName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Transform(tt.doc, Options{})
			var ae *awsproto.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *awsproto.Error", err)
			}
			if ae.Code != "ValidationError" || ae.Status != 400 {
				t.Errorf("code %q status %d, want ValidationError 400", ae.Code, ae.Status)
			}
			if ae.Message != prefix+tt.want {
				t.Errorf("message\n got %s\nwant %s", ae.Message, prefix+tt.want)
			}
		})
	}
}

func resources(t *testing.T, doc map[string]any, o Options) map[string]any {
	t.Helper()
	out, err := Transform(doc, o)
	if err != nil {
		t.Fatal(err)
	}
	return out["Resources"].(map[string]any)
}

func props(t *testing.T, res map[string]any, id string) map[string]any {
	t.Helper()
	r, ok := res[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s; have %v", id, sortedKeys(res))
	}
	p, _ := r["Properties"].(map[string]any)
	return p
}

func TestTransformDoesNotModifyInput(t *testing.T) {
	doc := fnDoc(with(basicProps(), "Events", map[string]any{"Q": map[string]any{"Type": "SQS", "Properties": map[string]any{"Queue": "arn:q"}}}), nil)
	before := canonicalJSON(doc)
	if _, err := Transform(doc, Options{}); err != nil {
		t.Fatal(err)
	}
	if canonicalJSON(doc) != before {
		t.Error("Transform changed its input")
	}
}

func TestAliasReferences(t *testing.T) {
	doc := fnDoc(with(basicProps(), "AutoPublishAlias", map[string]any{"Ref": "AliasName"}), map[string]any{
		"Topic": map[string]any{"Type": "AWS::SNS::Topic", "Properties": map[string]any{
			"DisplayName": map[string]any{"Fn::Sub": "${Function.Alias} ${Function.Version.Version} ${Other}"},
			"Alias":       map[string]any{"Ref": "Function.Alias"},
		}},
	})
	doc["Parameters"] = map[string]any{"AliasName": map[string]any{"Type": "String", "Default": "dflt"}}
	doc["Outputs"] = map[string]any{"A": map[string]any{"Value": map[string]any{"Ref": "Function.Version"}}}
	doc["Resources"].(map[string]any)["Function"].(map[string]any)["Properties"].(map[string]any)["Events"] = map[string]any{
		"Q": map[string]any{"Type": "SQS", "Properties": map[string]any{"Queue": "arn:q"}},
	}

	out, err := Transform(doc, Options{Params: map[string]any{"AliasName": "live"}})
	if err != nil {
		t.Fatal(err)
	}
	res := out["Resources"].(map[string]any)
	// The version id hashes the code as Python's json.dumps(sort_keys=True) renders it.
	version := logicalID("FunctionVersion", `{"S3Bucket":"bucket","S3Key":"key.zip"}`)
	if props(t, res, "FunctionAliaslive")["FunctionVersion"] == nil || res[version] == nil {
		t.Fatalf("want FunctionAliaslive and %s, have %v", version, sortedKeys(res))
	}
	topic := props(t, res, "Topic")
	if got, want := topic["Alias"], ref("FunctionAliaslive"); !reflect.DeepEqual(got, want) {
		t.Errorf("Ref Function.Alias = %v, want %v", got, want)
	}
	wantSub := "${FunctionAliaslive} ${" + version + ".Version} ${Other}"
	if got := topic["DisplayName"].(map[string]any)["Fn::Sub"]; got != wantSub {
		t.Errorf("Sub = %v, want %v", got, wantSub)
	}
	if got := out["Outputs"].(map[string]any)["A"].(map[string]any)["Value"]; !reflect.DeepEqual(got, ref(version)) {
		t.Errorf("output = %v, want Ref %s", got, version)
	}
	if got := props(t, res, "FunctionQ")["FunctionName"]; !reflect.DeepEqual(got, ref("FunctionAliaslive")) {
		t.Errorf("event source FunctionName = %v, want the alias", got)
	}
}

// TestLayerLogicalIDs checks ids AWS's SAM translator published for
// tests/translator/input/layers_with_intrinsics.yaml (its stored output pairs with another
// input version, so the pair itself is not in testdata).
func TestLayerLogicalIDs(t *testing.T) {
	doc := map[string]any{
		"Parameters": map[string]any{
			"LayerNameParam":   map[string]any{"Type": "String", "Default": "SomeLayerName"},
			"LayerLicenseInfo": map[string]any{"Type": "String", "Default": "MIT-0 License"},
			"LayerRuntimeList": map[string]any{"Type": "CommaDelimitedList"},
		},
		"Resources": map[string]any{
			"LayerWithLicenseIntrinsic": map[string]any{"Type": "AWS::Serverless::LayerVersion", "Properties": map[string]any{
				"ContentUri": "s3://sam-demo-bucket/layer.zip", "LicenseInfo": map[string]any{"Ref": "LayerLicenseInfo"}}},
			"LayerWithRuntimesIntrinsic": map[string]any{"Type": "AWS::Serverless::LayerVersion", "Properties": map[string]any{
				"ContentUri": "s3://sam-demo-bucket/layer.zip", "CompatibleRuntimes": map[string]any{"Ref": "LayerRuntimeList"}}},
			"LayerWithNameIntrinsic": map[string]any{"Type": "AWS::Serverless::LayerVersion", "Properties": map[string]any{
				"ContentUri": "s3://sam-demo-bucket/layer.zip", "LayerName": map[string]any{"Ref": "LayerNameParam"}}},
			"Function": map[string]any{"Type": "AWS::Serverless::Function", "Properties": with(basicProps(), "Layers",
				[]any{map[string]any{"Ref": "LayerWithNameIntrinsic"}})},
		},
	}
	res := resources(t, doc, Options{})
	want := map[string]map[string]any{
		"LayerWithLicenseIntrinsic965c8d0c9b": {"LayerName": "LayerWithLicenseIntrinsic", "LicenseInfo": "MIT-0 License"},
		"LayerWithNameIntrinsiccf8baed8b9":    {"LayerName": "SomeLayerName"},
		"LayerWithRuntimesIntrinsic1a006faa85": {"LayerName": "LayerWithRuntimesIntrinsic",
			"CompatibleRuntimes": map[string]any{"Ref": "LayerRuntimeList"}},
	}
	for id, w := range want {
		r, _ := res[id].(map[string]any)
		if r == nil {
			t.Errorf("missing %s; have %v", id, sortedKeys(res))
			continue
		}
		if r["DeletionPolicy"] != "Retain" {
			t.Errorf("%s DeletionPolicy = %v, want Retain", id, r["DeletionPolicy"])
		}
		p := r["Properties"].(map[string]any)
		for k, v := range w {
			if !reflect.DeepEqual(p[k], v) {
				t.Errorf("%s.%s = %v, want %v", id, k, p[k], v)
			}
		}
	}
	if got := props(t, res, "Function")["Layers"]; !reflect.DeepEqual(got, []any{ref("LayerWithNameIntrinsiccf8baed8b9")}) {
		t.Errorf("function Layers = %v, want the renamed layer", got)
	}
}

func TestFunctionURLAndScheduleV2(t *testing.T) {
	p := with(basicProps(), "FunctionUrlConfig", map[string]any{"AuthType": "NONE", "InvokeMode": "BUFFERED"})
	p["Events"] = map[string]any{"Every": map[string]any{"Type": "ScheduleV2", "Properties": map[string]any{"ScheduleExpression": "rate(1 minute)"}}}
	res := resources(t, fnDoc(p, nil), Options{})

	if got := props(t, res, "FunctionUrl"); got["AuthType"] != "NONE" || !reflect.DeepEqual(got["TargetFunctionArn"], ref("Function")) {
		t.Errorf("FunctionUrl = %v", got)
	}
	perm := props(t, res, "FunctionUrlPublicPermissions")
	if perm["Action"] != "lambda:InvokeFunctionUrl" || perm["Principal"] != "*" || perm["FunctionUrlAuthType"] != "NONE" {
		t.Errorf("FunctionUrlPublicPermissions = %v", perm)
	}
	sched := props(t, res, "FunctionEvery")
	target := sched["Target"].(map[string]any)
	if !reflect.DeepEqual(target["RoleArn"], getAtt("FunctionEveryRole", "Arn")) || !reflect.DeepEqual(target["Arn"], getAtt("Function", "Arn")) {
		t.Errorf("schedule target = %v", target)
	}
	if sched["Name"] != "FunctionEvery" || !reflect.DeepEqual(sched["FlexibleTimeWindow"], map[string]any{"Mode": "OFF"}) {
		t.Errorf("schedule = %v", sched)
	}
	// The role's shape as SAM publishes it in tests/translator/output/function_with_event_schedule_state.json.
	wantRole := map[string]any{
		"AssumeRolePolicyDocument": assumeRole("scheduler.amazonaws.com"),
		"Policies": []any{map[string]any{
			"PolicyName": "FunctionEveryLambdaPolicy",
			"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
				"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": getAtt("Function", "Arn")}}},
		}},
	}
	if got := props(t, res, "FunctionEveryRole"); !reflect.DeepEqual(got, wantRole) {
		t.Errorf("scheduler role = %s\nwant %s", canonicalJSON(got), canonicalJSON(wantRole))
	}
}

func TestDisabledDeploymentPreferenceNeedsNoAlias(t *testing.T) {
	res := resources(t, fnDoc(with(basicProps(), "DeploymentPreference", map[string]any{"Enabled": false}), nil), Options{})
	if _, ok := res["ServerlessDeploymentApplication"]; ok {
		t.Error("disabled DeploymentPreference created a CodeDeploy application")
	}
}

func TestStageAndPermissionIDs(t *testing.T) {
	p := with(basicProps(), "Events", map[string]any{"Get": map[string]any{"Type": "Api", "Properties": map[string]any{
		"RestApiId": map[string]any{"Ref": "Api"}, "Path": "/items/{id}/", "Method": "get"}}})
	doc := fnDoc(p, map[string]any{"Api": map[string]any{"Type": "AWS::Serverless::Api", "Properties": map[string]any{"StageName": "v1-beta"}}})
	res := resources(t, doc, Options{})
	// A stage name that is not alphanumeric is hashed into both logical ids, as SAM does.
	stage, perm := logicalID("ApiStage", "v1-beta"), logicalID("FunctionGetPermission", "v1-beta")
	if props(t, res, stage)["StageName"] != "v1-beta" {
		t.Errorf("stage %s: %v", stage, res[stage])
	}
	arn := props(t, res, perm)["SourceArn"].(map[string]any)["Fn::Sub"].([]any)[0]
	if want := "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/GET/items/*"; arn != want {
		t.Errorf("SourceArn = %v, want %v", arn, want)
	}
	body := props(t, res, "Api")["Body"].(map[string]any)["paths"].(map[string]any)
	if _, ok := body["/items/{id}/"]; !ok {
		t.Errorf("generated paths = %v", sortedKeys(body))
	}
}

func TestParameterlessPolicyTemplate(t *testing.T) {
	p := with(basicProps(), "Policies", []any{map[string]any{"CloudWatchPutMetricPolicy": map[string]any{}}})
	got := props(t, resources(t, fnDoc(p, nil), Options{}), "FunctionRole")["Policies"]
	want := []any{map[string]any{"PolicyName": "FunctionRolePolicy0", "PolicyDocument": map[string]any{"Statement": []any{
		map[string]any{"Effect": "Allow", "Action": []any{"cloudwatch:PutMetricData"}, "Resource": "*"}}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s\nwant %s", canonicalJSON(got), canonicalJSON(want))
	}
}

func TestGlobalsMerge(t *testing.T) {
	doc := fnDoc(map[string]any{
		"CodeUri":     "s3://b/k",
		"Runtime":     "python3.12",
		"Environment": map[string]any{"Variables": map[string]any{"B": "local"}},
		"Layers":      []any{"arn:local"},
		"MemorySize":  map[string]any{"Ref": "Mem"},
	}, nil)
	doc["Globals"] = map[string]any{"Function": map[string]any{
		"Handler":     "global.handler",
		"Runtime":     "nodejs20.x",
		"Environment": map[string]any{"Variables": map[string]any{"A": "global", "B": "global"}},
		"Layers":      []any{"arn:global"},
		"MemorySize":  256,
	}}
	p := props(t, resources(t, doc, Options{}), "Function")
	want := map[string]any{
		"Handler":     "global.handler",
		"Runtime":     "python3.12",
		"Environment": map[string]any{"Variables": map[string]any{"A": "global", "B": "local"}},
		"Layers":      []any{"arn:global", "arn:local"},
		"MemorySize":  map[string]any{"Ref": "Mem"},
	}
	for k, v := range want {
		if !reflect.DeepEqual(p[k], v) {
			t.Errorf("%s = %v, want %v", k, p[k], v)
		}
	}
}

func TestCanonicalJSONMatchesPython(t *testing.T) {
	// Expected strings are Python's json.dumps(v, separators=(",", ":"), sort_keys=True).
	got := canonicalJSON(map[string]any{"b": []any{1, 2.5, true, nil}, "a": "é<&>\"\\\n", "c": float64(128)})
	want := `{"a":"\u00e9<&>\"\\\n","b":[1,2.5,true,null],"c":128}`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestPyRepr(t *testing.T) {
	// Expected strings are what SAM's Py27UniStr and Python 3's repr print.
	for _, tc := range []struct {
		in   any
		want string
	}{
		{uni("a'b"), `u"a'b"`},
		{uni(`a"b`), `u'a"b'`},
		{uni(`a\b`), `u'a\\b'`},
		{uni("tab\there"), `u'tab\there'`},
		{uni("é"), `u'\xe9'`},
		{uni(`it's "x"`), `u'it\'s "x"'`},
		{uni("☃"), `u'\u2603'`},
		{uni("😀"), `u'\U0001f600'`},
		{"é", `'é'`},
		{`a\b`, `'a\\b'`},
		{[]any{true, nil, 3}, `[True, None, 3]`},
	} {
		if got := pyRepr(tc.in); got != tc.want {
			t.Errorf("pyRepr(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestPy27Order checks the dict order SAM's Python 2.7 emulation gives the keys of the
// implicit_api pair, whose deployment id depends on it.
func TestPy27Order(t *testing.T) {
	got := py27Order([]string{"swagger", "info", "paths"})
	if want := []string{"info", "paths", "swagger"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got = py27Order([]string{"/add", "/complete", "/getlist", "/{proxy+}"})
	if want := []string{"/add", "/{proxy+}", "/getlist", "/complete"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = strings.Repeat("k", i+1)
	}
	if got := py27Order(many); len(got) != len(many) {
		t.Errorf("resize lost keys: %d of %d", len(got), len(many))
	}
}
