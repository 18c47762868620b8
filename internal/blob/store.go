package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Store is a Backend on local disk. A blob lives at
// Dir/sha256/<first two digest characters>/<digest>, read-only; Puts in
// progress write to Dir/tmp and rename into place, so a crash leaves at most
// a stray temp file and never a partial blob under its digest.
//
// A Store holds no state besides Dir and is safe for concurrent use, also by
// several processes sharing Dir.
type Store struct {
	Dir string
}

var _ Backend = (*Store)(nil)

const (
	blobsSubdir = "sha256"
	tmpSubdir   = "tmp"
	tmpPrefix   = "put-"

	// staleTemp is how old a temp file must be before Open deletes it. Temp files
	// are written continuously while a Put runs, so only a Put that crashed (or
	// stalled for this long) leaves one behind; deleting younger files could pull
	// one out from under another process's Put.
	staleTemp = time.Hour
)

// Open returns a Store rooted at dir, creating dir and its subdirectories if
// needed, and deletes temp files that crashed Puts left behind.
func Open(dir string) (*Store, error) {
	s := &Store{Dir: dir}
	for _, d := range []string{s.blobsDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("blob: open %s: %w", dir, err)
		}
	}
	s.removeStaleTemps(time.Now().Add(-staleTemp))
	return s, nil
}

func (s *Store) blobsDir() string { return filepath.Join(s.Dir, blobsSubdir) }
func (s *Store) tmpDir() string   { return filepath.Join(s.Dir, tmpSubdir) }

// path returns where the blob with digest d lives; d must have been checked.
func (s *Store) path(d string) string {
	return filepath.Join(s.Dir, blobsSubdir, d[:2], d)
}

// removeStaleTemps is best effort: a temp file that cannot be removed costs
// only disk space.
func (s *Store) removeStaleTemps(before time.Time) {
	ents, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			os.Remove(filepath.Join(s.tmpDir(), e.Name()))
		}
	}
}

// Put streams r into the store and returns its digest and size; see Backend
// for the contract. The blob's bytes and its directory entry are fsynced
// before Put returns. When the blob already exists the stored copy is kept
// (two Puts racing on the same new content may both rename; the bytes are
// identical, so readers cannot tell).
func (s *Store) Put(r io.Reader) (digest string, size int64, err error) {
	f, err := os.CreateTemp(s.tmpDir(), tmpPrefix+"*")
	if errors.Is(err, fs.ErrNotExist) {
		// A Store built as a literal rather than by Open has no tmp dir yet.
		if err = os.MkdirAll(s.tmpDir(), 0o755); err == nil {
			f, err = os.CreateTemp(s.tmpDir(), tmpPrefix+"*")
		}
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		if err != nil {
			os.Remove(tmp)
		}
	}()

	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), r)
	if err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	// Read-only so that a caller holding Path cannot change a blob under its
	// digest by accident.
	if err = f.Chmod(0o444); err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	if err = f.Sync(); err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return "", 0, fmt.Errorf("blob: put: %w", err)
	}

	digest = hex.EncodeToString(h.Sum(nil))
	final := s.path(digest)
	if _, serr := os.Lstat(final); serr == nil {
		os.Remove(tmp)
		return digest, size, nil
	}
	fan := filepath.Dir(final)
	_, ferr := os.Lstat(fan)
	if err = os.MkdirAll(fan, 0o755); err != nil {
		return "", 0, fmt.Errorf("blob: put %s: %w", digest, err)
	}
	if err = os.Rename(tmp, final); err != nil {
		return "", 0, fmt.Errorf("blob: put %s: %w", digest, err)
	}
	// The rename is durable only once the directory holding the new entry is
	// synced, and the fan-out directory's own entry too if this Put made it.
	if err = syncDir(fan); err != nil {
		return "", 0, fmt.Errorf("blob: put %s: %w", digest, err)
	}
	if ferr != nil {
		if err = syncDir(s.blobsDir()); err != nil {
			return "", 0, fmt.Errorf("blob: put %s: %w", digest, err)
		}
	}
	return digest, size, nil
}

// Adopt moves the file at path, whose sha256 the caller has computed as
// digest while it wrote it, into the store under that digest, instead of
// copying it as Put would: the registry hashes an upload as it streams in, so
// its bytes need to reach the disk once. The file must be complete and
// fsynced, and on the store's file system (a rename); it is gone from path
// afterwards, also when the blob already existed. Only a caller that hashed
// the bytes itself may call it: the store does not read them again.
func (s *Store) Adopt(path, digest string) error {
	if err := CheckDigest(digest); err != nil {
		return err
	}
	if err := os.Chmod(path, 0o444); err != nil {
		return fmt.Errorf("blob: adopt %s: %w", digest, err)
	}
	final := s.path(digest)
	if _, err := os.Lstat(final); err == nil {
		os.Remove(path)
		return nil
	}
	fan := filepath.Dir(final)
	_, ferr := os.Lstat(fan)
	if err := os.MkdirAll(fan, 0o755); err != nil {
		return fmt.Errorf("blob: adopt %s: %w", digest, err)
	}
	if err := os.Rename(path, final); err != nil {
		return fmt.Errorf("blob: adopt %s: %w", digest, err)
	}
	if err := syncDir(fan); err != nil {
		return fmt.Errorf("blob: adopt %s: %w", digest, err)
	}
	if ferr != nil {
		if err := syncDir(s.blobsDir()); err != nil {
			return fmt.Errorf("blob: adopt %s: %w", digest, err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// PutBytes is Put for a blob already in memory.
func (s *Store) PutBytes(b []byte) (string, int64, error) {
	return s.Put(bytes.NewReader(b))
}

// Open opens the blob with digest d for reading. It returns an error wrapping
// ErrInvalidDigest for a malformed digest and ErrNotFound when there is no
// such blob.
func (s *Store) Open(d string) (*os.File, error) {
	if err := CheckDigest(d); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(d))
	if err != nil {
		return nil, notFound(d, err)
	}
	return f, nil
}

// Get is Open behind the Backend interface.
func (s *Store) Get(d string) (io.ReadCloser, error) {
	f, err := s.Open(d)
	if err != nil {
		// Returned as a nil interface, not a nil *os.File inside one.
		return nil, err
	}
	return f, nil
}

// Stat returns the size of the blob with digest d, with the same errors as
// Open.
func (s *Store) Stat(d string) (int64, error) {
	if err := CheckDigest(d); err != nil {
		return 0, err
	}
	info, err := os.Stat(s.path(d))
	if err != nil {
		return 0, notFound(d, err)
	}
	return info.Size(), nil
}

// Path returns the file holding the blob with digest d, for callers that need
// a path (to mount or hand to another process); it must not be written to. It
// returns the same errors as Open; the path is valid until the blob is
// deleted.
func (s *Store) Path(d string) (string, error) {
	if err := CheckDigest(d); err != nil {
		return "", err
	}
	p := s.path(d)
	if _, err := os.Stat(p); err != nil {
		return "", notFound(d, err)
	}
	return p, nil
}

// Delete removes the blob with digest d. A missing blob is not an error; a
// malformed digest is (ErrInvalidDigest). Readers that already opened the
// blob keep reading it.
func (s *Store) Delete(d string) error {
	if err := CheckDigest(d); err != nil {
		return err
	}
	if err := os.Remove(s.path(d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", d, err)
	}
	return nil
}

func notFound(d string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, d)
	}
	return fmt.Errorf("blob %s: %w", d, err)
}
