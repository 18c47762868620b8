package oci

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// RunsImages reports that this sandbox runs environments in a container
// image's root (sandbox.Spec.Root).
func (*Sandbox) RunsImages() bool { return true }

// prepareImageRoot makes the mount points the container's read-only root
// needs and an image may lack (a root holding one static binary has no /proc):
// /proc, /dev, /tmp, and /etc/resolv.conf with outbound network. It works
// through an os.Root, so a symlink in the image (an /etc pointing at the
// host's) cannot make it write outside the image's root.
func (s *Sandbox) prepareImageRoot(dir string) (resolv bool, err error) {
	resolv = s.outbound != nil
	if resolv {
		if _, err := os.Stat(resolvConf); err != nil {
			resolv = false
		}
	}
	key := dir
	if resolv {
		key += "\x00resolv"
	}
	if _, ok := s.imageRoots.Load(key); ok {
		return resolv, nil
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return false, fmt.Errorf("oci: image root: %w", err)
	}
	defer r.Close()
	for _, d := range []string{"proc", "dev", "tmp"} {
		if err := r.MkdirAll(d, 0o755); err != nil {
			return false, fmt.Errorf("oci: image root: /%s: %w", d, err)
		}
	}
	if resolv {
		if err := r.MkdirAll("etc", 0o755); err != nil {
			return false, fmt.Errorf("oci: image root: /etc: %w", err)
		}
		f, err := r.OpenFile("etc/resolv.conf", os.O_CREATE|os.O_RDONLY, 0o644)
		if errors.Is(err, fs.ErrExist) || err == nil {
			if f != nil {
				f.Close()
			}
		} else {
			return false, fmt.Errorf("oci: image root: /etc/resolv.conf: %w", err)
		}
	}
	s.imageRoots.Store(key, struct{}{})
	return resolv, nil
}
