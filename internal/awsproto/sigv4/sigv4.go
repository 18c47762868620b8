// Package sigv4 verifies AWS Signature Version 4 on requests Stratus receives, for
// the strict auth mode, and reads a request's credential scope for the default mode
// that accepts any signature.
//
// Verify accepts what the AWS SDKs sign: the Authorization header form and the
// presigned query form (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature). Its errors are
// *VerifyError values that carry the AWS error a JSON service (Lambda and the like)
// sends, and a Failure kind for protocols that word them differently. Session tokens
// (X-Amz-Security-Token) are signed like any other header or parameter but not
// checked against anything.
//
// NewChunkedReader decodes the aws-chunked bodies of S3 streaming uploads and checks
// their chunk and trailer signatures against the Stream that VerifyStream returns.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm      = "AWS4-HMAC-SHA256"
	terminator     = "aws4_request"
	timeFormat     = "20060102T150405Z"
	dateFormat     = "20060102"
	unsigned       = "UNSIGNED-PAYLOAD"
	maxExpires     = 604800 // seconds: a week, the life of a signing key
	defaultMaxSkew = 15 * time.Minute
)

// Verifier checks SigV4 signatures against a set of secret keys. Its zero value
// rejects every signed request as signed by an unknown key. A Verifier is safe for
// concurrent use if Secret and Now are.
type Verifier struct {
	// Secret returns the secret key for an access key id; ok=false for unknown keys.
	Secret func(accessKeyID string) (secret string, ok bool)
	// Now is the clock requests are checked against; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far a request's date may be from Now; zero means 15 minutes,
	// as AWS allows.
	MaxSkew time.Duration
}

// Identity is who signed a request and for what scope: the access key id and the
// date (YYYYMMDD), region and service of the credential scope.
type Identity struct {
	AccessKeyID, Date, Region, Service string
}

// claim is what a request says about its own signature, before any of it is checked.
type claim struct {
	presigned     bool
	credential    string
	signedHeaders string
	signature     string
	date          string        // ISO-8601 basic, as it enters the string to sign
	t             time.Time     // date, parsed
	expires       time.Duration // a presigned URL's X-Amz-Expires; 0 when absent
}

// Verify checks r's SigV4 signature and returns who signed it.
//
// On failure it returns a *VerifyError; the only other errors come from reading
// r.Body, and wrap that error. To hash the payload Verify may read r.Body whole, and
// then replaces it with the same bytes, so the handler reads what was verified. For
// an S3-scoped request whose signed x-amz-content-sha256 is a hash, the body is
// instead checked as it is read: the read that reaches EOF fails with a
// PayloadMismatch VerifyError if the body does not match.
//
// r must be the request as received (before any router rewrites its path), since the
// signature covers the path and query as the client sent them.
//
// A request without x-amz-content-sha256 is checked against the hash of its body; a
// presigned one against UNSIGNED-PAYLOAD (how S3 URLs are presigned) or else the hash
// of its body (how STS GetCallerIdentity URLs are). X-Amz-Expires is optional for
// presigned URLs, as for AWS services other than S3; without it the URL is good for
// MaxSkew either side of its date.
//
// For a streaming (aws-chunked) request Verify checks the seed signature only; use
// VerifyStream to get what checking the chunks takes.
func (v *Verifier) Verify(r *http.Request) (Identity, error) {
	return v.verify(r, nil)
}

// verify is Verify. When stream is not nil and the request's signed
// x-amz-content-sha256 announces signed chunks, it also sets *stream to what
// checking them takes; it leaves *stream alone otherwise.
func (v *Verifier) verify(r *http.Request, stream **Stream) (Identity, error) {
	path, rawQuery := target(r)
	query := parseQuery(rawQuery)
	c, err := readClaim(r, query)
	if err != nil {
		return Identity{}, err
	}
	signed := strings.Split(c.signedHeaders, ";")
	if !containsHost(signed) {
		return Identity{}, errInvalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if err := v.checkTime(c); err != nil {
		return Identity{}, err
	}
	id, err := checkScope(c)
	if err != nil {
		return Identity{}, err
	}
	secret, ok := "", false
	if v.Secret != nil {
		secret, ok = v.Secret(id.AccessKeyID)
	}
	if !ok {
		return Identity{}, errUnknownKey()
	}

	// S3 differs in two ways: it signs the path as sent, and its bodies may be too
	// large to buffer.
	s3 := id.Service == "s3"
	prefix := r.Method
	if prefix == "" {
		prefix = http.MethodGet
	}
	prefix += "\n"
	suffix := "\n" + canonicalQuery(query, c.presigned) + "\n" +
		canonicalHeaders(r, signed) + "\n" + c.signedHeaders + "\n"
	key := signingKey(secret, id)
	want := []byte(c.signature)
	scope := strings.Join([]string{id.Date, id.Region, id.Service, terminator}, "/")
	matches := func(payload string) bool {
		for _, uri := range canonicalURIs(path, s3) {
			sum := sha256.Sum256([]byte(prefix + uri + suffix + payload))
			toSign := algorithm + "\n" + c.date + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
			got := hex.EncodeToString(hmacSHA256(key, toSign))
			if hmac.Equal([]byte(got), want) {
				return true
			}
		}
		return false
	}

	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == "" && c.presigned {
		declared = query.Get("X-Amz-Content-Sha256")
	}
	switch {
	case declared != "" && !isHexSHA256(declared):
		// UNSIGNED-PAYLOAD, or STREAMING-*: the seed signature covers the marker only;
		// chunk signatures are the streaming decoder's business (chunked.go).
		if matches(declared) {
			if stream != nil && signsChunks(declared) {
				*stream = &Stream{key: key, date: c.date, scope: scope, seed: c.signature}
			}
			return id, nil
		}
	case declared != "" && s3:
		if matches(declared) {
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = &checkedBody{ReadCloser: r.Body, h: sha256.New(), want: declared}
			}
			return id, nil
		}
	default:
		// Outside S3 the body is hashed even when a hash is declared: a body that
		// does not match its declared hash then fails as a signature mismatch.
		if c.presigned && declared == "" && matches(unsigned) {
			return id, nil
		}
		if s3 && c.presigned && declared == "" {
			break // presigned S3 bodies may be huge uploads; never buffer them
		}
		sum, err := bodySHA256(r)
		if err != nil {
			return Identity{}, fmt.Errorf("sigv4: read body: %w", err)
		}
		if matches(sum) {
			return id, nil
		}
	}
	return Identity{}, errSignatureMismatch()
}

// Scope returns the credential scope and access key a request claims, from its
// Authorization header or X-Amz-Credential query parameter, without verifying
// anything. It returns ok=false when the request is unsigned or its credential is
// not five slash-separated parts.
func Scope(r *http.Request) (Identity, bool) {
	var credential string
	if h := r.Header.Get("Authorization"); h != "" {
		for _, f := range authFields(h) {
			if k, v, _ := strings.Cut(f, "="); k == "Credential" {
				credential = v
			}
		}
	} else {
		_, rawQuery := target(r)
		credential = parseQuery(rawQuery).Get("X-Amz-Credential")
	}
	id, _, ok := parseCredential(credential)
	return id, ok
}

// readClaim finds the signature's parts in the Authorization header or the query.
func readClaim(r *http.Request, query map[string][]string) (*claim, error) {
	header := r.Header.Get("Authorization")
	_, presigned := query["X-Amz-Algorithm"]
	switch {
	case header != "" && presigned:
		return nil, errInvalidSignature("Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	case header != "":
		return readHeaderClaim(r, header)
	case presigned:
		return readQueryClaim(query)
	}
	return nil, errMissing()
}

// authFields splits an Authorization header on spaces and commas, as AWS does: a
// space after "Credential=" makes the key id a field of its own.
func authFields(h string) []string {
	return strings.FieldsFunc(h, func(c rune) bool { return c == ' ' || c == ',' || c == '\t' })
}

func readHeaderClaim(r *http.Request, header string) (*claim, error) {
	fields := authFields(header)
	alg := ""
	if len(fields) > 0 {
		alg, fields = fields[0], fields[1:]
	}
	c := &claim{}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			if alg != algorithm {
				continue // another scheme ("AWS key:sig"): AWS reports what is missing instead
			}
			return nil, errIncomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'", f, header)
		}
		switch k {
		case "Credential":
			c.credential = v
		case "SignedHeaders":
			c.signedHeaders = v
		case "Signature":
			c.signature = v
		}
	}
	var missing strings.Builder
	for _, p := range []struct{ name, value string }{
		{"Credential", c.credential}, {"Signature", c.signature}, {"SignedHeaders", c.signedHeaders},
	} {
		if p.value == "" {
			fmt.Fprintf(&missing, "Authorization header requires '%s' parameter. ", p.name)
		}
	}
	amzDate, date := r.Header.Get("X-Amz-Date"), r.Header.Get("Date")
	if amzDate == "" && date == "" {
		missing.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if missing.Len() > 0 {
		return nil, errIncomplete("%sAuthorization=%s", missing.String(), header)
	}
	if alg != algorithm {
		return nil, errIncomplete("Unsupported AWS 'algorithm': '%s'.", alg)
	}
	var ok bool
	if amzDate != "" {
		c.t, ok = parseAmzDate(amzDate)
		if !ok {
			return nil, errBadDate(amzDate)
		}
	} else if c.t, ok = parseAmzDate(date); !ok {
		// The Date header may also be an HTTP date; the string to sign then carries
		// it in ISO-8601 basic form.
		t, err := http.ParseTime(date)
		if err != nil {
			return nil, errBadDate(date)
		}
		c.t = t.UTC()
	}
	c.date = c.t.Format(timeFormat)
	return c, nil
}

func readQueryClaim(query map[string][]string) (*claim, error) {
	get := func(k string) string {
		if vs := query[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	alg := get("X-Amz-Algorithm")
	if alg != "" && alg != algorithm {
		return nil, errMissing()
	}
	c := &claim{
		presigned:     true,
		credential:    get("X-Amz-Credential"),
		signature:     get("X-Amz-Signature"),
		signedHeaders: get("X-Amz-SignedHeaders"),
		date:          get("X-Amz-Date"),
	}
	var missing strings.Builder
	for _, p := range []struct{ name, value string }{
		{"X-Amz-Algorithm", alg}, {"X-Amz-Credential", c.credential}, {"X-Amz-Signature", c.signature},
		{"X-Amz-SignedHeaders", c.signedHeaders}, {"X-Amz-Date", c.date},
	} {
		if p.value == "" {
			fmt.Fprintf(&missing, "AWS query-string parameters must include '%s'. ", p.name)
		}
	}
	if missing.Len() > 0 {
		return nil, errIncomplete("%sRe-examine the query-string parameters.", missing.String())
	}
	var ok bool
	if c.t, ok = parseAmzDate(c.date); !ok {
		return nil, errBadDate(c.date)
	}
	if vs, ok := query["X-Amz-Expires"]; ok {
		e := ""
		if len(vs) > 0 {
			e = vs[0]
		}
		// The wording is S3's; other services ignore X-Amz-Expires.
		n, err := strconv.ParseInt(e, 10, 64)
		switch {
		case err != nil && strings.HasPrefix(e, "-"), err == nil && n < 0:
			return nil, errIncomplete("X-Amz-Expires must be non-negative")
		case err != nil:
			return nil, errIncomplete("X-Amz-Expires should be a number")
		case n == 0:
			// Not AWS's words: S3 takes 0 and the URL is simply expired.
			return nil, errIncomplete("X-Amz-Expires must be at least 1 second")
		case n > maxExpires:
			return nil, errIncomplete("X-Amz-Expires must be less than a week (in seconds) that is %d", maxExpires)
		}
		c.expires = time.Duration(n) * time.Second
	}
	return c, nil
}

// parseAmzDate parses ISO-8601 basic format (20060102T150405Z) and nothing looser:
// time.Parse alone would take one-digit fields, and the string must round-trip into
// the string to sign unchanged.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(timeFormat) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	for i := 0; i < 15; i++ {
		if i != 8 && (s[i] < '0' || s[i] > '9') {
			return time.Time{}, false
		}
	}
	t, err := time.Parse(timeFormat, s)
	return t, err == nil
}

func containsHost(signed []string) bool {
	for _, h := range signed {
		if h = strings.ToLower(h); h == "host" || h == ":authority" {
			return true
		}
	}
	return false
}

func (v *Verifier) checkTime(c *claim) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = defaultMaxSkew
	}
	t := now().UTC()
	if c.t.After(t.Add(skew)) {
		return errTooLate(c.date, t, skew)
	}
	window := skew
	if c.expires > 0 {
		window = c.expires
	}
	if c.t.Before(t.Add(-window)) {
		return errTooEarly(c.date, t, window)
	}
	return nil
}

// parseCredential splits "key/date/region/service/terminator"; ok=false unless
// there are exactly five parts.
func parseCredential(credential string) (id Identity, term string, ok bool) {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return Identity{}, "", false
	}
	return Identity{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, parts[4], true
}

// checkScope validates the credential scope against itself and the request's date.
func checkScope(c *claim) (Identity, error) {
	id, term, ok := parseCredential(c.credential)
	switch {
	case !ok:
		return Identity{}, errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", c.credential)
	case term != terminator:
		return Identity{}, errIncomplete("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, term)
	case id.Region == "":
		return Identity{}, errIncomplete("Credential should be scoped to a valid region, not ''.")
	case id.Service == "":
		// Not AWS's words: AWS names the service it expected, and Stratus expects any.
		return Identity{}, errIncomplete("Credential should be scoped to a valid service, not ''.")
	}
	if want := c.t.Format(dateFormat); id.Date != want {
		return Identity{}, errInvalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", id.Date, want, c.date)
	}
	return id, nil
}

func signingKey(secret string, id Identity) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), id.Date)
	k = hmacSHA256(k, id.Region)
	k = hmacSHA256(k, id.Service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
