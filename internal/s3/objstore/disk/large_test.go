package disk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// pattern is a reader of n deterministic bytes: a random 1 MiB block over and
// over, each copy stamped with its index, so a lost or misplaced block shows.
type pattern struct {
	n, off int64
}

var patternBlock = func() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

func (p *pattern) at(off int64, buf []byte) int {
	blk, in := off>>20, off&(1<<20-1)
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], uint64(blk))
	n := 0
	for n < len(buf) && in+int64(n) < 1<<20 {
		i := in + int64(n)
		if i < 8 {
			buf[n] = stamp[i]
			n++
			continue
		}
		n += copy(buf[n:], patternBlock[i:])
	}
	return n
}

func (p *pattern) Read(buf []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if rest := p.n - p.off; int64(len(buf)) > rest {
		buf = buf[:rest]
	}
	n := p.at(p.off, buf)
	p.off += int64(n)
	return n, nil
}

type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

// TestLargeObject streams an object in and out of the store and checks memory
// stays flat. STRATUS_OBJSTORE_HUGE=1 makes it 5 GiB (about a minute of disk
// and 5 GiB of space); by default it is 256 MiB.
func TestLargeObject(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	size := int64(256 << 20)
	if os.Getenv("STRATUS_OBJSTORE_HUGE") == "1" {
		size = 5 << 30
	}
	dir := t.TempDir()
	s := openTest(t, dir)
	createBucket(t, s, "b", "")
	buf := make([]byte, 256<<10)

	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	w, err := s.NewData(ctx)
	must(t, err)
	want := sha256.New()
	if _, err := io.CopyBuffer(onlyWriter{io.MultiWriter(w, want)}, onlyReader{&pattern{n: size}}, buf); err != nil {
		t.Fatal(err)
	}
	d, err := w.Commit()
	must(t, err)
	o, err := s.Put(ctx, "b", objstore.Object{Key: "k", Size: size, Data: d}, objstore.Condition{}, nil)
	must(t, err)

	r, err := s.OpenData(ctx, o.Data, 0)
	must(t, err)
	got := sha256.New()
	n, err := io.CopyBuffer(onlyWriter{got}, onlyReader{r}, buf)
	r.Close()
	must(t, err)
	runtime.ReadMemStats(&m1)
	if n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("read back %d bytes, or different ones", n)
	}
	alloc := m1.TotalAlloc - m0.TotalAlloc
	if alloc > 8<<20 {
		t.Fatalf("%d bytes in and out allocated %d bytes", size, alloc)
	}
	t.Logf("%d MiB in and out: %d KiB allocated", size>>20, alloc>>10)

	// From an offset near the end.
	off := size - 1<<20 - 3
	r, err = s.OpenData(ctx, o.Data, off)
	must(t, err)
	tail, err := io.ReadAll(r)
	r.Close()
	must(t, err)
	wantTail := make([]byte, size-off)
	p := &pattern{n: size, off: off}
	io.ReadFull(p, wantTail)
	if !bytes.Equal(tail, wantTail) {
		t.Fatal("tail from an offset differs")
	}
}
