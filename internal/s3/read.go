package s3

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// ReadObject returns the bytes of one object, for another service of this
// server that takes its input from S3 (Lambda's Code.S3Bucket/S3Key). versionID
// "" reads the latest version. The object is read as GetObject reads it, through
// the same path: a delete marker as the latest version is NoSuchKey, a named
// version that is not there NoSuchVersion, a version id in a bucket never
// versioned InvalidArgument, an archived object InvalidObjectState.
//
// S3's errors are returned as the *awsproto.Error GetObject would answer
// (Code NoSuchBucket, NoSuchKey, NoSuchVersion...), so a caller can quote S3's
// code and message. An object larger than max bytes is not read: the error then
// has a method TooLarge() bool that returns true, which a caller tests by
// behaviour with errors.As, since services do not import each other. Other
// errors are the store's own failures. Bucket policies and ACLs are not
// consulted: every bucket belongs to the server's one account, whose services
// these callers are.
func (s *Service) ReadObject(ctx context.Context, bucket, key, versionID string, max int64) ([]byte, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if versionID != "" {
		q.Set("versionId", versionID)
	}
	// The read path works on a call; this one has no client, so the headers it
	// sets for an answer (x-amz-delete-marker...) go nowhere.
	c := &call{w: headerSink{}, r: r, bucket: bucket, key: key, q: q}
	b, err := s.bucket(c)
	if err != nil {
		return nil, err
	}
	o, err := s.version(c, &b, http.MethodGet)
	if err != nil {
		return nil, err
	}
	if archived(o.StorageClass) {
		return nil, s3err(http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class").With(field("StorageClass", o.StorageClass))
	}
	if o.Size > max {
		return nil, &tooLargeError{bucket: bucket, key: key, size: o.Size, max: max}
	}
	buf := bytes.NewBuffer(make([]byte, 0, o.Size))
	if err := s.copySegments(c, &o, 0, o.Size, buf); err != nil {
		return nil, fmt.Errorf("s3: read %s/%s: %w", bucket, key, err)
	}
	return buf.Bytes(), nil
}

// tooLargeError is ReadObject's error for an object over the caller's limit.
type tooLargeError struct {
	bucket, key string
	size, max   int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("s3: object %s/%s is %d bytes, more than %d", e.bucket, e.key, e.size, e.max)
}

// TooLarge reports that the object was over the limit (always true).
func (e *tooLargeError) TooLarge() bool { return true }

// headerSink is the ResponseWriter of a call no client will see: it keeps the
// headers the read path sets and drops everything else.
type headerSink map[string][]string

func (h headerSink) Header() http.Header       { return http.Header(h) }
func (headerSink) Write(p []byte) (int, error) { return len(p), nil }
func (headerSink) WriteHeader(int)             {}
