package lambda

import (
	"context"
	"fmt"
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
