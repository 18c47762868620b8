package registry

import (
	"encoding/json"
	"mime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types the registry knows the structure of. Any other media type is
// stored as sent when its body has the shape of an image or an index.
const (
	MediaTypeOCIManifest    = ocispec.MediaTypeImageManifest
	MediaTypeOCIIndex       = ocispec.MediaTypeImageIndex
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaTypeDockerSchema1  = "application/vnd.docker.distribution.manifest.v1+json"
	mediaTypeDockerSigned   = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// Manifest is what the registry needs of a manifest body: what it references
// and what describes it in listings and in the referrers API.
type Manifest struct {
	MediaType    string
	ArtifactType string
	// Index is true for an image index or Docker manifest list; Manifests then
	// holds its children and Blobs is empty.
	Index     bool
	Config    *ocispec.Descriptor
	Blobs     []ocispec.Descriptor // config and layers that must exist in the repository
	Manifests []ocispec.Descriptor
	Subject   *ocispec.Descriptor
	// Annotations are the manifest's own, shown in the referrers list.
	Annotations map[string]string
	// ContentSize is the sum of the sizes of what the manifest references: an
	// image's config and layers, an index's manifests (ECR's imageSizeInBytes).
	ContentSize int64
}

// manifestJSON is the union of the fields of the manifest formats.
type manifestJSON struct {
	SchemaVersion *int                 `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType"`
	Config        *ocispec.Descriptor  `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
	Subject       *ocispec.Descriptor  `json:"subject"`
	Annotations   map[string]string    `json:"annotations"`
}

// ParseManifest decodes and checks a manifest body sent with Content-Type
// contentType. It returns MANIFEST_INVALID for a body that is not a schema 2
// manifest or index, whose mediaType field disagrees with contentType, or
// that holds a malformed descriptor; UNSUPPORTED for Docker schema 1. It
// never checks that referenced content exists (the caller does, against a
// repository).
func ParseManifest(contentType string, body []byte) (*Manifest, error) {
	ct := ""
	if contentType != "" {
		if mt, _, err := mime.ParseMediaType(contentType); err == nil {
			ct = mt
		}
	}
	var j manifestJSON
	if err := json.Unmarshal(body, &j); err != nil {
		return nil, ErrManifestInvalid.with("manifest is not valid JSON")
	}
	mt := j.MediaType
	if mt == mediaTypeDockerSchema1 || mt == mediaTypeDockerSigned || ct == mediaTypeDockerSchema1 || ct == mediaTypeDockerSigned {
		return nil, ErrUnsupported.with("Docker schema 1 manifests are not supported")
	}
	if j.SchemaVersion == nil || *j.SchemaVersion != 2 {
		return nil, ErrManifestInvalid.with("schemaVersion must be 2")
	}
	if mt == "" {
		mt = ct
	} else if ct != "" && ct != mt && ct != "application/json" {
		return nil, ErrManifestInvalid.with("Content-Type " + ct + " does not match the manifest's mediaType " + mt)
	}
	m := &Manifest{MediaType: mt, ArtifactType: j.ArtifactType, Subject: j.Subject, Annotations: j.Annotations}
	switch {
	case mt == MediaTypeOCIIndex || mt == MediaTypeDockerList:
		m.Index = true
	case mt == MediaTypeOCIManifest || mt == MediaTypeDockerManifest:
	case j.Config != nil:
	case j.Manifests != nil:
		m.Index = true
	default:
		return nil, ErrManifestInvalid.with("unknown manifest media type " + mt)
	}
	if m.MediaType == "" {
		// An OCI manifest may omit mediaType; OCI defaults follow from its shape.
		m.MediaType = MediaTypeOCIManifest
		if m.Index {
			m.MediaType = MediaTypeOCIIndex
		}
	}
	if m.Index {
		if j.Config != nil || len(j.Layers) > 0 {
			return nil, ErrManifestInvalid.with("an index has no config or layers")
		}
		for _, d := range j.Manifests {
			if err := checkDescriptor(d); err != nil {
				return nil, err
			}
			m.Manifests = append(m.Manifests, d)
			m.ContentSize += d.Size
		}
	} else {
		if j.Config == nil {
			return nil, ErrManifestInvalid.with("an image manifest needs a config")
		}
		if len(j.Manifests) > 0 {
			return nil, ErrManifestInvalid.with("an image manifest has no manifests")
		}
		if err := checkDescriptor(*j.Config); err != nil {
			return nil, err
		}
		m.Config = j.Config
		m.Blobs = append(m.Blobs, *j.Config)
		m.ContentSize += j.Config.Size
		for _, d := range j.Layers {
			if err := checkDescriptor(d); err != nil {
				return nil, err
			}
			m.ContentSize += d.Size
			if nondistributable(d.MediaType) {
				// Their bytes live elsewhere (the spec lets registries accept
				// them without having them).
				continue
			}
			m.Blobs = append(m.Blobs, d)
		}
	}
	if m.Subject != nil {
		if err := checkDescriptor(*m.Subject); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Artifact is the artifactType the referrers API reports for m: its own, or
// for an image its config's media type.
func (m *Manifest) Artifact() string {
	if m.ArtifactType != "" || m.Config == nil {
		return m.ArtifactType
	}
	return m.Config.MediaType
}

func checkDescriptor(d ocispec.Descriptor) error {
	if err := d.Digest.Validate(); err != nil {
		return ErrManifestInvalid.with("descriptor digest " + string(d.Digest) + " is invalid")
	}
	if d.Size < 0 {
		return ErrManifestInvalid.with("descriptor " + string(d.Digest) + " has a negative size")
	}
	if d.MediaType == "" {
		return ErrManifestInvalid.with("descriptor " + string(d.Digest) + " has no mediaType")
	}
	return nil
}

func nondistributable(mediaType string) bool {
	return strings.HasPrefix(mediaType, "application/vnd.oci.image.layer.nondistributable.") ||
		strings.HasPrefix(mediaType, "application/vnd.docker.image.rootfs.foreign.")
}
