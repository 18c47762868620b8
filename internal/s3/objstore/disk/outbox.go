package disk

import (
	"bytes"
	"context"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Outbox implements objstore.Store. Outboxed.Seq is the outbox's own counter,
// store-wide and increasing, not an object's Seq.
func (s *Store) Outbox(ctx context.Context, max int) ([]objstore.Outboxed, error) {
	var out []objstore.Outboxed
	err := s.read(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		c := tx.Bucket(outboxBucket).Cursor()
		for k, v := c.First(); k != nil && len(out) < max; k, v = c.Next() {
			out = append(out, objstore.Outboxed{Seq: binary.BigEndian.Uint64(k), Payload: bytes.Clone(v)})
		}
		return nil
	})
	return out, err
}

// Ack implements objstore.Store; acknowledging a record twice, or one that
// never was, is not an error.
func (s *Store) Ack(ctx context.Context, seqs ...uint64) error {
	if len(seqs) == 0 {
		return s.checkOpenCtx(ctx)
	}
	return s.update(ctx, nil, func(w *wtx) error {
		ob := w.tx.Bucket(outboxBucket)
		for _, n := range seqs {
			if err := w.del(ob, binary.BigEndian.AppendUint64(nil, n)); err != nil {
				return err
			}
		}
		return nil
	})
}
