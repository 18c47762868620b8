package lambda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// The layers' files on the host: each layer unpacked as function code is, and
// for a function with several, their union merged into one directory.

// optPath is where the union of layers, in order, is on the host ("" for no
// layers): one layer is its own unpacked directory; more are merged into a
// directory named by the ordered list of their digests, shared by every
// function with the same layers.
func (s *Service) optPath(layers []layerRef) string {
	switch len(layers) {
	case 0:
		return ""
	case 1:
		return s.codePath(layers[0].Digest)
	}
	h := sha256.New()
	for _, l := range layers {
		io.WriteString(h, l.Digest+"\n") //nolint:errcheck
	}
	return filepath.Join(s.CodeDir, "opt-"+hex.EncodeToString(h.Sum(nil)))
}

// ensureLayers makes sure every layer is unpacked and, for more than one, their
// merge exists: built once per ordered set, like ensureCode.
func (s *Service) ensureLayers(layers []layerRef) error {
	for _, l := range layers {
		if err := s.ensureCode(l.Digest, nil); err != nil {
			return err
		}
	}
	if len(layers) < 2 {
		return nil
	}
	dst := s.optPath(layers)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	s.unpack.Lock()
	defer s.unpack.Unlock()
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	srcs := make([]string, len(layers))
	for i, l := range layers {
		srcs[i] = l.Digest
	}
	return mergeLayers(s.CodeDir, srcs, filepath.Base(dst))
}

// mergeLayers builds dir/dst as the union of the trees dir/srcs[0], dir/srcs[1],
// ... in order, as extracting each layer's zip over the last would: a later file
// replaces an earlier file, directory or symlink at its path, and a later
// directory replaces an earlier file or symlink. Files are hard links to the
// unpacked layers (copies where the file system refuses links). It writes a
// temporary sibling and renames it, so dst never holds a partial merge; every
// operation goes through an os.Root at dir, so no symlink in a layer can lead a
// write outside it.
func mergeLayers(dir string, srcs []string, dst string) (err error) {
	tmp, err := os.MkdirTemp(dir, "."+dst+".merge-")
	if err != nil {
		return fmt.Errorf("lambda: merging layers: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("lambda: merging layers: %w", err)
	}
	defer root.Close()
	base := filepath.Base(tmp)
	for _, src := range srcs {
		err := fs.WalkDir(root.FS(), src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == src {
				return nil
			}
			return mergeEntry(root, p, path.Join(base, p[len(src)+1:]), d)
		})
		if err != nil {
			return fmt.Errorf("lambda: merging layers: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("lambda: merging layers: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, dst)); err != nil {
		return fmt.Errorf("lambda: merging layers: %w", err)
	}
	return nil
}

// mergeEntry puts the layer entry src (d) at dst, both relative to root.
func mergeEntry(root *os.Root, src, dst string, d fs.DirEntry) error {
	old, err := root.Lstat(dst)
	exists := err == nil
	if d.IsDir() {
		if exists && old.IsDir() {
			return nil
		}
		if exists {
			if err := root.RemoveAll(dst); err != nil {
				return err
			}
		}
		if err := root.Mkdir(dst, 0o755); err != nil {
			return err
		}
		return root.Chmod(dst, 0o755) // Mkdir's mode is masked by the umask
	}
	if exists {
		if err := root.RemoveAll(dst); err != nil {
			return err
		}
	}
	if d.Type()&fs.ModeSymlink != 0 {
		target, err := root.Readlink(src)
		if err != nil {
			return err
		}
		return root.Symlink(target, dst)
	}
	if err := root.Link(src, dst); err == nil {
		return nil
	}
	return copyInRoot(root, src, dst)
}

func copyInRoot(root *os.Root, src, dst string) error {
	in, err := root.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := root.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chmod(st.Mode().Perm())
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return root.Chtimes(dst, st.ModTime(), st.ModTime())
}
