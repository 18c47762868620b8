package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Constraints of the alias members, as the service model states them.
const (
	aliasNamePattern   = `Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`
	fnVersionPattern   = `Member must satisfy regular expression pattern: (\$LATEST|[0-9]+)`
	weightValueConstr  = `Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`
	weightKeyConstr    = `Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]`
	weightsField       = "routingConfig.additionalVersionWeights"
	notFoundVersionMsg = "Function not found: " + badArn + "victim:9"
)

// versionsState is what a failed call on versions or aliases must leave as it was.
func versionsState(t *testing.T, c *lambda.Client, name string) string {
	t.Helper()
	ctx := context.Background()
	versions, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	aliases, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"function": serverState(t, c, name), "versions": versions.Versions, "aliases": aliases.Aliases})
	return string(b)
}

// TestVersionsBadInput sends bad input to the version and alias operations: each
// gets the AWS error (status, code, message) and changes nothing. Messages marked
// "AWS" are AWS's (from LocalStack's AWS-validated provider and public reports);
// the others follow AWS's validation pattern with the model's constraints.
func TestVersionsBadInput(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	const fn = "victim"
	created := createFn(t, c, fn, "echo", func(in *lambda.CreateFunctionInput) { in.Publish = true })
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn),
		Timeout: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	publishVersion(t, c, fn)
	live, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"),
		FunctionVersion: aws.String("1"), RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	before := versionsState(t, c, fn)

	createAlias := func(name, version string, weights map[string]float64) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String(name), FunctionVersion: aws.String(version)}
			if weights != nil {
				in.RoutingConfig = &types.AliasRoutingConfiguration{AdditionalVersionWeights: weights}
			}
			_, err := c.CreateAlias(ctx, in)
			return err
		})
	}
	updateAlias := func(name string, mod func(*lambda.UpdateAliasInput)) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String(name)}
			mod(in)
			_, err := c.UpdateAlias(ctx, in)
			return err
		})
	}
	publish := func(mod func(*lambda.PublishVersionInput)) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.PublishVersionInput{FunctionName: aws.String(fn)}
			mod(in)
			_, err := c.PublishVersion(ctx, in)
			return err
		})
	}
	long := strings.Repeat("a", 129)
	sha := aws.ToString(created.CodeSha256)
	cases := []badCase{
		{name: "publish/stale RevisionId", call: publish(func(in *lambda.PublishVersionInput) { in.RevisionId = aws.String(staleRevision) }), // AWS
			status: 412, code: "PreconditionFailedException", msg: revisionMsg},
		{name: "publish/other CodeSha256", call: publish(func(in *lambda.PublishVersionInput) { in.CodeSha256 = aws.String("abc") }), // AWS
			status: 400, code: "InvalidParameterValueException",
			msg: "CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST (" + sha + "). Please try again with the CodeSHA256 in $LATEST."},
		{name: "publish/long description", call: publish(func(in *lambda.PublishVersionInput) { in.Description = aws.String(strings.Repeat("d", 257)) }),
			status: 400, code: "ValidationException", msg: validation(strings.Repeat("d", 257), "description", "Member must have length less than or equal to 256")},
		{name: "publish/unknown function", call: sdkCall(func(ctx context.Context) error {
			_, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("nosuch")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuch"},
		{name: "versions/MaxItems 0", call: sdkCall(func(ctx context.Context) error {
			_, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn), MaxItems: aws.Int32(0)})
			return err
		}), status: 400, code: "ValidationException", msg: validation("0", "maxItems", "Member must have value greater than or equal to 1")},
		{name: "versions/bad marker", call: sdkCall(func(ctx context.Context) error {
			_, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn), Marker: aws.String("nope!")})
			return err
		}), status: 400, code: "InvalidParameterValueException", msg: "Invalid marker: nope!"},
		{name: "alias/numeric name", call: createAlias("123", "1", nil),
			status: 400, code: "ValidationException", msg: validation("123", "name", aliasNamePattern)},
		{name: "alias/name with space", call: createAlias("a b", "1", nil),
			status: 400, code: "ValidationException", msg: validation("a b", "name", aliasNamePattern)},
		{name: "alias/long name", call: createAlias(long, "1", nil),
			status: 400, code: "ValidationException", msg: validation(long, "name", "Member must have length less than or equal to 128")},
		{name: "alias/bad version", call: createAlias("x", "one", nil),
			status: 400, code: "ValidationException", msg: validation("one", "functionVersion", fnVersionPattern)},
		{name: "alias/missing version", call: createAlias("x", "9", nil), // AWS
			status: 404, code: "ResourceNotFoundException", msg: notFoundVersionMsg},
		{name: "alias/exists", call: createAlias("live", "1", nil), // AWS
			status: 409, code: "ResourceConflictException", msg: "Alias already exists: " + badArn + fn + ":live"},
		{name: "alias/$LATEST weighted", call: createAlias("x", "$LATEST", map[string]float64{"1": 0.5}), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "$LATEST is not supported for an alias pointing to more than 1 version"},
		{name: "alias/weight over 1", call: createAlias("x", "1", map[string]float64{"2": 1.5}), // AWS
			status: 400, code: "ValidationException", msg: validation("{2=1.5}", weightsField, weightValueConstr)},
		{name: "alias/negative weight", call: createAlias("x", "1", map[string]float64{"2": -1}),
			status: 400, code: "ValidationException", msg: validation("{2=-1.0}", weightsField, weightValueConstr)},
		{name: "alias/weight key not a version", call: createAlias("x", "1", map[string]float64{"two": 0.5}), // AWS
			status: 400, code: "ValidationException", msg: validation("{two=0.5}", weightsField, weightKeyConstr)},
		{name: "alias/two weights", call: createAlias("x", "1", map[string]float64{"2": 0.1, "3": 0.1}), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "Number of items in AdditionalVersionWeights cannot be greater than 1"},
		{name: "alias/weight on its own version", call: createAlias("x", "1", map[string]float64{"1": 0.5}), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "Invalid function version 1. Function version 1 is already included in routing configuration."},
		{name: "alias/weighted version missing", call: createAlias("x", "1", map[string]float64{"9": 0.5}), // AWS
			status: 404, code: "ResourceNotFoundException", msg: notFoundVersionMsg},
		{name: "alias/unknown function", call: sdkCall(func(ctx context.Context) error {
			_, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("nosuch"), Name: aws.String("x"), FunctionVersion: aws.String("1")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuch"},
		{name: "alias/no Name", call: rawCall(ts, "POST", "/2015-03-31/functions/"+fn+"/aliases", []byte(`{"FunctionVersion":"1"}`)),
			status: 400, code: "ValidationException", msg: notNull("name")},
		{name: "alias/weights not numbers", call: rawCall(ts, "POST", "/2015-03-31/functions/"+fn+"/aliases",
			[]byte(`{"Name":"x","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":"half"}}}`)),
			status: 400, code: "InvalidRequestContentException", prefix: "Could not parse request body into json"},
		{name: "getalias/missing", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("nosuch")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Cannot find alias arn: " + badArn + fn + ":nosuch"},
		{name: "getalias/numeric name", call: sdkCall(func(ctx context.Context) error {
			_, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("1")})
			return err
		}), status: 400, code: "ValidationException", msg: validation("1", "name", aliasNamePattern)},
		{name: "updatealias/stale RevisionId", call: updateAlias("live", func(in *lambda.UpdateAliasInput) { in.RevisionId = aws.String(staleRevision) }), // AWS
			status: 412, code: "PreconditionFailedException", msg: revisionMsg},
		{name: "updatealias/missing", call: updateAlias("nosuch", func(in *lambda.UpdateAliasInput) {}), // AWS (LocalStack PR 11878)
			status: 404, code: "ResourceNotFoundException", msg: "Alias not found: " + badArn + fn + ":nosuch"},
		{name: "updatealias/missing version", call: updateAlias("live", func(in *lambda.UpdateAliasInput) { in.FunctionVersion = aws.String("9") }),
			status: 404, code: "ResourceNotFoundException", msg: notFoundVersionMsg},
		{name: "updatealias/primary onto the weighted version", call: updateAlias("live", func(in *lambda.UpdateAliasInput) { in.FunctionVersion = aws.String("2") }),
			status: 400, code: "InvalidParameterValueException", msg: "Invalid function version 2. Function version 2 is already included in routing configuration."},
		{name: "updatealias/weighted onto $LATEST", call: updateAlias("live", func(in *lambda.UpdateAliasInput) { in.FunctionVersion = aws.String("$LATEST") }),
			status: 400, code: "InvalidParameterValueException", msg: "$LATEST is not supported for an alias pointing to more than 1 version"},
		{name: "deletealias/numeric name", call: sdkCall(func(ctx context.Context) error {
			_, err := c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String(fn), Name: aws.String("7")})
			return err
		}), status: 400, code: "ValidationException", msg: validation("7", "name", aliasNamePattern)},
		{name: "listaliases/bad FunctionVersion", call: sdkCall(func(ctx context.Context) error {
			_, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String(fn), FunctionVersion: aws.String("latest")})
			return err
		}), status: 400, code: "ValidationException", msg: validation("latest", "functionVersion", fnVersionPattern)},
		{name: "delete/version an alias uses", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("2")})
			return err
		}), status: 409, code: "ResourceConflictException", msg: "Unable to delete version because the following aliases reference it: [live]"},
		{name: "delete/$LATEST", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn + ":$LATEST")})
			return err
		}), status: 400, code: "InvalidParameterValueException", msg: "$LATEST version cannot be deleted without deleting the function."},
		{name: "delete/alias", call: sdkCall(func(ctx context.Context) error { // AWS (measured by floci, PR 2824)
			_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn + ":live")})
			return err
		}), status: 400, code: "InvalidParameterValueException", msg: "Deletion of aliases is not currently supported."},
		{name: "get/missing version", call: sdkCall(func(ctx context.Context) error { // AWS
			_, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("9")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: notFoundVersionMsg},
		{name: "invoke/missing alias", call: sdkCall(func(ctx context.Context) error {
			_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn + ":nosuch")})
			return err
		}), status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + fn + ":nosuch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.call(t)
			if got.status != tc.status || got.code != tc.code {
				t.Errorf("got %d %s, want %d %s (message %q)", got.status, got.code, tc.status, tc.code, clip(got.message))
			}
			switch {
			case tc.msg != "" && got.message != tc.msg:
				t.Errorf("message\n got %q\nwant %q", clip(got.message), clip(tc.msg))
			case !strings.HasPrefix(got.message, tc.prefix) || !strings.HasSuffix(got.message, tc.suffix):
				t.Errorf("message %q, want prefix %q and suffix %q", clip(got.message), tc.prefix, tc.suffix)
			}
			if after := versionsState(t, c, fn); after != before {
				t.Errorf("the failed call changed the server:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	// The alias still routes, at the revision it had.
	got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil || aws.ToString(got.RevisionId) != aws.ToString(live.RevisionId) {
		t.Errorf("alias after bad input: %+v %v", got, err)
	}
	invokeFn(t, c, fn+":live", `{}`)
}
