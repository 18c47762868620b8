package sam

import (
	"fmt"
	"sort"
	"strings"
)

// policyTemplate is one SAM policy template: the parameters it takes and its statements, in
// which {"Ref": Param} stands for the parameter's value.
type policyTemplate struct {
	params     []string
	statements []any
}

func arnSub(format, varName, param string) map[string]any {
	return map[string]any{"Fn::Sub": []any{format, map[string]any{varName: ref(param)}}}
}

func allow(actions []string, resources ...any) map[string]any {
	acts := make([]any, len(actions))
	for i, a := range actions {
		acts[i] = a
	}
	var res any = resources
	if len(resources) == 1 {
		res = resources[0]
	}
	return map[string]any{"Effect": "Allow", "Action": acts, "Resource": res}
}

const (
	tableArn  = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}"
	indexArn  = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}/index/*"
	queueArn  = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}"
	topicArn  = "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${topicName}"
	bucketArn = "arn:${AWS::Partition}:s3:::${bucketName}"
	objectArn = "arn:${AWS::Partition}:s3:::${bucketName}/*"
	lambdaArn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*"
)

// policyTemplates are the SAM policy templates this transform expands, as published in SAM's
// policy_templates.json.
var policyTemplates = map[string]policyTemplate{
	"DynamoDBCrudPolicy": {[]string{"TableName"}, []any{allow([]string{
		"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query",
		"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable",
		"dynamodb:ConditionCheckItem"},
		arnSub(tableArn, "tableName", "TableName"), arnSub(indexArn, "tableName", "TableName"))}},
	"DynamoDBReadPolicy": {[]string{"TableName"}, []any{allow([]string{
		"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"},
		arnSub(tableArn, "tableName", "TableName"), arnSub(indexArn, "tableName", "TableName"))}},
	"DynamoDBWritePolicy": {[]string{"TableName"}, []any{allow([]string{
		"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"},
		arnSub(tableArn, "tableName", "TableName"), arnSub(indexArn, "tableName", "TableName"))}},
	"SQSPollerPolicy": {[]string{"QueueName"}, []any{allow([]string{
		"sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage",
		"sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"},
		arnSub(queueArn, "queueName", "QueueName"))}},
	"SQSSendMessagePolicy": {[]string{"QueueName"}, []any{allow([]string{"sqs:SendMessage*"},
		arnSub(queueArn, "queueName", "QueueName"))}},
	"S3ReadPolicy": {[]string{"BucketName"}, []any{allow([]string{
		"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"},
		arnSub(bucketArn, "bucketName", "BucketName"), arnSub(objectArn, "bucketName", "BucketName"))}},
	"S3WritePolicy": {[]string{"BucketName"}, []any{allow([]string{
		"s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"},
		arnSub(bucketArn, "bucketName", "BucketName"), arnSub(objectArn, "bucketName", "BucketName"))}},
	"S3CrudPolicy": {[]string{"BucketName"}, []any{allow([]string{
		"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:PutObject",
		"s3:PutObjectAcl", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:DeleteObject"},
		arnSub(bucketArn, "bucketName", "BucketName"), arnSub(objectArn, "bucketName", "BucketName"))}},
	"LambdaInvokePolicy": {[]string{"FunctionName"}, []any{allow([]string{"lambda:InvokeFunction"},
		arnSub(lambdaArn, "functionName", "FunctionName"))}},
	"SNSPublishMessagePolicy": {[]string{"TopicName"}, []any{allow([]string{"sns:Publish"},
		arnSub(topicArn, "topicName", "TopicName"))}},
	"DynamoDBReconfigurePolicy": {[]string{"TableName"}, []any{allow([]string{"dynamodb:UpdateTable"},
		arnSub(tableArn, "tableName", "TableName"))}},
	"SESSendBouncePolicy": {[]string{"IdentityName"}, []any{allow([]string{"ses:SendBounce"},
		arnSub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${identityName}", "identityName", "IdentityName"))}},
	"CloudWatchPutMetricPolicy":            {nil, []any{allow([]string{"cloudwatch:PutMetricData"}, "*")}},
	"CloudWatchDescribeAlarmHistoryPolicy": {nil, []any{allow([]string{"cloudwatch:DescribeAlarmHistory"}, "*")}},
	"EC2DescribePolicy":                    {nil, []any{allow([]string{"ec2:DescribeRegions", "ec2:DescribeInstances"}, "*")}},
	"AMIDescribePolicy": {nil, []any{allow([]string{"ec2:DescribeImages"},
		sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:image/*"))}},
	"CloudFormationDescribeStacksPolicy": {nil, []any{allow([]string{"cloudformation:DescribeStacks"},
		sub("arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*"))}},
}

// expandPolicyTemplate turns {TemplateName: {Param: value}} into a policy document.
func expandPolicyTemplate(fnID string, entry map[string]any) (map[string]any, *invalidError) {
	if len(entry) != 1 {
		return nil, resourceErr(fnID, "Policy at index is not a valid policy: a policy template must be an object with one key.")
	}
	var name string
	for k := range entry {
		name = k
	}
	tpl, ok := policyTemplates[name]
	if !ok {
		return nil, resourceErr(fnID, "Policy template '%s' is not supported by Stratus's SAM transform.", name)
	}
	args, _ := entry[name].(map[string]any)
	if args == nil {
		args = map[string]any{}
	}
	var missing []string
	for _, p := range tpl.params {
		if _, ok := args[p]; !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, resourceErr(fnID, "%s", fmt.Sprintf(
			"Error: Missing parameters to policy template '%s'. Parameter values are missing for following parameters: %s",
			name, strings.Join(missing, ",")))
	}
	return map[string]any{"Statement": substituteParams(deepCopy(tpl.statements), args)}, nil
}

func substituteParams(v any, args map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if name, ok := x["Ref"].(string); ok {
				if a, ok := args[name]; ok {
					return a
				}
			}
		}
		for k, e := range x {
			x[k] = substituteParams(e, args)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = substituteParams(e, args)
		}
		return x
	}
	return v
}
