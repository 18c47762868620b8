package codezip_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/codezip"
)

// FuzzUnpack checks, for any input, that Unpack does not panic, fails only
// with a sentinel error, agrees with Inspect, leaves nothing behind when it
// fails, and on success leaves a tree whose every symlink stays inside it.
func FuzzUnpack(f *testing.F) {
	seeds := [][]byte{
		nil,
		[]byte("PK\x05\x06" + strings.Repeat("\x00", 18)),
		makeZip(f),
		makeZip(f, unixFile("bootstrap", "#!/bin/sh\n", 0o755), file("lib/a.txt", strings.Repeat("a", 300)), dir("empty/")),
		makeZip(f, file("../evil", "x"), file("/abs", "y")),
		makeZip(f, symlink("current", "lib"), file("lib/x", "x"), symlink("lib/up", "../current/x")),
		makeZip(f, symlink("a/b/l", "../.."), symlink("x", "a/b/l/..")),
		makeZip(f, symlink("link", "sub"), file("link/x", "x")),
		makeZip(f, symlink("l1", "l2"), symlink("l2", "l1")),
		makeZip(f, file("dup", "1"), file("dup", "2")),
		makeZip(f, ent{name: "fifo", mode: fs.ModeNamedPipe | 0o644}),
	}
	if zipCmd, err := exec.LookPath("zip"); err == nil {
		src := f.TempDir()
		os.WriteFile(filepath.Join(src, "bootstrap"), []byte("#!/bin/sh\n"), 0o755)
		os.Symlink("bootstrap", filepath.Join(src, "run"))
		out := filepath.Join(f.TempDir(), "seed.zip")
		cmd := exec.Command(zipCmd, "-q", "-r", "-y", out, ".")
		cmd.Dir = src
		if cmd.Run() == nil {
			if b, err := os.ReadFile(out); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}

	lim := codezip.Limits{MaxUnzipped: 1 << 20, MaxEntries: 64, MaxRatio: 1000}
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "task")
		size, ierr := codezip.Inspect(b, lim)
		err := codezip.Unpack(b, dest, lim)

		if (ierr == nil) != (err == nil) {
			t.Fatalf("Inspect = %v but Unpack = %v", ierr, err)
		}
		if err != nil {
			if !isSentinel(err) || !isSentinel(ierr) {
				t.Fatalf("errors wrap no sentinel: Unpack = %v, Inspect = %v", err, ierr)
			}
			if names := readDirNames(t, parent); len(names) != 0 {
				t.Fatalf("failed Unpack left %v", names)
			}
			return
		}
		if names := readDirNames(t, parent); len(names) != 1 || names[0] != "task" {
			t.Fatalf("Unpack left %v next to the destination", names)
		}
		if size < 0 || size > lim.MaxUnzipped {
			t.Fatalf("Inspect size %d", size)
		}
		checkTree(t, dest, size)
	})
}

func isSentinel(err error) bool {
	for _, s := range []error{codezip.ErrNotZip, codezip.ErrTooLarge, codezip.ErrUnsafe, codezip.ErrBomb} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// checkTree walks an unpacked tree: only files, directories and symlinks;
// no special mode bits; files no larger than Inspect said in total; every
// symlink that resolves, resolves inside the tree.
func checkTree(t *testing.T, dest string, size int64) {
	realDest, err := filepath.EvalSymlinks(dest)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		m := info.Mode()
		if m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
			t.Errorf("%s: mode %v", p, m)
		}
		switch {
		case m.IsDir():
			if m.Perm() != 0o755 {
				t.Errorf("%s: directory mode %v", p, m)
			}
		case m.IsRegular():
			total += info.Size()
		case m&fs.ModeSymlink != 0:
			r, err := filepath.EvalSymlinks(p)
			if err != nil {
				return nil // dangling or a loop: harmless
			}
			if r != realDest && !strings.HasPrefix(r, realDest+string(filepath.Separator)) {
				t.Errorf("symlink %s resolves to %s, outside %s", p, r, realDest)
			}
		default:
			t.Errorf("%s: mode %v", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > size {
		t.Errorf("tree holds %d bytes, Inspect said %d", total, size)
	}
}
