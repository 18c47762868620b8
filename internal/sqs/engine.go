package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/sqs/msgstore"
)

// record is a message as stored in the msgstore.
type record struct {
	ID        string               `json:"i"`
	Body      string               `json:"b"`
	Attrs     map[string]attrValue `json:"a,omitempty"`
	Trace     *attrValue           `json:"t,omitempty"`
	Sent      int64                `json:"s"` // ms
	Sender    string               `json:"u"`
	Group     string               `json:"g,omitempty"`
	Dedup     string               `json:"d,omitempty"`
	VisibleAt int64                `json:"v,omitempty"` // ms, end of DelaySeconds
	Origin    string               `json:"o,omitempty"` // ARN of the queue that dead-lettered it, for redrive
}

// state is a message's receive state as stored in the msgstore.
type state struct {
	Count    int   `json:"c"`
	First    int64 `json:"f"`
	Deadline int64 `json:"d"`
}

// msg is one message in a queue's in-memory index.
type msg struct {
	seq      uint64
	rec      record
	md5Body  string
	md5Attrs string
	count    int
	first    int64
	visAt    int64 // ms: visible from then (delay or visibility timeout)
	inflight bool
}

// queue is a queue's metadata and its in-memory index of messages.
// mu guards everything below it.
type queue struct {
	mu     sync.Mutex
	meta   queueMeta
	rev    uint64
	msgs   map[uint64]*msg
	order  []uint64 // seqs in arrival order; deleted ones are skipped and compacted
	notify chan struct{}
	purged time.Time
	gone   bool
	dedup  map[string]dedupEntry
	// attempts are FIFO receives by ReceiveRequestAttemptId, kept for
	// dedupWindow so a retried receive gets the same messages back.
	attempts map[string]receiveAttempt
}

func newQueue(m queueMeta) *queue {
	return &queue{meta: m, msgs: map[uint64]*msg{}, notify: make(chan struct{}), dedup: map[string]dedupEntry{}}
}

// wakeLocked wakes long-polling receivers. q.mu held.
func (q *queue) wakeLocked() {
	close(q.notify)
	q.notify = make(chan struct{})
}

func (q *queue) addLocked(seq uint64, r record) *msg {
	m := &msg{seq: seq, rec: r, md5Body: md5Hex(r.Body), md5Attrs: md5OfAttributes(r.Attrs), visAt: r.VisibleAt}
	q.msgs[seq] = m
	q.order = append(q.order, seq)
	return m
}

func (q *queue) removeLocked(seq uint64) {
	delete(q.msgs, seq)
	if len(q.order) > 64 && len(q.msgs) < len(q.order)/2 {
		kept := q.order[:0]
		for _, s := range q.order {
			if _, ok := q.msgs[s]; ok {
				kept = append(kept, s)
			}
		}
		q.order = kept
	}
}

// expiresBeforeLocked is the SentTimestamp (ms) below which a message
// outlived MessageRetentionPeriod at now. q.mu held.
func (q *queue) expiresBeforeLocked(now int64) int64 {
	return now - int64(q.meta.attrInt("MessageRetentionPeriod"))*1000
}

// expireLocked drops expired messages from the head of the arrival order
// and returns their seqs, for the caller to delete durably once q.mu is
// released. It stops at the first live message, so a receive pays only for
// what expired: messages sent in order expire in order. The few that arrive
// out of SentTimestamp order (dead-lettered ones keep theirs) are caught when
// takeLocked reaches them. q.mu held.
func (q *queue) expireLocked(now int64) []uint64 {
	before := q.expiresBeforeLocked(now)
	var gone []uint64
	i := 0
	for ; i < len(q.order); i++ {
		m, ok := q.msgs[q.order[i]]
		if !ok {
			continue
		}
		if m.rec.Sent >= before {
			break
		}
		delete(q.msgs, m.seq)
		gone = append(gone, m.seq)
	}
	if i > 0 {
		q.order = append(q.order[:0:0], q.order[i:]...)
	}
	return gone
}

// counts returns the visible, in-flight and delayed numbers at now (ms).
func (q *queue) countsLocked(now int64) (visible, inflight, delayed int) {
	before := q.expiresBeforeLocked(now)
	for _, m := range q.msgs {
		switch {
		case m.rec.Sent < before:
			// expired; removed at the next receive
		case m.visAt <= now:
			visible++
		case m.inflight:
			inflight++
		default:
			delayed++
		}
	}
	return
}

// takeLocked picks up to max visible messages at now, in arrival order; in a
// FIFO queue it skips every group with a message in flight and takes a group's
// messages in order. It marks them in flight until now+vis and returns them,
// with the seqs of expired messages it dropped on the way (to delete durably).
func (q *queue) takeLocked(now int64, max int, vis int64) ([]*msg, []uint64) {
	expired := q.expireLocked(now)
	before := q.expiresBeforeLocked(now)
	fifo := q.meta.fifo()
	var busy map[string]bool
	if fifo {
		busy = map[string]bool{}
		for _, m := range q.msgs {
			if m.visAt > now && m.inflight {
				busy[m.rec.Group] = true
			}
		}
	}
	var out []*msg
	for _, seq := range q.order {
		if len(out) == max {
			break
		}
		m, ok := q.msgs[seq]
		if !ok {
			continue
		}
		if m.rec.Sent < before {
			delete(q.msgs, seq) // not removeLocked: it may compact q.order under this loop
			expired = append(expired, seq)
			continue
		}
		if fifo && busy[m.rec.Group] {
			continue
		}
		if m.visAt > now {
			if fifo {
				busy[m.rec.Group] = true // keep order behind a delayed head
			}
			continue
		}
		out = append(out, m)
	}
	for _, m := range out {
		m.count++
		if m.first == 0 {
			m.first = now
		}
		m.visAt = now + vis
		m.inflight = true
	}
	return out, expired
}

// receipt handles name the queue, the message and which receive of it they
// came from: base64url("<queue id>:<seq>:<count>").
func encodeReceipt(qid string, seq uint64, count int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(qid + ":" + strconv.FormatUint(seq, 10) + ":" + strconv.Itoa(count)))
}

// parseReceipt is encodeReceipt's inverse; ok is false for anything it did
// not produce.
func parseReceipt(h string) (qid string, seq uint64, count int, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "", 0, 0, false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] == "" {
		return "", 0, 0, false
	}
	seq, err1 := strconv.ParseUint(parts[1], 10, 64)
	n, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || n < 1 || seq == 0 {
		return "", 0, 0, false
	}
	return parts[0], seq, n, true
}

// load rebuilds every queue's index from the msgstore. An in-flight message
// stays hidden until its recorded deadline, at most a visibility timeout
// after now.
func (s *Service) load(ctx context.Context) error {
	now := s.nowMS()
	return s.msgs.Load(ctx, func(r msgstore.Record) error {
		q := s.byID[r.Queue]
		if q == nil {
			return nil
		}
		var rec record
		if json.Unmarshal(r.Data, &rec) != nil {
			return nil
		}
		q.addLocked(r.Seq, rec)
		return nil
	}, func(st msgstore.State) error {
		q := s.byID[st.Queue]
		if q == nil {
			return nil
		}
		m := q.msgs[st.Seq]
		var v state
		if m == nil || json.Unmarshal(st.Data, &v) != nil {
			return nil
		}
		m.count, m.first = v.Count, v.First
		if limit := now + int64(q.meta.attrInt("VisibilityTimeout"))*1000; v.Deadline > limit {
			v.Deadline = limit
		}
		if v.Deadline > now {
			m.visAt, m.inflight = v.Deadline, true
		}
		return nil
	})
}

func (s *Service) nowMS() int64 { return s.Now().UnixMilli() }
