package awsproto

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// The awsJson 1.0 and 1.1 protocols (DynamoDB, SQS, CloudWatch Logs, ECS, ECR): every
// operation is a POST to "/", named by X-Amz-Target ("<Prefix>.<Operation>"), with a
// JSON body in and out.

// Content types of the two awsJson versions.
const (
	AWSJSON10 = "application/x-amz-json-1.0"
	AWSJSON11 = "application/x-amz-json-1.1"
)

// MaxAWSJSONBody bounds what ReadAWSJSON reads of a request body.
const MaxAWSJSONBody = 8 << 20

// Target returns the operation named by r's X-Amz-Target when it starts with
// prefix (e.g. "Logs_20140328."), and false otherwise.
func Target(r *http.Request, prefix string) (string, bool) {
	t := r.Header.Get("X-Amz-Target")
	if !strings.HasPrefix(t, prefix) {
		return "", false
	}
	return t[len(prefix):], true
}

// errSerialization is what awsJson services answer for a body that is not JSON of
// the operation's input shape.
var errSerialization = &Error{Code: "SerializationException", Status: http.StatusBadRequest,
	Message: "Unable to parse the request body as JSON."}

// ReadAWSJSON decodes r's body into v. An empty body is an empty object. A body
// that is not JSON of v's shape, or larger than MaxAWSJSONBody, gives a
// SerializationException.
func ReadAWSJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxAWSJSONBody+1))
	if err != nil || len(b) > MaxAWSJSONBody {
		return errSerialization
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errSerialization
	}
	return nil
}

// WriteAWSJSON writes v as a 200 response of the given awsJson content type.
func WriteAWSJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteAWSJSONError(w, contentType, err)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	w.Write(b) //nolint:errcheck // the client went away
}

// WriteAWSJSONError renders err as the awsJson protocols do: the status,
// X-Amzn-ErrorType with the code, and {"__type": code, "message": message}. Errors
// that are not an *Error render as ServiceException and leak nothing.
func WriteAWSJSONError(w http.ResponseWriter, contentType string, err error) {
	WriteAWSJSONErrorNS(w, contentType, "", err)
}

// WriteAWSJSONErrorNS is WriteAWSJSONError with __type qualified by namespace
// (see EncodeAWSJSONError). An error with a QueryCode also gets the
// X-Amzn-Query-Error header ("code;Sender" or "code;Receiver") that
// query-compatible services (SQS) send.
func WriteAWSJSONErrorNS(w http.ResponseWriter, contentType, namespace string, err error) {
	e, b := EncodeAWSJSONError(namespace, err)
	h := w.Header()
	if e.QueryCode != "" {
		h["X-Amzn-Query-Error"] = []string{e.QueryCode + ";" + e.Fault()}
	}
	h["X-Amzn-Errortype"] = []string{e.Code}
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck
}

// EncodeAWSJSONError returns err's *Error (ServiceFailure for any other error)
// and its awsJson body: {"__type": code, "message": message} and e.Members
// (a member "Message" replaces "message").
// A namespace ("com.amazonaws.dynamodb.v20120810") qualifies __type as
// namespace#code, as services of that model answer it.
func EncodeAWSJSONError(namespace string, err error) (*Error, []byte) {
	e := As(err)
	typ := e.Code
	if namespace != "" {
		typ = namespace + "#" + e.Code
	}
	if len(e.Members) == 0 {
		b, _ := json.Marshal(struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}{typ, e.Message})
		return e, b
	}
	m := make(map[string]any, len(e.Members)+2)
	for k, v := range e.Members {
		m[k] = v
	}
	m["__type"] = typ
	if _, ok := m["Message"]; !ok { // some errors spell it so (DynamoDB's TransactionCanceledException)
		m["message"] = e.Message
	}
	b, _ := json.Marshal(m)
	return e, b
}

// JSONOperation is one awsJson operation of a service S whose operations all
// decode into one input type In.
type JSONOperation[S, In any] func(s S, ctx context.Context, r *http.Request, in *In) (any, error)

// ServeJSON answers one awsJson request to s: the operation X-Amz-Target names
// after prefix, its body decoded into a fresh In, its output or error written
// in contentType. A request naming no operation of ops (or not a POST) gets
// unknown. Errors that are not *Error are logged under service, since they are
// the server's faults rather than the caller's.
func ServeJSON[S, In any](w http.ResponseWriter, r *http.Request, s S, prefix, contentType string,
	ops map[string]JSONOperation[S, In], unknown error, log *slog.Logger, service string) {
	op, ok := Target(r, prefix)
	h := ops[op]
	if !ok || h == nil || r.Method != http.MethodPost {
		WriteAWSJSONError(w, contentType, unknown)
		return
	}
	var in In
	if err := ReadAWSJSON(r, &in); err != nil {
		WriteAWSJSONError(w, contentType, err)
		return
	}
	out, err := h(s, r.Context(), r, &in)
	if err != nil {
		var ae *Error
		if !errors.As(err, &ae) && log != nil {
			log.Error(service+": "+op, "err", err)
		}
		WriteAWSJSONError(w, contentType, err)
		return
	}
	WriteAWSJSON(w, contentType, out)
}
