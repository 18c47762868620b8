package registry

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Error is one of the distribution spec's error codes: what a client sees in the
// JSON body {"errors":[{"code","message","detail"}]} with Status. The catalogue
// below is the only place codes and statuses are chosen.
type Error struct {
	Code    string
	Message string
	Status  int
	// Detail is optional context for the client (the digest or name concerned).
	Detail string
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return "registry: " + e.Code + ": " + e.Message + ": " + e.Detail
	}
	return "registry: " + e.Code + ": " + e.Message
}

// Is makes errors.Is(err, ErrBlobUnknown) true for any *Error of that code, so
// that a copy carrying a Detail still matches its catalogue entry.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// with returns a copy of e carrying detail.
func (e *Error) with(detail string) *Error {
	c := *e
	c.Detail = detail
	return &c
}

// The catalogue: the distribution spec's codes (spec.md, "Error Codes"), plus
// TAG_INVALID, which ECR answers a push to an existing IMMUTABLE tag with.
var (
	ErrBlobUnknown         = &Error{Code: "BLOB_UNKNOWN", Message: "blob unknown to registry", Status: http.StatusNotFound}
	ErrBlobUploadInvalid   = &Error{Code: "BLOB_UPLOAD_INVALID", Message: "blob upload invalid", Status: http.StatusBadRequest}
	ErrBlobUploadUnknown   = &Error{Code: "BLOB_UPLOAD_UNKNOWN", Message: "blob upload unknown to registry", Status: http.StatusNotFound}
	ErrDigestInvalid       = &Error{Code: "DIGEST_INVALID", Message: "provided digest did not match uploaded content", Status: http.StatusBadRequest}
	ErrManifestBlobUnknown = &Error{Code: "MANIFEST_BLOB_UNKNOWN", Message: "manifest references a manifest or blob unknown to registry", Status: http.StatusBadRequest}
	ErrManifestInvalid     = &Error{Code: "MANIFEST_INVALID", Message: "manifest invalid", Status: http.StatusBadRequest}
	ErrManifestUnknown     = &Error{Code: "MANIFEST_UNKNOWN", Message: "manifest unknown to registry", Status: http.StatusNotFound}
	ErrNameInvalid         = &Error{Code: "NAME_INVALID", Message: "invalid repository name", Status: http.StatusBadRequest}
	ErrNameUnknown         = &Error{Code: "NAME_UNKNOWN", Message: "repository name not known to registry", Status: http.StatusNotFound}
	ErrSizeInvalid         = &Error{Code: "SIZE_INVALID", Message: "provided length did not match content length", Status: http.StatusBadRequest}
	ErrUnauthorized        = &Error{Code: "UNAUTHORIZED", Message: "authentication required", Status: http.StatusUnauthorized}
	ErrDenied              = &Error{Code: "DENIED", Message: "requested access to the resource is denied", Status: http.StatusForbidden}
	ErrUnsupported         = &Error{Code: "UNSUPPORTED", Message: "the operation is unsupported", Status: http.StatusMethodNotAllowed}
	ErrTagInvalid          = &Error{Code: "TAG_INVALID", Message: "manifest tag is invalid", Status: http.StatusBadRequest}
	// ErrRangeInvalid is the spec's 416 for a chunk that does not start where
	// the upload ends; the spec gives it no code of its own.
	ErrRangeInvalid = &Error{Code: "BLOB_UPLOAD_INVALID", Message: "requested range not satisfiable", Status: http.StatusRequestedRangeNotSatisfiable}
)

// Errors of the Go API, for the ECR service to map onto its own exceptions.
var (
	// ErrRepositoryNotFound: no repository of that name (ECR's RepositoryNotFoundException).
	ErrRepositoryNotFound = errors.New("registry: repository not found")
	// ErrRepositoryExists: CreateRepository of a name in use (RepositoryAlreadyExistsException).
	ErrRepositoryExists = errors.New("registry: repository already exists")
	// ErrRepositoryNotEmpty: DeleteRepository without force of a repository with images.
	ErrRepositoryNotEmpty = errors.New("registry: repository not empty")
	// ErrImageNotFound: no image with that digest or tag (ImageNotFoundException).
	ErrImageNotFound = errors.New("registry: image not found")
	// ErrImageTagAlreadyExists: a tag of an IMMUTABLE repository would move
	// (ImageTagAlreadyExistsException). It wraps ErrTagInvalid for the /v2/ side.
	ErrImageTagAlreadyExists = ErrTagInvalid.with("tag already exists in an immutable repository")
	// ErrInvalidParameter: a bad name, tag, digest or mutability value
	// (InvalidParameterException).
	ErrInvalidParameter = errors.New("registry: invalid parameter")
)

type errorBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

// writeError renders err as the spec's JSON error body. An error outside the
// catalogue is a 500 that names no internals (the server logs it instead).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: "UNKNOWN", Message: "internal server error", Status: http.StatusInternalServerError}
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Stratus ECR"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	json.NewEncoder(w).Encode(errorBody{Errors: []errorEntry{{Code: e.Code, Message: e.Message, Detail: e.Detail}}}) //nolint:errcheck // the client went away
}
