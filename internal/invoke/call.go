package invoke

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// call is one invocation on its way through an environment.
type call struct {
	req     *Request
	id      string
	traceID string // the X-Ray header the function sees, with its own segment as Parent
	// parentID is the caller's segment (the incoming header's Parent): a function
	// that invoked this one, for instance.
	parentID string
	done     chan outcome // buffered: the finisher never blocks on a caller that left
	release  func()       // frees the concurrency slot, once

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
	c.traceID, c.parentID = lambdaTrace(req.TraceID)
	return c
}

// lambdaTrace is the trace header an invocation runs with, given the one it arrived
// with: the same Root (so a chain of functions calling functions is one trace, the
// callers' SDKs passing _X_AMZN_TRACE_ID on as X-Amzn-Trace-Id), a new Parent for
// this invocation's own segment, and the caller's Sampled decision and Lineage.
// It also returns the caller's segment. Without a valid Root a new trace starts.
func lambdaTrace(in string) (header, parent string) {
	var root, sampled, lineage string
	for in != "" {
		var field string
		field, in, _ = strings.Cut(in, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v
		case "Lineage":
			lineage = v
		}
	}
	if !validRoot(root) {
		return newTraceID(), ""
	}
	if sampled != "1" && sampled != "?" {
		sampled = "0"
	}
	header = "Root=" + root + ";Parent=" + randomHex(8) + ";Sampled=" + sampled
	if lineage != "" {
		header += ";Lineage=" + lineage
	}
	return header, parent
}

// validRoot checks an X-Ray trace id: 1-<8 hex digits>-<24 hex digits>.
func validRoot(r string) bool {
	if len(r) != 35 || r[:2] != "1-" || r[10] != '-' {
		return false
	}
	for i := 2; i < len(r); i++ {
		if i == 10 {
			continue
		}
		if c := r[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
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
