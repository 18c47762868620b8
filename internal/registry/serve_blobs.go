package registry

import (
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// linked returns the link of blob ref in repository name, or BLOB_UNKNOWN.
func (r *Registry) linked(req *http.Request, name, ref string) (digest.Digest, blobLink, error) {
	dg, err := parseDigest(ref)
	if err != nil {
		return "", blobLink{}, err
	}
	d, _, err := r.getRepo(req.Context(), name)
	if err != nil {
		return "", blobLink{}, err
	}
	l, ok := d.Links[dg.String()]
	if !ok {
		return "", blobLink{}, ErrBlobUnknown.with(ref)
	}
	return dg, l, nil
}

// serveBlobGet answers GET and HEAD of a blob, with Range requests.
func (r *Registry) serveBlobGet(w http.ResponseWriter, req *http.Request, name, ref string) error {
	dg, l, err := r.linked(req, name, ref)
	if err != nil {
		return err
	}
	rc, err := r.Blobs.Get(l.Stored)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Docker-Content-Digest", dg.String())
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Etag", `"`+dg.String()+`"`)
	h.Set("Cache-Control", "max-age=31536000")
	if rs, ok := rc.(io.ReadSeeker); ok {
		// ServeContent answers Range (206, and 416 for a range the blob does
		// not overlap) and HEAD.
		http.ServeContent(w, req, "", time.Time{}, rs)
		return nil
	}
	h.Set("Content-Length", strconv.FormatInt(l.Size, 10))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		io.Copy(w, rc) //nolint:errcheck // the client went away
	}
	return nil
}

// serveBlobDelete unlinks a blob from the repository; its bytes go at GC
// once nothing uses them.
func (r *Registry) serveBlobDelete(w http.ResponseWriter, req *http.Request, name, ref string) error {
	dg, err := parseDigest(ref)
	if err != nil {
		return err
	}
	err = r.updateRepo(req.Context(), name, false, func(d *repoDoc) error {
		if _, ok := d.Links[dg.String()]; !ok {
			return ErrBlobUnknown.with(ref)
		}
		delete(d.Links, dg.String())
		return nil
	})
	if err != nil {
		return err
	}
	r.KickGC()
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// serveUploadStart answers POST /blobs/uploads/: a mount, a monolithic push
// (?digest= with the body), or the start of a session.
func (r *Registry) serveUploadStart(w http.ResponseWriter, req *http.Request, name string) error {
	ctx := req.Context()
	q := req.URL.Query()
	if err := r.checkPushable(req, name); err != nil {
		return err
	}
	if m := q.Get("mount"); m != "" {
		dg, err := parseDigest(m)
		if err != nil {
			return err
		}
		from := q.Get("from")
		if from != "" && !ValidName(from) {
			return ErrNameInvalid.with(from)
		}
		ok, err := r.mount(ctx, name, from, dg)
		if err != nil {
			return err
		}
		if ok {
			blobCreated(w, name, dg)
			return nil
		}
		// Not there to mount: the spec has the registry start an upload.
	}
	if ds := q.Get("digest"); ds != "" {
		dg, err := parseDigest(ds)
		if err != nil {
			return err
		}
		if err := r.putMonolithic(req, name, dg); err != nil {
			return err
		}
		blobCreated(w, name, dg)
		return nil
	}
	id, err := r.startUpload(ctx, name)
	if err != nil {
		return err
	}
	uploadAccepted(w, name, id, 0, http.StatusAccepted)
	return nil
}

// checkPushable refuses a push to a repository that does not exist unless
// CreateOnPush lets the push create it.
func (r *Registry) checkPushable(req *http.Request, name string) error {
	_, _, err := r.getRepo(req.Context(), name)
	return err
}

// putMonolithic spools the request body to a file, hashing nothing twice in
// memory, then commits it as blob dg; a body of another digest stores nothing.
func (r *Registry) putMonolithic(req *http.Request, name string, dg digest.Digest) error {
	if _, err := hasherFor(dg); err != nil {
		return err
	}
	f, err := os.CreateTemp(r.uploadDir(), "mono-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), req.Body)
	if err == nil {
		// Synced before it may become the blob itself (commitFile moves it).
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ErrBlobUploadInvalid.with("reading the body: " + err.Error())
	}
	if req.ContentLength >= 0 && n != req.ContentLength {
		return ErrSizeInvalid
	}
	return r.commitFile(req.Context(), name, dg, f.Name(), n, h.Sum(nil), true)
}

func blobCreated(w http.ResponseWriter, name string, dg digest.Digest) {
	w.Header().Set("Location", "/v2/"+name+"/blobs/"+dg.String())
	w.Header().Set("Docker-Content-Digest", dg.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// uploadAccepted writes a session's Location and the spec's Range (the bytes
// it holds, "0-0" when empty, as distribution answers).
func uploadAccepted(w http.ResponseWriter, name, id string, size int64, status int) {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
	h.Set("Docker-Upload-UUID", id)
	h.Set("Range", "0-"+strconv.FormatInt(max(size-1, 0), 10))
	h.Set("Content-Length", "0")
	w.WriteHeader(status)
}

func (r *Registry) serveUploadStatus(w http.ResponseWriter, req *http.Request, name, id string) error {
	u, _, err := r.getUpload(req.Context(), name, id)
	if err != nil {
		return err
	}
	uploadAccepted(w, name, id, u.Size, http.StatusNoContent)
	return nil
}

// contentRange parses a chunk's Content-Range, "start-end" (a "bytes "
// prefix tolerated). ok is false when there is none.
func contentRange(h string) (start, end int64, ok bool, err error) {
	if h == "" {
		return 0, 0, false, nil
	}
	h = strings.TrimPrefix(h, "bytes ")
	if i := strings.IndexByte(h, '/'); i >= 0 {
		h = h[:i]
	}
	a, b, found := strings.Cut(h, "-")
	s, err1 := strconv.ParseInt(a, 10, 64)
	e, err2 := strconv.ParseInt(b, 10, 64)
	if !found || err1 != nil || err2 != nil || s < 0 || e < s {
		return 0, 0, true, ErrRangeInvalid
	}
	return s, e, true, nil
}

// appendChunk appends the request's body to session id, checking its
// Content-Range against the session (416 when it does not start at the
// session's end) and its Content-Length. The caller holds the session lock.
func (r *Registry) appendChunk(req *http.Request, name, id string) (int64, error) {
	s, e, ranged, err := contentRange(req.Header.Get("Content-Range"))
	if err != nil {
		u, _, gerr := r.getUpload(req.Context(), name, id)
		if gerr != nil {
			return 0, gerr
		}
		return u.Size, err
	}
	start, length := int64(-1), req.ContentLength
	if ranged {
		start = s
		if length >= 0 && length != e-s+1 {
			return 0, ErrRangeInvalid
		}
		length = e - s + 1
	}
	return r.appendUpload(req.Context(), name, id, start, length, req.Body)
}

func (r *Registry) serveUploadPatch(w http.ResponseWriter, req *http.Request, name, id string) error {
	defer r.lockUpload(id).Unlock()
	size, err := r.appendChunk(req, name, id)
	if errors.Is(err, ErrRangeInvalid) {
		// The spec's 416 tells the client where the session is.
		w.Header().Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
		w.Header().Set("Range", "0-"+strconv.FormatInt(max(size-1, 0), 10))
		return err
	}
	if err != nil {
		return err
	}
	uploadAccepted(w, name, id, size, http.StatusAccepted)
	return nil
}

// serveUploadPut closes a session: the last chunk, if any, then the digest
// check. A wrong digest stores nothing and ends the session.
func (r *Registry) serveUploadPut(w http.ResponseWriter, req *http.Request, name, id string) error {
	ctx := req.Context()
	mu := r.lockUpload(id)
	defer mu.Unlock()
	u, _, err := r.getUpload(ctx, name, id)
	if err != nil {
		return err
	}
	dg, err := parseDigest(req.URL.Query().Get("digest"))
	if err != nil {
		return err
	}
	if _, err := hasherFor(dg); err != nil {
		return err
	}
	size := u.Size
	if req.ContentLength != 0 || req.Header.Get("Content-Range") != "" {
		size, err = r.appendChunk(req, name, id)
		if errors.Is(err, ErrRangeInvalid) {
			w.Header().Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
			w.Header().Set("Range", "0-"+strconv.FormatInt(max(size-1, 0), 10))
			return err
		}
		if err != nil {
			return err
		}
	}
	if u, _, err = r.getUpload(ctx, name, id); err != nil {
		return err
	}
	var sum []byte
	if u.Size == size {
		sum = u.sum()
	}
	err = r.commitFile(ctx, name, dg, r.uploadPath(id), size, sum, true)
	if err != nil && !errors.Is(err, ErrDigestInvalid) {
		return err
	}
	r.dropUpload(ctx, id)
	if err != nil {
		return err
	}
	blobCreated(w, name, dg)
	return nil
}

func (r *Registry) serveUploadCancel(w http.ResponseWriter, req *http.Request, name, id string) error {
	defer r.lockUpload(id).Unlock()
	if _, _, err := r.getUpload(req.Context(), name, id); err != nil {
		return err
	}
	r.dropUpload(req.Context(), id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
