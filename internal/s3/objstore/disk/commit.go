package disk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/groupcommit"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Every write (Put, Delete, ... Ack) is a function on a bbolt write
// transaction, queued to one committer goroutine. The committer takes the
// first write waiting and every other one already queued (up to MaxBatch),
// runs them in order in one transaction and commits it: one fsync for the
// lot, and no added wait for a lone writer, whose batch is just itself. While
// a commit is on disk the next batch queues up. This is the hot path of every
// small PUT; BenchmarkPutSmall guards it (and compares bbolt's DB.Batch, whose
// timer adds MaxBatchDelay to a lone write).

// A write is one call's transaction function waiting for the committer.
type write struct {
	ctx   context.Context
	fn    func(*wtx) error
	named []string // fresh refs the write names: released if it fails
	tx    wtx
	err   error
	done  chan struct{}
}

// wtx is a write's view of the transaction. Every change goes through its
// methods, which mark it dirty: a write that fails before changing anything is
// dropped from the batch alone, one that fails after rolls the batch back and
// the others run again without it.
type wtx struct {
	s     *Store
	tx    *bolt.Tx
	now   time.Time
	dirty bool
	// unlink is the data the write released, removed after the commit.
	unlink []string
	// outboxed: the write added outbox records.
	outboxed bool
}

func (w *wtx) put(b *bolt.Bucket, k, v []byte) error {
	w.dirty = true
	return b.Put(k, v)
}

func (w *wtx) del(b *bolt.Bucket, k []byte) error {
	w.dirty = true
	return b.Delete(k)
}

// nextSeq takes the next number of the store's write counter.
func (w *wtx) nextSeq() (uint64, error) {
	w.dirty = true
	sys := w.tx.Bucket(sysBucket)
	var n uint64
	if v := sys.Get(seqKey); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	return n, sys.Put(seqKey, binary.BigEndian.AppendUint64(nil, n))
}

// update runs fn in a write transaction, grouped with other writes, and waits
// for its commit. named are the fresh data refs the write names: when it fails
// they are released, since nothing can name them any more.
func (s *Store) update(ctx context.Context, named []string, fn func(*wtx) error) error {
	if err := ctx.Err(); err != nil {
		s.releaseFresh(named)
		return err
	}
	w := &write{ctx: ctx, fn: fn, named: named, done: make(chan struct{})}
	if s.opts.boltBatch {
		return s.updateBoltBatch(w)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.writes <- w
	s.mu.RUnlock()
	<-w.done
	s.unlink(w.tx.unlink)
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
	err := safeRun(w.fn, &w.tx)
	if err != nil {
		w.tx.unlink = nil
		w.tx.outboxed = false
		w.err = err
		if w.tx.dirty {
			return err
		}
	}
	return nil
}

func safeRun(fn func(*wtx) error, w *wtx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.dirty = true
			err = fmt.Errorf("objstore/disk: panic in write: %v", r)
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
			w.tx.unlink = nil
			s.finish([]*write{w})
			pending = append(pending[:failed:failed], pending[failed+1:]...)
			continue
		}
		if err != nil {
			for _, w := range pending {
				w.err = fmt.Errorf("objstore/disk: commit: %w", err)
				w.tx.unlink = nil
				w.tx.outboxed = false
			}
		}
		s.finish(pending)
		return
	}
}

// finish settles the fresh data of committed writes (named, so no longer
// fresh; or released, when the write failed), signals Wake and hands each
// write back to its caller. Successes are settled first, so a failed write
// never releases data a committed one of the same batch named.
func (s *Store) finish(ws []*write) {
	woke := false
	s.freshMu.Lock()
	for _, w := range ws {
		if w.err == nil {
			for _, ref := range w.named {
				delete(s.fresh, ref)
			}
			woke = woke || w.tx.outboxed
		}
	}
	for _, w := range ws {
		if w.err != nil {
			for _, ref := range w.named {
				if _, ok := s.fresh[ref]; ok {
					delete(s.fresh, ref)
					w.tx.unlink = append(w.tx.unlink, ref)
				}
			}
		}
	}
	s.freshMu.Unlock()
	if woke {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	for _, w := range ws {
		close(w.done)
	}
}

// updateBoltBatch is update through bbolt's DB.Batch (see Options.boltBatch).
func (s *Store) updateBoltBatch(w *write) error {
	if s.isShut.Load() {
		return ErrClosed
	}
	err := s.db.Batch(func(tx *bolt.Tx) error {
		return w.run(s, tx, time.Now().UTC())
	})
	if err != nil && w.err == nil {
		w.err = err
	}
	w.done = make(chan struct{})
	s.finish([]*write{w})
	s.unlink(w.tx.unlink)
	return w.err
}

// releaseFresh releases fresh data a write named but never got to commit.
func (s *Store) releaseFresh(refs []string) {
	var gone []string
	s.freshMu.Lock()
	for _, ref := range refs {
		if _, ok := s.fresh[ref]; ok {
			delete(s.fresh, ref)
			gone = append(gone, ref)
		}
	}
	s.freshMu.Unlock()
	s.unlink(gone)
}

// freshOf returns which of the refs in segs are fresh (for update's named).
func (s *Store) freshOf(segs ...objstore.Data) []string {
	var named []string
	s.freshMu.Lock()
	for _, d := range segs {
		if d.Ref == "" {
			continue
		}
		if _, ok := s.fresh[d.Ref]; ok {
			named = append(named, d.Ref)
		}
	}
	s.freshMu.Unlock()
	return named
}

func (s *Store) isFresh(ref string) bool {
	s.freshMu.Lock()
	_, ok := s.fresh[ref]
	s.freshMu.Unlock()
	return ok
}

// unlink removes released data files. It is best effort: a file left behind
// costs space until the next Open's sweep.
func (s *Store) unlink(refs []string) {
	for _, ref := range refs {
		if err := os.Remove(s.dataPath(ref)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("objstore/disk: remove released data", "ref", ref, "err", err)
		}
	}
}
