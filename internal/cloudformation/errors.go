package cloudformation

import (
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The error catalogue: CloudFormation's codes, in its words.

func validationError(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationError", Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func errStackNotFound(name string) *awsproto.Error {
	return validationError("Stack with id %s does not exist", name)
}

func errStackExists(name string) *awsproto.Error {
	return &awsproto.Error{Code: "AlreadyExistsException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Stack [%s] already exists", name)}
}

func errChangeSetExists(name string) *awsproto.Error {
	return &awsproto.Error{Code: "AlreadyExistsException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("ChangeSet %s already exists", name)}
}

func errChangeSetNotFound(name string) *awsproto.Error {
	return &awsproto.Error{Code: "ChangeSetNotFound", Status: http.StatusNotFound,
		Message: fmt.Sprintf("ChangeSet [%s] does not exist", name)}
}

func errChangeSetStatus(id, execution string) *awsproto.Error {
	return &awsproto.Error{Code: "InvalidChangeSetStatus", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("ChangeSet [%s] cannot be executed in its current execution status of [%s]", id, execution)}
}

func errCapabilities(caps []string) *awsproto.Error {
	return &awsproto.Error{Code: "InsufficientCapabilitiesException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Requires capabilities : %s", bracket(caps))}
}

func errNotUpdatable(id, status string) *awsproto.Error {
	return validationError("Stack:%s is in %s state and can not be updated.", id, status)
}

var errNoUpdates = validationError("No updates are to be performed.")

var errUnknownOperation = &awsproto.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
	Message: "The action or operation requested is invalid. Verify that the action is typed correctly."}

func missing(field string) *awsproto.Error {
	return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}
