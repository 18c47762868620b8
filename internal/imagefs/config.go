package imagefs

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrBadConfig means an image config blob is not JSON of the OCI (or Docker
// v2 schema 2, which shares its fields) image config.
var ErrBadConfig = errors.New("imagefs: invalid image config")

// Config is what an image's config blob says running it needs.
type Config struct {
	OS, Architecture, Variant string
	// Env holds "NAME=value" strings, in the image's order.
	Env []string
	// Entrypoint and Cmd are the image's ENTRYPOINT and CMD; the process
	// runs Entrypoint followed by Cmd, either replaceable by the function's
	// ImageConfig.
	Entrypoint, Cmd []string
	// WorkingDir is the absolute directory the process starts in; empty
	// means "/".
	WorkingDir string
	// User is "user", "uid", "user:group" or "uid:gid" as the image says,
	// resolved against the root's /etc/passwd by whoever runs it.
	User       string
	Labels     map[string]string
	StopSignal string
	// DiffIDs are the digests of the layers' uncompressed tars, in order.
	DiffIDs []string
}

// ParseConfig reads an OCI or Docker image config blob. It returns an error
// wrapping ErrBadConfig when b is not JSON of that shape, its rootfs type is
// not "layers", or a diff_id is not a valid digest.
func ParseConfig(b []byte) (Config, error) {
	var img v1.Image
	if err := json.Unmarshal(b, &img); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	if t := img.RootFS.Type; t != "" && t != "layers" {
		return Config{}, fmt.Errorf("%w: rootfs type %q, want \"layers\"", ErrBadConfig, t)
	}
	c := Config{
		OS:           img.OS,
		Architecture: img.Architecture,
		Variant:      img.Variant,
		Env:          img.Config.Env,
		Entrypoint:   img.Config.Entrypoint,
		Cmd:          img.Config.Cmd,
		WorkingDir:   img.Config.WorkingDir,
		User:         img.Config.User,
		Labels:       img.Config.Labels,
		StopSignal:   img.Config.StopSignal,
	}
	for _, d := range img.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			return Config{}, fmt.Errorf("%w: diff_id %q: %v", ErrBadConfig, d, err)
		}
		c.DiffIDs = append(c.DiffIDs, string(d))
	}
	return c, nil
}

// WithDiffIDs returns a copy of layers with each DiffID set from c.DiffIDs,
// so that Unpack checks them. It returns an error wrapping ErrBadConfig when
// the config lists a different number of layers than the manifest.
func (c Config) WithDiffIDs(layers []Layer) ([]Layer, error) {
	if len(c.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("%w: %d diff_ids for %d layers", ErrBadConfig, len(c.DiffIDs), len(layers))
	}
	out := make([]Layer, len(layers))
	for i, l := range layers {
		l.DiffID = c.DiffIDs[i]
		out[i] = l
	}
	return out, nil
}

// validDigest reports whether s is a digest of an algorithm this binary has.
func validDigest(s string) bool {
	d, err := digest.Parse(s)
	return err == nil && d.Algorithm().Available()
}
