package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stratus-run/stratus/internal/store"
)

// uploadDoc is one upload session. Size is the number of bytes accepted: the
// session's file holds at least that many, fsynced, before Size is saved, so
// a crash loses at most a chunk the client was never told was accepted.
type uploadDoc struct {
	Repo    string    `json:"repo"`
	Size    int64     `json:"size"`
	Started time.Time `json:"started"`
	Touched time.Time `json:"touched"`
	// Hash is the sha256 state after the first Size bytes, so the PUT that
	// closes the session knows the digest without reading the file again.
	// Empty for a session saved without it: then the file is read.
	Hash []byte `json:"hash,omitempty"`
}

// resumeHash returns the sha256 of the session's first u.Size bytes so far,
// or nil when the session has no usable state.
func (u uploadDoc) resumeHash() hash.Hash {
	h := sha256.New()
	if u.Size == 0 {
		return h
	}
	if len(u.Hash) == 0 || h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.Hash) != nil {
		return nil
	}
	return h
}

// sum is the sha256 of the session's bytes, or nil when it is not known.
func (u uploadDoc) sum() []byte {
	if h := u.resumeHash(); h != nil {
		return h.Sum(nil)
	}
	return nil
}

func (r *Registry) uploadPath(id string) string { return filepath.Join(r.uploadDir(), id) }

// lockUpload serializes requests on one session; the caller unlocks.
func (r *Registry) lockUpload(id string) *sync.Mutex {
	r.upMu.Lock()
	m, ok := r.upLocks[id]
	if !ok {
		m = &sync.Mutex{}
		r.upLocks[id] = m
	}
	r.upMu.Unlock()
	m.Lock()
	return m
}

func (r *Registry) forgetUploadLock(id string) {
	r.upMu.Lock()
	delete(r.upLocks, id)
	r.upMu.Unlock()
}

// startUpload creates an empty session for repo.
func (r *Registry) startUpload(ctx context.Context, repo string) (string, error) {
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	f, err := os.OpenFile(r.uploadPath(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("registry: upload: %w", err)
	}
	f.Close()
	now := r.Now().UTC()
	if _, err := r.uploads.Create(ctx, id, uploadDoc{Repo: repo, Started: now, Touched: now}); err != nil {
		os.Remove(r.uploadPath(id))
		return "", err
	}
	return id, nil
}

// getUpload returns the session if it exists and belongs to repo.
func (r *Registry) getUpload(ctx context.Context, repo, id string) (uploadDoc, uint64, error) {
	u, rev, err := r.uploads.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Repo != repo) {
		return uploadDoc{}, 0, ErrBlobUploadUnknown
	}
	return u, rev, err
}

// appendUpload appends body to the session, which must be at start (-1: any
// offset, for a streamed PATCH); length is the body's declared length (-1:
// unknown). It returns the new size. The caller holds the session's lock.
func (r *Registry) appendUpload(ctx context.Context, repo, id string, start, length int64, body io.Reader) (int64, error) {
	u, rev, err := r.getUpload(ctx, repo, id)
	if err != nil {
		return 0, err
	}
	if start >= 0 && start != u.Size {
		return u.Size, ErrRangeInvalid
	}
	f, err := os.OpenFile(r.uploadPath(id), os.O_WRONLY, 0)
	if err != nil {
		return u.Size, fmt.Errorf("registry: upload %s: %w", id, err)
	}
	defer f.Close()
	// Bytes past Size were written by a request that failed or a server that
	// crashed before saving Size: never accepted, so dropped.
	if err := f.Truncate(u.Size); err != nil {
		return u.Size, err
	}
	if _, err := f.Seek(u.Size, io.SeekStart); err != nil {
		return u.Size, err
	}
	var w io.Writer = f
	h := u.resumeHash()
	if h != nil {
		w = io.MultiWriter(f, h)
	}
	n, err := io.Copy(w, body)
	if err != nil {
		f.Truncate(u.Size)
		return u.Size, ErrBlobUploadInvalid.with("reading the chunk: " + err.Error())
	}
	if length >= 0 && n != length {
		f.Truncate(u.Size)
		return u.Size, ErrSizeInvalid
	}
	if err := f.Sync(); err != nil {
		return u.Size, err
	}
	u.Size += n
	u.Touched = r.Now().UTC()
	u.Hash = nil
	if h != nil {
		u.Hash, _ = h.(encoding.BinaryMarshaler).MarshalBinary()
	}
	if _, err := r.uploads.Update(ctx, id, u, rev); err != nil {
		return u.Size - n, err
	}
	return u.Size, nil
}

// dropUpload deletes a session and its bytes.
func (r *Registry) dropUpload(ctx context.Context, id string) {
	r.uploads.Delete(ctx, id, 0) //nolint:errcheck // a missing session is what we want
	os.Remove(r.uploadPath(id))
	r.forgetUploadLock(id)
}

// hasherFor returns a hash of the digest's algorithm.
func hasherFor(d digest.Digest) (hash.Hash, error) {
	if !d.Algorithm().Available() {
		return nil, ErrDigestInvalid.with("unsupported digest algorithm " + string(d.Algorithm()))
	}
	return d.Algorithm().Hash(), nil
}

// commitFile stores the bytes of the file at path as blob want in repo, if
// they hash to want; otherwise it stores nothing and returns DIGEST_INVALID.
// size is the number of bytes to take from the file. sum, when not nil, is the
// sha256 of those bytes, computed as they were written: for a sha256 digest
// the file is then not read again. owned says the file is the caller's to
// give away: complete and fsynced, it is moved into the blob store rather
// than copied, so a pushed layer reaches the disk once.
func (r *Registry) commitFile(ctx context.Context, repo string, want digest.Digest, path string, size int64, sum []byte, owned bool) error {
	h, err := hasherFor(want)
	if err != nil {
		return err
	}
	var sha string
	if sum != nil && want.Algorithm() == digest.SHA256 {
		if hex.EncodeToString(sum) != want.Encoded() {
			return ErrDigestInvalid.with("content does not match " + want.String())
		}
		sha = want.Encoded()
	} else {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		s256 := sha256.New()
		w := io.MultiWriter(h, s256)
		if want.Algorithm() == digest.SHA256 {
			w = h
			s256 = h
		}
		_, err = io.Copy(w, io.LimitReader(f, size))
		f.Close()
		if err != nil {
			return err
		}
		if digest.NewDigest(want.Algorithm(), h) != want {
			return ErrDigestInvalid.with("content does not match " + want.String())
		}
		sha = hex.EncodeToString(s256.Sum(nil))
	}
	r.gcMu.RLock()
	defer r.gcMu.RUnlock()
	if _, err := r.Blobs.Stat(sha); err != nil {
		if err := r.storeFile(path, sha, size, owned); err != nil {
			return err
		}
	}
	return r.linkLocked(ctx, repo, want, sha, size, true)
}

// adopter is a blob store that can take a file it need not read (the disk
// store); others get a copy.
type adopter interface {
	Adopt(path, digest string) error
}

// storeFile puts the first size bytes of path into the blob store as sha,
// which the caller has checked.
func (r *Registry) storeFile(path, sha string, size int64, owned bool) error {
	if a, ok := r.Blobs.(adopter); ok && owned {
		// Bytes past size were never accepted (a failed chunk); the file is
		// cut to what was hashed before it becomes the blob.
		if err := os.Truncate(path, size); err != nil {
			return err
		}
		return a.Adopt(path, sha)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	got, _, err := r.Blobs.Put(io.LimitReader(f, size))
	if err != nil {
		return err
	}
	if got != sha {
		// The file changed under us: only this package writes it, under the
		// session lock, so this is a bug or outside interference.
		return fmt.Errorf("registry: upload changed while it was stored")
	}
	return nil
}

// linkLocked records blob dg (stored as sha) in the registry-wide table and
// links it into repo. The caller holds gcMu for reading.
func (r *Registry) linkLocked(ctx context.Context, repo string, dg digest.Digest, sha string, size int64, create bool) error {
	if err := r.touchKnown(ctx, knownKey(dg), sha, size); err != nil {
		return err
	}
	return r.updateRepo(ctx, repo, create, func(d *repoDoc) error {
		d.Links[dg.String()] = blobLink{Stored: sha, Size: size}
		return nil
	})
}

// touchKnown records (or refreshes) a stored blob in the registry-wide table,
// which starts its GC grace period. The caller holds gcMu for reading.
func (r *Registry) touchKnown(ctx context.Context, key, sha string, size int64) error {
	kb := knownBlob{Stored: sha, Size: size, Touched: r.Now().UTC()}
	for {
		_, rev, err := r.known.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			if _, err = r.known.Create(ctx, key, kb); errors.Is(err, store.ErrExists) {
				continue
			}
		} else if err == nil {
			if _, err = r.known.Update(ctx, key, kb, rev); errors.Is(err, store.ErrConflict) {
				continue
			}
		}
		return err
	}
}

// knownKey is a KV key for a digest: KV keys cannot hold ':'.
func knownKey(d digest.Digest) string {
	return string(d.Algorithm()) + "." + d.Encoded()
}

// mount links blob dg into repo from repository from ("" any repository the
// registry has it in). It reports false, and links nothing, when the blob is
// not there to mount.
func (r *Registry) mount(ctx context.Context, repo, from string, dg digest.Digest) (bool, error) {
	r.gcMu.RLock()
	defer r.gcMu.RUnlock()
	var link blobLink
	if from != "" {
		src, _, err := r.getRepo(ctx, from)
		if errors.Is(err, ErrRepositoryNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		l, ok := src.Links[dg.String()]
		if !ok {
			return false, nil
		}
		link = l
	} else {
		kb, _, err := r.known.Get(ctx, knownKey(dg))
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		link = blobLink{Stored: kb.Stored, Size: kb.Size}
	}
	if _, err := r.Blobs.Stat(link.Stored); err != nil {
		return false, nil
	}
	return true, r.linkLocked(ctx, repo, dg, link.Stored, link.Size, true)
}
