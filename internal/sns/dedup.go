package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/stratus-run/stratus/internal/store"
)

// FIFO deduplication entries live in memory (Service.dedup) and, so that a
// publish retried across a restart is still recognised within its window,
// in the table sns_dedup too.

// dedupEntry remembers a FIFO message's answer for the dedup window.
type dedupEntry struct {
	id, seq string
	expires time.Time
}

// dedupRecord is a dedupEntry as stored.
type dedupRecord struct {
	Key     string `json:"key"` // topic ARN + "/" + deduplication id
	ID      string `json:"id"`
	Seq     string `json:"seq"`
	Expires int64  `json:"expires"` // Unix nanoseconds
}

// dedupStoreKey turns a dedup key, which may hold any printable character,
// into a KV key.
func dedupStoreKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// saveDedup stores an entry. A failure costs only deduplication across a
// restart (the message itself is queued), so it is logged, not returned.
func (s *Service) saveDedup(ctx context.Context, key string, e dedupEntry) {
	rec := dedupRecord{Key: key, ID: e.id, Seq: e.seq, Expires: e.expires.UnixNano()}
	k := dedupStoreKey(key)
	_, err := s.dedupTable.Create(ctx, k, rec)
	if errors.Is(err, store.ErrExists) {
		// An expired entry for the same id, not swept yet.
		_, rev, gerr := s.dedupTable.Get(ctx, k)
		if err = gerr; err == nil {
			_, err = s.dedupTable.Update(ctx, k, rec, rev)
		}
	}
	if err != nil {
		slog.Warn("sns: saving a deduplication id", "err", err)
	}
}

// dropDedup deletes expired entries from the table, best effort: load
// sweeps what is left.
func (s *Service) dropDedup(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := s.dedupTable.Delete(ctx, dedupStoreKey(k), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
			slog.Warn("sns: dropping a deduplication id", "err", err)
		}
	}
}

// loadDedup fills Service.dedup with the stored entries still in their
// window, deleting the rest.
func (s *Service) loadDedup(ctx context.Context) error {
	keys, err := s.dedupTable.Keys(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, k := range keys {
		rec, _, err := s.dedupTable.Get(ctx, k)
		if err != nil {
			continue
		}
		expires := time.Unix(0, rec.Expires)
		if !now.Before(expires) {
			s.dropDedup(ctx, []string{rec.Key})
			continue
		}
		s.dedup[rec.Key] = dedupEntry{id: rec.ID, seq: rec.Seq, expires: expires}
	}
	return nil
}
