package ecr

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/stratus-run/stratus/internal/store"
)

// Authorization tokens are verifiable rather than stored: the password is
// base64url(expiry ‖ nonce ‖ HMAC-SHA256(key, expiry ‖ nonce)), the key kept
// in the store so that tokens outlive a restart, as ECR's do.

var (
	errTokenInvalid = errors.New("ecr: authorization token invalid")
	errTokenExpired = errors.New("ecr: authorization token expired")
)

type tokenSigner struct {
	key []byte
	now func() time.Time
}

// loadTokenSigner reads the signing key from keys, creating it on first use.
func loadTokenSigner(ctx context.Context, keys *store.Table[[]byte], now func() time.Time) (*tokenSigner, error) {
	k, _, err := keys.Get(ctx, "token")
	if errors.Is(err, store.ErrNotFound) {
		k = make([]byte, 32)
		rand.Read(k) //nolint:errcheck // crypto/rand never fails on Linux
		if _, err := keys.Create(ctx, "token", k); err != nil {
			// Another server opened the same store first: use its key.
			if k, _, err = keys.Get(ctx, "token"); err != nil {
				return nil, err
			}
		}
	} else if err != nil {
		return nil, err
	}
	return &tokenSigner{key: k, now: now}, nil
}

func (t *tokenSigner) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, t.key)
	h.Write(payload)
	return h.Sum(nil)
}

// issue returns a password good until expires.
func (t *tokenSigner) issue(expires time.Time) string {
	payload := make([]byte, 8+16)
	binary.BigEndian.PutUint64(payload, uint64(expires.Unix()))
	rand.Read(payload[8:]) //nolint:errcheck
	return base64.RawURLEncoding.EncodeToString(append(payload, t.mac(payload)...))
}

// verify checks a password issue made: errTokenInvalid for anything else,
// errTokenExpired once its expiry has passed.
func (t *tokenSigner) verify(pass string) error {
	b, err := base64.RawURLEncoding.DecodeString(pass)
	if err != nil || len(b) != 8+16+sha256.Size {
		return errTokenInvalid
	}
	if !hmac.Equal(b[24:], t.mac(b[:24])) {
		return errTokenInvalid
	}
	if !t.now().Before(time.Unix(int64(binary.BigEndian.Uint64(b)), 0)) {
		return errTokenExpired
	}
	return nil
}

func (s *Service) getAuthorizationToken(ctx context.Context, r *http.Request, in *input) (any, error) {
	expires := s.Now().Add(s.TokenTTL).Truncate(time.Second)
	tok := base64.StdEncoding.EncodeToString([]byte("AWS:" + s.tokens.issue(expires)))
	return map[string]any{"authorizationData": []any{map[string]any{
		"authorizationToken": tok,
		"expiresAt":          epoch(expires),
		"proxyEndpoint":      "http://" + s.registryHost(s.region(r)),
	}}}, nil
}

func digestOf(body string) string { return digest.FromString(body).String() }
