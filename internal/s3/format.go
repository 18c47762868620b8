package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// timeISO is how S3's XML documents write times: ISO 8601 with milliseconds, UTC.
const timeISO = "2006-01-02T15:04:05.000Z"

func isoTime(t time.Time) string { return t.UTC().Format(timeISO) }

// httpTime is how S3's headers write times (Last-Modified, Expires).
func httpTime(t time.Time) string { return t.UTC().Format(time.RFC1123[:len(time.RFC1123)-3] + "GMT") }

// quote returns an ETag as S3 sends it, in double quotes.
func quote(etag string) string { return `"` + etag + `"` }

// owner is the Owner element of listings: the account that owns every bucket.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

// owner returns the service's account as S3 names an owner: a canonical user id
// (64 hex characters) made from the account id, and the account id as its name.
func (s *Service) owner() owner {
	sum := sha256.Sum256([]byte("stratus-canonical-user/" + s.Account))
	return owner{ID: hex.EncodeToString(sum[:]), DisplayName: s.Account}
}
