package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func TestEventInvokeConfigAPI(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	createFn(t, c, "eic", "echo")
	createFn(t, c, "eic-dest", "echo")
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:eic"
	const dest = "arn:aws:lambda:us-east-1:000000000000:function:eic-dest"

	before := time.Now().Add(-time.Second)
	put, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("eic"), MaximumRetryAttempts: aws.Int32(1), MaximumEventAgeInSeconds: aws.Int32(3600),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(dest)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.FunctionArn) != arn+":$LATEST" || aws.ToInt32(put.MaximumRetryAttempts) != 1 ||
		aws.ToInt32(put.MaximumEventAgeInSeconds) != 3600 || aws.ToString(put.DestinationConfig.OnFailure.Destination) != dest ||
		put.DestinationConfig.OnSuccess == nil || put.DestinationConfig.OnSuccess.Destination != nil {
		t.Errorf("put output %+v %+v", put, put.DestinationConfig)
	}
	if put.LastModified == nil || put.LastModified.Before(before) || put.LastModified.After(time.Now().Add(time.Second)) {
		t.Errorf("LastModified %v", put.LastModified)
	}

	// Update changes only what it is given.
	upd, err := c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{
		FunctionName: aws.String(arn), Qualifier: aws.String("$LATEST"), MaximumRetryAttempts: aws.Int32(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(upd.MaximumRetryAttempts) != 0 || aws.ToInt32(upd.MaximumEventAgeInSeconds) != 3600 ||
		aws.ToString(upd.DestinationConfig.OnFailure.Destination) != dest {
		t.Errorf("update output %+v", upd)
	}
	got, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("eic")})
	if err != nil || aws.ToInt32(got.MaximumRetryAttempts) != 0 || aws.ToString(got.FunctionArn) != arn+":$LATEST" {
		t.Errorf("get: %v %+v", err, got)
	}
	// Put replaces: what it leaves out is gone.
	put2, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("eic"), MaximumEventAgeInSeconds: aws.Int32(60)})
	if err != nil || put2.MaximumRetryAttempts != nil || put2.DestinationConfig.OnFailure.Destination != nil {
		t.Errorf("put replace: %v %+v", err, put2)
	}
	list, err := c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("eic")})
	if err != nil || len(list.FunctionEventInvokeConfigs) != 1 || aws.ToInt32(list.FunctionEventInvokeConfigs[0].MaximumEventAgeInSeconds) != 60 ||
		list.NextMarker != nil {
		t.Errorf("list: %v %+v", err, list)
	}
	if _, err := c.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("eic")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("eic")})
	if ae := apiError(t, err, "ResourceNotFoundException"); ae.ErrorMessage() != "The function "+arn+":$LATEST doesn't have an EventInvokeConfig" {
		t.Errorf("get after delete: %s", ae.ErrorMessage())
	}
	// Deleting the function takes its configs along.
	putEventConfig(t, c, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("eic-dest"), MaximumRetryAttempts: aws.Int32(1)})
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("eic-dest")}); err != nil {
		t.Fatal(err)
	}
	createFn(t, c, "eic-dest", "echo")
	_, err = c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("eic-dest")})
	apiError(t, err, "ResourceNotFoundException")
}

func TestEventInvokeConfigBadInput(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	createFn(t, c, "eicbad", "echo")
	createFn(t, c, "eicbad-dest", "echo")
	putEventConfig(t, c, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("eicbad"), MaximumRetryAttempts: aws.Int32(1)})
	onFailure := func(arn string) *types.DestinationConfig {
		return &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(arn)}}
	}
	cases := []struct {
		name string
		in   *lambda.PutFunctionEventInvokeConfigInput
		code string
		msg  string
	}{
		{"retries over 2", &lambda.PutFunctionEventInvokeConfigInput{MaximumRetryAttempts: aws.Int32(3)}, "ValidationException",
			"1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2"},
		{"negative retries", &lambda.PutFunctionEventInvokeConfigInput{MaximumRetryAttempts: aws.Int32(-1)}, "ValidationException",
			"1 validation error detected: Value '-1' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"age under 60", &lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(59)}, "ValidationException",
			"1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"},
		{"age over 6 hours", &lambda.PutFunctionEventInvokeConfigInput{MaximumEventAgeInSeconds: aws.Int32(21601)}, "ValidationException",
			"1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 21600"},
		{"nothing set", &lambda.PutFunctionEventInvokeConfigInput{}, "InvalidParameterValueException",
			"You must specify at least one of error handling or destination setting."},
		{"not an arn", &lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: onFailure("queue")}, "ValidationException",
			`1 validation error detected: Value 'queue' at 'destinationConfig.onFailure.destination' failed to satisfy constraint: Member must satisfy regular expression pattern: ^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)`},
		{"s3 destination", &lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: onFailure("arn:aws:s3:::bucket")}, "InvalidParameterValueException",
			"Stratus cannot deliver to Amazon S3 destinations yet (arn:aws:s3:::bucket); use a Lambda function ARN."},
		{"itself", &lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: onFailure("arn:aws:lambda:us-east-1:000000000000:function:eicbad")}, "InvalidParameterValueException",
			"You can't specify the function as a destination for itself."},
		{"missing destination function", &lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: onFailure("arn:aws:lambda:us-east-1:000000000000:function:gone")}, "InvalidParameterValueException",
			"The destination ARN arn:aws:lambda:us-east-1:000000000000:function:gone is invalid."},
		{"other service", &lambda.PutFunctionEventInvokeConfigInput{DestinationConfig: onFailure("arn:aws:dynamodb:us-east-1:000000000000:table/t")}, "InvalidParameterValueException",
			"The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=arn:aws:dynamodb:us-east-1:000000000000:table/t)) is invalid."},
		{"missing function", &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("nope"), MaximumRetryAttempts: aws.Int32(1)}, "ResourceNotFoundException",
			"The function doesn't exist."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.FunctionName == nil {
				tc.in.FunctionName = aws.String("eicbad")
			}
			_, err := c.PutFunctionEventInvokeConfig(ctx, tc.in)
			if ae := apiError(t, err, tc.code); ae.ErrorMessage() != tc.msg {
				t.Errorf("message\n%s\nwant\n%s", ae.ErrorMessage(), tc.msg)
			}
			// Nothing changed.
			got, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("eicbad")})
			if err != nil || aws.ToInt32(got.MaximumRetryAttempts) != 1 || got.MaximumEventAgeInSeconds != nil || got.DestinationConfig.OnFailure.Destination != nil {
				t.Errorf("config changed: %v %+v", err, got)
			}
		})
	}
	// Update of a config that does not exist, and reads of missing ones.
	_, err := c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("eicbad-dest"), MaximumRetryAttempts: aws.Int32(1)})
	if ae := apiError(t, err, "ResourceNotFoundException"); ae.ErrorMessage() != "The function arn:aws:lambda:us-east-1:000000000000:function:eicbad-dest:$LATEST doesn't have an EventInvokeConfig" {
		t.Errorf("update missing: %s", ae.ErrorMessage())
	}
	_, err = c.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("eicbad-dest")})
	apiError(t, err, "ResourceNotFoundException")
	_, err = c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("nope")})
	apiError(t, err, "ResourceNotFoundException")
	_, err = c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("eicbad"), MaxItems: aws.Int32(51)})
	apiError(t, err, "ValidationException")

	// DeadLetterConfig: SQS and SNS only.
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("eicbad"),
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:s3:::bucket")}})
	apiError(t, err, "InvalidParameterValueException")
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("eicbad"),
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("queue")}})
	apiError(t, err, "ValidationException")
	cfg, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("eicbad"),
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sns:us-east-1:000000000000:topic")}})
	if err != nil || aws.ToString(cfg.DeadLetterConfig.TargetArn) != "arn:aws:sns:us-east-1:000000000000:topic" {
		t.Errorf("set DLQ: %v %+v", err, cfg)
	}
	cfg, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("eicbad"),
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("")}})
	if err != nil || cfg.DeadLetterConfig != nil {
		t.Errorf("clear DLQ: %v %+v", err, cfg.DeadLetterConfig)
	}
}
