package s3

import (
	"encoding/xml"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// versioningConfiguration is PutBucketVersioning's body and
// GetBucketVersioning's answer.
type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	xmlns
	Status    string `xml:"Status,omitempty"`
	MfaDelete string `xml:"MfaDelete,omitempty"`
}

// errMFARequired is S3's answer to enabling MFA delete without an MFA token.
var errMFARequired = s3err(http.StatusForbidden, "AccessDenied", "Mfa Authentication must be used for this request")

// getBucketVersioning is GetBucketVersioning: the bucket's state, and an empty
// document for a bucket never versioned.
func (s *Service) getBucketVersioning(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	awsproto.WriteXML(c.w, http.StatusOK, versioningConfiguration{xmlns: ns(), Status: b.Versioning})
	return nil
}

// parseVersioning decodes PutBucketVersioning's body: Status Enabled or
// Suspended, MfaDelete Disabled (or left out). MFA delete cannot be enabled
// here: without an MFA token S3 refuses it (AccessDenied), with one it is a
// feature Stratus does not have (NotImplemented).
func parseVersioning(body []byte, mfa string) (string, error) {
	var v versioningConfiguration
	if err := decodeXML(body, &v); err != nil {
		return "", err
	}
	switch v.MfaDelete {
	case "", "Disabled":
	case "Enabled":
		if mfa == "" {
			return "", errMFARequired
		}
		return "", errNotImplemented.With(field("Header", "x-amz-mfa"))
	default:
		return "", errMalformedXML
	}
	switch v.Status {
	case objstore.VersioningEnabled, objstore.VersioningSuspended:
		return v.Status, nil
	}
	return "", errMalformedXML
}

// putBucketVersioning is PutBucketVersioning.
func (s *Service) putBucketVersioning(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	status, err := parseVersioning(body, c.r.Header.Get("X-Amz-Mfa"))
	if err != nil {
		return err
	}
	if err := s.updateBucket(c, func(b *objstore.Bucket) error {
		b.Versioning = status
		return nil
	}); err != nil {
		return err
	}
	return ok(c)
}
