package blob_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/blob"
	"github.com/stratus-run/stratus/internal/blob/blobtest"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Backend { return openStore(t) })
}

func openStore(t *testing.T) *blob.Store {
	t.Helper()
	s, err := blob.Open(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLayout(t *testing.T) {
	s := openStore(t)
	d, _, err := s.PutBytes([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Path(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.Dir, "sha256", d[:2], d); p != want {
		t.Fatalf("Path = %s; want %s", p, want)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o222 != 0 {
		t.Errorf("blob file mode %v is writable", info.Mode())
	}
	f, err := s.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, _ := io.ReadAll(f); string(b) != "hello" {
		t.Fatalf("Open read %q", b)
	}
}

func TestPathAndOpenErrors(t *testing.T) {
	s := openStore(t)
	for _, d := range blobtest.BadDigests {
		if _, err := s.Path(d); !errors.Is(err, blob.ErrInvalidDigest) {
			t.Errorf("Path(%q) = %v; want ErrInvalidDigest", d, err)
		}
		if f, err := s.Open(d); !errors.Is(err, blob.ErrInvalidDigest) || f != nil {
			t.Errorf("Open(%q) = %v, %v; want nil, ErrInvalidDigest", d, f, err)
		}
	}
	missing := blob.Digest([]byte("missing"))
	if _, err := s.Path(missing); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Path(missing) = %v; want ErrNotFound", err)
	}
	if _, err := s.Open(missing); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Open(missing) = %v; want ErrNotFound", err)
	}
}

// blockingReader hands out first, then blocks until release is closed, then
// returns rest.
type blockingReader struct {
	first, rest []byte
	reached     chan struct{}
	release     chan struct{}
	fail        error
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	if b.reached != nil {
		close(b.reached)
		b.reached = nil
		<-b.release
	}
	if b.fail != nil {
		return 0, b.fail
	}
	if len(b.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.rest)
	b.rest = b.rest[n:]
	return n, nil
}

// TestCrashSafety stops a Put halfway, as a crash would, and checks that the
// bytes so far sit only in tmp; then that a failed Put leaves nothing at all.
func TestCrashSafety(t *testing.T) {
	for _, fail := range []error{nil, errors.New("connection reset")} {
		s := openStore(t)
		want := bytes.Repeat([]byte("0123456789"), 100000)
		reached := make(chan struct{})
		r := &blockingReader{first: want[:500000], rest: want[500000:], reached: reached, release: make(chan struct{}), fail: fail}
		done := make(chan error)
		go func() {
			_, _, err := s.Put(r)
			done <- err
		}()
		<-reached

		if n := countFiles(t, filepath.Join(s.Dir, "sha256")); n != 0 {
			t.Fatalf("%d files under sha256/ while the Put is in flight", n)
		}
		if n := countFiles(t, filepath.Join(s.Dir, "tmp")); n != 1 {
			t.Fatalf("%d files in tmp/ while the Put is in flight; want 1", n)
		}
		if _, err := s.Stat(blob.Digest(want)); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Stat while in flight = %v; want ErrNotFound", err)
		}

		close(r.release)
		err := <-done
		if fail != nil {
			if !errors.Is(err, fail) {
				t.Fatalf("Put = %v; want %v", err, fail)
			}
			if n := countFiles(t, s.Dir); n != 0 {
				t.Fatalf("%d files left after a failed Put", n)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := countFiles(t, filepath.Join(s.Dir, "tmp")); n != 0 {
			t.Fatalf("%d files left in tmp/ after the Put", n)
		}
		if got, err := s.Stat(blob.Digest(want)); err != nil || got != int64(len(want)) {
			t.Fatalf("Stat = %d, %v", got, err)
		}
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	s := openStore(t)
	stale := filepath.Join(s.Dir, "tmp", "put-stale")
	fresh := filepath.Join(s.Dir, "tmp", "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.Open(s.Dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file (maybe another Put's) removed: %v", err)
	}
}

func TestStoreLiteralWithoutOpen(t *testing.T) {
	s := &blob.Store{Dir: filepath.Join(t.TempDir(), "new")}
	d, _, err := s.PutBytes([]byte("x"))
	if err != nil {
		t.Fatalf("Put on a Store that was never opened: %v", err)
	}
	if _, err := s.Stat(d); err != nil {
		t.Fatal(err)
	}
}

func TestAdopt(t *testing.T) {
	s := openStore(t)
	content := []byte("a layer the registry hashed as it streamed in")
	d := blob.Digest(content)
	path := filepath.Join(s.Dir, "upload")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Adopt(path, d); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the adopted file is still at its path: %v", err)
	}
	rc, err := s.Get(d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("adopted blob reads %q", got)
	}
	p, _ := s.Path(d)
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("adopted blob mode: %v %v", fi.Mode(), err)
	}
	// Adopting what is stored already keeps the stored blob and drops the file.
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Adopt(path, d); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a duplicate's file is still at its path: %v", err)
	}
	if err := s.Adopt(path, "../../etc/passwd"); !errors.Is(err, blob.ErrInvalidDigest) {
		t.Errorf("a bad digest: %v", err)
	}
}
