package sam

import (
	"fmt"
	"net/url"
	"strings"
)

// functionProps are AWS::Serverless::Function properties copied to AWS::Lambda::Function
// under the same name.
var functionProps = []string{
	"Architectures", "CodeSigningConfigArn", "Description", "Environment", "EphemeralStorage",
	"FileSystemConfigs", "FunctionName", "Handler", "ImageConfig", "KmsKeyArn", "Layers",
	"LoggingConfig", "MemorySize", "PackageType", "RecursiveLoop", "ReservedConcurrentExecutions",
	"Runtime", "RuntimeManagementConfig", "SnapStart", "Timeout", "VpcConfig",
}

// fn is one AWS::Serverless::Function being translated.
type fn struct {
	id    string
	r     map[string]any // the SAM resource
	p     map[string]any // its properties, globals merged
	attrs map[string]any // resource attributes generated resources inherit
	// roleID is the generated execution role's logical id; empty when Role is given.
	roleID string
	// managed and statements collect what event sources add to the generated role.
	managed    []any
	statements []any
}

// target is what event sources point at: the alias when AutoPublishAlias is set.
func (f *fn) target(t *translator) any {
	if a := t.aliases[f.id]; a != "" {
		return ref(a)
	}
	return ref(f.id)
}

// arn is the function ARN for targets that need one (SNS, EventBridge).
func (f *fn) arn(t *translator) any {
	if a := t.aliases[f.id]; a != "" {
		return ref(a)
	}
	return getAtt(f.id, "Arn")
}

// subName is the name used inside Fn::Sub strings for the invoke ARN.
func (f *fn) subName(t *translator) string {
	if a := t.aliases[f.id]; a != "" {
		return a
	}
	return f.id + ".Arn"
}

func (t *translator) function(id string, r map[string]any) *invalidError {
	p := r["Properties"].(map[string]any)
	f := &fn{id: id, r: r, p: p, attrs: passthrough(r)}

	lp := map[string]any{}
	for _, k := range functionProps {
		if v, ok := p[k]; ok {
			lp[k] = v
		}
	}
	code, err := t.code(id, p)
	if err != nil {
		return err
	}
	switch pt := p["PackageType"]; pt {
	case nil, "Zip":
		if p["Runtime"] == nil || p["Handler"] == nil {
			return resourceErr(id, "Runtime and Handler needs to be present when PackageType is of type `Zip`")
		}
	case "Image":
		if p["Runtime"] != nil || p["Handler"] != nil || p["Layers"] != nil {
			return resourceErr(id, "Runtime, Handler, Layers cannot be present when PackageType is of type `Image`")
		}
	default:
		if _, ok := pt.(string); ok {
			return resourceErr(id, "PackageType needs to be `Zip` or `Image`")
		}
	}
	lp["Code"] = code
	if tr, ok := p["Tracing"]; ok {
		lp["TracingConfig"] = map[string]any{"Mode": tr}
	}
	if dlqV, ok := p["DeadLetterQueue"]; ok {
		dlq, _ := dlqV.(map[string]any)
		if dlq["Type"] == nil || isEmpty(dlq["TargetArn"]) {
			return resourceErr(id, "'DeadLetterQueue' requires Type and TargetArn properties to be specified.")
		}
		typ, _ := dlq["Type"].(string)
		action := map[string]string{"SQS": "sqs:SendMessage", "SNS": "sns:Publish"}[typ]
		if action == "" {
			return resourceErr(id, "'DeadLetterQueue' requires Type of ['SNS', 'SQS']")
		}
		lp["DeadLetterConfig"] = map[string]any{"TargetArn": dlq["TargetArn"]}
		f.statements = append(f.statements, map[string]any{
			"PolicyName": "DeadLetterQueuePolicy",
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Action": action, "Resource": dlq["TargetArn"], "Effect": "Allow"}}},
		})
	}
	tags, terr := t.tagList(id, p["Tags"])
	if terr != nil {
		return terr
	}
	lp["Tags"] = tags

	if role, ok := p["Role"]; ok {
		lp["Role"] = role
	} else {
		f.roleID = id + "Role"
		lp["Role"] = getAtt(f.roleID, "Arn")
	}

	out := newResource("AWS::Lambda::Function", lp, passthrough(r))
	for _, k := range []string{"DependsOn", "Metadata"} {
		if v, ok := r[k]; ok {
			out[k] = v
		}
	}
	t.add(id, out)

	if err := t.versionAndAlias(f, lp); err != nil {
		return err
	}
	if err := t.events(f); err != nil {
		return err
	}
	if err := t.eventInvokeConfig(f); err != nil {
		return err
	}
	if err := t.functionURL(f); err != nil {
		return err
	}
	if f.roleID != "" {
		role, err := t.executionRole(f, tags)
		if err != nil {
			return err
		}
		t.add(f.roleID, role)
	}
	return nil
}

// code turns CodeUri, InlineCode or ImageUri into AWS::Lambda::Function Code.
func (t *translator) code(id string, p map[string]any) (map[string]any, *invalidError) {
	inline, hasInline := p["InlineCode"]
	uri, hasURI := p["CodeUri"]
	image, hasImage := p["ImageUri"]
	if p["PackageType"] == "Image" {
		if !hasImage {
			return nil, resourceErr(id, "'ImageUri' must be set.")
		}
		return map[string]any{"ImageUri": image}, nil
	}
	switch {
	case hasInline && hasURI:
		return nil, resourceErr(id, "Only one of 'InlineCode' or 'CodeUri' can be set.")
	case hasInline:
		return map[string]any{"ZipFile": inline}, nil
	case !hasURI:
		return nil, resourceErr(id, "Only one of 'InlineCode' or 'CodeUri' can be set.")
	}
	return s3Location(id, t.resolveParam(uri), "CodeUri", "S3Bucket", "S3Key", "S3ObjectVersion")
}

// s3Location reads an s3://bucket/key[?versionId=v] string or a {Bucket, Key, Version} object.
func s3Location(id string, v any, prop, bucketKey, keyKey, versionKey string) (map[string]any, *invalidError) {
	invalid := resourceErr(id, "'%s' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.", prop)
	switch x := v.(type) {
	case string:
		u, err := url.Parse(x)
		if err != nil || u.Scheme != "s3" || u.Host == "" || strings.TrimPrefix(u.Path, "/") == "" {
			return nil, invalid
		}
		out := map[string]any{bucketKey: u.Host, keyKey: strings.TrimPrefix(u.Path, "/")}
		if ver := u.Query().Get("versionId"); ver != "" {
			out[versionKey] = ver
		}
		return out, nil
	case map[string]any:
		if isIntrinsic(x) {
			return nil, invalid
		}
		b, hasB := x["Bucket"]
		k, hasK := x["Key"]
		if !hasB || !hasK {
			return nil, resourceErr(id, "'%s' requires Bucket and Key properties to be specified.", prop)
		}
		out := map[string]any{bucketKey: b, keyKey: k}
		if ver, ok := x["Version"]; ok {
			out[versionKey] = ver
		}
		return out, nil
	}
	return nil, invalid
}

// tagList renders SAM's Tags map as a CloudFormation tag list with lambda:createdBy first,
// which SAM keeps first so that existing functions are not updated; the rest sort by key.
func (t *translator) tagList(id string, v any) ([]any, *invalidError) {
	list := []any{map[string]any{"Key": "lambda:createdBy", "Value": "SAM"}}
	if v == nil {
		return list, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, resourceErr(id, "Property 'Tags' should be a map.")
	}
	if _, ok := m["lambda:createdBy"]; ok {
		return nil, resourceErr(id, "lambda:createdBy is a reserved Tag key name and cannot be set on your function. Please change the tag key in the input.")
	}
	for _, k := range sortedKeys(m) {
		val := m[k]
		if val == nil {
			val = ""
		}
		list = append(list, map[string]any{"Key": k, "Value": val})
	}
	return list, nil
}

// executionRole builds <Fn>Role: basic execution, X-Ray, VPC and event-source managed
// policies, then the Policies property in order.
func (t *translator) executionRole(f *fn, tags []any) (map[string]any, *invalidError) {
	part := t.o.Partition
	managed := []any{managedArn(part, "service-role/AWSLambdaBasicExecutionRole")}
	if _, ok := f.p["Tracing"]; ok {
		managed = append(managed, managedArn(part, "AWSXrayWriteOnlyAccess"))
	}
	if _, ok := f.p["VpcConfig"]; ok {
		managed = append(managed, managedArn(part, "service-role/AWSLambdaVPCAccessExecutionRole"))
	}
	managed = append(managed, f.managed...)
	inline := append([]any{}, f.statements...)

	var policies []any
	switch x := f.p["Policies"].(type) {
	case nil:
	case []any:
		policies = x
	default:
		policies = []any{x}
	}
	for i, pol := range policies {
		name := fmt.Sprintf("%sPolicy%d", f.roleID, i)
		switch x := pol.(type) {
		case string:
			managed = appendUnique(managed, t.policyArn(x))
		case map[string]any:
			if isIntrinsic(x) {
				managed = appendUnique(managed, x)
				continue
			}
			if _, ok := x["Statement"]; ok {
				inline = append(inline, map[string]any{"PolicyName": name, "PolicyDocument": x})
				continue
			}
			doc, err := expandPolicyTemplate(f.id, x)
			if err != nil {
				return nil, err
			}
			inline = append(inline, map[string]any{"PolicyName": name, "PolicyDocument": doc})
		default:
			return nil, resourceErr(f.id, "Type of property 'Policies' is invalid.")
		}
	}

	assume := f.p["AssumeRolePolicyDocument"]
	if assume == nil {
		assume = assumeRole("lambda.amazonaws.com")
	}
	props := map[string]any{
		"AssumeRolePolicyDocument": assume,
		"ManagedPolicyArns":        managed,
		"Tags":                     tags,
		"Path":                     f.p["RolePath"],
		"PermissionsBoundary":      f.p["PermissionsBoundary"],
	}
	if len(inline) > 0 {
		props["Policies"] = inline
	}
	return newResource("AWS::IAM::Role", props, f.attrs), nil
}

func assumeRole(service string) map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Action":    []any{"sts:AssumeRole"},
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": []any{service}},
		}},
	}
}

func managedArn(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}

// serviceRolePolicies are AWS managed policies whose ARN has the service-role/ path, so a bare
// name in Policies resolves to the right ARN.
var serviceRolePolicies = map[string]bool{
	"AWSLambdaBasicExecutionRole": true, "AWSLambdaVPCAccessExecutionRole": true,
	"AWSLambdaSQSQueueExecutionRole": true, "AWSLambdaDynamoDBExecutionRole": true,
	"AWSLambdaKinesisExecutionRole": true, "AWSLambdaRole": true, "AWSCodeDeployRoleForLambda": true,
	"AWSLambdaENIManagementAccess": true, "AWSLambdaMSKExecutionRole": true,
}

// policyArn turns a managed policy name into its ARN; ARNs pass through.
func (t *translator) policyArn(name string) any {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	if serviceRolePolicies[name] {
		return managedArn(t.o.Partition, "service-role/"+name)
	}
	return managedArn(t.o.Partition, name)
}

func appendUnique(list []any, v any) []any {
	key := canonicalJSON(v)
	for _, x := range list {
		if canonicalJSON(x) == key {
			return list
		}
	}
	return append(list, v)
}

// versionAndAlias generates <Fn>Version<hash> and <Fn>Alias<Name> for AutoPublishAlias, and
// the CodeDeploy resources for DeploymentPreference.
func (t *translator) versionAndAlias(f *fn, lp map[string]any) *invalidError {
	aliasV, ok := f.p["AutoPublishAlias"]
	if _, pc := f.p["ProvisionedConcurrencyConfig"]; pc && !ok {
		return resourceErr(f.id, "To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function")
	}
	if !ok {
		if dp, has := f.p["DeploymentPreference"]; has && !disabled(t.resolveDeep(dp)) {
			return resourceErr(f.id, "'DeploymentPreference' requires AutoPublishAlias property to be specified.")
		}
		return nil
	}
	alias, ok := t.resolveParam(aliasV).(string)
	if !ok || alias == "" {
		return resourceErr(f.id, "'AutoPublishAlias' must be a string or a Ref to a template parameter")
	}

	// The version's id hashes what must publish a new version when it changes: the code
	// (parameters resolved) and a few configuration properties.
	hashed := map[string]any{}
	for k, v := range t.resolveDeep(lp["Code"]).(map[string]any) {
		hashed[k] = v
	}
	if env, ok := f.p["Environment"].(map[string]any); ok {
		for k, v := range env {
			hashed[k] = v
		}
	}
	if v, ok := f.p["MemorySize"]; ok && !isEmpty(v) {
		hashed["MemorySize"] = v
	}
	if ss, ok := f.p["SnapStart"].(map[string]any); ok && ss["ApplyOn"] != nil && ss["ApplyOn"] != "None" {
		hashed["SnapStart"] = ss
	}
	if f.p["AutoPublishAliasAllProperties"] == true {
		hashed = lp
	}
	var versionID string
	if sha, ok := f.p["AutoPublishCodeSha256"].(string); ok && sha != "" {
		versionID = f.id + "Version" + sha[:min(len(sha), hashLength)]
	} else {
		versionID = logicalID(f.id+"Version", hashed)
	}
	vattrs := map[string]any{}
	for k, v := range f.attrs {
		vattrs[k] = v
	}
	if _, ok := vattrs["DeletionPolicy"]; !ok {
		vattrs["DeletionPolicy"] = "Retain"
	}
	t.add(versionID, newResource("AWS::Lambda::Version", map[string]any{
		"FunctionName":            ref(f.id),
		"Description":             f.p["VersionDescription"],
		"RuntimeManagementConfig": f.p["RuntimeManagementConfig"],
	}, vattrs))

	aliasID := f.id + "Alias" + alias
	aliasRes := newResource("AWS::Lambda::Alias", map[string]any{
		"Name":                         alias,
		"FunctionName":                 ref(f.id),
		"FunctionVersion":              getAtt(versionID, "Version"),
		"ProvisionedConcurrencyConfig": f.p["ProvisionedConcurrencyConfig"],
	}, f.attrs)
	t.add(aliasID, aliasRes)
	t.aliases[f.id] = aliasID
	t.refs[f.id+".Alias"] = aliasID
	t.refs[f.id+".Version"] = versionID

	if dp, ok := f.p["DeploymentPreference"]; ok {
		return t.deploymentPreference(f, dp, aliasRes)
	}
	return nil
}

// disabled reports whether a DeploymentPreference sets Enabled to false.
func disabled(dp any) bool {
	m, _ := dp.(map[string]any)
	switch m["Enabled"] {
	case false, "false", "False":
		return true
	}
	return false
}

// codeDeployTypes are the predefined Lambda deployment configurations, named without the
// CodeDeployDefault.Lambda prefix SAM adds.
var codeDeployTypes = map[string]bool{
	"Canary10Percent5Minutes": true, "Canary10Percent10Minutes": true, "Canary10Percent15Minutes": true,
	"Canary10Percent30Minutes": true, "Linear10PercentEvery1Minute": true, "Linear10PercentEvery2Minutes": true,
	"Linear10PercentEvery3Minutes": true, "Linear10PercentEvery10Minutes": true, "AllAtOnce": true,
}

func (t *translator) deploymentPreference(f *fn, v any, alias map[string]any) *invalidError {
	dp, ok := t.resolveDeep(v).(map[string]any)
	if !ok {
		return resourceErr(f.id, "'DeploymentPreference' must be an object.")
	}
	if disabled(dp) {
		return nil
	}
	typ, hasType := dp["Type"]
	if !hasType {
		return resourceErr(f.id, "'DeploymentPreference' is missing required Property 'Type'")
	}

	const app = "ServerlessDeploymentApplication"
	if _, ok := t.resources[app]; !ok {
		t.add(app, newResource("AWS::CodeDeploy::Application", map[string]any{"ComputePlatform": "Lambda"}, nil))
	}
	serviceRole := dp["Role"]
	if serviceRole == nil {
		const roleID = "CodeDeployServiceRole"
		if _, ok := t.resources[roleID]; !ok {
			t.add(roleID, newResource("AWS::IAM::Role", map[string]any{
				"AssumeRolePolicyDocument": assumeRole("codedeploy.amazonaws.com"),
				"ManagedPolicyArns":        []any{managedArn(t.o.Partition, "service-role/AWSCodeDeployRoleForLambda")},
			}, nil))
		}
		serviceRole = getAtt(roleID, "Arn")
	}

	config := typ
	if s, ok := typ.(string); ok && codeDeployTypes[s] {
		config = map[string]any{"Fn::Sub": []any{"CodeDeployDefault.Lambda${ConfigName}", map[string]any{"ConfigName": s}}}
	}
	group := map[string]any{
		"ApplicationName": ref(app),
		"AutoRollbackConfiguration": map[string]any{
			"Enabled": true,
			"Events":  []any{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"},
		},
		"DeploymentConfigName":  config,
		"DeploymentStyle":       map[string]any{"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
		"ServiceRoleArn":        serviceRole,
		"TriggerConfigurations": dp["TriggerConfigurations"],
	}
	if alarms, ok := dp["Alarms"].([]any); ok && len(alarms) > 0 {
		list := make([]any, len(alarms))
		for i, a := range alarms {
			list[i] = map[string]any{"Name": a}
		}
		group["AlarmConfiguration"] = map[string]any{"Alarms": list, "Enabled": true}
	}
	groupID := f.id + "DeploymentGroup"
	t.add(groupID, newResource("AWS::CodeDeploy::DeploymentGroup", group, nil))

	update := map[string]any{"ApplicationName": ref(app), "DeploymentGroupName": ref(groupID)}
	if hooks, ok := dp["Hooks"].(map[string]any); ok {
		for _, k := range sortedKeys(hooks) {
			switch k {
			case "PreTraffic":
				update["BeforeAllowTrafficHook"] = hooks[k]
			case "PostTraffic":
				update["AfterAllowTrafficHook"] = hooks[k]
			default:
				return resourceErr(f.id, "Invalid Hook '%s' in DeploymentPreference. Valid hooks are PreTraffic and PostTraffic.", k)
			}
		}
	}
	alias["UpdatePolicy"] = map[string]any{"CodeDeployLambdaAliasUpdate": update}
	return nil
}

// eventInvokeConfig generates <Fn>EventInvokeConfig; destinations that name a resource type
// SAM does not create are passed as given.
func (t *translator) eventInvokeConfig(f *fn) *invalidError {
	cfg, ok := f.p["EventInvokeConfig"].(map[string]any)
	if !ok {
		return nil
	}
	qualifier := any("$LATEST")
	if a := t.aliases[f.id]; a != "" {
		qualifier = t.resources[a].(map[string]any)["Properties"].(map[string]any)["Name"]
	}
	props := map[string]any{
		"FunctionName":             ref(f.id),
		"Qualifier":                qualifier,
		"MaximumEventAgeInSeconds": cfg["MaximumEventAgeInSeconds"],
		"MaximumRetryAttempts":     cfg["MaximumRetryAttempts"],
	}
	if dc, ok := cfg["DestinationConfig"].(map[string]any); ok {
		out := map[string]any{}
		for _, kind := range []string{"OnSuccess", "OnFailure"} {
			d, ok := dc[kind].(map[string]any)
			if !ok {
				continue
			}
			typ, _ := d["Type"].(string)
			if !contains([]string{"SQS", "SNS", "EventBridge", "Lambda"}, typ) {
				return resourceErr(f.id, "'Type: %s' must be one of ['SQS', 'SNS', 'EventBridge', 'Lambda']", pyStr(d["Type"]))
			}
			dest, has := d["Destination"]
			if has {
				dest = t.resolveParam(dest)
			} else {
				// Without a destination SAM creates the queue or topic itself.
				id := f.id + "EventInvokeConfig" + kind
				switch typ {
				case "SQS":
					t.add(id+"Queue", map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}})
					copyProps(t.resources[id+"Queue"].(map[string]any), f.attrs, "Condition", "DeletionPolicy", "UpdateReplacePolicy")
					dest = getAtt(id+"Queue", "Arn")
				case "SNS":
					t.add(id+"Topic", map[string]any{"Type": "AWS::SNS::Topic", "Properties": map[string]any{}})
					copyProps(t.resources[id+"Topic"].(map[string]any), f.attrs, "Condition", "DeletionPolicy", "UpdateReplacePolicy")
					dest = ref(id + "Topic")
				default:
					return resourceErr(f.id, "Destination is required if Type is not ['SQS', 'SNS']")
				}
			}
			out[kind] = map[string]any{"Destination": dest}
			action := map[string]string{"SQS": "sqs:SendMessage", "SNS": "sns:publish", "Lambda": "lambda:InvokeFunction", "EventBridge": "events:PutEvents"}[typ]
			if action != "" {
				suffix := map[string]string{"SQS": "SQSPolicy", "SNS": "SNSPolicy", "Lambda": "LambdaPolicy", "EventBridge": "EventBridgePolicy"}[typ]
				f.statements = append(f.statements, map[string]any{
					"PolicyName": f.id + "EventInvokeConfig" + kind + suffix,
					"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
						"Action": action, "Effect": "Allow", "Resource": dest}}},
				})
			}
		}
		props["DestinationConfig"] = out
	}
	var deps any
	if a := t.aliases[f.id]; a != "" {
		deps = []any{a}
	}
	attrs := map[string]any{}
	for k, v := range f.attrs {
		attrs[k] = v
	}
	if deps != nil {
		attrs["DependsOn"] = deps
	}
	t.add(f.id+"EventInvokeConfig", newResource("AWS::Lambda::EventInvokeConfig", props, attrs))
	return nil
}

// functionURL generates <Fn>Url and, for AuthType NONE, the public invoke permission.
func (t *translator) functionURL(f *fn) *invalidError {
	cfg, ok := f.p["FunctionUrlConfig"].(map[string]any)
	if !ok {
		return nil
	}
	auth, ok := cfg["AuthType"]
	if !ok {
		return resourceErr(f.id, "AuthType is required to configure function property `FunctionUrlConfig`. Please provide either AWS_IAM or NONE.")
	}
	if s, ok := auth.(string); ok && s != "NONE" && s != "AWS_IAM" {
		return resourceErr(f.id, "AuthType is required to configure function property `FunctionUrlConfig`. Please provide either AWS_IAM or NONE.")
	}
	for _, k := range sortedKeys(cfg) {
		if !contains([]string{"AuthType", "Cors", "InvokeMode"}, k) {
			return resourceErr(f.id, "%s is an invalid property for FunctionUrlConfig.", k)
		}
	}
	props := map[string]any{"AuthType": auth, "Cors": cfg["Cors"], "InvokeMode": cfg["InvokeMode"]}
	if a := t.aliases[f.id]; a != "" {
		props["TargetFunctionArn"] = ref(a)
	} else {
		props["TargetFunctionArn"] = ref(f.id)
	}
	t.add(f.id+"Url", newResource("AWS::Lambda::Url", props, f.attrs))
	if auth == "NONE" {
		t.add(f.id+"UrlPublicPermissions", newResource("AWS::Lambda::Permission", map[string]any{
			"Action":              "lambda:InvokeFunctionUrl",
			"FunctionName":        props["TargetFunctionArn"],
			"FunctionUrlAuthType": "NONE",
			"Principal":           "*",
		}, f.attrs))
	}
	return nil
}

// pyStr renders v as Python's str() does in SAM's messages.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	}
	return pyRepr(v)
}
