// Package blobtest is the conformance suite for blob.Backend. Every
// implementation runs it from its own test:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Backend { return newStore(t) })
//	}
package blobtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stratus-run/stratus/internal/blob"
)

// Run runs the suite as subtests of t. newStore is called once per subtest
// and must return an empty store that the subtest may use alone; it should
// register its own cleanup with t.
func Run(t *testing.T, newStore func(t *testing.T) blob.Backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Backend)
	}{
		{"RoundTrip", testRoundTrip},
		{"PutIdempotent", testPutIdempotent},
		{"PutReaderError", testPutReaderError},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"InvalidDigest", testInvalidDigest},
		{"ConcurrentPutSame", testConcurrentPutSame},
		{"ConcurrentPutDifferent", testConcurrentPutDifferent},
		{"NoPartialBlobVisible", testNoPartialBlobVisible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// content returns n bytes that differ for each seed and do not repeat within
// a blob, so a blob truncated or mixed with another is caught.
func content(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func mustGet(t *testing.T, s blob.Backend, d string) []byte {
	t.Helper()
	rc, err := s.Get(d)
	if err != nil {
		t.Fatalf("Get(%s): %v", d, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", d, err)
	}
	return b
}

func testRoundTrip(t *testing.T, s blob.Backend) {
	for _, n := range []int{0, 1, 4096, 1<<20 + 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			want := content(n, n)
			d, size, err := s.Put(bytes.NewReader(want))
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if d != blob.Digest(want) || size != int64(n) {
				t.Fatalf("Put = %s, %d; want %s, %d", d, size, blob.Digest(want), n)
			}
			if err := blob.CheckDigest(d); err != nil {
				t.Fatalf("Put returned a digest CheckDigest rejects: %v", err)
			}
			if got := mustGet(t, s, d); !bytes.Equal(got, want) {
				t.Fatalf("Get returned %d bytes, not the %d put", len(got), len(want))
			}
			if got, err := s.Stat(d); err != nil || got != int64(n) {
				t.Fatalf("Stat = %d, %v; want %d", got, err, n)
			}
		})
	}
	d, size, err := s.PutBytes([]byte("hello"))
	if err != nil || d != blob.Digest([]byte("hello")) || size != 5 {
		t.Fatalf("PutBytes = %s, %d, %v", d, size, err)
	}
	// The digest of "hello", computed elsewhere, pins the algorithm and encoding.
	if d != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("digest of hello = %s", d)
	}
}

func testPutIdempotent(t *testing.T, s blob.Backend) {
	want := content(1, 10000)
	d1, _, err := s.PutBytes(want)
	if err != nil {
		t.Fatal(err)
	}
	d2, size, err := s.Put(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 || size != int64(len(want)) {
		t.Fatalf("second Put = %s, %d; want %s, %d", d2, size, d1, len(want))
	}
	if got := mustGet(t, s, d1); !bytes.Equal(got, want) {
		t.Fatal("content changed after a second Put")
	}
}

// failingReader yields some bytes, then fails.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func testPutReaderError(t *testing.T, s blob.Backend) {
	full := content(2, 100000)
	boom := errors.New("boom")
	_, _, err := s.Put(&failingReader{r: bytes.NewReader(full[:50000]), err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("Put with failing reader = %v; want it to wrap the reader's error", err)
	}
	for _, d := range []string{blob.Digest(full), blob.Digest(full[:50000])} {
		if _, err := s.Stat(d); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Stat after failed Put = %v; want ErrNotFound", err)
		}
	}
}

func testNotFound(t *testing.T, s blob.Backend) {
	d := blob.Digest([]byte("never stored"))
	if _, err := s.Get(d); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get = %v; want ErrNotFound", err)
	}
	if _, err := s.Stat(d); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat = %v; want ErrNotFound", err)
	}
}

func testDelete(t *testing.T, s blob.Backend) {
	want := content(3, 1000)
	d, _, err := s.PutBytes(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(d); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(d); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get after Delete = %v; want ErrNotFound", err)
	}
	if err := s.Delete(d); err != nil {
		t.Fatalf("Delete of a missing blob = %v; want nil", err)
	}
	if _, _, err := s.PutBytes(want); err != nil {
		t.Fatalf("Put after Delete: %v", err)
	}
	if got := mustGet(t, s, d); !bytes.Equal(got, want) {
		t.Fatal("content wrong after Put, Delete, Put")
	}
}

// BadDigests are malformed digests every store must reject; exported so an
// implementation's own tests can try them on methods outside Backend.
var BadDigests = []string{
	"",
	"..",
	"../../../../etc/passwd",
	"2c/../../../../../../etc/passwd" + strings.Repeat("0", 34),
	strings.ToUpper(blob.Digest(nil)),
	blob.Digest(nil)[:63],
	blob.Digest(nil) + "0",
	"sha256:" + blob.Digest(nil),
	strings.Repeat("g", 64),
	strings.Repeat("a", 62) + "/a",
	strings.Repeat("a", 63) + "\x00",
	strings.Repeat("é", 32),
	" " + blob.Digest(nil)[1:],
}

func testInvalidDigest(t *testing.T, s blob.Backend) {
	for _, d := range BadDigests {
		if _, err := s.Get(d); !errors.Is(err, blob.ErrInvalidDigest) {
			t.Errorf("Get(%q) = %v; want ErrInvalidDigest", d, err)
		}
		if _, err := s.Stat(d); !errors.Is(err, blob.ErrInvalidDigest) {
			t.Errorf("Stat(%q) = %v; want ErrInvalidDigest", d, err)
		}
		if err := s.Delete(d); !errors.Is(err, blob.ErrInvalidDigest) {
			t.Errorf("Delete(%q) = %v; want ErrInvalidDigest", d, err)
		}
	}
}

func testConcurrentPutSame(t *testing.T, s blob.Backend) {
	want := content(4, 256<<10)
	const n = 16
	var wg sync.WaitGroup
	digests := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { digests[i], _, errs[i] = s.PutBytes(want) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || digests[i] != blob.Digest(want) {
			t.Fatalf("Put %d = %s, %v", i, digests[i], errs[i])
		}
	}
	if got := mustGet(t, s, blob.Digest(want)); !bytes.Equal(got, want) {
		t.Fatal("content wrong after concurrent Puts of the same bytes")
	}
}

func testConcurrentPutDifferent(t *testing.T, s blob.Backend) {
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, _, errs[i] = s.PutBytes(content(100+i, 64<<10+i)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		want := content(100+i, 64<<10+i)
		if got := mustGet(t, s, blob.Digest(want)); !bytes.Equal(got, want) {
			t.Fatalf("blob %d wrong after concurrent Puts", i)
		}
	}
}

// testNoPartialBlobVisible reads a blob's digest while Puts of it are in
// flight: every read must find nothing or the whole blob.
func testNoPartialBlobVisible(t *testing.T, s blob.Backend) {
	want := content(5, 4<<20)
	d := blob.Digest(want)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var putErr error
	wg.Go(func() {
		defer close(done)
		for range 3 {
			if _, _, err := s.Put(slowReader{bytes.NewReader(want)}); err != nil {
				putErr = err
				return
			}
		}
	})
	for {
		select {
		case <-done:
			wg.Wait()
			if putErr != nil {
				t.Fatal(putErr)
			}
			if got := mustGet(t, s, d); !bytes.Equal(got, want) {
				t.Fatal("blob wrong after Puts")
			}
			return
		default:
		}
		rc, err := s.Get(d)
		if errors.Is(err, blob.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read %d bytes under the digest while a Put was in flight; want all %d", len(got), len(want))
		}
	}
}

// slowReader returns at most half of what is asked and at most 8 KiB per
// Read, so a Put takes many small writes and readers get a window to look.
type slowReader struct{ r io.Reader }

func (h slowReader) Read(p []byte) (int, error) {
	n := min((len(p)+1)/2, 8<<10)
	return h.r.Read(p[:n])
}
