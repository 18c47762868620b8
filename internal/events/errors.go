package events

import (
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The error catalogue: codes, statuses and messages as EventBridge words them.

func errUnknownOperation(name string) *awsproto.Error {
	return &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Operation %s is not supported.", name)}
}

func errValidation(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: msg}
}

func errBusNotFound(name string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Event bus %s does not exist.", name)}
}

func errRuleNotFound(name, bus string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Rule %s does not exist on EventBus %s.", name, bus)}
}

func errBusExists(name string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceAlreadyExistsException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Event bus %s already exists.", name)}
}

func errResourceNotFound(msg string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusBadRequest, Message: msg}
}

var (
	errRuleHasTargets = errValidation("Rule can't be deleted since it has targets.")
	errNeedPattern    = errValidation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	errBadSchedule    = errValidation("Parameter ScheduleExpression is not valid.")
	errScheduleOnBus  = errValidation("ScheduleExpression is supported only on the default event bus.")
	errDeleteDefault  = errValidation("Cannot delete event bus default.")
	errBadNextToken   = errValidation("The NextToken provided is invalid.")
	errBadEvent       = errValidation("Parameter Event is not valid.")
)

// errPattern is what an event pattern that does not compile answers.
func errPattern(err error) *awsproto.Error {
	return &awsproto.Error{Code: "InvalidEventPatternException", Status: http.StatusBadRequest, Message: err.Error()}
}
