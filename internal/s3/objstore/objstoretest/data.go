package objstoretest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var dataTests = []test{
	{"Sizes", testDataSizes},
	{"Abort", testDataAbort},
	{"BadOffset", testDataBadOffset},
	{"Shared", testDataShared},
	{"FailedWrite", testDataFailedWrite},
}

// dataSizes straddle any inline threshold up to 1 MiB.
var dataSizes = []int{0, 1, 100, 4 << 10, 16<<10 + 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 1<<20 + 3}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testDataSizes(t *testing.T, h *harness) {
	h.bucket("b", "")
	for _, n := range dataSizes {
		body := randomBytes(n, uint64(n))
		d := h.data(body)
		if d.Size != int64(n) {
			t.Fatalf("%d bytes: Data.Size %d", n, d.Size)
		}
		key := fmt.Sprint("k", n)
		o := objstore.Object{Key: key, Size: int64(n), ETag: etag(body), Data: d}
		_, err := h.s.Put(h.ctx, "b", o, objstore.Condition{}, nil)
		must(t, "Put", err)
		got := h.get("b", key, "")
		if got.Size != int64(n) || got.Data.Size != int64(n) {
			t.Fatalf("%d bytes: stored %+v", n, got.Data)
		}
		for _, off := range []int{0, n / 2, n} {
			if b := h.read(got.Data, int64(off)); !bytes.Equal(b, body[off:]) {
				t.Fatalf("%d bytes at offset %d: read %d bytes, not the same", n, off, len(b))
			}
		}
		// A reader reads in small pieces too.
		r, err := h.s.OpenData(h.ctx, got.Data, 0)
		must(t, "OpenData", err)
		var buf bytes.Buffer
		_, err = io.CopyBuffer(onlyWriter{&buf}, onlyReader{r}, make([]byte, 1000))
		r.Close()
		must(t, "read", err)
		if !bytes.Equal(buf.Bytes(), body) {
			t.Fatalf("%d bytes read in pieces differ", n)
		}
	}
}

type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

func testDataAbort(t *testing.T, h *harness) {
	for _, n := range []int{10, 1 << 20} {
		w, err := h.s.NewData(h.ctx)
		must(t, "NewData", err)
		_, err = w.Write(randomBytes(n, 7))
		must(t, "Write", err)
		w.Abort()
	}
	w, err := h.s.NewData(h.ctx)
	must(t, "NewData", err)
	w.Abort()
}

func testDataBadOffset(t *testing.T, h *harness) {
	for _, n := range []int{10, 1 << 20} {
		d := h.data(randomBytes(n, 3))
		if r, err := h.s.OpenData(h.ctx, d, int64(n)+1); err == nil {
			r.Close()
			t.Fatalf("%d bytes: OpenData past the end succeeded", n)
		}
		if r, err := h.s.OpenData(h.ctx, d, -1); err == nil {
			r.Close()
			t.Fatalf("%d bytes: OpenData at -1 succeeded", n)
		}
	}
	// The zero Data is empty.
	if b := h.read(objstore.Data{}, 0); len(b) != 0 {
		t.Fatalf("zero Data reads %d bytes", len(b))
	}
}

func testDataShared(t *testing.T, h *harness) {
	// A copy names the same Data as its source; either can go first.
	h.bucket("b", "")
	for _, n := range []int{10, 1 << 20} {
		body := randomBytes(n, 11)
		src := h.object("src", body)
		_, err := h.s.Put(h.ctx, "b", src, objstore.Condition{}, nil)
		must(t, "Put", err)
		stored := h.get("b", "src", "")
		cp := stored
		cp.Key = "copy"
		_, err = h.s.Put(h.ctx, "b", cp, objstore.Condition{}, nil)
		must(t, "Put copy", err)
		// Onto itself too.
		_, err = h.s.Put(h.ctx, "b", stored, objstore.Condition{}, nil)
		must(t, "Put onto itself", err)
		h.del("b", "src", "")
		if h.body(h.get("b", "copy", "")) != string(body) {
			t.Fatalf("%d bytes: copy unreadable after its source went", n)
		}
		h.del("b", "copy", "")
	}
}

func testDataFailedWrite(t *testing.T, h *harness) {
	// A write that fails leaves the store as it was; the data it named is
	// the store's to release.
	h.bucket("b", "")
	h.put("b", "k", "one")
	for _, n := range []int{10, 1 << 20} {
		o := h.object("k", randomBytes(n, 5))
		_, err := h.s.Put(h.ctx, "b", o, objstore.Condition{IfNoneMatch: "*"}, nil)
		wantErr(t, "conditional Put", err, objstore.ErrPreconditionFailed)
	}
	if h.body(h.get("b", "k", "")) != "one" {
		t.Fatal("failed write changed the object")
	}
}
