package lambda

import (
	"context"
	"errors"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// Objects reads code packages from S3 for Code.S3Bucket/S3Key/S3ObjectVersion
// (CreateFunction, UpdateFunctionCode) and Content.S3Bucket/S3Key
// (PublishLayerVersion). *s3.Service implements it.
type Objects interface {
	// ReadObject returns the bytes of bucket/key at versionID ("" for the
	// latest). It fails with S3's own error as an *awsproto.Error (its Code and
	// Message are quoted to the caller, as Lambda quotes S3), and, for an object
	// over max bytes, with an error that has a TooLarge() bool method returning
	// true.
	ReadObject(ctx context.Context, bucket, key, versionID string, max int64) ([]byte, error)
}

// maxUnzipped is Lambda's quota on a function's code and layers unzipped, in
// bytes (250 MB; AccountLimit.CodeSizeUnzipped).
const maxUnzipped = 262144000

// maxS3Code is the largest zip Lambda reads from S3. The 50 MB quota on a zip
// (AccountLimit.CodeSizeZipped) holds only for one uploaded directly; from S3
// the limit is the unzipped one, and a zip larger than that cannot unzip to
// less (but for a few bytes of headers), so it bounds what is read into memory.
const maxS3Code = maxUnzipped

var (
	errZipAndS3 = invalidParameter("Please do not provide other FunctionCode parameters when providing a ZipFile.")
	errS3NoKey  = invalidParameter("S3 Bucket and Key are required for uploading with S3 parameters.")
	errUnzipped = invalidParameter("Unzipped size must be smaller than 262144000 bytes")
)

// tooLarge is how Objects marks an object over the limit asked for.
type tooLarge interface{ TooLarge() bool }

// s3Code reads the zip that c names in S3, with Lambda's answers when it
// cannot: InvalidParameterValueException quoting S3's error code and message
// ("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error
// Message: The specified key does not exist."), and the unzipped-size error
// for an object too large to be a package. Without Objects every bucket is one
// that does not exist.
func (s *Service) s3Code(ctx context.Context, c *codeInput) ([]byte, error) {
	bucket, key, version := deref(c.S3Bucket), deref(c.S3Key), deref(c.S3ObjectVersion)
	if bucket == "" || key == "" {
		return nil, errS3NoKey
	}
	if s.Objects == nil {
		return nil, getObjectFailed("NoSuchBucket", "The specified bucket does not exist")
	}
	zip, err := s.Objects.ReadObject(ctx, bucket, key, version, maxS3Code)
	var ae *awsproto.Error
	var tl tooLarge
	switch {
	case err == nil:
		return zip, nil
	case errors.As(err, &tl) && tl.TooLarge():
		return nil, errUnzipped
	case errors.As(err, &ae):
		return nil, getObjectFailed(ae.Code, ae.Message)
	}
	return nil, err
}

// getObjectFailed is Lambda's error for a code package S3 would not give it.
func getObjectFailed(code, message string) *awsproto.Error {
	return invalidParameter("Error occurred while GetObject. S3 Error Code: " + code + ". S3 Error Message: " + message)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
