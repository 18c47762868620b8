package s3

import (
	"bytes"
	"crypto/md5" //nolint:gosec // S3's ETag
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, f.err
	}
	return len(p), nil
}

// TestCopyParallel checks that every sink sees every byte in order, whatever the
// reader's chunking, and that a sink's or the reader's failure is the result.
func TestCopyParallel(t *testing.T) {
	data := make([]byte, 5<<20+12345)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	want := md5.Sum(data) //nolint:gosec
	for name, src := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"one byte": func() io.Reader { return io.LimitReader(iotest.OneByteReader(bytes.NewReader(data)), 3<<20) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
	} {
		t.Run(name, func(t *testing.T) {
			var a bytes.Buffer
			h := md5.New() //nolint:gosec
			n, err := copyParallel(src(), &a, h)
			if err != nil {
				t.Fatal(err)
			}
			if name == "one byte" {
				if n != 3<<20 || !bytes.Equal(a.Bytes(), data[:3<<20]) {
					t.Fatalf("copied %d bytes, not the first 3 MiB", n)
				}
				return
			}
			if n != int64(len(data)) || !bytes.Equal(a.Bytes(), data) || !bytes.Equal(h.Sum(nil), want[:]) {
				t.Fatalf("copied %d bytes; the sinks differ from the source", n)
			}
		})
	}
	boom := errors.New("boom")
	if _, err := copyParallel(bytes.NewReader(data), io.Discard, &failAfter{n: 2 << 20, err: boom}); !errors.Is(err, boom) {
		t.Errorf("a failing sink gave %v", err)
	}
	if _, err := copyParallel(iotest.TimeoutReader(bytes.NewReader(data)), io.Discard); !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("a failing reader gave %v", err)
	}
}
