package codedeploy

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// Lambda is what a deployment needs of the Lambda API, in a function's
// region.
type Lambda interface {
	// GetAlias returns the alias's version and additional version weights.
	// A missing function or alias is ErrNoAlias.
	GetAlias(ctx context.Context, region, function, alias string) (Alias, error)
	// UpdateAlias points the alias at version with the given additional
	// weights (none: all traffic to version).
	UpdateAlias(ctx context.Context, region, function, alias, version string, weights map[string]float64) error
	// InvokeEvent invokes a function asynchronously with payload.
	InvokeEvent(ctx context.Context, region, function string, payload []byte) error
}

// Alias is a function alias's routing.
type Alias struct {
	Arn     string
	Version string
	Weights map[string]float64
}

// ErrNoAlias is GetAlias's error for a function or alias that does not exist.
var ErrNoAlias = errors.New("codedeploy: no such function or alias")

// SDKLambda is Lambda through aws-sdk-go-v2's client, so every alias change
// and hook invocation is the Lambda API's own (validation, revision ids,
// invocation records).
type SDKLambda struct {
	Client *lambda.Client
}

var _ Lambda = (*SDKLambda)(nil)

// NewSDKLambda returns an SDKLambda for the endpoint, signing with the given
// credentials (Stratus's internal ones, so calls pass --auth strict).
func NewSDKLambda(endpoint, accessKeyID, secretAccessKey, sessionToken string) *SDKLambda {
	return &SDKLambda{Client: lambda.New(lambda.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, sessionToken),
	})}
}

func inRegion(region string) func(*lambda.Options) {
	return func(o *lambda.Options) { o.Region = region }
}

func (l *SDKLambda) GetAlias(ctx context.Context, region, function, alias string) (Alias, error) {
	out, err := l.Client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(function), Name: aws.String(alias)}, inRegion(region))
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return Alias{}, ErrNoAlias
		}
		return Alias{}, err
	}
	a := Alias{Arn: aws.ToString(out.AliasArn), Version: aws.ToString(out.FunctionVersion)}
	if out.RoutingConfig != nil {
		a.Weights = out.RoutingConfig.AdditionalVersionWeights
	}
	return a, nil
}

func (l *SDKLambda) UpdateAlias(ctx context.Context, region, function, alias, version string, weights map[string]float64) error {
	if weights == nil {
		weights = map[string]float64{}
	}
	_, err := l.Client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(function), Name: aws.String(alias),
		FunctionVersion: aws.String(version), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: weights}}, inRegion(region))
	return err
}

func (l *SDKLambda) InvokeEvent(ctx context.Context, region, function string, payload []byte) error {
	_, err := l.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), InvocationType: types.InvocationTypeEvent,
		Payload: payload}, inRegion(region))
	return err
}

// apiMessage is the message of an AWS error, for errorInformation.
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
