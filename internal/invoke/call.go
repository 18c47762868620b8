package invoke

import (
	"crypto/rand"
	"encoding/hex"
	"github.com/stratus-run/stratus/internal/awsproto"
	"strconv"
	"time"
)

// call is one invocation on its way through an environment.
type call struct {
	req     *Request
	id      string
	traceID string
	done    chan outcome // buffered: the finisher never blocks on a caller that left
	release func()       // frees the concurrency slot, once

	// Set by the environment that runs the call, under its lock.
	start    time.Time
	deadline time.Time
	timer    *time.Timer
	redone   bool // already redispatched once after its environment died unseen
}

// outcome is what a call ends with: a result from the function, or an error when it
// could not run at all.
type outcome struct {
	r   *Result
	err error
}

func newCall(req *Request, release func()) *call {
	id := req.RequestID
	if id == "" {
		id = awsproto.NewRequestID()
	}
	c := &call{req: req, id: id, done: make(chan outcome, 1), release: release}
	c.traceID = req.TraceID
	if c.traceID == "" {
		c.traceID = newTraceID()
	}
	return c
}

// newTraceID returns an X-Ray trace header for an invocation that arrived without
// one: Root=1-<epoch seconds hex>-<96 random bits>;Parent=<64 bits>;Sampled=0.
func newTraceID() string {
	var b [20]byte
	rand.Read(b[:]) //nolint:errcheck
	return "Root=1-" + strconv.FormatInt(time.Now().Unix(), 16) + "-" + hex.EncodeToString(b[:12]) +
		";Parent=" + hex.EncodeToString(b[12:]) + ";Sampled=0"
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck
	return hex.EncodeToString(b)
}
