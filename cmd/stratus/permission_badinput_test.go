package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// policyState is everything a failed permission call could have changed: the
// policies of the function, its version and its alias, and their RevisionIds.
func policyState(t *testing.T, c *lambda.Client, name string) string {
	t.Helper()
	ctx := context.Background()
	st := map[string]string{
		"function": functionRevision(t, c, name, ""),
		"version":  functionRevision(t, c, name, "1"),
		"alias":    aliasRevision(t, c, name, "live"),
	}
	for _, q := range []string{"", "1", "live"} {
		in := &lambda.GetPolicyInput{FunctionName: aws.String(name)}
		if q != "" {
			in.Qualifier = aws.String(q)
		}
		out, err := c.GetPolicy(ctx, in)
		var ae smithy.APIError
		if errors.As(err, &ae) {
			st["policy "+q] = ae.ErrorCode() + ": " + ae.ErrorMessage()
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		st["policy "+q] = aws.ToString(out.Policy) + " " + aws.ToString(out.RevisionId)
	}
	b, _ := json.Marshal(st)
	return string(b)
}

// TestPermissionBadInput sends bad input to AddPermission, GetPolicy and
// RemovePermission: each gets its AWS error (status, code, message) and changes
// nothing. Messages marked "AWS" are AWS's as LocalStack's AWS-validated provider
// and snapshots record them (or, for PolicyLengthExceededException, as AWS's
// users report them); the validation messages follow AWS's pattern with the
// service model's constraints.
func TestPermissionBadInput(t *testing.T) {
	ts := startServer(t, "", permissionFlags...)
	c := ts.lambdaClient()
	const fn = "policy-victim"
	createPolicyFn(t, c, fn, true)
	addPermission(t, c, &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("s3"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com")})
	addPermission(t, c, &lambda.AddPermissionInput{FunctionName: aws.String(fn), Qualifier: aws.String("live"), StatementId: aws.String("s3"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com")})
	before := policyState(t, c, fn)

	add := func(mod func(*lambda.AddPermissionInput)) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.AddPermissionInput{FunctionName: aws.String(fn), StatementId: aws.String("new"),
				Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")}
			mod(in)
			_, err := c.AddPermission(ctx, in)
			return err
		})
	}
	remove := func(name, sid string, mod func(*lambda.RemovePermissionInput)) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.RemovePermissionInput{FunctionName: aws.String(name), StatementId: aws.String(sid)}
			mod(in)
			_, err := c.RemovePermission(ctx, in)
			return err
		})
	}
	get := func(name, qualifier string) func(t *testing.T) apiResult {
		return sdkCall(func(ctx context.Context) error {
			in := &lambda.GetPolicyInput{FunctionName: aws.String(name)}
			if qualifier != "" {
				in.Qualifier = aws.String(qualifier)
			}
			_, err := c.GetPolicy(ctx, in)
			return err
		})
	}
	noMod := func(*lambda.RemovePermissionInput) {}
	policyPath := "/2015-03-31/functions/" + fn + "/policy"
	hugeArn := "arn:aws:s3:::" + strings.Repeat("b", 20480)
	cases := []badCase{
		{name: "add/no StatementId", call: rawCall(ts, "POST", policyPath, []byte(`{"Action":"lambda:InvokeFunction","Principal":"*"}`)),
			status: 400, code: "ValidationException", msg: notNull("statementId")},
		{name: "add/no Action", call: rawCall(ts, "POST", policyPath, []byte(`{"StatementId":"x","Principal":"*"}`)),
			status: 400, code: "ValidationException", msg: notNull("action")},
		{name: "add/no Principal", call: rawCall(ts, "POST", policyPath, []byte(`{"StatementId":"x","Action":"lambda:InvokeFunction"}`)),
			status: 400, code: "ValidationException", msg: notNull("principal")},
		{name: "add/not JSON", call: rawCall(ts, "POST", policyPath, []byte(`{"StatementId":`)),
			status: 400, code: "InvalidRequestContentException", prefix: "Could not parse request body into json"},
		{name: "add/statement id with a dot", call: add(func(in *lambda.AddPermissionInput) { in.StatementId = aws.String("a.b") }),
			status: 400, code: "ValidationException", msg: validation("a.b", "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")},
		{name: "add/long statement id", call: add(func(in *lambda.AddPermissionInput) { in.StatementId = aws.String(strings.Repeat("s", 101)) }),
			status: 400, code: "ValidationException", msg: validation(strings.Repeat("s", 101), "statementId", "Member must have length less than or equal to 100")},
		{name: "add/action of another service", call: add(func(in *lambda.AddPermissionInput) { in.Action = aws.String("s3:GetObject") }),
			status: 400, code: "ValidationException", msg: validation("s3:GetObject", "action", "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")},
		{name: "add/principal with a space", call: add(func(in *lambda.AddPermissionInput) { in.Principal = aws.String("s3 amazonaws.com") }),
			status: 400, code: "ValidationException", msg: validation("s3 amazonaws.com", "principal", `Member must satisfy regular expression pattern: [^\s]+`)},
		{name: "add/not a principal", call: add(func(in *lambda.AddPermissionInput) { in.Principal = aws.String("somebody") }), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "The provided principal was invalid. Please check the principal and try again."},
		{name: "add/SourceArn not an ARN", call: add(func(in *lambda.AddPermissionInput) { in.SourceArn = aws.String("my-bucket") }),
			status: 400, code: "ValidationException", msg: validation("my-bucket", "sourceArn",
				`Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)`)},
		{name: "add/SourceAccount not an account", call: add(func(in *lambda.AddPermissionInput) { in.SourceAccount = aws.String("12345") }),
			status: 400, code: "ValidationException", msg: validation("12345", "sourceAccount", `Member must satisfy regular expression pattern: \d{12}`)},
		{name: "add/bad PrincipalOrgID", call: add(func(in *lambda.AddPermissionInput) { in.PrincipalOrgID = aws.String("o-ABCDEFGHIJ") }),
			status: 400, code: "ValidationException", msg: validation("o-ABCDEFGHIJ", "principalOrgID", "Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}")},
		{name: "add/bad EventSourceToken", call: add(func(in *lambda.AddPermissionInput) { in.EventSourceToken = aws.String("a/b") }),
			status: 400, code: "ValidationException", msg: validation("a/b", "eventSourceToken", `Member must satisfy regular expression pattern: [a-zA-Z0-9._\-]+`)},
		{name: "add/bad FunctionUrlAuthType", call: add(func(in *lambda.AddPermissionInput) { in.FunctionUrlAuthType = types.FunctionUrlAuthType("BASIC") }),
			status: 400, code: "ValidationException", msg: validation("BASIC", "functionUrlAuthType", "Member must satisfy enum value set: [NONE, AWS_IAM]")},
		{name: "add/$LATEST", call: add(func(in *lambda.AddPermissionInput) { in.Qualifier = aws.String("$LATEST") }), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "We currently do not support adding policies for $LATEST."},
		{name: "add/$LATEST in the name", call: add(func(in *lambda.AddPermissionInput) { in.FunctionName = aws.String(fn + ":$LATEST") }), // AWS
			status: 400, code: "InvalidParameterValueException", msg: "We currently do not support adding policies for $LATEST."},
		{name: "add/qualifiers disagree", call: add(func(in *lambda.AddPermissionInput) { // AWS
			in.FunctionName, in.Qualifier = aws.String(fn+":1"), aws.String("live")
		}), status: 400, code: "InvalidParameterValueException", msg: "The derived qualifier from the function name does not match the specified qualifier."},
		{name: "add/unknown function", call: add(func(in *lambda.AddPermissionInput) { in.FunctionName = aws.String("nosuch") }), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuch"},
		{name: "add/unknown version", call: add(func(in *lambda.AddPermissionInput) { in.Qualifier = aws.String("9") }), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + fn + ":9"},
		{name: "add/unknown alias", call: add(func(in *lambda.AddPermissionInput) { in.Qualifier = aws.String("nosuch") }), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Cannot find alias arn: " + badArn + fn + ":nosuch"},
		{name: "add/statement id taken", call: add(func(in *lambda.AddPermissionInput) { in.StatementId = aws.String("s3") }), // AWS
			status: 409, code: "ResourceConflictException",
			msg: "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement."},
		{name: "add/statement id taken on the alias", call: add(func(in *lambda.AddPermissionInput) {
			in.StatementId, in.Qualifier = aws.String("s3"), aws.String("live")
		}), // AWS
			status: 409, code: "ResourceConflictException",
			msg: "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement."},
		{name: "add/stale RevisionId", call: add(func(in *lambda.AddPermissionInput) { in.RevisionId = aws.String(staleRevision) }), // AWS
			status: 412, code: "PreconditionFailedException", msg: revisionMsg},
		{name: "add/policy over 20 KB", call: add(func(in *lambda.AddPermissionInput) { in.SourceArn = aws.String(hugeArn) }), // AWS (users' reports)
			status: 400, code: "PolicyLengthExceededException", prefix: "The final policy size (", suffix: ") is bigger than the limit (20480)."},
		{name: "get/unknown function", call: get("nosuch", ""), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Function not found: " + badArn + "nosuch"},
		{name: "get/version without a policy", call: get(fn, "1"), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "The resource you requested does not exist."},
		{name: "get/unknown alias", call: get(fn, "nosuch"),
			status: 404, code: "ResourceNotFoundException", msg: "The resource you requested does not exist."},
		{name: "get/bad qualifier", call: get(fn, "a.b"),
			status: 400, code: "ValidationException", msg: validation("a.b", "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")},
		{name: "remove/unknown function", call: remove("nosuch", "s3", noMod), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "No policy found for: " + badArn + "nosuch"},
		{name: "remove/no policy", call: remove(fn, "s3", func(in *lambda.RemovePermissionInput) { in.Qualifier = aws.String("1") }), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "No policy is associated with the given resource."},
		{name: "remove/unknown statement", call: remove(fn, "nosuch", noMod), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Statement nosuch is not found in resource policy."},
		{name: "remove/unknown alias", call: remove(fn, "s3", func(in *lambda.RemovePermissionInput) { in.Qualifier = aws.String("nosuch") }), // AWS
			status: 404, code: "ResourceNotFoundException", msg: "Cannot find alias arn: " + badArn + fn + ":nosuch"},
		{name: "remove/bad statement id", call: remove(fn, "a b", noMod),
			status: 400, code: "ValidationException", msg: validation("a b", "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)")},
		{name: "remove/long statement id", call: remove(fn, strings.Repeat("s", 101), noMod),
			status: 400, code: "ValidationException", msg: validation(strings.Repeat("s", 101), "statementId", "Member must have length less than or equal to 100")},
		{name: "remove/stale RevisionId", call: remove(fn, "s3", func(in *lambda.RemovePermissionInput) { in.RevisionId = aws.String(staleRevision) }), // AWS
			status: 412, code: "PreconditionFailedException", msg: revisionMsg},
		{name: "remove/wrong method", call: rawCall(ts, "PUT", policyPath+"/s3", nil),
			status: 405, code: "UnknownOperationException", msg: "Unknown operation"},
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
			if after := policyState(t, c, fn); after != before {
				t.Errorf("the failed call changed the server:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
