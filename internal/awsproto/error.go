// Package awsproto holds what every AWS wire protocol shares: the error value that
// handlers return and the renderers that turn it into each protocol's error shape.
package awsproto

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS-shaped error: the code a client's SDK switches on, the message it
// shows, and the HTTP status. Handlers return it (wrapped or not); the protocol's
// renderer finds it with errors.As. Any other error renders as ServiceException and
// its text is never sent to the client.
type Error struct {
	Code    string // e.g. ResourceNotFoundException
	Message string
	Status  int  // HTTP status
	Server  bool // the service's fault ("Service"/"Receiver"), not the caller's ("User"/"Sender")

	// Reason and RetryAfterSeconds are set on throttling errors (Lambda's
	// TooManyRequestsException carries both).
	Reason            string
	RetryAfterSeconds int

	// Fields are further elements of the error body, in order, for protocols
	// whose errors carry them (S3's BucketName, Key, Condition, ArgumentName...).
	Fields []Field

	// Members are further members of an awsJson error body (DynamoDB's
	// CancellationReasons, or the Item of a failed condition check).
	Members map[string]any

	// QueryCode is the code in the query protocol when it differs from Code
	// (SQS's QueueDoesNotExist is AWS.SimpleQueueService.NonExistentQueue
	// there). An awsJson service that is query-compatible sends it in the
	// X-Amzn-Query-Error header, which SDKs prefer to the body's __type.
	QueryCode string
}

// Field is one extra element of an error body.
type Field struct{ Name, Value string }

// With returns a copy of e with fields appended, so a catalogue entry can be
// shared and still name the resource of one request.
func (e *Error) With(fields ...Field) *Error {
	c := *e
	c.Fields = append(append([]Field(nil), e.Fields...), fields...)
	return &c
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same code, so
// errors.Is(err, &Error{Code: "X"}) works without comparing messages.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// ServiceFailure is what an error that is not an *Error becomes on the wire.
var ServiceFailure = &Error{Code: "ServiceException", Message: "An internal error occurred.", Status: http.StatusInternalServerError, Server: true}

// As returns the *Error in err's chain, or ServiceFailure when there is none.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ServiceFailure
}

// Validation returns AWS's "1 validation error detected" ValidationException for one
// field, in the exact sentence AWS writes.
func Validation(value any, field, constraint string) *Error {
	return &Error{
		Code:    "ValidationException",
		Status:  http.StatusBadRequest,
		Message: fmt.Sprintf("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, field, constraint),
	}
}
