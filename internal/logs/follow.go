package logs

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The aws CLI's `logs tail --follow` polls FilterLogEvents and, after a page without
// a nextToken, sleeps five seconds before the next poll; on AWS a new line can take
// that long to show. Stratus answers a following tail with a follow token instead:
// the CLI asks again at once with it, and that request waits (long-polls) until new
// events arrive, so lines show within milliseconds.
//
// The CLI's follow and no-follow modes send identical requests (the no-follow one
// pages through a paginator, which would chase a follow token forever). What tells
// them apart is that only follow asks twice without a token over one connection, so
// the first answer is always AWS's, and following starts with the second poll.

const (
	// followTokenPrefix marks a follow token; the rest is a position, as in the
	// ordinary nextToken.
	followTokenPrefix = "tail"
	// followWait bounds one long poll, well inside the CLI's 60 s read timeout.
	followWait = 20 * time.Second
	// followMemory is how long a tail's first poll is remembered.
	followMemory = time.Minute
)

// tailPolls remembers which connections have polled a group as the CLI's tail does.
type tailPolls struct {
	mu   sync.Mutex
	seen map[string]time.Time // remote address + group → last poll
}

// isCLITail reports whether r comes from the aws CLI's `logs tail` command, which
// names itself in the User-Agent (command/logs.tail).
func isCLITail(r *http.Request) bool {
	return strings.Contains(r.Header.Get("User-Agent"), "command/logs.tail")
}

// repeat records a tokenless tail poll and reports whether the same connection
// polled the same group before: a following tail.
func (tp *tailPolls) repeat(remote, region, group string) bool {
	k := remote + "\x00" + region + "\x00" + group
	now := time.Now()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.seen == nil {
		tp.seen = map[string]time.Time{}
	}
	last, ok := tp.seen[k]
	tp.seen[k] = now
	if len(tp.seen) > 1024 {
		for k, at := range tp.seen {
			if now.Sub(at) > followMemory {
				delete(tp.seen, k)
			}
		}
	}
	return ok && now.Sub(last) <= followMemory
}

func followToken(p position) string {
	return base64.RawURLEncoding.EncodeToString([]byte(followTokenPrefix + p.String()))
}

// parseFilterToken reads a FilterLogEvents nextToken: an ordinary one or a follow
// token.
func parseFilterToken(tok string) (p position, follow bool, err error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return p, false, errBadToken
	}
	s := string(b)
	if strings.HasPrefix(s, followTokenPrefix) {
		s, follow = s[len(followTokenPrefix):], true
	}
	if len(s) != 56 {
		return p, false, errBadToken
	}
	if _, err := fmt.Sscanf(s, "%020d%036d", &p.ts, &p.seq); err != nil {
		return p, false, errBadToken
	}
	return p, follow, nil
}

// appendedSignal returns a channel closed at the next append to any stream.
func (s *Service) appendedSignal() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.appended
}

// waitAppended waits until something is appended, the deadline passes or ctx ends;
// false when there is no point in looking again.
func waitAppended(ctx context.Context, sig <-chan struct{}, deadline time.Time) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-sig:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}
