package disk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// CreateUpload implements objstore.Store. The id is made like a version id, so
// a key's uploads sort in the order they were created.
func (s *Store) CreateUpload(ctx context.Context, bucket string, u objstore.Upload) (objstore.Upload, error) {
	var out objstore.Upload
	err := s.update(ctx, nil, func(w *wtx) error {
		u := u
		if err := checkKey(u.Key); err != nil {
			return err
		}
		b, err := openBucket(w.tx, bucket)
		if err != nil {
			return err
		}
		seq, err := w.nextSeq()
		if err != nil {
			return err
		}
		u.ID = newID(seq)
		if u.Initiated.IsZero() {
			u.Initiated = w.now
		}
		rec, err := json.Marshal(&u)
		if err != nil {
			return err
		}
		if err := w.put(b.uploads(), uploadKey(u.Key, u.ID), rec); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, err
}

// uploadOf returns the upload, or ErrNoSuchUpload.
func uploadOf(b *bucketTx, key, id string) (objstore.Upload, error) {
	var u objstore.Upload
	rec := b.uploads().Get(uploadKey(key, id))
	if rec == nil || checkKey(key) != nil || len(id) != idLen {
		return u, fmt.Errorf("%w: %s %s", objstore.ErrNoSuchUpload, key, id)
	}
	if err := json.Unmarshal(rec, &u); err != nil {
		return u, fmt.Errorf("objstore/disk: upload %s: %w", id, err)
	}
	return u, nil
}

// Upload implements objstore.Store.
func (s *Store) Upload(ctx context.Context, bucket, key, uploadID string) (objstore.Upload, error) {
	var out objstore.Upload
	err := s.read(ctx, func(tx *bolt.Tx) error {
		b, err := openBucket(tx, bucket)
		if err != nil {
			return err
		}
		out, err = uploadOf(b, key, uploadID)
		return err
	})
	return out, err
}

// PutPart implements objstore.Store.
func (s *Store) PutPart(ctx context.Context, bucket, key, uploadID string, p objstore.Part) error {
	return s.update(ctx, s.freshOf(p.Data), func(w *wtx) error {
		p := p
		if p.Number < 1 || p.Number > 1<<31-1 {
			return fmt.Errorf("objstore/disk: part number %d", p.Number)
		}
		b, err := openBucket(w.tx, bucket)
		if err != nil {
			return err
		}
		if _, err := uploadOf(b, key, uploadID); err != nil {
			return err
		}
		if err := w.checkRefs([]objstore.Data{p.Data}); err != nil {
			return err
		}
		if p.LastModified.IsZero() {
			p.LastModified = w.now
		}
		if err := w.incRefs([]objstore.Data{p.Data}); err != nil {
			return err
		}
		pk := partKey(uploadID, p.Number)
		if old := b.parts().Get(pk); old != nil {
			op, err := decodePart(old)
			if err != nil {
				return err
			}
			if err := w.decRefData([]objstore.Data{op.Data}); err != nil {
				return err
			}
		}
		return w.put(b.parts(), pk, encodePart(&p))
	})
}

// Parts implements objstore.Store.
func (s *Store) Parts(ctx context.Context, bucket, key, uploadID string, after, maxParts int) ([]objstore.Part, bool, error) {
	var parts []objstore.Part
	truncated := false
	err := s.read(ctx, func(tx *bolt.Tx) error {
		b, err := openBucket(tx, bucket)
		if err != nil {
			return err
		}
		if _, err := uploadOf(b, key, uploadID); err != nil {
			return err
		}
		after = min(max(after, 0), 1<<31-2)
		prefix := []byte(uploadID)
		c := b.parts().Cursor()
		for k, v := c.Seek(partKey(uploadID, after+1)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(parts) >= maxParts {
				truncated = true
				break
			}
			p, err := decodePart(v)
			if err != nil {
				return err
			}
			parts = append(parts, p)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return parts, truncated, nil
}

// CompleteUpload implements objstore.Store. Each of o.Parts must name a part of
// the upload by Number; the store takes the part's Data (and Size, ETag and
// Checksum where o's are empty) from what PutPart stored.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, uploadID string, o objstore.Object, cond objstore.Condition, ev objstore.Events) (objstore.Object, error) {
	var out objstore.Object
	err := s.update(ctx, nil, func(w *wtx) error {
		o := o
		o.Key = key
		b, err := openBucket(w.tx, bucket)
		if err != nil {
			return err
		}
		if _, err := uploadOf(b, key, uploadID); err != nil {
			return err
		}
		o.Parts = append([]objstore.Part(nil), o.Parts...)
		for i := range o.Parts {
			p := &o.Parts[i]
			rec := b.parts().Get(partKey(uploadID, p.Number))
			if rec == nil || p.Number < 1 {
				return fmt.Errorf("objstore/disk: upload %s has no part %d", uploadID, p.Number)
			}
			stored, err := decodePart(rec)
			if err != nil {
				return err
			}
			p.Data = stored.Data
			p.Size = stored.Size
			if p.ETag == "" {
				p.ETag = stored.ETag
			}
			if p.Checksum == "" {
				p.Checksum = stored.Checksum
			}
			if p.LastModified.IsZero() {
				p.LastModified = stored.LastModified
			}
		}
		if len(o.Parts) == 0 {
			o.Parts = nil
		}
		cur, curRec, err := latestOf(b, key, decodeRefs)
		if err != nil {
			return err
		}
		if err := checkCond(cur, cond); err != nil {
			return err
		}
		changes, err := w.putVersion(b, &o, cur, curRec)
		if err != nil {
			return err
		}
		if err := w.removeUpload(b, key, uploadID); err != nil {
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

// AbortUpload implements objstore.Store.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	return s.update(ctx, nil, func(w *wtx) error {
		b, err := openBucket(w.tx, bucket)
		if err != nil {
			return err
		}
		if _, err := uploadOf(b, key, uploadID); err != nil {
			return err
		}
		return w.removeUpload(b, key, uploadID)
	})
}

// removeUpload deletes the upload and its parts, releasing their data (parts a
// completed object names keep theirs through the object's reference).
func (w *wtx) removeUpload(b *bucketTx, key, id string) error {
	if err := w.del(b.uploads(), uploadKey(key, id)); err != nil {
		return err
	}
	prefix := []byte(id)
	c := b.parts().Cursor()
	var keys [][]byte
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		p, err := decodePart(v)
		if err != nil {
			return err
		}
		if err := w.decRefData([]objstore.Data{p.Data}); err != nil {
			return err
		}
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := w.del(b.parts(), k); err != nil {
			return err
		}
	}
	return nil
}
