package awsproto

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteRESTJSONError(w, err)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away
}

// WriteRESTJSONError renders err as the REST-JSON protocols (Lambda, API Gateway)
// do: the status, X-Amzn-ErrorType with the code, and a JSON body with the fault
// side and the message. Errors that are not an *Error render as ServiceException.
func WriteRESTJSONError(w http.ResponseWriter, err error) {
	e := As(err)
	body := struct {
		Type              string `json:"Type"`
		Message           string `json:"Message"`
		Reason            string `json:"Reason,omitempty"`
		RetryAfterSeconds string `json:"retryAfterSeconds,omitempty"`
	}{Type: "User", Message: e.Message, Reason: e.Reason}
	if e.Server {
		body.Type = "Service"
	}
	h := w.Header()
	if e.RetryAfterSeconds > 0 {
		body.RetryAfterSeconds = strconv.Itoa(e.RetryAfterSeconds)
		h.Set("Retry-After", body.RetryAfterSeconds)
	}
	b, _ := json.Marshal(body)
	h["X-Amzn-Errortype"] = []string{e.Code}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck
}
