package esm

import (
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The event source mapping API's error catalogue, rendered as Lambda renders
// its errors (REST-JSON). Where a message could not be confirmed against AWS's
// answers, the comment says where it came from.
var (
	errInvalidJSON = &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest,
		Message: "Could not parse request body into json: Could not parse payload into json"}
	errUnknownOperation = &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
		Message: "Unknown operation"}
	errMethodNotAllowed = &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusMethodNotAllowed,
		Message: "Unknown operation"}
	// errMappingNotFound is LocalStack's wording for a UUID that names no
	// mapping (its snapshot tests record it from AWS).
	errMappingNotFound = &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound,
		Message: "The resource you requested does not exist."}
	// errNoEventSource: a CreateEventSourceMapping without EventSourceArn (and
	// without the Kafka fields Stratus does not serve); LocalStack's wording.
	errNoEventSource = invalidParameter("Unrecognized event source.")
	// errStartingPositionNull is AWS's sentence for a stream mapping without
	// StartingPosition, as recorded by LocalStack: an
	// InvalidParameterValueException, ending in a full stop, unlike the model's
	// validation errors.
	errStartingPositionNull = invalidParameter("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.")
	errTimestampNotAt       = invalidParameter("Timestamp only valid with StartingPosition AT_TIMESTAMP")
	errInvalidFilter        = invalidParameter("Invalid filter pattern definition.")
	errOnSuccess            = invalidParameter("Unsupported DestinationConfig parameter for given event source mapping type.")
	// errTooManyFilters: Lambda allows five filters per mapping by default
	// ("Filtering events" in the Lambda guide); the sentence is Stratus's.
	errTooManyFilters = invalidParameter("The number of filters in FilterCriteria exceeds the limit of 5.")
	// errRecordAge: the model allows -1..604800, the service only -1 or
	// 60..604800 ("Lambda event source mappings"); the sentence is Stratus's.
	errRecordAge = invalidParameter("MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800.")
	// errMappingInUse: a mapping being deleted takes no update; AWS's
	// ResourceInUseException, wording unconfirmed.
	errMappingInUse = &awsproto.Error{Code: "ResourceInUseException", Status: http.StatusBadRequest,
		Message: "Cannot update the event source mapping because it is in use."}
)

// Queue mapping errors. errBatchNeedsWindow is AWS's sentence (reported from
// its answers in public issue threads); the FIFO ones are as other emulators
// word them, unconfirmed.
var (
	errBatchNeedsWindow = invalidParameter("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
	errFIFOWindow       = invalidParameter("Batching window is not supported for FIFO queues")
	errFIFOBatch        = invalidParameter("Batch size must not exceed 10 for FIFO queues")
	errQueuePosition    = invalidParameter("StartingPosition is not valid for SQS event sources.")
)

// unsupportedParameter: a stream member given for a queue mapping, in the
// sentence Lambda uses for DestinationConfig on such mappings.
func unsupportedParameter(name string) *awsproto.Error {
	return invalidParameter("Unsupported " + name + " parameter for given event source mapping type.")
}

// queueNotFound is Lambda's answer for a queue ARN naming no queue: the error
// of its own ReceiveMessage, as recorded from AWS.
func queueNotFound() *awsproto.Error {
	return invalidParameter("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist for this wsdl version.")
}

func invalidParameter(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "InvalidParameterValueException", Status: http.StatusBadRequest, Message: msg}
}

// streamNotFound is what Lambda answers for a stream ARN naming no stream.
func streamNotFound(arn string) *awsproto.Error {
	return invalidParameter("Stream not found: " + arn)
}

// unsupportedPosition: AT_TIMESTAMP on a DynamoDB stream.
func unsupportedPosition(arn string) *awsproto.Error {
	return invalidParameter("Unsupported starting position for arn type: " + arn)
}

// sourceNotServed: an event source of a service Stratus does not poll (yet).
// The sentence is Stratus's.
func sourceNotServed(service, arn string) *awsproto.Error {
	return invalidParameter("Stratus does not poll " + service + " event sources yet: " + arn)
}

// destinationNotServed: an on-failure destination of a kind Stratus cannot
// deliver to yet. The sentence is Stratus's.
func destinationNotServed(arn string) *awsproto.Error {
	return invalidParameter("Stratus can send failed batches only to a Lambda function, an SQS queue or an SNS topic, not to " + arn)
}

// mappingExists is AWS's answer to a second mapping of one stream to one
// function, as LocalStack's snapshot of it records.
func mappingExists(sourceArn, function, uuid string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict,
		Message: `The event source arn (" ` + sourceArn + ` ") and function (" ` + function +
			` ") provided mapping already exists. Please update or delete the existing mapping with UUID ` + uuid}
}
