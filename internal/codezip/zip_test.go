package codezip_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"io/fs"
	"testing"
)

// ent is one entry of a test archive.
type ent struct {
	name string
	body string
	// mode, when set, is stored as Unix attributes, as zip on Linux does;
	// otherwise the entry has none, as on Windows.
	mode fs.FileMode
}

func file(name, body string) ent                    { return ent{name: name, body: body} }
func unixFile(name, body string, m fs.FileMode) ent { return ent{name: name, body: body, mode: m} }
func symlink(name, target string) ent {
	return ent{name: name, body: target, mode: fs.ModeSymlink | 0o777}
}
func dir(name string) ent { return ent{name: name, mode: fs.ModeDir | 0o755} }

func makeZip(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawEnt is an entry whose headers are written as given, true or not.
type rawEnt struct {
	h    zip.FileHeader
	data []byte // already compressed per h.Method
}

func makeRawZip(t testing.TB, ents ...rawEnt) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		h := e.h
		w, err := zw.CreateRaw(&h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deflatedZeros returns a deflate stream of n zero bytes (n a multiple of
// 1 MiB) in about n/1000 bytes of memory and time. It compresses 1 MiB once
// and repeats the flushed blocks: their back references only ever point at
// zeros, so the copies decode as more zeros.
func deflatedZeros(t testing.TB, n int64) []byte {
	t.Helper()
	const chunk = 1 << 20
	var blk bytes.Buffer
	fw, err := flate.NewWriter(&blk, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(make([]byte, chunk))
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	out := bytes.Repeat(blk.Bytes(), int(n/chunk))
	// An empty final stored block ends the stream.
	return append(out, 0x01, 0x00, 0x00, 0xff, 0xff)
}

// zerosCRC is the CRC-32 of n zero bytes.
func zerosCRC(n int64) uint32 {
	buf := make([]byte, 1<<20)
	var c uint32
	for n > 0 {
		k := min(n, int64(len(buf)))
		c = crc32.Update(c, crc32.IEEETable, buf[:k])
		n -= k
	}
	return c
}

func TestDeflatedZeros(t *testing.T) {
	n, err := io.Copy(io.Discard, flate.NewReader(bytes.NewReader(deflatedZeros(t, 4<<20))))
	if err != nil || n != 4<<20 {
		t.Fatalf("deflatedZeros(4 MiB) inflates to %d bytes, %v", n, err)
	}
}
