package logs

import (
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The CloudWatch Logs error catalogue. CloudWatch Logs answers every client error
// with HTTP 400, validation failures included (as InvalidParameterException).
var (
	errUnknownOperation = &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusBadRequest,
		Message: "The requested operation is not available on this endpoint."}
	errGroupNotFound = &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: "The specified log group does not exist."}
	errStreamNotFound = &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: "The specified log stream does not exist."}
	errGroupExists = &awsproto.Error{Code: "ResourceAlreadyExistsException", Status: http.StatusBadRequest,
		Message: "The specified log group already exists"}
	errStreamExists = &awsproto.Error{Code: "ResourceAlreadyExistsException", Status: http.StatusBadRequest,
		Message: "The specified log stream already exists"}
	errNameAndIdentifier = &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest,
		Message: "LogGroup name and LogGroup ARN are mutually exclusive parameters."}
	errPrefixAndPattern = invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	errNameTooLong      = invalidParameter("Invalid LogGroup or LogStream, both must have length less than or equal to 512.")
	errOutOfOrder       = invalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
	errSpan24h          = invalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	errBatchTooLarge    = invalidParameter("Upload too large: the batch of log events exceeds 1048576 bytes.")
	errBadToken         = invalidParameter("The specified nextToken is invalid.")
	errOrderByPrefix    = invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
	errNamesAndPrefix   = invalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	errBadPattern       = invalidParameter("Invalid filter pattern.")
)

func invalidParameter(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "InvalidParameterException", Status: http.StatusBadRequest, Message: msg}
}

// validation is AWS's "1 validation error detected" sentence, which CloudWatch Logs
// sends as an InvalidParameterException.
func validation(value any, field, constraint string) *awsproto.Error {
	return invalidParameter(fmt.Sprintf("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

// notNull is the validation error for a required member left out; AWS writes the
// value as a bare null.
func notNull(field string) *awsproto.Error {
	return invalidParameter("1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null")
}
