package dynamodb

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The DynamoDB error catalogue. DynamoDB qualifies each error's __type with
// the model that defines it: its own errors with com.amazonaws.dynamodb.v20120810,
// validation with com.amazon.coral.validate, protocol failures with
// com.amazon.coral.service. Item errors are in errors_items.go.

func errorNamespace(code string) string {
	switch code {
	case "ValidationException":
		return "com.amazon.coral.validate"
	case "SerializationException", "UnknownOperationException", "MissingAuthenticationTokenException",
		"InvalidSignatureException", "UnrecognizedClientException", "IncompleteSignatureException",
		"AccessDeniedException", "ServiceException", "InternalFailure":
		return "com.amazon.coral.service"
	}
	return "com.amazonaws.dynamodb.v20120810"
}

var (
	errUnknownOperation = &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusBadRequest}
	errSerialization    = &awsproto.Error{Code: "SerializationException", Status: http.StatusBadRequest,
		Message: "Start of structure or map found where not expected."}
)

// validation is a ValidationException with msg, DynamoDB's answer to most bad input.
func validation(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: msg}
}

// errTableNotFound is ResourceNotFoundException for an operation on a missing
// table (DynamoDB's message names the table since 2024).
func errTableNotFound(name string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: "Requested resource not found: Table: " + name + " not found"}
}

// fieldErrors collects the shape violations of one request, which DynamoDB
// reports together: "2 validation errors detected: Value ... at 'a' failed to
// satisfy constraint: ...; Value ... at 'b' ...".
type fieldErrors []string

// add records that value (nil for an absent member) at field broke constraint.
func (fe *fieldErrors) add(value any, field, constraint string) {
	v := "null"
	if value != nil {
		v = fmt.Sprintf("'%v'", value)
	}
	*fe = append(*fe, "Value "+v+" at '"+field+"' failed to satisfy constraint: "+constraint)
}

// err is the ValidationException of every violation, or nil.
func (fe fieldErrors) err() error {
	switch len(fe) {
	case 0:
		return nil
	case 1:
		return validation("1 validation error detected: " + fe[0])
	}
	return validation(fmt.Sprintf("%d validation errors detected: %s", len(fe), strings.Join(fe, "; ")))
}

// Constraint texts of DynamoDB's shape validator.
const (
	notNull     = "Member must not be null"
	namePattern = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
)

func minLen(n int) string {
	return fmt.Sprintf("Member must have length greater than or equal to %d", n)
}
func maxLen(n int) string { return fmt.Sprintf("Member must have length less than or equal to %d", n) }
func minValue(n int) string {
	return fmt.Sprintf("Member must have value greater than or equal to %d", n)
}
func maxValue(n int) string { return fmt.Sprintf("Member must have value less than or equal to %d", n) }
func enumSet(set string) string {
	return "Member must satisfy enum value set: " + set
}

// checkName adds the violations of a table or index name (3 to 255 of
// [a-zA-Z0-9_.-]) at field; an absent name is one too when required.
func (fe *fieldErrors) checkName(name *string, field string, required bool) {
	if name == nil {
		if required {
			fe.add(nil, field, notNull)
		}
		return
	}
	n := *name
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			fe.add(n, field, namePattern)
			break
		}
	}
	if len(n) < 3 {
		fe.add(n, field, minLen(3))
	}
	if len(n) > 255 {
		fe.add(n, field, maxLen(255))
	}
}

// invalid is a ValidationException with DynamoDB's "One or more parameter
// values were invalid: " prefix.
func invalid(format string, args ...any) *awsproto.Error {
	return validation("One or more parameter values were invalid: " + fmt.Sprintf(format, args...))
}

// Table, tag and stream errors. Messages are AWS's as quoted by tools and
// emulators that check them against AWS (moto's tests, dynalite's tests, the
// ack-api-quirks catalogue); those no source confirmed say so.
var (
	errDeletionProtected = validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	errNothingToUpdate   = validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required")
	errOneIndexAtATime   = &awsproto.Error{Code: "LimitExceededException", Status: http.StatusBadRequest,
		Message: "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"}
	errTableClass = validation("Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].")

	errTTLEnabled  = validation("TimeToLive is already enabled")
	errTTLDisabled = validation("TimeToLive is already disabled")

	errTagsTooMany = validation("Number of Tags exceed the current limit for the provided ResourceArn")
	errNoTags      = validation("Atleast one Tag needs to be provided as Input.")
	errNoTagKeys   = validation("Atleast one Tag Key needs to be provided as Input.")

	// The stream messages below were not confirmed against AWS: its API
	// reference names the errors, not their texts (the TrimmedDataAccess one
	// is the model's documentation of the error).
	errExpiredIterator = &awsproto.Error{Code: "ExpiredIteratorException", Status: http.StatusBadRequest,
		Message: "Shard iterator has expired"}
	errTrimmedData = &awsproto.Error{Code: "TrimmedDataAccessException", Status: http.StatusBadRequest,
		Message: "The data you are trying to access has been trimmed."}
	errBadIterator = validation("Invalid ShardIterator")
)

// errTableExists is CreateTable's answer for a name in use.
func errTableExists(name string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceInUseException", Status: http.StatusBadRequest,
		Message: "Table already exists: " + name}
}

// errResourceArnNotFound is the tag operations' answer for an ARN naming no
// table (AWS's message spells it "ResourcArn").
func errResourceArnNotFound(arn string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: "Requested resource not found: ResourcArn: " + arn + " not found"}
}

// errStreamNotFound is the Streams API's answer for an ARN naming no stream.
func errStreamNotFound(arn string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: "Requested resource not found: Stream: " + arn + " not found"}
}

// errShardNotFound: a shard id the stream lacks (message unconfirmed).
func errShardNotFound(arn, shard string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: "Requested resource not found: Shard: " + shard + " in Stream: " + arn + " not found"}
}

// errBackupsTableNotFound is the continuous backups operations' answer for a
// missing table (they answer TableNotFoundException; message unconfirmed).
func errBackupsTableNotFound(name string) *awsproto.Error {
	return &awsproto.Error{Code: "TableNotFoundException", Status: http.StatusBadRequest,
		Message: "Table not found: " + name}
}
