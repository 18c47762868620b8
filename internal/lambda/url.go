package lambda

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/proxyevent"
	"github.com/stratus-run/stratus/internal/store"
)

// urlConfig is a function URL: a function (or alias) reachable over plain HTTP at
// {ID}.lambda-url.{region}.localhost. Stored under urlKey(region, name, qualifier).
type urlConfig struct {
	ID         string    `json:"id"`
	Region     string    `json:"region"`
	Function   string    `json:"function"`
	Qualifier  string    `json:"qualifier,omitempty"`
	AuthType   string    `json:"authType"`
	CORS       *urlCORS  `json:"cors,omitempty"`
	InvokeMode string    `json:"invokeMode"`
	Created    time.Time `json:"created"`
	Modified   time.Time `json:"modified"`
}

// urlCORS is Lambda's Cors shape (capitalised names).
type urlCORS struct {
	AllowCredentials *bool    `json:"AllowCredentials,omitempty"`
	AllowHeaders     []string `json:"AllowHeaders,omitempty"`
	AllowMethods     []string `json:"AllowMethods,omitempty"`
	AllowOrigins     []string `json:"AllowOrigins,omitempty"`
	ExposeHeaders    []string `json:"ExposeHeaders,omitempty"`
	MaxAge           *int     `json:"MaxAge,omitempty"`
}

func (c *urlCORS) rules() *proxyevent.CORS {
	if c == nil {
		return nil
	}
	return &proxyevent.CORS{AllowCredentials: c.AllowCredentials != nil && *c.AllowCredentials, AllowHeaders: c.AllowHeaders,
		AllowMethods: c.AllowMethods, AllowOrigins: c.AllowOrigins, ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge}
}

func urlKey(region, name, qualifier string) string {
	if qualifier == "" {
		qualifier = "-"
	}
	return region + "/" + name + "/" + qualifier
}

// urlEntry is a cached function URL and the store revision it came from.
type urlEntry struct {
	cfg   urlConfig
	rev   uint64
	rules *proxyevent.CORS
}

// urls caches the function URLs by key and by id. Deleted keys keep a tombstone.
type urls struct {
	mu    sync.RWMutex
	byKey map[string]*urlEntry
	byID  map[string]*urlEntry
}

func (u *urls) put(k string, cfg urlConfig, rev uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if old := u.byKey[k]; old != nil {
		if old.rev >= rev {
			return
		}
		delete(u.byID, old.cfg.ID)
	}
	e := &urlEntry{cfg: cfg, rev: rev, rules: cfg.CORS.rules()}
	u.byKey[k] = e
	u.byID[cfg.ID] = e
}

func (u *urls) del(k string, rev uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if old := u.byKey[k]; old != nil {
		if old.rev >= rev {
			return
		}
		delete(u.byID, old.cfg.ID)
	}
	u.byKey[k] = &urlEntry{rev: rev}
}

func (u *urls) get(k string) *urlEntry {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if e := u.byKey[k]; e != nil && e.cfg.ID != "" {
		return e
	}
	return nil
}

func (u *urls) id(id string) *urlEntry {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.byID[id]
}

func (s *Service) openURLs(ctx context.Context) error {
	t, err := store.OpenTable[urlConfig](ctx, s.Store, "lambda_function_urls", 1)
	if err != nil {
		return err
	}
	s.urlTable = t
	s.urlCache = &urls{byKey: map[string]*urlEntry{}, byID: map[string]*urlEntry{}}
	wctx, cancel := context.WithCancel(context.Background())
	s.urlCx = cancel
	return watchTable(ctx, wctx, t, s.urlCache.put, s.urlCache.del)
}

// The URL qualifier must be an alias name or $LATEST, never a version number.
var reURLQualifier = regexp.MustCompile(`^((\$LATEST)|([a-zA-Z0-9_-]+))$`)

// urlTarget reads the function and qualifier of a function URL request.
func (s *Service) urlTarget(r *http.Request, p params) (*entry, string, error) {
	e, q, err := s.function(r, p.function)
	if err != nil {
		return nil, "", err
	}
	if q != "" && (!reURLQualifier.MatchString(q) || isVersionNumber(q)) {
		return nil, "", awsproto.Validation(q, "qualifier", `Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)|(^\$LATEST$)`)
	}
	if q == "$LATEST" { // the unqualified function's URL
		q = ""
	}
	if q != "" && s.lookupAlias(e.rec.Region, e.rec.Name, q) == nil {
		return nil, "", functionNotFound(s.arn(e.rec.Region, e.rec.Name) + ":" + q)
	}
	return e, q, nil
}

type urlInput struct {
	AuthType   *string  `json:"AuthType"`
	Cors       *urlCORS `json:"Cors"`
	InvokeMode *string  `json:"InvokeMode"`
}

func checkURLInput(in *urlInput, create bool) error {
	if in.AuthType == nil && create {
		return awsproto.Validation("null", "authType", "Member must not be null")
	}
	if in.AuthType != nil && *in.AuthType != "NONE" && *in.AuthType != "AWS_IAM" {
		return awsproto.Validation(*in.AuthType, "authType", "Member must satisfy enum value set: [NONE, AWS_IAM]")
	}
	if in.InvokeMode != nil && *in.InvokeMode != "BUFFERED" && *in.InvokeMode != "RESPONSE_STREAM" {
		return awsproto.Validation(*in.InvokeMode, "invokeMode", "Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]")
	}
	if c := in.Cors; c != nil {
		if c.MaxAge != nil && (*c.MaxAge < 0 || *c.MaxAge > 86400) {
			return awsproto.Validation(*c.MaxAge, "cors.maxAge", "Member must have value less than or equal to 86400")
		}
		if len(c.AllowMethods) > 6 {
			return awsproto.Validation(c.AllowMethods, "cors.allowMethods", "Member must have length less than or equal to 6")
		}
	}
	return nil
}

type urlOutput struct {
	AuthType         string   `json:"AuthType"`
	Cors             *urlCORS `json:"Cors,omitempty"`
	CreationTime     string   `json:"CreationTime"`
	FunctionArn      string   `json:"FunctionArn"`
	FunctionURL      string   `json:"FunctionUrl"`
	InvokeMode       string   `json:"InvokeMode"`
	LastModifiedTime string   `json:"LastModifiedTime,omitempty"`
}

const urlTimeFormat = "2006-01-02T15:04:05.000000Z"

func (s *Service) urlOut(c *urlConfig) urlOutput {
	arn := s.arn(c.Region, c.Function)
	if c.Qualifier != "" {
		arn += ":" + c.Qualifier
	}
	return urlOutput{AuthType: c.AuthType, Cors: c.CORS, CreationTime: c.Created.UTC().Format(urlTimeFormat), FunctionArn: arn,
		FunctionURL: "http://" + c.ID + ".lambda-url." + c.Region + ".localhost:" + s.URLPort + "/", InvokeMode: c.InvokeMode,
		LastModifiedTime: c.Modified.UTC().Format(urlTimeFormat)}
}

// errResourceBusy is returned when a function URL kept changing under an update.
var errResourceBusy = &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict,
	Message: "The operation cannot be performed at this time. An update is in progress for resource."}

func urlNotFound() *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "The resource you requested does not exist."}
}

const urlIDChars = "abcdefghijklmnopqrstuvwxyz0123456789"

func newURLID() string {
	b := []byte(strings.ReplaceAll(newRevisionID(), "-", "")) // 32 random hex digits
	for i := range b {
		b[i] = urlIDChars[int(b[i])%len(urlIDChars)]
	}
	return string(b)
}

// createURL is CreateFunctionUrlConfig.
func (s *Service) createURL(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.urlTarget(r, p)
	if err != nil {
		return err
	}
	var in urlInput
	if err := decodeBody(r, 1<<16, "CreateFunctionUrlConfig", &in); err != nil {
		return err
	}
	if err := checkURLInput(&in, true); err != nil {
		return err
	}
	now := time.Now().UTC()
	c := urlConfig{ID: newURLID(), Region: e.rec.Region, Function: e.rec.Name, Qualifier: q, AuthType: *in.AuthType,
		CORS: in.Cors, InvokeMode: "BUFFERED", Created: now, Modified: now}
	if in.InvokeMode != nil {
		c.InvokeMode = *in.InvokeMode
	}
	k := urlKey(c.Region, c.Function, q)
	rev, err := s.urlTable.Create(r.Context(), k, c)
	if errors.Is(err, store.ErrExists) {
		arn := s.arn(c.Region, c.Function)
		if q != "" {
			arn += ":" + q
		}
		return &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict,
			Message: "Failed to create function url config for [functionArn = " + arn + "]. Error message:  FunctionUrlConfig exists for this Lambda function"}
	}
	if err != nil {
		return err
	}
	s.urlCache.put(k, c, rev)
	out := s.urlOut(&c)
	out.LastModifiedTime = ""
	awsproto.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Service) getURL(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.urlTarget(r, p)
	if err != nil {
		return err
	}
	u := s.urlCache.get(urlKey(e.rec.Region, e.rec.Name, q))
	if u == nil {
		return urlNotFound()
	}
	awsproto.WriteJSON(w, http.StatusOK, s.urlOut(&u.cfg))
	return nil
}

// updateURL is UpdateFunctionUrlConfig: the fields given replace the old ones.
func (s *Service) updateURL(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.urlTarget(r, p)
	if err != nil {
		return err
	}
	var in urlInput
	if err := decodeBody(r, 1<<16, "UpdateFunctionUrlConfig", &in); err != nil {
		return err
	}
	if err := checkURLInput(&in, false); err != nil {
		return err
	}
	k := urlKey(e.rec.Region, e.rec.Name, q)
	for range 20 {
		c, rev, err := s.urlTable.Get(r.Context(), k)
		if errors.Is(err, store.ErrNotFound) {
			return urlNotFound()
		}
		if err != nil {
			return err
		}
		if in.AuthType != nil {
			c.AuthType = *in.AuthType
		}
		if in.Cors != nil {
			c.CORS = in.Cors
		}
		if in.InvokeMode != nil {
			c.InvokeMode = *in.InvokeMode
		}
		c.Modified = time.Now().UTC()
		n, err := s.urlTable.Update(r.Context(), k, c, rev)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		s.urlCache.put(k, c, n)
		awsproto.WriteJSON(w, http.StatusOK, s.urlOut(&c))
		return nil
	}
	return errResourceBusy
}

func (s *Service) deleteURL(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.urlTarget(r, p)
	if err != nil {
		return err
	}
	k := urlKey(e.rec.Region, e.rec.Name, q)
	u := s.urlCache.get(k)
	if u == nil {
		return urlNotFound()
	}
	if err := s.urlTable.Delete(r.Context(), k, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.urlCache.del(k, u.rev+1)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listURLs is ListFunctionUrlConfigs, paged by Marker and MaxItems (1–50).
func (s *Service) listURLs(w http.ResponseWriter, r *http.Request, p params) error {
	e, _, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	maxItems := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return awsproto.Validation(v, "maxItems", "Member must have value less than or equal to 50")
		}
		maxItems = n
	}
	prefix := urlKey(e.rec.Region, e.rec.Name, "")
	prefix = strings.TrimSuffix(prefix, "-")
	s.urlCache.mu.RLock()
	var keys []string
	for k, u := range s.urlCache.byKey {
		if strings.HasPrefix(k, prefix) && u.cfg.ID != "" {
			keys = append(keys, k)
		}
	}
	s.urlCache.mu.RUnlock()
	sort.Strings(keys)
	marker := q.Get("Marker")
	out := struct {
		FunctionURLConfigs []urlOutput `json:"FunctionUrlConfigs"`
		NextMarker         string      `json:"NextMarker,omitempty"`
	}{FunctionURLConfigs: []urlOutput{}}
	last := ""
	for _, k := range keys {
		if marker != "" && k <= marker {
			continue
		}
		if len(out.FunctionURLConfigs) == maxItems {
			out.NextMarker = last
			break
		}
		if u := s.urlCache.get(k); u != nil {
			out.FunctionURLConfigs = append(out.FunctionURLConfigs, s.urlOut(&u.cfg))
			last = k
		}
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// dropURLs deletes the function URLs of a deleted function.
func (s *Service) dropURLs(ctx context.Context, region, name string) {
	prefix := strings.TrimSuffix(urlKey(region, name, ""), "-")
	s.urlCache.mu.RLock()
	var drop []string
	for k, u := range s.urlCache.byKey {
		if strings.HasPrefix(k, prefix) && u.cfg.ID != "" {
			drop = append(drop, k)
		}
	}
	s.urlCache.mu.RUnlock()
	for _, k := range drop {
		if u := s.urlCache.get(k); u != nil && s.urlTable.Delete(ctx, k, 0) == nil {
			s.urlCache.del(k, u.rev+1)
		}
	}
}
