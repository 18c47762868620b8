package disk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// NewData implements objstore.Store. Up to InlineMax bytes are buffered in
// memory; past that the writer spills to a file in tmp/ and memory stays flat
// whatever the size.
func (s *Store) NewData(ctx context.Context) (objstore.DataWriter, error) {
	if err := s.checkOpenCtx(ctx); err != nil {
		return nil, err
	}
	return &dataWriter{s: s}, nil
}

type dataWriter struct {
	s    *Store
	buf  []byte   // the data while it fits inline
	f    *os.File // the temp file once it does not
	ref  string
	size int64
	err  error // sticky write error
	done bool
	// flushed is how much of the file has been handed to writeback already.
	flushed int64
}

// writebackEvery is how much a large upload writes between asking the kernel to
// start writing it back: the disk then works while the body still arrives, and
// Commit's fsync waits for the tail only, not for the whole object.
const writebackEvery = 8 << 20

// prefetchBytes is how much of a segment OpenData asks the kernel to read ahead
// of the first read, for segments of at least prefetchFrom (smaller ones are
// what the kernel's own read-ahead serves well).
const (
	prefetchBytes = 256 << 20
	prefetchFrom  = 4 << 20
)

func (d *dataWriter) Write(p []byte) (int, error) {
	if d.done {
		return 0, errors.New("objstore/disk: write after Commit or Abort")
	}
	if d.err != nil {
		return 0, d.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.f == nil && len(d.buf)+len(p) <= d.s.opts.InlineMax {
		d.buf = append(d.buf, p...)
		d.size += int64(len(p))
		return len(p), nil
	}
	if d.f == nil {
		if err := d.spill(); err != nil {
			d.err = err
			return 0, err
		}
	}
	n, err := d.f.Write(p)
	d.size += int64(n)
	if err != nil {
		d.err = fmt.Errorf("objstore/disk: write data: %w", err)
		return n, d.err
	}
	if d.size-d.flushed >= writebackEvery {
		// Only starts writeback (no wait); durability is still Commit's fsync. A
		// file system without it loses nothing but the overlap.
		unix.SyncFileRange(int(d.f.Fd()), d.flushed, d.size-d.flushed, unix.SYNC_FILE_RANGE_WRITE) //nolint:errcheck
		d.flushed = d.size
	}
	return n, nil
}

// spill moves the buffered bytes to a new temp file.
func (d *dataWriter) spill() error {
	ref := newRef(d.s.epoch)
	f, err := os.OpenFile(d.s.tmpPath(ref), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("objstore/disk: new data: %w", err)
	}
	d.f, d.ref = f, ref
	if len(d.buf) > 0 {
		if _, err := f.Write(d.buf); err != nil {
			return fmt.Errorf("objstore/disk: write data: %w", err)
		}
	}
	d.buf = nil
	return nil
}

// Commit implements objstore.DataWriter: a file-backed segment is fsynced,
// renamed into data/ and the directory fsynced before Commit returns.
func (d *dataWriter) Commit() (objstore.Data, error) {
	if d.done {
		return objstore.Data{}, errors.New("objstore/disk: Commit after Commit or Abort")
	}
	if d.err != nil {
		d.Abort()
		return objstore.Data{}, d.err
	}
	d.done = true
	if d.f == nil {
		if d.size == 0 {
			return objstore.Data{}, nil
		}
		return objstore.Data{Inline: d.buf, Size: d.size}, nil
	}
	fail := func(err error) (objstore.Data, error) {
		d.f.Close()
		os.Remove(d.s.tmpPath(d.ref))
		return objstore.Data{}, fmt.Errorf("objstore/disk: commit data: %w", err)
	}
	if err := d.f.Sync(); err != nil {
		return fail(err)
	}
	if err := d.f.Close(); err != nil {
		return fail(err)
	}
	// Fresh before it appears in data/, so nothing ever sees it unowned.
	d.s.freshMu.Lock()
	d.s.fresh[d.ref] = struct{}{}
	d.s.freshMu.Unlock()
	if err := os.Rename(d.s.tmpPath(d.ref), d.s.dataPath(d.ref)); err != nil {
		d.s.releaseFresh([]string{d.ref})
		os.Remove(d.s.tmpPath(d.ref))
		return objstore.Data{}, fmt.Errorf("objstore/disk: commit data: %w", err)
	}
	if err := syncDir(d.s.dataDir()); err != nil {
		d.s.releaseFresh([]string{d.ref})
		return objstore.Data{}, fmt.Errorf("objstore/disk: commit data: %w", err)
	}
	return objstore.Data{Ref: d.ref, Size: d.size}, nil
}

// Abort implements objstore.DataWriter.
func (d *dataWriter) Abort() {
	if d.done {
		return
	}
	d.done = true
	d.buf = nil
	if d.f != nil {
		d.f.Close()
		os.Remove(d.s.tmpPath(d.ref))
	}
}

// OpenData implements objstore.Store. A file-backed segment is returned as the
// open file, positioned at off (so it can be sent with sendfile); the file stays
// readable to its end even if a later write releases it.
func (s *Store) OpenData(ctx context.Context, d objstore.Data, off int64) (io.ReadCloser, error) {
	if err := s.checkOpenCtx(ctx); err != nil {
		return nil, err
	}
	if off < 0 || off > d.Size {
		return nil, fmt.Errorf("objstore/disk: offset %d outside data of %d bytes", off, d.Size)
	}
	if d.Ref == "" {
		if int64(len(d.Inline)) != d.Size {
			return nil, fmt.Errorf("objstore/disk: inline data of %d bytes claims %d", len(d.Inline), d.Size)
		}
		return io.NopCloser(bytes.NewReader(d.Inline[off:])), nil
	}
	if _, ok := refEpoch(d.Ref); !ok {
		return nil, fmt.Errorf("objstore/disk: bad data ref %q", d.Ref)
	}
	f, err := os.Open(s.dataPath(d.Ref))
	if err != nil {
		return nil, fmt.Errorf("objstore/disk: open data: %w", err)
	}
	// Objects are read front to back: a larger read-ahead, and the first
	// prefetchBytes asked for at once, keep the disk busy while the socket drains
	// what was read instead of taking turns with it.
	unix.Fadvise(int(f.Fd()), off, 0, unix.FADV_SEQUENTIAL) //nolint:errcheck
	if d.Size-off >= prefetchFrom {
		unix.Fadvise(int(f.Fd()), off, min(d.Size-off, prefetchBytes), unix.FADV_WILLNEED) //nolint:errcheck
	}
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("objstore/disk: open data: %w", err)
		}
	}
	return f, nil
}

// sweep removes what a crash can leave: temp files, and data files nothing
// references. Only files of earlier epochs are candidates, so it never races a
// DataWriter of this Open; it checks references in batches, each in a short
// read transaction, so it costs one Get per file and never holds up writers.
func (s *Store) sweep(ctx context.Context) {
	defer close(s.swept)
	var firstErr error
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	removed := func() { s.sweepN.Add(1) }

	stale := func(name string) bool {
		e, ok := refEpoch(name)
		return ok && e < s.epoch
	}
	note(eachName(ctx, s.tmpDir(), func(names []string) error {
		for _, n := range names {
			if stale(n) {
				if err := os.Remove(s.tmpPath(n)); err == nil {
					removed()
				} else if !errors.Is(err, os.ErrNotExist) {
					note(err)
				}
			}
		}
		return nil
	}))
	note(eachName(ctx, s.dataDir(), func(names []string) error {
		var cands []string
		for _, n := range names {
			if stale(n) {
				cands = append(cands, n)
			}
		}
		if len(cands) == 0 {
			return nil
		}
		var orphans []string
		err := s.db.View(func(tx *bolt.Tx) error {
			refs := tx.Bucket(refsBucket)
			for _, n := range cands {
				if refs.Get([]byte(n)) == nil {
					orphans = append(orphans, n)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, n := range orphans {
			if err := os.Remove(s.dataPath(n)); err == nil {
				removed()
			} else if !errors.Is(err, os.ErrNotExist) {
				note(err)
			}
		}
		return nil
	}))
	if errors.Is(firstErr, context.Canceled) {
		firstErr = nil // Close stopped it; the next Open goes on
	}
	if firstErr != nil {
		s.log.Warn("objstore/disk: sweep", "dir", s.dir, "err", firstErr)
	}
	s.sweepErr = firstErr
}

// eachName calls fn with the names in dir, a thousand at a time.
func eachName(ctx context.Context, dir string, fn func([]string) error) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		names, err := f.Readdirnames(1000)
		if len(names) > 0 {
			if err := fn(names); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
