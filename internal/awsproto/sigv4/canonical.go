package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// target returns the path and raw query exactly as the client sent them. The request
// line (RequestURI) is preferred over r.URL because it is what the client signed:
// r.URL may have been rewritten by a router, and Go re-escapes a path it considers
// oddly escaped. A request built in-process has no RequestURI and falls back to
// r.URL, the way the SDK's signer reads it.
func target(r *http.Request) (path, rawQuery string) {
	uri := r.RequestURI
	if i := strings.Index(uri, "://"); i >= 0 && !strings.HasPrefix(uri, "/") {
		// Absolute form, as sent to a proxy: drop the scheme and authority.
		uri = uri[i+len("://"):]
		if j := strings.IndexByte(uri, '/'); j >= 0 {
			uri = uri[j:]
		} else if j := strings.IndexByte(uri, '?'); j >= 0 {
			uri = "/" + uri[j:]
		} else {
			uri = "/"
		}
	}
	if strings.HasPrefix(uri, "/") {
		path, rawQuery, _ = strings.Cut(uri, "?")
		return path, rawQuery
	}
	if r.URL == nil {
		return "/", ""
	}
	if r.URL.Opaque != "" {
		// "//host/path", the form the SDK's signer documents for pre-escaped paths.
		op := strings.TrimPrefix(r.URL.Opaque, "//")
		if i := strings.IndexByte(op, '/'); i >= 0 {
			return op[i:], r.URL.RawQuery
		}
		return "/", r.URL.RawQuery
	}
	return r.URL.EscapedPath(), r.URL.RawQuery
}

// canonicalURIs returns the canonical URIs a client may have signed for path, most
// likely first. S3 signs the path as sent. Every other service escapes the sent path
// once more (aws-sdk-go-v2 and botocore both do, so "arn%3Aaws" is signed as
// "arn%253Aaws"); botocore first removes "." and ".." segments and repeated
// slashes, and aws-sdk-go-v2 does not, so both forms are tried when they differ.
func canonicalURIs(path string, s3 bool) []string {
	if path == "" {
		path = "/"
	}
	if s3 {
		return []string{path}
	}
	uris := []string{escapePath(path)}
	if n := normalizePath(path); n != path {
		uris = append(uris, escapePath(n))
	}
	return uris
}

// escapePath percent-encodes every byte of p except the RFC 3986 unreserved
// characters and '/', as aws-sdk-go-v2 and botocore do for the canonical URI.
func escapePath(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(p) + len(p)/4)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// normalizePath removes "." and ".." segments and empty segments the way botocore's
// remove_dot_segments does, keeping a trailing slash.
func normalizePath(p string) string {
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	n := "/" + strings.Join(out, "/")
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		n += "/"
	}
	return n
}

// parseQuery parses a raw query the way the SDK's signer does (url.Values), keeping
// what parses and dropping what does not.
func parseQuery(raw string) url.Values {
	q, _ := url.ParseQuery(raw) // the SDK signs url.URL.Query(), which drops the same pairs
	return q
}

// canonicalQuery encodes every name and value, then sorts by encoded name and encoded
// value: SigV4 sorts after encoding, and the two orders differ ("a-b" < "a/b" but
// "a%2Fb" < "a-b"). A presigned URL's X-Amz-Signature cannot sign itself, so it is
// left out.
func canonicalQuery(q url.Values, presigned bool) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		ek := escapeQuery(k)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, escapeQuery(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// escapeQuery is url.QueryEscape with a space as %20, as SigV4 requires; a literal
// '+' is already %2B, so replacing '+' touches only spaces.
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// canonicalHeaders writes "name:value\n" for each signed header, in the order the
// client listed them.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		name = strings.ToLower(name)
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	return b.String()
}

// headerValue returns a signed header's canonical value: each value trimmed with its
// runs of spaces collapsed, values joined by commas. Go's server moves Host,
// Content-Length and Transfer-Encoding out of r.Header, so they are read back from
// the request's fields.
func headerValue(r *http.Request, name string) string {
	if name == "host" {
		host := r.Host
		if host == "" && r.URL != nil {
			host = r.URL.Host
		}
		return collapseSpaces(host)
	}
	values := r.Header.Values(name)
	if len(values) == 0 {
		switch name {
		case "content-length":
			if r.ContentLength >= 0 {
				return strconv.FormatInt(r.ContentLength, 10)
			}
		case "transfer-encoding":
			return strings.Join(r.TransferEncoding, ",")
		}
		return ""
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = collapseSpaces(v)
	}
	return strings.Join(parts, ",")
}

// collapseSpaces trims s and turns each run of spaces into one, as the SDK's signer
// does (tabs are left alone, as there).
func collapseSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// emptySHA256 is the payload hash of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// bodySHA256 hashes the whole body and puts the same bytes back in r.Body, so the
// handler reads what was verified.
func bodySHA256(r *http.Request) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return emptySHA256, nil
	}
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// isHexSHA256 reports whether s looks like a hex SHA-256, as opposed to
// UNSIGNED-PAYLOAD or a STREAMING-* marker.
func isHexSHA256(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// checkedBody hashes an S3 body as the handler reads it and, at EOF, fails the read
// with a PayloadMismatch VerifyError if it does not match the signed hash. S3 bodies
// can be far too large to buffer the way bodySHA256 does.
type checkedBody struct {
	io.ReadCloser
	h    hash.Hash
	want string
	err  error // the mismatch, once found; every later read repeats it
}

func (c *checkedBody) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.ReadCloser.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && !strings.EqualFold(hex.EncodeToString(c.h.Sum(nil)), c.want) {
		c.err = errPayloadMismatch()
		return n, c.err
	}
	return n, err
}
