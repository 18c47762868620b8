package sqs

// receiveAttempt is what one FIFO receive with a ReceiveRequestAttemptId
// took: the messages and the receive count each receipt handle encodes.
type receiveAttempt struct {
	at   int64 // ms
	seqs []uint64
	nums []int
}

// rememberLocked records taken under attempt, dropping attempts past the
// deduplication interval so the map stays as small as the recent traffic.
// q.mu held.
func (q *queue) rememberLocked(attempt string, now int64, taken []*msg) {
	if q.attempts == nil {
		q.attempts = map[string]receiveAttempt{}
	}
	for k, a := range q.attempts {
		if now-a.at >= dedupWindow {
			delete(q.attempts, k)
		}
	}
	a := receiveAttempt{at: now}
	for _, m := range taken {
		a.seqs, a.nums = append(a.seqs, m.seq), append(a.nums, m.count)
	}
	q.attempts[attempt] = a
}

// retryLocked answers a receive retried with the same attempt id within the
// deduplication interval, as SQS documents: the same messages with the same
// receipt handles (their count is not raised), each one's visibility timeout
// restarted. Messages deleted or received again since are left out. ok is
// false when attempt is unknown or expired, for a fresh receive. q.mu held.
func (q *queue) retryLocked(attempt string, now, vis int64) (taken []*msg, ok bool) {
	a, ok := q.attempts[attempt]
	if !ok || now-a.at >= dedupWindow {
		return nil, false
	}
	for i, seq := range a.seqs {
		m := q.msgs[seq]
		if m == nil || m.count != a.nums[i] {
			continue
		}
		m.visAt, m.inflight = now+vis, true
		taken = append(taken, m)
	}
	return taken, true
}
