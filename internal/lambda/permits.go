package lambda

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The entry points of other services' event sources (S3 notifications first):
// Permits asks a function's resource policy whether a service may invoke it, and
// EnqueueEvent (async.go) queues the invocation. Callers declare their own small
// interface that *Service satisfies and test errors with errors.Is.

var (
	// ErrFunctionNotFound: the function, version or alias a function ARN names
	// does not exist (or the ARN names none of this account).
	ErrFunctionNotFound = errors.New("lambda: function not found")
	// ErrNotPermitted: the function's resource policy does not allow the call.
	ErrNotPermitted = errors.New("lambda: not permitted by the function's resource policy")
)

// Permits reports whether the resource policy of the function functionArn names
// (a full function ARN of this account, of any region, unqualified or with a
// version or alias; the policy is that qualifier's, an unqualified or $LATEST ARN
// the function's own) lets the service principal (such as "s3.amazonaws.com")
// invoke it for the resource sourceArn of account sourceAccount. It returns nil
// when an Allow statement for lambda:InvokeFunction (or lambda:*, or *) names
// that principal or "*" and its conditions hold: AWS:SourceArn matched as ArnLike
// does, AWS:SourceAccount equal. Conditions on keys such a call does not carry
// (aws:PrincipalOrgID, lambda:EventSourceToken, lambda:FunctionUrlAuthType,
// lambda:InvokedViaFunctionUrl) do not hold, as in IAM. Otherwise the error wraps
// ErrFunctionNotFound or ErrNotPermitted. It reads only the in-memory caches.
func (s *Service) Permits(ctx context.Context, functionArn, principal, sourceArn, sourceAccount string) error {
	region, name, qualifier, ok := s.functionARN(functionArn)
	if !ok {
		return fmt.Errorf("lambda: %q is not a function ARN of account %s: %w", functionArn, s.Account, ErrFunctionNotFound)
	}
	e := s.lookup(region, name)
	if e == nil {
		return fmt.Errorf("lambda: %s: %w", functionArn, ErrFunctionNotFound)
	}
	o, err := s.policyOwnerOf(e, qualifier)
	if err != nil {
		return fmt.Errorf("lambda: %s: %w", functionArn, ErrFunctionNotFound)
	}
	req := accessRequest{action: "lambda:InvokeFunction", principal: principal, sourceArn: sourceArn, sourceAccount: sourceAccount}
	if pe := s.pcache.get(o.key()); pe != nil && allows(pe.rec.Statements, req) {
		return nil
	}
	return fmt.Errorf("lambda: the resource policy of %s does not let %s invoke it (source %q, account %q): %w",
		functionArn, principal, sourceArn, sourceAccount, ErrNotPermitted)
}

// functionARN splits a full function ARN, arn:<partition>:lambda:<region>:
// <account>:function:<name>[:<qualifier>], of this server's account. It does not
// say whether the function exists.
func (s *Service) functionARN(arn string) (region, name, qualifier string, ok bool) {
	p := strings.Split(arn, ":")
	if len(p) < 7 || len(p) > 8 || p[0] != "arn" || !strings.HasPrefix(p[1], "aws") || p[2] != "lambda" ||
		p[3] == "" || p[4] != s.Account || p[5] != "function" || !plainName(p[6]) {
		return "", "", "", false
	}
	if len(p) == 8 {
		if qualifier = p[7]; qualifier != "$LATEST" && !qualifierName(qualifier) {
			return "", "", "", false
		}
	}
	return p[3], p[6], qualifier, true
}

// qualifierName reports whether q can name a version or an alias: 1–128 of
// [a-zA-Z0-9-_].
func qualifierName(q string) bool {
	if len(q) == 0 || len(q) > 128 {
		return false
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// accessRequest is one call a policy is asked about: who wants to do what, from
// which source.
type accessRequest struct {
	action, principal, sourceArn, sourceAccount string
}

// allows reports whether one of the statements allows req. Lambda's statements
// are all Allow, so there is no Deny to weigh. It decides from its arguments
// alone.
func allows(stmts []statement, req accessRequest) bool {
	for i := range stmts {
		if stmts[i].allows(req) {
			return true
		}
	}
	return false
}

func (st *statement) allows(req accessRequest) bool {
	switch {
	case !actionMatches(st.Action, req.action):
		return false
	case st.Principal != "*" && st.Principal != req.principal:
		return false
	case st.SourceArn != "" && (req.sourceArn == "" || !arnLike(st.SourceArn, req.sourceArn)):
		return false
	case st.SourceAccount != "" && st.SourceAccount != req.sourceAccount:
		return false
	case st.PrincipalOrgID != "" || st.EventSourceToken != "" || st.FunctionURLAuthType != "" || st.InvokedViaFunctionURL:
		return false // keys a service's call does not carry
	}
	return true
}

// actionMatches reports whether a statement's Action covers action. IAM compares
// action names without regard to case.
func actionMatches(stmt, action string) bool {
	return stmt == "*" || strings.EqualFold(stmt, "lambda:*") || strings.EqualFold(stmt, action)
}

// arnLike is IAM's ArnLike: each of the six colon-separated parts of the ARN (the
// last holds the rest, colons included) is matched case-sensitively against the
// pattern's, where * stands for any run of characters and ? for one.
func arnLike(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !globMatch(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// globMatch matches s against pattern, where * is any run of bytes and ? any one
// byte; nothing else is special. Linear-time backtracking over the last *.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
