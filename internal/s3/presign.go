package s3

import (
	"net/http"
	"strconv"
	"time"
)

// Presigned URLs. The edge checks their signatures in the strict auth mode only;
// their expiry S3 enforces whatever signs them, so the service checks it on every
// request, before routing.

// maxPresignExpires is the longest a SigV4 presigned URL lives: a week.
const maxPresignExpires = 7 * 24 * 3600

// presignTime is how S3 writes the times of an expired URL's error.
const presignTime = "2006-01-02T15:04:05Z"

// checkPresigned refuses a presigned URL past its expiry, as S3 does: 403
// AccessDenied "Request has expired" with X-Amz-Expires, Expires and ServerTime
// (SigV4), or Expires and ServerTime (SigV2, whose Expires is an epoch second).
// A malformed X-Amz-Date or X-Amz-Expires is AuthorizationQueryParametersError.
func (s *Service) checkPresigned(c *call) error {
	now := s.Now().UTC()
	if c.q.Get("X-Amz-Algorithm") != "" {
		date, expires := c.q.Get("X-Amz-Date"), c.q.Get("X-Amz-Expires")
		if date == "" || expires == "" {
			return nil // the verifier (strict mode) says what is missing
		}
		t, err := time.Parse("20060102T150405Z", date)
		if err != nil {
			return queryParamsError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
		}
		n, err := strconv.ParseInt(expires, 10, 64)
		switch {
		case err != nil:
			return queryParamsError("X-Amz-Expires should be a number")
		case n < 0:
			return queryParamsError("X-Amz-Expires must be non-negative")
		case n > maxPresignExpires:
			return queryParamsError("X-Amz-Expires must be less than a week (in seconds) that is 604800 seconds")
		}
		if end := t.Add(time.Duration(n) * time.Second); now.After(end) {
			return errExpired.With(field("X-Amz-Expires", expires), field("Expires", end.Format(presignTime)),
				field("ServerTime", now.Format(presignTime)))
		}
		return nil
	}
	if c.q.Get("AWSAccessKeyId") != "" && c.q.Get("Signature") != "" {
		exp, err := strconv.ParseInt(c.q.Get("Expires"), 10, 64)
		if err != nil {
			return nil
		}
		if end := time.Unix(exp, 0).UTC(); now.After(end) {
			return errExpired.With(field("Expires", end.Format(presignTime)), field("ServerTime", now.Format(presignTime)))
		}
	}
	return nil
}

// errExpired is S3's answer to a presigned URL past its expiry.
var errExpired = s3err(http.StatusForbidden, "AccessDenied", "Request has expired")

func queryParamsError(msg string) error {
	return s3err(http.StatusBadRequest, "AuthorizationQueryParametersError", msg)
}
