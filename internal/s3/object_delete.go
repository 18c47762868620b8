package s3

import (
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// maxDeleteKeys is how many keys one DeleteObjects takes.
const maxDeleteKeys = 1000

// deleteOutcome is what deleting one key (and version) did.
type deleteOutcome struct {
	versionID    string // the version removed or the delete marker made
	deleteMarker bool   // a delete marker was made, or the version removed was one
}

// deleteKey deletes key (versionID "" for the latest) as DeleteObject and
// DeleteObjects (batch) do, when cond holds on the key's latest version. A
// versionID that names nothing is S3's InvalidArgument for DeleteObject and
// NoSuchVersion for DeleteObjects, except in a bucket that has the key under no
// version at all, where DeleteObject succeeds and changes nothing.
func (s *Service) deleteKey(c *call, b *objstore.Bucket, key, versionID string, cond objstore.Condition, batch bool) (deleteOutcome, error) {
	badVersion := func() error {
		if batch {
			return errNoSuchVersion
		}
		return invalidArgument("Invalid version id specified", "versionId", versionID)
	}
	if versionID != "" {
		if b.Versioning == "" && versionID != objstore.NullVersion {
			return deleteOutcome{}, badVersion()
		}
		if _, err := s.Store.Get(c.r.Context(), c.bucket, key, versionID); err != nil {
			switch {
			case errors.Is(err, objstore.ErrNoSuchKey) && !batch:
				return deleteOutcome{}, nil // nothing to delete
			case errors.Is(err, objstore.ErrNoSuchVersion), errors.Is(err, objstore.ErrNoSuchKey):
				if versionID == objstore.NullVersion {
					return deleteOutcome{versionID: versionID}, nil
				}
				return deleteOutcome{}, badVersion()
			default:
				return deleteOutcome{}, storeError(err, c.bucket, key)
			}
		}
	}
	ch, err := s.Store.Delete(c.r.Context(), c.bucket, key, versionID, cond, s.events(c, b, ""))
	if err != nil {
		return deleteOutcome{}, storeError(err, c.bucket, key)
	}
	out := deleteOutcome{versionID: versionID}
	switch ch.Kind {
	case objstore.ChangeDeleteMarker:
		out = deleteOutcome{versionID: ch.Object.VersionID, deleteMarker: true}
	case objstore.ChangeDelete:
		out.deleteMarker = ch.Object.DeleteMarker
	}
	return out, nil
}

func (s *Service) deleteObject(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	vid, named := c.q["versionId"]
	versionID := ""
	if named {
		if versionID = vid[0]; versionID == "" {
			return invalidArgument("Version id cannot be the empty string", "versionId", "")
		}
	}
	// If-Match (an ETag, or "*"): S3's conditional delete, on the current
	// version; with no current object S3 answers 404 NoSuchKey, which
	// storeError makes of the store's error.
	cond := objstore.Condition{IfMatch: unquote(c.r.Header.Get("If-Match"))}
	out, err := s.deleteKey(c, &b, c.key, versionID, cond, false)
	if err != nil {
		return err
	}
	h := c.w.Header()
	if out.deleteMarker {
		h["X-Amz-Delete-Marker"] = []string{"true"}
	}
	if out.versionID != "" && b.Versioning != "" {
		h["X-Amz-Version-Id"] = []string{out.versionID}
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteRequest is DeleteObjects' Delete document.
type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       *string `xml:"Key"`
		VersionID string  `xml:"VersionId"`
	} `xml:"Object"`
}

// parseDelete decodes a Delete document: MalformedXML when it is not one, names
// no object or more than 1,000, or an object without its Key.
func parseDelete(body []byte) (*deleteRequest, error) {
	var d deleteRequest
	if err := xml.Unmarshal(body, &d); err != nil || d.XMLName.Local != "Delete" {
		return nil, errMalformedXML
	}
	if len(d.Objects) == 0 || len(d.Objects) > maxDeleteKeys {
		return nil, errMalformedXML
	}
	for _, o := range d.Objects {
		if o.Key == nil {
			return nil, errMalformedXML
		}
	}
	return &d, nil
}

type deletedXML struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

type deleteErrorXML struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

type deleteResult struct {
	XMLName xml.Name         `xml:"DeleteResult"`
	Xmlns   string           `xml:"xmlns,attr"`
	Deleted []deletedXML     `xml:"Deleted"`
	Errors  []deleteErrorXML `xml:"Error"`
}

// maxDeleteBody bounds a Delete document: 1,000 keys of 1,024 bytes, escaped,
// with their version ids and markup.
const maxDeleteBody = 8 << 20

func (s *Service) deleteObjects(c *call) error {
	b, err := s.bucket(c)
	if err != nil {
		return err
	}
	body, err := s.readDocument(c, maxDeleteBody, docRequired)
	if err != nil {
		return err
	}
	d, err := parseDelete(body)
	if err != nil {
		return err
	}
	res := deleteResult{Xmlns: awsproto.XMLNamespace}
	for _, o := range d.Objects {
		key := *o.Key
		if err := checkKey(key); err != nil {
			ae := awsproto.As(err)
			res.Errors = append(res.Errors, deleteErrorXML{Key: key, VersionID: o.VersionID, Code: ae.Code, Message: ae.Message})
			continue
		}
		out, err := s.deleteKey(c, &b, key, o.VersionID, objstore.Condition{}, true)
		if err != nil {
			ae := awsproto.As(err)
			if ae.Server {
				ae = errInternal
			}
			res.Errors = append(res.Errors, deleteErrorXML{Key: key, VersionID: o.VersionID, Code: ae.Code, Message: ae.Message})
			continue
		}
		if d.Quiet {
			continue
		}
		del := deletedXML{Key: key, VersionID: o.VersionID}
		if out.deleteMarker {
			del.DeleteMarker = true
			del.DeleteMarkerVersionID = out.versionID
		}
		res.Deleted = append(res.Deleted, del)
	}
	awsproto.WriteXML(c.w, http.StatusOK, &res)
	return nil
}
