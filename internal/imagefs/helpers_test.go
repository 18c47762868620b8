package imagefs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
)

var mtime = time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)

// ent is one tar entry to build; body is a regular file's content.
type ent struct {
	tar.Header
	body string
}

func file(name, body string, mode int64) ent {
	return ent{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body)), ModTime: mtime}, body}
}
func dirEnt(name string, mode int64) ent {
	return ent{Header: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: mtime}}
}
func symlink(name, target string) ent {
	return ent{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, ModTime: mtime}}
}
func hardlink(name, target string) ent {
	return ent{Header: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: mtime}}
}
func whiteout(name string) ent { return file(name, "", 0o644) }

// tarOf builds an uncompressed layer.
func tarOf(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := e.Header
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipOf(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdOf(t testing.TB, b []byte) []byte {
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return zw.EncodeAll(b, nil)
}

// store serves layer blobs by digest and counts the opens.
type store struct {
	blobs map[string][]byte
	opens atomic.Int32
}

// layersOf describes blobs as layers (digest, size and diff_id right, the
// blob's uncompressed form being raw[i]) and returns a store serving them.
func layersOf(raw [][]byte, blobs [][]byte) ([]Layer, *store) {
	s := &store{blobs: map[string][]byte{}}
	var ls []Layer
	for i, b := range blobs {
		d := digest.FromBytes(b).String()
		s.blobs[d] = b
		ls = append(ls, Layer{Digest: d, Size: int64(len(b)), DiffID: digest.FromBytes(raw[i]).String()})
	}
	return ls, s
}

// plain makes uncompressed layers from tars.
func plain(tars ...[]byte) ([]Layer, *store) { return layersOf(tars, tars) }

func (s *store) open(l Layer) (io.ReadCloser, error) {
	s.opens.Add(1)
	b, ok := s.blobs[l.Digest]
	if !ok {
		return nil, fmt.Errorf("blob %s not found", l.Digest)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// sandbox is a parent directory holding the root to unpack into and, beside
// it, "outside" with a file "secret" that no layer may touch.
type sandbox struct {
	parent, root, outside string
}

func newSandbox(t testing.TB) sandbox {
	parent := t.TempDir()
	s := sandbox{parent: parent, root: filepath.Join(parent, "root"), outside: filepath.Join(parent, "outside")}
	if err := os.Mkdir(s.outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.outside, "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// check fails t unless parent holds "outside" exactly as newSandbox made it,
// and "root" when wantRoot (and nothing else: no temporary root).
func (s sandbox) check(t testing.TB, wantRoot bool) {
	t.Helper()
	want := []string{"outside"}
	if wantRoot {
		want = []string{"outside", "root"}
	}
	if got := names(t, s.parent); !slices.Equal(got, want) {
		t.Errorf("parent holds %v, want %v", got, want)
	}
	if got := names(t, s.outside); !slices.Equal(got, []string{"secret"}) {
		t.Errorf("outside holds %v, want [secret]", got)
	}
	var st = mustLstat(t, filepath.Join(s.outside, "secret"))
	if b, _ := os.ReadFile(filepath.Join(s.outside, "secret")); string(b) != "secret" || st.Mode() != 0o644 {
		t.Errorf("outside/secret changed: %q %v", b, st.Mode())
	}
}

func (s sandbox) unpack(t testing.TB, layers []Layer, open func(Layer) (io.ReadCloser, error), opt Options) error {
	t.Helper()
	err := Unpack(context.Background(), s.root, layers, open, opt)
	s.check(t, err == nil)
	return err
}

func names(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for _, e := range ents {
		ns = append(ns, e.Name())
	}
	return ns
}

func mustLstat(t testing.TB, p string) os.FileInfo {
	t.Helper()
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
