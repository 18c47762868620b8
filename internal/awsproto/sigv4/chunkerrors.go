package sigv4

import (
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// S3's errors for aws-chunked bodies, in S3's codes and statuses. S3's error-code
// list (Amazon S3 API Reference, "Error responses") words few of these cases; the
// rest are worded as S3 answers them according to versitygw, whose integration
// tests pin S3's responses (versity/versitygw s3err/s3err.go and
// tests/integration), which says so at each. chunked_test.go pins every one.
//
// They are shared values: callers must not modify them (awsproto.Error.With, where
// it exists, copies).
var (
	// errIncompleteBody is any framing fault: a body that ends early, a chunk size
	// that is not hex, a missing CRLF, a header line too long, a chunk larger than
	// maxChunkSize, bytes after the last chunk. The code is the one S3 answers every
	// such body with (versitygw's UnsignedStreamingPayloadTrailer_incomplete_body and
	// SignedStreamingPayloadTrailer_incomplete_body); the words are versitygw's
	// ErrIncompleteBody.
	errIncompleteBody = &awsproto.Error{Code: "IncompleteBody", Status: http.StatusBadRequest,
		Message: "The request body terminated unexpectedly"}

	// errLengthMismatch: the chunks do not add up to x-amz-decoded-content-length.
	// S3's error list gives these words to IncompleteBody (without the final period
	// here, as in the S3 service's own catalogue and versitygw's
	// ErrContentLengthMismatch).
	errLengthMismatch = &awsproto.Error{Code: "IncompleteBody", Status: http.StatusBadRequest,
		Message: "You did not provide the number of bytes specified by the Content-Length HTTP header"}

	// errMalformedTrailer: a trailer announced in x-amz-trailer is missing, one is
	// sent that was not announced, or a trailer line is not "name:value". S3's code
	// and words as versitygw's ErrMalformedTrailer has them (its
	// *_malformed_trailer tests); MinIO's catalogue words it the same.
	errMalformedTrailer = &awsproto.Error{Code: "MalformedTrailerError", Status: http.StatusBadRequest,
		Message: "The request contained trailing data that was not well-formed or did not conform to our published schema."}

	// errMissingDecodedLength: no x-amz-decoded-content-length, or not a number.
	// S3's error list words MissingContentLength so; that S3 answers a missing or
	// bad x-amz-decoded-content-length with it is versitygw's
	// UnsignedStreamingPayloadTrailer_missing_invalid_dec_content_length.
	errMissingDecodedLength = &awsproto.Error{Code: "MissingContentLength", Status: http.StatusLengthRequired,
		Message: "You must provide the Content-Length HTTP header."}

	// errSigV4a: a STREAMING-AWS4-ECDSA-P256-SHA256-* body. S3's NotImplemented,
	// worded as S3 sends it (no final period, unlike its error list).
	errSigV4a = &awsproto.Error{Code: "NotImplemented", Status: http.StatusNotImplemented,
		Message: "A header you provided implies functionality that is not implemented"}

	// errBadContentSHA256: an x-amz-content-sha256 that is no mode at all. S3's
	// words as versitygw's ErrInvalidSHA256Paylod quotes them.
	errBadContentSHA256 = &awsproto.Error{Code: "InvalidArgument", Status: http.StatusBadRequest,
		Message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, " +
			"STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, " +
			"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER " +
			"or a valid sha256 value."}
)

// errChunkSignature is a chunk or trailer signature that does not match: S3's
// SignatureDoesNotMatch (its error list's words), as a BadSignature VerifyError so
// that errors.Is(err, BadSignature) holds as it does for the seed signature.
func errChunkSignature() *VerifyError {
	return &VerifyError{Failure: BadSignature, Err: &awsproto.Error{Code: "SignatureDoesNotMatch", Status: http.StatusForbidden,
		Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."}}
}

// ChunkSizeError is S3's InvalidChunkSizeError: a chunk other than the last was
// smaller than 8 KiB. S3 sends it as 403 (aws/aws-sdk-cpp issue #2727 shows S3's
// response) with two more elements in the error body: <Chunk>, the number of the
// chunk that followed the short one (S3 counts so: versitygw issues #1665 and #1683
// show S3's responses), and <BadChunkSize>, the short chunk's size. Err is what to
// render; Unwrap returns it, so awsproto.As finds it.
type ChunkSizeError struct {
	Err          *awsproto.Error
	Chunk        int
	BadChunkSize int64
}

func (e *ChunkSizeError) Error() string {
	return fmt.Sprintf("%s (chunk %d, bad chunk size %d)", e.Err.Error(), e.Chunk, e.BadChunkSize)
}

// Unwrap returns the *awsproto.Error to render.
func (e *ChunkSizeError) Unwrap() error { return e.Err }

func errChunkSize(chunk int, size int64) *ChunkSizeError {
	return &ChunkSizeError{Chunk: chunk, BadChunkSize: size, Err: &awsproto.Error{Code: "InvalidChunkSizeError",
		Status: http.StatusForbidden, Message: "Only the last chunk is allowed to have a size less than 8192 bytes"}}
}
