package registry

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/opencontainers/go-digest"
)

// ImageID names an image by digest, tag or both (ECR's ImageIdentifier).
type ImageID struct {
	Digest string
	Tag    string
}

// Image is what DescribeImages shows of one manifest.
type Image struct {
	Digest       string
	Tags         []string
	Size         int64 // the manifest's config and layers (or, for an index, its manifests)
	PushedAt     time.Time
	MediaType    string
	ArtifactType string
}

// ImageFailure is one id a batch operation could not serve, with why
// (ErrImageNotFound, ErrInvalidParameter).
type ImageFailure struct {
	ID  ImageID
	Err error
}

// ImageManifest is one result of BatchGetImage.
type ImageManifest struct {
	ID        ImageID
	MediaType string
	Manifest  []byte
}

// tagsOf returns the tags of each manifest digest in d, sorted.
func (d *repoDoc) tagsOf() map[string][]string {
	out := map[string][]string{}
	for t, dg := range d.Tags {
		out[dg] = append(out[dg], t)
	}
	for _, ts := range out {
		sort.Strings(ts)
	}
	return out
}

// ListImages returns one id per tag and one, without a tag, per untagged
// manifest, sorted by digest then tag.
func (r *Registry) ListImages(ctx context.Context, repo string) ([]ImageID, error) {
	d, _, err := r.getSaved(ctx, repo)
	if err != nil {
		return nil, err
	}
	tags := d.tagsOf()
	var out []ImageID
	for dg := range d.Manifests {
		if len(tags[dg]) == 0 {
			out = append(out, ImageID{Digest: dg})
		}
		for _, t := range tags[dg] {
			out = append(out, ImageID{Digest: dg, Tag: t})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Digest != out[j].Digest {
			return out[i].Digest < out[j].Digest
		}
		return out[i].Tag < out[j].Tag
	})
	return out, nil
}

// DescribeImages describes the images ids name, or every image when ids is
// empty (sorted by push time, newest first). Ids that match nothing are
// returned as failures.
func (r *Registry) DescribeImages(ctx context.Context, repo string, ids []ImageID) ([]Image, []ImageFailure, error) {
	d, _, err := r.getSaved(ctx, repo)
	if err != nil {
		return nil, nil, err
	}
	tags := d.tagsOf()
	describe := func(dg string) Image {
		m := d.Manifests[dg]
		return Image{Digest: dg, Tags: tags[dg], Size: m.ContentSize, PushedAt: m.PushedAt,
			MediaType: m.MediaType, ArtifactType: m.ArtifactType}
	}
	var out []Image
	var fails []ImageFailure
	if len(ids) == 0 {
		for dg := range d.Manifests {
			out = append(out, describe(dg))
		}
		sort.Slice(out, func(i, j int) bool {
			if !out[i].PushedAt.Equal(out[j].PushedAt) {
				return out[i].PushedAt.After(out[j].PushedAt)
			}
			return out[i].Digest < out[j].Digest
		})
		return out, nil, nil
	}
	seen := map[string]bool{}
	for _, id := range ids {
		dg, err := d.resolve(id)
		if err != nil {
			fails = append(fails, ImageFailure{ID: id, Err: err})
			continue
		}
		if !seen[dg] {
			seen[dg] = true
			out = append(out, describe(dg))
		}
	}
	return out, fails, nil
}

// resolve finds the manifest digest id names: by digest, by tag, or by both
// when they agree.
func (d *repoDoc) resolve(id ImageID) (string, error) {
	if id.Digest == "" && id.Tag == "" {
		return "", fmt.Errorf("%w: an image id needs a digest or a tag", ErrInvalidParameter)
	}
	dg := id.Digest
	if id.Tag != "" {
		t, ok := d.Tags[id.Tag]
		if !ok || (dg != "" && t != dg) {
			return "", ErrImageNotFound
		}
		dg = t
	}
	if _, ok := d.Manifests[dg]; !ok {
		return "", ErrImageNotFound
	}
	return dg, nil
}

// getSaved is getRepo for the Go API: a repository exists only once saved.
func (r *Registry) getSaved(ctx context.Context, repo string) (*repoDoc, uint64, error) {
	d, rev, err := r.getRepo(ctx, repo)
	if err == nil && rev == 0 {
		return nil, 0, ErrRepositoryNotFound
	}
	return d, rev, err
}

// BatchGetImage returns the manifests ids name.
func (r *Registry) BatchGetImage(ctx context.Context, repo string, ids []ImageID) ([]ImageManifest, []ImageFailure, error) {
	d, _, err := r.getSaved(ctx, repo)
	if err != nil {
		return nil, nil, err
	}
	var out []ImageManifest
	var fails []ImageFailure
	for _, id := range ids {
		dg, err := d.resolve(id)
		if err != nil {
			fails = append(fails, ImageFailure{ID: id, Err: err})
			continue
		}
		m := d.Manifests[dg]
		body, err := r.readStored(m.Stored)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, ImageManifest{ID: ImageID{Digest: dg, Tag: id.Tag}, MediaType: m.MediaType, Manifest: body})
	}
	return out, fails, nil
}

func (r *Registry) readStored(sha string) ([]byte, error) {
	rc, err := r.Blobs.Get(sha)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// BatchDeleteImage deletes what ids name: an id with a tag removes that tag
// (and the manifest once no tag is left, as ECR does); an id with only a
// digest removes the manifest and all its tags. It returns the ids deleted.
// Blobs no manifest uses any more go at the GC this schedules.
func (r *Registry) BatchDeleteImage(ctx context.Context, repo string, ids []ImageID) ([]ImageID, []ImageFailure, error) {
	var deleted []ImageID
	var fails []ImageFailure
	err := r.updateRepo(ctx, repo, false, func(d *repoDoc) error {
		deleted, fails = nil, nil
		for _, id := range ids {
			dg, err := d.resolve(id)
			if err != nil {
				fails = append(fails, ImageFailure{ID: id, Err: err})
				continue
			}
			if id.Tag != "" {
				delete(d.Tags, id.Tag)
				if len(d.tagsOf()[dg]) > 0 {
					deleted = append(deleted, ImageID{Digest: dg, Tag: id.Tag})
					continue
				}
			}
			d.deleteManifest(dg)
			deleted = append(deleted, ImageID{Digest: dg, Tag: id.Tag})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	r.KickGC()
	return deleted, fails, nil
}

// deleteManifest removes manifest dg and every tag on it.
func (d *repoDoc) deleteManifest(dg string) {
	delete(d.Manifests, dg)
	for t, v := range d.Tags {
		if v == dg {
			delete(d.Tags, t)
		}
	}
}

// putManifest stores body as manifest dg of repo, tagged with tags, after
// checking that everything it references is in the repository. It returns
// the parsed manifest.
func (r *Registry) putManifest(ctx context.Context, repo string, dg digest.Digest, contentType string, body []byte, tags []string) (*Manifest, error) {
	m, err := ParseManifest(contentType, body)
	if err != nil {
		return nil, err
	}
	// Held from storing the body until the repository records it, so GC
	// cannot delete a blob this manifest was just found to reference.
	r.gcMu.RLock()
	defer r.gcMu.RUnlock()
	sha, size, err := r.Blobs.PutBytes(body)
	if err != nil {
		return nil, err
	}
	// Known to GC, so that the body goes once no repository has the manifest.
	if err := r.touchKnown(ctx, knownKey(digest.NewDigestFromEncoded(digest.SHA256, sha)), sha, size); err != nil {
		return nil, err
	}
	now := r.Now().UTC()
	err = r.updateRepo(ctx, repo, true, func(d *repoDoc) error {
		rec := &manifestRec{MediaType: m.MediaType, Size: size, Stored: sha, PushedAt: now,
			ArtifactType: m.Artifact(), Annotations: m.Annotations, ContentSize: m.ContentSize}
		if m.Subject != nil {
			rec.Subject = m.Subject.Digest.String()
		}
		for _, b := range m.Blobs {
			l, ok := d.Links[b.Digest.String()]
			if !ok {
				return ErrManifestBlobUnknown.with(b.Digest.String())
			}
			rec.Refs = append(rec.Refs, l.Stored)
		}
		for _, c := range m.Manifests {
			if _, ok := d.Manifests[c.Digest.String()]; !ok {
				return ErrManifestBlobUnknown.with(c.Digest.String())
			}
		}
		if old, ok := d.Manifests[dg.String()]; ok {
			rec.PushedAt = old.PushedAt
		}
		for _, t := range tags {
			if cur, ok := d.Tags[t]; ok && cur != dg.String() && d.TagMutability == Immutable {
				return ErrImageTagAlreadyExists.with(fmt.Sprintf("tag %s already exists in the immutable repository %s", t, repo))
			}
		}
		d.Manifests[dg.String()] = rec
		for _, t := range tags {
			d.Tags[t] = dg.String()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
