// Package disk is an objstore.Store on one machine: metadata in one bbolt
// database file, object data inline in its records or in files beside it.
//
// Layout of the directory:
//
//	meta.db       bbolt, every record
//	data/<ref>    a file-backed segment (Data.Ref), immutable once renamed here
//	tmp/<ref>     a segment being written; Commit fsyncs it and renames it to data/
//
// Layout of meta.db (top-level bbolt buckets):
//
//	sys           "seq": the store's write counter, from which every Seq, version
//	              id and upload id is made; "epoch": how many times it was opened
//	refs          ref → uvarint count of the versions and parts naming that file
//	outbox        big-endian outbox seq → payload (Outboxed.Seq; its own counter)
//	b/<name>      one S3 bucket:
//	  config        JSON of its objstore.Bucket, but Versioning
//	  versioning    "", "Enabled" or "Suspended" (read by every write, so apart)
//	  latest/       key → latest version record (object or delete marker)
//	  versions/     key 0x00 be64(^seq) → every other version record
//	  nulls/        key → be64 seq of the key's null version while it is in versions/
//	  uploads/      key 0x00 upload id → JSON of the objstore.Upload
//	  parts/        upload id be32(part number) → part record
//
// The latest version of a key is one Get in latest/; List walks latest/ alone
// with a cursor, Seeking to the prefix or After and, with a delimiter, past a
// whole common prefix in one Seek. A key's older versions are together in
// versions/, newest first, so ListVersions takes the latest from latest/ and the
// rest with one Seek. A bucket that never had versioning keeps one record per
// key, in latest/, and nothing else.
//
// Writes go through one goroutine that commits whatever writes are waiting in
// one bbolt transaction (group commit: one fsync for many writes, and no wait at
// all for a lone writer); reads are bbolt read transactions and never wait for a
// writer. Data no longer referenced is unlinked after the commit that released
// it, by the goroutine that asked for the write.
package disk

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Options are the knobs of a Store; the zero value gives the defaults.
type Options struct {
	// InlineMax is the largest segment kept inside its record rather than in a
	// file of its own (default 64 KiB; negative: every non-empty segment is a
	// file). Inline segments are written with the metadata, so they share its
	// group commit instead of paying two fsyncs of their own.
	InlineMax int
	// MaxBatch bounds the writes committed in one transaction (default 1,000).
	MaxBatch int
	// MmapSize is bbolt's initial memory map (default 1 GiB of address space,
	// not memory). bbolt remaps when the file outgrows it and a remap waits for
	// every read transaction, so a large map keeps writers from waiting on
	// readers.
	MmapSize int
	// OpenTimeout is how long Open waits for another process holding meta.db
	// (default 5 s).
	OpenTimeout time.Duration
	// Logger gets what the sweep at Open could not do (default slog.Default()).
	Logger *slog.Logger

	// boltBatch commits with bbolt's DB.Batch instead of the store's own group
	// commit, for BenchmarkPutSmall's comparison only.
	boltBatch      bool
	boltBatchDelay time.Duration
}

// Store is an objstore.Store in a directory. Open it, use it from any number of
// goroutines, Close it. Writes are serialized, so a Condition is checked in the
// same order the writes commit: a write that loses a race gets
// ErrPreconditionFailed, never ErrConflict. One process at a time opens a
// directory (bbolt locks meta.db).
type Store struct {
	dir  string
	opts Options
	db   *bolt.DB
	log  *slog.Logger

	epoch uint32 // of this Open; names the data files it writes

	writes chan *write
	mu     sync.RWMutex // guards closed and sending on writes
	closed bool
	isShut atomic.Bool
	commit sync.WaitGroup // the committer goroutine

	// fresh holds the refs of data committed by a DataWriter in this Open and
	// not yet named by a committed write. Lock order: no lock is taken while
	// holding freshMu.
	freshMu sync.Mutex
	fresh   map[string]struct{}

	wake chan struct{}

	batches, batched atomic.Int64 // transactions committed, writes in them

	sweepCancel context.CancelFunc
	swept       chan struct{}
	sweepN      atomic.Int64
	sweepErr    error // set before swept is closed
}

var _ objstore.Store = (*Store)(nil)

// ErrClosed is returned by every method of a closed Store.
var ErrClosed = errors.New("objstore/disk: store closed")

const (
	dbFile     = "meta.db"
	dataSubdir = "data"
	tmpSubdir  = "tmp"
)

// Open opens (or creates) the store in dir, with opts if given (at most one),
// and starts a background sweep of data that no record references (what a
// crash leaves); Swept reports its end.
func Open(dir string, options ...Options) (*Store, error) {
	var opts Options
	switch len(options) {
	case 0:
	case 1:
		opts = options[0]
	default:
		return nil, errors.New("objstore/disk: Open takes at most one Options")
	}
	if opts.InlineMax == 0 {
		opts.InlineMax = 64 << 10
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	if opts.MmapSize <= 0 {
		opts.MmapSize = 1 << 30
	}
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Store{
		dir:    dir,
		opts:   opts,
		log:    opts.Logger,
		writes: make(chan *write, opts.MaxBatch),
		fresh:  make(map[string]struct{}),
		wake:   make(chan struct{}, 1),
		swept:  make(chan struct{}),
	}
	for _, d := range []string{dir, s.dataDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("objstore/disk: open %s: %w", dir, err)
		}
	}
	db, err := bolt.Open(filepath.Join(dir, dbFile), 0o644, &bolt.Options{
		Timeout:         opts.OpenTimeout,
		InitialMmapSize: opts.MmapSize,
		FreelistType:    bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("objstore/disk: open %s: %w", dir, err)
	}
	if opts.boltBatch {
		db.MaxBatchDelay = opts.boltBatchDelay
		db.MaxBatchSize = opts.MaxBatch
	}
	s.db = db
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{sysBucket, refsBucket, outboxBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		sys := tx.Bucket(sysBucket)
		var epoch uint32
		if v := sys.Get(epochKey); len(v) == 4 {
			epoch = binary.BigEndian.Uint32(v)
		}
		epoch++
		s.epoch = epoch
		return sys.Put(epochKey, binary.BigEndian.AppendUint32(nil, epoch))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("objstore/disk: open %s: %w", dir, err)
	}
	// Directories made above must survive a crash before anything names a
	// file in them.
	if err := syncDir(dir); err != nil {
		db.Close()
		return nil, fmt.Errorf("objstore/disk: open %s: %w", dir, err)
	}
	s.commit.Add(1)
	go s.committer()
	ctx, cancel := context.WithCancel(context.Background())
	s.sweepCancel = cancel
	go s.sweep(ctx)
	return s, nil
}

// Close waits for writes in progress, stops the sweep and closes the database.
// Data committed by a DataWriter and never named is left to the next Open's
// sweep.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.isShut.Store(true)
	close(s.writes)
	s.mu.Unlock()
	s.commit.Wait()
	s.sweepCancel()
	<-s.swept
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("objstore/disk: close: %w", err)
	}
	return nil
}

// Swept is closed when the sweep started by Open has finished; SweepResult
// then tells what it did.
func (s *Store) Swept() <-chan struct{} { return s.swept }

// SweepResult returns how many files the sweep removed and the first error it
// met; valid once Swept is closed.
func (s *Store) SweepResult() (removed int, err error) {
	return int(s.sweepN.Load()), s.sweepErr
}

func (s *Store) dataDir() string            { return filepath.Join(s.dir, dataSubdir) }
func (s *Store) tmpDir() string             { return filepath.Join(s.dir, tmpSubdir) }
func (s *Store) dataPath(ref string) string { return filepath.Join(s.dir, dataSubdir, ref) }
func (s *Store) tmpPath(ref string) string  { return filepath.Join(s.dir, tmpSubdir, ref) }

// Wake implements objstore.Store.
func (s *Store) Wake() <-chan struct{} { return s.wake }

func (s *Store) checkOpenCtx(ctx context.Context) error {
	if s.isShut.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// read runs fn in a read transaction.
func (s *Store) read(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := s.checkOpenCtx(ctx); err != nil {
		return err
	}
	err := s.db.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
