package s3

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// maxListKeys is the most entries one listing page holds, and the default.
const maxListKeys = 1000

// listParams are the query parameters every listing shares.
type listParams struct {
	prefix, delimiter string
	max               int
	url               bool // encoding-type=url
}

// readListParams reads prefix, delimiter, encoding-type and the page size
// parameter named maxName (max-keys, max-uploads), capped at 1,000.
func readListParams(c *call, maxName string) (listParams, error) {
	p := listParams{prefix: c.q.Get("prefix"), delimiter: c.q.Get("delimiter"), max: maxListKeys}
	if vs, ok := c.q[maxName]; ok {
		n, err := strconv.Atoi(vs[0])
		if err != nil || n < 0 {
			return p, invalidArgument("Provided "+maxName+" not an integer or within integer range", maxName, vs[0])
		}
		p.max = min(n, maxListKeys)
	}
	if vs, ok := c.q["encoding-type"]; ok {
		if !strings.EqualFold(vs[0], "url") {
			return p, invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", vs[0])
		}
		p.url = true
	}
	return p, nil
}

// enc returns s as the answer carries it: URL-encoded under encoding-type=url.
func (p *listParams) enc(s string) string {
	if !p.url {
		return s
	}
	return urlEncodeKey(s)
}

// encodingType is the EncodingType element's value.
func (p *listParams) encodingType() string {
	if p.url {
		return "url"
	}
	return ""
}

// urlEncodeKey percent-encodes s as S3's encoding-type=url does: every byte but
// the unreserved characters (RFC 3986) and "/" becomes %XX.
func urlEncodeKey(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// objectXML is one Contents entry.
type objectXML struct {
	Key               string `xml:"Key"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              int64  `xml:"Size"`
	StorageClass      string `xml:"StorageClass"`
	Owner             *owner `xml:"Owner,omitempty"`
}

type prefixXML struct {
	Prefix string `xml:"Prefix"`
}

func storageClass(sc string) string {
	if sc == "" {
		return "STANDARD"
	}
	return sc
}

func (s *Service) contents(p *listParams, objs []objstore.Object, withOwner bool) []objectXML {
	out := make([]objectXML, len(objs))
	for i, o := range objs {
		out[i] = objectXML{
			Key:               p.enc(o.Key),
			LastModified:      isoTime(o.LastModified),
			ETag:              quote(o.ETag),
			ChecksumAlgorithm: o.ChecksumAlgorithm,
			ChecksumType:      o.ChecksumType,
			Size:              o.Size,
			StorageClass:      storageClass(o.StorageClass),
		}
		if out[i].ChecksumAlgorithm == "" {
			out[i].ChecksumType = ""
		}
		if withOwner {
			ow := s.owner()
			out[i].Owner = &ow
		}
	}
	return out
}

func commonPrefixes(p *listParams, prefixes []string) []prefixXML {
	out := make([]prefixXML, len(prefixes))
	for i, cp := range prefixes {
		out[i] = prefixXML{Prefix: p.enc(cp)}
	}
	return out
}

// listBucketResultV2 is ListObjectsV2's answer.
type listBucketResultV2 struct {
	XMLName               xml.Name    `xml:"ListBucketResult"`
	Xmlns                 string      `xml:"xmlns,attr"`
	Name                  string      `xml:"Name"`
	Prefix                string      `xml:"Prefix"`
	ContinuationToken     string      `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string      `xml:"NextContinuationToken,omitempty"`
	StartAfter            string      `xml:"StartAfter,omitempty"`
	KeyCount              int         `xml:"KeyCount"`
	MaxKeys               int         `xml:"MaxKeys"`
	Delimiter             string      `xml:"Delimiter,omitempty"`
	EncodingType          string      `xml:"EncodingType,omitempty"`
	IsTruncated           bool        `xml:"IsTruncated"`
	Contents              []objectXML `xml:"Contents"`
	CommonPrefixes        []prefixXML `xml:"CommonPrefixes"`
}

// tokenMagic starts every continuation token's bytes, so that a token Stratus
// did not make is refused rather than read as a key.
const tokenMagic = "\x01s3\x00"

func encodeToken(key string) string {
	return base64.StdEncoding.EncodeToString([]byte(tokenMagic + key))
}

func decodeToken(tok string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	key, ok := strings.CutPrefix(string(b), tokenMagic)
	if !ok || !utf8.ValidString(key) {
		return "", false
	}
	return key, true
}

func (s *Service) listObjectsV2(c *call) error {
	p, err := readListParams(c, "max-keys")
	if err != nil {
		return err
	}
	q := objstore.ListQuery{Prefix: p.prefix, Delimiter: p.delimiter, MaxKeys: p.max}
	token, hasToken := c.q["continuation-token"]
	startAfter := c.q.Get("start-after")
	if hasToken {
		key, ok := decodeToken(token[0])
		if !ok {
			return invalidArgument("The continuation token provided is incorrect", "continuation-token", token[0])
		}
		q.After = key
	} else {
		q.After = startAfter
	}
	if _, err := s.bucket(c); err != nil {
		return err
	}
	page, err := s.Store.List(c.r.Context(), c.bucket, q)
	if err != nil {
		return storeError(err, c.bucket, "")
	}
	if p.max == 0 {
		page.Truncated = false // S3 answers an empty, complete page
	}
	res := listBucketResultV2{
		Xmlns:          awsproto.XMLNamespace,
		Name:           c.bucket,
		Prefix:         p.enc(p.prefix),
		StartAfter:     p.enc(startAfter),
		KeyCount:       len(page.Objects) + len(page.CommonPrefixes),
		MaxKeys:        p.max,
		Delimiter:      p.enc(p.delimiter),
		EncodingType:   p.encodingType(),
		IsTruncated:    page.Truncated,
		Contents:       s.contents(&p, page.Objects, c.q.Get("fetch-owner") == "true"),
		CommonPrefixes: commonPrefixes(&p, page.CommonPrefixes),
	}
	if hasToken {
		res.ContinuationToken = token[0]
	}
	if page.Truncated {
		res.NextContinuationToken = encodeToken(page.NextKey)
	}
	awsproto.WriteXML(c.w, http.StatusOK, &res)
	return nil
}

// listBucketResultV1 is ListObjects' answer.
type listBucketResultV1 struct {
	XMLName        xml.Name    `xml:"ListBucketResult"`
	Xmlns          string      `xml:"xmlns,attr"`
	Name           string      `xml:"Name"`
	Prefix         string      `xml:"Prefix"`
	Marker         string      `xml:"Marker"`
	NextMarker     string      `xml:"NextMarker,omitempty"`
	MaxKeys        int         `xml:"MaxKeys"`
	Delimiter      string      `xml:"Delimiter,omitempty"`
	EncodingType   string      `xml:"EncodingType,omitempty"`
	IsTruncated    bool        `xml:"IsTruncated"`
	Contents       []objectXML `xml:"Contents"`
	CommonPrefixes []prefixXML `xml:"CommonPrefixes"`
}

func (s *Service) listObjects(c *call) error {
	p, err := readListParams(c, "max-keys")
	if err != nil {
		return err
	}
	marker := c.q.Get("marker")
	if _, err := s.bucket(c); err != nil {
		return err
	}
	page, err := s.Store.List(c.r.Context(), c.bucket, objstore.ListQuery{Prefix: p.prefix, Delimiter: p.delimiter, After: marker, MaxKeys: p.max})
	if err != nil {
		return storeError(err, c.bucket, "")
	}
	if p.max == 0 {
		page.Truncated = false
	}
	res := listBucketResultV1{
		Xmlns:          awsproto.XMLNamespace,
		Name:           c.bucket,
		Prefix:         p.enc(p.prefix),
		Marker:         p.enc(marker),
		MaxKeys:        p.max,
		Delimiter:      p.enc(p.delimiter),
		EncodingType:   p.encodingType(),
		IsTruncated:    page.Truncated,
		Contents:       s.contents(&p, page.Objects, true),
		CommonPrefixes: commonPrefixes(&p, page.CommonPrefixes),
	}
	// S3 sends NextMarker only with a delimiter; without one the next marker is
	// the last key listed.
	if page.Truncated && p.delimiter != "" {
		res.NextMarker = p.enc(page.NextKey)
	}
	awsproto.WriteXML(c.w, http.StatusOK, &res)
	return nil
}

// versionXML is one Version or DeleteMarker entry of ListObjectVersions; the
// two are interleaved in key and age order, so the element name is set per
// entry.
type versionXML struct {
	XMLName           xml.Name
	Key               string `xml:"Key"`
	VersionID         string `xml:"VersionId"`
	IsLatest          bool   `xml:"IsLatest"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag,omitempty"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              *int64 `xml:"Size,omitempty"`
	StorageClass      string `xml:"StorageClass,omitempty"`
	Owner             owner  `xml:"Owner"`
}

type listVersionsResult struct {
	XMLName             xml.Name     `xml:"ListVersionsResult"`
	Xmlns               string       `xml:"xmlns,attr"`
	Name                string       `xml:"Name"`
	Prefix              string       `xml:"Prefix"`
	KeyMarker           string       `xml:"KeyMarker"`
	VersionIDMarker     string       `xml:"VersionIdMarker"`
	NextKeyMarker       string       `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string       `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int          `xml:"MaxKeys"`
	Delimiter           string       `xml:"Delimiter,omitempty"`
	EncodingType        string       `xml:"EncodingType,omitempty"`
	IsTruncated         bool         `xml:"IsTruncated"`
	Entries             []versionXML `xml:""`
	CommonPrefixes      []prefixXML  `xml:"CommonPrefixes"`
}

func (s *Service) listObjectVersions(c *call) error {
	p, err := readListParams(c, "max-keys")
	if err != nil {
		return err
	}
	keyMarker, vidMarker := c.q.Get("key-marker"), c.q.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return invalidArgument("A version-id marker cannot be specified without a key marker.", "version-id-marker", vidMarker)
	}
	if _, err := s.bucket(c); err != nil {
		return err
	}
	page, err := s.Store.ListVersions(c.r.Context(), c.bucket, objstore.ListQuery{
		Prefix: p.prefix, Delimiter: p.delimiter, After: keyMarker, AfterVersion: vidMarker, MaxKeys: p.max,
	})
	if err != nil {
		return storeError(err, c.bucket, "")
	}
	if p.max == 0 {
		page.Truncated = false
	}
	res := listVersionsResult{
		Xmlns:           awsproto.XMLNamespace,
		Name:            c.bucket,
		Prefix:          p.enc(p.prefix),
		KeyMarker:       p.enc(keyMarker),
		VersionIDMarker: vidMarker,
		MaxKeys:         p.max,
		Delimiter:       p.enc(p.delimiter),
		EncodingType:    p.encodingType(),
		IsTruncated:     page.Truncated,
		CommonPrefixes:  commonPrefixes(&p, page.CommonPrefixes),
	}
	if page.Truncated {
		res.NextKeyMarker = p.enc(page.NextKey)
		res.NextVersionIDMarker = page.NextVersion
	}
	ow := s.owner()
	for _, o := range page.Objects {
		e := versionXML{
			Key:          p.enc(o.Key),
			VersionID:    o.VersionID,
			IsLatest:     o.IsLatest,
			LastModified: isoTime(o.LastModified),
			Owner:        ow,
		}
		if o.DeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			e.XMLName.Local = "Version"
			size := o.Size
			e.ETag, e.Size, e.StorageClass = quote(o.ETag), &size, storageClass(o.StorageClass)
			if o.ChecksumAlgorithm != "" {
				e.ChecksumAlgorithm, e.ChecksumType = o.ChecksumAlgorithm, o.ChecksumType
			}
		}
		res.Entries = append(res.Entries, e)
	}
	awsproto.WriteXML(c.w, http.StatusOK, &res)
	return nil
}

// uploadXML is one Upload entry of ListMultipartUploads.
type uploadXML struct {
	Key               string `xml:"Key"`
	UploadID          string `xml:"UploadId"`
	Initiator         owner  `xml:"Initiator"`
	Owner             owner  `xml:"Owner"`
	StorageClass      string `xml:"StorageClass"`
	Initiated         string `xml:"Initiated"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

type listUploadsResult struct {
	XMLName            xml.Name    `xml:"ListMultipartUploadsResult"`
	Xmlns              string      `xml:"xmlns,attr"`
	Bucket             string      `xml:"Bucket"`
	KeyMarker          string      `xml:"KeyMarker"`
	UploadIDMarker     string      `xml:"UploadIdMarker"`
	NextKeyMarker      string      `xml:"NextKeyMarker"`
	NextUploadIDMarker string      `xml:"NextUploadIdMarker"`
	Delimiter          string      `xml:"Delimiter,omitempty"`
	Prefix             string      `xml:"Prefix,omitempty"`
	MaxUploads         int         `xml:"MaxUploads"`
	EncodingType       string      `xml:"EncodingType,omitempty"`
	IsTruncated        bool        `xml:"IsTruncated"`
	Uploads            []uploadXML `xml:"Upload"`
	CommonPrefixes     []prefixXML `xml:"CommonPrefixes"`
}

func (s *Service) listMultipartUploads(c *call) error {
	p, err := readListParams(c, "max-uploads")
	if err != nil {
		return err
	}
	keyMarker, uploadMarker := c.q.Get("key-marker"), c.q.Get("upload-id-marker")
	if keyMarker == "" {
		uploadMarker = "" // S3 ignores upload-id-marker without key-marker
	}
	if _, err := s.bucket(c); err != nil {
		return err
	}
	if uploadMarker != "" {
		if u, err := s.Store.Upload(c.r.Context(), c.bucket, keyMarker, uploadMarker); err != nil || u.Key != keyMarker {
			return invalidArgument("Invalid uploadId marker", "upload-id-marker", uploadMarker)
		}
	}
	page, err := s.Store.Uploads(c.r.Context(), c.bucket, objstore.UploadQuery{
		Prefix: p.prefix, Delimiter: p.delimiter, KeyMarker: keyMarker, UploadAfter: uploadMarker, MaxUploads: p.max,
	})
	if err != nil {
		return storeError(err, c.bucket, "")
	}
	if p.max == 0 {
		page.Truncated = false
	}
	res := listUploadsResult{
		Xmlns:          awsproto.XMLNamespace,
		Bucket:         c.bucket,
		KeyMarker:      p.enc(keyMarker),
		UploadIDMarker: uploadMarker,
		Delimiter:      p.enc(p.delimiter),
		Prefix:         p.enc(p.prefix),
		MaxUploads:     p.max,
		EncodingType:   p.encodingType(),
		IsTruncated:    page.Truncated,
		CommonPrefixes: commonPrefixes(&p, page.CommonPrefixes),
	}
	if page.Truncated {
		res.NextKeyMarker, res.NextUploadIDMarker = p.enc(page.NextKey), page.NextUpload
	} else if n := len(page.Uploads); n > 0 {
		res.NextKeyMarker, res.NextUploadIDMarker = p.enc(page.Uploads[n-1].Key), page.Uploads[n-1].ID
	}
	ow := s.owner()
	for _, u := range page.Uploads {
		x := uploadXML{
			Key:          p.enc(u.Key),
			UploadID:     u.ID,
			Initiator:    ow,
			Owner:        ow,
			StorageClass: storageClass(u.Object.StorageClass),
			Initiated:    isoTime(u.Initiated),
		}
		if u.Object.ChecksumAlgorithm != "" {
			x.ChecksumAlgorithm, x.ChecksumType = u.Object.ChecksumAlgorithm, u.Object.ChecksumType
		}
		res.Uploads = append(res.Uploads, x)
	}
	awsproto.WriteXML(c.w, http.StatusOK, &res)
	return nil
}
