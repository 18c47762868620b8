package proxyevent

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Refusal is an answer of the front door itself rather than of the function: a
// status and a one-field JSON body, {"message": ...} from API Gateway and
// {"Message": ...} from function URLs, with x-amzn-ErrorType when AWS sends one.
type Refusal struct {
	Status  int
	Field   string // "message" or "Message"
	Message string
	Code    string // x-amzn-ErrorType, or ""
}

// Write sends the refusal.
func (f Refusal) Write(w http.ResponseWriter) {
	b, _ := json.Marshal(map[string]string{f.Field: f.Message})
	h := w.Header()
	if f.Code != "" {
		h["X-Amzn-Errortype"] = []string{f.Code}
	}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(f.Status)
	w.Write(b) //nolint:errcheck // the client went away
}
