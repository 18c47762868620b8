package lambda

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// function resolves a {FunctionName} path label (plus an optional Qualifier query
// parameter) to the cached function and the qualifier, or the error Lambda gives
// for a missing function. The qualifier is the caller's to resolve (resolveTarget).
func (s *Service) function(r *http.Request, ref string) (*entry, string, error) {
	region := awsproto.Info(r.Context()).Region
	name, qualifier, err := s.invokeRef(r, ref, region)
	if err != nil {
		return nil, "", err
	}
	e := s.lookup(region, name)
	if e == nil {
		return nil, "", functionNotFound(s.arn(region, name))
	}
	return e, qualifier, nil
}

// invokeRef reads a function reference (name, partial or full ARN, with or without
// a qualifier) and the Qualifier query parameter, which must agree with it.
func (s *Service) invokeRef(r *http.Request, ref, region string) (name, qualifier string, err error) {
	name, qualifier, err = s.parseFunctionRef(ref, region, "functionName", 170)
	if err != nil {
		return "", "", err
	}
	if r.URL.RawQuery != "" { // invokes rarely carry a query; skip parsing when none
		if q := r.URL.Query().Get("Qualifier"); q != "" {
			if len(q) > 128 || !reQualifier.MatchString(q) {
				return "", "", awsproto.Validation(q, "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)")
			}
			if qualifier != "" && qualifier != q {
				return "", "", invalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
			}
			qualifier = q
		}
	}
	return name, qualifier, nil
}

type getFunctionOutput struct {
	Configuration *functionConfiguration `json:"Configuration"`
	Code          codeLocation           `json:"Code"`
	Tags          map[string]string      `json:"Tags,omitempty"`
	Concurrency   *concurrencyOutput     `json:"Concurrency,omitempty"`
}

type codeLocation struct {
	RepositoryType   string `json:"RepositoryType"`
	Location         string `json:"Location,omitempty"`
	ImageURI         string `json:"ImageUri,omitempty"`
	ResolvedImageURI string `json:"ResolvedImageUri,omitempty"`
}

// getFunction is GetFunction. Tags and reserved concurrency belong to the function
// and are shown whichever version is read.
func (s *Service) getFunction(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	t, err := s.resolveTarget(e, q)
	if err != nil {
		return err
	}
	out := getFunctionOutput{
		Configuration: s.targetConfiguration(t, viewSettled),
		Code:          codeLocation{RepositoryType: "S3", Location: s.codeURL(r, t.rec.CodeDigest)},
		Tags:          e.rec.Tags,
	}
	if img := t.rec.Image; img != nil {
		out.Code = codeLocation{RepositoryType: "ECR", ImageURI: img.URI, ResolvedImageURI: img.Resolved}
	}
	if e.rec.Reserved != nil {
		out.Concurrency = &concurrencyOutput{ReservedConcurrentExecutions: e.rec.Reserved}
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// getFunctionConfiguration is GetFunctionConfiguration.
func (s *Service) getFunctionConfiguration(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	t, err := s.resolveTarget(e, q)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, s.targetConfiguration(t, viewSettled))
	return nil
}

type listFunctionsOutput struct {
	Functions  []*functionConfiguration `json:"Functions"`
	NextMarker *string                  `json:"NextMarker,omitempty"`
}

// listFunctions is ListFunctions: the region's functions by name, MaxItems at a
// time (default 50, at most 10,000), the opaque NextMarker continuing after the last.
func (s *Service) listFunctions(w http.ResponseWriter, r *http.Request, _ params) error {
	region := awsproto.Info(r.Context()).Region
	q := r.URL.Query()
	max := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest, Message: "Invalid MaxItems: " + v}
		}
		if n < 1 {
			return awsproto.Validation(n, "maxItems", "Member must have value greater than or equal to 1")
		}
		if n > 10000 {
			return awsproto.Validation(n, "maxItems", "Member must have value less than or equal to 10000")
		}
		max = n
	}
	all := false
	if v := q.Get("FunctionVersion"); v != "" {
		if v != "ALL" {
			return awsproto.Validation(v, "functionVersion", "Member must satisfy enum value set: [ALL]")
		}
		all = true
	}
	// The marker is the last item's function name and version number ($LATEST: 0).
	afterName, afterN := "", -1
	if m := q.Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || !strings.HasPrefix(string(b), "fn:") {
			return invalidParameter("Invalid marker: " + m)
		}
		afterName = string(b[3:])
		if name, n, ok := strings.Cut(afterName, "/"); ok {
			if afterN, err = strconv.Atoi(n); err != nil || afterN < 0 {
				return invalidParameter("Invalid marker: " + m)
			}
			afterName = name
		}
	}
	s.mu.RLock()
	var entries []*entry
	for _, e := range s.cache {
		if !e.deleted && e.rec.Region == region && e.rec.Name >= afterName {
			entries = append(entries, e)
		}
	}
	s.mu.RUnlock()
	sort.Slice(entries, func(i, j int) bool { return entries[i].rec.Name < entries[j].rec.Name })
	// With FunctionVersion=ALL, every version follows its function's $LATEST, all
	// with qualified ARNs.
	type item struct {
		t    target
		name string
		n    int
	}
	var items []item
	for _, e := range entries {
		if !all {
			if e.rec.Name > afterName {
				items = append(items, item{t: target{rec: &e.rec, version: "$LATEST"}, name: e.rec.Name})
			}
			continue
		}
		if e.rec.Name > afterName || afterN < 0 {
			items = append(items, item{t: target{rec: &e.rec, version: "$LATEST", arnQual: "$LATEST"}, name: e.rec.Name})
		}
		for _, ve := range s.publishedVersions(region, e.rec.Name) {
			if e.rec.Name > afterName || ve.rec.Version > afterN {
				items = append(items, item{t: versionTarget(ve), name: e.rec.Name, n: ve.rec.Version})
			}
		}
	}
	out := listFunctionsOutput{Functions: []*functionConfiguration{}}
	for i, it := range items {
		if i == max {
			last := items[i-1].name
			if all {
				last += "/" + strconv.Itoa(items[i-1].n)
			}
			m := base64.RawURLEncoding.EncodeToString([]byte("fn:" + last))
			out.NextMarker = &m
			break
		}
		c := s.targetConfiguration(it.t, viewSettled)
		// ListFunctions leaves out the state fields, as Lambda does.
		c.State, c.LastUpdateStatus = "", ""
		out.Functions = append(out.Functions, c)
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// codeURLTTL is how long a Code.Location URL works, as Lambda's presigned URLs do.
const codeURLTTL = 10 * time.Minute

// codeURL returns a signed URL from which the code package can be downloaded
// without credentials, on the address the client used.
func (s *Service) codeURL(r *http.Request, digest string) string {
	info := awsproto.Info(r.Context())
	exp := strconv.FormatInt(time.Now().Add(codeURLTTL).Unix(), 10)
	return info.Scheme + "://" + info.Host + CodePath + digest + "?Expires=" + exp + "&Signature=" + s.codeSig(digest, exp)
}

func (s *Service) codeSig(digest, exp string) string {
	m := hmac.New(sha256.New, s.URLKey)
	m.Write([]byte(digest + "\n" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// CodePath is where signed code downloads are served.
const CodePath = "/_stratus/lambda/code/"

// ServeCode answers a Code.Location download: the zip, if the URL's signature is
// valid and unexpired; S3's AccessDenied otherwise.
func (s *Service) ServeCode(w http.ResponseWriter, r *http.Request) {
	digest := strings.TrimPrefix(r.URL.Path, CodePath)
	q := r.URL.Query()
	exp, sig := q.Get("Expires"), q.Get("Signature")
	expAt, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.codeSig(digest, exp))) || time.Now().Unix() > expAt {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Error><Code>AccessDenied</Code><Message>Request has expired or the signature does not match</Message></Error>`)) //nolint:errcheck
		return
	}
	f, err := s.Blobs.Open(digest)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(w, r, "", st.ModTime(), f)
}
