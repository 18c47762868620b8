package s3

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// version returns the version a request names (versionId, or the latest) for an
// operation by method, with S3's answers for what is not an object: NoSuchKey
// (with x-amz-delete-marker when the latest is a delete marker), NoSuchVersion,
// InvalidArgument for a version id in a bucket never versioned, and 405
// MethodNotAllowed for a delete marker named by version (or, for writes, the
// latest). The headers S3 sends with those errors are set on c.w.
func (s *Service) version(c *call, b *objstore.Bucket, method string) (objstore.Object, error) {
	vid, named := c.q["versionId"]
	id := ""
	if named {
		id = vid[0]
		if id == "" {
			return objstore.Object{}, invalidArgument("Version id cannot be the empty string", "versionId", "")
		}
		if b.Versioning == "" && id != objstore.NullVersion {
			return objstore.Object{}, invalidArgument("Invalid version id specified", "versionId", id)
		}
	}
	o, err := s.Store.Get(c.r.Context(), c.bucket, c.key, id)
	switch {
	case named && id == objstore.NullVersion && b.Versioning == "" && errors.Is(err, objstore.ErrNoSuchKey):
		return o, noSuchKey(c.key)
	case errors.Is(err, objstore.ErrNoSuchVersion) || (named && errors.Is(err, objstore.ErrNoSuchKey)):
		return o, errNoSuchVersion.With(field("Key", c.key), field("VersionId", id))
	case err != nil:
		return o, storeError(err, c.bucket, c.key)
	case !o.DeleteMarker:
		return o, nil
	}
	h := c.w.Header()
	h["X-Amz-Delete-Marker"] = []string{"true"}
	h["X-Amz-Version-Id"] = []string{o.VersionID}
	if !named && (method == http.MethodGet || method == http.MethodHead) {
		return o, noSuchKey(c.key)
	}
	h["Allow"] = []string{http.MethodDelete}
	return o, errMethodNotAllowed.With(field("Method", method), field("ResourceType", "DeleteMarker"))
}

func (s *Service) getObject(c *call) error  { return s.serveObject(c) }
func (s *Service) headObject(c *call) error { return s.serveObject(c) }

// responseOverrides are the GetObject query parameters that set an answer's
// header, in S3's order.
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

// serveObject answers GetObject and HeadObject.
func (s *Service) serveObject(c *call) error {
	head := c.r.Method == http.MethodHead
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	overrides := false
	for _, o := range responseOverrides {
		if c.q.Has(o.param) {
			overrides = true
		}
	}
	if overrides && !signed(c.r) {
		return invalidRequest("Request specific response headers cannot be used for anonymous GET requests.")
	}
	o, err := s.version(c, &b, c.r.Method)
	if err != nil {
		return err
	}
	if !head && archived(o.StorageClass) {
		return s3err(http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class").With(field("StorageClass", o.StorageClass))
	}
	h := c.w.Header()
	if err := readConditions(c.r.Header, &o, s.Now()); err != nil {
		if errors.Is(err, errNotModified) {
			h["Etag"] = []string{quote(o.ETag)}
			h["Last-Modified"] = []string{httpTime(o.LastModified)}
			s.versionHeader(c, &b, o.VersionID)
			c.w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return err
	}

	// What to send: the whole object, a range, or a part.
	start, length, status := int64(0), o.Size, http.StatusOK
	partChecksum := ""
	rangeHeader := c.r.Header.Get("Range")
	pn, hasPart := c.q["partNumber"]
	if hasPart && rangeHeader != "" {
		return invalidRequest("Cannot specify both Range header and partNumber query parameter")
	}
	if hasPart {
		n, err := parsePartNumber(pn[0])
		if err != nil {
			return err
		}
		count := max(len(o.Parts), 1)
		if n > count {
			return s3err(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable").
				With(field("PartNumberRequested", itoa(n)), field("ActualPartCount", itoa(count)))
		}
		if len(o.Parts) > 0 {
			for _, p := range o.Parts[:n-1] {
				start += p.Size
			}
			length = o.Parts[n-1].Size
			if o.ChecksumType == typeComposite {
				partChecksum = o.Parts[n-1].Checksum
			}
			h["X-Amz-Mp-Parts-Count"] = []string{itoa(len(o.Parts))}
		}
		status = http.StatusPartialContent
	} else if rangeHeader != "" {
		rs, ok, err := parseRange(rangeHeader, o.Size)
		if err != nil {
			h["Content-Range"] = []string{"bytes */" + strconv.FormatInt(o.Size, 10)}
			return err
		}
		if ok {
			start, length, status = rs.start, rs.length, http.StatusPartialContent
		}
	}

	h["Accept-Ranges"] = []string{"bytes"}
	h["Last-Modified"] = []string{httpTime(o.LastModified)}
	h["Etag"] = []string{quote(o.ETag)}
	setStandardHeaders(h, &o)
	setMetadata(h, o.Metadata)
	if o.StorageClass != "" {
		h["X-Amz-Storage-Class"] = []string{o.StorageClass}
	}
	if o.WebsiteRedirect != "" {
		h["X-Amz-Website-Redirect-Location"] = []string{o.WebsiteRedirect}
	}
	if !head && len(o.Tags) > 0 {
		h["X-Amz-Tagging-Count"] = []string{itoa(len(o.Tags))}
	}
	s.versionHeader(c, &b, o.VersionID)
	if !c.q.Has("versionId") {
		// S3 names the expiry of the current version only when not asked for a version.
		s.setExpiration(h, &b, &o)
	}
	h["X-Amz-Server-Side-Encryption"] = []string{"AES256"}
	if strings.EqualFold(c.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		switch {
		case partChecksum != "":
			h[checksumHeader(o.ChecksumAlgorithm)] = []string{partChecksum}
			h["X-Amz-Checksum-Type"] = []string{typeComposite}
		case status == http.StatusOK || (!hasPart && length == o.Size):
			setChecksum(h, &o, "")
		}
	}
	for _, ov := range responseOverrides {
		if v, ok := c.q[ov.param]; ok {
			h[ov.header] = []string{v[0]}
		}
	}
	if status == http.StatusPartialContent {
		h["Content-Range"] = []string{"bytes " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(start+length-1, 10) + "/" + strconv.FormatInt(o.Size, 10)}
	}
	h["Content-Length"] = []string{strconv.FormatInt(length, 10)}
	c.w.WriteHeader(status)
	if head || length == 0 {
		return nil
	}
	if err := s.copyOut(c, &o, start, length); err != nil {
		// The status is sent: all that is left is to cut the answer short.
		panic(http.ErrAbortHandler)
	}
	return nil
}

// setStandardHeaders sends the object's stored standard headers.
func setStandardHeaders(h http.Header, o *objstore.Object) {
	set := func(k, v string) {
		if v != "" {
			h[k] = []string{v}
		}
	}
	set("Content-Type", o.ContentType)
	set("Content-Encoding", o.ContentEncoding)
	set("Content-Disposition", o.ContentDisposition)
	set("Content-Language", o.ContentLanguage)
	set("Cache-Control", o.CacheControl)
	set("Expires", o.Expires)
}

// copyOut streams length bytes of o from offset start to the answer, segment by
// segment. Hot path for downloads: each segment is handed to io.CopyN, so the
// ResponseWriter's ReadFrom (sendfile for a file) does the work.
func (s *Service) copyOut(c *call, o *objstore.Object, start, length int64) error {
	return s.copySegments(c, o, start, length, c.w)
}

// copySegments writes length bytes of o from offset start to w.
func (s *Service) copySegments(c *call, o *objstore.Object, start, length int64, w io.Writer) error {
	for _, seg := range o.Segments() {
		if length <= 0 {
			break
		}
		if start >= seg.Size {
			start -= seg.Size
			continue
		}
		n := min(seg.Size-start, length)
		rc, err := s.Store.OpenData(c.r.Context(), seg, start)
		if err != nil {
			return err
		}
		_, err = io.CopyN(w, rc, n)
		rc.Close()
		if err != nil {
			return err
		}
		start, length = 0, length-n
	}
	return nil
}

// errNotModified is the 304 of a GET or HEAD whose If-None-Match or
// If-Modified-Since says the client's copy is current.
var errNotModified = errors.New("s3: not modified")

// readConditions applies GetObject's and HeadObject's conditional headers to o
// as S3 does (RFC 7232's order): If-Match, or else If-Unmodified-Since, fails
// with 412; then If-None-Match, or else If-Modified-Since, answers 304
// (errNotModified). Times compare at one-second resolution; a date that does
// not parse, or is in the future, is ignored.
func readConditions(h http.Header, o *objstore.Object, now time.Time) error {
	lm := o.LastModified.Truncate(time.Second)
	if im := h.Get("If-Match"); im != "" {
		if !etagMatches(im, o.ETag) {
			return errPrecondition.With(field("Condition", "If-Match"))
		}
	} else if t, ok := parseHTTPTime(h.Get("If-Unmodified-Since")); ok && lm.After(t) {
		return errPrecondition.With(field("Condition", "If-Unmodified-Since"))
	}
	if inm := h.Get("If-None-Match"); inm != "" {
		if etagMatches(inm, o.ETag) {
			return errNotModified
		}
	} else if t, ok := parseHTTPTime(h.Get("If-Modified-Since")); ok && !lm.After(t) && t.Before(now) {
		return errNotModified
	}
	return nil
}

// etagMatches reports whether an If-Match / If-None-Match list names etag ("*"
// names any).
func etagMatches(list, etag string) bool {
	for _, e := range strings.Split(list, ",") {
		if e = strings.TrimSpace(e); e == "*" || unquote(e) == etag {
			return true
		}
	}
	return false
}

func parseHTTPTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			return time.Time{}, false
		}
	}
	return t, true
}

// byteRange is a satisfiable range of an object.
type byteRange struct{ start, length int64 }

// parseRange reads a Range header as S3 does: one range, "bytes=a-b", "bytes=a-"
// or "bytes=-n". A header it cannot parse (another unit, several ranges, a > b)
// is ignored (ok=false: send the whole object); a range that starts at or past
// the end, or "-0", is InvalidRange.
func parseRange(v string, size int64) (byteRange, bool, error) {
	unit, spec, found := strings.Cut(v, "=")
	if !found || strings.Contains(spec, "=") || strings.Contains(spec, ",") || strings.TrimSpace(unit) != "bytes" {
		return byteRange{}, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found || strings.Contains(last, "-") {
		return byteRange{}, false, nil
	}
	num := func(s string) (int64, bool, bool) { // value, present, valid
		if s == "" {
			return 0, false, true
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false, false
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, true, err == nil
	}
	a, hasA, okA := num(first)
	b, hasB, okB := num(last)
	if !okA || !okB || (!hasA && !hasB) {
		return byteRange{}, false, nil
	}
	unsatisfiable := errInvalidRange.With(field("RangeRequested", v), field("ActualObjectSize", strconv.FormatInt(size, 10)))
	if !hasA { // suffix
		if b == 0 {
			return byteRange{}, false, unsatisfiable
		}
		n := min(b, size)
		if n == 0 {
			return byteRange{}, false, nil // an empty object: S3 sends it whole
		}
		return byteRange{start: size - n, length: n}, true, nil
	}
	if a >= size {
		return byteRange{}, false, unsatisfiable
	}
	end := size - 1
	if hasB {
		if b < a {
			return byteRange{}, false, nil
		}
		end = min(b, end)
	}
	return byteRange{start: a, length: end - a + 1}, true, nil
}

// parsePartNumber reads a partNumber: an integer from 1 to 10,000.
func parsePartNumber(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxParts {
		return 0, invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
	}
	return n, nil
}

// signed reports whether a request carries SigV4 or SigV2 credentials.
func signed(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	q := r.URL.Query()
	return q.Has("X-Amz-Credential") || q.Has("AWSAccessKeyId")
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
