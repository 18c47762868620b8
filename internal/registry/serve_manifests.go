package registry

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxManifest bounds a manifest body, as distribution does (4 MiB).
const maxManifest = 4 << 20

func (r *Registry) serveManifestGet(w http.ResponseWriter, req *http.Request, name, ref string) error {
	d, _, err := r.getRepo(req.Context(), name)
	if err != nil {
		return err
	}
	dg := ref
	if strings.Contains(ref, ":") {
		if _, err := parseDigest(ref); err != nil {
			return ErrManifestUnknown.with(ref)
		}
	} else {
		if !ValidTag(ref) {
			return ErrManifestUnknown.with(ref)
		}
		t, ok := d.Tags[ref]
		if !ok {
			return ErrManifestUnknown.with(ref)
		}
		dg = t
	}
	m, ok := d.Manifests[dg]
	if !ok {
		return ErrManifestUnknown.with(ref)
	}
	h := w.Header()
	h.Set("Content-Type", m.MediaType)
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	h.Set("Docker-Content-Digest", dg)
	h.Set("Etag", `"`+dg+`"`)
	if req.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	rc, err := r.Blobs.Get(m.Stored)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.WriteHeader(http.StatusOK)
	io.Copy(w, rc) //nolint:errcheck // the client went away
	return nil
}

func (r *Registry) serveManifestPut(w http.ResponseWriter, req *http.Request, name, ref string) error {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxManifest+1))
	if err != nil {
		return ErrManifestInvalid.with("reading the body: " + err.Error())
	}
	if len(body) > maxManifest {
		return ErrManifestInvalid.with("manifest larger than 4 MiB")
	}
	var dg digest.Digest
	var tags []string
	if strings.Contains(ref, ":") {
		want, err := parseDigest(ref)
		if err != nil {
			return err
		}
		h, err := hasherFor(want)
		if err != nil {
			return err
		}
		h.Write(body)
		if dg = digest.NewDigest(want.Algorithm(), h); dg != want {
			return ErrDigestInvalid.with("manifest does not match " + ref)
		}
	} else {
		if !ValidTag(ref) {
			return ErrTagInvalid.with(ref)
		}
		dg = digest.Canonical.FromBytes(body)
		tags = append(tags, ref)
	}
	// ?tag= pushes by digest with tags (distribution-spec 1.1+dev).
	qtags := req.URL.Query()["tag"]
	for _, t := range qtags {
		if !ValidTag(t) {
			return ErrTagInvalid.with(t)
		}
	}
	tags = append(tags, qtags...)
	m, err := r.putManifest(req.Context(), name, dg, req.Header.Get("Content-Type"), body, tags)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/manifests/"+dg.String())
	h.Set("Docker-Content-Digest", dg.String())
	if m.Subject != nil {
		h.Set("OCI-Subject", m.Subject.Digest.String())
	}
	if len(qtags) > 0 {
		h.Set("OCI-Tag", strings.Join(qtags, ","))
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (r *Registry) serveManifestDelete(w http.ResponseWriter, req *http.Request, name, ref string) error {
	byDigest := strings.Contains(ref, ":")
	if byDigest {
		if _, err := parseDigest(ref); err != nil {
			return err
		}
	} else if !ValidTag(ref) {
		return ErrTagInvalid.with(ref)
	}
	err := r.updateRepo(req.Context(), name, false, func(d *repoDoc) error {
		if !byDigest {
			if _, ok := d.Tags[ref]; !ok {
				return ErrManifestUnknown.with(ref)
			}
			delete(d.Tags, ref)
			return nil
		}
		if _, ok := d.Manifests[ref]; !ok {
			return ErrManifestUnknown.with(ref)
		}
		d.deleteManifest(ref)
		return nil
	})
	if err != nil {
		return err
	}
	r.KickGC()
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// serveTags lists tags in lexical order, n at a time after last, with a Link
// header to the next page when there is one.
func (r *Registry) serveTags(w http.ResponseWriter, req *http.Request, name string) error {
	d, _, err := r.getRepo(req.Context(), name)
	if err != nil {
		return err
	}
	tags := make([]string, 0, len(d.Tags))
	for t := range d.Tags {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	page, next, err := pageOf(tags, req.URL.Query())
	if err != nil {
		return err
	}
	if next != "" {
		w.Header().Set("Link", `</v2/`+name+`/tags/list?`+next+`>; rel="next"`)
	}
	writeJSON(w, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{name, page})
	return nil
}

// pageOf applies the spec's n and last parameters to a sorted list and
// returns the next page's query when the list goes on.
func pageOf(all []string, q url.Values) ([]string, string, error) {
	if last := q.Get("last"); last != "" {
		i := sort.SearchStrings(all, last)
		if i < len(all) && all[i] == last {
			i++
		}
		all = all[i:]
	}
	if !q.Has("n") {
		return all, "", nil
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 {
		return nil, "", &Error{Code: "PAGINATION_NUMBER_INVALID", Message: "invalid number of results requested", Status: http.StatusBadRequest}
	}
	if n >= len(all) {
		return all, "", nil
	}
	page := all[:n]
	if n == 0 {
		return page, "", nil
	}
	next := url.Values{"n": {strconv.Itoa(n)}, "last": {page[n-1]}}
	return page, next.Encode(), nil
}

func (r *Registry) serveCatalog(w http.ResponseWriter, req *http.Request) error {
	repos, err := r.ListRepositories(req.Context())
	if err != nil {
		return err
	}
	names := make([]string, 0, len(repos))
	for _, rp := range repos {
		names = append(names, rp.Name)
	}
	page, next, err := pageOf(names, req.URL.Query())
	if err != nil {
		return err
	}
	if next != "" {
		w.Header().Set("Link", `</v2/_catalog?`+next+`>; rel="next"`)
	}
	writeJSON(w, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{page})
	return nil
}

// serveReferrers answers the referrers API: an image index of the manifests
// whose subject is dg, filtered by artifactType when asked.
func (r *Registry) serveReferrers(w http.ResponseWriter, req *http.Request, name, ref string) error {
	dg, err := parseDigest(ref)
	if err != nil {
		return err
	}
	d, _, err := r.getRepo(req.Context(), name)
	if err != nil {
		return err
	}
	filter := req.URL.Query().Get("artifactType")
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	idx.SchemaVersion = 2
	for mdg, m := range d.Manifests {
		if m.Subject != dg.String() || (filter != "" && m.ArtifactType != filter) {
			continue
		}
		idx.Manifests = append(idx.Manifests, ocispec.Descriptor{MediaType: m.MediaType, Digest: digest.Digest(mdg),
			Size: m.Size, ArtifactType: m.ArtifactType, Annotations: m.Annotations})
	}
	sort.Slice(idx.Manifests, func(i, j int) bool { return idx.Manifests[i].Digest < idx.Manifests[j].Digest })
	if filter != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	writeJSON(w, ocispec.MediaTypeImageIndex, idx)
	return nil
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b) //nolint:errcheck // the client went away
}
