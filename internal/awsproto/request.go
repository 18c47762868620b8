package awsproto

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// RequestInfo is what the edge learned about a request before a service sees it.
type RequestInfo struct {
	Region    string // from the SigV4 credential scope; the server default when unsigned
	Service   string // SigV4 service name, when signed
	AccessKey string
	Account   string
	RequestID string // x-amzn-RequestId of the response
	// Operation is the API operation's name, as the service's model spells it
	// ("Invoke", "PutLogEvents"): the edge reads it from X-Amz-Target; a REST
	// service sets it once it has routed the request. "" when unknown.
	Operation string
	// Host is the host:port the client addressed, for URLs handed back to it.
	Host   string
	Scheme string
}

type infoKey struct{}

// WithInfo returns ctx carrying info.
func WithInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, info)
}

// Info returns the request's info; a zero default if the edge set none.
func Info(ctx context.Context) *RequestInfo {
	if i, ok := ctx.Value(infoKey{}).(*RequestInfo); ok {
		return i
	}
	return &RequestInfo{Region: "us-east-1", Account: "000000000000", Scheme: "http"}
}

// NewRequestID returns a random (version 4) UUID, the form of AWS request ids and
// Lambda revision ids.
func NewRequestID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
