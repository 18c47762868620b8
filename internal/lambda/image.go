package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stratus-run/stratus/internal/imagefs"
)

// Images is the image registry as Lambda reads container images from it
// (internal/registry's Registry implements it).
type Images interface {
	// ReadManifest returns the digest, media type and body of the manifest
	// reference (a tag or a digest) names in repo; an error when there is none.
	ReadManifest(ctx context.Context, repo, reference string) (digest, mediaType string, body []byte, err error)
	// OpenBlob opens a config or layer blob of repo.
	OpenBlob(ctx context.Context, repo, digest string) (io.ReadCloser, error)
}

// imageRecord is what a PackageType Image function keeps of its image, all of
// it resolved when the code was set: it runs the same root and config even
// after the image's tag moves or the image is deleted.
type imageRecord struct {
	URI      string `json:"uri"`      // Code.ImageUri as given
	Resolved string `json:"resolved"` // ResolvedImageUri: repository@digest
	// Digest is the manifest the tag named (an index's, for a multi-platform
	// image); Root the platform manifest whose unpacked root the function runs.
	Digest     string   `json:"digest"`
	Root       string   `json:"root"`
	Env        []string `json:"env,omitempty"`
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
}

// imageConfig is ImageConfig: the function's overrides of the image's.
type imageConfig struct {
	EntryPoint       []string `json:"EntryPoint,omitempty"`
	Command          []string `json:"Command,omitempty"`
	WorkingDirectory string   `json:"WorkingDirectory,omitempty"`
}

type imageConfigResponse struct {
	ImageConfig imageConfig `json:"ImageConfig"`
}

// reImageURI is an ECR image URI: Stratus's own host name
// (<account>.dkr.ecr.<region>.localhost[:port]) or AWS's, taken as naming the
// same local repository, then the repository and a tag or digest.
var reImageURI = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.(?:localhost(?::[0-9]{1,5})?|amazonaws\.com)/([a-z0-9]+(?:[._/-][a-z0-9]+)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(sha256:[a-f0-9]{64}))$`)

func imageNotFound(uri string) error {
	return invalidParameter("Source image " + uri + " does not exist. Provide a valid source image.")
}

func imageInvalid(uri string) error {
	return invalidParameter("Source image " + uri + " is not valid. Provide a valid source image.")
}

// errImageOnly refuses the zip-only settings for an image function.
var errImageOnly = invalidParameter("Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image.")

// ociArch is the image platform architecture that runs a function of arch.
func ociArch(arch string) string {
	if arch == "arm64" {
		return "arm64"
	}
	return "amd64"
}

// resolveImage resolves uri to a digest in the registry, reads its config and
// unpacks its root (once per digest) before the function is stored, so an
// image deleted later leaves the function runnable: the unpacked root under
// ImageRoots and the config in the record are the pin, and the registry's GC
// may drop the blobs. arch picks the manifest of an index.
func (s *Service) resolveImage(ctx context.Context, uri, arch string) (*imageRecord, error) {
	if s.Images == nil || s.ImageRoots == nil {
		return nil, invalidParameter("This Stratus server has no image registry; PackageType Image needs one.")
	}
	m := reImageURI.FindStringSubmatch(uri)
	if m == nil {
		return nil, imageInvalid(uri)
	}
	repo, ref := m[3], m[4]
	if ref == "" {
		ref = m[5]
	}
	dg, mt, body, err := s.Images.ReadManifest(ctx, repo, ref)
	if err != nil {
		return nil, imageNotFound(uri)
	}
	host := uri[:strings.IndexByte(uri, '/')]
	img := &imageRecord{URI: uri, Resolved: host + "/" + repo + "@" + dg, Digest: dg, Root: dg}
	man, err := decodeManifest(mt, body)
	if err != nil {
		return nil, imageInvalid(uri)
	}
	if man.Manifests != nil {
		child, ok := pickPlatform(man.Manifests, ociArch(arch))
		if !ok {
			return nil, invalidParameter("The image manifest, config or layer media type for the source image " + uri + " is not supported.")
		}
		if img.Root, mt, body, err = s.Images.ReadManifest(ctx, repo, child.Digest.String()); err != nil {
			return nil, imageNotFound(uri)
		}
		if man, err = decodeManifest(mt, body); err != nil || man.Manifests != nil {
			return nil, imageInvalid(uri)
		}
	}
	if man.Config.Digest == "" {
		return nil, imageInvalid(uri)
	}
	rc, err := s.Images.OpenBlob(ctx, repo, man.Config.Digest.String())
	if err != nil {
		return nil, imageNotFound(uri)
	}
	cb, err := io.ReadAll(io.LimitReader(rc, 8<<20))
	rc.Close()
	if err != nil {
		return nil, err
	}
	cfg, err := imagefs.ParseConfig(cb)
	if err != nil {
		return nil, imageInvalid(uri)
	}
	layers := make([]imagefs.Layer, len(man.Layers))
	for i, l := range man.Layers {
		layers[i] = imagefs.Layer{Digest: l.Digest.String(), MediaType: l.MediaType, Size: l.Size}
	}
	if layers, err = cfg.WithDiffIDs(layers); err != nil {
		return nil, imageInvalid(uri)
	}
	open := func(l imagefs.Layer) (io.ReadCloser, error) { return s.Images.OpenBlob(ctx, repo, l.Digest) }
	if _, err := s.ImageRoots.Root(ctx, img.Root, layers, open); err != nil {
		if errors.Is(err, imagefs.ErrUnsafe) || errors.Is(err, imagefs.ErrBadLayer) || errors.Is(err, imagefs.ErrDigest) || errors.Is(err, imagefs.ErrTooLarge) {
			return nil, invalidParameter(fmt.Sprintf("Source image %s has a layer Lambda cannot unpack: %v", uri, err))
		}
		return nil, fmt.Errorf("lambda: unpacking %s: %w", uri, err)
	}
	img.Env, img.Entrypoint, img.Cmd, img.WorkingDir = cfg.Env, cfg.Entrypoint, cfg.Cmd, cfg.WorkingDir
	return img, nil
}

// manifestDoc is the union of an image manifest and an index.
type manifestDoc struct {
	Config    ocispec.Descriptor   `json:"config"`
	Layers    []ocispec.Descriptor `json:"layers"`
	Manifests []ocispec.Descriptor `json:"manifests"`
}

// decodeManifest reads an OCI or Docker schema 2 manifest or index; Manifests
// is non-nil exactly for an index.
func decodeManifest(mediaType string, body []byte) (*manifestDoc, error) {
	var m manifestDoc
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	index := mediaType == ocispec.MediaTypeImageIndex || mediaType == "application/vnd.docker.distribution.manifest.list.v2+json"
	if index && m.Manifests == nil {
		m.Manifests = []ocispec.Descriptor{}
	}
	if !index {
		m.Manifests = nil
	}
	return &m, nil
}

// pickPlatform chooses an index's linux manifest for arch, else the host's.
func pickPlatform(ms []ocispec.Descriptor, arch string) (ocispec.Descriptor, bool) {
	for _, want := range []string{arch, runtime.GOARCH} {
		for _, d := range ms {
			if p := d.Platform; p != nil && p.OS == "linux" && p.Architecture == want {
				return d, true
			}
		}
	}
	return ocispec.Descriptor{}, false
}

// command is what an image function runs: the image's ENTRYPOINT and CMD, each
// replaced by the function's ImageConfig when it sets one.
func (img *imageRecord) command(c *imageConfig) []string {
	entry, cmd := img.Entrypoint, img.Cmd
	if c != nil && len(c.EntryPoint) > 0 {
		entry = c.EntryPoint
	}
	if c != nil && len(c.Command) > 0 {
		cmd = c.Command
	}
	return append(append([]string{}, entry...), cmd...)
}

// workingDir is the image's WORKDIR unless ImageConfig sets one.
func (img *imageRecord) workingDir(c *imageConfig) string {
	if c != nil && c.WorkingDirectory != "" {
		return c.WorkingDirectory
	}
	return img.WorkingDir
}

// code is what an image function reports as its code: CodeSha256 is the hex of
// the manifest digest, as Lambda reports it, and the size is not counted.
func (img *imageRecord) code() acceptedCode {
	_, hex, _ := strings.Cut(img.Digest, ":")
	return acceptedCode{sha256b64: hex}
}

// handler is the first word of the effective CMD, or "" without one.
func (img *imageRecord) handler(c *imageConfig) string {
	cmd := img.Cmd
	if c != nil && len(c.Command) > 0 {
		cmd = c.Command
	}
	if len(cmd) == 0 {
		return ""
	}
	return cmd[0]
}
