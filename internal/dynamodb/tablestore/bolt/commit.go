package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/groupcommit"

	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Every write (Write, CreateTable, ... a background job's chunk) is a function
// on a bbolt write transaction, queued to one committer goroutine. The
// committer takes the first write waiting and every other one already queued
// (up to MaxBatch), runs them in order in one transaction and commits it: one
// fsync for the lot, and no added wait for a lone writer, whose batch is just
// itself. While a commit is on disk the next batch queues up. This is the hot
// path of every item write; BenchmarkPut and BenchmarkPutParallel guard it.

// A write is one call's transaction function waiting for the committer.
type write struct {
	ctx  context.Context
	fn   func(*wtx) error
	tx   wtx
	err  error
	done chan struct{}
}

// wtx is a write's view of the transaction. Every change goes through its
// methods, which mark it dirty: a write that fails before changing anything
// (a failed condition, the common case) is dropped from the batch alone; one
// that fails after rolls the batch back and the others run again without it.
type wtx struct {
	s     *Store
	tx    *bolt.Tx
	now   time.Time
	dirty bool
	// streamed: the write added stream records or ended a stream.
	streamed bool
	// purge: the write left buckets in dead for the purger.
	purge bool
	// backfill: index ids the write started, for a backfill after the commit.
	backfill []backfillJob
}

func (w *wtx) put(b *bolt.Bucket, k, v []byte) error {
	w.dirty = true
	return b.Put(k, v)
}

func (w *wtx) del(b *bolt.Bucket, k []byte) error {
	w.dirty = true
	return b.Delete(k)
}

func (w *wtx) createBucket(name []byte) (*bolt.Bucket, error) {
	w.dirty = true
	return w.tx.CreateBucketIfNotExists(name)
}

// nextID takes the next number of the store's counter.
func (w *wtx) nextID() (uint64, error) {
	w.dirty = true
	sys := w.tx.Bucket(sysBucket)
	var n uint64
	if v := sys.Get(seqKey); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	return n, sys.Put(seqKey, be64(n))
}

// update runs fn in a write transaction, grouped with other writes, and waits
// for its commit (durable once update returns nil). A Store being closed
// refuses it unless internal (a background job finishing its chunk).
func (s *Store) update(ctx context.Context, internal bool, fn func(*wtx) error) error {
	if !internal && s.isShut.Load() {
		return tablestore.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &write{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return tablestore.ErrClosed
	}
	s.writes <- w
	s.mu.RUnlock()
	// Once queued, the write may commit: wait for what happened rather than
	// for ctx, so the caller learns the truth.
	<-w.done
	if w.err == nil {
		for _, j := range w.tx.backfill {
			s.startBackfill(j)
		}
	}
	return w.err
}

// run runs w's function in tx, returning an error only if the transaction must
// be rolled back.
func (w *write) run(s *Store, tx *bolt.Tx, now time.Time) (rollback error) {
	w.tx = wtx{s: s, tx: tx, now: now}
	w.err = nil
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return nil
	}
	if err := safeRun(w.fn, &w.tx); err != nil {
		w.err = err
		if w.tx.dirty {
			return err
		}
		w.tx = wtx{}
	}
	return nil
}

func safeRun(fn func(*wtx) error, w *wtx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.dirty = true
			err = fmt.Errorf("tablestore/bolt: panic in write: %v", r)
		}
	}()
	return fn(w)
}

// committer takes waiting writes and commits them together, until writes is
// closed and drained.
func (s *Store) committer() {
	defer s.commit.Done()
	groupcommit.Run(s.writes, s.opts.MaxBatch, func(batch []*write) {
		s.commitBatch(batch)
		s.batches.Add(1)
		s.batched.Add(int64(len(batch)))
	})
}

// commitBatch commits batch in one transaction. A write that must roll back is
// taken out with its error and the rest run again.
func (s *Store) commitBatch(batch []*write) {
	pending := batch
	for len(pending) > 0 {
		failed := -1
		now := time.Now().UTC()
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, w := range pending {
				if err := w.run(s, tx, now); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			w := pending[failed]
			w.err = err
			w.tx = wtx{}
			close(w.done)
			pending = append(pending[:failed:failed], pending[failed+1:]...)
			continue
		}
		if err != nil {
			for _, w := range pending {
				w.err = fmt.Errorf("tablestore/bolt: commit: %w", err)
				w.tx = wtx{}
			}
		}
		s.finish(pending)
		return
	}
}

// finish wakes stream waiters and the purger for what the batch did, and hands
// each write back to its caller.
func (s *Store) finish(ws []*write) {
	streamed, purge := false, false
	for _, w := range ws {
		if w.err == nil {
			streamed = streamed || w.tx.streamed
			purge = purge || w.tx.purge
		}
		w.tx.tx = nil
	}
	if streamed {
		s.wakeStreams()
	}
	if purge {
		s.requestPurge()
	}
	for _, w := range ws {
		close(w.done)
	}
}
