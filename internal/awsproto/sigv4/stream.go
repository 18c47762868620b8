package sigv4

import (
	"context"
	"net/http"
	"strings"
)

// The x-amz-content-sha256 values that announce an aws-chunked body (S3 API
// Reference, "Authenticating Requests: Using the Authorization Header").
const (
	// StreamingSigned: every chunk carries a chunk-signature chained from the seed.
	StreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingSignedTrailer: signed chunks, then trailing headers signed by
	// x-amz-trailer-signature.
	StreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// StreamingUnsignedTrailer: plain chunks, then trailing headers (a checksum),
	// nothing signed past the headers. What aws-sdk-go-v2 and botocore send by
	// default over HTTPS.
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	// StreamingECDSA and StreamingECDSATrailer are SigV4a's; Stratus does not
	// implement them.
	StreamingECDSA        = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	StreamingECDSATrailer = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
)

// IsStreaming reports whether an x-amz-content-sha256 value announces an
// aws-chunked body: any STREAMING-* value, supported or not. Such a body is the
// payload only after NewChunkedReader decodes it, and NewChunkedReader is what
// refuses the values Stratus does not support.
func IsStreaming(contentSHA256 string) bool {
	return strings.HasPrefix(contentSHA256, "STREAMING-")
}

// signsChunks reports whether a mode puts a chunk-signature on every chunk.
func signsChunks(mode string) bool {
	return mode == StreamingSigned || mode == StreamingSignedTrailer
}

// Stream is what checking the chunk and trailer signatures of one verified
// streaming request takes: the request's signing key, its date and credential
// scope, and its seed signature (the Signature of its Authorization header).
// Only VerifyStream makes one; it is read-only, so one Stream may serve any
// number of readers.
type Stream struct {
	key   []byte // the SigV4 signing key of the request's scope
	date  string // X-Amz-Date, ISO-8601 basic, as it enters the strings to sign
	scope string // date/region/service/aws4_request
	seed  string // the seed signature, lowercase hex
}

// VerifyStream is Verify that also returns, for a request whose signed
// x-amz-content-sha256 is StreamingSigned or StreamingSignedTrailer, the Stream
// that NewChunkedReader needs to check the body's chunks. The Stream is nil for
// every other request, and whenever the error is not nil. Like Verify, it checks
// the seed signature only: the chunks are checked as the body is decoded.
func (v *Verifier) VerifyStream(r *http.Request) (Identity, *Stream, error) {
	var s *Stream
	id, err := v.verify(r, &s)
	if err != nil {
		return Identity{}, nil, err
	}
	return id, s, nil
}

type streamKey struct{}

// WithStream returns a copy of ctx that carries s, so the edge, which verifies a
// request, can hand the Stream to the service that decodes its body.
func WithStream(ctx context.Context, s *Stream) context.Context {
	return context.WithValue(ctx, streamKey{}, s)
}

// StreamFrom returns the Stream that WithStream put in ctx; ok is false when there
// is none, or it is nil.
func StreamFrom(ctx context.Context) (s *Stream, ok bool) {
	s, ok = ctx.Value(streamKey{}).(*Stream)
	return s, ok && s != nil
}
