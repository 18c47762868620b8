package codezip_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/codezip"
)

// unpack unpacks b into a fresh directory and returns it.
func unpack(t *testing.T, b []byte, lim codezip.Limits) (string, error) {
	t.Helper()
	parent := t.TempDir()
	dest := filepath.Join(parent, "task")
	err := codezip.Unpack(b, dest, lim)
	if err != nil {
		// Nothing may be left behind: no dest, no temp sibling.
		if names := readDirNames(t, parent); len(names) != 0 {
			t.Errorf("failed Unpack left %v in the parent directory", names)
		}
	}
	return dest, err
}

func readDirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func mustUnpack(t *testing.T, b []byte) string {
	t.Helper()
	dest, err := unpack(t, b, codezip.Limits{})
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	return dest
}

func wantFile(t *testing.T, path, body string, mode fs.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Mode().IsRegular() {
		t.Fatalf("%s: mode %v, want a regular file", path, info.Mode())
	}
	if info.Mode() != mode {
		t.Errorf("%s: mode %v, want %v", path, info.Mode(), mode)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != body {
		t.Errorf("%s: %q, want %q", path, got, body)
	}
}

func wantDir(t *testing.T, path string) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode() != fs.ModeDir|0o755 {
		t.Errorf("%s: mode %v, want drwxr-xr-x", path, info.Mode())
	}
}

func wantLink(t *testing.T, path, target string) {
	t.Helper()
	got, err := os.Readlink(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != target {
		t.Errorf("%s -> %q, want -> %q", path, got, target)
	}
}

func TestUnpackPackage(t *testing.T) {
	mtime := time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(h *zip.FileHeader, body string) {
		h.Method = zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	unixHeader := func(name string, m fs.FileMode) *zip.FileHeader {
		h := &zip.FileHeader{Name: name, Modified: mtime}
		h.SetMode(m)
		return h
	}
	add(unixHeader("bootstrap", 0o755), "#!/bin/sh\necho hi\n")
	add(unixHeader("lib/", fs.ModeDir|0o700), "")
	add(unixHeader("lib/handler.py", 0o644), "def handler(e, c): return e\n")
	add(unixHeader("lib/nested/deep/data.json", 0o600), "{}")
	add(unixHeader("readonly.txt", 0o444), "ro")
	add(unixHeader("setuid", fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky|0o755), "s")
	// Windows tools store no Unix bits: files 0644, even the read-only one.
	add(&zip.FileHeader{Name: "win.txt"}, "w")
	add(&zip.FileHeader{Name: "winro.txt", ExternalAttrs: 0x01}, "r")
	add(&zip.FileHeader{Name: "windir/", ExternalAttrs: 0x10}, "")
	// Unix creator but no bits at all, as some tools write.
	add(&zip.FileHeader{Name: "nobits", CreatorVersion: 3 << 8}, "n")
	add(unixHeader("a/../c.txt", 0o644), "c")
	// Backslashes are part of the name on Linux, as when AWS unpacks it.
	add(&zip.FileHeader{Name: `win\style\..\..\name.js`}, "b")
	add(&zip.FileHeader{Name: "./"}, "")
	add(&zip.FileHeader{Name: "dup.txt"}, "first")
	add(&zip.FileHeader{Name: "dup.txt"}, "second")
	zw.Close()
	b := buf.Bytes()

	n, err := codezip.Inspect(b, codezip.Limits{})
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	wantSize := 0
	for _, s := range []string{"#!/bin/sh\necho hi\n", "def handler(e, c): return e\n", "{}", "ro", "s", "w", "r", "n", "c", "b", "first", "second"} {
		wantSize += len(s)
	}
	if n != int64(wantSize) {
		t.Errorf("Inspect = %d, want %d", n, wantSize)
	}

	d := mustUnpack(t, b)
	wantDir(t, d)
	wantFile(t, filepath.Join(d, "bootstrap"), "#!/bin/sh\necho hi\n", 0o755)
	wantDir(t, filepath.Join(d, "lib"))
	wantFile(t, filepath.Join(d, "lib/handler.py"), "def handler(e, c): return e\n", 0o644)
	wantDir(t, filepath.Join(d, "lib/nested"))
	wantDir(t, filepath.Join(d, "lib/nested/deep"))
	wantFile(t, filepath.Join(d, "lib/nested/deep/data.json"), "{}", 0o600)
	wantFile(t, filepath.Join(d, "readonly.txt"), "ro", 0o444)
	wantFile(t, filepath.Join(d, "setuid"), "s", 0o755)
	wantFile(t, filepath.Join(d, "win.txt"), "w", 0o644)
	wantFile(t, filepath.Join(d, "winro.txt"), "r", 0o644)
	wantDir(t, filepath.Join(d, "windir"))
	wantFile(t, filepath.Join(d, "nobits"), "n", 0o644)
	wantFile(t, filepath.Join(d, "c.txt"), "c", 0o644)
	wantFile(t, filepath.Join(d, `win\style\..\..\name.js`), "b", 0o644)
	wantFile(t, filepath.Join(d, "dup.txt"), "second", 0o644)
	if _, err := os.Lstat(filepath.Join(d, "a")); err == nil {
		t.Error(`"a/../c.txt" created directory a`)
	}
	info, err := os.Stat(filepath.Join(d, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(mtime) {
		t.Errorf("bootstrap mtime %v, want the archive's %v", info.ModTime(), mtime)
	}
}

func TestUnpackSymlinks(t *testing.T) {
	b := makeZip(t,
		unixFile("bootstrap", "x", 0o755),
		unixFile("lib/v1/mod.js", "m", 0o644),
		symlink("current", "lib/v1"),
		symlink("lib/up", "../bootstrap"),
		symlink("lib/v1/self", "."),
		symlink("dangling", "not/there"),
		// Chains are fine while every step stays inside.
		symlink("chain", "current/../v1/mod.js"),
		symlink("a/b/l", "../.."),
		symlink("via", "a/b/l/lib"),
	)
	d := mustUnpack(t, b)
	wantLink(t, filepath.Join(d, "current"), "lib/v1")
	wantLink(t, filepath.Join(d, "lib/up"), "../bootstrap")
	wantLink(t, filepath.Join(d, "dangling"), "not/there")
	wantLink(t, filepath.Join(d, "via"), "a/b/l/lib")
	wantFile(t, filepath.Join(d, "current/mod.js"), "m", 0o644)
	if got, err := os.ReadFile(filepath.Join(d, "via/up")); err != nil || string(got) != "x" {
		t.Errorf("via/up reads %q, %v", got, err)
	}
}

func TestUnpackUnsafe(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name string
		zip  []byte
	}{
		{"dotdot", makeZip(t, file("../evil", "x"))},
		{"dotdot only", makeZip(t, file("..", "x"))},
		{"absolute", makeZip(t, file("/abs", "x"))},
		{"absolute into outside", makeZip(t, file(outside+"/x", "x"))},
		{"dotdot in the middle", makeZip(t, file("a/../../x", "x"))},
		{"dot then dotdot", makeZip(t, file("./../x", "x"))},
		{"empty name", makeZip(t, file("", "x"))},
		{"NUL in name", makeZip(t, file("a\x00b", "x"))},
		{"file named dot", makeZip(t, file(".", "y"))},
		{"file named dot slash dot", makeZip(t, file("a/..", "y"))},
		{"long component", makeZip(t, file(strings.Repeat("a", 256), "x"))},
		{"long path", makeZip(t, file(strings.Repeat("a/", 2048)+"x", "x"))},
		{"symlink absolute", makeZip(t, symlink("passwd", "/etc/passwd"))},
		{"symlink up", makeZip(t, symlink("up", "../../x"))},
		{"symlink up from subdir", makeZip(t, symlink("d/e/up", "../../../x"))},
		{"symlink to parent", makeZip(t, symlink("up", ".."))},
		{"symlink empty target", makeZip(t, symlink("l", ""))},
		{"symlink NUL target", makeZip(t, symlink("l", "a\x00b"))},
		{"symlink chain", makeZip(t, symlink("a/b/l", "../.."), symlink("x", "a/b/l/.."))},
		{"symlink chain reversed", makeZip(t, symlink("x", "a/b/l/.."), symlink("a/b/l", "../.."))},
		{"symlink chain of three", makeZip(t, symlink("l3", "l2/.."), symlink("l2", "l1/.."), symlink("l1", "d/.."), dir("d/"))},
		{"symlink loop", makeZip(t, symlink("l1", "l2"), symlink("l2", "l1"))},
		{"symlink self loop", makeZip(t, symlink("l", "l/x"))},
		{"write through symlink", makeZip(t, dir("sub/"), symlink("link", "sub"), file("link/x", "x"))},
		{"write through symlink before it", makeZip(t, file("link/x", "x"), symlink("link", "sub"))},
		{"write through outside symlink", makeZip(t, symlink("link", outside), file("link/x", "x"))},
		{"write through dotdot symlink", makeZip(t, symlink("link", ".."), file("link/x", "x"))},
		{"symlink then file", makeZip(t, symlink("x", "y"), file("x", "x"))},
		{"file then symlink", makeZip(t, file("x", "x"), symlink("x", "y"))},
		{"symlink twice", makeZip(t, symlink("x", "a"), symlink("x", "b"))},
		{"dir then symlink", makeZip(t, dir("x/"), symlink("x", "y"))},
		{"file then dir", makeZip(t, file("x", "x"), dir("x/"))},
		{"file below file", makeZip(t, file("f", "x"), file("f/g", "y"))},
		{"block device", makeZip(t, ent{name: "dev", mode: fs.ModeDevice | 0o644})},
		{"char device", makeZip(t, ent{name: "tty", mode: fs.ModeDevice | fs.ModeCharDevice | 0o644})},
		{"fifo", makeZip(t, ent{name: "fifo", mode: fs.ModeNamedPipe | 0o644})},
		{"socket", makeZip(t, ent{name: "sock", mode: fs.ModeSocket | 0o644})},
		// zip.Writer will not write data for a name ending in a slash, so
		// the name is patched in afterwards.
		{"symlink with trailing slash", bytes.ReplaceAll(makeZip(t, symlink("link_", "x")), []byte("link_"), []byte("link/"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := codezip.Inspect(tt.zip, codezip.Limits{}); !errors.Is(err, codezip.ErrUnsafe) {
				t.Errorf("Inspect = %v, want ErrUnsafe", err)
			}
			dest, err := unpack(t, tt.zip, codezip.Limits{})
			if !errors.Is(err, codezip.ErrUnsafe) {
				t.Errorf("Unpack = %v, want ErrUnsafe", err)
			}
			t.Log(err)
			if _, err := os.Lstat(dest); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("destination exists after a refused archive: %v", err)
			}
			if names := readDirNames(t, outside); len(names) != 0 {
				t.Errorf("wrote %v outside the destination", names)
			}
		})
	}
}

func TestUnpackBombs(t *testing.T) {
	const gib = 1 << 30
	zeros := deflatedZeros(t, gib)
	lim := codezip.Limits{MaxUnzipped: 10 << 20}
	tests := []struct {
		name string
		zip  []byte
		want error
	}{
		{
			// Declares 1000 bytes, holds 1 GiB: caught after 1001.
			name: "lying header",
			zip: makeRawZip(t, rawEnt{zip.FileHeader{
				Name: "zeros", Method: zip.Deflate, CRC32: zerosCRC(1000),
				CompressedSize64: uint64(len(zeros)), UncompressedSize64: 1000,
			}, zeros}),
			want: codezip.ErrBomb,
		},
		{
			// Declares 5 MB, within the limit and at a harmless ratio.
			name: "lying header under the limit",
			zip: makeRawZip(t,
				rawEnt{zip.FileHeader{Name: "ok.txt", Method: zip.Store, CRC32: crc32String("fine"), CompressedSize64: 4, UncompressedSize64: 4}, []byte("fine")},
				rawEnt{zip.FileHeader{
					Name: "zeros", Method: zip.Deflate, CRC32: zerosCRC(5 << 20),
					CompressedSize64: uint64(len(zeros)), UncompressedSize64: 5 << 20,
				}, zeros}),
			want: codezip.ErrBomb,
		},
		{
			name: "stored entry longer than declared",
			zip: makeRawZip(t, rawEnt{zip.FileHeader{
				Name: "s", Method: zip.Store, CRC32: crc32String("abc"), CompressedSize64: 10, UncompressedSize64: 3,
			}, []byte("abcdefghij")}),
			want: codezip.ErrBomb,
		},
		{
			name: "truthful header over the limit",
			zip: makeRawZip(t, rawEnt{zip.FileHeader{
				Name: "zeros", Method: zip.Deflate, CRC32: zerosCRC(gib),
				CompressedSize64: uint64(len(zeros)), UncompressedSize64: gib,
			}, zeros}),
			want: codezip.ErrTooLarge,
		},
		{
			name: "many entries over the limit together",
			zip: makeRawZip(t,
				rawEnt{zip.FileHeader{Name: "a", Method: zip.Store, UncompressedSize64: 6 << 20, CompressedSize64: 6 << 20}, make([]byte, 6<<20)},
				rawEnt{zip.FileHeader{Name: "b", Method: zip.Store, UncompressedSize64: 6 << 20, CompressedSize64: 6 << 20}, make([]byte, 6<<20)}),
			want: codezip.ErrTooLarge,
		},
		{
			// 8 MiB of zeros is under the limit, but at 1000:1.
			name: "ratio",
			zip: makeRawZip(t, rawEnt{zip.FileHeader{
				Name: "zeros", Method: zip.Deflate, CRC32: zerosCRC(8 << 20),
				CompressedSize64: uint64(len(deflatedZeros(t, 8<<20))), UncompressedSize64: 8 << 20,
			}, deflatedZeros(t, 8<<20)}),
			want: codezip.ErrBomb,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			if _, err := codezip.Inspect(tt.zip, lim); !errors.Is(err, tt.want) {
				t.Errorf("Inspect = %v, want %v", err, tt.want)
			}
			_, err := unpack(t, tt.zip, lim)
			if !errors.Is(err, tt.want) {
				t.Errorf("Unpack = %v, want %v", err, tt.want)
			}
			t.Log(err)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v: the bomb was inflated", d)
			}
		})
	}

	// The same 8 MiB passes with a laxer ratio: the ratio alone refused it.
	ratioZip := tests[len(tests)-1].zip
	if _, err := codezip.Inspect(ratioZip, codezip.Limits{MaxUnzipped: 10 << 20, MaxRatio: 2000}); err != nil {
		t.Errorf("Inspect with MaxRatio 2000 = %v", err)
	}
}

func crc32String(s string) uint32 { return crc32.ChecksumIEEE([]byte(s)) }

func TestUnpackTooManyEntries(t *testing.T) {
	var ents []ent
	for i := range 11 {
		ents = append(ents, file(strings.Repeat("f", i+1), "x"))
	}
	b := makeZip(t, ents...)
	lim := codezip.Limits{MaxEntries: 10}
	if _, err := unpack(t, b, lim); !errors.Is(err, codezip.ErrTooLarge) {
		t.Errorf("11 entries, limit 10: Unpack = %v, want ErrTooLarge", err)
	}
	lim.MaxEntries = 11
	if _, err := unpack(t, b, lim); err != nil {
		t.Errorf("11 entries, limit 11: Unpack = %v", err)
	}
}

func TestUnpackNotZip(t *testing.T) {
	good := makeZip(t, file("index.js", strings.Repeat("exports.handler = async () => 1;\n", 100)))
	corrupt := bytes.Clone(good)
	// Flip a byte of the compressed data, just after the 30-byte local header
	// and the 8-byte name.
	corrupt[30+8+5] ^= 0xff
	stored := makeRawZip(t, rawEnt{zip.FileHeader{Name: "s", Method: zip.Store, CRC32: crc32String("abc") + 1, CompressedSize64: 3, UncompressedSize64: 3}, []byte("abc")})
	short := makeRawZip(t, rawEnt{zip.FileHeader{Name: "s", Method: zip.Store, CRC32: crc32String("abc"), CompressedSize64: 3, UncompressedSize64: 5}, []byte("abc")})
	method := makeRawZip(t, rawEnt{zip.FileHeader{Name: "s", Method: 12 /* bzip2 */, CompressedSize64: 3, UncompressedSize64: 3}, []byte("abc")})
	encrypted := makeRawZip(t, rawEnt{zip.FileHeader{Name: "s", Method: zip.Store, Flags: 0x1, CompressedSize64: 3, UncompressedSize64: 3}, []byte("abc")})

	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"text", []byte("this is not a zip file")},
		{"tar-ish", bytes.Repeat([]byte{0}, 1024)},
		{"truncated", good[:len(good)/2]},
		{"no end record", good[:len(good)-10]},
		{"corrupt data", corrupt},
		{"checksum", stored},
		{"short data", short},
		{"unsupported method", method},
		{"encrypted", encrypted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := codezip.Inspect(tt.b, codezip.Limits{}); !errors.Is(err, codezip.ErrNotZip) {
				t.Errorf("Inspect = %v, want ErrNotZip", err)
			}
			_, err := unpack(t, tt.b, codezip.Limits{})
			if !errors.Is(err, codezip.ErrNotZip) {
				t.Errorf("Unpack = %v, want ErrNotZip", err)
			}
			t.Log(err)
		})
	}
}

// TestUnpackEmptyZip: AWS takes any valid zip, so an empty one unpacks to an
// empty directory.
func TestUnpackEmptyZip(t *testing.T) {
	b := makeZip(t)
	if n, err := codezip.Inspect(b, codezip.Limits{}); n != 0 || err != nil {
		t.Fatalf("Inspect = %d, %v", n, err)
	}
	d := mustUnpack(t, b)
	wantDir(t, d)
	if names := readDirNames(t, d); len(names) != 0 {
		t.Errorf("empty zip unpacked to %v", names)
	}
}

func TestUnpackDestination(t *testing.T) {
	b := makeZip(t, file("a", "x"))
	parent := t.TempDir()

	empty := filepath.Join(parent, "empty")
	os.Mkdir(empty, 0o700)
	if err := codezip.Unpack(b, empty, codezip.Limits{}); err != nil {
		t.Errorf("into an empty directory: %v", err)
	}
	wantDir(t, empty)

	slash := filepath.Join(parent, "slash") + "/"
	if err := codezip.Unpack(b, slash, codezip.Limits{}); err != nil {
		t.Errorf("into %q: %v", slash, err)
	}
	wantFile(t, filepath.Join(slash, "a"), "x", 0o644)

	full := filepath.Join(parent, "full")
	os.Mkdir(full, 0o755)
	os.WriteFile(filepath.Join(full, "keep"), []byte("k"), 0o644)
	if err := codezip.Unpack(b, full, codezip.Limits{}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("into a non-empty directory: %v, want fs.ErrExist", err)
	}
	if names := readDirNames(t, full); len(names) != 1 {
		t.Errorf("non-empty destination changed: %v", names)
	}

	regular := filepath.Join(parent, "regular")
	os.WriteFile(regular, nil, 0o644)
	if err := codezip.Unpack(b, regular, codezip.Limits{}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("onto a file: %v, want fs.ErrExist", err)
	}

	link := filepath.Join(parent, "link")
	os.Symlink(t.TempDir(), link)
	if err := codezip.Unpack(b, link, codezip.Limits{}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("onto a symlink to an empty directory: %v, want fs.ErrExist", err)
	}

	got := readDirNames(t, parent)
	want := []string{"empty", "full", "link", "regular", "slash"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("parent holds %v, want %v", got, want)
	}
}

// TestUnpackCleansUpMidway fails while writing files, after some were
// written, and checks that nothing is left.
func TestUnpackCleansUpMidway(t *testing.T) {
	zeros := deflatedZeros(t, 2<<20)
	b := makeRawZip(t,
		rawEnt{zip.FileHeader{Name: "dir/ok.txt", Method: zip.Store, CRC32: crc32String("fine"), CompressedSize64: 4, UncompressedSize64: 4}, []byte("fine")},
		rawEnt{zip.FileHeader{Name: "dir/zeros", Method: zip.Deflate, CompressedSize64: uint64(len(zeros)), UncompressedSize64: 1 << 20}, zeros},
	)
	if _, err := unpack(t, b, codezip.Limits{}); !errors.Is(err, codezip.ErrBomb) {
		t.Fatalf("Unpack = %v, want ErrBomb", err)
	}
}

// TestUnpackZipTool unpacks what Info-ZIP's zip makes on Linux, symlinks
// stored as symlinks (-y).
func TestUnpackZipTool(t *testing.T) {
	zipCmd, err := exec.LookPath("zip")
	if err != nil {
		t.Skip("no zip command")
	}
	src := t.TempDir()
	write := func(name, body string, m fs.FileMode) {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), m); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, m) // past the umask
	}
	write("bootstrap", "#!/bin/sh\n", 0o755)
	write("lib/util.sh", "util\n", 0o644)
	write("lib/deep/er/file.txt", "deep\n", 0o640)
	os.Symlink("lib", filepath.Join(src, "current"))
	os.Symlink("../bootstrap", filepath.Join(src, "lib/boot"))
	out := filepath.Join(t.TempDir(), "pkg.zip")
	cmd := exec.Command(zipCmd, "-q", "-r", "-y", out, ".")
	cmd.Dir = src
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zip: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}

	d := mustUnpack(t, b)
	wantFile(t, filepath.Join(d, "bootstrap"), "#!/bin/sh\n", 0o755)
	wantFile(t, filepath.Join(d, "lib/util.sh"), "util\n", 0o644)
	wantFile(t, filepath.Join(d, "lib/deep/er/file.txt"), "deep\n", 0o640)
	wantDir(t, filepath.Join(d, "lib/deep"))
	wantLink(t, filepath.Join(d, "current"), "lib")
	wantLink(t, filepath.Join(d, "lib/boot"), "../bootstrap")

	// And zip -y keeps a hostile link as a link, which Unpack refuses.
	os.Symlink("/etc/passwd", filepath.Join(src, "passwd"))
	out2 := filepath.Join(t.TempDir(), "evil.zip")
	cmd = exec.Command(zipCmd, "-q", "-r", "-y", out2, ".")
	cmd.Dir = src
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zip: %v\n%s", err, msg)
	}
	b, _ = os.ReadFile(out2)
	if _, err := unpack(t, b, codezip.Limits{}); !errors.Is(err, codezip.ErrUnsafe) {
		t.Errorf("zip -y with a link to /etc/passwd: Unpack = %v, want ErrUnsafe", err)
	}
}

// TestUnpackDeepTree unpacks a path near Linux's PATH_MAX, 2000 directories
// deep; walking every path from the top would take quadratic time.
func TestUnpackDeepTree(t *testing.T) {
	name := strings.Repeat("x/", 2000) + "f"
	d := mustUnpack(t, makeZip(t, file(name, "deep")))
	if len(d)+1+len(name) > 4095 {
		t.Skipf("temp dir %s too long to read the file back by path", d)
	}
	wantFile(t, filepath.Join(d, name), "deep", 0o644)
}

// TestSizeMatchesInspect: Size reads the same total from the directory that
// Inspect verifies by inflating.
func TestSizeMatchesInspect(t *testing.T) {
	b := makeZip(t, file("a.txt", "hello"), file("dir/b.txt", strings.Repeat("x", 5000)))
	want, err := codezip.Inspect(b, codezip.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := codezip.Size(b); err != nil || got != want || got != 5005 {
		t.Errorf("Size = %d, %v; Inspect = %d", got, err, want)
	}
	if _, err := codezip.Size([]byte("not a zip")); !errors.Is(err, codezip.ErrNotZip) {
		t.Errorf("Size(not a zip) = %v", err)
	}
}
