package registry

import (
	"context"
	"fmt"
	"io"
)

// ReadManifest returns the digest, media type and body of the manifest that
// reference (a tag, or a digest such as "sha256:…") names in repo, for
// services that run images (Lambda's PackageType Image). A repository that
// does not exist is ErrRepositoryNotFound (even with CreateOnPush), a tag or
// digest it does not hold ErrImageNotFound.
func (r *Registry) ReadManifest(ctx context.Context, repo, reference string) (digest, mediaType string, body []byte, err error) {
	d, _, err := r.getSaved(ctx, repo)
	if err != nil {
		return "", "", nil, err
	}
	id := ImageID{Tag: reference}
	if _, perr := parseDigest(reference); perr == nil {
		id = ImageID{Digest: reference}
	}
	dg, err := d.resolve(id)
	if err != nil {
		return "", "", nil, err
	}
	m := d.Manifests[dg]
	body, err = r.readStored(m.Stored)
	if err != nil {
		return "", "", nil, fmt.Errorf("registry: manifest %s: %w", dg, err)
	}
	return dg, m.MediaType, body, nil
}

// OpenBlob opens the bytes of the blob (a config or layer) dg linked in repo.
// A blob repo does not link is ErrBlobUnknown. The caller closes the reader.
func (r *Registry) OpenBlob(ctx context.Context, repo, dg string) (io.ReadCloser, error) {
	d, _, err := r.getSaved(ctx, repo)
	if err != nil {
		return nil, err
	}
	l, ok := d.Links[dg]
	if !ok {
		return nil, ErrBlobUnknown
	}
	return r.Blobs.Get(l.Stored)
}
