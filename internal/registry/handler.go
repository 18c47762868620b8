package registry

import (
	"errors"
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/blob"
)

// Handles reports whether a request is the registry's: an unsigned request for
// a /v2/ path (no S3 bucket is named "v2", names being 3 characters or more),
// or any request to a registry host, {account}.dkr.ecr.{region}.localhost.
func (r *Registry) Handles(req *http.Request, signingName string) bool {
	if RegistryHost(req.Host) {
		return true
	}
	return signingName == "" && (req.URL.Path == "/v2" || strings.HasPrefix(req.URL.Path, "/v2/"))
}

// RegistryHost reports whether host (with or without a port) is an ECR
// registry host name: {account}.dkr.ecr.{region}.localhost.
func RegistryHost(host string) bool {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	// Every S3 request asks this before S3 takes it: the common answer
	// without a split (ToLower allocates only for a host with capitals).
	host = strings.ToLower(host)
	if !strings.Contains(host, ".dkr.ecr.") {
		return false
	}
	labels := strings.Split(host, ".")
	return len(labels) == 5 && labels[1] == "dkr" && labels[2] == "ecr" && labels[4] == "localhost" && labels[0] != "" && labels[3] != ""
}

// TakesUnsigned is true for every request: clients authenticate to a registry
// with Basic credentials, never SigV4, and the registry checks them itself.
func (r *Registry) TakesUnsigned(*http.Request) bool { return true }

// WriteError renders errors the edge finds (a SigV4 failure on a registry
// host) in the registry's format: the client is a registry client, so any
// such failure is UNAUTHORIZED.
func (r *Registry) WriteError(w http.ResponseWriter, req *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		err = ErrUnauthorized
	}
	writeError(w, req, err)
}

// route is one parsed /v2/ request path.
type route struct {
	kind string // "ping", "catalog", "tags", "manifest", "blob", "upload", "referrers"
	name string
	ref  string // tag or digest, blob digest, upload id
}

// parsePath splits a /v2/ path. The repository name may hold slashes, so the
// endpoint is recognized from the last segments.
func parsePath(p string) (route, bool) {
	if p == "/v2" || p == "/v2/" {
		return route{kind: "ping"}, true
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return route{}, false
	}
	if rest == "_catalog" {
		return route{kind: "catalog"}, true
	}
	s := strings.Split(rest, "/")
	n := len(s)
	join := func(k int) string { return strings.Join(s[:k], "/") }
	switch {
	case n >= 4 && s[n-3] == "blobs" && s[n-2] == "uploads":
		return route{kind: "upload", name: join(n - 3), ref: s[n-1]}, true
	case n >= 3 && s[n-2] == "blobs" && s[n-1] == "uploads":
		return route{kind: "upload", name: join(n - 2)}, true
	case n >= 3 && s[n-2] == "tags" && s[n-1] == "list":
		return route{kind: "tags", name: join(n - 2)}, true
	case n >= 3 && s[n-2] == "blobs":
		return route{kind: "blob", name: join(n - 2), ref: s[n-1]}, true
	case n >= 3 && s[n-2] == "manifests":
		return route{kind: "manifest", name: join(n - 2), ref: s[n-1]}, true
	case n >= 3 && s[n-2] == "referrers":
		return route{kind: "referrers", name: join(n - 2), ref: s[n-1]}, true
	}
	return route{}, false
}

// ServeHTTP is the /v2/ route table.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if err := r.authorize(req); err != nil {
		writeError(w, req, err)
		return
	}
	rt, ok := parsePath(req.URL.Path)
	if !ok {
		writeError(w, req, &Error{Code: "NOT_FOUND", Message: "no such endpoint", Status: http.StatusNotFound})
		return
	}
	if rt.kind != "ping" && rt.kind != "catalog" && !ValidName(rt.name) {
		writeError(w, req, ErrNameInvalid.with(rt.name))
		return
	}
	m := req.Method
	var err error
	switch {
	case rt.kind == "ping" && (m == http.MethodGet || m == http.MethodHead):
		w.Header().Set("Content-Type", "application/json")
		if m == http.MethodGet {
			w.Write([]byte("{}")) //nolint:errcheck
		}
	case rt.kind == "catalog" && m == http.MethodGet:
		err = r.serveCatalog(w, req)
	case rt.kind == "tags" && m == http.MethodGet:
		err = r.serveTags(w, req, rt.name)
	case rt.kind == "manifest" && (m == http.MethodGet || m == http.MethodHead):
		err = r.serveManifestGet(w, req, rt.name, rt.ref)
	case rt.kind == "manifest" && m == http.MethodPut:
		err = r.serveManifestPut(w, req, rt.name, rt.ref)
	case rt.kind == "manifest" && m == http.MethodDelete:
		err = r.serveManifestDelete(w, req, rt.name, rt.ref)
	case rt.kind == "blob" && (m == http.MethodGet || m == http.MethodHead):
		err = r.serveBlobGet(w, req, rt.name, rt.ref)
	case rt.kind == "blob" && m == http.MethodDelete:
		err = r.serveBlobDelete(w, req, rt.name, rt.ref)
	case rt.kind == "upload" && rt.ref == "" && m == http.MethodPost:
		err = r.serveUploadStart(w, req, rt.name)
	case rt.kind == "upload" && rt.ref != "" && m == http.MethodGet:
		err = r.serveUploadStatus(w, req, rt.name, rt.ref)
	case rt.kind == "upload" && rt.ref != "" && m == http.MethodPatch:
		err = r.serveUploadPatch(w, req, rt.name, rt.ref)
	case rt.kind == "upload" && rt.ref != "" && m == http.MethodPut:
		err = r.serveUploadPut(w, req, rt.name, rt.ref)
	case rt.kind == "upload" && rt.ref != "" && m == http.MethodDelete:
		err = r.serveUploadCancel(w, req, rt.name, rt.ref)
	case rt.kind == "referrers" && m == http.MethodGet:
		err = r.serveReferrers(w, req, rt.name, rt.ref)
	default:
		err = ErrUnsupported.with(m + " " + rt.kind)
	}
	if err != nil {
		r.fail(w, req, err)
	}
}

// fail maps the Go API's errors onto the spec's codes and renders them.
func (r *Registry) fail(w http.ResponseWriter, req *http.Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, ErrRepositoryNotFound):
		err = ErrNameUnknown
	case errors.Is(err, blob.ErrNotFound):
		err = ErrBlobUnknown
	default:
		r.Log.Error("registry request failed", "method", req.Method, "path", req.URL.Path, "err", err)
	}
	writeError(w, req, err)
}

// authorize applies the auth mode: anonymous allows all; otherwise Authorize
// decides, and without one every request is refused (until the ECR service
// issues tokens there is nothing a client could present).
func (r *Registry) authorize(req *http.Request) error {
	if r.Anonymous {
		return nil
	}
	if r.Authorize == nil {
		return ErrUnauthorized
	}
	if err := r.Authorize(req); err != nil {
		if errors.Is(err, ErrDenied) {
			return ErrDenied
		}
		return ErrUnauthorized
	}
	return nil
}
