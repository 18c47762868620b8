package sigv4

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// The worked examples of the S3 API Reference: "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks" and "... Including
// Trailing Headers". Both PUT 66560 bytes of 'a' to examplebucket/chunkObject.txt
// in 64 KiB chunks and print the seed and every chunk signature; no SDK made them.
const (
	docKey    = "AKIAIOSFODNN7EXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docDate   = "20130524T000000Z"
)

var docExamples = []struct {
	name, mode, signedHeaders, seed string
	chunkSigs                       [3]string
	trailer                         string // "name:value" line, "" for none
	trailerSig                      string
}{
	{
		name: "chunked upload", mode: StreamingSigned,
		signedHeaders: "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		seed:          "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
		chunkSigs: [3]string{
			"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
			"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
			"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
		},
	},
	{
		name: "trailing headers", mode: StreamingSignedTrailer,
		signedHeaders: "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
		seed:          "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
		chunkSigs: [3]string{
			"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
			"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
			"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		},
		trailer:    "x-amz-checksum-crc32c:sOO8/Q==", // the CRC32C of the 66560 'a's
		trailerSig: "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
	},
}

// docRequest builds an example's request as the page prints it, with chunkSigs in
// its body, and the verifier of its clock and key.
func docRequest(t *testing.T, i int, chunkSigs [3]string, trailerSig string) (*http.Request, *Verifier) {
	t.Helper()
	ex := docExamples[i]
	var b bytes.Buffer
	for j, size := range []int{65536, 1024, 0} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", size, chunkSigs[j])
		if size > 0 {
			b.WriteString(strings.Repeat("a", size) + "\r\n")
		}
	}
	if ex.trailer != "" {
		b.WriteString(ex.trailer + "\r\n" + trailerSignature + ":" + trailerSig + "\r\n")
	}
	b.WriteString("\r\n")
	r, err := http.NewRequest(http.MethodPut, "http://s3.amazonaws.com/examplebucket/chunkObject.txt", &b)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"X-Amz-Date": docDate, "X-Amz-Storage-Class": "REDUCED_REDUNDANCY", "X-Amz-Content-Sha256": ex.mode,
		"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "66560",
		"Authorization": "AWS4-HMAC-SHA256 Credential=" + docKey + "/20130524/us-east-1/s3/aws4_request," +
			"SignedHeaders=" + ex.signedHeaders + ",Signature=" + ex.seed,
	} {
		r.Header.Set(k, v)
	}
	if ex.trailer != "" {
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
	}
	v := &Verifier{
		Secret: func(k string) (string, bool) { return docSecret, k == docKey },
		Now:    func() time.Time { return time.Date(2013, 5, 24, 0, 1, 0, 0, time.UTC) },
	}
	return r, v
}

// TestChunkedAWSExamples checks the seed, every chunk and the trailer of AWS's own
// examples, then that changing any one of their signatures fails the body.
func TestChunkedAWSExamples(t *testing.T) {
	for i, ex := range docExamples {
		t.Run(ex.name, func(t *testing.T) {
			r, v := docRequest(t, i, ex.chunkSigs, ex.trailerSig)
			if r.ContentLength != 66824 && ex.trailer == "" {
				t.Fatalf("Content-Length = %d, the page says 66824", r.ContentLength)
			}
			id, s, err := v.VerifyStream(r)
			if err != nil {
				t.Fatalf("seed signature: %v", err)
			}
			if s == nil || id.Service != "s3" || s.seed != ex.seed {
				t.Fatalf("VerifyStream = %+v, %+v", id, s)
			}
			cr, err := NewChunkedReader(r.Body, r.Header, s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(cr)
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if string(got) != strings.Repeat("a", 66560) {
				t.Fatalf("decoded %d bytes, not 66560 'a's", len(got))
			}
			if ex.trailer != "" && cr.Trailer().Get("x-amz-checksum-crc32c") != "sOO8/Q==" {
				t.Errorf("Trailer = %v", cr.Trailer())
			}

			flip := func(sig string) string { return string("10"[sig[0]&1]) + sig[1:] } // a different first digit
			for j := range ex.chunkSigs {
				sigs := ex.chunkSigs
				sigs[j] = flip(sigs[j])
				r, v := docRequest(t, i, sigs, ex.trailerSig)
				_, s, _ := v.VerifyStream(r)
				cr, _ := NewChunkedReader(r.Body, r.Header, s)
				if _, err := io.ReadAll(cr); !errors.Is(err, BadSignature) {
					t.Errorf("chunk %d's signature changed: %v, want BadSignature", j+1, err)
				}
			}
			if ex.trailer != "" {
				r, v := docRequest(t, i, ex.chunkSigs, flip(ex.trailerSig))
				_, s, _ := v.VerifyStream(r)
				cr, _ := NewChunkedReader(r.Body, r.Header, s)
				if _, err := io.ReadAll(cr); !errors.Is(err, BadSignature) {
					t.Errorf("trailer signature changed: %v, want BadSignature", err)
				}
			}
		})
	}
}

// sdkStream signs a streaming PUT with aws-sdk-go-v2's signer and verifies it, and
// returns its Stream and a chain that signs chunks with the SDK's StreamSigner.
func sdkStream(t testing.TB, mode string) (*Stream, *chain) {
	t.Helper()
	r := signed{method: http.MethodPut, target: "/bucket/key", service: "s3", s3Path: true, payload: mode,
		header: http.Header{"X-Amz-Content-Sha256": {mode}, "Content-Encoding": {"aws-chunked"},
			"X-Amz-Decoded-Content-Length": {"0"}}}.build(t, "http://s3.amazonaws.com")
	_, s, err := verifierAt(signTime.Add(time.Minute)).VerifyStream(r)
	if err != nil || s == nil {
		t.Fatalf("VerifyStream = %v, %v", s, err)
	}
	return s, newChain(t, s)
}

// chain signs a body's chunks the way a client does: with aws-sdk-go-v2's
// StreamSigner, whose string to sign is S3's chunk string to sign (an event-stream
// message without headers hashes its headers as the empty string), and its trailer
// as the S3 API Reference describes, written out here apart from the decoder's own.
type chain struct {
	ss   *v4.StreamSigner
	s    *Stream
	last string // the last signature made, hex
}

func newChain(t testing.TB, s *Stream) *chain {
	seed, err := hex.DecodeString(s.seed)
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	return &chain{ss: v4.NewStreamSigner(creds, "s3", testRegion, seed), s: s, last: s.seed}
}

func (c *chain) chunk(data []byte) string {
	sig, err := c.ss.GetSignature(context.Background(), nil, data, signTime)
	if err != nil {
		panic(err)
	}
	c.last = hex.EncodeToString(sig)
	return c.last
}

func (c *chain) trailer(lines []string) string {
	var canonical string
	for _, l := range lines {
		canonical += l + "\n"
	}
	h := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256-TRAILER\n" + c.s.date + "\n" + c.s.scope + "\n" + c.last + "\n" + hex.EncodeToString(h[:])
	m := hmac.New(sha256.New, c.s.key)
	m.Write([]byte(toSign))
	return hex.EncodeToString(m.Sum(nil))
}

// encoding is a body to encode: its chunks' data and its trailer lines.
type encoding struct {
	mode     string
	chunks   []string
	trailers []string // "name:value", sorted by name
}

// encode writes e as a client does; chain nil writes zero signatures.
func (e encoding) encode(c *chain) []byte {
	var b bytes.Buffer
	signed := signsChunks(e.mode)
	for _, d := range append(e.chunks, "") {
		fmt.Fprintf(&b, "%x", len(d))
		if signed {
			sig := strings.Repeat("0", 64)
			if c != nil {
				sig = c.chunk([]byte(d))
			}
			b.WriteString(";chunk-signature=" + sig)
		}
		b.WriteString("\r\n")
		if d != "" {
			b.WriteString(d + "\r\n")
		}
	}
	for _, l := range e.trailers {
		b.WriteString(l + "\r\n")
	}
	if e.mode == StreamingSignedTrailer {
		sig := strings.Repeat("0", 64)
		if c != nil {
			sig = c.trailer(e.trailers)
		}
		b.WriteString(trailerSignature + ":" + sig + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func (e encoding) payload() string { return strings.Join(e.chunks, "") }

// header is the request header for e: its mode, its decoded length and the names of
// its trailers announced.
func (e encoding) header() http.Header {
	h := http.Header{"X-Amz-Content-Sha256": {e.mode}, "X-Amz-Decoded-Content-Length": {strconv.Itoa(len(e.payload()))}}
	var names []string
	for _, l := range e.trailers {
		names = append(names, l[:strings.IndexByte(l, ':')])
	}
	if len(names) > 0 {
		h.Set("X-Amz-Trailer", strings.Join(names, ","))
	}
	return h
}

func fill(c byte, n int) string { return strings.Repeat(string(c), n) }

var (
	big    = fill('x', 64<<10)
	crc    = "x-amz-checksum-crc32:NSRBwg=="
	sha    = "x-amz-checksum-sha256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
	chunks = []string{big, fill('y', 64<<10), "tail"}
)

// The bodies that must decode, in every mode, with and without checking signatures.
var goodBodies = []struct {
	name string
	enc  encoding
}{
	{"signed chunks", encoding{mode: StreamingSigned, chunks: chunks}},
	{"signed, empty payload", encoding{mode: StreamingSigned}},
	{"signed, one small chunk", encoding{mode: StreamingSigned, chunks: []string{"hello"}}},
	{"signed, exactly 8 KiB then small", encoding{mode: StreamingSigned, chunks: []string{fill('a', 8192), "b"}}},
	{"signed trailer", encoding{mode: StreamingSignedTrailer, chunks: chunks, trailers: []string{crc}}},
	{"signed trailer, two trailers", encoding{mode: StreamingSignedTrailer, chunks: chunks, trailers: []string{crc, sha}}},
	{"signed trailer, none announced", encoding{mode: StreamingSignedTrailer, chunks: chunks}},
	// aws-sdk-go-v2 sends a body of known length as one chunk, of unknown length in
	// 64 KiB chunks; botocore without a checksum ends with "0\r\n\r\n".
	{"unsigned, one chunk", encoding{mode: StreamingUnsignedTrailer, chunks: []string{big + big + "z"}, trailers: []string{crc}}},
	{"unsigned, 64 KiB chunks", encoding{mode: StreamingUnsignedTrailer, chunks: chunks, trailers: []string{crc}}},
	{"unsigned, no trailer", encoding{mode: StreamingUnsignedTrailer, chunks: chunks}},
	{"unsigned, empty payload", encoding{mode: StreamingUnsignedTrailer, trailers: []string{crc}}},
}

func TestChunkedReaderGood(t *testing.T) {
	for _, tc := range goodBodies {
		for _, check := range []bool{true, false} {
			name := tc.name
			if !check {
				name += ", unchecked"
			}
			t.Run(name, func(t *testing.T) {
				var s *Stream
				var c *chain
				if check && signsChunks(tc.enc.mode) {
					s, c = sdkStream(t, tc.enc.mode)
				}
				body := tc.enc.encode(c)
				// iotest.TestReader reads in many sizes and checks EOF is sticky.
				cr, err := NewChunkedReader(bytes.NewReader(body), tc.enc.header(), s)
				if err != nil {
					t.Fatal(err)
				}
				if err := iotest.TestReader(cr, []byte(tc.enc.payload())); err != nil {
					t.Fatal(err)
				}
				want := http.Header{}
				for _, l := range tc.enc.trailers {
					k, v, _ := strings.Cut(l, ":")
					want.Set(k, v)
				}
				if got := cr.Trailer(); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("Trailer = %v, want %v", got, want)
				}
				// The same body, read one byte at a time from a body that returns one
				// byte at a time.
				cr, _ = NewChunkedReader(iotest.OneByteReader(bytes.NewReader(body)), tc.enc.header(), s)
				got, err := io.ReadAll(iotest.OneByteReader(cr))
				if err != nil || string(got) != tc.enc.payload() {
					t.Fatalf("one byte at a time: %d bytes, %v", len(got), err)
				}
			})
		}
	}
}

// TestChunkedReaderTolerates covers what clients vary that must still decode.
func TestChunkedReaderTolerates(t *testing.T) {
	for _, tc := range []struct {
		name, body, trailer, payload string
	}{
		{"upper-case hex", "3E8\r\n" + fill('a', 1000) + "\r\n0\r\n\r\n", "", fill('a', 1000)},
		{"leading zeros", "0003\r\nabc\r\n00\r\n\r\n", "", "abc"},
		{"spaces around the trailer colon", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32 : NSRBwg== \r\n\r\n", "x-amz-checksum-crc32", "abc"},
		{"trailer names in any case", "3\r\nabc\r\n0\r\nX-Amz-Checksum-CRC32:NSRBwg==\r\n\r\n", "x-amz-checksum-crc32", "abc"},
		{"x-amz-trailer listed twice", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", "x-amz-checksum-crc32, X-Amz-Checksum-Crc32", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"X-Amz-Content-Sha256": {StreamingUnsignedTrailer},
				"X-Amz-Decoded-Content-Length": {strconv.Itoa(len(tc.payload))}, "X-Amz-Trailer": {tc.trailer}}
			cr, err := NewChunkedReader(strings.NewReader(tc.body), h, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(cr)
			if err != nil || string(got) != tc.payload {
				t.Fatalf("got %q, %v", got, err)
			}
			if tc.trailer != "" && cr.Trailer().Get("X-Amz-Checksum-Crc32") != "NSRBwg==" {
				t.Errorf("Trailer = %v", cr.Trailer())
			}
		})
	}
}

// The S3 errors the table below expects, as S3 words them (chunkerrors.go says
// whose words each is).
var (
	wantIncomplete = awsproto.Error{Code: "IncompleteBody", Status: 400, Message: "The request body terminated unexpectedly"}
	wantLength     = awsproto.Error{Code: "IncompleteBody", Status: 400,
		Message: "You did not provide the number of bytes specified by the Content-Length HTTP header"}
	wantSignature = awsproto.Error{Code: "SignatureDoesNotMatch", Status: 403,
		Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	wantTrailer = awsproto.Error{Code: "MalformedTrailerError", Status: 400,
		Message: "The request contained trailing data that was not well-formed or did not conform to our published schema."}
	wantChunkSize = awsproto.Error{Code: "InvalidChunkSizeError", Status: 403,
		Message: "Only the last chunk is allowed to have a size less than 8192 bytes"}
)

func TestChunkedReaderBad(t *testing.T) {
	signedEnc := encoding{mode: StreamingSigned, chunks: chunks}
	trailerEnc := encoding{mode: StreamingSignedTrailer, chunks: chunks, trailers: []string{crc}}
	unsignedEnc := encoding{mode: StreamingUnsignedTrailer, chunks: chunks, trailers: []string{crc}}
	// dataAt is the offset of payload byte i in signedEnc's body.
	header := len("10000;chunk-signature=") + 64 + 2
	dataAt := func(i int) int { return header + i/(64<<10)*(header+2) + i }

	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return []byte(strings.Replace(string(b), old, new, 1)) }
	}
	cut := func(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:len(b)-n] } }
	flipAt := func(i func([]byte) int) func([]byte) []byte {
		return func(b []byte) []byte { b = bytes.Clone(b); b[i(b)] ^= 1; return b }
	}
	at := func(n int) func([]byte) int { return func([]byte) int { return n } }
	sigOf := func(n int) func([]byte) int { // the first hex digit of the n-th chunk-signature
		return func(b []byte) int {
			i := -1
			for ; n > 0; n-- {
				i += 1 + bytes.Index(b[i+1:], chunkSignatureKey)
			}
			return i + len(chunkSignatureKey)
		}
	}
	setHeader := func(k, v string) func(http.Header) { return func(h http.Header) { h.Set(k, v) } }

	tests := []struct {
		name   string
		enc    encoding
		mutate func([]byte) []byte // nil: the body as encoded
		header func(http.Header)   // nil: encoding.header()
		want   awsproto.Error
	}{
		{"bad chunk signature", signedEnc, flipAt(sigOf(2)), nil, wantSignature},
		{"bad final chunk signature", signedEnc, flipAt(sigOf(4)), nil, wantSignature},
		{"tampered first byte", signedEnc, flipAt(at(dataAt(0))), nil, wantSignature},
		{"tampered byte in a later chunk", signedEnc, flipAt(at(dataAt(70000))), nil, wantSignature},
		{"tampered trailer value", trailerEnc, replace("NSRBwg==", "NSRBwg=A"), nil, wantSignature},
		{"trailer signature wrong", trailerEnc, func(b []byte) []byte {
			i := bytes.Index(b, []byte(trailerSignature+":")) + len(trailerSignature) + 1
			b = bytes.Clone(b)
			b[i] ^= 1
			return b
		}, nil, wantSignature},
		{"trailer signature missing", trailerEnc, func(b []byte) []byte {
			i := bytes.Index(b, []byte(trailerSignature))
			return append(b[:i:i], "\r\n"...)
		}, nil, wantTrailer},
		{"trailer signature not hex", trailerEnc, func(b []byte) []byte {
			i := bytes.Index(b, []byte(trailerSignature))
			return append(b[:i:i], trailerSignature+":xyz\r\n\r\n"...)
		}, nil, wantTrailer},
		{"trailer after the signature", trailerEnc, replace("\r\n\r\n", "\r\nx-amz-meta-a:b\r\n\r\n"), nil, wantTrailer},
		{"trailer missing", unsignedEnc, replace(crc+"\r\n", ""), nil, wantTrailer},
		{"trailer not announced", unsignedEnc, nil, func(h http.Header) { h.Del("X-Amz-Trailer") }, wantTrailer},
		{"other trailer than announced", unsignedEnc, nil, setHeader("X-Amz-Trailer", "x-amz-checksum-sha1"), wantTrailer},
		{"trailer sent twice", unsignedEnc, replace(crc, crc+"\r\n"+crc), nil, wantTrailer},
		{"trailer without colon", unsignedEnc, replace(crc, "x-amz-checksum-crc32"), nil, wantTrailer},
		{"trailer with empty name", unsignedEnc, replace(crc, ":NSRBwg=="), nil, wantTrailer},
		{"trailer line too long", unsignedEnc, replace(crc, crc+fill('=', 5000)), nil, wantTrailer},
		{"too many trailers", encoding{mode: StreamingUnsignedTrailer, chunks: chunks, trailers: manyTrailers(maxTrailers + 1)}, nil, nil, wantTrailer},
		{"trailer in the non-trailer mode", signedEnc, func(b []byte) []byte {
			return append(b[:len(b)-2:len(b)-2], crc+"\r\n\r\n"...)
		}, nil, wantIncomplete},

		{"truncated in data", signedEnc, cut(1000), nil, wantIncomplete},
		{"truncated in a header", signedEnc, func(b []byte) []byte { return b[:dataAt(64<<10)-10] }, nil, wantIncomplete},
		{"truncated before the last CRLF", signedEnc, cut(2), nil, wantIncomplete},
		{"truncated in the trailer", unsignedEnc, cut(5), nil, wantIncomplete},
		{"empty body", signedEnc, func([]byte) []byte { return nil }, nil, wantIncomplete},
		{"bad hex size", unsignedEnc, replace("10000\r\n", "1000g\r\n"), nil, wantIncomplete},
		{"signed size", unsignedEnc, replace("10000\r\n", "+10000\r\n"), nil, wantIncomplete},
		{"empty size", unsignedEnc, replace("10000\r\n", "\r\n"), nil, wantIncomplete},
		{"space in size", unsignedEnc, replace("10000\r\n", "10000 \r\n"), nil, wantIncomplete},
		{"extension in unsigned mode", unsignedEnc, replace("10000\r\n", "10000;chunk-signature="+fill('0', 64)+"\r\n"), nil, wantIncomplete},
		{"missing chunk-signature", signedEnc, func(b []byte) []byte {
			i := bytes.IndexByte(b, ';')
			return append(b[:i:i], b[i+len(";chunk-signature=")+64:]...)
		}, nil, wantIncomplete},
		{"short chunk-signature", signedEnc, func(b []byte) []byte {
			i := sigOf(1)(b)
			return append(b[:i:i], b[i+1:]...)
		}, nil, wantIncomplete},
		{"other chunk extension", signedEnc, replace(";chunk-signature=", ";chunk-signatur="), nil, wantIncomplete},
		{"missing CRLF after data", unsignedEnc, replace(big+"\r\n", big), nil, wantIncomplete},
		{"LF without CR after size", unsignedEnc, replace("10000\r\n", "10000\n"), nil, wantIncomplete},
		{"CR without LF after data", unsignedEnc, replace(big+"\r\n", big+"\rx"), nil, wantIncomplete},
		{"chunk longer than its size", unsignedEnc, replace("tail", "tails"), nil, wantIncomplete},
		{"chunk too large", unsignedEnc, replace("10000\r\n", "140000001\r\n"), setHeader("X-Amz-Decoded-Content-Length", "99999999999"), wantIncomplete},
		{"header line too long", unsignedEnc, replace("10000\r\n", fill('0', 5000)+"10000\r\n"), nil, wantIncomplete},
		{"extra data after the final chunk", signedEnc, func(b []byte) []byte { return append(b, 'x') }, nil, wantIncomplete},
		{"a second body after the final chunk", unsignedEnc, func(b []byte) []byte { return append(b, b...) }, nil, wantIncomplete},

		{"decoded length larger", signedEnc, nil, setHeader("X-Amz-Decoded-Content-Length", "200000"), wantLength},
		{"decoded length smaller", signedEnc, nil, setHeader("X-Amz-Decoded-Content-Length", "65536"), wantLength},
		{"decoded length smaller, unsigned", unsignedEnc, nil, setHeader("X-Amz-Decoded-Content-Length", "1"), wantLength},

		{"small chunk, signed", encoding{mode: StreamingSigned, chunks: []string{"hel", "lo"}}, nil, nil, wantChunkSize},
		{"small chunk, unsigned", encoding{mode: StreamingUnsignedTrailer, chunks: []string{big, "hello", "x"}}, nil, nil, wantChunkSize},
	}
	for _, tc := range tests {
		for _, check := range []bool{true, false} {
			if !check && (tc.want.Code == wantSignature.Code || !signsChunks(tc.enc.mode)) {
				continue // unchecked, a bad signature passes; unsigned, there is none
			}
			name := tc.name
			if !check {
				name += ", unchecked"
			}
			t.Run(name, func(t *testing.T) {
				var s *Stream
				var c *chain
				if check && signsChunks(tc.enc.mode) {
					s, c = sdkStream(t, tc.enc.mode)
				}
				body := tc.enc.encode(c)
				if tc.mutate != nil {
					body = tc.mutate(body)
				}
				h := tc.enc.header()
				if tc.header != nil {
					tc.header(h)
				}
				cr, err := NewChunkedReader(bytes.NewReader(body), h, s)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(cr)
				if err == nil {
					t.Fatalf("decoded %d bytes without error", len(got))
				}
				var ae *awsproto.Error
				if !errors.As(err, &ae) {
					t.Fatalf("error %T %v is no *awsproto.Error", err, err)
				}
				if ae.Code != tc.want.Code || ae.Status != tc.want.Status || ae.Message != tc.want.Message {
					t.Errorf("error = %d %s %q\n want %d %s %q", ae.Status, ae.Code, ae.Message, tc.want.Status, tc.want.Code, tc.want.Message)
				}
				if tc.want.Code == wantSignature.Code && !errors.Is(err, BadSignature) {
					t.Errorf("errors.Is(%v, BadSignature) is false", err)
				}
				if _, again := cr.Read(make([]byte, 10)); again != err {
					t.Errorf("failure not sticky: then %v", again)
				}
				if cr.Trailer() != nil {
					t.Errorf("Trailer = %v after a failure", cr.Trailer())
				}
			})
		}
	}
}

// TestChunkedReaderChunkSize pins the elements S3 adds to InvalidChunkSizeError:
// the number of the chunk after the short one, and the short one's size, as S3
// answered "hello" sent in chunks of 3 (versitygw issue #1683).
func TestChunkedReaderChunkSize(t *testing.T) {
	for _, mode := range []string{StreamingSigned, StreamingUnsignedTrailer} {
		enc := encoding{mode: mode, chunks: []string{"hel", "lo"}}
		cr, _ := NewChunkedReader(bytes.NewReader(enc.encode(nil)), enc.header(), nil)
		_, err := io.ReadAll(cr)
		var cse *ChunkSizeError
		if !errors.As(err, &cse) || cse.Chunk != 2 || cse.BadChunkSize != 3 {
			t.Errorf("%s: %v, want chunk 2, bad chunk size 3", mode, err)
		}
		if awsproto.As(err).Code != "InvalidChunkSizeError" {
			t.Errorf("%s: renders as %v", mode, awsproto.As(err))
		}
	}
}

// TestChunkedReaderWithholdsBadChunk: a chunk whose signature fails never has its
// last byte returned, however it is read.
func TestChunkedReaderWithholdsBadChunk(t *testing.T) {
	s, c := sdkStream(t, StreamingSigned)
	enc := encoding{mode: StreamingSigned, chunks: []string{fill('a', 9000), fill('b', 9000)}}
	body := enc.encode(c)
	body[bytes.LastIndex(body, []byte("bbbb"))+3] = 'B' // the second chunk's last byte
	for _, size := range []int{1, 100, 9000, 20000} {
		cr, _ := NewChunkedReader(bytes.NewReader(body), enc.header(), s)
		var got []byte
		buf := make([]byte, size)
		var err error
		for err == nil {
			var n int
			n, err = cr.Read(buf)
			got = append(got, buf[:n]...)
		}
		if !errors.Is(err, BadSignature) || len(got) >= 18000 {
			t.Errorf("reads of %d: %d bytes returned, then %v", size, len(got), err)
		}
	}
}

func TestNewChunkedReaderRefuses(t *testing.T) {
	for _, tc := range []struct {
		mode, decoded string
		code          string
		status        int
	}{
		{StreamingECDSA, "5", "NotImplemented", 501},
		{StreamingECDSATrailer, "5", "NotImplemented", 501},
		{"STREAMING-AWS4-HMAC-SHA256-EVENTS", "5", "InvalidArgument", 400},
		{"streaming-unsigned-payload-trailer", "5", "InvalidArgument", 400},
		{"", "5", "InvalidArgument", 400},
		{StreamingUnsignedTrailer, "", "MissingContentLength", 411},
		{StreamingSigned, "abc", "MissingContentLength", 411},
		{StreamingSigned, "+5", "MissingContentLength", 411},
		{StreamingSigned, "-5", "MissingContentLength", 411},
		{StreamingSigned, "99999999999999999999", "MissingContentLength", 411},
	} {
		h := http.Header{"X-Amz-Content-Sha256": {tc.mode}, "X-Amz-Decoded-Content-Length": {tc.decoded}}
		_, err := NewChunkedReader(strings.NewReader(""), h, nil)
		if e := awsproto.As(err); e.Code != tc.code || e.Status != tc.status {
			t.Errorf("%q, %q: %v, want %d %s", tc.mode, tc.decoded, err, tc.status, tc.code)
		}
	}
}

// TestChunkedReaderBodyErrors: a body that fails to read is wrapped, for errors.Is;
// one the network cut short is IncompleteBody.
func TestChunkedReaderBodyErrors(t *testing.T) {
	enc := encoding{mode: StreamingUnsignedTrailer, chunks: chunks}
	gone := errors.New("connection reset")
	for _, tc := range []struct {
		cause, want error
	}{
		{gone, gone},
		{io.ErrUnexpectedEOF, errIncompleteBody},
	} {
		body := io.MultiReader(bytes.NewReader(enc.encode(nil)[:70000]), iotest.ErrReader(tc.cause))
		cr, _ := NewChunkedReader(body, enc.header(), nil)
		if _, err := io.ReadAll(cr); !errors.Is(err, tc.want) {
			t.Errorf("body failing with %v: %v", tc.cause, err)
		}
	}
}

func TestStreamContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := StreamFrom(ctx); ok {
		t.Error("StreamFrom of a bare context is ok")
	}
	if _, ok := StreamFrom(WithStream(ctx, nil)); ok {
		t.Error("StreamFrom of a nil Stream is ok")
	}
	s, _ := sdkStream(t, StreamingSigned)
	if got, ok := StreamFrom(WithStream(ctx, s)); !ok || got != s {
		t.Errorf("StreamFrom = %p, %v; want %p", got, ok, s)
	}
}

// TestVerifyStreamOnlyForSignedChunks: a Stream comes back for the two signed
// modes and nothing else, and never with an error.
func TestVerifyStreamOnlyForSignedChunks(t *testing.T) {
	v := verifierAt(signTime.Add(time.Minute))
	for _, tc := range []struct {
		payload string
		stream  bool
	}{
		{StreamingSigned, true},
		{StreamingSignedTrailer, true},
		{StreamingUnsignedTrailer, false},
		{unsigned, false},
		{hashOf(""), false},
	} {
		r := signed{method: http.MethodPut, target: "/b/k", service: "s3", s3Path: true, payload: tc.payload,
			header: http.Header{"X-Amz-Content-Sha256": {tc.payload}}}.build(t, "http://s3.amazonaws.com")
		id, s, err := v.VerifyStream(r)
		if err != nil || (s != nil) != tc.stream || id.Service != "s3" {
			t.Errorf("%s: %+v, %v, %v", tc.payload, id, s, err)
		}
	}
	r := signed{method: http.MethodPut, target: "/b/k", service: "s3", s3Path: true, payload: StreamingSigned, secret: "wrong",
		header: http.Header{"X-Amz-Content-Sha256": {StreamingSigned}}}.build(t, "http://s3.amazonaws.com")
	if _, s, err := v.VerifyStream(r); s != nil || !errors.Is(err, BadSignature) {
		t.Errorf("wrong secret: %v, %v", s, err)
	}
}

// TestChunkedOverTheWire uploads through Go's client and server: aws-sdk-go-v2 signs
// the seed, its StreamSigner the chunks, and the server verifies and decodes as the
// edge and the S3 service will. The unsigned body goes without a Content-Length,
// in HTTP chunked encoding, as botocore sends it.
func TestChunkedOverTheWire(t *testing.T) {
	v := verifierAt(signTime.Add(time.Minute))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, s, err := v.VerifyStream(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		ctx := WithStream(r.Context(), s) // what the edge does
		s, _ = StreamFrom(ctx)            // what the S3 service does
		cr, err := NewChunkedReader(r.Body, r.Header, s)
		if err != nil {
			http.Error(w, err.Error(), awsproto.As(err).Status)
			return
		}
		h := sha256.New()
		if _, err := io.Copy(h, cr); err != nil {
			http.Error(w, err.Error(), awsproto.As(err).Status)
			return
		}
		w.Header().Set("X-Payload-Sha256", hex.EncodeToString(h.Sum(nil)))
		w.Header().Set("X-Trailer", cr.Trailer().Get("X-Amz-Checksum-Crc32"))
	}))
	defer srv.Close()

	payload := big + fill('q', 100000) + "end"
	for _, mode := range []string{StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer} {
		t.Run(mode, func(t *testing.T) {
			enc := encoding{mode: mode, chunks: []string{payload[:64<<10], payload[64<<10 : 128<<10], payload[128<<10:]}}
			if mode != StreamingSigned {
				enc.trailers = []string{crc}
			}
			header := enc.header()
			header.Set("Content-Encoding", "aws-chunked")
			// The seed is over the request's own headers; the body is encoded from it.
			var body bytes.Buffer
			r := signed{method: http.MethodPut, target: "/bucket/key?x-id=PutObject", service: "s3", s3Path: true,
				payload: mode, header: header}.build(t, srv.URL)
			if signsChunks(mode) {
				_, s, err := v.VerifyStream(r.Clone(context.Background()))
				if err != nil {
					t.Fatal(err)
				}
				body.Write(enc.encode(newChain(t, s)))
			} else {
				body.Write(enc.encode(nil))
			}
			r.Body = io.NopCloser(&body)
			r.ContentLength = int64(body.Len())
			if mode == StreamingUnsignedTrailer {
				r.ContentLength = -1
				r.Body = io.NopCloser(struct{ io.Reader }{&body}) // hides the length from the transport
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, msg)
			}
			if got := resp.Header.Get("X-Payload-Sha256"); got != hashOf(payload) {
				t.Errorf("the server decoded a payload hashing to %s", got)
			}
			if mode != StreamingSigned && resp.Header.Get("X-Trailer") != "NSRBwg==" {
				t.Errorf("trailer = %q", resp.Header.Get("X-Trailer"))
			}
		})
	}
}

// TestChunkedReaderAllocs guards the hot path: decoding allocates per body, not per
// chunk or per Read.
func TestChunkedReaderAllocs(t *testing.T) {
	for _, mode := range []string{StreamingSigned, StreamingUnsignedTrailer} {
		s, _ := sdkStream(t, StreamingSigned)
		if mode != StreamingSigned {
			s = nil
		}
		allocs := func(n int) float64 {
			enc := encoding{mode: mode, chunks: slices.Repeat([]string{big}, n)}
			var c *chain
			if s != nil {
				c = newChain(t, s) // each body's signatures chain from the seed anew
			}
			body, h := enc.encode(c), enc.header()
			buf := make([]byte, 32<<10)
			return testing.AllocsPerRun(5, func() {
				cr, _ := NewChunkedReader(bytes.NewReader(body), h, s)
				for {
					if _, err := cr.Read(buf); err != nil {
						if err != io.EOF {
							t.Fatal(err)
						}
						return
					}
				}
			})
		}
		if few, many := allocs(2), allocs(32); many != few {
			t.Errorf("%s: %v allocations for 2 chunks, %v for 32", mode, few, many)
		}
	}
}

// manyTrailers returns n distinct trailer lines, sorted by name.
func manyTrailers(n int) []string {
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf("x-amz-meta-%02d:v", i))
	}
	return lines
}
