package dynamodb

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// The item operations' part of the catalogue. The messages are DynamoDB's,
// as dynalite's and moto's AWS-verified tests and the API reference word them;
// where one could not be confirmed the entry says so.

var (
	errKeySchema     = validation("The provided key element does not match the schema")
	errStartKey      = validation("The provided starting key is invalid: The provided key element does not match the schema")
	errItemSize      = validation("Item size has exceeded the maximum allowed size")
	errUpdateSize    = validation("Item size to update has exceeded the maximum allowed size")
	errPutReturn     = validation("ReturnValues can only be ALL_OLD or NONE")
	errGSIConsistent = validation("Consistent reads are not supported on global secondary indexes")
	errHashKeySize   = validation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	errRangeKeySize  = validation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	errBatchGetMany  = validation("Too many items requested for the BatchGetItem call")
	errBatchDup      = validation("Provided list of item keys contains duplicates")
	errTxDup         = validation("Transaction request cannot include multiple operations on one item")
	errKeyNotSupp    = validation("Query key condition not supported")
	errCondType      = validation("One or more parameter values were invalid: Condition parameter type does not match schema type")

	errConditionalCheck = &awsproto.Error{Code: "ConditionalCheckFailedException", Status: http.StatusBadRequest,
		Message: "The conditional request failed"}
	errDuplicateItem = &awsproto.Error{Code: "DuplicateItemException", Status: http.StatusBadRequest,
		Message: "Duplicate primary key exists in table"}
	// Message unconfirmed: DynamoDB's documentation names the error (a
	// ClientRequestToken reused with other parameters) but not its text.
	errIdempotentMismatch = &awsproto.Error{Code: "IdempotentParameterMismatchException", Status: http.StatusBadRequest,
		Message: "The request uses the same client token as a previous, but non-identical request."}
	// errResourceNotFound is what the item, batch and transaction operations answer for
	// a missing table: DynamoDB does not name it there.
	errResourceNotFound = &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: "Requested resource not found"}
)

// errConditionFailed is ConditionalCheckFailedException; with item (the
// current item, for ReturnValuesOnConditionCheckFailure ALL_OLD) it carries
// the member Item.
func errConditionFailed(item attr.Item) *awsproto.Error {
	if item == nil {
		return errConditionalCheck
	}
	e := *errConditionalCheck
	e.Members = map[string]any{"Item": item}
	return &e
}

// errIndexNotFound is DynamoDB's answer to an IndexName the table lacks.
func errIndexNotFound(index string) *awsproto.Error {
	return validation("The table does not have the specified index: " + index)
}

func errMissingKey(name string) *awsproto.Error {
	return validation("One or more parameter values were invalid: Missing the key " + name + " in the item")
}

func errKeyType(name string, want, got attr.Kind) *awsproto.Error {
	return validation(fmt.Sprintf("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, want, got))
}

func errIndexKeyType(name string, want, got attr.Kind, index string) *awsproto.Error {
	return validation(fmt.Sprintf("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", name, want, got, index))
}

// errEmptyKey refuses an empty S or B key value.
func errEmptyKey(name string, k attr.Kind) *awsproto.Error {
	return validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty " + emptyWhat(k) + " value. Key: " + name)
}

func errEmptyIndexKey(name string, k attr.Kind, index string) *awsproto.Error {
	return validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty " +
		emptyWhat(k) + " value. IndexName: " + index + ", IndexKey: " + name)
}

func emptyWhat(k attr.Kind) string {
	if k == attr.B {
		return "binary"
	}
	return "string"
}

func errUpdateKey(name string) *awsproto.Error {
	return validation("Cannot update attribute " + name + ". This attribute is part of the key")
}

func errMissedKeyElement(name string) *awsproto.Error {
	return validation("Query condition missed key schema element: " + name)
}

func errFilterOnKey(name string) *awsproto.Error {
	return validation("Filter Expression can only contain non-primary key attributes: Primary key attribute: " + name)
}

// errMixed refuses a request that mixes legacy and expression parameters.
func errMixed(legacy, expression []string) *awsproto.Error {
	return validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {" +
		strings.Join(legacy, ", ") + "} Expression parameters: {" + strings.Join(expression, ", ") + "}")
}

// errEnum is the "1 validation error" answer to a value outside an enum.
func errEnum(value, field string, set []string) *awsproto.Error {
	return awsproto.Validation(value, field, "Member must satisfy enum value set: ["+strings.Join(set, ", ")+"]")
}

// txReason is one CancellationReasons entry of TransactionCanceledException.
type txReason struct {
	Code    string    `json:"Code"`
	Message string    `json:"Message,omitempty"`
	Item    attr.Item `json:"Item,omitempty"`
}

// errTxCanceled is TransactionCanceledException with one reason per action.
// DynamoDB spells this error's message member "Message".
func errTxCanceled(reasons []txReason) *awsproto.Error {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.Code
	}
	msg := "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"
	return &awsproto.Error{Code: "TransactionCanceledException", Status: http.StatusBadRequest, Message: msg,
		Members: map[string]any{"CancellationReasons": reasons, "Message": msg}}
}
