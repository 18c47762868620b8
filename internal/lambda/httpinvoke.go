package lambda

import (
	"context"

	"github.com/stratus-run/stratus/internal/invoke"
)

// InvokeSync runs a function synchronously for an HTTP front door (API Gateway),
// as a RequestResponse Invoke would: function is a name or a (partial or full,
// possibly qualified) ARN; versions and aliases resolve as for Invoke. It returns
// the engine's result, or an *awsproto.Error when the function does not exist or
// the invocation could not run (TooManyRequestsException when throttled), or
// ctx's error when ctx ended first (the invocation then runs on to its end).
func (s *Service) InvokeSync(ctx context.Context, region, function string, payload []byte, traceID string) (*invoke.Result, error) {
	name, qualifier, err := s.parseFunctionRef(function, region, "functionName", 170)
	if err != nil {
		return nil, err
	}
	fn, invokedArn, err := s.resolveInvoke(region, name, qualifier)
	if err != nil {
		return nil, err
	}
	return s.Engine.Invoke(ctx, &invoke.Request{Function: fn, Payload: payload, InvokedArn: invokedArn, TraceID: traceID})
}
