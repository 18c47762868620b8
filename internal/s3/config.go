package s3

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// What the bucket configuration subresources share: reading a document from the
// request, keeping it in Bucket.Config, and writing one back.

// maxConfigBody bounds a configuration document (1,000 lifecycle rules fit).
const maxConfigBody = 1 << 20

func isNoSuchBucket(err error) bool { return errors.Is(err, objstore.ErrNoSuchBucket) }

// readBody reads a configuration request's body (at most maxConfigBody bytes,
// aws-chunked or not) with the object handlers' document reader, which checks
// Content-MD5 and a flexible checksum when one is sent (InvalidDigest, BadDigest).
// An empty body is returned as such.
func (s *Service) readBody(c *call) ([]byte, error) {
	return s.readDocument(c, maxConfigBody, docOptional)
}

// decodeXML decodes a configuration document into v; MalformedXML when it is
// empty or not v's shape.
func decodeXML(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 || xml.Unmarshal(body, v) != nil {
		return errMalformedXML
	}
	return nil
}

// encodeXML encodes v as S3 writes a document: the XML declaration, then v.
func encodeXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("s3: encoding %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

// setConfig stores doc as the bucket's document name (nil removes it), changing
// nothing else, and forgets what the cache holds of the bucket.
func (s *Service) setConfig(c *call, name string, doc []byte) error {
	return s.updateBucket(c, func(b *objstore.Bucket) error {
		if doc == nil {
			delete(b.Config, name)
			return nil
		}
		if b.Config == nil {
			b.Config = make(map[string][]byte)
		}
		b.Config[name] = doc
		return nil
	})
}

// updateBucket applies fn to the request's bucket in the store's transaction.
func (s *Service) updateBucket(c *call, fn func(*objstore.Bucket) error) error {
	err := s.Store.UpdateBucket(c.r.Context(), c.bucket, fn)
	s.bstate.forget(c.bucket)
	if err != nil {
		return storeError(err, c.bucket, "")
	}
	return nil
}

// writeDoc answers a stored XML document as it was kept.
func writeDoc(c *call, doc []byte) error {
	h := c.w.Header()
	h["Content-Type"] = []string{"application/xml"}
	h["Content-Length"] = []string{itoa(len(doc))}
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(doc) //nolint:errcheck // the client went away
	return nil
}

// noContent answers 204, as S3 answers a configuration deleted (or a policy put).
func noContent(c *call) error {
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// ok answers an empty 200.
func ok(c *call) error {
	c.w.Header()["Content-Length"] = []string{"0"}
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// xmlns is the namespace attribute of the documents S3 writes; documents read
// need not carry it.
type xmlns struct {
	NS string `xml:"xmlns,attr,omitempty"`
}

func ns() xmlns { return xmlns{NS: awsproto.XMLNamespace} }

// noSuchConfig returns a configuration's 404, naming the bucket as S3 does.
func noSuchConfig(e *awsproto.Error, bucket string) error {
	return e.With(field("BucketName", bucket))
}
