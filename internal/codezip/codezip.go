// Package codezip unpacks Lambda deployment packages (zip archives) into a
// directory and refuses hostile ones: entries escaping the directory, symlinks
// pointing out of it, device files, and archives that inflate past a limit or
// past what their headers declare.
//
// Every check that can be made without writing is made before the first
// write, so Inspect and Unpack agree: Inspect returns nil exactly when Unpack
// would succeed, barring errors of the destination file system.
package codezip

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The sentinel errors. Every error Unpack or Inspect returns because of the
// archive's content wraps exactly one of them, with detail; errors of the
// destination file system wrap none.
var (
	// ErrNotZip: not a zip, or corrupt (bad structure, checksum, truncated
	// data, encrypted entries, compression other than store and deflate). AWS
	// answers "Could not unzip uploaded file. Please check your file, then try
	// to upload again."
	ErrNotZip = errors.New("codezip: not a valid zip file")

	// ErrTooLarge: the entries' total declared size is over
	// Limits.MaxUnzipped, or the archive has more than Limits.MaxEntries
	// entries. AWS answers "Unzipped size must be smaller than 262144000 bytes".
	ErrTooLarge = errors.New("codezip: archive too large")

	// ErrUnsafe: an entry that could write outside the destination, or is not
	// a plain file, directory or symlink.
	ErrUnsafe = errors.New("codezip: unsafe entry")

	// ErrBomb: an entry inflates past its declared size, or declares a
	// compression ratio over Limits.MaxRatio.
	ErrBomb = errors.New("codezip: zip bomb")
)

// Defaults for the zero fields of Limits.
const (
	DefaultMaxUnzipped = 262144000 // AWS: 250 MB unzipped, function and layers together
	DefaultMaxEntries  = 20000
	DefaultMaxRatio    = 1000
)

// Limits bounds what an archive may expand to. A zero or negative field takes
// its default.
type Limits struct {
	// MaxUnzipped is the largest allowed sum of the entries' uncompressed
	// sizes, in bytes.
	MaxUnzipped int64
	// MaxEntries is the largest allowed number of entries, directories
	// included.
	MaxEntries int
	// MaxRatio is the largest allowed uncompressed/compressed size ratio of
	// one deflated entry. Deflate cannot exceed about 1032:1, so the default
	// only refuses data that is (nearly) all one repeated byte.
	MaxRatio int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxUnzipped <= 0 {
		l.MaxUnzipped = DefaultMaxUnzipped
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	return l
}

// Inspect checks the archive in b as Unpack would, inflating every entry to
// verify its size and checksum, but writes nothing. It returns the sum of the
// entries' uncompressed sizes (what MaxUnzipped is checked against), or an
// error wrapping ErrNotZip, ErrTooLarge, ErrUnsafe or ErrBomb.
func Inspect(b []byte, lim Limits) (unzipped int64, err error) {
	p, err := newPlan(b, lim.withDefaults())
	if err != nil {
		return 0, err
	}
	for _, e := range p.files {
		if _, err := copyEntry(io.Discard, e.f); err != nil {
			return 0, err
		}
	}
	return p.unzipped, nil
}

// Unpack extracts the archive in b into dir, which must not exist or be an
// empty directory, and whose parent must exist. It returns the errors of
// Inspect for a bad archive, an error wrapping fs.ErrExist when dir is
// something else, and I/O errors as they come.
//
// Unpack writes into a temporary sibling of dir and renames it to dir at the
// end, so dir never holds a partial tree; on failure it removes what it wrote.
// It does not fsync: after a power loss dir may hold truncated files, so treat
// unpacked trees as a cache that can be rebuilt from the archive.
//
// The tree holds exactly the archive's entries: files with their Unix
// permission bits (0644 when the archive has none; never setuid, setgid or
// sticky) and modification times, directories 0755, symlinks as symlinks.
// When the archive holds the same file path twice, the later entry wins.
func Unpack(b []byte, dir string, lim Limits) (err error) {
	p, err := newPlan(b, lim.withDefaults())
	if err != nil {
		return err
	}
	if err := checkDest(dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".unpack-")
	if err != nil {
		return fmt.Errorf("codezip: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := p.extract(tmp); err != nil {
		return err
	}
	// MkdirTemp made it 0700 so no other user could meddle while we wrote.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("codezip: %w", err)
	}
	// syscall.Rename, not os.Rename: os.Rename refuses to replace any
	// directory, even the empty one dir may be. If someone filled dir
	// meanwhile this fails with ENOTEMPTY, which is fs.ErrExist.
	if err := syscall.Rename(tmp, dir); err != nil {
		return fmt.Errorf("codezip: %w", &os.LinkError{Op: "rename", Old: tmp, New: dir, Err: err})
	}
	return nil
}

// checkDest lets Unpack fail before inflating anything when the rename at
// the end would fail.
func checkDest(dir string) error {
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("codezip: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("codezip: destination %s is not a directory: %w", dir, fs.ErrExist)
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("codezip: %w", err)
	}
	defer f.Close()
	if names, _ := f.Readdirnames(1); len(names) > 0 {
		return fmt.Errorf("codezip: destination %s is not empty: %w", dir, fs.ErrExist)
	}
	return nil
}

// extract writes the plan into dir, a fresh directory only this process can
// write to. Directories come first, then files, then symlinks, so no write
// ever goes through a symlink: the plan has refused any entry below a
// symlink, O_EXCL refuses an existing final component, and os.Root refuses
// any path resolving outside dir should all that fail.
func (p *plan) extract(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("codezip: %w", err)
	}
	defer root.Close()

	for _, name := range p.dirs() {
		if err := root.Mkdir(name, 0o755); err != nil {
			return fmt.Errorf("codezip: %w", err)
		}
		// Mkdir's mode is masked by the umask; Chmod's is not.
		if err := root.Chmod(name, 0o755); err != nil {
			return fmt.Errorf("codezip: %w", err)
		}
	}
	for _, e := range p.files {
		if !e.wins {
			// Checked anyway so that Unpack fails whenever Inspect does.
			if _, err := copyEntry(io.Discard, e.f); err != nil {
				return err
			}
			continue
		}
		if err := writeFile(root, e); err != nil {
			return err
		}
	}
	for _, e := range p.links {
		if err := root.Symlink(e.target, e.name); err != nil {
			return fmt.Errorf("codezip: %w", err)
		}
	}
	return nil
}

func writeFile(root *os.Root, e *entry) error {
	f, err := root.OpenFile(e.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("codezip: %w", err)
	}
	_, err = copyEntry(f, e.f)
	if err == nil {
		// Through the descriptor, so it is the file just written that changes,
		// and not masked by the umask as OpenFile's mode is.
		if err = f.Chmod(e.mode); err != nil {
			err = fmt.Errorf("codezip: %w", err)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("codezip: %w", cerr)
	}
	if err != nil {
		return err
	}
	// Runtimes compare source and cache times (Python's .pyc), so keep the
	// archive's. No symlink exists yet for Chtimes to follow.
	if mt := e.f.Modified; !mt.IsZero() {
		if err := root.Chtimes(e.name, mt, mt); err != nil {
			return fmt.Errorf("codezip: %w", err)
		}
	}
	return nil
}
