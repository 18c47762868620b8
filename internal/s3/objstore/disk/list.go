package disk

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Every listing walks a bbolt cursor in key order: it Seeks to Prefix or past
// After, and with a delimiter, once it meets a key that rolls up into a common
// prefix, Seeks past the whole prefix (successor of prefix..delimiter) rather
// than stepping over its keys. A common prefix at or before After (the marker
// of a page that ended on it, or a marker inside it) is skipped the same way,
// so a client walking pages sees every key and common prefix exactly once.

// quota counts the entries and common prefixes of a page.
type quota struct {
	left      int
	truncated bool
}

// take reports whether one more entry fits; when it does not, the page is
// truncated (there is at least that one more).
func (q *quota) take() bool {
	if q.left <= 0 {
		q.truncated = true
		return false
	}
	q.left--
	return true
}

// rollup returns the common prefix k rolls up into, or nil.
func rollup(k, prefix, delim []byte) []byte {
	if len(delim) == 0 {
		return nil
	}
	i := bytes.Index(k[len(prefix):], delim)
	if i < 0 {
		return nil
	}
	return k[:len(prefix)+i+len(delim)]
}

// seekAfter positions c at the first key that has prefix and is after after.
func seekAfter(c *bolt.Cursor, prefix, after []byte) ([]byte, []byte) {
	if bytes.Compare(after, prefix) < 0 {
		return c.Seek(prefix)
	}
	k, v := c.Seek(after)
	if k != nil && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	return k, v
}

// seekPast positions c at the first key that does not have prefix p and sorts
// after it.
func seekPast(c *bolt.Cursor, p []byte) ([]byte, []byte) {
	next := successor(p)
	if next == nil {
		return nil, nil
	}
	return c.Seek(next)
}

// List implements objstore.Store. A common prefix shows only if some key under
// it has an object (not a delete marker) as its latest version, as in S3.
func (s *Store) List(ctx context.Context, bucket string, q objstore.ListQuery) (objstore.ListPage, error) {
	var page objstore.ListPage
	err := s.read(ctx, func(tx *bolt.Tx) error {
		b, err := openBucket(tx, bucket)
		if err != nil {
			return err
		}
		page = objstore.ListPage{}
		quota := quota{left: q.MaxKeys}
		prefix, delim, after := []byte(q.Prefix), []byte(q.Delimiter), []byte(q.After)
		c := b.latest.Cursor()
		k, v := seekAfter(c, prefix, after)
		for k != nil && bytes.HasPrefix(k, prefix) {
			if cp := rollup(k, prefix, delim); cp != nil {
				if bytes.Compare(cp, after) <= 0 {
					k, v = seekPast(c, cp)
					continue
				}
				for k != nil && bytes.HasPrefix(k, cp) && isDeleteMarker(v) {
					k, v = c.Next()
				}
				if k == nil || !bytes.HasPrefix(k, cp) {
					continue // only delete markers under it
				}
				if !quota.take() {
					break
				}
				page.CommonPrefixes = append(page.CommonPrefixes, string(cp))
				page.NextKey = string(cp)
				k, v = seekPast(c, cp)
				continue
			}
			if isDeleteMarker(v) {
				k, v = c.Next()
				continue
			}
			if !quota.take() {
				break
			}
			o, err := decodeObject(string(k), v, decodeMeta)
			if err != nil {
				return fmt.Errorf("objstore/disk: %q: %w", k, err)
			}
			o.IsLatest = true
			if page.Objects == nil {
				page.Objects = make([]objstore.Object, 0, min(quota.left+1, 1000))
			}
			page.Objects = append(page.Objects, o)
			page.NextKey = o.Key
			k, v = c.Next()
		}
		page.Truncated = quota.truncated
		return nil
	})
	return page, err
}

// ListVersions implements objstore.Store.
func (s *Store) ListVersions(ctx context.Context, bucket string, q objstore.ListQuery) (objstore.ListPage, error) {
	var page objstore.ListPage
	err := s.read(ctx, func(tx *bolt.Tx) error {
		b, err := openBucket(tx, bucket)
		if err != nil {
			return err
		}
		page = objstore.ListPage{}
		quota := quota{left: q.MaxKeys}
		prefix, delim, after := []byte(q.Prefix), []byte(q.Delimiter), []byte(q.After)
		vc := b.versions().Cursor()

		add := func(key string, rec []byte, latest bool) error {
			o, err := decodeObject(key, rec, decodeMeta)
			if err != nil {
				return fmt.Errorf("objstore/disk: %q: %w", key, err)
			}
			o.IsLatest = latest
			if page.Objects == nil {
				page.Objects = make([]objstore.Object, 0, min(quota.left+1, 1000))
			}
			page.Objects = append(page.Objects, o)
			page.NextKey, page.NextVersion = key, o.VersionID
			return nil
		}
		// older adds the versions of key from versions/, starting at vk, vv.
		older := func(key string, vk, vv []byte) (bool, error) {
			p := versionsOf(key)
			for ; vk != nil && bytes.HasPrefix(vk, p); vk, vv = vc.Next() {
				if !quota.take() {
					return false, nil
				}
				if err := add(key, vv, false); err != nil {
					return false, err
				}
			}
			return true, nil
		}

		// The rest of After's versions, when the last page ended inside it.
		if q.AfterVersion != "" && bytes.HasPrefix(after, prefix) && rollup(after, prefix, delim) == nil {
			if lv := b.latest.Get(after); lv != nil {
				lo, err := decodeObject(q.After, lv, decodeMeta)
				if err != nil {
					return err
				}
				var vk, vv []byte
				found := true
				switch {
				case lo.VersionID == q.AfterVersion:
					vk, vv = vc.Seek(versionsOf(q.After))
				case q.AfterVersion == objstore.NullVersion:
					n := b.nulls().Get(after)
					if found = len(n) == 8; found {
						vk, vv = seekPastVersion(vc, q.After, binary.BigEndian.Uint64(n))
					}
				default:
					seq, ok := idSeq(q.AfterVersion)
					if found = ok; found {
						// Past where it is, or would be: a version deleted
						// since the last page does not lose the place.
						vk, vv = seekPastVersion(vc, q.After, seq)
					}
				}
				if found {
					if more, err := older(q.After, vk, vv); err != nil || !more {
						page.Truncated = quota.truncated
						return err
					}
				}
			}
		}

		c := b.latest.Cursor()
		k, v := seekAfter(c, prefix, after)
		for k != nil && bytes.HasPrefix(k, prefix) {
			if cp := rollup(k, prefix, delim); cp != nil {
				if bytes.Compare(cp, after) > 0 {
					if !quota.take() {
						break
					}
					page.CommonPrefixes = append(page.CommonPrefixes, string(cp))
					page.NextKey, page.NextVersion = string(cp), ""
				}
				k, v = seekPast(c, cp)
				continue
			}
			if !quota.take() {
				break
			}
			key := string(k)
			if err := add(key, v, true); err != nil {
				return err
			}
			vk, vv := vc.Seek(versionsOf(key))
			if more, err := older(key, vk, vv); err != nil {
				return err
			} else if !more {
				break
			}
			k, v = c.Next()
		}
		page.Truncated = quota.truncated
		return nil
	})
	return page, err
}

// seekPastVersion positions vc at the first version of key older than seq.
func seekPastVersion(vc *bolt.Cursor, key string, seq uint64) ([]byte, []byte) {
	vk := versionKey(key, seq)
	k, v := vc.Seek(vk)
	if k != nil && bytes.Equal(k, vk) {
		k, v = vc.Next()
	}
	return k, v
}

// Uploads implements objstore.Store.
func (s *Store) Uploads(ctx context.Context, bucket string, q objstore.UploadQuery) (objstore.UploadPage, error) {
	var page objstore.UploadPage
	err := s.read(ctx, func(tx *bolt.Tx) error {
		b, err := openBucket(tx, bucket)
		if err != nil {
			return err
		}
		page = objstore.UploadPage{}
		quota := quota{left: q.MaxUploads}
		prefix, delim, marker := []byte(q.Prefix), []byte(q.Delimiter), []byte(q.KeyMarker)
		c := b.uploads().Cursor()
		var k, v []byte
		switch {
		case q.KeyMarker == "":
			k, v = c.Seek(prefix)
		case q.UploadAfter != "":
			mk := uploadKey(q.KeyMarker, q.UploadAfter)
			if k, v = c.Seek(mk); k != nil && bytes.Equal(k, mk) {
				k, v = c.Next()
			}
		default:
			// Every entry of KeyMarker is KeyMarker 0x00 id; the first of a
			// greater key is at or after KeyMarker 0x01.
			k, v = c.Seek(append(bytes.Clone(marker), 1))
		}
		if k != nil && bytes.Compare(k, prefix) < 0 {
			k, v = c.Seek(prefix)
		}
		for k != nil && bytes.HasPrefix(k, prefix) {
			key, id := splitUploadKey(k)
			if cp := rollup([]byte(key), prefix, delim); cp != nil {
				if bytes.Compare(cp, marker) > 0 {
					if !quota.take() {
						break
					}
					page.CommonPrefixes = append(page.CommonPrefixes, string(cp))
					page.NextKey, page.NextUpload = string(cp), ""
				}
				k, v = seekPast(c, cp)
				continue
			}
			if !quota.take() {
				break
			}
			var u objstore.Upload
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("objstore/disk: upload %s: %w", id, err)
			}
			page.Uploads = append(page.Uploads, u)
			page.NextKey, page.NextUpload = key, id
			k, v = c.Next()
		}
		page.Truncated = quota.truncated
		return nil
	})
	return page, err
}
