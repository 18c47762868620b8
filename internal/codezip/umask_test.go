//go:build unix

package codezip_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stratus-run/stratus/internal/codezip"
)

// TestUnpackIgnoresUmask: the modes come from the archive, not from the
// umask of whatever process runs Stratus. Not parallel: the umask is
// process-wide.
func TestUnpackIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)

	b := makeZip(t, unixFile("bootstrap", "x", 0o755), unixFile("lib/a.txt", "a", 0o644), file("win.txt", "w"))
	d := filepath.Join(t.TempDir(), "task")
	if err := codezip.Unpack(b, d, codezip.Limits{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{
		".":         fs.ModeDir | 0o755,
		"lib":       fs.ModeDir | 0o755,
		"bootstrap": 0o755,
		"lib/a.txt": 0o644,
		"win.txt":   0o644,
	} {
		info, err := os.Lstat(filepath.Join(d, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s: mode %v under umask 077, want %v", name, info.Mode(), want)
		}
	}
}
