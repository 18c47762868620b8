package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/opencontainers/go-digest"
)

// ErrImageAlreadyExists: PutImage of a manifest the repository already holds
// under the same tag, or untagged (ECR's ImageAlreadyExistsException).
var ErrImageAlreadyExists = errors.New("registry: image already exists")

// PutImage stores a manifest body sent through the ECR API rather than
// /v2/, tagged with tag when it is not "". imageDigest, when given, must be
// the body's digest. It fails with ErrRepositoryNotFound,
// ErrImageAlreadyExists, ErrInvalidParameter for a digest that does not
// match, and the errors a /v2/ manifest put gets (ErrManifestInvalid,
// ErrManifestBlobUnknown, ErrImageTagAlreadyExists), and returns the id
// stored.
func (r *Registry) PutImage(ctx context.Context, repo, mediaType string, body []byte, tag, imageDigest string) (ImageID, error) {
	d, _, err := r.getSaved(ctx, repo)
	if err != nil {
		return ImageID{}, err
	}
	dg := digest.FromBytes(body)
	if imageDigest != "" {
		want, err := digest.Parse(imageDigest)
		if err != nil || !want.Algorithm().Available() || want.Algorithm().FromBytes(body) != want {
			return ImageID{}, fmt.Errorf("%w: image digest %q does not match the manifest", ErrInvalidParameter, imageDigest)
		}
		// The manifest is known by the digest the client named, as a /v2/
		// put by that digest would store it.
		dg = want
	}
	if tag != "" && !ValidTag(tag) {
		return ImageID{}, fmt.Errorf("%w: image tag %q", ErrInvalidParameter, tag)
	}
	if _, ok := d.Manifests[dg.String()]; ok && (tag == "" || d.Tags[tag] == dg.String()) {
		return ImageID{}, ErrImageAlreadyExists
	}
	var tags []string
	if tag != "" {
		tags = []string{tag}
	}
	if _, err := r.putManifest(ctx, repo, dg, mediaType, body, tags); err != nil {
		return ImageID{}, err
	}
	return ImageID{Digest: dg.String(), Tag: tag}, nil
}

// TakesOwnAuth is true for every request: registry clients send Basic
// credentials (AWS:<token>), which the registry checks itself, so the edge
// leaves a request with an Authorization header of another scheme than
// SigV4 to it.
func (r *Registry) TakesOwnAuth(*http.Request) bool { return true }
