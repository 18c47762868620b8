package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// fuzzModes are the x-amz-content-sha256 values FuzzChunkedReader picks from.
var fuzzModes = []string{StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer, StreamingECDSA, "STREAMING-X"}

// FuzzChunkedReader decodes arbitrary bodies, with and without checking signatures,
// read in arbitrary sizes. It must not panic or stall; it must fail only with an
// error S3 can render; it must never return more bytes than the body holds or
// than x-amz-decoded-content-length says; and it may reach EOF only having
// returned exactly that many, with the trailers announced.
func FuzzChunkedReader(f *testing.F) {
	s, _ := sdkStream(f, StreamingSigned)
	for _, tc := range goodBodies {
		// Small seeds only: the fuzzer minimizes every input that finds new code,
		// and a body of 8 KiB or more (what two chunks take, as only the last may be
		// short) takes it a minute each. TestChunkedReaderGood covers those.
		if len(tc.enc.payload()) > 100 {
			tc.enc.chunks = []string{"hello"}
		}
		var c *chain
		if signsChunks(tc.enc.mode) {
			c = newChain(f, s)
		}
		h := tc.enc.header()
		mode := uint8(slices.Index(fuzzModes, tc.enc.mode))
		f.Add(mode, true, h.Get("X-Amz-Decoded-Content-Length"), h.Get("X-Amz-Trailer"), tc.enc.encode(c), uint16(4096))
		f.Add(mode, false, h.Get("X-Amz-Decoded-Content-Length"), h.Get("X-Amz-Trailer"), tc.enc.encode(nil), uint16(7))
	}
	f.Add(uint8(2), false, "3", "x-amz-checksum-crc32", []byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"), uint16(1))
	f.Add(uint8(2), false, "3", "", []byte("3;chunk-signature=\r\nabc\r\n0\r\n\r\n"), uint16(2))
	f.Add(uint8(2), false, "6", "", []byte("3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n"), uint16(3))
	f.Add(uint8(0), false, "0", "", []byte("0;chunk-signature="+fill('0', 64)+"\r\n\r\n"), uint16(0))

	f.Fuzz(func(t *testing.T, mode uint8, check bool, decoded, trailer string, body []byte, readSize uint16) {
		h := http.Header{
			"X-Amz-Content-Sha256":         {fuzzModes[int(mode)%len(fuzzModes)]},
			"X-Amz-Decoded-Content-Length": {decoded},
			"X-Amz-Trailer":                {trailer},
		}
		stream := s
		if !check {
			stream = nil
		}
		cr, err := NewChunkedReader(bytes.NewReader(body), h, stream)
		if err != nil {
			if e := awsproto.As(err); e == awsproto.ServiceFailure {
				t.Fatalf("NewChunkedReader: %v renders as a ServiceException", err)
			}
			return
		}
		buf := make([]byte, int(readSize)%(64<<10)+1)
		var total int
		for reads := 0; ; reads++ {
			if reads > len(body)+2 {
				t.Fatalf("%d reads of a %d-byte body and no end", reads, len(body))
			}
			n, err := cr.Read(buf)
			total += n
			if n == 0 && err == nil {
				t.Fatalf("Read returned 0, nil")
			}
			if total > len(body) || int64(total) > cr.DecodedLength() {
				t.Fatalf("decoded %d bytes from a %d-byte body declaring %d", total, len(body), cr.DecodedLength())
			}
			if err == nil {
				continue
			}
			if again, _ := cr.Read(buf); again != 0 {
				t.Fatalf("Read after %v returned %d bytes", err, again)
			}
			if !errors.Is(err, io.EOF) {
				if e := awsproto.As(err); e == awsproto.ServiceFailure {
					t.Fatalf("Read: %v renders as a ServiceException", err)
				}
				if cr.Trailer() != nil {
					t.Fatalf("Trailer set after %v", err)
				}
				return
			}
			if int64(total) != cr.DecodedLength() {
				t.Fatalf("EOF after %d bytes, %s declared", total, strconv.Quote(decoded))
			}
			if cr.Trailer() == nil {
				t.Fatalf("no Trailer after EOF")
			}
			for _, name := range trailerNames([]string{trailer}) {
				if h.Get("X-Amz-Content-Sha256") != StreamingSigned && len(cr.Trailer().Values(name)) != 1 {
					t.Fatalf("EOF without the announced trailer %s: %v", name, cr.Trailer())
				}
			}
			return
		}
	})
}
