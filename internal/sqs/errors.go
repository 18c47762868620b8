package sqs

import (
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The SQS error catalogue. Code is the JSON protocol's shape name (the
// __type after com.amazonaws.sqs#); QueryCode is the query protocol's code,
// which SQS also sends in X-Amzn-Query-Error and SDKs prefer.

const namespace = "com.amazonaws.sqs"

func sqsErr(code, query, msg string) *awsproto.Error {
	return &awsproto.Error{Code: code, QueryCode: query, Status: http.StatusBadRequest, Message: msg}
}

// queryNotFoundMessage is how the query protocol words QueueDoesNotExist.
const queryNotFoundMessage = "The specified queue does not exist for this wsdl version."

var (
	errQueueDoesNotExist = sqsErr("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
	errUnknownOperation  = sqsErr("UnknownOperationException", "InvalidAction", "The action or operation requested is invalid. Verify that the action is typed correctly.")
	errEmptyBatch        = sqsErr("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.")
	errIdsNotDistinct    = sqsErr("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id  repeated.")
	errInvalidBatchID    = sqsErr("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
	errInvalidChars      = sqsErr("InvalidMessageContents", "InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
)

func invalidParameter(msg string) *awsproto.Error {
	return sqsErr("InvalidParameterValueException", "InvalidParameterValue", msg)
}

func missingParameter(name string) *awsproto.Error {
	return sqsErr("MissingRequiredParameterException", "MissingParameter", "The request must contain the parameter "+name+".")
}

func invalidAttributeName(msg string) *awsproto.Error {
	return sqsErr("InvalidAttributeName", "InvalidAttributeName", msg)
}

func invalidAttributeValue(name string) *awsproto.Error {
	return sqsErr("InvalidAttributeValue", "InvalidAttributeValue", "Invalid value for the parameter "+name+".")
}

func queueExists(attr string) *awsproto.Error {
	return sqsErr("QueueNameExists", "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute "+attr)
}

func receiptInvalid(h string) *awsproto.Error {
	return sqsErr("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", `The input receipt handle "`+h+`" is not a valid receipt handle.`)
}

func tooManyEntries(n int) *awsproto.Error {
	return sqsErr("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
		"Maximum number of entries per request are 10. You have sent "+itoa(n)+".")
}

func purgeInProgress(name string) *awsproto.Error {
	e := sqsErr("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
		"Only one PurgeQueue operation on "+name+" is allowed every 60 seconds.")
	e.Status = http.StatusForbidden
	return e
}

func batchTooLong(n int) *awsproto.Error {
	return sqsErr("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
		"Batch requests cannot be longer than the queue's maximum message size. You have sent "+itoa(n)+" bytes.")
}

func resourceNotFound(msg string) *awsproto.Error {
	return sqsErr("ResourceNotFoundException", "ResourceNotFoundException", msg)
}

func overLimit(msg string) *awsproto.Error {
	e := sqsErr("OverLimit", "OverLimit", msg)
	e.Status = http.StatusForbidden
	return e
}
