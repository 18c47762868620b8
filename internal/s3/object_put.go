package s3

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// maxMetadataSize is S3's limit on user metadata: the UTF-8 bytes of every
// x-amz-meta-* name (without the prefix) and value, summed.
const maxMetadataSize = 2 << 10

// storageClasses are the classes S3 takes on a write (OUTPOSTS is S3 on
// Outposts' own); "" and STANDARD are stored as "".
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "GLACIER_IR": true,
	"SNOW": true, "EXPRESS_ONEZONE": true,
}

// archived reports whether a storage class keeps objects that GetObject refuses
// until restored (Stratus does not restore).
func archived(class string) bool { return class == "GLACIER" || class == "DEEP_ARCHIVE" }

// objectFromHeaders returns the object a write's headers describe: the standard
// headers (Content-Type defaulting to binary/octet-stream, Content-Encoding
// without aws-chunked), x-amz-meta-*, x-amz-tagging, x-amz-storage-class and
// x-amz-website-redirect-location, each checked as S3 checks it.
func objectFromHeaders(h http.Header) (objstore.Object, error) {
	o := objstore.Object{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(h.Values("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
		WebsiteRedirect:    h.Get("X-Amz-Website-Redirect-Location"),
	}
	if o.ContentType == "" {
		o.ContentType = "binary/octet-stream"
	}
	md, err := metadataFromHeaders(h)
	if err != nil {
		return o, err
	}
	o.Metadata = md
	if sc := h.Get("X-Amz-Storage-Class"); sc != "" {
		if !storageClasses[sc] {
			return o, s3err(http.StatusBadRequest, "InvalidStorageClass", "The storage class you specified is not valid").With(field("StorageClassRequested", sc))
		}
		if sc != "STANDARD" {
			o.StorageClass = sc
		}
	}
	if err := checkRedirect(o.WebsiteRedirect); err != nil {
		return o, err
	}
	if v, ok := h["X-Amz-Tagging"]; ok {
		if o.Tags, err = parseTaggingHeader(v[0]); err != nil {
			return o, err
		}
	}
	return o, nil
}

// checkRedirect applies S3's rule to x-amz-website-redirect-location.
func checkRedirect(v string) error {
	if v == "" || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return nil
	}
	return invalidArgument("The website redirect location must have a prefix of 'http://' or 'https://' or '/'.", "x-amz-website-redirect-location", v)
}

// metadataFromHeaders returns the x-amz-meta-* headers, names lower-cased
// without the prefix, repeated values joined with commas; MetadataTooLarge past
// 2 KB.
func metadataFromHeaders(h http.Header) (map[string]string, error) {
	var md map[string]string
	size := 0
	for k, vs := range h {
		name, ok := strings.CutPrefix(k, "X-Amz-Meta-")
		if !ok {
			continue
		}
		if md == nil {
			md = map[string]string{}
		}
		name = strings.ToLower(name)
		v := strings.Join(vs, ",")
		md[name] = v
		size += len(name) + len(v)
	}
	if size > maxMetadataSize {
		return nil, s3err(http.StatusBadRequest, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.").
			With(field("Size", itoa(size)), field("MaxSizeAllowed", itoa(maxMetadataSize)))
	}
	return md, nil
}

// stripAWSChunked returns Content-Encoding without the aws-chunked coding, which
// describes the request body only.
func stripAWSChunked(values []string) string {
	var keep []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
				keep = append(keep, e)
			}
		}
	}
	return strings.Join(keep, ",")
}

// writeCondition reads the conditional write headers (If-None-Match: * and
// If-Match: etag) as PutObject, CopyObject and CompleteMultipartUpload take
// them; S3 implements no other form.
func writeCondition(h http.Header) (objstore.Condition, error) {
	inm, im := h.Get("If-None-Match"), h.Get("If-Match")
	notImplemented := func(header, msg string) error {
		return errNotImplemented.With(field("Header", header), field("additionalMessage", msg))
	}
	switch {
	case inm != "" && im != "":
		return objstore.Condition{}, notImplemented("If-Match,If-None-Match", "Multiple conditional request headers present in the request")
	case inm != "" && strings.TrimSpace(inm) != "*":
		return objstore.Condition{}, notImplemented("If-None-Match", "We don't accept the provided value of If-None-Match header for this API")
	case im != "" && strings.TrimSpace(im) == "*":
		return objstore.Condition{}, notImplemented("If-Match", "We don't accept the provided value of If-Match header for this API")
	}
	return objstore.Condition{IfNoneMatch: strings.TrimSpace(inm), IfMatch: unquote(im)}, nil
}

// unquote returns an entity tag without its quotes (and W/ prefix).
func unquote(etag string) string {
	etag = strings.TrimSpace(etag)
	etag = strings.TrimPrefix(etag, "W/")
	return strings.Trim(etag, `"`)
}

// conditionError is S3's error for a write condition that does not hold on the
// key's current object cur (nil when the key has none, or a delete marker).
func conditionError(cond objstore.Condition, key string, cur *objstore.Object) error {
	switch {
	case cond.IfNoneMatch == "*" && cur != nil:
		return errPrecondition.With(field("Condition", "If-None-Match"))
	case cond.IfMatch != "" && cur == nil:
		return noSuchKey(key)
	case cond.IfMatch != "" && cur.ETag != cond.IfMatch:
		return errPrecondition.With(field("Condition", "If-Match"))
	}
	return nil
}

// current returns the key's current object, or nil when it has none or its
// latest version is a delete marker.
func (s *Service) current(c *call, bucket, key string) (*objstore.Object, error) {
	o, err := s.Store.Get(c.r.Context(), bucket, key, "")
	switch {
	case errors.Is(err, objstore.ErrNoSuchKey):
		return nil, nil
	case err != nil:
		return nil, storeError(err, bucket, key)
	case o.DeleteMarker:
		return nil, nil
	}
	return &o, nil
}

// checkCondition fails early, before a body is read, when cond already does not
// hold; the store checks it again atomically with the write.
func (s *Service) checkCondition(c *call, bucket, key string, cond objstore.Condition) error {
	if cond == (objstore.Condition{}) {
		return nil
	}
	cur, err := s.current(c, bucket, key)
	if err != nil {
		return err
	}
	return conditionError(cond, key, cur)
}

// writeError turns a store write's failure into S3's: a condition that failed
// at commit is told apart (PreconditionFailed or NoSuchKey) by looking again.
func (s *Service) writeError(c *call, err error, bucket, key string, cond objstore.Condition) error {
	if cond.IfMatch != "" && errors.Is(err, objstore.ErrNoSuchKey) {
		return noSuchKey(key)
	}
	if errors.Is(err, objstore.ErrPreconditionFailed) {
		cur, gerr := s.current(c, bucket, key)
		if gerr == nil {
			if e := conditionError(cond, key, cur); e != nil {
				return e
			}
		}
		return errPrecondition
	}
	return storeError(err, bucket, key)
}

func (s *Service) putObject(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	o, err := objectFromHeaders(c.r.Header)
	if err != nil {
		return err
	}
	cond, err := writeCondition(c.r.Header)
	if err != nil {
		return err
	}
	md5sum, _, err := parseContentMD5(c.r.Header)
	if err != nil {
		return err
	}
	claim, err := parseChecksumClaim(c.r.Header)
	if err != nil {
		return err
	}
	if err := s.checkCondition(c, c.bucket, c.key, cond); err != nil {
		return err
	}
	// The object keeps the checksum the client sent, or CRC64NVME, which S3
	// computes for every object written without one.
	algo := claim.algo
	if algo == "" {
		algo = algoCRC64NVME
	}
	p, err := s.receive(c, receiveSpec{Max: maxPutSize, Store: algo, Claim: claim, MD5: md5sum})
	if err != nil {
		return err
	}
	o.Key, o.Size, o.ETag, o.Data = c.key, p.Size, p.ETag(), p.Data
	o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = algo, p.Checksum, typeFullObject
	stored, err := s.Store.Put(c.r.Context(), c.bucket, o, cond, s.events(c, &b, "Put"))
	if err != nil {
		return s.writeError(c, err, c.bucket, c.key, cond)
	}
	h := c.w.Header()
	h["Etag"] = []string{quote(stored.ETag)}
	s.newVersionHeader(c, &b, stored.VersionID)
	setChecksum(h, &stored, "")
	s.setExpiration(h, &b, &stored)
	h["X-Amz-Server-Side-Encryption"] = []string{"AES256"}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// setExpiration sets x-amz-expiration when a lifecycle rule of b will expire o.
func (s *Service) setExpiration(h http.Header, b *objstore.Bucket, o *objstore.Object) {
	if v := s.expiration(b, o); v != "" {
		h["X-Amz-Expiration"] = []string{v}
	}
}

// newVersionHeader sets x-amz-version-id on the answer of a write that made
// version id: S3 names it while versioning is enabled.
func (s *Service) newVersionHeader(c *call, b *objstore.Bucket, id string) {
	if b.Versioning == objstore.VersioningEnabled && id != "" {
		c.w.Header()["X-Amz-Version-Id"] = []string{id}
	}
}

// versionHeader sets x-amz-version-id on the answer about an existing version:
// S3 names it in any bucket that versioning was ever enabled on.
func (s *Service) versionHeader(c *call, b *objstore.Bucket, id string) {
	if b.Versioning != "" && id != "" {
		c.w.Header()["X-Amz-Version-Id"] = []string{id}
	}
}

// setChecksum sets x-amz-checksum-{algo} and x-amz-checksum-type for o's
// checksum, or for value when it is not "" (a part's).
func setChecksum(h http.Header, o *objstore.Object, value string) {
	if o.ChecksumAlgorithm == "" {
		return
	}
	if value == "" {
		value = o.Checksum
	}
	if value == "" {
		return
	}
	h[checksumHeader(o.ChecksumAlgorithm)] = []string{value}
	if o.ChecksumType != "" {
		h["X-Amz-Checksum-Type"] = []string{o.ChecksumType}
	}
}

// setMetadata writes user metadata as x-amz-meta-* headers, in name order.
func setMetadata(h http.Header, md map[string]string) {
	names := make([]string, 0, len(md))
	for k := range md {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := md[k]
		if !utf8.ValidString(v) || !isHeaderSafe(v) {
			v = encodeRFC2047(v)
		}
		h["X-Amz-Meta-"+k] = []string{v}
	}
}

// isHeaderSafe reports whether v can be sent as a header value as is: printable
// ASCII and tabs.
func isHeaderSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '\t' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	return true
}

// encodeRFC2047 is how S3 sends metadata that is not ASCII: an RFC 2047
// encoded-word of its UTF-8 (base64, "B" encoding).
func encodeRFC2047(v string) string {
	return "=?UTF-8?B?" + b64(v) + "?="
}

// asError returns err's *awsproto.Error, or nil.
func asError(err error) *awsproto.Error {
	var ae *awsproto.Error
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}
