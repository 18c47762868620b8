package sns

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/stratus-run/stratus/internal/store"
)

// signer holds the RSA key SNS signs messages with and its self-signed
// certificate, kept in the store so signatures verify across restarts.
type signer struct {
	key     *rsa.PrivateKey
	certPEM []byte
	id      string
}

type keyRecord struct {
	KeyPEM  string `json:"key"`
	CertPEM string `json:"cert"`
	ID      string `json:"id"`
}

// loadSigner reads the signing key, creating it the first time.
func loadSigner(ctx context.Context, st *store.Store) (*signer, error) {
	t, err := store.OpenTable[keyRecord](ctx, st, "sns_keys", 1)
	if err != nil {
		return nil, err
	}
	rec, _, err := t.Get(ctx, "signing")
	if errors.Is(err, store.ErrNotFound) {
		rec, err = newKeyRecord()
		if err != nil {
			return nil, err
		}
		if _, err = t.Create(ctx, "signing", rec); errors.Is(err, store.ErrExists) {
			rec, _, err = t.Get(ctx, "signing")
		}
	}
	if err != nil {
		return nil, err
	}
	return parseSigner(rec)
}

// parseSigner decodes a stored key record.
func parseSigner(rec keyRecord) (*signer, error) {
	blk, _ := pem.Decode([]byte(rec.KeyPEM))
	if blk == nil {
		return nil, errors.New("sns: stored signing key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sns: stored signing key: %w", err)
	}
	return &signer{key: key, certPEM: []byte(rec.CertPEM), id: rec.ID}, nil
}

func newKeyRecord() (keyRecord, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return keyRecord{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		DNSNames:     []string{"sns.amazonaws.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return keyRecord{}, err
	}
	var id [16]byte
	rand.Read(id[:]) //nolint:errcheck // never fails on Linux
	return keyRecord{
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		ID:      hex.EncodeToString(id[:]),
	}, nil
}

// certPath is the path the certificate is served at, in AWS's form.
func (g *signer) certPath() string { return "/SimpleNotificationService-" + g.id + ".pem" }

// sign signs AWS's canonical string of a message: SignatureVersion 1 with
// SHA1withRSA, 2 with SHA256withRSA.
func (g *signer) sign(version, canonical string) string {
	var sig []byte
	var err error
	if version == "2" {
		h := sha256.Sum256([]byte(canonical))
		sig, err = rsa.SignPKCS1v15(rand.Reader, g.key, crypto.SHA256, h[:])
	} else {
		h := sha1.Sum([]byte(canonical))
		sig, err = rsa.SignPKCS1v15(rand.Reader, g.key, crypto.SHA1, h[:])
	}
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// canonical is AWS's string to sign: the named fields' "Name\nvalue\n" in
// its fixed order, leaving out Subject when the message has none.
func canonical(e *envelope) string {
	var b []byte
	add := func(k, v string) { b = append(append(append(append(b, k...), '\n'), v...), '\n') }
	add("Message", e.Message)
	add("MessageId", e.MessageID)
	if e.Type == "Notification" {
		if e.Subject != "" {
			add("Subject", e.Subject)
		}
		add("Timestamp", e.Timestamp)
		add("TopicArn", e.TopicARN)
		add("Type", e.Type)
		return string(b)
	}
	add("SubscribeURL", e.SubscribeURL)
	add("Timestamp", e.Timestamp)
	add("Token", e.Token)
	add("TopicArn", e.TopicARN)
	add("Type", e.Type)
	return string(b)
}
