package scheduler

import (
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// Scheduler's error catalogue: restJson1, the code in X-Amzn-ErrorType.

var errInternal = &awsproto.Error{Code: "InternalServerException", Message: "Unexpected error occurred while processing the request.",
	Status: http.StatusInternalServerError, Server: true}

func errValidation(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

func errNotFound(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

func errConflict(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusConflict, "ConflictException", format, args...)
}

func errScheduleNotFound(g, name string) *awsproto.Error {
	return errNotFound("Schedule %s does not exist.", name)
}

func errGroupNotFound(g string) *awsproto.Error {
	return errNotFound("Schedule group %s does not exist.", g)
}

func errQuota(what string, limit int) *awsproto.Error {
	return awsproto.Errorf(http.StatusPaymentRequired, "ServiceQuotaExceededException", "%s", fmt.Sprintf("The maximum of %d %s has been reached.", limit, what))
}
