package s3

import (
	"crypto/md5" //nolint:gosec // S3's multipart ETag
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

const (
	// maxParts is the most parts an upload has, and the highest part number.
	maxParts = 10000
	// minPartSize is the smallest part but the last that CompleteMultipartUpload
	// takes.
	minPartSize = 5 << 20
	// maxCompleteBody bounds a CompleteMultipartUpload document: 10,000 parts
	// with their ETags and checksums.
	maxCompleteBody = 4 << 20
)

func noSuchUpload(id string) error { return errNoSuchUpload.With(field("UploadId", id)) }

// upload returns the upload a request's uploadId names, for its key.
func (s *Service) upload(c *call) (objstore.Upload, error) {
	id := c.q.Get("uploadId")
	u, err := s.Store.Upload(c.r.Context(), c.bucket, c.key, id)
	if err != nil {
		if errors.Is(err, objstore.ErrNoSuchUpload) {
			return u, noSuchUpload(id)
		}
		return u, storeError(err, c.bucket, c.key)
	}
	if u.Key != c.key {
		return u, noSuchUpload(id)
	}
	return u, nil
}

// uploadChecksum reads CreateMultipartUpload's x-amz-checksum-algorithm and
// x-amz-checksum-type, with S3's defaults (FULL_OBJECT for CRC64NVME, COMPOSITE
// for the rest) and its refusals.
func uploadChecksum(h http.Header) (algo, typ string, err error) {
	if v := h.Get("X-Amz-Checksum-Algorithm"); v != "" {
		var ok bool
		if algo, ok = parseAlgorithm(v); !ok {
			return "", "", errUnsupportedAlgorithm
		}
	}
	typ = strings.ToUpper(h.Get("X-Amz-Checksum-Type"))
	switch {
	case typ != "" && typ != typeComposite && typ != typeFullObject:
		return "", "", invalidRequest("Value for x-amz-checksum-type header is invalid.")
	case typ != "" && algo == "":
		return "", "", invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case algo == "":
		return "", "", nil
	case typ == "" && algo == algoCRC64NVME:
		typ = typeFullObject
	case typ == "":
		typ = typeComposite
	}
	if typ == typeComposite && algo == algoCRC64NVME {
		return "", "", invalidRequest("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
	}
	if typ == typeFullObject && !isCRC(algo) {
		return "", "", invalidRequest("The FULL_OBJECT checksum type cannot be used with the " + strings.ToLower(algo) + " checksum algorithm.")
	}
	return algo, typ, nil
}

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (s *Service) createMultipartUpload(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	o, err := objectFromHeaders(c.r.Header)
	if err != nil {
		return err
	}
	algo, typ, err := uploadChecksum(c.r.Header)
	if err != nil {
		return err
	}
	o.Key, o.ChecksumAlgorithm, o.ChecksumType = c.key, algo, typ
	u, err := s.Store.CreateUpload(c.r.Context(), c.bucket, objstore.Upload{Key: c.key, Initiated: s.Now(), Object: o})
	if err != nil {
		return storeError(err, c.bucket, c.key)
	}
	h := c.w.Header()
	if algo != "" {
		h["X-Amz-Checksum-Algorithm"] = []string{algo}
		h["X-Amz-Checksum-Type"] = []string{typ}
	}
	h["X-Amz-Server-Side-Encryption"] = []string{"AES256"}
	awsproto.WriteXML(c.w, http.StatusOK, &initiateResult{Xmlns: awsproto.XMLNamespace, Bucket: c.bucket, Key: c.key, UploadID: u.ID})
	return nil
}

// partAlgorithm is the checksum a part of u keeps: the upload's, or CRC64NVME,
// from which S3 makes the full-object checksum of an upload that named none.
func partAlgorithm(u *objstore.Upload) string {
	if u.Object.ChecksumAlgorithm != "" {
		return u.Object.ChecksumAlgorithm
	}
	return algoCRC64NVME
}

// checkPartClaim refuses a part whose checksum is not of the upload's
// algorithm.
func checkPartClaim(u *objstore.Upload, claim checksumClaim) error {
	want := u.Object.ChecksumAlgorithm
	if want == "" || claim.algo == want {
		return nil
	}
	got := "null"
	if claim.algo != "" {
		got = strings.ToLower(claim.algo)
	}
	return invalidRequest("Checksum Type mismatch occurred, expected checksum Type: " + strings.ToLower(want) + ", actual checksum Type: " + got)
}

func (s *Service) uploadPart(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	u, err := s.upload(c)
	if err != nil {
		return err
	}
	n, err := parsePartNumber(c.q.Get("partNumber"))
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
	if err := checkPartClaim(&u, claim); err != nil {
		return err
	}
	algo := partAlgorithm(&u)
	p, err := s.receive(c, receiveSpec{Max: maxPutSize, Store: algo, Claim: claim, MD5: md5sum})
	if err != nil {
		return err
	}
	part := objstore.Part{Number: n, Size: p.Size, ETag: p.ETag(), Checksum: p.Checksum, LastModified: s.Now(), Data: p.Data}
	if err := s.Store.PutPart(c.r.Context(), c.bucket, c.key, u.ID, part); err != nil {
		if errors.Is(err, objstore.ErrNoSuchUpload) {
			return noSuchUpload(u.ID)
		}
		return storeError(err, c.bucket, c.key)
	}
	h := c.w.Header()
	h["Etag"] = []string{quote(part.ETag)}
	if claim.algo != "" {
		h[checksumHeader(claim.algo)] = []string{p.Claimed.value}
	} else if u.Object.ChecksumAlgorithm != "" {
		h[checksumHeader(algo)] = []string{p.Checksum}
	}
	h["X-Amz-Server-Side-Encryption"] = []string{"AES256"}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// copyPartResult is UploadPartCopy's answer.
type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
	checksumsXML
}

// parseCopyRange reads x-amz-copy-source-range, "bytes=first-last", for a
// source of size bytes.
func parseCopyRange(v string, size int64) (byteRange, error) {
	bad := invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return byteRange{}, bad
	}
	first, last, ok := strings.Cut(spec, "-")
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	if !ok || err1 != nil || err2 != nil || a < 0 || b < a {
		return byteRange{}, bad
	}
	if a >= size {
		return byteRange{}, invalidRequest("The specified copy range is invalid for the source object size")
	}
	if b >= size {
		return byteRange{}, invalidArgument("Range specified is not valid for source object of size: "+strconv.FormatInt(size, 10), "x-amz-copy-source-range", v)
	}
	return byteRange{start: a, length: b - a + 1}, nil
}

func (s *Service) uploadPartCopy(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	src, err := parseCopySource(c.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	so, sb, err := s.sourceObject(c, src)
	if err != nil {
		return err
	}
	u, err := s.upload(c)
	if err != nil {
		return err
	}
	n, err := parsePartNumber(c.q.Get("partNumber"))
	if err != nil {
		return err
	}
	if err := copyConditions(c.r.Header, &so, s.Now()); err != nil {
		return err
	}
	rng := byteRange{length: so.Size}
	if v := c.r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		if rng, err = parseCopyRange(v, so.Size); err != nil {
			return err
		}
	}
	if rng.length > maxPutSize {
		return invalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
	}
	algo := partAlgorithm(&u)
	cp, err := s.copyData(c, &so, rng.start, rng.length, algo)
	if err != nil {
		return err
	}
	part := objstore.Part{Number: n, Size: cp.size, ETag: cp.etag, Checksum: cp.checksum, LastModified: s.Now(), Data: cp.data}
	if err := s.Store.PutPart(c.r.Context(), c.bucket, c.key, u.ID, part); err != nil {
		if errors.Is(err, objstore.ErrNoSuchUpload) {
			return noSuchUpload(u.ID)
		}
		return storeError(err, c.bucket, c.key)
	}
	h := c.w.Header()
	if sb.Versioning != "" && so.VersionID != "" {
		h["X-Amz-Copy-Source-Version-Id"] = []string{so.VersionID}
	}
	h["X-Amz-Server-Side-Encryption"] = []string{"AES256"}
	res := copyPartResult{Xmlns: awsproto.XMLNamespace, ETag: quote(part.ETag), LastModified: isoTime(part.LastModified)}
	if u.Object.ChecksumAlgorithm != "" {
		res.checksumsXML = checksums(algo, cp.checksum, "")
	}
	awsproto.WriteXML(c.w, http.StatusOK, &res)
	return nil
}

// completedPart is one Part of a CompleteMultipartUpload document.
type completedPart struct {
	PartNumber        int     `xml:"PartNumber"`
	ETag              string  `xml:"ETag"`
	ChecksumCRC32     *string `xml:"ChecksumCRC32"`
	ChecksumCRC32C    *string `xml:"ChecksumCRC32C"`
	ChecksumCRC64NVME *string `xml:"ChecksumCRC64NVME"`
	ChecksumSHA1      *string `xml:"ChecksumSHA1"`
	ChecksumSHA256    *string `xml:"ChecksumSHA256"`
}

// checksum returns the part's checksum for algo, and the algorithm of the first
// checksum it carries of any other ("" when none).
func (p *completedPart) checksum(algo string) (value string, other string) {
	for _, x := range []struct {
		a string
		v *string
	}{
		{algoCRC32, p.ChecksumCRC32}, {algoCRC32C, p.ChecksumCRC32C}, {algoCRC64NVME, p.ChecksumCRC64NVME},
		{algoSHA1, p.ChecksumSHA1}, {algoSHA256, p.ChecksumSHA256},
	} {
		switch {
		case x.v == nil:
		case x.a == algo:
			value = strings.TrimSpace(*x.v)
		case other == "":
			other = x.a
		}
	}
	return value, other
}

type completeRequest struct {
	XMLName xml.Name        `xml:"CompleteMultipartUpload"`
	Parts   []completedPart `xml:"Part"`
}

// parseComplete decodes a CompleteMultipartUpload document: MalformedXML when it
// is not one or a part number is not one S3 takes.
func parseComplete(body []byte) ([]completedPart, error) {
	var req completeRequest
	if err := xml.Unmarshal(body, &req); err != nil || req.XMLName.Local != "CompleteMultipartUpload" {
		return nil, errMalformedXML
	}
	if len(req.Parts) > maxParts {
		return nil, errMalformedXML
	}
	return req.Parts, nil
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	checksumsXML
}

// assemble checks the parts a CompleteMultipartUpload names against the parts
// uploaded and returns the object they make: parts, size, ETag and checksum.
func assemble(u *objstore.Upload, req []completedPart, stored map[int]objstore.Part) (objstore.Object, error) {
	o := u.Object
	o.Key = u.Key
	algo, typ := u.Object.ChecksumAlgorithm, u.Object.ChecksumType
	invalidPart := func(p completedPart) error {
		return errInvalidPart.With(field("ETag", unquote(p.ETag)), field("PartNumber", itoa(p.PartNumber)), field("UploadId", u.ID))
	}
	etags := md5.New() //nolint:gosec
	sums := make([]string, 0, len(req))
	sizes := make([]int64, 0, len(req))
	for i, p := range req {
		if i > 0 && p.PartNumber <= req[i-1].PartNumber {
			return o, errInvalidPartOrder.With(field("UploadId", u.ID))
		}
	}
	for _, p := range req {
		sp, ok := stored[p.PartNumber]
		if !ok || sp.ETag != unquote(p.ETag) {
			return o, invalidPart(p)
		}
		value, other := p.checksum(algo)
		switch {
		case algo == "" && (value != "" || other != ""):
			return o, invalidPart(p)
		case algo != "" && value == "" && other != "" && typ == typeComposite:
			return o, s3err(http.StatusBadRequest, "BadDigest", "The "+strings.ToLower(other)+" you specified for part "+itoa(p.PartNumber)+" did not match what we received.")
		case algo != "" && value == "" && typ == typeComposite:
			return o, invalidRequest("The upload was created using a " + strings.ToLower(algo) + " checksum. The complete request must include the checksum for each part. It was missing for part " + itoa(p.PartNumber) + " in the request.")
		case value != "" && value != sp.Checksum:
			return o, invalidPart(p)
		}
	}
	for i, p := range req {
		sp := stored[p.PartNumber]
		if i < len(req)-1 && sp.Size < minPartSize {
			return o, errEntityTooSmall.With(field("ETag", sp.ETag), field("PartNumber", itoa(p.PartNumber)),
				field("MinSizeAllowed", itoa(minPartSize)), field("ProposedSize", strconv.FormatInt(sp.Size, 10)))
		}
		raw, _ := hex.DecodeString(sp.ETag)
		etags.Write(raw)
		sums = append(sums, sp.Checksum)
		sizes = append(sizes, sp.Size)
		o.Size += sp.Size
		o.Parts = append(o.Parts, sp)
	}
	o.ETag = hex.EncodeToString(etags.Sum(nil)) + "-" + itoa(len(req))
	if algo == "" {
		// S3 gives an upload that named no checksum the full-object CRC64NVME.
		algo, typ = algoCRC64NVME, typeFullObject
	}
	o.ChecksumAlgorithm, o.ChecksumType = algo, typ
	if typ == typeComposite {
		o.Checksum = compositeChecksum(algo, sums)
	} else {
		o.Checksum = fullObjectCRC(algo, sums, sizes)
	}
	return o, nil
}

func (s *Service) completeMultipartUpload(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	u, err := s.upload(c)
	if err != nil {
		return err
	}
	cond, err := writeCondition(c.r.Header)
	if err != nil {
		return err
	}
	if err := s.checkCondition(c, c.bucket, c.key, cond); err != nil {
		return err
	}
	body, err := s.readDocument(c, maxCompleteBody, docMD5Only)
	if err != nil {
		return err
	}
	req, err := parseComplete(body)
	if err != nil {
		return err
	}
	if len(req) == 0 {
		return invalidRequest("You must specify at least one part")
	}
	stored := map[int]objstore.Part{}
	for after := 0; ; {
		parts, truncated, err := s.Store.Parts(c.r.Context(), c.bucket, c.key, u.ID, after, maxParts)
		if err != nil {
			if errors.Is(err, objstore.ErrNoSuchUpload) {
				return noSuchUpload(u.ID)
			}
			return storeError(err, c.bucket, c.key)
		}
		for _, p := range parts {
			stored[p.Number] = p
		}
		if !truncated || len(parts) == 0 {
			break
		}
		after = parts[len(parts)-1].Number
	}
	o, err := assemble(&u, req, stored)
	if err != nil {
		return err
	}
	h := c.r.Header
	if v := h.Get("X-Amz-Mp-Object-Size"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n != o.Size {
			return invalidRequest("The provided 'x-amz-mp-object-size' header value " + v + " does not match what was computed: " + strconv.FormatInt(o.Size, 10))
		}
	}
	if o.ChecksumType == typeFullObject {
		if v := h.Get(checksumHeader(o.ChecksumAlgorithm)); v != "" && u.Object.ChecksumAlgorithm != "" && strings.TrimSpace(v) != o.Checksum {
			return s3err(http.StatusBadRequest, "BadDigest", "The "+strings.ToLower(o.ChecksumAlgorithm)+" you specified did not match the calculated checksum.")
		}
	}
	stored2, err := s.Store.CompleteUpload(c.r.Context(), c.bucket, c.key, u.ID, o, cond, s.events(c, &b, "CompleteMultipartUpload"))
	if err != nil {
		if errors.Is(err, objstore.ErrNoSuchUpload) {
			return noSuchUpload(u.ID)
		}
		return s.writeError(c, err, c.bucket, c.key, cond)
	}
	s.newVersionHeader(c, &b, stored2.VersionID)
	s.setExpiration(c.w.Header(), &b, &stored2)
	c.w.Header()["X-Amz-Server-Side-Encryption"] = []string{"AES256"}
	awsproto.WriteXML(c.w, http.StatusOK, &completeResult{
		Xmlns:        awsproto.XMLNamespace,
		Location:     s.location(c),
		Bucket:       c.bucket,
		Key:          c.key,
		ETag:         quote(stored2.ETag),
		checksumsXML: checksums(stored2.ChecksumAlgorithm, stored2.Checksum, stored2.ChecksumType),
	})
	return nil
}

// location is the URL of the request's object as the client addressed it.
func (s *Service) location(c *call) string {
	scheme, host := c.info.Scheme, c.info.Host
	if scheme == "" {
		scheme = "http"
	}
	if host == "" {
		host = c.r.Host
	}
	key := (&url.URL{Path: c.key}).EscapedPath()
	if b, ok := hostBucket(host); ok && b != "" {
		return scheme + "://" + host + "/" + key
	}
	return scheme + "://" + host + "/" + c.bucket + "/" + key
}

func (s *Service) abortMultipartUpload(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	u, err := s.upload(c)
	if err != nil {
		return err
	}
	if err := s.Store.AbortUpload(c.r.Context(), c.bucket, c.key, u.ID); err != nil {
		if errors.Is(err, objstore.ErrNoSuchUpload) {
			return noSuchUpload(u.ID)
		}
		return storeError(err, c.bucket, c.key)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

type partXML struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	checksumsXML
}

type listPartsResult struct {
	XMLName              xml.Name  `xml:"ListPartsResult"`
	Xmlns                string    `xml:"xmlns,attr"`
	Bucket               string    `xml:"Bucket"`
	Key                  string    `xml:"Key"`
	UploadID             string    `xml:"UploadId"`
	PartNumberMarker     int       `xml:"PartNumberMarker"`
	NextPartNumberMarker int       `xml:"NextPartNumberMarker"`
	MaxParts             int       `xml:"MaxParts"`
	IsTruncated          bool      `xml:"IsTruncated"`
	Parts                []partXML `xml:"Part"`
	Initiator            owner     `xml:"Initiator"`
	Owner                owner     `xml:"Owner"`
	StorageClass         string    `xml:"StorageClass"`
	ChecksumAlgorithm    string    `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string    `xml:"ChecksumType,omitempty"`
}

func (s *Service) listParts(c *call) error {
	if _, err := s.bucket(c); err != nil {
		return err
	}
	u, err := s.upload(c)
	if err != nil {
		return err
	}
	marker, maxN := 0, 1000
	if v, ok := c.q["part-number-marker"]; ok {
		if marker, err = strconv.Atoi(v[0]); err != nil || marker < 0 {
			return invalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", v[0])
		}
	}
	if v, ok := c.q["max-parts"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return invalidArgument("Provided max-parts not an integer or within integer range", "max-parts", v[0])
		}
		maxN = min(n, 1000)
	}
	parts, truncated, err := s.Store.Parts(c.r.Context(), c.bucket, c.key, u.ID, marker, maxN)
	if err != nil {
		if errors.Is(err, objstore.ErrNoSuchUpload) {
			return noSuchUpload(u.ID)
		}
		return storeError(err, c.bucket, c.key)
	}
	ow := s.owner()
	res := listPartsResult{
		Xmlns:            awsproto.XMLNamespace,
		Bucket:           c.bucket,
		Key:              c.key,
		UploadID:         u.ID,
		PartNumberMarker: marker,
		MaxParts:         maxN,
		IsTruncated:      truncated && maxN > 0,
		Initiator:        ow,
		Owner:            ow,
		StorageClass:     storageClass(u.Object.StorageClass),
	}
	if algo := u.Object.ChecksumAlgorithm; algo != "" {
		res.ChecksumAlgorithm, res.ChecksumType = algo, u.Object.ChecksumType
	}
	for _, p := range parts {
		x := partXML{PartNumber: p.Number, LastModified: isoTime(p.LastModified), ETag: quote(p.ETag), Size: p.Size}
		if res.ChecksumAlgorithm != "" {
			x.checksumsXML = checksums(res.ChecksumAlgorithm, p.Checksum, "")
		}
		res.Parts = append(res.Parts, x)
		res.NextPartNumberMarker = p.Number
	}
	awsproto.WriteXML(c.w, http.StatusOK, &res)
	return nil
}
