package sns

import (
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The catalogue of SNS's errors, as its query API words them.
var (
	errTopicNotFound = &awsproto.Error{Code: "NotFound", Status: http.StatusNotFound, Message: "Topic does not exist"}
	errSubNotFound   = &awsproto.Error{Code: "NotFound", Status: http.StatusNotFound, Message: "Subscription does not exist"}
	errResourceGone  = &awsproto.Error{Code: "ResourceNotFound", Status: http.StatusNotFound, Message: "Resource does not exist"}
	errInvalidAction = &awsproto.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
		Message: "The action or operation requested is invalid. Verify that the action is typed correctly."}
	errEmptyBatch = &awsproto.Error{Code: "EmptyBatchRequest", Status: http.StatusBadRequest,
		Message: "The batch request doesn't contain any entries."}
	errTooManyEntries = &awsproto.Error{Code: "TooManyEntriesInBatchRequest", Status: http.StatusBadRequest,
		Message: "The batch request contains more entries than permissible."}
	errBatchTooLong = &awsproto.Error{Code: "BatchRequestTooLong", Status: http.StatusBadRequest,
		Message: "The length of all the messages put together is more than the limit."}
	errIDsNotDistinct = &awsproto.Error{Code: "BatchEntryIdsNotDistinct", Status: http.StatusBadRequest,
		Message: "Two or more batch entries in the request have the same Id."}
	errBadBatchID = &awsproto.Error{Code: "InvalidBatchEntryId", Status: http.StatusBadRequest,
		Message: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."}
	errTagLimit = &awsproto.Error{Code: "TagLimitExceeded", Status: http.StatusBadRequest,
		Message: "Could not complete request: tag quota of per resource exceeded"}
)

// invalidParameter is SNS's InvalidParameter: "Invalid parameter: " and what.
func invalidParameter(what string) *awsproto.Error {
	return &awsproto.Error{Code: "InvalidParameter", Status: http.StatusBadRequest, Message: "Invalid parameter: " + what}
}

// invalidParameterValue is SNS's InvalidParameterValue, used for message
// attributes.
func invalidParameterValue(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "InvalidParameterValue", Status: http.StatusBadRequest, Message: msg}
}

// missing is the query protocol's answer to a required member left out.
func missing(field string) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationError", Status: http.StatusBadRequest,
		Message: "1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null"}
}
