package s3

// Object operations, to be written (objects, listing, multipart). Each stub is
// replaced by its handler in a file of its own.

func (s *Service) listObjects(c *call) error          { return errNotImplemented }
func (s *Service) listObjectsV2(c *call) error        { return errNotImplemented }
func (s *Service) listObjectVersions(c *call) error   { return errNotImplemented }
func (s *Service) listMultipartUploads(c *call) error { return errNotImplemented }
func (s *Service) deleteObjects(c *call) error        { return errNotImplemented }
func (s *Service) postObject(c *call) error           { return errNotImplemented }
func (s *Service) getObjectTagging(c *call) error     { return errNotImplemented }
func (s *Service) putObjectTagging(c *call) error     { return errNotImplemented }
func (s *Service) deleteObjectTagging(c *call) error  { return errNotImplemented }
func (s *Service) getObjectACL(c *call) error         { return errNotImplemented }
func (s *Service) putObjectACL(c *call) error         { return errNotImplemented }
func (s *Service) getObjectAttributes(c *call) error  { return errNotImplemented }
func (s *Service) createMultipartUpload(c *call) error {
	return errNotImplemented
}
func (s *Service) uploadPart(c *call) error              { return errNotImplemented }
func (s *Service) uploadPartCopy(c *call) error          { return errNotImplemented }
func (s *Service) completeMultipartUpload(c *call) error { return errNotImplemented }
func (s *Service) abortMultipartUpload(c *call) error    { return errNotImplemented }
func (s *Service) listParts(c *call) error               { return errNotImplemented }
func (s *Service) copyObject(c *call) error              { return errNotImplemented }
func (s *Service) putObject(c *call) error               { return errNotImplemented }
func (s *Service) getObject(c *call) error               { return errNotImplemented }
func (s *Service) headObject(c *call) error              { return errNotImplemented }
func (s *Service) deleteObject(c *call) error            { return errNotImplemented }
