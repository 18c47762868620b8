package s3

import (
	"context"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Bucket operations, configuration, CORS, notifications and lifecycle, to be
// written. Each stub is replaced by its handler in a file of its own.

// buckets caches parsed bucket configuration.
type buckets struct{}

func (s *Service) startBackground(ctx context.Context) error { return nil }

// events returns the store callback that turns a write's changes into
// notification records for the bucket's configuration; created names the
// ObjectCreated event of a put ("Put", "Post", "Copy", "CompleteMultipartUpload"),
// and removals are named from each Change's kind.
func (s *Service) events(c *call, b *objstore.Bucket, created string) objstore.Events { return nil }

func (s *Service) preflight(c *call) error { return errNotImplemented }
func (s *Service) applyCORS(c *call)       {}

func (s *Service) listBuckets(c *call) error           { return errNotImplemented }
func (s *Service) createBucket(c *call) error          { return errNotImplemented }
func (s *Service) headBucket(c *call) error            { return errNotImplemented }
func (s *Service) deleteBucket(c *call) error          { return errNotImplemented }
func (s *Service) getBucketLocation(c *call) error     { return errNotImplemented }
func (s *Service) getBucketVersioning(c *call) error   { return errNotImplemented }
func (s *Service) putBucketVersioning(c *call) error   { return errNotImplemented }
func (s *Service) getBucketTagging(c *call) error      { return errNotImplemented }
func (s *Service) putBucketTagging(c *call) error      { return errNotImplemented }
func (s *Service) deleteBucketTagging(c *call) error   { return errNotImplemented }
func (s *Service) getBucketCors(c *call) error         { return errNotImplemented }
func (s *Service) putBucketCors(c *call) error         { return errNotImplemented }
func (s *Service) deleteBucketCors(c *call) error      { return errNotImplemented }
func (s *Service) getBucketPolicy(c *call) error       { return errNotImplemented }
func (s *Service) putBucketPolicy(c *call) error       { return errNotImplemented }
func (s *Service) deleteBucketPolicy(c *call) error    { return errNotImplemented }
func (s *Service) getBucketLifecycle(c *call) error    { return errNotImplemented }
func (s *Service) putBucketLifecycle(c *call) error    { return errNotImplemented }
func (s *Service) deleteBucketLifecycle(c *call) error { return errNotImplemented }
func (s *Service) getBucketNotification(c *call) error { return errNotImplemented }
func (s *Service) putBucketNotification(c *call) error { return errNotImplemented }
func (s *Service) getBucketACL(c *call) error          { return errNotImplemented }
func (s *Service) putBucketACL(c *call) error          { return errNotImplemented }
