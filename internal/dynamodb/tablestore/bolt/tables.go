package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// tableRec is what the tables bucket keeps of a table, as JSON.
type tableRec struct {
	Table tablestore.Table
	// ID names the table's items bucket and its stats keys.
	ID uint64
	// Indexes maps each index's name to the id of its bucket.
	Indexes map[string]uint64
	// Building names the indexes whose backfill has not finished; the store,
	// not UpdateTable's fn, owns their Status and Backfilling.
	Building map[string]bool `json:",omitempty"`
	// Stream is the id of the table's current (or last) stream, 0 if it never
	// had one. Records are written to it while Table.Stream.Enabled.
	Stream uint64 `json:",omitempty"`
}

// tmeta is a decoded tableRec with what the item paths derive from it. It is
// shared by every transaction that reads the same version: read only.
type tmeta struct {
	version uint64
	rec     tableRec
	items   []byte // the items bucket's name
	stats   []byte // the table's stats key
	key     keyDef
	indexes []imeta // in rec.Table.Indexes order
}

// keyDef is a key schema with its kinds resolved.
type keyDef struct {
	hash, rng           string
	hashKind, rangeKind attr.Kind // Invalid: any of S, N, B
}

// imeta is one index of a tmeta.
type imeta struct {
	ix     *tablestore.Index // in the tmeta's rec
	id     uint64
	bucket []byte
	stats  []byte
	key    keyDef
	// withHash: the entry holds the table's hash key (global indexes; a local
	// one shares the table's hash key, first in its entry).
	withHash bool
}

func newMeta(version uint64, rec tableRec) *tmeta {
	m := &tmeta{version: version, rec: rec, items: bucketName('i', rec.ID), stats: statsKey(rec.ID, "")}
	t := &m.rec.Table
	m.key = resolveKey(t, t.Key)
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		id := rec.Indexes[ix.Name]
		m.indexes = append(m.indexes, imeta{ix: ix, id: id, bucket: bucketName('x', id),
			stats: statsKey(rec.ID, ix.Name), key: resolveKey(t, ix.Key), withHash: ix.Global})
	}
	return m
}

func resolveKey(t *tablestore.Table, k tablestore.KeySchema) keyDef {
	kd := keyDef{hash: k.Hash, rng: k.Range, hashKind: k.HashKind, rangeKind: k.RangeKind}
	for _, a := range t.Attributes {
		if a.Name == k.Hash && kd.hashKind == attr.Invalid {
			kd.hashKind = a.Kind
		}
		if a.Name == k.Range && kd.rangeKind == attr.Invalid {
			kd.rangeKind = a.Kind
		}
	}
	return kd
}

func (m *tmeta) index(name string) (*imeta, bool) {
	for i := range m.indexes {
		if m.indexes[i].ix.Name == name {
			return &m.indexes[i], true
		}
	}
	return nil, false
}

// statsKey is the stats bucket's key of a table (index "") or of an index.
func statsKey(table uint64, index string) []byte {
	k := be64(table)
	if index == "" {
		return append(k, 't')
	}
	return append(append(k, 'x'), index...)
}

func encodeRec(version uint64, rec *tableRec) ([]byte, error) {
	j, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return append(be64(version), j...), nil
}

func decodeRec(raw []byte) (uint64, tableRec, error) {
	var rec tableRec
	if len(raw) < 8 {
		return 0, rec, errCorrupt
	}
	if err := json.Unmarshal(raw[8:], &rec); err != nil {
		return 0, rec, fmt.Errorf("%w: table: %v", errCorrupt, err)
	}
	return binary.BigEndian.Uint64(raw), rec, nil
}

// tableMeta returns the table named name as tx sees it (ErrTableNotFound).
func (s *Store) tableMeta(tx *bolt.Tx, name string) (*tmeta, error) {
	raw := tx.Bucket(tablesBucket).Get([]byte(name))
	if raw == nil {
		return nil, fmt.Errorf("%w: %s", tablestore.ErrTableNotFound, name)
	}
	if len(raw) < 8 {
		return nil, errCorrupt
	}
	version := binary.BigEndian.Uint64(raw)
	if c, ok := s.meta.Load(name); ok && c.(*tmeta).version == version {
		return c.(*tmeta), nil
	}
	version, rec, err := decodeRec(raw)
	if err != nil {
		return nil, err
	}
	m := newMeta(version, rec)
	s.meta.Store(name, m)
	return m, nil
}

// putRec stores rec under a new version.
func (w *wtx) putRec(rec *tableRec) error {
	version, err := w.nextID()
	if err != nil {
		return err
	}
	raw, err := encodeRec(version, rec)
	if err != nil {
		return err
	}
	return w.put(w.tx.Bucket(tablesBucket), []byte(rec.Table.Name), raw)
}

// CreateTable implements tablestore.Store. A stream enabled in t starts with
// it (its Label, or one made from now if t has none).
func (s *Store) CreateTable(ctx context.Context, t tablestore.Table) error {
	t = cloneTable(t)
	return s.update(ctx, false, func(w *wtx) error {
		if w.tx.Bucket(tablesBucket).Get([]byte(t.Name)) != nil {
			return fmt.Errorf("%w: %s", tablestore.ErrTableExists, t.Name)
		}
		id, err := w.nextID()
		if err != nil {
			return err
		}
		rec := tableRec{Table: t, ID: id, Indexes: map[string]uint64{}}
		if _, err := w.createBucket(bucketName('i', id)); err != nil {
			return err
		}
		for _, ix := range t.Indexes {
			if _, dup := rec.Indexes[ix.Name]; dup {
				return fmt.Errorf("tablestore/bolt: table %s: two indexes named %s", t.Name, ix.Name)
			}
			if rec.Indexes[ix.Name], err = w.nextID(); err != nil {
				return err
			}
			if _, err := w.createBucket(bucketName('x', rec.Indexes[ix.Name])); err != nil {
				return err
			}
		}
		if t.Stream.Enabled {
			if err := w.startStream(&rec); err != nil {
				return err
			}
		}
		return w.putRec(&rec)
	})
}

// Table implements tablestore.Store.
func (s *Store) Table(ctx context.Context, name string) (tablestore.Table, error) {
	var t tablestore.Table
	err := s.read(ctx, func(tx *bolt.Tx) error {
		m, err := s.tableMeta(tx, name)
		if err != nil {
			return err
		}
		t = cloneTable(m.rec.Table)
		return nil
	})
	return t, err
}

// Tables implements tablestore.Store.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	var names []string
	err := s.read(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(tablesBucket).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// UpdateTable implements tablestore.Store. A global index fn adds is CREATING
// until built; it is built in the background, in chunks, and while any item
// is left to index it has Backfilling true, and Query and Scan on it fail with
// tablestore.ErrBackfilling rather than return part of it. fn must not change
// the table's name or key schema.
func (s *Store) UpdateTable(ctx context.Context, name string, fn func(*tablestore.Table) error) (tablestore.Table, error) {
	var out tablestore.Table
	err := s.update(ctx, false, func(w *wtx) error {
		raw := w.tx.Bucket(tablesBucket).Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("%w: %s", tablestore.ErrTableNotFound, name)
		}
		_, rec, err := decodeRec(raw)
		if err != nil {
			return err
		}
		old := cloneTable(rec.Table)
		t := cloneTable(rec.Table)
		if err := fn(&t); err != nil {
			return err
		}
		if t.Name != old.Name || t.Key != old.Key {
			return fmt.Errorf("tablestore/bolt: UpdateTable of %s changed its name or key schema", name)
		}
		rec.Table = t
		if err := w.updateIndexes(&rec, &old); err != nil {
			return err
		}
		if err := w.updateStream(&rec, &old); err != nil {
			return err
		}
		if err := w.putRec(&rec); err != nil {
			return err
		}
		out = cloneTable(rec.Table)
		return nil
	})
	return out, err
}

// updateIndexes makes rec's index buckets follow rec.Table.Indexes, changed
// from old's: new ones are created and queued for backfill, removed ones left
// to the purge.
func (w *wtx) updateIndexes(rec *tableRec, old *tablestore.Table) error {
	seen := map[string]bool{}
	for i := range rec.Table.Indexes {
		ix := &rec.Table.Indexes[i]
		if seen[ix.Name] {
			return fmt.Errorf("tablestore/bolt: table %s: two indexes named %s", rec.Table.Name, ix.Name)
		}
		seen[ix.Name] = true
		if _, ok := rec.Indexes[ix.Name]; ok {
			if rec.Building[ix.Name] {
				prev, _ := old.Index(ix.Name)
				ix.Status, ix.Backfilling = prev.Status, prev.Backfilling
			}
			continue
		}
		id, err := w.nextID()
		if err != nil {
			return err
		}
		if _, err := w.createBucket(bucketName('x', id)); err != nil {
			return err
		}
		rec.Indexes[ix.Name] = id
		if rec.Building == nil {
			rec.Building = map[string]bool{}
		}
		rec.Building[ix.Name] = true
		st := getStats(w.tx, statsKey(rec.ID, ""))
		ix.Status, ix.Backfilling = "CREATING", st.Items > 0
		w.backfill = append(w.backfill, backfillJob{table: rec.Table.Name, index: ix.Name, id: id})
	}
	for _, name := range slices.Sorted(maps.Keys(rec.Indexes)) {
		if seen[name] {
			continue
		}
		if err := w.bury(bucketName('x', rec.Indexes[name])); err != nil {
			return err
		}
		if err := w.del(w.tx.Bucket(statsBucket), statsKey(rec.ID, name)); err != nil {
			return err
		}
		delete(rec.Indexes, name)
		delete(rec.Building, name)
	}
	return nil
}

// bury leaves a bucket to the purge.
func (w *wtx) bury(bucket []byte) error {
	w.purge = true
	return w.put(w.tx.Bucket(deadBucket), bucket, nil)
}

// DeleteTable implements tablestore.Store. The table's name is free when it
// returns; its items and index entries are removed in the background, in
// chunks (a later Open finishes what a Close left).
func (s *Store) DeleteTable(ctx context.Context, name string) (tablestore.Table, error) {
	var out tablestore.Table
	err := s.update(ctx, false, func(w *wtx) error {
		tables := w.tx.Bucket(tablesBucket)
		raw := tables.Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("%w: %s", tablestore.ErrTableNotFound, name)
		}
		_, rec, err := decodeRec(raw)
		if err != nil {
			return err
		}
		if err := w.del(tables, []byte(name)); err != nil {
			return err
		}
		if err := w.bury(bucketName('i', rec.ID)); err != nil {
			return err
		}
		stats := w.tx.Bucket(statsBucket)
		if err := w.del(stats, statsKey(rec.ID, "")); err != nil {
			return err
		}
		for ixName, id := range rec.Indexes {
			if err := w.bury(bucketName('x', id)); err != nil {
				return err
			}
			if err := w.del(stats, statsKey(rec.ID, ixName)); err != nil {
				return err
			}
		}
		if rec.Table.Stream.Enabled {
			if err := w.endStream(rec.Stream); err != nil {
				return err
			}
		}
		out = rec.Table
		return nil
	})
	if err == nil {
		s.meta.Delete(name)
	}
	return out, err
}

// Stats implements tablestore.Store. An index's Bytes are the attr.ItemSize
// of what it holds of each item: the keys and its projected attributes.
func (s *Store) Stats(ctx context.Context, table, index string) (tablestore.Stats, error) {
	var st tablestore.Stats
	err := s.read(ctx, func(tx *bolt.Tx) error {
		m, err := s.tableMeta(tx, table)
		if err != nil {
			return err
		}
		key := m.stats
		if index != "" {
			im, ok := m.index(index)
			if !ok {
				return fmt.Errorf("%w: %s on %s", tablestore.ErrIndexNotFound, index, table)
			}
			key = im.stats
		}
		st = getStats(tx, key)
		return nil
	})
	return st, err
}

func getStats(tx *bolt.Tx, key []byte) tablestore.Stats {
	v := tx.Bucket(statsBucket).Get(key)
	if len(v) != 16 {
		return tablestore.Stats{}
	}
	return tablestore.Stats{Items: int64(binary.BigEndian.Uint64(v)), Bytes: int64(binary.BigEndian.Uint64(v[8:]))}
}

// addStats adds items and bytes to the stats under key.
func (w *wtx) addStats(key []byte, items, bytes int64) error {
	if items == 0 && bytes == 0 {
		return nil
	}
	st := getStats(w.tx, key)
	st.Items += items
	st.Bytes += bytes
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(st.Items))
	v = binary.BigEndian.AppendUint64(v, uint64(st.Bytes))
	return w.put(w.tx.Bucket(statsBucket), key, v)
}

// cloneTable returns a deep copy of t, so no caller shares the cache's.
func cloneTable(t tablestore.Table) tablestore.Table {
	t.Attributes = slices.Clone(t.Attributes)
	t.Indexes = slices.Clone(t.Indexes)
	for i := range t.Indexes {
		t.Indexes[i].Projection.NonKeyAttributes = slices.Clone(t.Indexes[i].Projection.NonKeyAttributes)
	}
	t.Tags = maps.Clone(t.Tags)
	t.SSE = maps.Clone(t.SSE)
	return t
}

// labelTime is the creation time a stream label names (zero if it is not one).
func labelTime(label string) time.Time {
	t, err := time.Parse(labelLayout, label)
	if err != nil {
		return time.Time{}
	}
	return t
}

const labelLayout = "2006-01-02T15:04:05.000"
