package lambda

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/store"
)

// versionRecord is a published version as stored in the versions bucket: an
// immutable copy of $LATEST's record when it was published. Tags and reserved
// concurrency belong to the function, so the copy holds neither.
type versionRecord struct {
	record
	Version int `json:"version"`
}

// versionEntry is a cached version: its record, the store revision it came from,
// the engine's snapshot of it and its qualified ARN.
type versionEntry struct {
	rec     versionRecord
	rev     uint64
	deleted bool
	fn      *invoke.Function
	arn     string
}

func versionKey(region, name string, n int) string {
	return region + "/" + name + "/" + strconv.Itoa(n)
}

// isVersionNumber reports whether q names a published version (digits only), as
// opposed to $LATEST or an alias.
func isVersionNumber(q string) bool {
	if q == "" || len(q) > 10 {
		return false
	}
	for i := 0; i < len(q); i++ {
		if q[i] < '0' || q[i] > '9' {
			return false
		}
	}
	return true
}

// watchTable follows t into the caches: put and del run for the bucket's current
// state and then for every change, until wctx ends. It returns once the current
// state was delivered (or ctx ended first).
func watchTable[T any](ctx, wctx context.Context, t *store.Table[T], put func(k string, v T, rev uint64), del func(k string, rev uint64)) error {
	ready := make(chan struct{})
	var once sync.Once
	err := t.Watch(wctx, func(c store.Change[T], ok bool) {
		switch {
		case !ok:
			once.Do(func() { close(ready) })
		case c.Deleted:
			del(c.Key, c.Revision)
		default:
			put(c.Key, c.Value, c.Revision)
		}
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

// openVersions binds the versions and aliases buckets and fills their caches.
func (s *Service) openVersions(ctx, wctx context.Context) error {
	vt, err := store.OpenTable[versionRecord](ctx, s.Store, "lambda_versions", 1)
	if err != nil {
		return err
	}
	at, err := store.OpenTable[aliasRecord](ctx, s.Store, "lambda_aliases", 1)
	if err != nil {
		return err
	}
	s.versions, s.aliases = vt, at
	err = watchTable(ctx, wctx, vt, func(k string, v versionRecord, rev uint64) {
		if err := s.ensureCode(v.CodeDigest, nil); err != nil {
			s.logUnpack(k, err)
		}
		if err := s.ensureLayers(v.Layers); err != nil {
			s.logUnpack(k, err)
		}
		s.rememberVersion(v, rev)
	}, s.forgetVersion)
	if err != nil {
		return err
	}
	return watchTable(ctx, wctx, at, func(_ string, a aliasRecord, rev uint64) { s.rememberAlias(a, rev) }, s.forgetAlias)
}

// rememberVersion caches v at revision rev unless the cache holds a newer one.
// The engine's snapshot takes the function's current reserved concurrency.
func (s *Service) rememberVersion(v versionRecord, rev uint64) *versionEntry {
	k := versionKey(v.Region, v.Name, v.Version)
	s.mu.RLock()
	old := s.vcache[k]
	s.mu.RUnlock()
	if old != nil && old.rev >= rev {
		return old
	}
	fn := s.snapshot(&v.record)
	fn.Key = k
	fn.Version = strconv.Itoa(v.Version)
	// A version never changes; its store revision only tells a version apart from
	// one of the same number of a deleted and recreated function.
	fn.Generation = rev
	e := &versionEntry{rec: v, rev: rev, fn: fn, arn: s.arn(v.Region, v.Name) + ":" + fn.Version}
	s.mu.Lock()
	defer s.mu.Unlock()
	old = s.vcache[k]
	if old != nil && old.rev >= rev {
		return old
	}
	// A version is rewritten only to give it a new RevisionId (its policy
	// changed): the same code and configuration keep their warm environments.
	if old != nil && !old.deleted && sameSnapshot(&old.rec.record, &v.record) {
		fn.Generation = old.fn.Generation
	}
	fn.Reserved = -1
	if f := s.cache[key(v.Region, v.Name)]; f != nil && !f.deleted {
		fn.Reserved = f.fn.Reserved
	}
	s.vcache[k] = e
	return e
}

// setVersionsReservedLocked gives every cached version of function fk the
// function's new reserved concurrency. Entries are replaced, never changed, since
// readers use them without the lock. s.mu must be held for writing.
func (s *Service) setVersionsReservedLocked(fk string, reserved int) {
	prefix := fk + "/"
	for k, ve := range s.vcache {
		if ve.deleted || !strings.HasPrefix(k, prefix) || strings.Contains(k[len(prefix):], "/") {
			continue
		}
		fn := *ve.fn
		fn.Reserved = reserved
		ne := *ve
		ne.fn = &fn
		s.vcache[k] = &ne
	}
}

// forgetVersion records a version's deletion at revision rev and drops its
// environments.
func (s *Service) forgetVersion(k string, rev uint64) {
	s.mu.Lock()
	old := s.vcache[k]
	if old != nil && old.rev >= rev {
		s.mu.Unlock()
		return
	}
	s.vcache[k] = &versionEntry{rev: rev, deleted: true}
	s.mu.Unlock()
	if old != nil && !old.deleted {
		s.Engine.Forget(context.Background(), old.fn.Key)
	}
}

// lookupVersion returns the cached version n (a version number) of a function,
// or nil.
func (s *Service) lookupVersion(region, name, n string) *versionEntry {
	s.mu.RLock()
	ve := s.vcache[region+"/"+name+"/"+n]
	s.mu.RUnlock()
	if ve == nil || ve.deleted {
		return nil
	}
	return ve
}

// publishedVersions returns a function's published versions, oldest first.
func (s *Service) publishedVersions(region, name string) []*versionEntry {
	prefix := key(region, name) + "/"
	s.mu.RLock()
	var out []*versionEntry
	for k, ve := range s.vcache {
		if !ve.deleted && strings.HasPrefix(k, prefix) && ve.rec.Name == name {
			out = append(out, ve)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].rec.Version < out[j].rec.Version })
	return out
}

// publish publishes $LATEST of e as a new version, or returns the last published
// version when $LATEST's code and configuration are those it was published with
// (as Lambda does, so a pipeline that publishes unchanged code gets the same version). The version number
// is taken from the function's record with compare-and-set before the version is
// written, so a number is never handed out twice, even across a crash.
func (s *Service) publish(ctx context.Context, e *entry, description *string) (*versionEntry, error) {
	for attempt := 0; ; attempt++ {
		if e.rec.LastVersion > 0 {
			ve := s.lookupVersion(e.rec.Region, e.rec.Name, strconv.Itoa(e.rec.LastVersion))
			if ve != nil && sameSnapshot(&e.rec, &ve.rec.record) {
				return ve, nil
			}
		}
		next := e.rec
		next.LastVersion++
		// Publishing gives $LATEST a new RevisionId, as Lambda does.
		next.RevisionID = newRevisionID()
		rev, err := s.functions.Update(ctx, key(next.Region, next.Name), next, e.rev)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			// Another writer got in first; publish what $LATEST is now.
			if e = s.freshEntry(ctx, e.rec.Region, e.rec.Name); e == nil {
				return nil, functionNotFound(s.arn(next.Region, next.Name))
			}
			continue
		}
		if errors.Is(err, store.ErrConflict) {
			return nil, errRevisionMismatch
		}
		if err != nil {
			return nil, err
		}
		s.remember(next, rev)
		v := versionRecord{record: e.rec, Version: next.LastVersion}
		v.RevisionID = newRevisionID()
		v.Tags, v.Reserved, v.LastVersion = nil, nil, 0
		v.Env = cloneMap(e.rec.Env)
		if description != nil {
			v.Description = *description
		}
		vrev, err := s.versions.Create(ctx, versionKey(v.Region, v.Name, v.Version), v)
		if err != nil {
			return nil, err
		}
		return s.rememberVersion(v, vrev), nil
	}
}

// freshEntry reads a function from the store into the cache, for a writer that lost
// a compare-and-set to a write the watch has not delivered yet.
func (s *Service) freshEntry(ctx context.Context, region, name string) *entry {
	rec, rev, err := s.functions.Get(ctx, key(region, name))
	if err != nil {
		return nil
	}
	return s.remember(rec, rev)
}

// sameSnapshot reports whether $LATEST (latest) would publish as version v: the
// same code and configuration. What is not part of a version is left out: the
// revision, the time, the function's tags, concurrency and version counter, and
// the description, which PublishVersion may set apart.
func sameSnapshot(latest, v *record) bool {
	a, b := *latest, *v
	for _, r := range []*record{&a, &b} {
		r.RevisionID, r.LastModified, r.Tags, r.Reserved, r.LastVersion, r.Description = "", time.Time{}, nil, nil, 0, ""
		if len(r.Env) == 0 {
			r.Env = nil
		}
	}
	return reflect.DeepEqual(a, b)
}
