package registry

import (
	_ "crypto/sha256" // registers sha256 with go-digest
	_ "crypto/sha512" // registers sha384 and sha512 with go-digest
	"regexp"

	"github.com/opencontainers/go-digest"
)

var (
	// nameRE is the distribution spec's repository name grammar. ECR allows the
	// same characters (lowercase, digits, . _ - and / between components) and
	// at most 256 of them, at least 2.
	nameRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagRE  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// ValidName reports whether name is a repository name ECR and the spec accept.
func ValidName(name string) bool {
	return len(name) >= 2 && len(name) <= 256 && nameRE.MatchString(name)
}

// ValidTag reports whether tag is a tag the spec accepts.
func ValidTag(tag string) bool { return tagRE.MatchString(tag) }

// parseDigest parses a digest of an algorithm the registry can verify
// (sha256, sha384, sha512), or fails with DIGEST_INVALID.
func parseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", ErrDigestInvalid.with("invalid digest " + s)
	}
	return d, nil
}
