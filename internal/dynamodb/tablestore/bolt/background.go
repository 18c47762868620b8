package bolt

import (
	"bytes"
	"errors"
	"log/slog"
	"maps"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// The background jobs: building a new global index from the table's items,
// and emptying the buckets of deleted tables and dropped indexes. Each works
// in chunks of Options.Chunk keys, one write per chunk through the committer,
// so it shares commits with the item writes instead of stalling them. Each
// chunk checks again what it works on, so a job that loses a race (the table
// deleted, the index dropped) just ends. Close stops them; Open resumes them
// from what the database says (tableRec.Building, the dead bucket).

// backfillJob names an index being built: its table, name and bucket id (an
// index dropped and added again under the same name is another job).
type backfillJob struct {
	table, index string
	id           uint64
}

// startBackfill runs j in the background unless it is running already or the
// Store is closing (the next Open resumes it).
func (s *Store) startBackfill(j backfillJob) {
	s.backfillMu.Lock()
	defer s.backfillMu.Unlock()
	if s.backfills[j.id] || s.bgCtx.Err() != nil {
		return
	}
	s.backfills[j.id] = true
	s.bg.Add(1)
	go s.backfill(j)
}

// resumeBackfills starts the backfills a previous Open left unfinished.
func (s *Store) resumeBackfills() error {
	var jobs []backfillJob
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(tablesBucket).ForEach(func(k, v []byte) error {
			_, rec, err := decodeRec(v)
			if err != nil {
				return err
			}
			for name := range rec.Building {
				jobs = append(jobs, backfillJob{table: rec.Table.Name, index: name, id: rec.Indexes[name]})
			}
			return nil
		})
	})
	for _, j := range jobs {
		s.startBackfill(j)
	}
	return err
}

// backfill builds j's index: it adds the entry of every item that has none
// (a write since the index was added made its own), then marks the index
// ACTIVE in the same transaction as the last chunk.
func (s *Store) backfill(j backfillJob) {
	defer func() {
		s.backfillMu.Lock()
		delete(s.backfills, j.id)
		s.backfillMu.Unlock()
		s.bg.Done()
	}()
	var after []byte // the last item key indexed
	for {
		var next []byte
		done := false
		err := s.update(s.bgCtx, true, func(w *wtx) error {
			next, done = nil, false
			m, err := s.tableMeta(w.tx, j.table)
			if errors.Is(err, tablestore.ErrTableNotFound) {
				done = true
				return nil
			}
			if err != nil {
				return err
			}
			im, ok := m.index(j.index)
			if !ok || im.id != j.id || !m.rec.Building[j.index] {
				done = true
				return nil
			}
			items, ib := w.tx.Bucket(m.items), w.tx.Bucket(im.bucket)
			if items == nil || ib == nil {
				return errCorrupt
			}
			c := items.Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			var added, size int64
			for n := 0; k != nil && n < s.opts.Chunk; k, v = c.Next() {
				n++
				next = bytes.Clone(k)
				it, err := decodeItem(v)
				if err != nil {
					return err
				}
				_, hashLen, ok := m.key.appendKey(nil, it)
				if !ok {
					continue
				}
				e, ok := im.entry(nil, it, next, hashLen)
				if !ok || ib.Get(e) != nil {
					continue
				}
				if err := w.put(ib, e, next); err != nil {
					return err
				}
				added++
				size += m.projSize(im, it, attr.ItemSize(it))
			}
			if err := w.addStats(im.stats, added, size); err != nil {
				return err
			}
			if k != nil {
				return nil
			}
			done = true
			rec := m.rec
			rec.Table = cloneTable(m.rec.Table)
			ix, _ := rec.Table.Index(j.index)
			ix.Status, ix.Backfilling = "ACTIVE", false
			rec.Building = maps.Clone(rec.Building)
			delete(rec.Building, j.index)
			if len(rec.Building) == 0 {
				rec.Building = nil
			}
			return w.putRec(&rec)
		})
		if err != nil {
			if s.bgCtx.Err() == nil {
				slog.Warn("tablestore/bolt: backfilling an index (the next Open retries)", "table", j.table, "index", j.index, "err", err)
			}
			return
		}
		if done {
			return
		}
		after = next
	}
}

// purger empties the buckets listed in dead whenever asked, until Close.
func (s *Store) purger() {
	defer s.bg.Done()
	for {
		select {
		case <-s.bgCtx.Done():
			return
		case <-s.purgeReq:
		}
		for {
			more := false
			err := s.update(s.bgCtx, true, func(w *wtx) error {
				var err error
				more, err = w.purgeChunk(s.opts.Chunk)
				return err
			})
			if err != nil {
				if s.bgCtx.Err() == nil {
					slog.Warn("tablestore/bolt: purging deleted data (the next Open retries)", "err", err)
				}
				break
			}
			if !more {
				break
			}
		}
	}
}

// purgeChunk deletes up to budget keys of the buckets in dead, and each bucket
// it empties, and reports whether any is left.
func (w *wtx) purgeChunk(budget int) (more bool, err error) {
	dead := w.tx.Bucket(deadBucket)
	for budget > 0 {
		name, _ := dead.Cursor().First()
		if name == nil {
			return false, nil
		}
		name = bytes.Clone(name)
		b := w.tx.Bucket(name)
		if b != nil {
			var keys [][]byte
			c := b.Cursor()
			for k, _ := c.First(); k != nil && len(keys) < budget; k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			for _, k := range keys {
				if err := w.del(b, k); err != nil {
					return false, err
				}
			}
			budget -= len(keys)
			if k, _ := b.Cursor().First(); k != nil {
				return true, nil
			}
			w.dirty = true
			if err := w.tx.DeleteBucket(name); err != nil {
				return false, err
			}
		}
		if err := w.del(dead, name); err != nil {
			return false, err
		}
		budget--
	}
	k, _ := dead.Cursor().First()
	return k != nil, nil
}
