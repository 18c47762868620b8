package sam

import (
	"sort"
	"strings"
)

// events translates every entry of a function's Events, in logical-id order.
func (t *translator) events(f *fn) *invalidError {
	evs, ok := f.p["Events"].(map[string]any)
	if !ok {
		if v, has := f.p["Events"]; has && v != nil {
			return resourceErr(f.id, "Property 'Events' should be a map.")
		}
		return nil
	}
	// SAM translates events in order of their Path, or name when they have none, so that an
	// HTTP API's $default route comes first.
	names := sortedKeys(evs)
	sortKey := func(n string) string {
		if ev, ok := evs[n].(map[string]any); ok {
			if p, ok := ev["Properties"].(map[string]any); ok {
				if path, ok := p["Path"].(string); ok {
					return path
				}
			}
		}
		return n
	}
	sort.SliceStable(names, func(i, j int) bool { return sortKey(names[i]) < sortKey(names[j]) })
	for _, name := range names {
		ev, ok := evs[name].(map[string]any)
		if !ok {
			return eventErr(f.id, name, "Event must be an object.")
		}
		typ, _ := ev["Type"].(string)
		props, _ := ev["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		var err *invalidError
		switch typ {
		case "Api":
			err = t.apis.restEvent(f, name, props)
		case "HttpApi":
			err = t.apis.httpEvent(f, name, props)
		case "S3":
			err = t.s3Event(f, name, props)
		case "SQS":
			err = t.pollEvent(f, name, props, "Queue", "service-role/AWSLambdaSQSQueueExecutionRole", false)
		case "DynamoDB":
			err = t.pollEvent(f, name, props, "Stream", "service-role/AWSLambdaDynamoDBExecutionRole", true)
		case "Kinesis":
			err = t.pollEvent(f, name, props, "Stream", "service-role/AWSLambdaKinesisExecutionRole", true)
		case "SNS":
			err = t.snsEvent(f, name, props)
		case "Schedule":
			err = t.ruleEvent(f, name, props, true)
		case "CloudWatchEvent", "EventBridgeRule":
			err = t.ruleEvent(f, name, props, false)
		case "ScheduleV2":
			err = t.scheduleV2Event(f, name, props)
		case "":
			err = eventErr(f.id, name, "Missing required property 'Type'.")
		default:
			err = eventErr(f.id, name, "Type '%s' is not supported by Stratus's SAM transform.", typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// permission builds the AWS::Lambda::Permission that lets principal invoke the function.
func (t *translator) permission(f *fn, id, principal string, extra map[string]any) {
	props := map[string]any{
		"Action":       "lambda:InvokeFunction",
		"FunctionName": f.target(t),
		"Principal":    principal,
	}
	for k, v := range extra {
		props[k] = v
	}
	t.add(id, newResource("AWS::Lambda::Permission", props, f.attrs))
}

func require(f *fn, event string, props map[string]any, names ...string) *invalidError {
	for _, n := range names {
		if _, ok := props[n]; !ok {
			return eventErr(f.id, event, "Missing required property '%s'.", n)
		}
	}
	return nil
}

func copyProps(dst, src map[string]any, names ...string) {
	for _, n := range names {
		if v, ok := src[n]; ok {
			dst[n] = v
		}
	}
}

// pollEvent builds the AWS::Lambda::EventSourceMapping for SQS, DynamoDB and Kinesis and adds
// the managed policy that lets the function poll the source.
func (t *translator) pollEvent(f *fn, event string, props map[string]any, source, policy string, stream bool) *invalidError {
	if err := require(f, event, props, source); err != nil {
		return err
	}
	if stream {
		if _, ok := props["StartingPosition"]; !ok {
			return eventErr(f.id, event, "StartingPosition is required for Kinesis, DynamoDB and MSK.")
		}
	}
	id := f.id + event
	esm := map[string]any{"EventSourceArn": props[source], "FunctionName": f.target(t)}
	copyProps(esm, props, "BatchSize", "Enabled", "MaximumBatchingWindowInSeconds", "FilterCriteria",
		"FunctionResponseTypes", "ScalingConfig", "KmsKeyArn", "MetricsConfig", "StartingPosition",
		"StartingPositionTimestamp", "MaximumRetryAttempts", "BisectBatchOnFunctionError",
		"MaximumRecordAgeInSeconds", "ParallelizationFactor", "TumblingWindowInSeconds")
	if dc, ok := props["DestinationConfig"].(map[string]any); ok {
		out := map[string]any{}
		for k, v := range dc {
			d, ok := v.(map[string]any)
			if !ok {
				out[k] = v
				continue
			}
			clean := map[string]any{}
			for dk, dv := range d {
				if dk != "Type" {
					clean[dk] = dv
				}
			}
			out[k] = clean
			switch d["Type"] {
			case "SQS":
				f.statements = append(f.statements, map[string]any{"PolicyName": id + "SQSPolicy",
					"PolicyDocument": map[string]any{"Statement": []any{map[string]any{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": d["Destination"]}}}})
			case "SNS":
				f.statements = append(f.statements, map[string]any{"PolicyName": id + "SNSPolicy",
					"PolicyDocument": map[string]any{"Statement": []any{map[string]any{"Action": "sns:publish", "Effect": "Allow", "Resource": d["Destination"]}}}})
			}
		}
		esm["DestinationConfig"] = out
	}
	t.add(id, newResource("AWS::Lambda::EventSourceMapping", esm, f.attrs))
	f.managed = appendUnique(f.managed, managedArn(t.o.Partition, policy))
	return nil
}

func (t *translator) snsEvent(f *fn, event string, props map[string]any) *invalidError {
	if err := require(f, event, props, "Topic"); err != nil {
		return err
	}
	if _, ok := props["SqsSubscription"]; ok {
		return eventErr(f.id, event, "SqsSubscription is not supported by Stratus's SAM transform.")
	}
	id := f.id + event
	t.permission(f, id+"Permission", "sns.amazonaws.com", map[string]any{"SourceArn": props["Topic"]})
	sub := map[string]any{"Endpoint": f.arn(t), "Protocol": "lambda", "TopicArn": props["Topic"]}
	copyProps(sub, props, "Region", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy")
	t.add(id, newResource("AWS::SNS::Subscription", sub, f.attrs))
	return nil
}

// s3Event adds the function to the notification configuration of a bucket declared in the
// same template; SAM cannot change a bucket it does not own.
func (t *translator) s3Event(f *fn, event string, props map[string]any) *invalidError {
	if err := require(f, event, props, "Bucket", "Events"); err != nil {
		return err
	}
	notInTemplate := eventErr(f.id, event, "S3 events must reference an S3 bucket in the same template.")
	b, ok := props["Bucket"].(map[string]any)
	if !ok {
		return notInTemplate
	}
	bucketID, _ := b["Ref"].(string)
	bucket, ok := t.resources[bucketID].(map[string]any)
	if !ok || bucket["Type"] != "AWS::S3::Bucket" {
		return notInTemplate
	}
	permID := f.id + event + "Permission"
	t.permission(f, permID, "s3.amazonaws.com", map[string]any{"SourceAccount": ref("AWS::AccountId")})

	switch d := bucket["DependsOn"].(type) {
	case nil:
		bucket["DependsOn"] = []any{permID}
	case string:
		bucket["DependsOn"] = []any{d, permID}
	case []any:
		bucket["DependsOn"] = append(d, permID)
	}
	bp, _ := bucket["Properties"].(map[string]any)
	if bp == nil {
		bp = map[string]any{}
		bucket["Properties"] = bp
	}
	nc, _ := bp["NotificationConfiguration"].(map[string]any)
	if nc == nil {
		nc = map[string]any{}
		bp["NotificationConfiguration"] = nc
	}
	lcs, _ := nc["LambdaConfigurations"].([]any)
	var events []any
	switch e := props["Events"].(type) {
	case []any:
		events = e
	default:
		events = []any{e}
	}
	for _, e := range events {
		lc := map[string]any{"Event": e, "Function": f.arn(t)}
		if flt, ok := props["Filter"]; ok {
			lc["Filter"] = flt
		}
		lcs = append(lcs, lc)
	}
	nc["LambdaConfigurations"] = lcs
	return nil
}

// ruleEvent builds the AWS::Events::Rule of a Schedule, CloudWatchEvent or EventBridgeRule
// event and the permission for EventBridge to invoke the function.
func (t *translator) ruleEvent(f *fn, event string, props map[string]any, schedule bool) *invalidError {
	id := f.id + event
	rule := map[string]any{}
	if schedule {
		if err := require(f, event, props, "Schedule"); err != nil {
			return err
		}
		rule["ScheduleExpression"] = props["Schedule"]
		copyProps(rule, props, "Name", "Description")
	} else {
		if err := require(f, event, props, "Pattern"); err != nil {
			return err
		}
		rule["EventPattern"] = props["Pattern"]
		copyProps(rule, props, "EventBusName")
		if n, ok := props["RuleName"]; ok {
			rule["Name"] = n
		}
	}
	if en, ok := props["Enabled"]; ok {
		if _, both := props["State"]; both {
			return eventErr(f.id, event, "State and Enabled Properties cannot both be specified.")
		}
		// SAM tests the value's truth, so an intrinsic counts as enabled.
		rule["State"] = "ENABLED"
		if en == false || isEmpty(en) {
			rule["State"] = "DISABLED"
		}
	} else {
		copyProps(rule, props, "State")
	}
	targetID := any(id + "LambdaTarget")
	if tg, ok := props["Target"].(map[string]any); ok {
		if v, ok := tg["Id"]; ok {
			targetID = v
		}
	}
	target := map[string]any{"Arn": f.arn(t), "Id": targetID}
	copyProps(target, props, "Input", "InputPath", "InputTransformer", "RetryPolicy")
	if dlc, ok := props["DeadLetterConfig"].(map[string]any); ok {
		if arn, ok := dlc["Arn"]; ok {
			target["DeadLetterConfig"] = map[string]any{"Arn": arn}
		}
	}
	rule["Targets"] = []any{target}
	t.add(id, newResource("AWS::Events::Rule", rule, f.attrs))
	t.permission(f, id+"Permission", "events.amazonaws.com", map[string]any{"SourceArn": getAtt(id, "Arn")})
	return nil
}

// scheduleV2Event builds an AWS::Scheduler::Schedule and, unless RoleArn is given, the role
// EventBridge Scheduler assumes to invoke the function.
func (t *translator) scheduleV2Event(f *fn, event string, props map[string]any) *invalidError {
	if err := require(f, event, props, "ScheduleExpression"); err != nil {
		return err
	}
	id := f.id + event
	s := map[string]any{}
	copyProps(s, props, "ScheduleExpression", "ScheduleExpressionTimezone", "Description", "StartDate",
		"EndDate", "State", "GroupName", "KmsKeyArn")
	if props["OmitName"] != true {
		if n, ok := props["Name"]; ok {
			s["Name"] = n
		} else {
			s["Name"] = id
		}
	}
	if ftw, ok := props["FlexibleTimeWindow"]; ok {
		s["FlexibleTimeWindow"] = ftw
	} else {
		s["FlexibleTimeWindow"] = map[string]any{"Mode": "OFF"}
	}
	target := map[string]any{"Arn": f.arn(t)}
	copyProps(target, props, "Input", "RetryPolicy")
	if dlc, ok := props["DeadLetterConfig"].(map[string]any); ok {
		if arn, ok := dlc["Arn"]; ok {
			target["DeadLetterConfig"] = map[string]any{"Arn": arn}
		}
	}
	if role, ok := props["RoleArn"]; ok {
		target["RoleArn"] = role
	} else {
		roleID := id + "Role"
		target["RoleArn"] = getAtt(roleID, "Arn")
		t.add(roleID, newResource("AWS::IAM::Role", map[string]any{
			"AssumeRolePolicyDocument": assumeRole("scheduler.amazonaws.com"),
			"Policies": []any{map[string]any{
				"PolicyName": id + "LambdaPolicy",
				"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
					"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": f.arn(t)}}},
			}},
			"PermissionsBoundary": props["PermissionsBoundary"],
		}, f.attrs))
	}
	s["Target"] = target
	t.add(id, newResource("AWS::Scheduler::Schedule", s, f.attrs))
	return nil
}

// executeAPIPath turns an API path into the resource part of an execute-api ARN: path
// parameters become wildcards and a trailing slash is dropped.
func executeAPIPath(path string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			break
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			b.WriteString(path)
			break
		}
		b.WriteString(path[:i] + "*")
		path = path[i+j+1:]
	}
	s := b.String()
	if len(s) > 1 {
		s = strings.TrimSuffix(s, "/")
	}
	return s
}
