package codezip

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// copyEntry inflates f into w and returns the bytes written. It trusts no
// header: it stops one byte past the declared size (ErrBomb) rather than
// inflate what the entry really holds, and checks the length and checksum
// it got (ErrNotZip). Errors from w are returned as they are.
func copyEntry(w io.Writer, f *zip.File) (int64, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %v", ErrNotZip, f.Name, err)
	}
	var src io.Reader
	switch f.Method {
	case zip.Store:
		src = raw
	case zip.Deflate:
		fr := flate.NewReader(raw)
		defer fr.Close()
		src = fr
	default:
		return 0, fmt.Errorf("%w: %q: unsupported compression method %d", ErrNotZip, f.Name, f.Method)
	}

	declared := int64(f.UncompressedSize64)
	if f.UncompressedSize64 > math.MaxInt64-1 {
		declared = math.MaxInt64 - 1
	}
	r := &readErrReader{r: io.LimitReader(src, declared+1)}
	h := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	switch {
	case r.err != nil:
		return n, fmt.Errorf("%w: %q: %v", ErrNotZip, f.Name, r.err)
	case err != nil:
		return n, fmt.Errorf("codezip: writing %q: %w", f.Name, err)
	case n > declared:
		return n, fmt.Errorf("%w: %q inflates past its declared %d bytes", ErrBomb, f.Name, declared)
	case n < declared:
		return n, fmt.Errorf("%w: %q: %d bytes of a declared %d", ErrNotZip, f.Name, n, declared)
	// A CRC of 0 goes unchecked, as archive/zip does: some writers leave it
	// unset.
	case f.CRC32 != 0 && h.Sum32() != f.CRC32:
		return n, fmt.Errorf("%w: %q: checksum mismatch", ErrNotZip, f.Name)
	}
	return n, nil
}

// readErrReader remembers a read error so copyEntry can tell a corrupt
// archive from a failing destination.
type readErrReader struct {
	r   io.Reader
	err error
}

func (r *readErrReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
