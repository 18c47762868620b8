package lambda

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// FunctionARN resolves the FunctionName of an event source mapping (a name,
// partial ARN or ARN, optionally with a version or alias) in region to the ARN
// the mapping stores and invokes: the unqualified function ARN, or the ARN with
// its qualifier. It reads only the in-memory caches.
//
// A malformed reference is the *awsproto.Error Lambda answers for it
// (ValidationException, or ResourceNotFoundException for another region). A
// function, version or alias that does not exist is an error wrapping both
// ErrFunctionNotFound and Lambda's ResourceNotFoundException "Function not
// found: <arn>".
func (s *Service) FunctionARN(ctx context.Context, region, ref string) (string, error) {
	name, qualifier, err := s.parseFunctionRef(ref, region, "functionName", 140)
	if err != nil {
		return "", err
	}
	e := s.lookup(region, name)
	if e == nil {
		return "", fmt.Errorf("%w: %w", ErrFunctionNotFound, functionNotFound(s.arn(region, name)))
	}
	if _, err := s.resolveTarget(e, qualifier); err != nil {
		return "", fmt.Errorf("%w: %w", ErrFunctionNotFound, err)
	}
	arn := s.arn(region, name)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn, nil
}

// FunctionTimeout is the timeout of the function a (possibly qualified)
// function ARN names, for the check AWS makes of an SQS mapping: the queue's
// visibility timeout must cover the function's.
func (s *Service) FunctionTimeout(ctx context.Context, arn string) (time.Duration, error) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 {
		return 0, functionNotFound(arn)
	}
	qualifier := ""
	if len(parts) > 7 {
		qualifier = parts[7]
	}
	e := s.lookup(parts[3], parts[6])
	if e == nil {
		return 0, functionNotFound(arn)
	}
	t, err := s.resolveTarget(e, qualifier)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.rec.Timeout) * time.Second, nil
}
