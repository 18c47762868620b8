package s3

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// ACLs, as a bucket owner sees them on a private bucket: every bucket and object
// is its owner's, with FULL_CONTROL, and nothing else is granted. ACLs are never
// enforced here (every request is the owner's) and are stored nowhere.
//
// Object Ownership is BucketOwnerEnforced unless CreateBucket named another
// setting (x-amz-object-ownership), as in S3 since April 2023: ACLs are then
// disabled, and setting one other than what amounts to the owner's full control
// fails with AccessControlListNotSupported. A bucket created with ObjectWriter or
// BucketOwnerPreferred accepts any well-formed ACL, and still answers the
// owner's full control when asked.

// configOwnership is the Bucket.Config document holding a bucket's Object
// Ownership setting when it is not BucketOwnerEnforced.
const configOwnership = "ownership"

// Object Ownership settings.
const (
	ownershipEnforced     = "BucketOwnerEnforced"
	ownershipPreferred    = "BucketOwnerPreferred"
	ownershipObjectWriter = "ObjectWriter"
)

// Names of the ACL documents and headers.
const (
	cannedPrivate          = "private"
	cannedOwnerFullControl = "bucket-owner-full-control"
	permissionFullControl  = "FULL_CONTROL"
	xsiNamespace           = "http://www.w3.org/2001/XMLSchema-instance"
	granteeCanonicalUser   = "CanonicalUser"
	headerGrantPrefix      = "X-Amz-Grant-"
	headerACL              = "X-Amz-Acl"
	headerObjectOwnership  = "X-Amz-Object-Ownership"
)

// cannedACLs are the canned ACLs S3 knows, for buckets and objects.
var cannedACLs = map[string]bool{
	"private": true, "public-read": true, "public-read-write": true, "authenticated-read": true,
	"aws-exec-read": true, "bucket-owner-read": true, "bucket-owner-full-control": true, "log-delivery-write": true,
}

var (
	errACLNotSupported  = s3err(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	errACLWithOwnership = s3err(http.StatusBadRequest, "InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	errMalformedACL     = s3err(http.StatusBadRequest, "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema")
	errCannedAndGrants  = invalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
	errUnexpectedBody   = s3err(http.StatusBadRequest, "UnexpectedContent", "This request does not support content")
	errMissingACL       = s3err(http.StatusBadRequest, "MissingSecurityHeader", "Your request was missing a required header").With(field("MissingHeaderName", "x-amz-acl"))
)

// bucketOwnership returns the Object Ownership CreateBucket asks for.
func bucketOwnership(h http.Header) (string, error) {
	v, ok := h[headerObjectOwnership]
	if !ok || len(v) == 0 {
		return ownershipEnforced, nil
	}
	switch v[0] {
	case ownershipEnforced, ownershipPreferred, ownershipObjectWriter:
		return v[0], nil
	}
	return "", s3err(http.StatusBadRequest, "InvalidArgument", "Invalid x-amz-object-ownership header: "+v[0]).With(field("ArgumentName", "x-amz-object-ownership"))
}

// ownershipOf returns a bucket's Object Ownership setting.
func ownershipOf(b *objstore.Bucket) string {
	if v := b.Config[configOwnership]; len(v) > 0 {
		return string(v)
	}
	return ownershipEnforced
}

// aclHeaders returns the canned ACL and whether any x-amz-grant-* header was
// sent; InvalidArgument for a canned ACL S3 does not know.
func aclHeaders(h http.Header) (canned string, grants bool, err error) {
	canned = h.Get(headerACL)
	if canned != "" && !cannedACLs[canned] {
		return "", false, invalidArgument("", "x-amz-acl", canned)
	}
	for name := range h {
		if strings.HasPrefix(name, headerGrantPrefix) {
			grants = true
		}
	}
	if canned != "" && grants {
		return "", false, errCannedAndGrants
	}
	return canned, grants, nil
}

// checkBucketACLHeaders refuses what CreateBucket may not set: ACLs other than
// private on a bucket whose ACLs are disabled.
func checkBucketACLHeaders(h http.Header, ownership string) error {
	canned, grants, err := aclHeaders(h)
	if err != nil {
		return err
	}
	if ownership == ownershipEnforced && (grants || canned != "" && canned != cannedPrivate) {
		return errACLWithOwnership
	}
	return nil
}

// checkObjectACL checks the ACL headers of a request that writes an object
// (PutObject, CopyObject, CreateMultipartUpload, PostObject's acl field read
// into the header by the caller) against b's Object Ownership: when ACLs are
// disabled only bucket-owner-full-control, or no ACL, is accepted. The ACL is
// not kept.
func (s *Service) checkObjectACL(c *call, b *objstore.Bucket) error {
	canned, grants, err := aclHeaders(c.r.Header)
	if err != nil {
		return err
	}
	if ownershipOf(b) == ownershipEnforced && (grants || canned != "" && canned != cannedOwnerFullControl) {
		return errACLNotSupported
	}
	return nil
}

// accessControlPolicy is the ACL document S3 answers.
type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	xmlns
	Owner  owner   `xml:"Owner"`
	Grants []grant `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    granteeOut `xml:"Grantee"`
	Permission string     `xml:"Permission"`
}

type granteeOut struct {
	XSI         string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

// ownerACL is the ACL of everything here: the owner with FULL_CONTROL.
func (s *Service) ownerACL() accessControlPolicy {
	o := s.owner()
	return accessControlPolicy{xmlns: ns(), Owner: o, Grants: []grant{{
		Grantee:    granteeOut{XSI: xsiNamespace, Type: granteeCanonicalUser, ID: o.ID, DisplayName: o.DisplayName},
		Permission: permissionFullControl,
	}}}
}

// aclIn is an ACL document as a client sends it.
type aclIn struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	Grants *[]struct {
		Grantee struct {
			Type         string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
			ID           string `xml:"ID"`
			URI          string `xml:"URI"`
			EmailAddress string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

var grantPermissions = map[string]bool{"FULL_CONTROL": true, "WRITE": true, "WRITE_ACP": true, "READ": true, "READ_ACP": true}

// parseACL decodes an ACL body and reports whether it grants the owner full
// control and nothing else.
func (s *Service) parseACL(body []byte) (ownerOnly bool, err error) {
	var in aclIn
	if xml.Unmarshal(body, &in) != nil || in.Owner == nil || in.Grants == nil {
		return false, errMalformedACL
	}
	id := s.owner().ID
	ownerOnly = len(*in.Grants) > 0
	for _, g := range *in.Grants {
		if !grantPermissions[g.Permission] {
			return false, errMalformedACL
		}
		switch g.Grantee.Type {
		case "CanonicalUser", "Group", "AmazonCustomerByEmail":
		default:
			return false, errMalformedACL
		}
		if g.Grantee.Type != granteeCanonicalUser || g.Grantee.ID != id || g.Permission != permissionFullControl {
			ownerOnly = false
		}
	}
	return ownerOnly, nil
}

// putACL checks a PutBucketAcl or PutObjectAcl request: a canned ACL, grant
// headers or an ACL document, one kind only. With ACLs disabled only what
// amounts to the owner's full control is accepted (cannedOK for a canned ACL).
func (s *Service) putACL(c *call, b *objstore.Bucket, cannedOK func(string) bool) error {
	canned, grants, err := aclHeaders(c.r.Header)
	if err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	hasBody := len(strings.TrimSpace(string(body))) > 0
	enforced := ownershipOf(b) == ownershipEnforced
	switch {
	case hasBody && (canned != "" || grants):
		return errUnexpectedBody
	case hasBody:
		ownerOnly, err := s.parseACL(body)
		if err != nil {
			return err
		}
		if enforced && !ownerOnly {
			return errACLNotSupported
		}
	case canned != "":
		if enforced && !cannedOK(canned) {
			return errACLNotSupported
		}
	case grants:
		if enforced {
			return errACLNotSupported
		}
	default:
		return errMissingACL
	}
	return ok(c)
}

// getBucketACL is GetBucketAcl.
func (s *Service) getBucketACL(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	awsproto.WriteXML(c.w, http.StatusOK, s.ownerACL())
	return nil
}

// putBucketACL is PutBucketAcl: accepted and kept nowhere.
func (s *Service) putBucketACL(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	return s.putACL(c, &b, func(canned string) bool { return canned == cannedPrivate || canned == cannedOwnerFullControl })
}

// objectForACL returns the version an object ACL request names: NoSuchKey (or
// NoSuchVersion) when there is none, MethodNotAllowed for a delete marker named
// by its version.
func (s *Service) objectForACL(c *call) (objstore.Bucket, error) {
	b, err := s.bucket(c)
	if err != nil {
		return b, err
	}
	version := c.q.Get("versionId")
	o, err := s.Store.Get(c.r.Context(), c.bucket, c.key, version)
	if err != nil {
		return b, storeError(err, c.bucket, c.key)
	}
	if o.DeleteMarker {
		c.w.Header()["X-Amz-Delete-Marker"] = []string{"true"}
		if version == "" {
			return b, noSuchKey(c.key)
		}
		return b, errMethodNotAllowed.With(field("Method", c.r.Method), field("ResourceType", "DeleteMarker"))
	}
	if version != "" {
		c.w.Header()["X-Amz-Version-Id"] = []string{o.VersionID}
	}
	return b, nil
}

// getObjectACL is GetObjectAcl.
func (s *Service) getObjectACL(c *call) error {
	if _, err := s.objectForACL(c); err != nil {
		return err
	}
	awsproto.WriteXML(c.w, http.StatusOK, s.ownerACL())
	return nil
}

// putObjectACL is PutObjectAcl: accepted and kept nowhere.
func (s *Service) putObjectACL(c *call) error {
	b, err := s.objectForACL(c)
	if err != nil {
		return err
	}
	return s.putACL(c, &b, func(canned string) bool { return canned == cannedOwnerFullControl })
}
