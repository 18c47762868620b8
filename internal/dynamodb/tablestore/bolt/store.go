// Package bolt is a tablestore.Store in one bbolt database file.
//
// Layout of the database (top-level buckets; every id is a number of the
// store's one counter, so no id is ever used twice, and a name freed by
// DeleteTable can be taken at once by a new table with new buckets):
//
//	sys          "seq": the counter
//	tables       table name → be64 version, JSON of the tableRec (definition,
//	             bucket ids, current stream); the version changes with every
//	             change, so a decoded copy can be cached by it
//	stats        be64 table id "t" → be64 items, be64 bytes of the table;
//	             be64 table id "x" index name → the same for one index
//	i<be64 id>   a table's items: AppendKey(hash) AppendKey(range) → item codec
//	x<be64 id>   a local index:  AppendKey(hash) AppendKey(index range) AppendKey(table range) → table key
//	             a global index: AppendKey(index hash) AppendKey(index range) AppendKey(hash) AppendKey(range) → table key
//	streams      be64 stream id → JSON of the streamRec (table, label, view type, enabled)
//	streamseq    be64 stream id → be64 the Seq its next record gets
//	r<be64 id>   a stream's records: be64 Seq → record codec
//	dead         bucket name → "": buckets of deleted tables and dropped
//	             indexes, emptied in chunks by a background purge
//
// An index entry's key holds the table's key after the index's, so entries of
// equal index keys are in table key order, every entry is unique, and an
// ExclusiveStartKey (index key and table key) is one Seek. An item lacking an
// index's key attributes (or holding them with other kinds) has no entry:
// indexes are sparse.
//
// Writes go through one goroutine that commits every write waiting in one
// bbolt transaction (group commit: one fsync for the batch, and no added wait
// for a lone writer); reads are bbolt read transactions and never wait for a
// writer.
package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// Options are the knobs of a Store; the zero value gives the defaults.
type Options struct {
	// MaxBatch bounds the writes committed in one transaction (default 1,000).
	MaxBatch int
	// Chunk is how many keys one transaction of a background job (purging a
	// deleted table or dropped index, backfilling an index, trimming a stream)
	// handles, so a huge table never makes one transaction that stalls the
	// writes queued behind it (default 1,000).
	Chunk int
	// MmapSize is bbolt's initial memory map (default 1 GiB of address space,
	// not memory): a remap waits for every read transaction, so a large map
	// keeps writers from waiting on readers.
	MmapSize int
	// OpenTimeout is how long Open waits for another process holding the
	// database (default 5 s).
	OpenTimeout time.Duration
}

// Store is a tablestore.Store in a directory. Open it, use it from any number
// of goroutines, Close it. One process at a time opens a directory (bbolt
// locks the file).
type Store struct {
	opts Options
	db   *bolt.DB

	writes chan *write
	mu     sync.RWMutex // guards closed and sending on writes
	closed bool
	isShut atomic.Bool
	commit sync.WaitGroup // the committer goroutine

	// meta caches decoded table records by name (*tmeta); an entry is used only
	// when its version is the one the transaction reads.
	meta sync.Map

	// streamMu guards streamCh, closed and replaced by every commit that adds
	// stream records or ends a stream (WaitStream's wake-up).
	streamMu sync.Mutex
	streamCh chan struct{}

	// Background jobs (purge, backfills) run until bgCancel; Close waits for
	// them before it stops the committer, whose writes they use.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	purgeReq chan struct{}
	// backfills holds the index ids being backfilled by this Open.
	backfillMu sync.Mutex
	backfills  map[uint64]bool

	batches, batched atomic.Int64 // transactions committed, writes in them
}

var _ tablestore.Store = (*Store)(nil)

const dbFile = "tables.db"

var (
	sysBucket       = []byte("sys")
	tablesBucket    = []byte("tables")
	statsBucket     = []byte("stats")
	streamsBucket   = []byte("streams")
	streamSeqBucket = []byte("streamseq")
	deadBucket      = []byte("dead")
	seqKey          = []byte("seq")
)

// Open opens (or creates) the store in dir. It resumes the background jobs a
// previous Open left unfinished: purges of deleted tables and backfills of
// new global indexes.
func Open(dir string, opts Options) (*Store, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	if opts.Chunk <= 0 {
		opts.Chunk = 1000
	}
	if opts.MmapSize <= 0 {
		opts.MmapSize = 1 << 30
	}
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = 5 * time.Second
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tablestore/bolt: open %s: %w", dir, err)
	}
	db, err := bolt.Open(filepath.Join(dir, dbFile), 0o644, &bolt.Options{
		Timeout:         opts.OpenTimeout,
		InitialMmapSize: opts.MmapSize,
		FreelistType:    bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("tablestore/bolt: open %s: %w", dir, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{sysBucket, tablesBucket, statsBucket, streamsBucket, streamSeqBucket, deadBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("tablestore/bolt: open %s: %w", dir, err)
	}
	s := &Store{
		opts:      opts,
		db:        db,
		writes:    make(chan *write, opts.MaxBatch),
		streamCh:  make(chan struct{}),
		purgeReq:  make(chan struct{}, 1),
		backfills: map[uint64]bool{},
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.commit.Add(1)
	go s.committer()
	s.bg.Add(1)
	go s.purger()
	s.requestPurge()
	if err := s.resumeBackfills(); err != nil {
		s.Close()
		return nil, fmt.Errorf("tablestore/bolt: open %s: %w", dir, err)
	}
	return s, nil
}

// Close stops the background jobs (a later Open resumes them), waits for the
// writes in progress and closes the database. Every method of a closed Store
// returns tablestore.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.isShut.Store(true)
	s.mu.Unlock()
	// Under backfillMu, so no backfill starts after the Wait below began.
	s.backfillMu.Lock()
	s.bgCancel()
	s.backfillMu.Unlock()
	s.bg.Wait()
	s.mu.Lock()
	s.closed = true
	close(s.writes)
	s.mu.Unlock()
	s.commit.Wait()
	s.wakeStreams()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("tablestore/bolt: close: %w", err)
	}
	return nil
}

func (s *Store) checkOpen(ctx context.Context) error {
	if s.isShut.Load() {
		return tablestore.ErrClosed
	}
	return ctx.Err()
}

// read runs fn in a read transaction.
func (s *Store) read(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := s.checkOpen(ctx); err != nil {
		return err
	}
	err := s.db.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return tablestore.ErrClosed
	}
	return err
}

// wakeStreams wakes every WaitStream.
func (s *Store) wakeStreams() {
	s.streamMu.Lock()
	close(s.streamCh)
	s.streamCh = make(chan struct{})
	s.streamMu.Unlock()
}

// streamWake returns the channel the next wakeStreams closes.
func (s *Store) streamWake() <-chan struct{} {
	s.streamMu.Lock()
	defer s.streamMu.Unlock()
	return s.streamCh
}

func (s *Store) requestPurge() {
	select {
	case s.purgeReq <- struct{}{}:
	default:
	}
}

func be64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// bucketName is a per-id bucket's name: prefix byte, be64 id.
func bucketName(prefix byte, id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefix}, id)
}

func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }
