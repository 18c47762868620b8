package s3

import (
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
