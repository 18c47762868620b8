package bolt

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// source is what a Query or Scan walks: a table's items or one index's
// entries, whose values name the items.
type source struct {
	m     *tmeta
	im    *imeta // nil for the table
	key   *keyDef
	b     *bolt.Bucket
	items *bolt.Bucket
}

func (s *Store) source(tx *bolt.Tx, table, index string) (*source, error) {
	m, err := s.tableMeta(tx, table)
	if err != nil {
		return nil, err
	}
	src := &source{m: m, key: &m.key, items: tx.Bucket(m.items)}
	src.b = src.items
	if index != "" {
		im, ok := m.index(index)
		if !ok {
			return nil, fmt.Errorf("%w: %s on %s", tablestore.ErrIndexNotFound, index, table)
		}
		if im.ix.Backfilling {
			return nil, fmt.Errorf("%w: %s on %s", tablestore.ErrBackfilling, index, table)
		}
		src.im, src.key, src.b = im, &im.key, tx.Bucket(im.bucket)
	}
	if src.b == nil || src.items == nil {
		return nil, errCorrupt
	}
	return src, nil
}

// startKey is the key of an ExclusiveStartKey in src's bucket.
func (src *source) startKey(start attr.Item) ([]byte, error) {
	tkey, hashLen, ok := src.m.key.appendKey(nil, start)
	if !ok {
		return nil, fmt.Errorf("%w: ExclusiveStartKey", errBadKey)
	}
	if src.im == nil {
		return tkey, nil
	}
	k, ok := src.im.entry(nil, start, tkey, hashLen)
	if !ok {
		return nil, fmt.Errorf("%w: ExclusiveStartKey", errBadKey)
	}
	return k, nil
}

// item returns the item of an entry (k, v) of src's bucket: nil, nil when an
// index entry names no item (it cannot, but a read never fails for it).
func (src *source) item(v []byte) (attr.Item, error) {
	if src.im != nil {
		if v = src.items.Get(v); v == nil {
			return nil, nil
		}
	}
	return decodeItem(v)
}

// Query implements tablestore.Store. The range condition becomes a byte
// interval [lo, hi) of the bucket's keys (AppendKey keeps the values' order
// and no key is a prefix of another), so the walk Seeks to its first key and
// stops at its end, forward or backward, and reads no key outside it.
func (s *Store) Query(ctx context.Context, q tablestore.Query, visit tablestore.Visit) error {
	return s.read(ctx, func(tx *bolt.Tx) error {
		src, err := s.source(tx, q.Table, q.Index)
		if err != nil {
			return err
		}
		if !keyKindOK(q.Hash.Kind, src.key.hashKind) {
			return fmt.Errorf("%w: hash key value of kind %v", errBadKey, q.Hash.Kind)
		}
		prefix := attr.AppendKey(nil, q.Hash)
		lo, hi := prefix, prefixEnd(prefix)
		if q.Range != nil && src.key.rng != "" {
			if lo, hi, err = rangeBounds(prefix, src.key.rangeKind, q.Range); err != nil {
				return err
			}
		}
		if q.Start != nil {
			sk, err := src.startKey(q.Start)
			if err != nil {
				return err
			}
			if q.Backward {
				if hi == nil || bytes.Compare(sk, hi) < 0 {
					hi = sk
				}
			} else if after := append(sk, 0); bytes.Compare(after, lo) > 0 {
				lo = after
			}
		}
		if lo == nil || hi != nil && bytes.Compare(lo, hi) >= 0 {
			return nil
		}
		c := src.b.Cursor()
		var k, v []byte
		if q.Backward {
			if hi == nil {
				k, v = c.Last()
			} else if k, v = c.Seek(hi); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Seek(lo)
		}
		for k != nil {
			if q.Backward && bytes.Compare(k, lo) < 0 || !q.Backward && hi != nil && bytes.Compare(k, hi) >= 0 {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			it, err := src.item(v)
			if err != nil {
				return err
			}
			if it != nil && !visit(it) {
				return nil
			}
			if q.Backward {
				k, v = c.Prev()
			} else {
				k, v = c.Next()
			}
		}
		return nil
	})
}

// rangeBounds is the interval [lo, hi) of keys under prefix (the hash key's)
// whose range key meets r; hi nil is no bound, lo nil an empty interval.
func rangeBounds(prefix []byte, kind attr.Kind, r *tablestore.Range) (lo, hi []byte, err error) {
	enc := func(i int) ([]byte, error) {
		v := r.Values[i]
		if !keyKindOK(v.Kind, kind) {
			return nil, fmt.Errorf("%w: range key value of kind %v", errBadKey, v.Kind)
		}
		return attr.AppendKey(bytes.Clone(prefix), v), nil
	}
	lo, hi = prefix, prefixEnd(prefix)
	a, err := enc(0)
	if err != nil {
		return nil, nil, err
	}
	switch r.Op {
	case "=":
		lo, hi = a, prefixEnd(a)
	case "<":
		hi = a
	case "<=":
		hi = prefixEnd(a)
	case ">":
		lo = prefixEnd(a)
	case ">=":
		lo = a
	case "BETWEEN":
		b, err := enc(1)
		if err != nil {
			return nil, nil, err
		}
		lo, hi = a, prefixEnd(b)
	case "BEGINS_WITH":
		// The values with prefix p are [p, p+1): p+1 is p with its last byte
		// below 0xFF incremented (and what follows dropped).
		var p []byte
		switch v := r.Values[0]; v.Kind {
		case attr.S:
			p = []byte(v.Str)
		case attr.B:
			p = v.Bin
		default:
			return nil, nil, fmt.Errorf("tablestore/bolt: BEGINS_WITH on a %v key", v.Kind)
		}
		lo = a
		if succ := prefixEnd(p); succ != nil {
			v := attr.Value{Kind: r.Values[0].Kind, Str: string(succ), Bin: succ}
			if v.Kind == attr.S {
				v.Bin = nil
			} else {
				v.Str = ""
			}
			hi = attr.AppendKey(bytes.Clone(prefix), v)
		}
	default:
		return nil, nil, fmt.Errorf("tablestore/bolt: range condition %q", r.Op)
	}
	return lo, hi, nil
}

// prefixEnd returns the least key above every key with prefix p (nil when
// there is none: p is empty or all 0xFF).
func prefixEnd(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] < 0xFF {
			end := bytes.Clone(p[:i+1])
			end[i]++
			return end
		}
	}
	return nil
}

// Scan implements tablestore.Store. It walks the bucket in key order (hash
// key, then range key; on an index, the index's). A segment of a parallel
// scan holds the keys whose encoded hash key hashes (FNV-1a) to it, so every
// item of a hash key is in the same one; each segment walks the whole bucket
// and skips the others' keys.
func (s *Store) Scan(ctx context.Context, sc tablestore.Scan, visit tablestore.Visit) error {
	if sc.TotalSegments > 1 && (sc.Segment < 0 || sc.Segment >= sc.TotalSegments) {
		return fmt.Errorf("tablestore/bolt: segment %d of %d", sc.Segment, sc.TotalSegments)
	}
	return s.read(ctx, func(tx *bolt.Tx) error {
		src, err := s.source(tx, sc.Table, sc.Index)
		if err != nil {
			return err
		}
		c := src.b.Cursor()
		var k, v []byte
		if sc.Start != nil {
			sk, err := src.startKey(sc.Start)
			if err != nil {
				return err
			}
			k, v = c.Seek(append(sk, 0))
		} else {
			k, v = c.First()
		}
		for ; k != nil; k, v = c.Next() {
			if sc.TotalSegments > 1 {
				seg, err := segmentOf(src.key.hashKind, k, sc.TotalSegments)
				if err != nil {
					return err
				}
				if seg != sc.Segment {
					continue
				}
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			it, err := src.item(v)
			if err != nil {
				return err
			}
			if it != nil && !visit(it) {
				return nil
			}
		}
		return nil
	})
}

// segmentOf is the parallel scan segment of key k (of a bucket whose first
// component is a hash key of kind kind) among total.
func segmentOf(kind attr.Kind, k []byte, total int) (int, error) {
	_, rest, err := attr.DecodeKey(kind, k)
	if err != nil {
		return 0, fmt.Errorf("%w: key: %v", errCorrupt, err)
	}
	// FNV-1a, inline: hash/fnv's Hash would allocate for every key.
	h := uint32(2166136261)
	for _, c := range k[:len(k)-len(rest)] {
		h ^= uint32(c)
		h *= 16777619
	}
	return int(h % uint32(total)), nil
}
