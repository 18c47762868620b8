package s3

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Tag limits (S3 User Guide, "Categorizing your storage using tags").
const (
	maxObjectTags  = 10
	maxBucketTags  = 50
	maxTagKeyLen   = 128 // characters
	maxTagValueLen = 256
	maxTaggingBody = 64 << 10
)

// tagging is the Tagging document of object and bucket tagging.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  *tagSet  `xml:"TagSet"`
}

type tagSet struct {
	Tags []tagXML `xml:"Tag"`
}

type tagXML struct {
	Key   *string `xml:"Key"`
	Value *string `xml:"Value"`
}

// parseTagging decodes a Tagging document into tags in order: MalformedXML when
// it is not one, lacks its TagSet, or a Tag lacks its Key or Value.
func parseTagging(body []byte) ([]objstore.Tag, error) {
	var t tagging
	if err := xml.Unmarshal(body, &t); err != nil || t.XMLName.Local != "Tagging" || t.TagSet == nil {
		return nil, errMalformedXML
	}
	tags := make([]objstore.Tag, 0, len(t.TagSet.Tags))
	for _, x := range t.TagSet.Tags {
		if x.Key == nil || x.Value == nil {
			return nil, errMalformedXML
		}
		tags = append(tags, objstore.Tag{Key: *x.Key, Value: *x.Value})
	}
	return tags, nil
}

// encodeTagging returns the Tagging document of tags.
func encodeTagging(tags []objstore.Tag) []byte {
	t := tagging{Xmlns: awsproto.XMLNamespace, TagSet: &tagSet{Tags: make([]tagXML, len(tags))}}
	for i := range tags {
		t.TagSet.Tags[i] = tagXML{Key: &tags[i].Key, Value: &tags[i].Value}
	}
	b, _ := xml.Marshal(t)
	return b
}

// tagRune reports whether S3 takes r in a tag key or value: letters, digits,
// white space and _ . : / = + - @, in any script.
func tagRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || unicode.Is(unicode.Mn, r) ||
		strings.ContainsRune("_.:/=+-@", r)
}

func validTagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !tagRune(r) {
			return false
		}
	}
	return true
}

// validateTags applies S3's rules to an object's (bucket=false) or a bucket's tags.
func validateTags(tags []objstore.Tag, bucket bool) error {
	if !bucket && len(tags) > maxObjectTags {
		return s3err(http.StatusBadRequest, "BadRequest", "Object tags cannot be greater than 10")
	}
	if bucket && len(tags) > maxBucketTags {
		return s3err(http.StatusBadRequest, "BadRequest", "Bucket tag count cannot be greater than 50")
	}
	invalidTag := func(msg string, fields ...awsproto.Field) error {
		return s3err(http.StatusBadRequest, "InvalidTag", msg).With(fields...)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if seen[t.Key] {
			return invalidTag("Cannot provide multiple Tags with the same key", field("TagKey", t.Key))
		}
		seen[t.Key] = true
		if strings.HasPrefix(t.Key, "aws:") {
			if bucket {
				return invalidTag("System tags cannot be added/updated by requester", field("TagKey", t.Key))
			}
			return invalidTag("Your TagKey cannot be prefixed with aws:", field("TagKey", t.Key))
		}
		if n := utf8.RuneCountInString(t.Key); n == 0 || n > maxTagKeyLen || !validTagText(t.Key) {
			return invalidTag("The TagKey you have provided is invalid", field("TagKey", t.Key))
		}
		if utf8.RuneCountInString(t.Value) > maxTagValueLen || !validTagText(t.Value) {
			return invalidTag("The TagValue you have provided is invalid", field("TagKey", t.Key), field("TagValue", t.Value))
		}
	}
	return nil
}

// parseTaggingHeader decodes x-amz-tagging (URL query form, as PutObject,
// CreateMultipartUpload and CopyObject take it) into tags in order, and checks
// them as an object's.
func parseTaggingHeader(v string) ([]objstore.Tag, error) {
	bad := invalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.", "x-amz-tagging", v)
	var tags []objstore.Tag
	seen := map[string]bool{}
	for _, pair := range strings.Split(v, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		var err1, err2 error
		if k, err1 = url.QueryUnescape(k); err1 != nil {
			return nil, bad
		}
		if val, err2 = url.QueryUnescape(val); err2 != nil {
			return nil, bad
		}
		if seen[k] || !utf8.ValidString(k) || !utf8.ValidString(val) {
			return nil, bad
		}
		seen[k] = true
		tags = append(tags, objstore.Tag{Key: k, Value: val})
	}
	if err := validateTags(tags, false); err != nil {
		return nil, err
	}
	return tags, nil
}

// readTagging reads and checks a Tagging request body.
func (s *Service) readTagging(c *call, bucket bool) ([]objstore.Tag, error) {
	body, err := s.readDocument(c, maxTaggingBody, docOptional)
	if err != nil {
		return nil, err
	}
	tags, err := parseTagging(body)
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags, bucket); err != nil {
		return nil, err
	}
	return tags, nil
}

// taggingOut is the answer of Get*Tagging.
type taggingOut struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr"`
	TagSet  struct {
		Tags []objstore.Tag `xml:"Tag"`
	} `xml:"TagSet"`
}

func writeTagging(c *call, tags []objstore.Tag) {
	out := taggingOut{Xmlns: awsproto.XMLNamespace}
	out.TagSet.Tags = tags
	awsproto.WriteXML(c.w, http.StatusOK, &out)
}

func (s *Service) getObjectTagging(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	o, err := s.version(c, &b, http.MethodGet)
	if err != nil {
		// S3 names the key with its bucket here.
		if ae := awsproto.As(err); ae.Code == "NoSuchKey" {
			return noSuchKey(c.bucket + "/" + c.key)
		}
		return err
	}
	s.versionHeader(c, &b, o.VersionID)
	writeTagging(c, o.Tags)
	return nil
}

func (s *Service) putObjectTagging(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	tags, err := s.readTagging(c, false)
	if err != nil {
		return err
	}
	o, err := s.version(c, &b, http.MethodPut)
	if err != nil {
		return err
	}
	if _, err := s.Store.UpdateTags(c.r.Context(), c.bucket, c.key, o.VersionID, tags, s.events(c, &b, tagPut)); err != nil {
		return storeError(err, c.bucket, c.key)
	}
	s.versionHeader(c, &b, o.VersionID)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteObjectTagging(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	o, err := s.version(c, &b, http.MethodDelete)
	if err != nil {
		return err
	}
	if _, err := s.Store.UpdateTags(c.r.Context(), c.bucket, c.key, o.VersionID, nil, s.events(c, &b, tagDelete)); err != nil {
		return storeError(err, c.bucket, c.key)
	}
	s.versionHeader(c, &b, o.VersionID)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// Bucket tagging keeps the Tagging document in Bucket.Config[objstore.ConfigTagging].

func (s *Service) getBucketTagging(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	doc, ok := b.Config[objstore.ConfigTagging]
	if !ok {
		return errNoSuchTagSet.With(field("BucketName", c.bucket))
	}
	tags, err := parseTagging(doc)
	if err != nil {
		return err
	}
	writeTagging(c, tags)
	return nil
}

func (s *Service) putBucketTagging(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	tags, err := s.readTagging(c, true)
	if err != nil {
		return err
	}
	doc := encodeTagging(tags)
	err = s.Store.UpdateBucket(c.r.Context(), c.bucket, func(b *objstore.Bucket) error {
		if b.Config == nil {
			b.Config = map[string][]byte{}
		}
		b.Config[objstore.ConfigTagging] = doc
		return nil
	})
	if err != nil {
		return storeError(err, c.bucket, "")
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) deleteBucketTagging(c *call) error {
	err := s.Store.UpdateBucket(c.r.Context(), c.bucket, func(b *objstore.Bucket) error {
		delete(b.Config, objstore.ConfigTagging)
		return nil
	})
	if err != nil {
		return storeError(err, c.bucket, "")
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// How readDocument checks a body's integrity.
type docCheck int

const (
	docOptional docCheck = iota // Content-MD5 and a flexible checksum, when given
	docRequired                 // one of them must be given (DeleteObjects)
	docMD5Only                  // Content-MD5 only: the x-amz-checksum-* headers are not the body's
)

// readDocument reads a small XML request body (at most max bytes once decoded),
// aws-chunked or not, checking its integrity as check says; for docRequired,
// S3's InvalidRequest when neither Content-MD5 nor a checksum is given.
func (s *Service) readDocument(c *call, max int64, check docCheck) ([]byte, error) {
	md5sum, hasMD5, err := parseContentMD5(c.r.Header)
	if err != nil {
		return nil, err
	}
	var claim checksumClaim
	if check != docMD5Only {
		if claim, err = parseChecksumClaim(c.r.Header); err != nil {
			return nil, err
		}
	}
	if check == docRequired && !hasMD5 && claim.algo == "" {
		return nil, invalidRequest("Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
	}
	var buf bytes.Buffer
	err = s.check(c, &buf, receiveSpec{Max: max, Claim: claim, MD5: md5sum})
	if err != nil {
		var ae *awsproto.Error
		if errors.As(err, &ae) && ae.Code == "EntityTooLarge" {
			return nil, errMalformedXML
		}
		return nil, err
	}
	return buf.Bytes(), nil
}
