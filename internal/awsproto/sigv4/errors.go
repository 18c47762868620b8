package sigv4

import (
	"fmt"
	"net/http"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// Failure is the kind of a verification failure. Each protocol renders a kind in its
// own words: VerifyError carries what the JSON services (Lambda and the like) send,
// and S3 maps the same kinds to SignatureDoesNotMatch, InvalidAccessKeyId and
// AccessDenied. A Failure is an error so that errors.Is(err, sigv4.Expired) works on
// whatever Verify returned.
type Failure int

// The kinds of failure.
const (
	// Missing: neither an Authorization header nor an X-Amz-Algorithm query parameter.
	Missing Failure = iota + 1
	// Incomplete: the Authorization header, the presigned query or the credential
	// scope is malformed or lacks a part.
	Incomplete
	// Expired: the request's date is outside the allowed clock skew, or a presigned
	// URL is past its X-Amz-Expires.
	Expired
	// UnknownKey: the access key id has no secret.
	UnknownKey
	// BadSignature: the signature does not match the request, or the request
	// contradicts its own signature (unsigned host, scope date not the request date).
	BadSignature
	// PayloadMismatch: an S3 body did not hash to its signed x-amz-content-sha256.
	// Only reading the body reports it; see Verify.
	PayloadMismatch
)

var failureNames = [...]string{
	Missing:         "missing authentication",
	Incomplete:      "incomplete signature",
	Expired:         "signature expired",
	UnknownKey:      "unknown access key",
	BadSignature:    "signature mismatch",
	PayloadMismatch: "payload hash mismatch",
}

// String names the kind, e.g. "signature expired".
func (f Failure) String() string {
	if f > 0 && int(f) < len(failureNames) {
		return failureNames[f]
	}
	return fmt.Sprintf("Failure(%d)", int(f))
}

// Error makes a Failure a target for errors.Is; Verify never returns a bare Failure.
func (f Failure) Error() string { return "sigv4: " + f.String() }

// VerifyError is the error Verify returns when a request fails verification. Err is
// the AWS error a JSON service sends for it (never nil); Failure is its kind, for
// protocols that word the same failure differently. errors.Is matches both the
// Failure and, through Unwrap, an *awsproto.Error with the same code.
type VerifyError struct {
	Failure Failure
	Err     *awsproto.Error
}

func (e *VerifyError) Error() string { return e.Err.Error() }

// Unwrap returns the *awsproto.Error, so awsproto.As renders a VerifyError as is.
func (e *VerifyError) Unwrap() error { return e.Err }

// Is reports whether target is this error's Failure.
func (e *VerifyError) Is(target error) bool {
	f, ok := target.(Failure)
	return ok && f == e.Failure
}

func fail(f Failure, code, format string, args ...any) *VerifyError {
	return &VerifyError{Failure: f, Err: awsproto.Errorf(http.StatusForbidden, code, format, args...)}
}

// The messages follow AWS's wording as clients and other emulators quote it
// (verify_test.go pins each sentence); the few that have no AWS original to copy
// say so where they are made.

func errMissing() *VerifyError {
	return fail(Missing, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

func errIncomplete(format string, args ...any) *VerifyError {
	return fail(Incomplete, "IncompleteSignatureException", format, args...)
}

func errBadDate(got string) *VerifyError {
	return errIncomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", got)
}

func errUnknownKey() *VerifyError {
	return fail(UnknownKey, "UnrecognizedClientException", "The security token included in the request is invalid.")
}

func errInvalidSignature(format string, args ...any) *VerifyError {
	return fail(BadSignature, "InvalidSignatureException", format, args...)
}

func errSignatureMismatch() *VerifyError {
	return errInvalidSignature("The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

// errTooEarly reports a request dated before now-window; window is the clock skew,
// or a presigned URL's X-Amz-Expires.
func errTooEarly(date string, now time.Time, window time.Duration) *VerifyError {
	return fail(Expired, "InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - %s.)",
		date, now.Add(-window).Format(timeFormat), now.Format(timeFormat), spell(window))
}

// errTooLate reports a request dated after now+skew.
func errTooLate(date string, now time.Time, skew time.Duration) *VerifyError {
	return fail(Expired, "InvalidSignatureException", "Signature expired: %s is now later than %s (%s + %s.)",
		date, now.Add(skew).Format(timeFormat), now.Format(timeFormat), spell(skew))
}

// errPayloadMismatch is S3's own error: only S3-scoped requests have their body
// checked while it is read, so no other protocol sees it.
func errPayloadMismatch() *VerifyError {
	return &VerifyError{Failure: PayloadMismatch, Err: awsproto.Errorf(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
		"The provided 'x-amz-content-sha256' header does not match what was computed.")}
}

// spell writes a window the way AWS does in "Signature expired" messages: "15 min",
// or seconds when it is not a whole number of minutes.
func spell(d time.Duration) string {
	s := int64(d / time.Second)
	if s%60 == 0 {
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d sec", s)
}
