package s3

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// objectAttributes are the names x-amz-object-attributes takes.
var objectAttributes = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

type attributesResult struct {
	XMLName      xml.Name        `xml:"GetObjectAttributesResponse"`
	Xmlns        string          `xml:"xmlns,attr"`
	ETag         string          `xml:"ETag,omitempty"`
	Checksum     *checksumsXML   `xml:"Checksum,omitempty"`
	ObjectParts  *objectPartsXML `xml:"ObjectParts,omitempty"`
	StorageClass string          `xml:"StorageClass,omitempty"`
	ObjectSize   *int64          `xml:"ObjectSize,omitempty"`
}

type objectPartsXML struct {
	TotalPartsCount      int             `xml:"PartsCount"`
	PartNumberMarker     int             `xml:"PartNumberMarker"`
	NextPartNumberMarker int             `xml:"NextPartNumberMarker"`
	MaxParts             int             `xml:"MaxParts"`
	IsTruncated          bool            `xml:"IsTruncated"`
	Parts                []objectPartXML `xml:"Part"`
}

type objectPartXML struct {
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
	checksumsXML
}

func (s *Service) getObjectAttributes(c *call) error {
	var want []string
	for _, v := range c.r.Header.Values("X-Amz-Object-Attributes") {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				want = append(want, a)
			}
		}
	}
	if len(want) == 0 {
		return invalidRequest("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	has := map[string]bool{}
	for _, a := range want {
		if !objectAttributes[a] {
			return invalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", a)
		}
		has[a] = true
	}
	marker, maxN := 0, 1000
	if v := c.r.Header.Get("X-Amz-Part-Number-Marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", v)
		}
		marker = n
	}
	if v := c.r.Header.Get("X-Amz-Max-Parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalidArgument("Provided max-parts not an integer or within integer range", "max-parts", v)
		}
		maxN = min(n, 1000)
	}
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	o, err := s.version(c, &b, http.MethodGet)
	if err != nil {
		return err
	}
	res := attributesResult{Xmlns: awsproto.XMLNamespace}
	if has["ETag"] {
		res.ETag = o.ETag
	}
	if has["StorageClass"] {
		res.StorageClass = storageClass(o.StorageClass)
	}
	if has["ObjectSize"] {
		size := o.Size
		res.ObjectSize = &size
	}
	if has["Checksum"] && o.Checksum != "" {
		value, _, _ := strings.Cut(o.Checksum, "-") // a composite checksum without its part count
		x := checksums(o.ChecksumAlgorithm, value, o.ChecksumType)
		res.Checksum = &x
	}
	if has["ObjectParts"] && len(o.Parts) > 0 {
		op := &objectPartsXML{TotalPartsCount: len(o.Parts), PartNumberMarker: marker, MaxParts: maxN}
		for _, p := range o.Parts {
			if p.Number <= marker {
				continue
			}
			if len(op.Parts) == maxN {
				op.IsTruncated = true
				break
			}
			x := objectPartXML{PartNumber: p.Number, Size: p.Size}
			if o.ChecksumType == typeComposite {
				x.checksumsXML = checksums(o.ChecksumAlgorithm, p.Checksum, "")
			}
			op.Parts = append(op.Parts, x)
			op.NextPartNumberMarker = p.Number
		}
		res.ObjectParts = op
	}
	h := c.w.Header()
	h["Last-Modified"] = []string{httpTime(o.LastModified)}
	s.versionHeader(c, &b, o.VersionID)
	awsproto.WriteXML(c.w, http.StatusOK, &res)
	return nil
}
