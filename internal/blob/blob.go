// Package blob stores immutable blobs addressed by the sha256 of their content:
// Lambda code packages now, layers, registry blobs and S3 object data later.
//
// A digest is the lowercase hex sha256 of a blob's bytes (64 characters, no
// "sha256:" prefix). Every method that takes a digest rejects anything else
// with ErrInvalidDigest before touching storage, so a digest can never name a
// path outside the store.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

var (
	// ErrNotFound is returned (wrapped) when no blob has the digest.
	ErrNotFound = errors.New("blob: not found")
	// ErrInvalidDigest is returned (wrapped) for a digest that is not 64
	// lowercase hex characters.
	ErrInvalidDigest = errors.New("blob: invalid digest")
)

// Backend is what every blob store provides; the disk Store implements it
// today and an S3-backed store will later. The suite in package blobtest is the
// executable form of this contract: every implementation runs it.
//
// Put consumes r to its end, stores the bytes under their digest and returns
// the digest and byte count. Putting content that is already stored keeps the
// stored blob and succeeds. A Put that fails (r returns an error, storage
// fails) leaves nothing visible under any digest. Concurrent Puts, of the same
// or different content, are safe. A blob is never visible under its digest
// before all of its bytes are stored.
//
// Get returns a reader over the whole blob; the caller closes it. Get and Stat
// return ErrNotFound for a well-formed digest with no blob. Delete of a missing
// blob is not an error.
type Backend interface {
	Put(r io.Reader) (digest string, size int64, err error)
	PutBytes(b []byte) (digest string, size int64, err error)
	Get(digest string) (io.ReadCloser, error)
	Stat(digest string) (size int64, err error)
	Delete(digest string) error
}

// Digest returns the digest of b, as Put would compute it.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CheckDigest returns nil if d is a well-formed digest (64 lowercase hex
// characters) and an error wrapping ErrInvalidDigest otherwise.
func CheckDigest(d string) error {
	if len(d) != 2*sha256.Size {
		return fmt.Errorf("%w: %q: want %d hex characters", ErrInvalidDigest, d, 2*sha256.Size)
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') {
			continue
		}
		return fmt.Errorf("%w: %q: want lowercase hex", ErrInvalidDigest, d)
	}
	return nil
}
