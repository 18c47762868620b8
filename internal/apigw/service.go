// Package apigw is API Gateway: the management APIs of HTTP APIs (apigatewayv2,
// REST-JSON under /v2/) and REST APIs (apigateway, under /restapis), and the data
// plane that serves their stages, turning each HTTP request into a Lambda proxy
// event (payload 1.0 or 2.0) and the function's answer back into an HTTP response.
//
// Every API is one record in a state-store table, written with compare-and-set and
// cached in memory through a watch, so the data plane reads no disk.
package apigw

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/store"
)

// Invoker runs a function synchronously: function is a name or a (qualified) ARN.
// It returns an *awsproto.Error when the function is missing or the invocation was
// throttled, and ctx's error when ctx ended first. *lambda.Service implements it.
type Invoker interface {
	InvokeSync(ctx context.Context, region, function string, payload []byte, traceID string) (*invoke.Result, error)
}

// Service is API Gateway. Set the exported fields, then Open.
type Service struct {
	Store   *store.Store
	Invoker Invoker
	// Account is the account id in events and ARNs (default 000000000000).
	Account string
	// Port is the edge's port, for the invoke URLs reported
	// (http://{api-id}.execute-api.localhost:{Port}).
	Port string

	httpAPIs *store.Table[httpAPI]
	restAPIs *store.Table[restAPI]
	httpC    cache[httpAPI]
	restC    cache[restAPI]
	cancel   context.CancelFunc
}

// Open binds the tables and fills the caches from them.
func (s *Service) Open(ctx context.Context) error {
	if s.Account == "" {
		s.Account = "000000000000"
	}
	var err error
	if s.httpAPIs, err = store.OpenTable[httpAPI](ctx, s.Store, "apigw_http_apis", 1); err != nil {
		return err
	}
	if s.restAPIs, err = store.OpenTable[restAPI](ctx, s.Store, "apigw_rest_apis", 1); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := watch(ctx, wctx, s.httpAPIs, &s.httpC); err != nil {
		cancel()
		return err
	}
	if err := watch(ctx, wctx, s.restAPIs, &s.restC); err != nil {
		cancel()
		return err
	}
	return nil
}

// Close stops the watches.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel != nil {
		s.cancel()
	}
	return nil
}

// cache holds the latest revision of every record of one table, by key. Values are
// never changed once cached, so readers use them without a lock. Deleted keys keep
// a tombstone, so a late watch event cannot bring them back.
type cache[T any] struct {
	mu sync.RWMutex
	m  map[string]cacheEntry[T]
}

type cacheEntry[T any] struct {
	v   *T
	rev uint64
}

func (c *cache[T]) put(k string, v *T, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cacheEntry[T]{}
	}
	if old, ok := c.m[k]; ok && old.rev >= rev {
		return
	}
	c.m[k] = cacheEntry[T]{v, rev}
}

func (c *cache[T]) get(k string) *T {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k].v
}

func (c *cache[T]) all() []*T {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*T, 0, len(c.m))
	for _, e := range c.m {
		if e.v != nil {
			out = append(out, e.v)
		}
	}
	return out
}

// watch fills c from t and keeps it fresh; it returns once the initial state is in.
func watch[T any](ctx, wctx context.Context, t *store.Table[T], c *cache[T]) error {
	ready := make(chan struct{})
	var once sync.Once
	err := t.Watch(wctx, func(ch store.Change[T], ok bool) {
		if !ok {
			once.Do(func() { close(ready) })
			return
		}
		if ch.Deleted {
			c.put(ch.Key, nil, ch.Revision)
			return
		}
		v := ch.Value
		c.put(ch.Key, &v, ch.Revision)
	})
	if err != nil {
		return err
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// update applies fn to a fresh copy of record k and writes it back with
// compare-and-set, retrying when another writer came first. fn's error aborts the
// write. A missing record is store.ErrNotFound.
func update[T any](ctx context.Context, t *store.Table[T], c *cache[T], k string, fn func(*T) error) (*T, error) {
	for range 20 {
		v, rev, err := t.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		if err := fn(&v); err != nil {
			return nil, err
		}
		n, err := t.Update(ctx, k, v, rev)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c.put(k, &v, n)
		return &v, nil
	}
	return nil, errBusy
}

// remove deletes record k and tombstones it in c.
func remove[T any](ctx context.Context, t *store.Table[T], c *cache[T], k string) error {
	_, rev, err := t.Get(ctx, k)
	if err != nil {
		return err
	}
	if err := t.Delete(ctx, k, rev); err != nil {
		return err
	}
	c.put(k, nil, rev+1)
	return nil
}

const idChars = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns n random lower-case letters and digits, the form of API Gateway ids.
func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // never fails on Linux
	for i := range b {
		b[i] = idChars[int(b[i])%len(idChars)]
	}
	return string(b)
}

// Handles reports whether the request is for one of API Gateway's management APIs.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName != "" && signingName != "apigateway" {
		return false
	}
	p := r.URL.Path
	return p == "/v2/apis" || strings.HasPrefix(p, "/v2/apis/") || p == "/restapis" || strings.HasPrefix(p, "/restapis/")
}

// ServeHTTP answers one management request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err error
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		err = s.serveV2(w, r)
	} else {
		err = s.serveV1(w, r)
	}
	if err != nil {
		writeError(w, err)
	}
}

// decode reads a JSON request body into v; an empty body leaves v as it is.
func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil || len(b) > 1<<20 {
		return errBody
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errBody
	}
	return nil
}

func region(r *http.Request) string { return awsproto.Info(r.Context()).Region }

// isoTime is a v2 timestamp (ISO 8601).
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// splitPath splits an escaped path below prefix into its unescaped segments.
func splitPath(path, prefix string) []string {
	rest := strings.Trim(strings.TrimPrefix(path, prefix), "/")
	if rest == "" {
		return nil
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		if u, err := urlUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}
