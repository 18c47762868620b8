package s3

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// maxKeyLength is S3's limit on a key's UTF-8 bytes.
const maxKeyLength = 1024

// checkBucketName applies S3's general purpose bucket naming rules: 3 to 63
// characters of lowercase letters, digits, dots and hyphens, starting and ending
// with a letter or digit, no two adjacent dots, not an IPv4 address, and none of
// the prefixes and suffixes S3 reserves. As S3 does, though its naming rules no
// longer say so, it also refuses a dot next to a hyphen ("a.-b", "a-.b"): each
// dot-separated label must start and end with a letter or digit.
func checkBucketName(name string) error {
	bad := errInvalidBucketName.With(field("BucketName", name))
	if len(name) < 3 || len(name) > 63 {
		return bad
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return bad
			}
			if c == '.' && (name[i-1] == '.' || name[i-1] == '-') || c == '-' && name[i-1] == '.' {
				return bad
			}
		default:
			return bad
		}
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return bad
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return bad
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return bad
		}
	}
	return nil
}

// checkKey refuses keys S3 would not store: longer than 1,024 bytes, not UTF-8,
// or holding a NUL (which the store's key order reserves).
func checkKey(key string) error {
	if len(key) > maxKeyLength {
		return errKeyTooLong.With(field("Size", itoa(len(key))), field("MaxSizeAllowed", itoa(maxKeyLength)))
	}
	if !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return errInvalidURI
	}
	return nil
}
