package sigv4

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"
)

// BenchmarkChunkedReader decodes a 64 MiB upload as an S3 handler reads it (32 KiB
// at a time, as io.Copy does), signed in 64 KiB chunks and unsigned in 64 KiB
// chunks and in one. MB/s is of payload. "sha256" is the ceiling for the signed
// mode: checking chunks costs one SHA-256 pass over the data.
func BenchmarkChunkedReader(b *testing.B) {
	const size = 64 << 20
	payload := string(bytes.Repeat([]byte("0123456789abcdef"), size/16))
	split := func(n int) []string {
		var out []string
		for i := 0; i < len(payload); i += n {
			out = append(out, payload[i:min(i+n, len(payload))])
		}
		return out
	}
	for _, bc := range []struct {
		name  string
		enc   encoding
		check bool
	}{
		{"signed/64KiB", encoding{mode: StreamingSigned, chunks: split(64 << 10)}, true},
		{"signed-unchecked/64KiB", encoding{mode: StreamingSigned, chunks: split(64 << 10)}, false},
		{"unsigned/64KiB", encoding{mode: StreamingUnsignedTrailer, chunks: split(64 << 10), trailers: []string{crc}}, false},
		{"unsigned/one-chunk", encoding{mode: StreamingUnsignedTrailer, chunks: split(size), trailers: []string{crc}}, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var s *Stream
			var c *chain
			if bc.check {
				s, c = sdkStream(b, bc.enc.mode)
			}
			body, h := bc.enc.encode(c), bc.enc.header()
			buf := make([]byte, 32<<10)
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				cr, err := NewChunkedReader(bytes.NewReader(body), h, s)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := cr.Read(buf); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
	b.Run("sha256", func(b *testing.B) {
		data := []byte(payload)
		b.SetBytes(size)
		for b.Loop() {
			sha256.Sum256(data)
		}
	})
}
