package s3

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/awsproto/sigv4"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// S3's error catalogue: codes, statuses and messages as S3's error-code list
// (Amazon S3 API Reference, "Error responses") words them. Errors that name a
// resource are made by the functions below, which add the element S3 adds.
var (
	errAccessDenied      = s3err(http.StatusForbidden, "AccessDenied", "Access Denied")
	errBadDigest         = s3err(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
	errBucketExists      = s3err(http.StatusConflict, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	errBucketOwnedByYou  = s3err(http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
	errBucketNotEmpty    = s3err(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty")
	errEntityTooSmall    = s3err(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
	errEntityTooLarge    = s3err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
	errIncompleteBody    = s3err(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header")
	errInvalidBucketName = s3err(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.")
	errInvalidDigest     = s3err(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
	errInvalidPart       = s3err(http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	errInvalidPartOrder  = s3err(http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.")
	errInvalidRange      = s3err(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable")
	errInvalidURI        = s3err(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
	errKeyTooLong        = s3err(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
	errMalformedXML      = s3err(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	errMethodNotAllowed  = s3err(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	errMissingLength     = s3err(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
	errNoSuchUpload      = s3err(http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	errNoSuchVersion     = s3err(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.")
	errNoSuchTagSet      = s3err(http.StatusNotFound, "NoSuchTagSet", "The TagSet does not exist")
	errNoSuchCORS        = s3err(http.StatusNotFound, "NoSuchCORSConfiguration", "The CORS configuration does not exist")
	errNoSuchPolicy      = s3err(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist")
	errNoSuchLifecycle   = s3err(http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
	errNotImplemented    = s3err(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")
	errPrecondition      = s3err(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	errConflict          = s3err(http.StatusConflict, "ConditionalRequestConflict", "The conditional request cannot succeed due to a conflicting operation against this resource.")
	errInternal          = &awsproto.Error{Code: "InternalError", Status: http.StatusInternalServerError, Server: true, Message: "We encountered an internal error. Please try again."}
)

func s3err(status int, code, msg string) *awsproto.Error {
	return &awsproto.Error{Code: code, Status: status, Message: msg}
}

func field(name, value string) awsproto.Field { return awsproto.Field{Name: name, Value: value} }

func noSuchBucket(bucket string) *awsproto.Error {
	return s3err(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist").With(field("BucketName", bucket))
}

func noSuchKey(key string) *awsproto.Error {
	return s3err(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").With(field("Key", key))
}

// invalidArgument is S3's InvalidArgument, naming the argument and its value.
func invalidArgument(msg, name, value string) *awsproto.Error {
	return s3err(http.StatusBadRequest, "InvalidArgument", msg).With(field("ArgumentName", name), field("ArgumentValue", value))
}

func invalidRequest(msg string) *awsproto.Error {
	return s3err(http.StatusBadRequest, "InvalidRequest", msg)
}

// storeError turns a store sentinel into S3's error for bucket and key.
func storeError(err error, bucket, key string) error {
	switch {
	case errors.Is(err, objstore.ErrNoSuchBucket):
		return noSuchBucket(bucket)
	case errors.Is(err, objstore.ErrNoSuchKey):
		return noSuchKey(key)
	case errors.Is(err, objstore.ErrNoSuchVersion):
		return errNoSuchVersion.With(field("Key", key))
	case errors.Is(err, objstore.ErrNoSuchUpload):
		return errNoSuchUpload
	case errors.Is(err, objstore.ErrPreconditionFailed):
		return errPrecondition
	case errors.Is(err, objstore.ErrConflict):
		return errConflict
	case errors.Is(err, objstore.ErrBucketNotEmpty):
		return errBucketNotEmpty.With(field("BucketName", bucket))
	case errors.Is(err, objstore.ErrBucketExists):
		return errBucketOwnedByYou.With(field("BucketName", bucket))
	}
	return err
}

// s3Error maps the signature verifier's failures to S3's codes; other errors pass
// through unchanged.
func s3Error(r *http.Request, err error) error {
	var ve *sigv4.VerifyError
	if !errors.As(err, &ve) {
		return err
	}
	presigned := r.URL.Query().Has("X-Amz-Credential")
	switch ve.Failure {
	case sigv4.Missing:
		return errAccessDenied
	case sigv4.Incomplete:
		if presigned {
			return s3err(http.StatusBadRequest, "AuthorizationQueryParametersError", ve.Err.Message)
		}
		return s3err(http.StatusBadRequest, "AuthorizationHeaderMalformed", ve.Err.Message)
	case sigv4.Expired:
		if presigned {
			return s3err(http.StatusForbidden, "AccessDenied", "Request has expired")
		}
		return s3err(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
	case sigv4.UnknownKey:
		return s3err(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	case sigv4.BadSignature:
		return s3err(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	case sigv4.PayloadMismatch:
		return ve.Err // already S3's XAmzContentSHA256Mismatch
	}
	return err
}

// newHostID makes an x-amz-id-2 of S3's shape: base64 of random bytes.
func newHostID() string {
	var b [48]byte
	rand.Read(b[:]) //nolint:errcheck // never fails on Linux
	return base64.StdEncoding.EncodeToString(b[:])
}
