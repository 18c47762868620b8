package lambda

import (
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The Lambda API's error catalogue. Messages that name a resource are built by the
// functions below; the rest are fixed.
var (
	errInvalidJSON = &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest,
		Message: "Could not parse request body into json: Could not parse payload into json"}
	errUnknownOperation = &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
		Message: "Unknown operation"}
	errMethodNotAllowed = &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusMethodNotAllowed,
		Message: "Unknown operation"}
	errRevisionMismatch = &awsproto.Error{Code: "PreconditionFailedException", Status: http.StatusPreconditionFailed,
		Message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
	errCannotUnzip   = invalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
	errNoCode        = invalidParameter("Please provide a source for function code.")
	errClientContext = &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest,
		Message: "Client context must be a valid Base64-encoded JSON object."}
)

// Fixed messages AWS gives for qualified ARNs where only the function will do.
var (
	errUnqualifiedOnly = invalidParameter("This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.")
	errTagsQualified   = invalidParameter("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	errNoTags          = invalidParameter("An error occurred and the request cannot be processed.")
)

// mustNotBeNull is the ValidationException for a required member left out; AWS
// writes the missing value as a bare null, unquoted.
func mustNotBeNull(field string) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest,
		Message: "1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null"}
}

// regionUnreachable is what Lambda answers for an ARN naming another region.
func regionUnreachable(from, region string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound,
		Message: "Functions from '" + from + "' are not reachable in this region ('" + region + "')"}
}

func invalidParameter(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "InvalidParameterValueException", Status: http.StatusBadRequest, Message: msg}
}

func functionNotFound(arn string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "Function not found: " + arn}
}

func functionExists(name string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict, Message: "Function already exist: " + name}
}

func requestTooLarge(limit int, op string) *awsproto.Error {
	return awsproto.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
		"Request must be smaller than %d bytes for the %s operation", limit, op)
}

func aliasExists(arn string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict, Message: "Alias already exists: " + arn}
}

func aliasNotFound(arn string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "Cannot find alias arn: " + arn}
}

// versionInUse is what Lambda answers when deleting a version that aliases use.
func versionInUse(aliases []string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict,
		Message: "Unable to delete version because the following aliases reference it: [" + strings.Join(aliases, ", ") + "]"}
}
