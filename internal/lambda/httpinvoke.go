package lambda

import (
	"context"
	"strings"

	"github.com/stratus-run/stratus/internal/invoke"
)

// InvokeSync runs a function synchronously for an HTTP front door (API Gateway),
// as a RequestResponse Invoke would: function is a name or a (partial or full,
// possibly qualified) ARN; versions and aliases resolve as for Invoke. It returns
// the engine's result, or an *awsproto.Error when the function does not exist, the
// event passes Lambda's 6 MB (RequestEntityTooLargeException) or the invocation
// could not run (TooManyRequestsException when throttled), or
// ctx's error when ctx ended first (the invocation then runs on to its end).
func (s *Service) InvokeSync(ctx context.Context, region, function string, payload []byte, traceID string) (*invoke.Result, error) {
	name, qualifier, ok := s.plainARN(function, region)
	if !ok {
		var err error
		if name, qualifier, err = s.parseFunctionRef(function, region, "functionName", 170); err != nil {
			return nil, err
		}
	}
	fn, invokedArn, err := s.resolveInvoke(region, name, qualifier)
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxSyncPayload {
		return nil, requestTooLarge(MaxSyncPayload, "InvokeFunction")
	}
	return s.Engine.Invoke(ctx, &invoke.Request{Function: fn, Payload: payload, InvokedArn: invokedArn, TraceID: traceID})
}

// plainARN reads the common form of an integration's function, a full ARN of this
// account and region with a plain name and optional plain qualifier, without the
// regular expression parseFunctionRef needs for every other form: it is on the
// API Gateway hot path.
func (s *Service) plainARN(ref, region string) (name, qualifier string, ok bool) {
	rest, found := strings.CutPrefix(ref, "arn:aws:lambda:")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, ":")
	if (len(parts) != 4 && len(parts) != 5) || parts[0] != region || parts[1] != s.Account || parts[2] != "function" || !plainName(parts[3]) {
		return "", "", false
	}
	if len(parts) == 5 {
		q := parts[4]
		if q != "$LATEST" && !plainName(q) { // longer aliases take the regular expression
			return "", "", false
		}
		qualifier = q
	}
	return parts[3], qualifier, true
}
