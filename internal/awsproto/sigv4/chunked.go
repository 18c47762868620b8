package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The aws-chunked body, as S3 defines it ("Transferring Payload in Multiple Chunks"
// and "Including Trailing Headers" in the S3 API Reference) and as aws-sdk-go-v2
// (service/internal/checksum/aws_chunked_encoding.go) and botocore
// (httpchecksum.py, AwsChunkedWrapper) write it:
//
//	chunk   = hex-size [";chunk-signature=" 64-hex] CRLF data CRLF
//	final   = "0" [";chunk-signature=" 64-hex] CRLF
//	trailer = *(name ":" value CRLF) ["x-amz-trailer-signature:" 64-hex CRLF] CRLF
//
// The signatures are there in the signed modes only, the trailer lines in the
// -TRAILER modes only; each chunk's signature is over its own data, chained from
// the previous chunk's (the seed signature for the first).
const (
	// minChunkSize is the smallest chunk but the last that S3 takes, in every mode:
	// S3 refuses smaller ones from unsigned-trailer uploads too (the JavaScript
	// SDK's users meet it, aws/aws-sdk-js-v3 PR #7598).
	minChunkSize = 8192
	// maxChunkSize bounds a chunk's declared size. Decoding streams a chunk through
	// without holding it, so this is a sanity bound, not a memory one, and it cannot
	// be small: aws-sdk-go-v2 and aws-sdk-rust send a body of known length as one
	// unsigned chunk (newUnsignedChunkReader in the file above; minio/minio issue
	// #21303 is what a 16 MiB cap does to them). 5 GiB is the most one S3 PUT takes.
	maxChunkSize = 5 << 30
	// lineBuffer is the read buffer, and so the longest header or trailer line.
	lineBuffer = 4096
	// maxTrailers bounds how many trailing headers a body may carry.
	maxTrailers = 16

	payloadAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD" // chunk string-to-sign
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER" // trailer string-to-sign
	trailerSignature = "x-amz-trailer-signature"
)

var (
	chunkSignatureKey = []byte("chunk-signature=")
	// emptyHashLine sits between the previous signature and the data's hash in a
	// chunk's string to sign: the hash of the (empty) chunk headers.
	emptyHashLine = []byte("\n" + emptySHA256 + "\n")
)

// chunkState is where the decoder is in the body.
type chunkState int

const (
	atHeader  chunkState = iota // the next bytes are the first chunk's header line
	inData                      // left bytes of the current chunk's data remain
	atDataEnd                   // a chunk's data is read and checked; CRLF and a header follow
	done                        // err holds io.EOF or the failure; every Read returns it
)

// ChunkedReader decodes an aws-chunked request body (Content-Encoding aws-chunked,
// x-amz-content-sha256 a STREAMING-* value) into its payload. It checks the
// framing, the chunk sizes (all but the last at least 8 KiB), the total against
// x-amz-decoded-content-length, the trailing headers against x-amz-trailer and,
// given a Stream, every chunk signature and the trailer signature.
//
// It streams: it holds a 4 KiB read buffer and the running hash of one chunk, never
// a chunk. So a Read returns a chunk's data before that chunk's signature can be
// checked, though it withholds the chunk's last bytes until the signature matches.
// Only the Read that returns io.EOF vouches for the whole body (the final chunk and
// the trailer included): a caller must not commit anything it read before then.
//
// Failures are sticky: once a Read fails, every later Read returns the same error.
// Each is S3's error for the fault (chunkerrors.go), an *awsproto.Error that
// awsproto.As finds; a signature mismatch is also a *VerifyError of kind
// BadSignature, and a short chunk a *ChunkSizeError. Only a failure to read the
// body itself is not S3's: it comes back wrapped, for errors.Is. A ChunkedReader is
// not safe for concurrent use.
type ChunkedReader struct {
	br         *bufio.Reader
	signed     bool     // chunk headers carry chunk-signature
	hasTrailer bool     // a -TRAILER mode: trailing headers may follow the final chunk
	announced  []string // x-amz-trailer's names, lowercase, each once
	decoded    int64    // x-amz-decoded-content-length

	state  chunkState
	err    error // when done: io.EOF or the failure
	left   int64 // unread data bytes of the current chunk
	size   int64 // size of the current (or last) data chunk
	chunks int   // data chunks begun
	total  int64 // sum of the sizes of the chunks begun

	// Signature checking, set up only for a signed mode with a Stream; h == nil
	// means signatures are parsed and not checked.
	s       *Stream
	h       hash.Hash // SHA-256 of the current chunk's data
	mac     hash.Hash // HMAC-SHA256 keyed with the signing key
	prefix  []byte    // "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n"
	prev    [2 * sha256.Size]byte
	claimed [2 * sha256.Size]byte // the current chunk's chunk-signature
	sum     [sha256.Size]byte     // scratch, so checking a chunk allocates nothing
	hexSum  [2 * sha256.Size]byte // scratch

	trailer http.Header
}

// NewChunkedReader returns a reader of the payload of the aws-chunked body, framed
// as the request header h says: x-amz-content-sha256 is the mode (StreamingSigned,
// StreamingSignedTrailer or StreamingUnsignedTrailer), x-amz-decoded-content-length
// the payload's length, and x-amz-trailer the trailing headers announced.
//
// s is the request's Stream from VerifyStream, to check the chunk and trailer
// signatures of a signed mode. With s nil they are parsed but not checked: that is
// for requests nobody verified (the auth mode that accepts any signature), and for
// the unsigned mode, which ignores s.
//
// It fails with S3's errors: InvalidArgument for an x-amz-content-sha256 that is no
// mode, NotImplemented for the SigV4a modes (STREAMING-AWS4-ECDSA-P256-SHA256-*),
// and MissingContentLength when x-amz-decoded-content-length is missing or not a
// number, as S3 requires it.
func NewChunkedReader(body io.Reader, h http.Header, s *Stream) (*ChunkedReader, error) {
	c := &ChunkedReader{}
	switch h.Get("X-Amz-Content-Sha256") {
	case StreamingSigned:
		c.signed = true
	case StreamingSignedTrailer:
		c.signed, c.hasTrailer = true, true
	case StreamingUnsignedTrailer:
		c.hasTrailer = true
	case StreamingECDSA, StreamingECDSATrailer:
		return nil, errSigV4a
	default:
		return nil, errBadContentSHA256
	}
	var ok bool
	if c.decoded, ok = parseDecimal(h.Get("X-Amz-Decoded-Content-Length")); !ok {
		return nil, errMissingDecodedLength
	}
	if c.hasTrailer {
		c.announced = trailerNames(h.Values("X-Amz-Trailer"))
	}
	c.br = bufio.NewReaderSize(body, lineBuffer)
	if c.signed && s != nil {
		c.s = s
		c.h = sha256.New()
		c.mac = hmac.New(sha256.New, s.key)
		c.prefix = []byte(payloadAlgorithm + "\n" + s.date + "\n" + s.scope + "\n")
		copy(c.prev[:], s.seed)
	}
	return c, nil
}

// DecodedLength returns the payload's length as x-amz-decoded-content-length
// declares it; the body fails to decode unless its chunks add up to it.
func (c *ChunkedReader) DecodedLength() int64 { return c.decoded }

// Trailer returns the trailing headers, with canonical keys, once a Read has
// returned io.EOF, and nil before. It never holds x-amz-trailer-signature.
func (c *ChunkedReader) Trailer() http.Header { return c.trailer }

// Read reads decoded payload into p. See ChunkedReader for what it checks and
// when; it returns io.EOF only after the final chunk and the trailing headers have
// passed every check.
//
// Hot path: every byte of an upload passes here. It allocates nothing, and copies
// data from the body into p once (straight into p when p is at least 4 KiB).
func (c *ChunkedReader) Read(p []byte) (int, error) {
	if c.state == done {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.state != inData {
		if err := c.nextChunk(); err != nil {
			return 0, c.fail(err)
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p) // bufio: n > 0 or err, never both
	if err != nil {
		return 0, c.fail(bodyError(err))
	}
	c.left -= int64(n)
	if c.h != nil {
		c.h.Write(p[:n])
	}
	if c.left == 0 {
		c.state = atDataEnd
		if c.h != nil {
			if err := c.checkChunk(); err != nil {
				return 0, c.fail(err) // the chunk's last bytes stay withheld
			}
		}
	}
	return n, nil
}

func (c *ChunkedReader) fail(err error) error {
	c.state, c.err = done, err
	return err
}

// nextChunk moves past the previous chunk's CRLF and reads the next chunk header.
// For the final chunk it also checks the whole body's end and returns io.EOF.
func (c *ChunkedReader) nextChunk() error {
	if c.state == atDataEnd {
		if err := c.readCRLF(); err != nil {
			return err
		}
	}
	line, err := c.readLine(errIncompleteBody)
	if err != nil {
		return err
	}
	size, err := c.parseHeader(line)
	if err != nil {
		return err
	}
	if size > 0 && c.chunks > 0 && c.size < minChunkSize {
		return errChunkSize(c.chunks+1, c.size)
	}
	if size > c.decoded-c.total {
		return errLengthMismatch
	}
	c.total += size
	if size == 0 {
		return c.finish()
	}
	c.chunks++
	c.size, c.left, c.state = size, size, inData
	if c.h != nil {
		c.h.Reset()
	}
	return nil
}

// finish checks the final chunk, the length, the trailing headers and that nothing
// follows them; it returns io.EOF when all pass.
func (c *ChunkedReader) finish() error {
	if c.h != nil {
		c.h.Reset() // the final chunk's data is empty
		if err := c.checkChunk(); err != nil {
			return err
		}
	}
	if c.total != c.decoded {
		return errLengthMismatch
	}
	trailer, err := c.readTrailers()
	if err != nil {
		return err
	}
	switch _, err := c.br.ReadByte(); {
	case err == nil:
		return errIncompleteBody // bytes after the end of the encoding
	case err != io.EOF:
		return bodyError(err)
	}
	c.trailer = trailer
	return io.EOF
}

// parseHeader parses a chunk header line (without its CRLF) and returns the
// chunk's size; in a signed mode it keeps the chunk's signature in c.claimed.
func (c *ChunkedReader) parseHeader(line []byte) (int64, error) {
	hexSize := line
	if c.signed {
		i := bytes.IndexByte(line, ';')
		if i < 0 {
			return 0, errIncompleteBody
		}
		hexSize = line[:i]
		sig, ok := bytes.CutPrefix(line[i+1:], chunkSignatureKey)
		if !ok || len(sig) != len(c.claimed) || !isHex(sig) {
			return 0, errIncompleteBody
		}
		copy(c.claimed[:], sig) // line is bufio's and is overwritten by the next read
	}
	return parseChunkSize(hexSize)
}

// readTrailers reads the lines after the final chunk up to the empty one that ends
// the body, checks them against x-amz-trailer and, in the signed trailer mode,
// against x-amz-trailer-signature, and returns them.
func (c *ChunkedReader) readTrailers() (http.Header, error) {
	var (
		names []string // as received, lowercase
		h     = http.Header{}
		sig   []byte // x-amz-trailer-signature, once seen
	)
	for {
		line, err := c.readLine(errMalformedTrailer)
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		if !c.hasTrailer {
			return nil, errIncompleteBody // only the empty line may follow the final chunk
		}
		if sig != nil || len(names) == maxTrailers {
			return nil, errMalformedTrailer // nothing may follow the signature
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		name, value = bytes.TrimSpace(name), bytes.TrimSpace(value)
		if !ok || len(name) == 0 {
			return nil, errMalformedTrailer
		}
		key := strings.ToLower(string(name))
		if c.signed && key == trailerSignature {
			if len(value) != 2*sha256.Size || !isHex(value) {
				return nil, errMalformedTrailer
			}
			sig = bytes.Clone(value)
			continue
		}
		if !slices.Contains(c.announced, key) || slices.Contains(names, key) {
			return nil, errMalformedTrailer
		}
		names = append(names, key)
		h[http.CanonicalHeaderKey(key)] = []string{string(value)}
	}
	if len(names) != len(c.announced) {
		return nil, errMalformedTrailer // an announced trailer is missing
	}
	if c.signed && c.hasTrailer {
		if sig == nil {
			return nil, errMalformedTrailer
		}
		if c.h != nil && !hmac.Equal(c.signTrailers(names, h), sig) {
			return nil, errChunkSignature()
		}
	}
	return h, nil
}

// checkChunk compares the current chunk's signature, over the data hashed into
// c.h, with c.claimed, and on a match makes it the previous signature. It
// allocates nothing.
func (c *ChunkedReader) checkChunk() error {
	c.h.Sum(c.sum[:0])
	hex.Encode(c.hexSum[:], c.sum[:])
	c.mac.Reset()
	c.mac.Write(c.prefix)
	c.mac.Write(c.prev[:])
	c.mac.Write(emptyHashLine)
	c.mac.Write(c.hexSum[:])
	c.mac.Sum(c.sum[:0])
	hex.Encode(c.hexSum[:], c.sum[:])
	if !hmac.Equal(c.hexSum[:], c.claimed[:]) {
		return errChunkSignature()
	}
	c.prev = c.hexSum
	return nil
}

// signTrailers returns the hex signature of trailing headers, chained from the
// final chunk's: over "name:value\n" for each, sorted by name, as SigV4 canonical
// headers are (the AWS SDK for .NET's ChunkedUploadWrapperStream signs them so).
func (c *ChunkedReader) signTrailers(names []string, h http.Header) []byte {
	sorted := slices.Clone(names)
	sort.Strings(sorted)
	var canonical strings.Builder
	for _, n := range sorted {
		canonical.WriteString(n + ":" + h.Get(n) + "\n")
	}
	sum := sha256.Sum256([]byte(canonical.String()))
	toSign := trailerAlgorithm + "\n" + c.s.date + "\n" + c.s.scope + "\n" + string(c.prev[:]) + "\n" + hex.EncodeToString(sum[:])
	return []byte(hex.EncodeToString(hmacSHA256(c.s.key, toSign)))
}

// readLine reads a line and returns it without its CRLF; a line longer than the
// read buffer fails with tooLong, one not ended by CRLF with errIncompleteBody.
func (c *ChunkedReader) readLine(tooLong *awsproto.Error) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, tooLong
	case err != nil:
		return nil, bodyError(err)
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, errIncompleteBody
	}
	return line[:len(line)-2], nil
}

func (c *ChunkedReader) readCRLF() error {
	b, err := c.br.Peek(2)
	if err != nil {
		return bodyError(err)
	}
	if b[0] != '\r' || b[1] != '\n' {
		return errIncompleteBody
	}
	c.br.Discard(2) //nolint:errcheck // the bytes were just peeked
	return nil
}

// bodyError is what a failure to read the body becomes: a body that ends early is
// S3's IncompleteBody; anything else (a client gone, a size limit) is wrapped.
func bodyError(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errIncompleteBody
	}
	return fmt.Errorf("sigv4: read aws-chunked body: %w", err)
}

// parseChunkSize parses a chunk size: hex digits only, in either case, at most
// maxChunkSize. Since it stops as soon as the value passes maxChunkSize, the value
// never overflows.
func parseChunkSize(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, errIncompleteBody
	}
	var n int64
	for _, ch := range b {
		d, ok := unhex(ch)
		if !ok {
			return 0, errIncompleteBody
		}
		if n = n<<4 | int64(d); n > maxChunkSize {
			return 0, errIncompleteBody
		}
	}
	return n, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isHex(b []byte) bool {
	for _, c := range b {
		if _, ok := unhex(c); !ok {
			return false
		}
	}
	return true
}

// parseDecimal parses a non-negative decimal length: digits only (no sign, no
// space), at most 18 of them so it cannot overflow.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// trailerNames returns the names x-amz-trailer announces, lowercase and each once;
// the header may be repeated or hold a comma-separated list.
func trailerNames(values []string) []string {
	var names []string
	for _, v := range values {
		for _, n := range strings.Split(v, ",") {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}
