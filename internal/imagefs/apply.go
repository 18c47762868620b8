package imagefs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// euid is the effective uid deciding whether owners and devices are kept; a
// variable so tests running as root can check the unprivileged behaviour.
var euid = os.Geteuid

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// applier writes layers into one temporary root. Nothing else writes there
// (MkdirTemp made it 0700), so what it checks stays true until it acts.
type applier struct {
	rootDir string
	root    int // O_PATH descriptor of rootDir; every path is resolved from it
	asRoot  bool
	opt     Options
	entries int
	bytes   int64
	// dirs holds the mode and times each directory gets once all layers
	// are in: until then every directory stays 0700 so that later entries
	// can be written into it even when its final mode forbids that, and its
	// mtime would change with each entry written into it anyway.
	dirs map[string]dirMeta
	// written holds the names the current layer created, which an opaque
	// marker of that layer must not hide.
	written map[string]bool
}

type dirMeta struct {
	mode  uint32
	mtime time.Time
	atime time.Time
}

func newApplier(dir string, opt Options) (*applier, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("imagefs: open %s: %w", dir, err)
	}
	return &applier{
		rootDir: dir,
		root:    fd,
		asRoot:  euid() == 0,
		opt:     opt,
		// The root's own mode unless a layer has a "./" entry.
		dirs: map[string]dirMeta{".": {mode: 0o755}},
	}, nil
}

func (a *applier) close() { unix.Close(a.root) }

// cleanName turns an entry name into a path relative to the root without
// "." or ".." components, or refuses it.
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: absolute name %q", ErrUnsafe, name)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("%w: NUL in name %q", ErrUnsafe, name)
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%w: name %q is outside the root", ErrUnsafe, name)
	}
	return c, nil
}

// resolveHow resolves a path the way the container will: symlinks and ".."
// relative to the root and never above it, no /proc magic links, no other
// mounts.
var resolveHow = unix.OpenHow{
	Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
	Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
}

// openDir returns a descriptor of directory p (a cleaned name) inside the
// root, creating missing directories 0755 when create is set, as Docker does
// for layers that leave out parents. The caller closes it.
func (a *applier) openDir(p string, create bool) (int, error) {
	fd, err := unix.Openat2(a.root, p, &resolveHow)
	if err == nil || !create || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	// Walk down from the root, creating each missing component in the
	// directory the one before resolved to.
	parent, err := unix.Openat2(a.root, ".", &resolveHow)
	if err != nil {
		return -1, err
	}
	comps := strings.Split(p, "/")
	for i, c := range comps {
		sub := strings.Join(comps[:i+1], "/")
		fd, err := unix.Openat2(a.root, sub, &resolveHow)
		if errors.Is(err, unix.ENOENT) {
			if err = unix.Mkdirat(parent, c, 0o700); err == nil || errors.Is(err, unix.EEXIST) {
				a.dirs[sub] = dirMeta{mode: 0o755}
				a.written[sub] = true
				fd, err = unix.Openat2(a.root, sub, &resolveHow)
			}
		}
		unix.Close(parent)
		if err != nil {
			return -1, err
		}
		parent = fd
	}
	return parent, nil
}

// applyTar applies one uncompressed layer.
func (a *applier) applyTar(ctx context.Context, r io.Reader) error {
	a.written = map[string]bool{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: tar: %v", ErrBadLayer, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		a.entries++
		if a.entries > a.opt.MaxEntries {
			return fmt.Errorf("%w: more than %d entries", ErrTooLarge, a.opt.MaxEntries)
		}
		if err := a.entry(hdr, tr); err != nil {
			return err
		}
	}
}

// entry applies one tar entry.
func (a *applier) entry(hdr *tar.Header, body io.Reader) error {
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		return a.whiteout(dir, base)
	}
	if name == "." && hdr.Typeflag != tar.TypeDir {
		return fmt.Errorf("%w: %q is not a directory", ErrBadLayer, hdr.Name)
	}
	pfd, err := a.openDir(dir, true)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadLayer, hdr.Name, err)
	}
	defer unix.Close(pfd)

	// Replace what a lower layer (or an earlier entry) left at the name,
	// except that a directory over a directory merges into it.
	var st unix.Stat_t
	switch err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); {
	case errors.Is(err, unix.ENOENT):
	case err != nil:
		return fmt.Errorf("imagefs: %s: %w", hdr.Name, err)
	case hdr.Typeflag == tar.TypeDir && st.Mode&unix.S_IFMT == unix.S_IFDIR:
	default:
		if err := removeAllAt(pfd, base); err != nil {
			return fmt.Errorf("imagefs: replacing %s: %w", hdr.Name, err)
		}
	}

	mode := uint32(hdr.Mode & 0o7777)
	if !a.asRoot {
		mode &^= unix.S_ISUID | unix.S_ISGID
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse:
		if hdr.Size > a.opt.MaxBytes-a.bytes {
			return fmt.Errorf("%w: more than %d bytes of files", ErrTooLarge, a.opt.MaxBytes)
		}
		a.bytes += hdr.Size
		if err := a.writeFile(pfd, base, hdr, body, mode); err != nil {
			return err
		}
	case tar.TypeDir:
		if name != "." {
			if err := unix.Mkdirat(pfd, base, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("imagefs: %s: %w", hdr.Name, err)
			}
		}
		a.dirs[name] = dirMeta{mode: mode, mtime: hdr.ModTime, atime: hdr.AccessTime}
	case tar.TypeSymlink:
		if hdr.Linkname == "" || strings.IndexByte(hdr.Linkname, 0) >= 0 {
			return fmt.Errorf("%w: symlink %s has target %q", ErrUnsafe, hdr.Name, hdr.Linkname)
		}
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return fmt.Errorf("imagefs: %s: %w", hdr.Name, err)
		}
	case tar.TypeLink:
		if err := a.link(pfd, base, hdr); err != nil {
			return err
		}
		// The link shares the target's inode: owner, mode and times are
		// the target's already.
		a.written[name] = true
		return nil
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		if kind != unix.S_IFIFO && !a.asRoot {
			return nil // see the package comment
		}
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(pfd, base, kind|mode, int(dev)); err != nil {
			if errors.Is(err, unix.EPERM) && kind != unix.S_IFIFO {
				return nil // root in a user namespace without CAP_MKNOD
			}
			return fmt.Errorf("imagefs: %s: %w", hdr.Name, err)
		}
		if err := a.chown(pfd, base, hdr); err != nil {
			return err
		}
		// After the chown, which clears setuid and setgid; and mknod's
		// mode was masked by the umask.
		if err := unix.Fchmodat(pfd, base, mode, 0); err != nil {
			return fmt.Errorf("imagefs: %s: %w", hdr.Name, err)
		}
	default:
		return fmt.Errorf("%w: %s has unsupported type %q", ErrBadLayer, hdr.Name, hdr.Typeflag)
	}
	a.written[name] = true
	if hdr.Typeflag == tar.TypeDir || hdr.Typeflag == tar.TypeSymlink {
		// Files and nodes were chowned before their chmod; directories get
		// their mode in finish.
		if err := a.chown(pfd, base, hdr); err != nil {
			return err
		}
	}
	if hdr.Typeflag != tar.TypeDir {
		return setTimes(pfd, base, hdr.AccessTime, hdr.ModTime)
	}
	return nil
}

// chown gives base in pfd the header's owner when running as root.
func (a *applier) chown(pfd int, base string, hdr *tar.Header) error {
	if !a.asRoot {
		return nil
	}
	if err := unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("imagefs: %s: %w", hdr.Name, err)
	}
	return nil
}

// writeFile writes a regular file as base in pfd. O_EXCL|O_NOFOLLOW make
// sure it is a new file, not something already there.
func (a *applier) writeFile(pfd int, base string, hdr *tar.Header, body io.Reader, mode uint32) error {
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("imagefs: %s: %w", hdr.Name, err)
	}
	f := os.NewFile(uintptr(fd), hdr.Name)
	defer f.Close()
	if _, err := io.Copy(f, body); err != nil {
		// The tar reader's errors are the layer's; the file's are ours,
		// but telling them apart is not worth a wrapper: both fail Unpack.
		return fmt.Errorf("%w: %s: %v", ErrBadLayer, hdr.Name, err)
	}
	if a.asRoot {
		// Before the chmod: chown clears setuid and setgid bits.
		if err := f.Chown(hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("imagefs: %w", err)
		}
	}
	// Through the descriptor, and not masked by the umask as Openat's is.
	if err := unix.Fchmod(fd, mode); err != nil {
		return fmt.Errorf("imagefs: %s: %w", hdr.Name, err)
	}
	return f.Close()
}

// link makes base in pfd a hard link to the entry hdr.Linkname names.
func (a *applier) link(pfd int, base string, hdr *tar.Header) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hard link %s: %w", hdr.Name, err)
	}
	tdir, tbase := path.Split(target)
	tdir = strings.TrimSuffix(tdir, "/")
	if tdir == "" {
		tdir = "."
	}
	if tbase == "." {
		return fmt.Errorf("%w: hard link %s to the root", ErrBadLayer, hdr.Name)
	}
	tfd, err := a.openDir(tdir, false)
	if err != nil {
		return fmt.Errorf("%w: hard link %s to %s: %v", ErrBadLayer, hdr.Name, hdr.Linkname, err)
	}
	defer unix.Close(tfd)
	// No AT_SYMLINK_FOLLOW: a link to a symlink is a link to the symlink
	// itself, so the target never leaves the root.
	if err := unix.Linkat(tfd, tbase, pfd, base, 0); err != nil {
		return fmt.Errorf("%w: hard link %s to %s: %v", ErrBadLayer, hdr.Name, hdr.Linkname, err)
	}
	return nil
}

// whiteout applies a whiteout entry named base in directory dir.
func (a *applier) whiteout(dir, base string) error {
	fd, err := a.openDir(dir, false)
	if errors.Is(err, unix.ENOENT) {
		return nil // nothing below to hide
	}
	if err != nil {
		return fmt.Errorf("%w: whiteout in %s: %v", ErrBadLayer, dir, err)
	}
	defer unix.Close(fd)
	if base == opaqueMarker {
		a.written[dir] = true
		return a.removeLower(fd, dir)
	}
	victim := strings.TrimPrefix(base, whiteoutPrefix)
	if victim == "" || victim == "." || victim == ".." {
		return fmt.Errorf("%w: whiteout %q", ErrUnsafe, path.Join(dir, base))
	}
	if err := removeAllAt(fd, victim); err != nil {
		return fmt.Errorf("imagefs: whiteout %s: %w", path.Join(dir, victim), err)
	}
	return nil
}

// removeLower removes what is in directory fd (at dir) that the current
// layer did not write, descending into the directories it did write, so an
// opaque marker hides lower entries whether it comes before or after the
// layer's own entries in that directory.
func (a *applier) removeLower(fd int, dir string) error {
	names, err := readDirNames(fd)
	if err != nil {
		return fmt.Errorf("imagefs: %s: %w", dir, err)
	}
	for _, n := range names {
		p := path.Join(dir, n)
		if !a.written[p] {
			if err := removeAllAt(fd, n); err != nil {
				return fmt.Errorf("imagefs: opaque %s: %w", p, err)
			}
			continue
		}
		sub, err := unix.Openat(fd, n, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			continue
		}
		if err != nil {
			return fmt.Errorf("imagefs: %s: %w", p, err)
		}
		err = a.removeLower(sub, p)
		unix.Close(sub)
		if err != nil {
			return err
		}
	}
	return nil
}

// finish gives directories their modes and times, deepest first so that a
// parent's mode never stops us reaching its children. A path that no longer
// leads to a directory without crossing a symlink was replaced after its
// entry and is skipped.
func (a *applier) finish() error {
	names := make([]string, 0, len(a.dirs))
	for n := range a.dirs {
		names = append(names, n)
	}
	depth := func(n string) int {
		if n == "." {
			return -1
		}
		return strings.Count(n, "/")
	}
	slices.SortFunc(names, func(x, y string) int { return depth(y) - depth(x) })
	how := resolveHow
	how.Resolve |= unix.RESOLVE_NO_SYMLINKS
	for _, n := range names {
		m := a.dirs[n]
		dir, base := ".", "."
		if n != "." {
			dir, base = path.Split(n)
			if dir = strings.TrimSuffix(dir, "/"); dir == "" {
				dir = "."
			}
		}
		pfd, err := unix.Openat2(a.root, dir, &how)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			unix.Close(pfd)
			continue
		}
		err = unix.Fchmodat(pfd, base, m.mode, 0)
		if err == nil {
			err = setTimes(pfd, base, m.atime, m.mtime)
		}
		unix.Close(pfd)
		if err != nil {
			return fmt.Errorf("imagefs: %s: %w", n, err)
		}
	}
	return nil
}

// setTimes sets the times of base in pfd without following a symlink. A
// zero time is left as it is.
func setTimes(pfd int, base string, atime, mtime time.Time) error {
	if mtime.IsZero() {
		return nil
	}
	if atime.IsZero() {
		atime = mtime
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("imagefs: times of %s: %w", base, err)
	}
	return nil
}

// readDirNames lists directory fd without consuming fd's offset.
func readDirNames(fd int) ([]string, error) {
	dfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dfd), ".")
	defer f.Close()
	return f.Readdirnames(-1)
}

// removeAllAt removes name in directory fd and, if it is a directory,
// everything below it, never following a symlink. A missing name is not an
// error. Directories are made 0700 first, since an unprivileged process
// cannot empty one whose mode forbids writing.
func removeAllAt(fd int, name string) error {
	err := unix.Unlinkat(fd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) {
		return err
	}
	unix.Fchmodat(fd, name, 0o700, 0) // best effort; unlinkat said it is a directory, not a symlink
	sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	names, err := readDirNames(sub)
	for _, n := range names {
		if err == nil {
			err = removeAllAt(sub, n)
		}
	}
	unix.Close(sub)
	if err != nil {
		return err
	}
	return unix.Unlinkat(fd, name, unix.AT_REMOVEDIR)
}

// removeTree removes the directory p and everything below it, whatever the
// modes of its directories. It is for roots Unpack wrote.
func removeTree(p string) error {
	fd, err := unix.Open(filepath.Dir(p), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return removeAllAt(fd, filepath.Base(p))
}
