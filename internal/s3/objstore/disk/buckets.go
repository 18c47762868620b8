package disk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var errBadName = errors.New("objstore/disk: bad bucket name")

// CreateBucket implements objstore.Store.
func (s *Store) CreateBucket(ctx context.Context, b objstore.Bucket) error {
	if b.Name == "" {
		return errBadName
	}
	if err := checkVersioning("", b.Versioning); err != nil {
		return err
	}
	return s.update(ctx, nil, func(w *wtx) error {
		name := bucketName(b.Name)
		if w.tx.Bucket(name) != nil {
			return fmt.Errorf("%w: %s", objstore.ErrBucketExists, b.Name)
		}
		w.dirty = true
		root, err := w.tx.CreateBucket(name)
		if err != nil {
			return err
		}
		for _, sub := range [][]byte{latestName, versionsName, nullsName, uploadsName, partsName} {
			if _, err := root.CreateBucket(sub); err != nil {
				return err
			}
		}
		return putBucketConfig(w, root, &b)
	})
}

func putBucketConfig(w *wtx, root *bolt.Bucket, b *objstore.Bucket) error {
	c := *b
	c.Versioning = ""
	cfg, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	if err := w.put(root, configKey, cfg); err != nil {
		return err
	}
	return w.put(root, versioningKey, []byte(b.Versioning))
}

func readBucket(root *bolt.Bucket) (objstore.Bucket, error) {
	var b objstore.Bucket
	if err := json.Unmarshal(root.Get(configKey), &b); err != nil {
		return b, fmt.Errorf("objstore/disk: bucket config: %w", err)
	}
	b.Versioning = string(root.Get(versioningKey))
	return b, nil
}

// checkVersioning refuses states S3 does not have and the one move it refuses:
// back to never enabled.
func checkVersioning(from, to string) error {
	switch to {
	case "":
		if from != "" {
			return fmt.Errorf("objstore/disk: versioning %s cannot go back to never enabled", from)
		}
	case objstore.VersioningEnabled, objstore.VersioningSuspended:
	default:
		return fmt.Errorf("objstore/disk: unknown versioning state %q", to)
	}
	return nil
}

// Bucket implements objstore.Store.
func (s *Store) Bucket(ctx context.Context, name string) (objstore.Bucket, error) {
	var out objstore.Bucket
	err := s.read(ctx, func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketName(name))
		if root == nil {
			return fmt.Errorf("%w: %s", objstore.ErrNoSuchBucket, name)
		}
		var err error
		out, err = readBucket(root)
		return err
	})
	return out, err
}

// UpdateBucket implements objstore.Store. fn runs in the store's writer
// goroutine: it must be quick and must not call the Store.
func (s *Store) UpdateBucket(ctx context.Context, name string, fn func(*objstore.Bucket) error) error {
	return s.update(ctx, nil, func(w *wtx) error {
		root := w.tx.Bucket(bucketName(name))
		if root == nil {
			return fmt.Errorf("%w: %s", objstore.ErrNoSuchBucket, name)
		}
		b, err := readBucket(root)
		if err != nil {
			return err
		}
		was := b.Versioning
		if err := fn(&b); err != nil {
			return err
		}
		b.Name = name
		if err := checkVersioning(was, b.Versioning); err != nil {
			return err
		}
		return putBucketConfig(w, root, &b)
	})
}

// DeleteBucket implements objstore.Store.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	return s.update(ctx, nil, func(w *wtx) error {
		b, err := openBucket(w.tx, name)
		if err != nil {
			return err
		}
		if k, _ := b.latest.Cursor().First(); k != nil {
			return fmt.Errorf("%w: %s has objects", objstore.ErrBucketNotEmpty, name)
		}
		if k, _ := b.uploads().Cursor().First(); k != nil {
			return fmt.Errorf("%w: %s has uploads", objstore.ErrBucketNotEmpty, name)
		}
		w.dirty = true
		return w.tx.DeleteBucket(bucketName(name))
	})
}

// Buckets implements objstore.Store.
func (s *Store) Buckets(ctx context.Context) ([]objstore.Bucket, error) {
	var out []objstore.Bucket
	err := s.read(ctx, func(tx *bolt.Tx) error {
		c := tx.Cursor()
		p := []byte(bucketPrefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			b, err := readBucket(tx.Bucket(k))
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}
