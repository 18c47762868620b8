package apigw

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/proxyevent"
)

// The management APIs' errors, as API Gateway names them. Both API versions send
// {"message": "..."} with the code in X-Amzn-ErrorType.
func badRequest(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Code: "BadRequestException", Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Code: "NotFoundException", Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Code: "ConflictException", Status: http.StatusConflict, Message: fmt.Sprintf(format, args...)}
}

var (
	errUnknownOperation = &awsproto.Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
		Message: "The requested operation is not available."}
	errMethodNotAllowed = &awsproto.Error{Code: "MethodNotAllowedException", Status: http.StatusMethodNotAllowed,
		Message: "The requested method is not allowed for this resource."}
	errBody = badRequest("Invalid request body")
	// errBusy is returned when a record kept changing under a write.
	errBusy = &awsproto.Error{Code: "TooManyRequestsException", Status: http.StatusTooManyRequests,
		Message: "Too Many Requests"}
)

// writeError renders err as API Gateway's management APIs do. Errors that are not
// *awsproto.Error render as an internal failure and leak nothing.
func writeError(w http.ResponseWriter, err error) {
	e := awsproto.As(err)
	b, _ := json.Marshal(map[string]string{"message": e.Message})
	h := w.Header()
	h["X-Amzn-Errortype"] = []string{e.Code}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away
}

// The data plane's own answers, in API Gateway's {"message": ...} shape.
var (
	gwNotFound     = gw(http.StatusNotFound, "Not Found", "")
	gwMissingToken = gw(http.StatusForbidden, "Missing Authentication Token", "MissingAuthenticationTokenException")
	gwInternalHTTP = gw(http.StatusInternalServerError, "Internal Server Error", "")
	gwBadGatewayV2 = gw(http.StatusBadGateway, "Internal Server Error", "")
	gwBadGatewayV1 = gw(http.StatusBadGateway, "Internal server error", "")
	gwInternalREST = gw(http.StatusInternalServerError, "Internal server error", "")
	gwUnavailable  = gw(http.StatusServiceUnavailable, "Service Unavailable", "")
	gwTimeout      = gw(http.StatusGatewayTimeout, "Endpoint request timed out", "")
	gwTooLarge     = gw(http.StatusRequestEntityTooLarge, "Request Entity Too Large", "")
)

type gatewayError = proxyevent.Refusal

func gw(status int, message, code string) gatewayError {
	return gatewayError{Status: status, Field: "message", Message: message, Code: code}
}
