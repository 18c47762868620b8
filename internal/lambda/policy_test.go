package lambda

import (
	"context"
	"errors"
	"testing"
)

func TestPolicyArnLike(t *testing.T) {
	for _, tc := range []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket", true},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket2", false},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::Bucket", false}, // case-sensitive
		{"arn:aws:s3:::bucket-*", "arn:aws:s3:::bucket-logs", true},
		{"arn:aws:s3:::bucket-*", "arn:aws:s3:::bucket-", true},
		{"arn:aws:s3:::bucket-*", "arn:aws:s3:::other-logs", false},
		{"arn:aws:s3:::b?cket", "arn:aws:s3:::bucket", true},
		{"arn:aws:s3:::b?cket", "arn:aws:s3:::bcket", false},
		{"arn:aws:s3:::*", "arn:aws:s3:::a:b", true}, // the last part holds the rest, colons included
		{"arn:aws:sns:*:123456789012:topic", "arn:aws:sns:us-east-1:123456789012:topic", true},
		{"arn:aws:sns:*:123456789012:topic", "arn:aws:sns:us-east-1:210987654321:topic", false},
		{"arn:aws:sns:*:*:*", "arn:aws:sns:us-east-1:123456789012:topic", true},
		// A * stays within its part: it cannot stand for the colons between parts.
		{"arn:aws:*", "arn:aws:s3:::bucket", false},
		{"arn:aws:s3*:bucket", "arn:aws:s3:::bucket", false},
		{"arn:aws:execute-api:us-east-1:123456789012:api/*/GET/pets", "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets", true},
		{"arn:aws:execute-api:us-east-1:123456789012:api/*/GET/pets", "arn:aws:execute-api:us-east-1:123456789012:api/prod/POST/pets", false},
		{"arn:aws:s3:::bucket", "bucket", false},
	} {
		if got := arnLike(tc.pattern, tc.arn); got != tc.want {
			t.Errorf("arnLike(%q, %q) = %v, want %v", tc.pattern, tc.arn, got, tc.want)
		}
	}
}

func TestPolicyGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"*", "abc", true}, {"a*c", "abbbc", true},
		{"a*c", "abcd", false}, {"*b*", "abc", true}, {"a**", "a", true}, {"?", "", false},
		{"a*b*c", "axxbyyc", true}, {"a*b*c", "axxcyyb", false}, {"[a]", "a", false}, {"[a]", "[a]", true},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// TestPolicyAllows decides whether statements let a service invoke a function, as an
// S3 notification asks: principal, action, and the conditions on the source.
func TestPolicyAllows(t *testing.T) {
	const bucket = "arn:aws:s3:::uploads"
	s3 := func(mod func(*statement)) statement {
		st := statement{Sid: "s", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", Resource: "arn:aws:lambda:us-east-1:000000000000:function:f"}
		if mod != nil {
			mod(&st)
		}
		return st
	}
	fromS3 := accessRequest{action: "lambda:InvokeFunction", principal: "s3.amazonaws.com", sourceArn: bucket, sourceAccount: "123456789012"}
	for _, tc := range []struct {
		name  string
		stmts []statement
		req   accessRequest
		want  bool
	}{
		{"no statements", nil, fromS3, false},
		{"the service, no conditions", []statement{s3(nil)}, fromS3, true},
		{"another service", []statement{s3(func(st *statement) { st.Principal = "sns.amazonaws.com" })}, fromS3, false},
		{"any principal", []statement{s3(func(st *statement) { st.Principal = "*" })}, fromS3, true},
		{"an account is not the service", []statement{s3(func(st *statement) { st.Principal = "123456789012" })}, fromS3, false},
		{"an IAM ARN is not the service", []statement{s3(func(st *statement) { st.Principal = "arn:aws:iam::123456789012:root" })}, fromS3, false},
		{"lambda:*", []statement{s3(func(st *statement) { st.Action = "lambda:*" })}, fromS3, true},
		{"*", []statement{s3(func(st *statement) { st.Action = "*" })}, fromS3, true},
		{"action names ignore case", []statement{s3(func(st *statement) { st.Action = "lambda:invokefunction" })}, fromS3, true},
		{"another action", []statement{s3(func(st *statement) { st.Action = "lambda:GetFunction" })}, fromS3, false},
		{"InvokeFunctionUrl is not InvokeFunction", []statement{s3(func(st *statement) { st.Action = "lambda:InvokeFunctionUrl" })}, fromS3, false},
		{"SourceArn equal", []statement{s3(func(st *statement) { st.SourceArn = bucket })}, fromS3, true},
		{"SourceArn wildcard", []statement{s3(func(st *statement) { st.SourceArn = "arn:aws:s3:::up*" })}, fromS3, true},
		{"SourceArn wildcard, other bucket", []statement{s3(func(st *statement) { st.SourceArn = "arn:aws:s3:::logs-*" })}, fromS3, false},
		{"SourceArn not given by the caller", []statement{s3(func(st *statement) { st.SourceArn = bucket })},
			accessRequest{action: "lambda:InvokeFunction", principal: "s3.amazonaws.com"}, false},
		{"SourceAccount equal", []statement{s3(func(st *statement) { st.SourceAccount = "123456789012" })}, fromS3, true},
		{"SourceAccount other", []statement{s3(func(st *statement) { st.SourceAccount = "210987654321" })}, fromS3, false},
		{"SourceAccount not given by the caller", []statement{s3(func(st *statement) { st.SourceAccount = "123456789012" })},
			accessRequest{action: "lambda:InvokeFunction", principal: "s3.amazonaws.com", sourceArn: bucket}, false},
		{"both conditions hold", []statement{s3(func(st *statement) { st.SourceArn, st.SourceAccount = "arn:aws:s3:::*", "123456789012" })}, fromS3, true},
		{"one of two conditions fails", []statement{s3(func(st *statement) { st.SourceArn, st.SourceAccount = "arn:aws:s3:::*", "999999999999" })}, fromS3, false},
		{"organisation condition", []statement{s3(func(st *statement) { st.Principal, st.PrincipalOrgID = "*", "o-1234567890" })}, fromS3, false},
		{"event source token", []statement{s3(func(st *statement) { st.EventSourceToken = "amzn1.ask.skill.x" })}, fromS3, false},
		{"function URL auth type", []statement{s3(func(st *statement) { st.Principal, st.FunctionURLAuthType = "*", "NONE" })}, fromS3, false},
		{"invoked via function URL", []statement{s3(func(st *statement) { st.InvokedViaFunctionURL = true })}, fromS3, false},
		{"a later statement allows", []statement{s3(func(st *statement) { st.Principal = "sns.amazonaws.com" }), s3(nil)}, fromS3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := allows(tc.stmts, tc.req); got != tc.want {
				t.Errorf("allows = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPolicyPermits asks the cached policies of a function, its version and alias.
func TestPolicyPermits(t *testing.T) {
	s := resolveService()
	s.pcache = &policyCache{m: map[string]*policyEntry{}}
	arn := s.arn("us-east-1", "f")
	s3 := statement{Sid: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com", SourceArn: "arn:aws:s3:::uploads-*"}
	s.pcache.put(policyKey("us-east-1", "f", ""), policyRecord{Region: "us-east-1", Function: "f", Statements: []statement{s3}}, 1)
	s.pcache.put(policyKey("us-east-1", "f", "2"), policyRecord{Region: "us-east-1", Function: "f", Qualifier: "2", Statements: []statement{s3}}, 2)
	// A deleted policy leaves a tombstone that permits nothing.
	s.pcache.put(policyKey("us-east-1", "f", "live"), policyRecord{Region: "us-east-1", Function: "f", Qualifier: "live", Statements: []statement{s3}}, 3)
	s.pcache.del(policyKey("us-east-1", "f", "live"), 4)

	const bucket = "arn:aws:s3:::uploads-a"
	for _, tc := range []struct {
		name, fnArn, principal, source string
		want                           error
	}{
		{"function", arn, "s3.amazonaws.com", bucket, nil},
		{"$LATEST is the function's", arn + ":$LATEST", "s3.amazonaws.com", bucket, nil},
		{"version with its own policy", arn + ":2", "s3.amazonaws.com", bucket, nil},
		{"version without a policy", arn + ":1", "s3.amazonaws.com", bucket, ErrNotPermitted},
		{"alias whose policy was removed", arn + ":live", "s3.amazonaws.com", bucket, ErrNotPermitted},
		{"other principal", arn, "sns.amazonaws.com", bucket, ErrNotPermitted},
		{"other bucket", arn, "s3.amazonaws.com", "arn:aws:s3:::logs", ErrNotPermitted},
		{"missing version", arn + ":3", "s3.amazonaws.com", bucket, ErrFunctionNotFound},
		{"missing alias", arn + ":dev", "s3.amazonaws.com", bucket, ErrFunctionNotFound},
		{"missing function", s.arn("us-east-1", "g"), "s3.amazonaws.com", bucket, ErrFunctionNotFound},
		{"function of another region", s.arn("eu-west-1", "f"), "s3.amazonaws.com", bucket, ErrFunctionNotFound},
		{"another account", "arn:aws:lambda:us-east-1:111111111111:function:f", "s3.amazonaws.com", bucket, ErrFunctionNotFound},
		{"not a function ARN", "f", "s3.amazonaws.com", bucket, ErrFunctionNotFound},
		{"a layer ARN", "arn:aws:lambda:us-east-1:000000000000:layer:f:1", "s3.amazonaws.com", bucket, ErrFunctionNotFound},
		{"empty qualifier", arn + ":", "s3.amazonaws.com", bucket, ErrFunctionNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Permits(context.Background(), tc.fnArn, tc.principal, tc.source, "123456789012")
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Permits = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestPolicyRenderStatement pins how statements are rendered, in the shapes AWS answers
// with (LocalStack's AWS-recorded snapshots): field and condition order, the
// principal's forms, compact JSON without HTML escapes.
func TestPolicyRenderStatement(t *testing.T) {
	const res = "arn:aws:lambda:us-east-1:000000000000:function:f"
	for _, tc := range []struct {
		st   statement
		want string
	}{
		{statement{Sid: "a", Action: "lambda:InvokeFunction", Principal: "*", Resource: res},
			`{"Sid":"a","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + res + `"}`},
		{statement{Sid: "a", Action: "lambda:InvokeFunction", Principal: "123456789012", Resource: res},
			`{"Sid":"a","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"lambda:InvokeFunction","Resource":"` + res + `"}`},
		{statement{Sid: "a", Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com", Resource: res, SourceArn: "arn:aws:events:us-east-1:123456789012:rule/a&b"},
			`{"Sid":"a","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + res +
				`","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:events:us-east-1:123456789012:rule/a&b"}}}`},
		{statement{Sid: "a", Action: "lambda:InvokeFunction", Principal: "*", Resource: res, EventSourceToken: "amzn1.ask.skill.x"},
			`{"Sid":"a","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + res +
				`","Condition":{"StringEquals":{"lambda:EventSourceToken":"amzn1.ask.skill.x"}}}`},
		{statement{Sid: "a", Action: "lambda:InvokeFunction", Principal: "*", Resource: res, InvokedViaFunctionURL: true, FunctionURLAuthType: "AWS_IAM"},
			`{"Sid":"a","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + res +
				`","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"},"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}}`},
	} {
		if got := string(renderStatement(&tc.st)); got != tc.want {
			t.Errorf("\n got %s\nwant %s", got, tc.want)
		}
	}
	if got := string(renderPolicy([]statement{{Sid: "a", Action: "*", Principal: "*", Resource: res}})); got !=
		`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"*","Resource":"`+res+`"}]}` {
		t.Errorf("policy %s", got)
	}
}

func TestPolicyPrincipalForms(t *testing.T) {
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{"*", true}, {"123456789012", true}, {"12345678901", false}, {"1234567890123", false},
		{"arn:aws:iam::123456789012:role/r", true}, {"arn:aws-cn:iam::123456789012:user/u", true},
		{"s3.amazonaws.com", true}, {"states.amazonaws.com.cn", true}, {"alexa-appkit.amazon.com", true},
		{"somebody", false}, {"arn:aws:s3:::bucket", false},
	} {
		if _, ok := principalJSON(tc.p); ok != tc.ok {
			t.Errorf("principalJSON(%q) ok %v, want %v", tc.p, ok, tc.ok)
		}
	}
}
