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
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// The sentinel errors. Every error Unpack or Inspect returns because of the
// archive's content wraps exactly one of them, with detail; errors of the
// destination file system wrap none.
var (
	// ErrNotZip means the bytes are not a zip, or a corrupt one: bad
	// structure, checksum or length, encrypted entries, or compression other
	// than store and deflate. AWS answers "Could not unzip uploaded file.
	// Please check your file, then try to upload again."
	ErrNotZip = errors.New("codezip: not a valid zip file")

	// ErrTooLarge means the entries' total declared size is over
	// Limits.MaxUnzipped, or the archive has more than Limits.MaxEntries
	// entries. AWS answers "Unzipped size must be smaller than 262144000 bytes".
	ErrTooLarge = errors.New("codezip: archive too large")

	// ErrUnsafe means an entry could write outside the destination or
	// through a symlink (an absolute or escaping name or symlink target, a
	// path below a symlink, a symlink loop), or cannot be written as the
	// archive says: a device, fifo or socket, two entries of different types
	// at one path, a name Linux cannot hold.
	ErrUnsafe = errors.New("codezip: unsafe entry")

	// ErrBomb means an entry inflates past its declared size, or declares a
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

// Size returns the sum of the entries' uncompressed sizes as the archive's
// directory declares them, without inflating anything: the figure Inspect returns
// for an archive that Inspect or Unpack has accepted. For any other archive it
// checks only what can be checked without inflating.
func Size(b []byte) (int64, error) {
	p, err := newPlan(b, Limits{}.withDefaults())
	if err != nil {
		return 0, err
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
// A crash leaves the sibling (".<base of dir>.unpack-*") for the caller to
// remove.
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
	dir = filepath.Clean(dir) // "out/" would make "out" its own parent
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
// write to.
func (p *plan) extract(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("codezip: %w", err)
	}
	defer root.Close()
	for _, e := range p.files {
		if !e.wins {
			// Checked although never written, so that Unpack fails whenever
			// Inspect does.
			if _, err := copyEntry(io.Discard, e.f); err != nil {
				return err
			}
		}
	}
	return extractDir(root, p.root)
}

// extractDir writes the children of n into d. Every call it makes names one
// component relative to a directory it holds open, so no path is ever
// resolved through what is on disk: a symlink, even one planted by another
// process, is never followed, and the work stays linear in the number of
// entries however deep the tree (walking each path from the top would be
// quadratic in its depth). It holds one descriptor per level of depth, at
// most maxPath/2. Symlinks come last in each directory, after everything
// else there exists.
func extractDir(d *os.Root, n *node) error {
	var links []string
	for _, name := range slices.Sorted(maps.Keys(n.children)) {
		c := n.children[name]
		switch c.kind {
		case kindFile:
			if err := writeFile(d, name, c.entry); err != nil {
				return err
			}
		case kindSymlink:
			links = append(links, name)
		case kindDir:
			if err := d.Mkdir(name, 0o755); err != nil {
				return fmt.Errorf("codezip: %w", err)
			}
			// Mkdir's mode is masked by the umask; Chmod's is not.
			if err := d.Chmod(name, 0o755); err != nil {
				return fmt.Errorf("codezip: %w", err)
			}
			sub, err := d.OpenRoot(name)
			if err != nil {
				return fmt.Errorf("codezip: %w", err)
			}
			err = extractDir(sub, c)
			sub.Close()
			if err != nil {
				return err
			}
		}
	}
	for _, name := range links {
		if err := d.Symlink(n.children[name].entry.target, name); err != nil {
			return fmt.Errorf("codezip: %w", err)
		}
	}
	return nil
}

// writeFile writes e as name in d. O_EXCL makes sure name is a new file, not
// something already there.
func writeFile(d *os.Root, name string, e *entry) error {
	f, err := d.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
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
	// archive's.
	if mt := e.f.Modified; !mt.IsZero() {
		if err := d.Chtimes(name, mt, mt); err != nil {
			return fmt.Errorf("codezip: %w", err)
		}
	}
	return nil
}
