// Package metering is Stratus's usage ledger: every invocation's billing record,
// stored durably in a JetStream stream and rolled up per hour and function, and
// Lambda's public prices and free tier applied to any period of it.
package metering

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stratus-run/stratus/internal/invoke"
)

// record is one invocation as the ledger stores it: one JSON object per line of a
// batch message. Durations are in nanoseconds, the start in Unix nanoseconds.
type record struct {
	ID       string `json:"id"`
	Region   string `json:"r"`
	Function string `json:"fn"`
	Version  string `json:"v"`
	Arch     string `json:"arch"`
	MemoryMB int    `json:"mem"`
	Start    int64  `json:"start"`
	Duration int64  `json:"dur"`
	Init     int64  `json:"init,omitempty"`
	Billed   int64  `json:"billed"`
	MaxMem   int64  `json:"maxmem,omitempty"`
	Outcome  string `json:"out"`
	Cold     bool   `json:"cold,omitempty"`
}

func recordOf(u *invoke.Usage) record {
	return record{ID: u.RequestID, Region: u.Region, Function: u.Function, Version: u.Version,
		Arch: u.Architecture, MemoryMB: u.MemoryMB, Start: u.Start.UnixNano(), Duration: int64(u.Duration),
		Init: int64(u.InitDuration), Billed: int64(u.Billed), MaxMem: u.MaxMemoryBytes,
		Outcome: string(u.Outcome), Cold: u.ColdStart}
}

// maxBatchBytes keeps a batch message well under JetStream's 1 MB default.
const maxBatchBytes = 512 << 10

// encodeBatch appends rs as JSON lines.
func encodeBatch(buf []byte, rs []record) []byte {
	for i := range rs {
		b, _ := json.Marshal(&rs[i]) // plain fields: cannot fail
		buf = append(buf, b...)
		buf = append(buf, '\n')
	}
	return buf
}

var errBadRecord = errors.New("metering: bad usage record")

// decodeBatch parses a batch message. It refuses a batch with any record it cannot
// account for (no function, unknown architecture, negative figures), so one bad
// line cannot skew a rollup silently.
func decodeBatch(b []byte) ([]record, error) {
	var out []record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxBatchBytes)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("%w: %v", errBadRecord, err)
		}
		if err := r.check(); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadRecord, err)
	}
	return out, nil
}

func (r *record) check() error {
	switch {
	case r.Function == "" || r.Region == "":
		return fmt.Errorf("%w: no function or region", errBadRecord)
	case !validToken(r.Function) || !validToken(r.Region):
		return fmt.Errorf("%w: function %q or region %q", errBadRecord, r.Function, r.Region)
	case r.Arch != "x86_64" && r.Arch != "arm64":
		return fmt.Errorf("%w: architecture %q", errBadRecord, r.Arch)
	case r.MemoryMB <= 0 || r.Duration < 0 || r.Init < 0 || r.Billed < 0:
		return fmt.Errorf("%w: negative or zero figures", errBadRecord)
	}
	return nil
}

// validToken reports whether s can be one token of a key: Lambda function names
// and regions are [A-Za-z0-9_-]+.
func validToken(s string) bool {
	if s == "" || len(s) > 140 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// hourOf is the UTC hour a record belongs to.
func hourOf(unixNano int64) time.Time {
	return time.Unix(0, unixNano).UTC().Truncate(time.Hour)
}

// hourToken names an hour in subjects and keys: yyyy.mm.dd.hh, so a month or a
// day is one wildcard filter.
func hourToken(h time.Time) string { return h.UTC().Format("2006.01.02.15") }
