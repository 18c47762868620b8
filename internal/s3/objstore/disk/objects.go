package disk

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// errDataGone: a write named data the store does not hold (released, or never
// committed by a DataWriter of this Open). A copy that raced the deletion of
// its source gets it; it wraps ErrNoSuchKey for that reason.
var errDataGone = fmt.Errorf("%w: data not held by the store", objstore.ErrNoSuchKey)

// Put implements objstore.Store.
func (s *Store) Put(ctx context.Context, bucket string, o objstore.Object, cond objstore.Condition, ev objstore.Events) (objstore.Object, error) {
	var out objstore.Object
	err := s.update(ctx, s.freshOf(o.Segments()...), func(w *wtx) error {
		o := o
		if err := checkKey(o.Key); err != nil {
			return err
		}
		b, err := openBucket(w.tx, bucket)
		if err != nil {
			return err
		}
		cur, curRec, err := latestOf(b, o.Key, decodeRefs)
		if err != nil {
			return err
		}
		if err := checkCond(cur, cond); err != nil {
			return err
		}
		if err := w.checkRefs(o.Segments()); err != nil {
			return err
		}
		changes, err := w.putVersion(b, &o, cur, curRec)
		if err != nil {
			return err
		}
		if err := w.emit(ev, changes); err != nil {
			return err
		}
		out = o
		return nil
	})
	if err != nil {
		return objstore.Object{}, err
	}
	return out, nil
}

// putVersion makes o (Key and content set) the latest version of its key by the
// bucket's versioning rules and returns the changes, in Seq order; cur and
// curRec are the key's latest version as read in this transaction (nil if
// none). It sets o's VersionID, Seq, LastModified and IsLatest.
func (w *wtx) putVersion(b *bucketTx, o *objstore.Object, cur *objstore.Object, curRec []byte) ([]objstore.Change, error) {
	var changes []objstore.Change
	// The new version's references count before the old one's go, so data
	// that both name (an object copied onto itself) is never released.
	if err := w.incRefs(o.Segments()); err != nil {
		return nil, err
	}
	enabled := versioning(b) == objstore.VersioningEnabled
	if enabled {
		if cur != nil {
			if err := w.demote(b, cur, curRec); err != nil {
				return nil, err
			}
		}
	} else {
		removed, err := w.displaceNull(b, o.Key, cur, curRec)
		if err != nil {
			return nil, err
		}
		if removed != nil {
			// The removal happens first, so it takes the first number.
			ch, err := w.removal(removed)
			if err != nil {
				return nil, err
			}
			changes = append(changes, ch)
		}
	}
	seq, err := w.nextSeq()
	if err != nil {
		return nil, err
	}
	o.Seq, o.LastModified, o.DeleteMarker, o.IsLatest = seq, w.now, false, true
	o.VersionID = objstore.NullVersion
	if enabled {
		o.VersionID = newID(seq)
	}
	if err := w.put(b.latest, []byte(o.Key), encodeObject(o)); err != nil {
		return nil, err
	}
	return append(changes, objstore.Change{Kind: objstore.ChangePut, Seq: seq, Object: *o}), nil
}

// removal returns the Change of version o removed for good, with a Seq of its
// own taken now.
func (w *wtx) removal(o *objstore.Object) (objstore.Change, error) {
	seq, err := w.nextSeq()
	if err != nil {
		return objstore.Change{}, err
	}
	o.IsLatest = false
	return objstore.Change{Kind: objstore.ChangeDelete, Seq: seq, Object: *o}, nil
}

// displaceNull is how a write with versioning never enabled or suspended
// begins: the key's null version goes for good, wherever it is, and a latest
// version that is not null moves to versions/. It returns the null version
// removed (nil if there was none). The caller then writes latest/.
func (w *wtx) displaceNull(b *bucketTx, key string, cur *objstore.Object, curRec []byte) (*objstore.Object, error) {
	if cur == nil {
		return nil, nil
	}
	if cur.VersionID == objstore.NullVersion {
		return cur, w.decRefs(cur)
	}
	removed, err := w.removeOlderNull(b, key)
	if err != nil {
		return nil, err
	}
	return removed, w.demote(b, cur, curRec)
}

// removeOlderNull removes the key's null version from versions/ (it is not the
// latest) and returns it, or nil when the key has none there.
func (w *wtx) removeOlderNull(b *bucketTx, key string) (*objstore.Object, error) {
	v := b.nulls().Get([]byte(key))
	if len(v) != 8 {
		return nil, nil
	}
	vk := versionKey(key, binary.BigEndian.Uint64(v))
	rec := b.versions().Get(vk)
	if rec == nil {
		return nil, fmt.Errorf("objstore/disk: null version of %q: %w", key, errCorrupt)
	}
	o, err := decodeObject(key, rec, decodeRefs)
	if err != nil {
		return nil, err
	}
	if err := w.del(b.versions(), vk); err != nil {
		return nil, err
	}
	if err := w.del(b.nulls(), []byte(key)); err != nil {
		return nil, err
	}
	return &o, w.decRefs(&o)
}

// demote moves the latest version cur (record curRec) into versions/, as a
// newer version is about to take its place in latest/.
func (w *wtx) demote(b *bucketTx, cur *objstore.Object, curRec []byte) error {
	if err := w.put(b.versions(), versionKey(cur.Key, cur.Seq), bytes.Clone(curRec)); err != nil {
		return err
	}
	if cur.VersionID == objstore.NullVersion {
		return w.put(b.nulls(), []byte(cur.Key), binary.BigEndian.AppendUint64(nil, cur.Seq))
	}
	return nil
}

// removeLatest removes the latest version of key for good and makes the next
// newest, if any, the latest.
func (w *wtx) removeLatest(b *bucketTx, cur *objstore.Object) error {
	if err := w.decRefs(cur); err != nil {
		return err
	}
	prefix := versionsOf(cur.Key)
	k, rec := b.versions().Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return w.del(b.latest, []byte(cur.Key))
	}
	k, rec = bytes.Clone(k), bytes.Clone(rec)
	if err := w.del(b.versions(), k); err != nil {
		return err
	}
	if err := w.put(b.latest, []byte(cur.Key), rec); err != nil {
		return err
	}
	if next, err := decodeObject(cur.Key, rec, decodeMeta); err != nil {
		return err
	} else if next.VersionID == objstore.NullVersion {
		return w.del(b.nulls(), []byte(cur.Key))
	}
	return nil
}

// latestOf returns the latest version of key and its record, or nils.
func latestOf(b *bucketTx, key string, mode decodeMode) (*objstore.Object, []byte, error) {
	rec := b.latest.Get([]byte(key))
	if rec == nil {
		return nil, nil, nil
	}
	o, err := decodeObject(key, rec, mode)
	if err != nil {
		return nil, nil, fmt.Errorf("objstore/disk: %q: %w", key, err)
	}
	o.IsLatest = true
	return &o, rec, nil
}

// findVersion returns the version id of key and the bbolt bucket and key it is
// stored under, or a nil object when there is no such version.
func findVersion(b *bucketTx, key, id string, mode decodeMode) (*objstore.Object, *bolt.Bucket, []byte, error) {
	cur, _, err := latestOf(b, key, mode)
	if err != nil || cur == nil {
		return nil, nil, nil, err
	}
	if cur.VersionID == id {
		return cur, b.latest, []byte(key), nil
	}
	var seq uint64
	if id == objstore.NullVersion {
		v := b.nulls().Get([]byte(key))
		if len(v) != 8 {
			return nil, nil, nil, nil
		}
		seq = binary.BigEndian.Uint64(v)
	} else {
		var ok bool
		if seq, ok = idSeq(id); !ok {
			return nil, nil, nil, nil
		}
	}
	vk := versionKey(key, seq)
	rec := b.versions().Get(vk)
	if rec == nil {
		return nil, nil, nil, nil
	}
	o, err := decodeObject(key, rec, mode)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("objstore/disk: %q: %w", key, err)
	}
	if o.VersionID != id {
		return nil, nil, nil, nil
	}
	return &o, b.versions(), vk, nil
}

func versioning(b *bucketTx) string { return string(b.root.Get(versioningKey)) }

// checkCond checks c against the key's latest version cur (nil if none).
func checkCond(cur *objstore.Object, c objstore.Condition) error {
	live := cur != nil && !cur.DeleteMarker
	if c.IfNoneMatch != "" && live && (c.IfNoneMatch == "*" || c.IfNoneMatch == cur.ETag) {
		return fmt.Errorf("%w: If-None-Match %s", objstore.ErrPreconditionFailed, c.IfNoneMatch)
	}
	if c.IfMatch != "" {
		if !live {
			return fmt.Errorf("%w: If-Match: %w", objstore.ErrPreconditionFailed, objstore.ErrNoSuchKey)
		}
		if c.IfMatch != "*" && c.IfMatch != cur.ETag {
			return fmt.Errorf("%w: If-Match %s", objstore.ErrPreconditionFailed, c.IfMatch)
		}
	}
	if c.IfSeq != 0 && (cur == nil || cur.Seq != c.IfSeq) {
		return fmt.Errorf("%w: the latest version is not Seq %d", objstore.ErrPreconditionFailed, c.IfSeq)
	}
	return nil
}

// Get implements objstore.Store.
func (s *Store) Get(ctx context.Context, bucket, key, versionID string) (objstore.Object, error) {
	var out objstore.Object
	err := s.read(ctx, func(tx *bolt.Tx) error {
		b, err := openBucket(tx, bucket)
		if err != nil {
			return err
		}
		if versionID == "" {
			o, _, err := latestOf(b, key, decodeAll)
			if err != nil {
				return err
			}
			if o == nil {
				return fmt.Errorf("%w: %s", objstore.ErrNoSuchKey, key)
			}
			out = *o
			return nil
		}
		o, _, _, err := findVersion(b, key, versionID, decodeAll)
		if err != nil {
			return err
		}
		if o == nil {
			return fmt.Errorf("%w: %s %s", objstore.ErrNoSuchVersion, key, versionID)
		}
		out = *o
		return nil
	})
	return out, err
}

// Delete implements objstore.Store.
func (s *Store) Delete(ctx context.Context, bucket, key, versionID string, cond objstore.Condition, ev objstore.Events) (objstore.Change, error) {
	var out objstore.Change
	err := s.update(ctx, nil, func(w *wtx) error {
		out = objstore.Change{}
		b, err := openBucket(w.tx, bucket)
		if err != nil {
			return err
		}
		if checkKey(key) != nil {
			return checkCond(nil, cond) // no such key can exist
		}
		cur, curRec, err := latestOf(b, key, decodeRefs)
		if err != nil {
			return err
		}
		if err := checkCond(cur, cond); err != nil {
			return err
		}
		changes, err := w.deleteVersion(b, key, versionID, cur, curRec)
		if err != nil || len(changes) == 0 {
			return err
		}
		if err := w.emit(ev, changes); err != nil {
			return err
		}
		out = changes[len(changes)-1]
		return nil
	})
	if err != nil {
		return objstore.Change{}, err
	}
	return out, nil
}

// deleteVersion is Delete once its condition holds: it removes versionID of key
// (the latest when "") by the bucket's versioning rules and returns the changes
// in Seq order, none when there was nothing to delete. cur and curRec are the
// key's latest version as read in this transaction (nil if none).
func (w *wtx) deleteVersion(b *bucketTx, key, versionID string, cur *objstore.Object, curRec []byte) ([]objstore.Change, error) {
	if versionID != "" {
		o, _, _, err := findVersion(b, key, versionID, decodeRefs)
		if err != nil || o == nil {
			return nil, err
		}
		if err := w.removeVersion(b, o); err != nil {
			return nil, err
		}
		ch, err := w.removal(o)
		if err != nil {
			return nil, err
		}
		return []objstore.Change{ch}, nil
	}
	var changes []objstore.Change
	switch versioning(b) {
	case "":
		if cur == nil {
			return nil, nil
		}
		if err := w.removeLatest(b, cur); err != nil {
			return nil, err
		}
		ch, err := w.removal(cur)
		if err != nil {
			return nil, err
		}
		return []objstore.Change{ch}, nil
	case objstore.VersioningEnabled:
		if cur != nil {
			if err := w.demote(b, cur, curRec); err != nil {
				return nil, err
			}
		}
		dm, err := w.putMarker(b, key, func(seq uint64) string { return newID(seq) })
		if err != nil {
			return nil, err
		}
		return append(changes, objstore.Change{Kind: objstore.ChangeDeleteMarker, Seq: dm.Seq, Object: dm}), nil
	default: // Suspended
		removed, err := w.displaceNull(b, key, cur, curRec)
		if err != nil {
			return nil, err
		}
		if removed != nil {
			ch, err := w.removal(removed)
			if err != nil {
				return nil, err
			}
			changes = append(changes, ch)
		}
		dm, err := w.putMarker(b, key, func(uint64) string { return objstore.NullVersion })
		if err != nil {
			return nil, err
		}
		return append(changes, objstore.Change{Kind: objstore.ChangeDeleteMarker, Seq: dm.Seq, Object: dm}), nil
	}
}

// putMarker writes a delete marker as the latest version of key (the caller
// has moved the old latest out of the way) and returns it.
func (w *wtx) putMarker(b *bucketTx, key string, id func(seq uint64) string) (objstore.Object, error) {
	seq, err := w.nextSeq()
	if err != nil {
		return objstore.Object{}, err
	}
	dm := objstore.Object{Key: key, VersionID: id(seq), DeleteMarker: true, IsLatest: true, LastModified: w.now, Seq: seq}
	return dm, w.put(b.latest, []byte(key), encodeObject(&dm))
}

// removeVersion removes version o (found by findVersion) for good.
func (w *wtx) removeVersion(b *bucketTx, o *objstore.Object) error {
	if o.IsLatest {
		return w.removeLatest(b, o)
	}
	if err := w.del(b.versions(), versionKey(o.Key, o.Seq)); err != nil {
		return err
	}
	if o.VersionID == objstore.NullVersion {
		if err := w.del(b.nulls(), []byte(o.Key)); err != nil {
			return err
		}
	}
	return w.decRefs(o)
}

// UpdateTags implements objstore.Store. A delete marker has no tags to
// replace: ErrNoSuchKey (latest) or ErrNoSuchVersion (named).
func (s *Store) UpdateTags(ctx context.Context, bucket, key, versionID string, tags []objstore.Tag, ev objstore.Events) (objstore.Object, error) {
	var out objstore.Object
	err := s.update(ctx, nil, func(w *wtx) error {
		b, err := openBucket(w.tx, bucket)
		if err != nil {
			return err
		}
		var o *objstore.Object
		var where *bolt.Bucket
		var k []byte
		notFound := objstore.ErrNoSuchVersion
		if versionID == "" {
			notFound = objstore.ErrNoSuchKey
			o, _, err = latestOf(b, key, decodeAll)
			where, k = b.latest, []byte(key)
		} else {
			o, where, k, err = findVersion(b, key, versionID, decodeAll)
		}
		if err != nil {
			return err
		}
		if o == nil || o.DeleteMarker {
			return fmt.Errorf("%w: %s %s", notFound, key, versionID)
		}
		o.Tags = append([]objstore.Tag(nil), tags...)
		if len(o.Tags) == 0 {
			o.Tags = nil
		}
		if err := w.put(where, k, encodeObject(o)); err != nil {
			return err
		}
		seq, err := w.nextSeq()
		if err != nil {
			return err
		}
		if err := w.emit(ev, []objstore.Change{{Kind: objstore.ChangeTags, Seq: seq, Object: *o}}); err != nil {
			return err
		}
		out = *o
		return nil
	})
	if err != nil {
		return objstore.Object{}, err
	}
	return out, nil
}

// emit calls ev with changes and keeps the records it returns in the outbox.
func (w *wtx) emit(ev objstore.Events, changes []objstore.Change) error {
	if ev == nil || len(changes) == 0 {
		return nil
	}
	recs := ev(changes)
	if len(recs) == 0 {
		return nil
	}
	w.dirty = true
	ob := w.tx.Bucket(outboxBucket)
	for _, r := range recs {
		n, err := ob.NextSequence()
		if err != nil {
			return err
		}
		if err := ob.Put(binary.BigEndian.AppendUint64(nil, n), bytes.Clone(r)); err != nil {
			return err
		}
	}
	w.outboxed = true
	return nil
}

// checkRefs fails unless the store holds every file-backed segment in segs:
// named by a version or part, or fresh from a DataWriter. It changes nothing.
func (w *wtx) checkRefs(segs []objstore.Data) error {
	refs := w.tx.Bucket(refsBucket)
	for _, d := range segs {
		if d.Ref == "" {
			continue
		}
		if _, ok := refEpoch(d.Ref); !ok {
			return fmt.Errorf("objstore/disk: bad data ref %q", d.Ref)
		}
		if refs.Get([]byte(d.Ref)) == nil && !w.s.isFresh(d.Ref) {
			return fmt.Errorf("%w: %s", errDataGone, d.Ref)
		}
	}
	return nil
}

// incRefs counts one more reference to each file-backed segment in segs
// (checked by checkRefs).
func (w *wtx) incRefs(segs []objstore.Data) error {
	refs := w.tx.Bucket(refsBucket)
	for _, d := range segs {
		if d.Ref == "" {
			continue
		}
		var n uint64
		if v := refs.Get([]byte(d.Ref)); v != nil {
			n, _ = binary.Uvarint(v)
		}
		if err := w.put(refs, []byte(d.Ref), binary.AppendUvarint(nil, n+1)); err != nil {
			return err
		}
	}
	return nil
}

// decRefs drops the references of o's segments; a file no longer named is
// unlinked after the commit.
func (w *wtx) decRefs(o *objstore.Object) error { return w.decRefData(o.Segments()) }

func (w *wtx) decRefData(segs []objstore.Data) error {
	refs := w.tx.Bucket(refsBucket)
	for _, d := range segs {
		if d.Ref == "" {
			continue
		}
		k := []byte(d.Ref)
		var n uint64
		if v := refs.Get(k); v != nil {
			n, _ = binary.Uvarint(v)
		}
		if n <= 1 {
			if err := w.del(refs, k); err != nil {
				return err
			}
			w.unlink = append(w.unlink, d.Ref)
			continue
		}
		if err := w.put(refs, k, binary.AppendUvarint(nil, n-1)); err != nil {
			return err
		}
	}
	return nil
}
