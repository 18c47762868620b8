package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound is returned when a key does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrExists is returned by Create when the key already exists.
var ErrExists = errors.New("store: key exists")

// ErrConflict is returned by Update and Delete when the revision given is not the
// key's latest: someone else wrote it first.
var ErrConflict = errors.New("store: revision conflict")

// Table is a JetStream key-value bucket of JSON-encoded values of one type. Writes
// take the revision they expect (compare-and-set), so concurrent writers never
// silently overwrite each other.
type Table[T any] struct {
	kv jetstream.KeyValue
}

// OpenTable creates (or binds to) the bucket. history is how many revisions of a key
// are kept (1 for plain state).
func OpenTable[T any](ctx context.Context, s *Store, bucket string, history uint8) (*Table[T], error) {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  bucket,
		History: history,
		Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("store: bucket %s: %w", bucket, err)
	}
	return &Table[T]{kv: kv}, nil
}

// Get returns the value and its revision, or ErrNotFound.
func (t *Table[T]) Get(ctx context.Context, key string) (T, uint64, error) {
	var v T
	e, err := t.kv.Get(ctx, key)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return v, 0, ErrNotFound
		}
		return v, 0, fmt.Errorf("store: get %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return v, 0, fmt.Errorf("store: decode %s: %w", key, err)
	}
	return v, e.Revision(), nil
}

// Create stores v under a new key and returns its revision, or ErrExists.
func (t *Table[T]) Create(ctx context.Context, key string, v T) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	rev, err := t.kv.Create(ctx, key, b)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return 0, ErrExists
		}
		return 0, fmt.Errorf("store: create %s: %w", key, err)
	}
	return rev, nil
}

// Update replaces the value if the key is still at revision rev, returning the new
// revision, or ErrConflict.
func (t *Table[T]) Update(ctx context.Context, key string, v T, rev uint64) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	n, err := t.kv.Update(ctx, key, b, rev)
	if err != nil {
		if isWrongSequence(err) {
			return 0, ErrConflict
		}
		return 0, fmt.Errorf("store: update %s: %w", key, err)
	}
	return n, nil
}

// Delete removes the key if it is still at revision rev (0: whatever its revision).
// A missing key is ErrNotFound.
func (t *Table[T]) Delete(ctx context.Context, key string, rev uint64) error {
	var opts []jetstream.KVDeleteOpt
	if rev != 0 {
		opts = append(opts, jetstream.LastRevision(rev))
	}
	if err := t.kv.Purge(ctx, key, opts...); err != nil {
		if isWrongSequence(err) {
			return ErrConflict
		}
		return fmt.Errorf("store: delete %s: %w", key, err)
	}
	return nil
}

// Keys lists every key (in no particular order); an empty bucket gives none.
func (t *Table[T]) Keys(ctx context.Context) ([]string, error) {
	lister, err := t.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
}

// Each calls fn with every key and its value, in no particular order; a key
// deleted between the listing and its read is skipped.
func (t *Table[T]) Each(ctx context.Context, fn func(key string, v T)) error {
	return t.EachRevision(ctx, func(k string, v T, _ uint64) { fn(k, v) })
}

// EachRevision is Each with each value's revision, for callers that update
// what they read with compare-and-set.
func (t *Table[T]) EachRevision(ctx context.Context, fn func(key string, v T, rev uint64)) error {
	keys, err := t.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, rev, err := t.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		fn(k, v, rev)
	}
	return nil
}

// Change is one observed write: Value is the zero T and Deleted true for deletes.
type Change[T any] struct {
	Key      string
	Value    T
	Revision uint64
	Deleted  bool
}

// Watch calls fn for every key's current value, then once with ok=false to mark the
// end of the initial state, then for later changes until ctx ends. fn runs on one
// goroutine, in order. A value soon overwritten or deleted may be skipped (a delete
// purges what the watcher has not read yet), but every key's latest state is
// always delivered. Values that fail to decode are skipped.
func (t *Table[T]) Watch(ctx context.Context, fn func(c Change[T], ok bool)) error {
	w, err := t.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("store: watch: %w", err)
	}
	go func() {
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, open := <-w.Updates():
				if !open {
					return
				}
				if e == nil {
					fn(Change[T]{}, false)
					continue
				}
				c := Change[T]{Key: e.Key(), Revision: e.Revision()}
				if e.Operation() != jetstream.KeyValuePut {
					c.Deleted = true
				} else if err := json.Unmarshal(e.Value(), &c.Value); err != nil {
					continue
				}
				fn(c, true)
			}
		}
	}()
	return nil
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return true
	}
	return errors.Is(err, jetstream.ErrKeyExists)
}
