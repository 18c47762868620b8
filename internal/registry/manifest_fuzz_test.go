package registry

import (
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

type ocispecDescriptor = ocispec.Descriptor

// FuzzParseManifest: any body either parses to a manifest whose references
// are all well-formed, or fails with one of the catalogue's errors; it never
// panics.
func FuzzParseManifest(f *testing.F) {
	f.Add("application/vnd.oci.image.manifest.v1+json", []byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`))
	f.Add("application/vnd.oci.image.index.v1+json", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha512:00","size":1}]}`))
	f.Add("application/vnd.docker.distribution.manifest.v2+json", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"x","digest":"sha256:zz","size":-1}}`))
	f.Add("", []byte(`{"schemaVersion":1}`))
	f.Add("text/plain; charset=utf-8", []byte(`[]`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		m, err := ParseManifest(contentType, body)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error outside the catalogue: %T %v", err, err)
			}
			return
		}
		if m.MediaType == "" {
			t.Fatal("parsed manifest without a media type")
		}
		if m.Index && (m.Config != nil || len(m.Blobs) > 0) {
			t.Fatal("an index with blobs")
		}
		if !m.Index && m.Config == nil {
			t.Fatal("an image without a config")
		}
		for _, d := range append(append([]ocispecDescriptor{}, m.Blobs...), m.Manifests...) {
			if d.Digest.Validate() != nil || d.Size < 0 {
				t.Fatalf("accepted a bad descriptor %+v", d)
			}
		}
	})
}
