package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// errBadKey: an item or key lacks a key attribute of the schema, or has one
// of another kind. The service validates keys first, so this is a bug there.
var errBadKey = errors.New("tablestore/bolt: key does not match the key schema")

// keyKindOK reports whether a key value of kind k fits a schema's kind want.
func keyKindOK(k, want attr.Kind) bool {
	if want == attr.Invalid {
		return k == attr.S || k == attr.N || k == attr.B
	}
	return k == want
}

// appendKey appends the key of it under kd: AppendKey(hash) and, for a
// composite key, AppendKey(range). hashLen is the length of the hash part; ok
// is false when it lacks the key (or holds it with another kind).
func (kd *keyDef) appendKey(dst []byte, it attr.Item) (out []byte, hashLen int, ok bool) {
	h, ok := it[kd.hash]
	if !ok || !keyKindOK(h.Kind, kd.hashKind) {
		return dst, 0, false
	}
	start := len(dst)
	dst = attr.AppendKey(dst, h)
	hashLen = len(dst) - start
	if kd.rng != "" {
		r, ok := it[kd.rng]
		if !ok || !keyKindOK(r.Kind, kd.rangeKind) {
			return dst, 0, false
		}
		dst = attr.AppendKey(dst, r)
	}
	return dst, hashLen, true
}

// entry returns it's entry key in the index (ok false: it is not in the
// index), given its table key tkey whose hash part is hashLen bytes.
func (im *imeta) entry(dst []byte, it attr.Item, tkey []byte, hashLen int) ([]byte, bool) {
	if it == nil {
		return nil, false
	}
	dst, _, ok := im.key.appendKey(dst, it)
	if !ok {
		return nil, false
	}
	if im.withHash {
		return append(dst, tkey...), true
	}
	return append(dst, tkey[hashLen:]...), true
}

// projSize is the size of what the index holds of it, whose whole size is
// size.
func (m *tmeta) projSize(im *imeta, it attr.Item, size int64) int64 {
	p := im.ix.Projection
	if p.Type == "ALL" || p.Type == "" {
		return size
	}
	out := make(attr.Item, 4+len(p.NonKeyAttributes))
	for _, name := range [...]string{m.key.hash, m.key.rng, im.key.hash, im.key.rng} {
		if v, ok := it[name]; ok && name != "" {
			out[name] = v
		}
	}
	if p.Type == "INCLUDE" {
		for _, name := range p.NonKeyAttributes {
			if v, ok := it[name]; ok {
				out[name] = v
			}
		}
	}
	return attr.ItemSize(out)
}

// Get implements tablestore.Store. This is GetItem's path: one cached table
// lookup, one bbolt Get and one decode; BenchmarkGet guards it.
func (s *Store) Get(ctx context.Context, table string, key attr.Item) (attr.Item, error) {
	var it attr.Item
	err := s.read(ctx, func(tx *bolt.Tx) error {
		m, err := s.tableMeta(tx, table)
		if err != nil {
			return err
		}
		var buf [64]byte
		k, _, ok := m.key.appendKey(buf[:0], key)
		if !ok {
			return errBadKey
		}
		items := tx.Bucket(m.items)
		if items == nil {
			return errCorrupt
		}
		v := items.Get(k)
		if v == nil {
			return nil
		}
		it, err = decodeItem(v)
		return err
	})
	return it, err
}

// change is one op's decided change, between deciding and storing.
type change struct {
	op       *tablestore.Op
	m        *tmeta
	key      []byte
	hashLen  int
	old, new attr.Item
}

// Write implements tablestore.Store. The Applies run first, every one, against
// the items as this transaction sees them (an op sees the change of an earlier
// op of the same Write on the same item); only when all succeeded are the
// changes stored, so a failed Write changes nothing and costs the other writes
// of its batch nothing. An op naming a table that does not exist, or a key
// that does not fit its schema, fails without its Apply running.
func (s *Store) Write(ctx context.Context, ops []tablestore.Op) error {
	if len(ops) == 0 {
		return s.checkOpen(ctx)
	}
	return s.update(ctx, false, func(w *wtx) error { return w.write(ops) })
}

func (w *wtx) write(ops []tablestore.Op) error {
	changes := make([]change, 0, len(ops))
	var overlay map[string]attr.Item // earlier ops' results, when ops > 1
	if len(ops) > 1 {
		overlay = make(map[string]attr.Item, len(ops))
	}
	var first error
	fail := func(i int, err error) {
		if first == nil {
			first = fmt.Errorf("tablestore/bolt: write op %d on %s: %w", i, ops[i].Table, err)
		}
	}
	for i := range ops {
		op := &ops[i]
		m, err := w.s.tableMeta(w.tx, op.Table)
		if err != nil {
			fail(i, err)
			continue
		}
		key, hashLen, ok := m.key.appendKey(nil, op.Key)
		if !ok {
			fail(i, errBadKey)
			continue
		}
		var old attr.Item
		ok = false
		if overlay != nil {
			old, ok = overlay[string(m.items)+string(key)]
		}
		if !ok {
			items := w.tx.Bucket(m.items)
			if items == nil {
				fail(i, errCorrupt)
				continue
			}
			if v := items.Get(key); v != nil {
				if old, err = decodeItem(v); err != nil {
					fail(i, err)
					continue
				}
			}
		}
		next, err := callApply(op.Apply, old)
		if errors.Is(err, tablestore.ErrNoChange) {
			continue
		}
		if err != nil {
			fail(i, err)
			continue
		}
		if next != nil {
			nk, _, ok := m.key.appendKey(nil, next)
			if !ok || !bytes.Equal(nk, key) {
				fail(i, fmt.Errorf("%w: Apply returned an item of another key", errBadKey))
				continue
			}
		}
		if old == nil && next == nil {
			continue // deleting what is not there
		}
		changes = append(changes, change{op: op, m: m, key: key, hashLen: hashLen, old: old, new: next})
		if overlay != nil {
			overlay[string(m.items)+string(key)] = next
		}
	}
	if first != nil {
		return first
	}
	var buf []byte
	for i := range changes {
		var err error
		if buf, err = w.store(&changes[i], buf[:0]); err != nil {
			return err
		}
	}
	return nil
}

// callApply runs an Apply, turning a panic into its error.
func callApply(apply func(attr.Item) (attr.Item, error), old attr.Item) (it attr.Item, err error) {
	defer func() {
		if r := recover(); r != nil {
			it, err = nil, fmt.Errorf("tablestore/bolt: panic in Apply: %v", r)
		}
	}()
	return apply(old)
}

// store writes one decided change: the item, its index entries, the stats
// and the stream record. buf is scratch space it returns for reuse.
func (w *wtx) store(c *change, buf []byte) ([]byte, error) {
	m := c.m
	items := w.tx.Bucket(m.items)
	var oldSize, newSize int64
	if c.old != nil {
		oldSize = attr.ItemSize(c.old)
	}
	var err error
	if c.new != nil {
		newSize = attr.ItemSize(c.new)
		buf = appendItem(buf, c.new)
		// bbolt keeps the value slice until commit: give it its own.
		err = w.put(items, c.key, bytes.Clone(buf))
	} else {
		err = w.del(items, c.key)
	}
	if err != nil {
		return buf, err
	}
	if err := w.addStats(m.stats, b2i(c.new != nil)-b2i(c.old != nil), newSize-oldSize); err != nil {
		return buf, err
	}
	for i := range m.indexes {
		if err := w.storeEntry(c, &m.indexes[i], oldSize, newSize); err != nil {
			return buf, err
		}
	}
	if m.rec.Table.Stream.Enabled && m.rec.Stream != 0 {
		if err := w.appendStream(c); err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// storeEntry updates one index for a change. An index being built may not
// have an entry for the old item yet; the entry's presence, not the old item,
// then decides what the stats lose, so the backfill never counts twice.
func (w *wtx) storeEntry(c *change, im *imeta, oldSize, newSize int64) error {
	b := w.tx.Bucket(im.bucket)
	if b == nil {
		return errCorrupt
	}
	oe, oldIn := im.entry(nil, c.old, c.key, c.hashLen)
	ne, newIn := im.entry(nil, c.new, c.key, c.hashLen)
	if oldIn && c.m.rec.Building[im.ix.Name] {
		oldIn = b.Get(oe) != nil
	}
	same := oldIn && newIn && bytes.Equal(oe, ne)
	if oldIn && !same {
		if err := w.del(b, oe); err != nil {
			return err
		}
	}
	if newIn && !same {
		if err := w.put(b, ne, c.key); err != nil {
			return err
		}
	}
	var bytes int64
	if newIn {
		bytes += c.m.projSize(im, c.new, newSize)
	}
	if oldIn {
		bytes -= c.m.projSize(im, c.old, oldSize)
	}
	return w.addStats(im.stats, b2i(newIn)-b2i(oldIn), bytes)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
