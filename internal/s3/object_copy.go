package s3

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// copySource is what x-amz-copy-source names.
type copySource struct {
	bucket, key, versionID string
}

// parseCopySource reads x-amz-copy-source: "bucket/key" with an optional
// "?versionId=", URL-encoded, with or without a leading slash.
func parseCopySource(v string) (copySource, error) {
	bad := invalidArgument("Invalid copy source object key", "x-amz-copy-source", "x-amz-copy-source")
	path, query, _ := strings.Cut(v, "?")
	// Clients encode a space as %20 or +; S3 takes both.
	path, err := url.PathUnescape(strings.ReplaceAll(path, "+", " "))
	if err != nil {
		return copySource{}, bad
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, ok := strings.Cut(path, "/")
	if !ok || bucket == "" || key == "" {
		return copySource{}, bad
	}
	src := copySource{bucket: bucket, key: key}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return copySource{}, bad
		}
		if vs, ok := q["versionId"]; ok {
			if vs[0] == "" {
				return copySource{}, invalidArgument("Version id cannot be the empty string", "versionId", "")
			}
			src.versionID = vs[0]
		}
	}
	if err := checkKey(src.key); err != nil {
		return copySource{}, err
	}
	return src, nil
}

// sourceObject returns the object a copy reads, with S3's errors for a copy
// source that is missing, a delete marker, or archived; the bucket is returned
// too.
func (s *Service) sourceObject(c *call, src copySource) (objstore.Object, objstore.Bucket, error) {
	ctx := c.r.Context()
	sb, err := s.Store.Bucket(ctx, src.bucket)
	if err != nil {
		return objstore.Object{}, sb, storeError(err, src.bucket, "")
	}
	if src.versionID != "" && sb.Versioning == "" && src.versionID != objstore.NullVersion {
		return objstore.Object{}, sb, invalidArgument("Invalid version id specified", "x-amz-copy-source", src.versionID)
	}
	o, err := s.Store.Get(ctx, src.bucket, src.key, src.versionID)
	switch {
	case src.versionID != "" && (errors.Is(err, objstore.ErrNoSuchVersion) || errors.Is(err, objstore.ErrNoSuchKey)):
		return o, sb, errNoSuchVersion.With(field("Key", src.key), field("VersionId", src.versionID))
	case err != nil:
		return o, sb, storeError(err, src.bucket, src.key)
	case o.DeleteMarker && src.versionID != "":
		return o, sb, invalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
	case o.DeleteMarker:
		return o, sb, noSuchKey(src.key)
	case archived(o.StorageClass):
		return o, sb, s3err(http.StatusForbidden, "InvalidObjectState", "Operation is not valid for the source object's storage class").With(field("StorageClass", o.StorageClass))
	}
	return o, sb, nil
}

// copyConditions applies x-amz-copy-source-if-* to the source as S3 does:
// If-Match (which, when it holds, outranks If-Unmodified-Since), If-Unmodified-
// Since, If-None-Match (which outranks If-Modified-Since), If-Modified-Since.
// Each failure is PreconditionFailed naming the header.
func copyConditions(h http.Header, o *objstore.Object, now time.Time) error {
	lm := o.LastModified.Truncate(time.Second)
	fail := func(name string) error { return errPrecondition.With(field("Condition", name)) }
	im := h.Get("X-Amz-Copy-Source-If-Match")
	if im != "" && !etagMatches(im, o.ETag) {
		return fail("x-amz-copy-source-If-Match")
	}
	if t, ok := parseHTTPTime(h.Get("X-Amz-Copy-Source-If-Unmodified-Since")); ok && im == "" && lm.After(t) {
		return fail("x-amz-copy-source-If-Unmodified-Since")
	}
	inm := h.Get("X-Amz-Copy-Source-If-None-Match")
	if inm != "" && etagMatches(inm, o.ETag) {
		return fail("x-amz-copy-source-If-None-Match")
	}
	if t, ok := parseHTTPTime(h.Get("X-Amz-Copy-Source-If-Modified-Since")); ok && inm == "" && !lm.After(t) && t.Before(now) {
		return fail("x-amz-copy-source-If-Modified-Since")
	}
	return nil
}

// directive reads x-amz-metadata-directive or x-amz-tagging-directive.
func directive(h http.Header, name, what string) (replace bool, err error) {
	switch v := h.Get(name); v {
	case "", "COPY":
		return false, nil
	case "REPLACE":
		return true, nil
	default:
		return false, invalidArgument("Unknown "+what+" directive.", strings.ToLower(name), v)
	}
}

// copyObjectResult is CopyObject's answer.
type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
	checksumsXML
}

// checksumsXML holds one checksum as S3's documents carry it.
type checksumsXML struct {
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// checksums returns algo's value in the XML form; typ may be "".
func checksums(algo, value, typ string) checksumsXML {
	x := checksumsXML{ChecksumType: typ}
	switch algo {
	case algoCRC32:
		x.ChecksumCRC32 = value
	case algoCRC32C:
		x.ChecksumCRC32C = value
	case algoCRC64NVME:
		x.ChecksumCRC64NVME = value
	case algoSHA1:
		x.ChecksumSHA1 = value
	case algoSHA256:
		x.ChecksumSHA256 = value
	}
	if value == "" {
		x.ChecksumType = ""
	}
	return x
}

func (s *Service) copyObject(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	h := c.r.Header
	src, err := parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	replaceMeta, err := directive(h, "X-Amz-Metadata-Directive", "metadata")
	if err != nil {
		return err
	}
	replaceTags, err := directive(h, "X-Amz-Tagging-Directive", "tagging")
	if err != nil {
		return err
	}
	cond, err := writeCondition(h)
	if err != nil {
		return err
	}
	algo := ""
	if v := h.Get("X-Amz-Checksum-Algorithm"); v != "" {
		var ok bool
		if algo, ok = parseAlgorithm(v); !ok {
			return errUnsupportedAlgorithm
		}
	}
	so, sb, err := s.sourceObject(c, src)
	if err != nil {
		return err
	}
	if err := copyConditions(h, &so, s.Now()); err != nil {
		return err
	}
	if so.Size > maxPutSize {
		return invalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
	}
	hdr, err := objectFromHeaders(h)
	if err != nil {
		return err
	}
	// Copying a key onto itself must change something; copying an older version
	// over it (restoring it) or changing its checksum algorithm does.
	if src.bucket == c.bucket && src.key == c.key && src.versionID == "" && !replaceMeta &&
		h.Get("X-Amz-Storage-Class") == "" && h.Get("X-Amz-Website-Redirect-Location") == "" &&
		h.Get("X-Amz-Server-Side-Encryption") == "" && h.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") == "" &&
		h.Get("X-Amz-Checksum-Algorithm") == "" {
		return invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	o := objstore.Object{
		Key:             c.key,
		StorageClass:    hdr.StorageClass,
		WebsiteRedirect: hdr.WebsiteRedirect,
	}
	if replaceMeta {
		o.ContentType, o.ContentEncoding, o.ContentDisposition = hdr.ContentType, hdr.ContentEncoding, hdr.ContentDisposition
		o.ContentLanguage, o.CacheControl, o.Expires, o.Metadata = hdr.ContentLanguage, hdr.CacheControl, hdr.Expires, hdr.Metadata
	} else {
		o.ContentType, o.ContentEncoding, o.ContentDisposition = so.ContentType, so.ContentEncoding, so.ContentDisposition
		o.ContentLanguage, o.CacheControl, o.Expires, o.Metadata = so.ContentLanguage, so.CacheControl, so.Expires, so.Metadata
	}
	if replaceTags {
		o.Tags = hdr.Tags
	} else {
		o.Tags = so.Tags
	}
	if algo == "" {
		algo = so.ChecksumAlgorithm
	}
	if algo == "" {
		algo = algoCRC64NVME
	}
	if err := s.checkCondition(c, c.bucket, c.key, cond); err != nil {
		return err
	}
	cp, err := s.copyData(c, &so, 0, so.Size, algo)
	if err != nil {
		return err
	}
	o.Size, o.ETag, o.Data = cp.size, cp.etag, cp.data
	o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = algo, cp.checksum, typeFullObject
	stored, err := s.Store.Put(c.r.Context(), c.bucket, o, cond, s.events(c, &b, "Copy"))
	if err != nil {
		return s.writeError(c, err, c.bucket, c.key, cond)
	}
	w := c.w.Header()
	if sb.Versioning != "" && so.VersionID != "" && so.VersionID != objstore.NullVersion {
		w["X-Amz-Copy-Source-Version-Id"] = []string{so.VersionID}
	}
	s.versionHeader(c, &b, stored.VersionID)
	s.setExpiration(w, &b, &stored)
	w["X-Amz-Server-Side-Encryption"] = []string{"AES256"}
	awsproto.WriteXML(c.w, http.StatusOK, &copyObjectResult{
		Xmlns:        awsproto.XMLNamespace,
		ETag:         quote(stored.ETag),
		LastModified: isoTime(stored.LastModified),
		checksumsXML: checksums(stored.ChecksumAlgorithm, stored.Checksum, stored.ChecksumType),
	})
	return nil
}

// copied is the data a copy made: its bytes, ETag and checksum.
type copied struct {
	data           objstore.Data
	size           int64
	etag, checksum string
}

// copyData returns length bytes of o from offset start as data for a new object
// or part, with their ETag and algo's checksum. A whole single-part object whose
// stored checksum is algo's shares its bytes (the store counts the names);
// anything else is streamed into new data, never held whole.
func (s *Service) copyData(c *call, o *objstore.Object, start, length int64, algo string) (copied, error) {
	if start == 0 && length == o.Size && len(o.Parts) == 0 && o.ChecksumAlgorithm == algo &&
		o.ChecksumType != typeComposite && o.Checksum != "" && !strings.Contains(o.ETag, "-") {
		return copied{data: o.Data, size: o.Size, etag: o.ETag, checksum: o.Checksum}, nil
	}
	r := &segmentReader{s: s, c: c, segs: o.Segments(), start: start, left: length}
	defer r.Close()
	p, err := s.write(c.r.Context(), r, receiveSpec{Max: maxPutSize, Store: algo, Size: length}, nil)
	if err != nil {
		return copied{}, err
	}
	return copied{data: p.Data, size: p.Size, etag: p.ETag(), checksum: p.Checksum}, nil
}

// segmentReader reads a span of an object's segments in order, opening each as
// it is reached.
type segmentReader struct {
	s           *Service
	c           *call
	segs        []objstore.Data
	start, left int64 // offset into segs[0], bytes left to read
	cur         io.ReadCloser
	curLeft     int64
}

func (r *segmentReader) Read(p []byte) (int, error) {
	for r.cur == nil || r.curLeft == 0 {
		if r.cur != nil {
			r.cur.Close()
			r.cur = nil
		}
		if r.left <= 0 || len(r.segs) == 0 {
			return 0, io.EOF
		}
		seg := r.segs[0]
		r.segs = r.segs[1:]
		if r.start >= seg.Size {
			r.start -= seg.Size
			continue
		}
		rc, err := r.s.Store.OpenData(r.c.r.Context(), seg, r.start)
		if err != nil {
			return 0, err
		}
		r.cur, r.curLeft = rc, min(seg.Size-r.start, r.left)
		r.start = 0
	}
	if int64(len(p)) > r.curLeft {
		p = p[:r.curLeft]
	}
	n, err := r.cur.Read(p)
	r.curLeft -= int64(n)
	r.left -= int64(n)
	if err == io.EOF {
		if r.curLeft > 0 {
			return n, io.ErrUnexpectedEOF
		}
		err = nil
	}
	return n, err
}

func (r *segmentReader) Close() error {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	return nil
}
