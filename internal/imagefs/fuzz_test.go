package imagefs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzUnpack applies two arbitrary layers (raw or compressed tar bytes) and
// checks that nothing outside the root changed, whatever Unpack answered,
// and that it never panics. Seeds aim symlinks and hard links at the
// sandbox's "outside" directory and at a fixed absolute directory.
func FuzzUnpack(f *testing.F) {
	abs := filepath.Join(os.TempDir(), "imagefs-fuzz-escape")
	if err := os.MkdirAll(abs, 0o755); err != nil {
		f.Fatal(err)
	}
	seeds := [][2][]ent{
		{{file("a/b", "x", 0o644), dirEnt("d/", 0o755)}, {whiteout("a/.wh.b"), whiteout("d/.wh..wh..opq")}},
		{{symlink("s", "../outside")}, {file("s/pwned", "x", 0o644)}},
		{{symlink("s", abs)}, {dirEnt("s/", 0o755), file("s/pwned", "x", 0o644)}},
		{{symlink("a", "b"), symlink("b", "../../..")}, {file("a/outside/secret", "x", 0o644), hardlink("h", "a/outside/secret")}},
		{{hardlink("h", "../outside/secret")}, {file("../x", "x", 0o644)}},
		{{symlink("l", abs+"/f")}, {hardlink("h", "l"), file("l", "x", 0o644)}},
	}
	for _, s := range seeds {
		f.Add(tarOf(f, s[0]...), gzipOf(f, tarOf(f, s[1]...)))
	}
	f.Fuzz(func(t *testing.T, l1, l2 []byte) {
		s := newSandbox(t)
		ls, st := plain(l1, l2)
		for i := range ls {
			ls[i].DiffID = "" // compressed seeds have another diff_id
		}
		err := Unpack(context.Background(), s.root, ls, st.open, Options{MaxBytes: 1 << 20, MaxEntries: 1000})
		s.check(t, err == nil)
		if n := names(t, abs); len(n) != 0 {
			t.Errorf("%s holds %v", abs, n)
		}
	})
}
