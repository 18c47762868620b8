package imagefs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"
)

// asUser makes the applier behave as an unprivileged process for one test.
func asUser(t *testing.T) {
	old := euid
	euid = func() int { return 1000 }
	t.Cleanup(func() { euid = old })
}

func TestEntryTypes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("owners and devices need root")
	}
	layer := tarOf(t,
		dirEnt("./", 0o751),
		file("bin/tool", "#!/bin/sh\n", 0o4755), // parent "bin" left out, as some tools do
		dirEnt("etc/", 0o750),
		ent{tar.Header{Typeflag: tar.TypeReg, Name: "etc/owned", Mode: 0o640, Uid: 1234, Gid: 5678, Size: 2, ModTime: mtime}, "hi"},
		symlink("etc/link", "/bin/tool"),
		hardlink("etc/hard", "etc/owned"),
		ent{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o600, ModTime: mtime}},
		ent{Header: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3, ModTime: mtime}},
		ent{Header: tar.Header{Typeflag: tar.TypeBlock, Name: "dev/loop9", Mode: 0o660, Devmajor: 7, Devminor: 9, ModTime: mtime}},
		dirEnt("ro/", 0o555),
		file("ro/inside", "x", 0o444), // written into a directory whose mode forbids it
	)
	for _, tc := range []struct {
		name   string
		asUser bool
	}{{"root", false}, {"user", true}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.asUser {
				asUser(t)
			}
			s := newSandbox(t)
			ls, st := plain(layer)
			if err := s.unpack(t, ls, st.open, Options{}); err != nil {
				t.Fatal(err)
			}
			r := s.root
			wantMode := func(p string, m fs.FileMode) {
				t.Helper()
				if got := mustLstat(t, filepath.Join(r, p)).Mode(); got != m {
					t.Errorf("%s: mode %v, want %v", p, got, m)
				}
			}
			wantMode(".", fs.ModeDir|0o751)
			wantMode("bin", fs.ModeDir|0o755)
			wantMode("etc", fs.ModeDir|0o750)
			wantMode("ro", fs.ModeDir|0o555)
			wantMode("ro/inside", 0o444)
			wantMode("etc/owned", 0o640)
			wantMode("run/fifo", fs.ModeNamedPipe|0o600)
			if tc.asUser {
				wantMode("bin/tool", 0o755) // setuid dropped
				if _, err := os.Lstat(filepath.Join(r, "dev/null")); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("device made as user: %v", err)
				}
			} else {
				wantMode("bin/tool", fs.ModeSetuid|0o755)
				wantMode("dev/null", fs.ModeDevice|fs.ModeCharDevice|0o666)
				wantMode("dev/loop9", fs.ModeDevice|0o660)
				sys := mustLstat(t, filepath.Join(r, "dev/null")).Sys().(*syscall.Stat_t)
				if sys.Rdev != 0x103 {
					t.Errorf("dev/null rdev %#x, want 0x103", sys.Rdev)
				}
				own := mustLstat(t, filepath.Join(r, "etc/owned")).Sys().(*syscall.Stat_t)
				if own.Uid != 1234 || own.Gid != 5678 {
					t.Errorf("etc/owned owned by %d:%d, want 1234:5678", own.Uid, own.Gid)
				}
			}
			if got, _ := os.Readlink(filepath.Join(r, "etc/link")); got != "/bin/tool" {
				t.Errorf("etc/link -> %q", got)
			}
			a, b := mustLstat(t, filepath.Join(r, "etc/owned")), mustLstat(t, filepath.Join(r, "etc/hard"))
			if !os.SameFile(a, b) {
				t.Error("etc/hard is not a hard link to etc/owned")
			}
			for _, p := range []string{".", "etc", "etc/owned", "etc/link", "bin/tool"} {
				if got := mustLstat(t, filepath.Join(r, p)).ModTime(); !got.Equal(mtime) {
					t.Errorf("%s: mtime %v, want %v", p, got, mtime)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(r, "etc/owned")); string(b) != "hi" {
				t.Errorf("etc/owned holds %q", b)
			}
		})
	}
}

// tree describes a root: path → "file:<body>", "dir", "link:<target>".
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			tg, _ := os.Readlink(p)
			m[rel] = "link:" + tg
		case d.IsDir():
			m[rel] = "dir"
		default:
			b, _ := os.ReadFile(p)
			m[rel] = "file:" + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLayers(t *testing.T) {
	base := []ent{
		dirEnt("a/", 0o755), file("a/f", "1", 0o644), file("a/g", "1", 0o644),
		dirEnt("a/sub/", 0o755), file("a/sub/deep", "1", 0o644),
		file("x", "file", 0o644), dirEnt("y/", 0o755), file("y/in", "1", 0o644),
		dirEnt("real/", 0o755), symlink("s", "real"),
	}
	for _, tc := range []struct {
		name  string
		upper []ent
		want  map[string]string // entries expected; others under the same keys must be absent
		gone  []string
	}{
		{"whiteout file", []ent{whiteout("a/.wh.f")},
			map[string]string{"a/g": "file:1"}, []string{"a/f"}},
		{"whiteout dir", []ent{whiteout(".wh.a")},
			map[string]string{"x": "file:file"}, []string{"a", "a/f", "a/sub/deep"}},
		{"whiteout missing", []ent{whiteout(".wh.nothing"), whiteout("nodir/.wh.x")},
			map[string]string{"a/f": "file:1"}, nil},
		{"opaque first", []ent{dirEnt("a/", 0o755), whiteout("a/.wh..wh..opq"), file("a/new", "2", 0o644)},
			map[string]string{"a/new": "file:2", "x": "file:file"}, []string{"a/f", "a/g", "a/sub"}},
		{"opaque last", []ent{dirEnt("a/", 0o755), file("a/new", "2", 0o644), dirEnt("a/sub/", 0o755), file("a/sub/n2", "2", 0o644), whiteout("a/.wh..wh..opq")},
			map[string]string{"a/new": "file:2", "a/sub/n2": "file:2"}, []string{"a/f", "a/g", "a/sub/deep"}},
		{"file replaced by dir", []ent{dirEnt("x/", 0o755), file("x/in", "2", 0o644)},
			map[string]string{"x": "dir", "x/in": "file:2"}, nil},
		{"dir replaced by file", []ent{file("y", "now a file", 0o644)},
			map[string]string{"y": "file:now a file"}, []string{"y/in"}},
		{"dir replaced by symlink", []ent{symlink("a", "real")},
			map[string]string{"a": "link:real"}, []string{"a/f"}},
		{"symlink replaced by dir", []ent{dirEnt("s/", 0o755), file("s/own", "2", 0o644)},
			map[string]string{"s": "dir", "s/own": "file:2", "real": "dir"}, []string{"real/own"}},
		{"file through symlink dir", []ent{file("s/via", "2", 0o644)},
			map[string]string{"s": "link:real", "real/via": "file:2"}, nil},
		{"file overwritten", []ent{file("a/f", "2", 0o600)},
			map[string]string{"a/f": "file:2"}, nil},
		{"dir merges", []ent{dirEnt("a/", 0o700), file("a/h", "2", 0o644)},
			map[string]string{"a/f": "file:1", "a/h": "file:2"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			ls, st := plain(tarOf(t, base...), tarOf(t, tc.upper...))
			if err := s.unpack(t, ls, st.open, Options{}); err != nil {
				t.Fatal(err)
			}
			got := tree(t, s.root)
			for p, w := range tc.want {
				if got[p] != w {
					t.Errorf("%s is %q, want %q", p, got[p], w)
				}
			}
			for _, p := range tc.gone {
				if g, ok := got[p]; ok {
					t.Errorf("%s is %q, want it gone", p, g)
				}
			}
			for p := range got {
				if strings.HasPrefix(filepath.Base(p), whiteoutPrefix) {
					t.Errorf("whiteout %s materialised", p)
				}
			}
		})
	}
}

func TestEscapes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		layers  func(s sandbox) [][]ent
		wantErr error
		want    map[string]string // inside the root, on success
	}{
		{"dotdot name", func(sandbox) [][]ent { return [][]ent{{file("../outside/secret", "pwned", 0o644)}} }, ErrUnsafe, nil},
		{"dotdot inside name", func(sandbox) [][]ent { return [][]ent{{file("a/../../outside/x", "pwned", 0o644)}} }, ErrUnsafe, nil},
		{"absolute name", func(s sandbox) [][]ent {
			return [][]ent{{file(filepath.Join(s.outside, "secret"), "pwned", 0o644)}}
		}, ErrUnsafe, nil},
		{"hard link out", func(sandbox) [][]ent { return [][]ent{{hardlink("h", "../outside/secret")}} }, ErrUnsafe, nil},
		{"hard link absolute", func(s sandbox) [][]ent {
			return [][]ent{{hardlink("h", filepath.Join(s.outside, "secret"))}}
		}, ErrUnsafe, nil},
		{"hard link through symlink", func(s sandbox) [][]ent {
			return [][]ent{{symlink("s", s.outside), hardlink("h", "s/secret")}}
		}, ErrBadLayer, nil}, // s resolves to <root>/<outside>, where there is no secret
		{"whiteout dotdot", func(sandbox) [][]ent { return [][]ent{{whiteout("../.wh.outside")}} }, ErrUnsafe, nil},
		{"whiteout through symlink", func(s sandbox) [][]ent {
			return [][]ent{{symlink("s", "../outside")}, {whiteout("s/.wh.secret")}}
		}, nil, map[string]string{"s": "link:../outside"}},
		{"opaque through symlink", func(s sandbox) [][]ent {
			return [][]ent{{symlink("s", s.outside)}, {whiteout("s/.wh..wh..opq")}}
		}, nil, nil},
		{"file through relative symlink", func(sandbox) [][]ent {
			return [][]ent{{symlink("s", "../../../../.."), file("s/outside/secret", "contained", 0o644)}}
		}, nil, map[string]string{"outside/secret": "file:contained"}},
		{"file through absolute symlink, next layer", func(s sandbox) [][]ent {
			return [][]ent{{dirEnt("outside/", 0o755), symlink("s", "/outside")}, {file("s/secret", "contained", 0o644)}}
		}, nil, map[string]string{"outside/secret": "file:contained"}},
		{"file through dangling absolute symlink", func(s sandbox) [][]ent {
			// Resolved in the root the target does not exist, and Unpack
			// does not create a symlink's target.
			return [][]ent{{symlink("s", s.outside)}, {file("s/secret", "contained", 0o644)}}
		}, ErrBadLayer, nil},
		{"symlink chain", func(sandbox) [][]ent {
			return [][]ent{{symlink("a", "b"), symlink("b", "c/../.."), dirEnt("c/", 0o755)}, {file("a/outside/secret", "contained", 0o644)}}
		}, nil, map[string]string{"outside/secret": "file:contained"}},
		{"file replaces symlink out", func(s sandbox) [][]ent {
			return [][]ent{{symlink("f", filepath.Join(s.outside, "secret"))}, {file("f", "contained", 0o644)}}
		}, nil, map[string]string{"f": "file:contained"}},
		{"dir over symlink out", func(s sandbox) [][]ent {
			return [][]ent{{symlink("d", s.outside)}, {dirEnt("d/", 0o777), file("d/secret", "contained", 0o644)}}
		}, nil, map[string]string{"d": "dir", "d/secret": "file:contained"}},
		{"parent is a symlink to a file", func(sandbox) [][]ent {
			return [][]ent{{file("f", "1", 0o644), symlink("s", "f"), file("s/x", "1", 0o644)}}
		}, ErrBadLayer, nil},
		{"symlink loop", func(sandbox) [][]ent {
			return [][]ent{{symlink("l1", "l2"), symlink("l2", "l1"), file("l1/x", "1", 0o644)}}
		}, ErrBadLayer, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			var tars [][]byte
			for _, l := range tc.layers(s) {
				tars = append(tars, tarOf(t, l...))
			}
			ls, st := plain(tars...)
			err := s.unpack(t, ls, st.open, Options{})
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("Unpack: %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			got := tree(t, s.root)
			for p, w := range tc.want {
				if got[p] != w {
					t.Errorf("%s is %q, want %q (tree %v)", p, got[p], w, got)
				}
			}
		})
	}
}

func TestDigests(t *testing.T) {
	good := tarOf(t, file("f", "body", 0o644))
	gz := gzipOf(t, good)
	other := tarOf(t, file("f", "other", 0o644))
	for _, tc := range []struct {
		name    string
		layer   func(l Layer) Layer
		blob    []byte
		wantErr error
	}{
		{"ok", func(l Layer) Layer { return l }, gz, nil},
		{"no diff_id", func(l Layer) Layer { l.DiffID = ""; return l }, gz, nil},
		{"no size", func(l Layer) Layer { l.Size = 0; return l }, gz, nil},
		{"blob digest mismatch", func(l Layer) Layer { l.Digest = digest.FromBytes(other).String(); return l }, gz, ErrDigest},
		{"diff_id mismatch", func(l Layer) Layer { l.DiffID = digest.FromBytes(other).String(); return l }, gz, ErrDigest},
		{"size too small", func(l Layer) Layer { l.Size--; return l }, gz, ErrDigest},
		{"size too large", func(l Layer) Layer { l.Size++; return l }, gz, ErrDigest},
		{"bad digest", func(l Layer) Layer { l.Digest = "sha256:xyz"; return l }, gz, ErrDigest},
		{"bad diff_id", func(l Layer) Layer { l.DiffID = "md5:00"; return l }, gz, ErrDigest},
		{"no digest", func(l Layer) Layer { l.Digest = ""; return l }, gz, ErrDigest},
		// The blob served is not the one described: reported as a digest
		// mismatch although it does not even decompress.
		{"garbage blob", func(l Layer) Layer { return l }, []byte("not a layer at all"), ErrDigest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			ls, _ := layersOf([][]byte{good}, [][]byte{gz})
			l := tc.layer(ls[0])
			open := func(Layer) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tc.blob)), nil }
			err := s.unpack(t, []Layer{l}, open, Options{})
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("Unpack: %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestCompression(t *testing.T) {
	raw := tarOf(t, dirEnt("d/", 0o755), file("d/f", "compressed", 0o644))
	for _, tc := range []struct {
		name string
		blob []byte
	}{{"plain", raw}, {"gzip", gzipOf(t, raw)}, {"zstd", zstdOf(t, raw)}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			ls, st := layersOf([][]byte{raw}, [][]byte{tc.blob})
			if err := s.unpack(t, ls, st.open, Options{}); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(s.root, "d/f")); string(b) != "compressed" {
				t.Errorf("d/f holds %q", b)
			}
		})
	}
}

func TestBadLayers(t *testing.T) {
	raw := tarOf(t, file("f", "0123456789", 0o644))
	for _, tc := range []struct {
		name    string
		blob    []byte
		wantErr error
	}{
		{"truncated tar", raw[:520], ErrBadLayer},
		{"truncated gzip", gzipOf(t, raw)[:30], ErrBadLayer},
		{"trailing garbage", append(slices.Clone(raw), bytes.Repeat([]byte{1}, maxTrailing+10)...), ErrBadLayer},
		{"unknown type", tarOf(t, ent{Header: tar.Header{Typeflag: 'Z', Name: "z", ModTime: mtime}}), ErrBadLayer},
		{"hard link to missing", tarOf(t, hardlink("h", "missing")), ErrBadLayer},
		{"symlink without target", tarOf(t, symlink("s", "")), ErrUnsafe},
		{"root as file", tarOf(t, file(".", "", 0o644)), ErrBadLayer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			ls, st := plain(tc.blob)
			if err := s.unpack(t, ls, st.open, Options{}); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Unpack: %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	l1 := tarOf(t, file("a", "12345", 0o644), file("b", "12345", 0o644))
	l2 := tarOf(t, file("a", "12345", 0o644)) // overwrites still count
	for _, tc := range []struct {
		name    string
		opt     Options
		wantErr error
	}{
		{"fits", Options{MaxBytes: 15, MaxEntries: 3}, nil},
		{"bytes", Options{MaxBytes: 14}, ErrTooLarge},
		{"entries", Options{MaxEntries: 2}, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			ls, st := plain(l1, l2)
			err := s.unpack(t, ls, st.open, tc.opt)
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("Unpack: %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestDestination(t *testing.T) {
	ls, st := plain(tarOf(t, file("f", "1", 0o644)))
	s := newSandbox(t)
	if err := os.Mkdir(s.root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.unpack(t, ls, st.open, Options{}); err != nil {
		t.Fatalf("into an empty directory: %v", err)
	}
	if err := Unpack(context.Background(), s.root, ls, st.open, Options{}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("into a full directory: %v, want fs.ErrExist", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2 := newSandbox(t)
	if err := s2.unpack(t, ls, st.open, Options{}); err != nil {
		t.Fatal(err)
	}
	s3 := newSandbox(t)
	if err := Unpack(ctx, s3.root, ls, st.open, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	s3.check(t, false)
}
