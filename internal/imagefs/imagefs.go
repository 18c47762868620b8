// Package imagefs unpacks OCI and Docker container images into root file
// systems for the oci sandbox, and reads what their config blobs say running
// them needs.
//
// Layers are applied in order as the OCI image spec's layer section says:
// regular files, directories, symlinks, hard links, fifos and devices are
// created with their modes and modification times; ".wh.<name>" deletes the
// lower entry <name> and ".wh..wh..opq" hides everything lower layers put in
// its directory. Each layer's blob digest, and where given its diff_id (the
// digest of the uncompressed tar), is verified as it streams; a layer that does
// not match fails the whole unpack and leaves nothing behind.
//
// No entry can write outside the root. Entry names and hard link targets that
// are absolute or climb out of the root with ".." are refused with ErrUnsafe.
// Symlinks may point anywhere (images are full of absolute ones such as
// /var/run -> /run), but every path is resolved by the kernel with openat2's
// RESOLVE_IN_ROOT, so a symlink crossed while unpacking is taken as the
// container will see it: relative to the root, ".." stopping at the root.
// Code outside the sandbox that reads an unpacked root must do the same (or
// use os.Root) and never follow its symlinks with plain path calls.
//
// Owners: when the process runs as root (effective uid 0) files get the uids
// and gids of the tar headers and device nodes are created. Otherwise owners
// are not recorded anywhere, every file belongs to the unpacking user,
// setuid and setgid bits are dropped (a setuid file owned by the Stratus user
// would hand its rights to whoever runs it), and character and block devices
// are skipped (an unprivileged process cannot make them; the sandbox supplies
// /dev anyway). Extended attributes (file capabilities, SELinux labels) are
// not applied.
package imagefs

import (
	"bufio"
	"compress/gzip"
	"context"
	_ "crypto/sha256" // registers the digest algorithms go-digest looks up
	_ "crypto/sha512"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
)

// The sentinel errors. Every error Unpack returns because of the content of a
// layer wraps exactly one of them, with detail; errors of the destination file
// system, of open and of ctx wrap none.
var (
	// ErrDigest means a layer's blob does not match Layer.Digest or
	// Layer.Size, or its uncompressed tar does not match Layer.DiffID, or one
	// of those is not a valid digest.
	ErrDigest = errors.New("imagefs: layer digest mismatch")

	// ErrBadLayer means a layer is not a tar stream (possibly gzip- or
	// zstd-compressed) Unpack can apply: corrupt data, an unknown entry type,
	// an entry below a non-directory, a hard link to a missing file.
	ErrBadLayer = errors.New("imagefs: invalid layer")

	// ErrUnsafe means an entry's name or hard link target is absolute or
	// climbs out of the root, or names something Linux cannot hold.
	ErrUnsafe = errors.New("imagefs: unsafe layer entry")

	// ErrTooLarge means the layers together hold more than Options.MaxBytes
	// bytes of file content or more than Options.MaxEntries entries.
	ErrTooLarge = errors.New("imagefs: image too large")
)

// Defaults for the zero fields of Options.
const (
	DefaultMaxBytes   = 10 << 30 // Lambda: container images up to 10 GB uncompressed
	DefaultMaxEntries = 1 << 20
)

// maxTrailing bounds the bytes a layer may carry after the end of its tar
// archive (tar writers pad to a 10 KiB record; more than this is a bomb).
const maxTrailing = 1 << 20

// Options bounds what an image may expand to. A zero or negative field takes
// its default.
type Options struct {
	// MaxBytes is the largest allowed sum of the sizes of all regular file
	// entries of all layers, overwritten and whited-out ones included.
	MaxBytes int64
	// MaxEntries is the largest allowed number of tar entries in all layers,
	// whiteouts and directories included.
	MaxEntries int
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	return o
}

// Layer is one layer of an image as its manifest and config describe it.
type Layer struct {
	// Digest is the digest of the blob as stored, e.g. "sha256:…". Required.
	Digest string
	// MediaType is the manifest's media type for the blob. It is
	// informational: compression (none, gzip, zstd) is detected from the
	// stream itself, since Docker's media types do not always tell the truth.
	MediaType string
	// Size is the blob's size in bytes; zero means unknown and unchecked.
	Size int64
	// DiffID is the digest of the uncompressed tar from the config's
	// rootfs.diff_ids; empty means unchecked.
	DiffID string
}

// Unpack applies layers in order into dir, which must not exist or be an empty
// directory, and whose parent must exist. open is called once per layer, in
// order, for the blob; Unpack closes what it returns.
//
// Unpack writes into a temporary sibling of dir (".<base of dir>.unpack-*")
// and renames it to dir at the end, so dir never holds a partial tree; on
// failure it removes what it wrote, and a crash leaves only the sibling, which
// RemoveStale (and NewCache) clean up. It does not fsync: treat unpacked
// roots as a cache that can be rebuilt from the blobs.
//
// It returns an error wrapping ErrDigest, ErrBadLayer, ErrUnsafe or
// ErrTooLarge for a bad layer, one wrapping fs.ErrExist when dir is something
// other than an empty directory, and open's, ctx's and I/O errors as they
// come.
func Unpack(ctx context.Context, dir string, layers []Layer, open func(Layer) (io.ReadCloser, error), opt Options) (err error) {
	dir = filepath.Clean(dir)
	if err := checkDest(dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+tmpMark)
	if err != nil {
		return fmt.Errorf("imagefs: %w", err)
	}
	defer func() {
		if err != nil {
			removeTree(tmp)
		}
	}()
	a, err := newApplier(tmp, opt.withDefaults())
	if err != nil {
		return err
	}
	defer a.close()
	for i, l := range layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := open(l)
		if err != nil {
			return fmt.Errorf("imagefs: open layer %d (%s): %w", i, l.Digest, err)
		}
		err = a.layer(ctx, l, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, l.Digest, err)
		}
	}
	if err := a.finish(); err != nil {
		return err
	}
	// syscall.Rename, not os.Rename: os.Rename refuses to replace any
	// directory, even the empty one dir may be. If someone filled dir
	// meanwhile this fails with ENOTEMPTY, which is fs.ErrExist.
	if err := syscall.Rename(tmp, dir); err != nil {
		return fmt.Errorf("imagefs: %w", &os.LinkError{Op: "rename", Old: tmp, New: dir, Err: err})
	}
	return nil
}

// tmpMark is in the name of every temporary root, so RemoveStale can tell
// them from finished ones.
const tmpMark = ".unpack-"

// checkDest lets Unpack fail before reading anything when the rename at the
// end would fail.
func checkDest(dir string) error {
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("imagefs: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("imagefs: destination %s is not a directory: %w", dir, fs.ErrExist)
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("imagefs: %w", err)
	}
	defer f.Close()
	if names, _ := f.Readdirnames(1); len(names) > 0 {
		return fmt.Errorf("imagefs: destination %s is not empty: %w", dir, fs.ErrExist)
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// layer verifies and applies one layer blob read from rc. The digest is
// checked last but reported first: a blob that does not match is ErrDigest
// even when it also fails to decompress, since then it is the wrong blob, not
// a bad layer.
func (a *applier) layer(ctx context.Context, l Layer, rc io.Reader) error {
	want, err := digest.Parse(l.Digest)
	if err != nil {
		return fmt.Errorf("%w: digest %q: %v", ErrDigest, l.Digest, err)
	}
	var wantDiff digest.Digest
	if l.DiffID != "" {
		if wantDiff, err = digest.Parse(l.DiffID); err != nil {
			return fmt.Errorf("%w: diff_id %q: %v", ErrDigest, l.DiffID, err)
		}
	}
	// Never read more than the blob may hold: one byte past Size is enough
	// to know it is too long.
	limit := l.Size + 1
	if l.Size <= 0 {
		limit = a.opt.MaxBytes + maxTrailing
	}
	blobHash := want.Algorithm().Hash()
	blob := &countingReader{r: io.TeeReader(io.LimitReader(rc, limit), blobHash)}
	br := bufio.NewReader(blob)

	applyErr := a.decompressAndApply(ctx, br, wantDiff)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Read the blob to its end, so the digest covers all of it.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return fmt.Errorf("imagefs: reading layer: %w", err)
	}
	if l.Size > 0 && blob.n != l.Size {
		return fmt.Errorf("%w: blob is %d bytes or more, want %d", ErrDigest, blob.n, l.Size)
	}
	if got := digest.NewDigest(want.Algorithm(), blobHash); got != want {
		return fmt.Errorf("%w: blob digest is %s, want %s", ErrDigest, got, want)
	}
	return applyErr
}

// decompressAndApply applies the tar in br, gzip- or zstd-compressed or not,
// and checks its digest against wantDiff when that is set.
func (a *applier) decompressAndApply(ctx context.Context, br *bufio.Reader, wantDiff digest.Digest) error {
	var tarStream io.Reader = br
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%w: gzip: %v", ErrBadLayer, err)
		}
		defer zr.Close()
		tarStream = zr
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		// One goroutine, and a window cap so a frame header cannot make
		// us allocate gigabytes (zstd --long=27 is as far as tools go).
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return fmt.Errorf("%w: zstd: %v", ErrBadLayer, err)
		}
		defer zr.Close()
		tarStream = zr
	}
	var diffHash = digest.Canonical.Hash()
	if wantDiff != "" {
		diffHash = wantDiff.Algorithm().Hash()
	}
	tr := io.TeeReader(tarStream, diffHash)
	if err := a.applyTar(ctx, tr); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, io.LimitReader(tr, maxTrailing+1))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadLayer, err)
	}
	if n > maxTrailing {
		return fmt.Errorf("%w: more than %d bytes after the end of the tar archive", ErrBadLayer, maxTrailing)
	}
	if wantDiff != "" {
		if got := digest.NewDigest(wantDiff.Algorithm(), diffHash); got != wantDiff {
			return fmt.Errorf("%w: diff_id is %s, want %s", ErrDigest, got, wantDiff)
		}
	}
	return nil
}
