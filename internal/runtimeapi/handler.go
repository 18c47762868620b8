package runtimeapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Route table (base /2018-06-01):
//
//	GET  /runtime/invocation/next
//	POST /runtime/invocation/{id}/response
//	POST /runtime/invocation/{id}/error
//	POST /runtime/init/error
//	GET  /ping                              (health, as AWS's emulator offers)
type handler struct{ env Env }

const base = "/2018-06-01/runtime/"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/ping" && r.Method == http.MethodGet {
		w.Write([]byte("pong")) //nolint:errcheck
		return
	}
	rest, ok := strings.CutPrefix(p, base)
	if !ok {
		notFound(w)
		return
	}
	switch {
	case rest == "invocation/next":
		if r.Method != http.MethodGet {
			methodNotAllowed(w)
			return
		}
		h.next(w, r)
	case rest == "init/error":
		if r.Method != http.MethodPost {
			methodNotAllowed(w)
			return
		}
		h.initError(w, r)
	case strings.HasPrefix(rest, "invocation/"):
		id, verb, ok := strings.Cut(rest[len("invocation/"):], "/")
		if !ok || id == "" || strings.Contains(verb, "/") {
			notFound(w)
			return
		}
		if r.Method != http.MethodPost {
			methodNotAllowed(w)
			return
		}
		switch verb {
		case "response":
			h.response(w, r, id)
		case "error":
			h.invocationError(w, r, id)
		default:
			notFound(w)
		}
	default:
		notFound(w)
	}
}

// next is on the warm invoke path: it sets header map entries directly (the keys
// are already canonical) to skip per-call canonicalisation.
func (h *handler) next(w http.ResponseWriter, r *http.Request) {
	inv, err := h.env.Next(r.Context())
	if err != nil {
		switch {
		case errors.Is(err, ErrEnvGone):
			writeError(w, http.StatusGone, "EnvironmentGone", "The execution environment is shutting down")
		case errors.Is(err, ErrInvalidState):
			// A second /next while an invocation is out: no other event is handed
			// over until this one is answered.
			writeError(w, http.StatusForbidden, "InvalidStateTransition", "State transition from Running to Ready failed")
		}
		return // otherwise the runtime went away; nobody to answer
	}
	hd := w.Header()
	hd["Content-Type"] = []string{"application/json"}
	hd["Lambda-Runtime-Aws-Request-Id"] = []string{inv.RequestID}
	hd["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(inv.Deadline.UnixMilli(), 10)}
	hd["Lambda-Runtime-Invoked-Function-Arn"] = []string{inv.InvokedFunctionArn}
	hd["Lambda-Runtime-Trace-Id"] = []string{inv.TraceID}
	if inv.ClientContext != "" {
		hd["Lambda-Runtime-Client-Context"] = []string{inv.ClientContext}
	}
	if inv.CognitoIdentity != "" {
		hd["Lambda-Runtime-Cognito-Identity"] = []string{inv.CognitoIdentity}
	}
	hd["Content-Length"] = []string{strconv.Itoa(len(inv.Payload))}
	w.WriteHeader(http.StatusOK)
	w.Write(inv.Payload) //nolint:errcheck // a runtime that hung up gets the event again only by timeout
}

func (h *handler) response(w http.ResponseWriter, r *http.Request, id string) {
	body, tooLarge, err := readLimited(r.Body, MaxResponseBytes)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Could not read request body")
		return
	}
	if tooLarge {
		err := h.env.TooLarge(id)
		if err != nil {
			h.answer(w, err)
			return
		}
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			"Exceeded maximum allowed payload size ("+strconv.Itoa(MaxResponseBytes)+" bytes).")
		return
	}
	h.answer(w, h.env.Respond(id, body))
}

func (h *handler) invocationError(w http.ResponseWriter, r *http.Request, id string) {
	body, _, err := readLimited(r.Body, MaxErrorBytes)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Could not read request body")
		return
	}
	h.answer(w, h.env.Fail(id, FunctionError{Type: r.Header.Get("Lambda-Runtime-Function-Error-Type"), Body: body}))
}

func (h *handler) initError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readLimited(r.Body, MaxErrorBytes)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Could not read request body")
		return
	}
	h.answer(w, h.env.InitFail(FunctionError{Type: r.Header.Get("Lambda-Runtime-Function-Error-Type"), Body: body}))
}

var accepted = []byte(`{"status":"OK"}` + "\n")

func (h *handler) answer(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		hd := w.Header()
		hd["Content-Type"] = []string{"application/json"}
		w.WriteHeader(http.StatusAccepted)
		w.Write(accepted) //nolint:errcheck
	case errors.Is(err, ErrInvalidRequestID):
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
	case errors.Is(err, ErrInvalidState):
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "State transition from Ready to Responding failed")
	case errors.Is(err, ErrEnvGone):
		writeError(w, http.StatusGone, "EnvironmentGone", "The execution environment is shutting down")
	default:
		writeError(w, http.StatusInternalServerError, "ServiceException", "Internal error")
	}
}

// readLimited reads at most limit bytes; tooLarge reports that the body had more.
func readLimited(r io.Reader, limit int64) (b []byte, tooLarge bool, err error) {
	b, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > limit {
		return nil, true, nil
	}
	return b, false, nil
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"errorMessage":`+strconv.Quote(msg)+`,"errorType":`+strconv.Quote(typ)+"}\n") //nolint:errcheck
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "NotFound", "Not Found")
}

func methodNotAllowed(w http.ResponseWriter) {
	writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "Method Not Allowed")
}
