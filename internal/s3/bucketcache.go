package s3

import (
	"bytes"
	"context"
	"sync"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// buckets caches each bucket's configuration documents parsed, so that the paths
// taken on every request (applyCORS, the events hook, the x-amz-expiration
// header) never parse XML: a document is parsed once per change.
//
// An entry keeps the raw document next to its parse. Callers holding the bucket
// (the events hook, expiration) hand its documents in and get the parse back,
// reparsed only when the bytes differ from the cached ones; callers that hold
// nothing (applyCORS, preflight) use the entry as it is, loading the bucket once
// when there is none. The handlers that change a document or a bucket forget
// its entry, and a generation number keeps a load that raced such a change from
// caching what it read before it. The zero value is ready to use.
type buckets struct {
	mu  sync.Mutex
	m   map[string]*bucketEntry // guarded by mu
	gen uint64                  // guarded by mu; bumped by forget
}

// bucketEntry is one bucket's parsed configuration. Its fields are replaced,
// never mutated, under buckets.mu; the values they point at are immutable.
type bucketEntry struct {
	// loaded: cors holds the stored document of a bucket that exists (entries
	// are made for existing buckets only).
	loaded bool

	cors      parsed[*corsConfig]
	notify    parsed[*notifyConfig]
	lifecycle parsed[*lifecycleConfig]
}

// parsed is one document and what it parses to.
type parsed[T any] struct {
	raw []byte
	v   T
}

// get returns v parsed from raw, parsing only when raw differs from the cached
// document; a document that does not parse gives the zero T (stored documents
// were validated when put, so that means none).
func get[T any](p *parsed[T], raw []byte, parse func([]byte) (T, error)) (parsed[T], bool) {
	if p.raw != nil && bytes.Equal(p.raw, raw) || p.raw == nil && raw == nil {
		return *p, false
	}
	var n parsed[T]
	n.raw = raw
	if raw != nil {
		if v, err := parse(raw); err == nil {
			n.v = v
		}
	}
	return n, true
}

func (bs *buckets) entryLocked(name string) *bucketEntry {
	if bs.m == nil {
		bs.m = make(map[string]*bucketEntry)
	}
	e := bs.m[name]
	if e == nil {
		e = &bucketEntry{}
		bs.m[name] = e
	}
	return e
}

// forget drops what is cached for a bucket: after its configuration changed,
// it was created or deleted.
func (bs *buckets) forget(name string) {
	bs.mu.Lock()
	delete(bs.m, name)
	bs.gen++
	bs.mu.Unlock()
}

// corsOf returns the parsed CORS configuration of a bucket the caller does not
// hold, and whether the bucket exists; it reads the store only when nothing is
// cached. nil means none.
func (s *Service) corsOf(ctx context.Context, name string) (*corsConfig, bool, error) {
	bs := &s.bstate
	bs.mu.Lock()
	if e := bs.m[name]; e != nil && e.loaded {
		c := e.cors.v
		bs.mu.Unlock()
		return c, true, nil
	}
	gen := bs.gen
	bs.mu.Unlock()

	b, err := s.Store.Bucket(ctx, name)
	exists := err == nil
	if err != nil && !isNoSuchBucket(err) {
		return nil, false, err
	}
	var raw []byte
	if exists {
		raw = b.Config[objstore.ConfigCORS]
	}
	var p parsed[*corsConfig]
	p, _ = get(&p, raw, parseStoredCORS)

	bs.mu.Lock()
	defer bs.mu.Unlock()
	// Only buckets that exist are remembered: requests naming others (any name
	// a client makes up) must not grow the cache.
	if exists && bs.gen == gen {
		e := bs.entryLocked(name)
		ne := *e
		ne.loaded, ne.cors = true, p
		bs.m[name] = &ne
	}
	return p.v, exists, nil
}

// notifyOf returns the parsed notification configuration of b (nil for none).
func (s *Service) notifyOf(b *objstore.Bucket) *notifyConfig {
	return cached(&s.bstate, b, func(e *bucketEntry) *parsed[*notifyConfig] { return &e.notify },
		objstore.ConfigNotification, parseStoredNotification)
}

// lifecycleOf returns the parsed lifecycle configuration of b (nil for none).
func (s *Service) lifecycleOf(b *objstore.Bucket) *lifecycleConfig {
	return cached(&s.bstate, b, func(e *bucketEntry) *parsed[*lifecycleConfig] { return &e.lifecycle },
		objstore.ConfigLifecycle, parseStoredLifecycle)
}

// cached returns the parse of b's document name from the entry's field, parsing
// it when the bytes changed. It is the hot path of the events hook and of
// x-amz-expiration: one lock and one comparison of the document's bytes.
func cached[T any](bs *buckets, b *objstore.Bucket, field func(*bucketEntry) *parsed[T], name string, parse func([]byte) (T, error)) T {
	raw := b.Config[name]
	bs.mu.Lock()
	defer bs.mu.Unlock()
	e := bs.entryLocked(b.Name)
	p, changed := get(field(e), raw, parse)
	if changed {
		ne := *e
		*field(&ne) = p
		bs.m[b.Name] = &ne
	}
	return p.v
}
