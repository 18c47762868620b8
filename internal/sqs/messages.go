package sqs

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/sqs/msgstore"
)

var batchIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

type sendOutput struct {
	ID             string `json:"Id,omitempty" xml:"Id,omitempty"`
	MD5OfBody      string `json:"MD5OfMessageBody" xml:"MD5OfMessageBody"`
	MD5OfAttrs     string `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MD5OfSysAttrs  string `json:"MD5OfMessageSystemAttributes,omitempty" xml:"MD5OfMessageSystemAttributes,omitempty"`
	MessageID      string `json:"MessageId" xml:"MessageId"`
	SequenceNumber string `json:"SequenceNumber,omitempty" xml:"SequenceNumber,omitempty"`
}

func (o *sendOutput) xml() any { return o }

// prepare validates one message for q and returns its record.
func (s *Service) prepare(q *queue, e *entry, now time.Time) (record, error) {
	if e.MessageBody == nil || *e.MessageBody == "" {
		return record{}, missingParameter("MessageBody")
	}
	body := *e.MessageBody
	if !validChars(body) {
		return record{}, errInvalidChars
	}
	size := entrySize(e)
	for n, a := range e.MessageAttributes {
		if a.DataType == "" {
			return record{}, invalidParameter("The message attribute '" + n + "' must contain non-empty message attribute type.")
		}
		t, _, _ := strings.Cut(a.DataType, ".")
		switch t {
		case "String", "Number":
			if a.StringValue == nil || *a.StringValue == "" {
				return record{}, invalidParameter("Message (user) attribute '" + n + "' must contain a non-empty value of type '" + t + "'.")
			}
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return record{}, invalidParameter("Message (user) attribute '" + n + "' must contain a non-empty value of type 'Binary'.")
			}
		default:
			return record{}, invalidParameter("The message attribute '" + n + "' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
		}
	}
	q.mu.Lock()
	m := q.meta
	q.mu.Unlock()
	if max := m.attrInt("MaximumMessageSize"); size > max {
		return record{}, invalidParameter("One or more parameters are invalid. Reason: Message must be shorter than " + itoa(max) + " bytes.")
	}
	delay := m.attrInt("DelaySeconds")
	if e.DelaySeconds != nil {
		if m.fifo() && *e.DelaySeconds != 0 {
			return record{}, invalidParameter("Value " + itoa(*e.DelaySeconds) + " for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
		}
		if *e.DelaySeconds < 0 || *e.DelaySeconds > 900 {
			return record{}, invalidParameter("Value " + itoa(*e.DelaySeconds) + " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.")
		}
		delay = *e.DelaySeconds
	}
	r := record{ID: awsproto.NewRequestID(), Body: body, Attrs: e.MessageAttributes, Sent: now.UnixMilli(), Sender: "AIDAIT2UOQQY3AUEKVGXU"}
	if delay > 0 {
		r.VisibleAt = now.Add(time.Duration(delay) * time.Second).UnixMilli()
	}
	if t, ok := e.MessageSystemAttributes["AWSTraceHeader"]; ok {
		r.Trace = &t
	}
	if m.fifo() {
		if e.MessageGroupID == nil || *e.MessageGroupID == "" {
			return record{}, missingParameter("MessageGroupId")
		}
		r.Group, r.Dedup = *e.MessageGroupID, e.MessageDeduplicationID
		if r.Dedup == "" {
			if m.Attrs["ContentBasedDeduplication"] != "true" {
				return record{}, invalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(body))
			r.Dedup = hex.EncodeToString(sum[:])
		}
	} else if e.MessageGroupID != nil {
		r.Group = *e.MessageGroupID // fair queues: accepted and reported
	}
	return r, nil
}

// entrySize is what SQS counts against MaximumMessageSize: the body and each
// attribute's name, type and value.
func entrySize(e *entry) int {
	size := 0
	if e.MessageBody != nil {
		size = len(*e.MessageBody)
	}
	for n, a := range e.MessageAttributes {
		size += len(n) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			size += len(*a.StringValue)
		}
	}
	return size
}

// enqueue stores recs durably, then indexes them. A FIFO message whose
// deduplication id was seen within 5 minutes is not stored again: it gets the
// first one's id.
func (s *Service) enqueue(ctx context.Context, q *queue, recs []record) ([]uint64, error) {
	seqs := make([]uint64, len(recs))
	var fresh []int
	var data [][]byte
	now := s.nowMS()
	q.mu.Lock()
	for i := range recs {
		if k := q.dedupKey(&recs[i]); k != "" {
			if d, ok := q.dedup[k]; ok && now-d.at < dedupWindow {
				recs[i].ID, seqs[i] = d.id, d.seq
				continue
			}
		}
		b, _ := json.Marshal(&recs[i])
		fresh, data = append(fresh, i), append(data, b)
	}
	q.mu.Unlock()
	if len(data) == 0 {
		return seqs, nil
	}
	stored, err := s.msgs.Append(ctx, q.meta.ID, data)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.gone {
		return nil, errQueueDoesNotExist
	}
	for j, i := range fresh {
		seqs[i] = stored[j]
		q.addLocked(stored[j], recs[i])
		if k := q.dedupKey(&recs[i]); k != "" {
			q.dedup[k] = dedupEntry{id: recs[i].ID, seq: stored[j], at: now}
		}
	}
	q.wakeLocked()
	return seqs, nil
}

// dedupWindow is FIFO deduplication's interval, 5 minutes in ms.
const dedupWindow = 5 * 60 * 1000

type dedupEntry struct {
	id  string
	seq uint64
	at  int64
}

// dedupKey is the deduplication key of a FIFO message ("" for standard).
func (q *queue) dedupKey(r *record) string {
	if !q.meta.fifo() {
		return ""
	}
	if q.meta.Attrs["DeduplicationScope"] == "messageGroup" {
		return r.Group + "\x00" + r.Dedup
	}
	return r.Dedup
}

func sendResult(q *queue, r record, seq uint64) *sendOutput {
	o := &sendOutput{MD5OfBody: md5Hex(r.Body), MD5OfAttrs: md5OfAttributes(r.Attrs), MessageID: r.ID}
	if r.Trace != nil {
		o.MD5OfSysAttrs = md5OfAttributes(map[string]attrValue{"AWSTraceHeader": *r.Trace})
	}
	if q.meta.fifo() {
		o.SequenceNumber = strconv.FormatUint(seq, 10) + strings.Repeat("0", 20-len(strconv.FormatUint(seq, 10)))
	}
	return o
}

func (s *Service) sendMessage(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	rec, err := s.prepare(q, &in.entry, s.Now())
	if err != nil {
		return nil, err
	}
	recs := []record{rec}
	seqs, err := s.enqueue(ctx, q, recs)
	if err != nil {
		return nil, err
	}
	return sendResult(q, recs[0], seqs[0]), nil
}

type batchError struct {
	ID          string `json:"Id" xml:"Id"`
	SenderFault bool   `json:"SenderFault" xml:"SenderFault"`
	Code        string `json:"Code" xml:"Code"`
	Message     string `json:"Message,omitempty" xml:"Message,omitempty"`
}

type sendBatchOutput struct {
	Successful []*sendOutput `json:"Successful"`
	Failed     []batchError  `json:"Failed"`
}

func (o *sendBatchOutput) xml() any {
	return &struct {
		Successful []*sendOutput `xml:"SendMessageBatchResultEntry"`
		Failed     []batchError  `xml:"BatchResultErrorEntry"`
	}{o.Successful, o.Failed}
}

func checkBatch(entries []entry) error {
	if len(entries) == 0 {
		return errEmptyBatch
	}
	if len(entries) > 10 {
		return tooManyEntries(len(entries))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !batchIDRE.MatchString(e.ID) {
			return errInvalidBatchID
		}
		if seen[e.ID] {
			err := *errIdsNotDistinct
			err.Message = "Id " + e.ID + " repeated."
			return &err
		}
		seen[e.ID] = true
	}
	return nil
}

func failure(id string, err error) batchError {
	e := awsproto.As(err)
	return batchError{ID: id, SenderFault: !e.Server, Code: e.QueryErrorCode(), Message: e.Message}
}

func (s *Service) sendMessageBatch(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkBatch(in.Entries); err != nil {
		return nil, err
	}
	total := 0
	for i := range in.Entries {
		total += entrySize(&in.Entries[i])
	}
	q.mu.Lock()
	limit := q.meta.attrInt("MaximumMessageSize")
	q.mu.Unlock()
	if total > limit {
		return nil, batchTooLong(total)
	}
	out := &sendBatchOutput{Successful: []*sendOutput{}, Failed: []batchError{}}
	var recs []record
	var ids []string
	now := s.Now()
	for i := range in.Entries {
		rec, err := s.prepare(q, &in.Entries[i], now)
		if err != nil {
			out.Failed = append(out.Failed, failure(in.Entries[i].ID, err))
			continue
		}
		recs, ids = append(recs, rec), append(ids, in.Entries[i].ID)
	}
	if len(recs) > 0 {
		seqs, err := s.enqueue(ctx, q, recs)
		if err != nil {
			return nil, err
		}
		for i, rec := range recs {
			o := sendResult(q, rec, seqs[i])
			o.ID = ids[i]
			out.Successful = append(out.Successful, o)
		}
	}
	return out, nil
}

// message is a received message as both protocols show it.
type message struct {
	MessageID  string               `json:"MessageId" xml:"MessageId"`
	Receipt    string               `json:"ReceiptHandle" xml:"ReceiptHandle"`
	MD5OfBody  string               `json:"MD5OfBody" xml:"MD5OfBody"`
	Body       string               `json:"Body" xml:"Body"`
	Attributes map[string]string    `json:"Attributes,omitempty" xml:"-"`
	MD5OfAttrs string               `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MsgAttrs   map[string]attrValue `json:"MessageAttributes,omitempty" xml:"-"`
	XAttrs     []kv                 `json:"-" xml:"Attribute"`
	XMsgAttrs  []xmlAttr            `json:"-" xml:"MessageAttribute"`
}

type xmlAttr struct {
	Name  string `xml:"Name"`
	Value struct {
		StringValue string `xml:"StringValue,omitempty"`
		BinaryValue string `xml:"BinaryValue,omitempty"`
		DataType    string `xml:"DataType"`
	} `xml:"Value"`
}

type receiveOutput struct {
	Messages []*message `json:"Messages"`
}

func (o *receiveOutput) xml() any {
	for _, m := range o.Messages {
		for _, k := range sortedKeys(m.Attributes) {
			m.XAttrs = append(m.XAttrs, kv{k, m.Attributes[k]})
		}
		names := make([]string, 0, len(m.MsgAttrs))
		for n := range m.MsgAttrs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := m.MsgAttrs[n]
			var x xmlAttr
			x.Name, x.Value.DataType = n, a.DataType
			if a.StringValue != nil {
				x.Value.StringValue = *a.StringValue
			} else {
				x.Value.BinaryValue = base64.StdEncoding.EncodeToString(a.BinaryValue)
			}
			m.XMsgAttrs = append(m.XMsgAttrs, x)
		}
	}
	return &struct {
		Messages []*message `xml:"Message"`
	}{o.Messages}
}

func (s *Service) receiveMessage(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = *in.MaxNumberOfMessages
		if max < 1 || max > 10 {
			return nil, invalidParameter("Value " + itoa(max) + " for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
		}
	}
	q.mu.Lock()
	vis, wait := q.meta.attrInt("VisibilityTimeout"), q.meta.attrInt("ReceiveMessageWaitTimeSeconds")
	q.mu.Unlock()
	if in.VisibilityTimeout != nil {
		vis = *in.VisibilityTimeout
		if vis < 0 || vis > 43200 {
			return nil, invalidParameter("Value " + itoa(vis) + " for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.")
		}
	}
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
		if wait < 0 || wait > 20 {
			return nil, invalidParameter("Value " + itoa(wait) + " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
		}
	}
	names := append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...)
	if len(in.ReceiveRequestAttemptID) > 128 {
		return nil, invalidParameter("Value " + in.ReceiveRequestAttemptID + " for parameter ReceiveRequestAttemptId is invalid. Reason: Must be at most 128 characters long.")
	}
	got, err := s.receive(ctx, q, max, time.Duration(vis)*time.Second, time.Duration(wait)*time.Second, in.ReceiveRequestAttemptID)
	if err != nil {
		return nil, err
	}
	out := &receiveOutput{Messages: []*message{}}
	for _, m := range got {
		out.Messages = append(out.Messages, show(q, m, names, in.MessageAttributeNames))
	}
	return out, nil
}

// received is a snapshot of a message taken by one receive.
type received struct {
	seq   uint64
	rec   record
	md5   string
	count int
	first int64
}

// receive takes up to max messages, waiting up to wait for the first, and
// records their receive counts durably before returning them. A non-empty
// attempt id on a FIFO queue makes the receive retryable: see retryLocked.
func (s *Service) receive(ctx context.Context, q *queue, max int, vis, wait time.Duration, attempt string) ([]received, error) {
	deadline := s.Now().Add(wait)
	if !q.meta.fifo() {
		attempt = ""
	}
	for {
		q.mu.Lock()
		if q.gone {
			q.mu.Unlock()
			return nil, errQueueDoesNotExist
		}
		now := s.nowMS()
		if attempt != "" {
			if taken, ok := q.retryLocked(attempt, now, vis.Milliseconds()); ok {
				out, states := q.snapshotLocked(taken)
				q.mu.Unlock()
				return out, s.msgs.SetStates(ctx, states)
			}
		}
		taken, expired := q.takeLocked(now, max, vis.Milliseconds())
		var dead []*msg
		if limit, dlq := q.redrive(); limit > 0 {
			kept := taken[:0]
			for _, m := range taken {
				if m.count > limit {
					dead = append(dead, m)
					q.removeLocked(m.seq)
					_ = dlq
					continue
				}
				kept = append(kept, m)
			}
			taken = kept
		}
		notify := q.notify
		out, states := q.snapshotLocked(taken)
		if attempt != "" && len(taken) > 0 {
			q.rememberLocked(attempt, now, taken)
		}
		dlqARN := ""
		if len(dead) > 0 {
			_, dlqARN = q.redrive()
		}
		q.mu.Unlock()
		if len(expired) > 0 {
			if err := s.msgs.Delete(ctx, expired); err != nil {
				return nil, err
			}
		}
		if len(dead) > 0 {
			if err := s.deadLetter(ctx, q, dlqARN, dead); err != nil {
				return nil, err
			}
			if len(out) == 0 {
				continue
			}
		}
		if len(out) > 0 {
			if err := s.msgs.SetStates(ctx, states); err != nil {
				return nil, err
			}
			return out, nil
		}
		left := deadline.Sub(s.Now())
		if left <= 0 {
			return nil, nil
		}
		if left > s.PollEvery {
			left = s.PollEvery
		}
		t := time.NewTimer(left)
		select {
		case <-notify:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		}
		t.Stop()
	}
}

// snapshotLocked copies taken messages out of the index, with the states
// that record their receive. q.mu held.
func (q *queue) snapshotLocked(taken []*msg) ([]received, []msgstore.State) {
	var out []received
	var states []msgstore.State
	for _, m := range taken {
		out = append(out, received{seq: m.seq, rec: m.rec, md5: m.md5Body, count: m.count, first: m.first})
		b, _ := json.Marshal(state{Count: m.count, First: m.first, Deadline: m.visAt})
		states = append(states, msgstore.State{Queue: q.meta.ID, Seq: m.seq, Data: b})
	}
	return out, states
}

// show renders a received message with the attributes asked for.
func show(q *queue, m received, names, attrNames []string) *message {
	out := &message{MessageID: m.rec.ID, Receipt: encodeReceipt(q.meta.ID, m.seq, m.count), MD5OfBody: m.md5, Body: m.rec.Body}
	sys := map[string]string{
		"SenderId":                         m.rec.Sender,
		"SentTimestamp":                    strconv.FormatInt(m.rec.Sent, 10),
		"ApproximateReceiveCount":          itoa(m.count),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.first, 10),
	}
	if q.meta.fifo() {
		sys["MessageGroupId"], sys["MessageDeduplicationId"] = m.rec.Group, m.rec.Dedup
		seq := strconv.FormatUint(m.seq, 10)
		sys["SequenceNumber"] = seq + strings.Repeat("0", 20-len(seq))
	}
	if m.rec.Trace != nil && m.rec.Trace.StringValue != nil {
		sys["AWSTraceHeader"] = *m.rec.Trace.StringValue
	}
	for _, n := range names {
		if n == "All" {
			out.Attributes = sys
			break
		}
		if v, ok := sys[n]; ok {
			if out.Attributes == nil {
				out.Attributes = map[string]string{}
			}
			out.Attributes[n] = v
		}
	}
	if len(attrNames) > 0 && len(m.rec.Attrs) > 0 {
		sel := map[string]attrValue{}
		for n, a := range m.rec.Attrs {
			for _, want := range attrNames {
				if want == "All" || want == ".*" || want == n || (strings.HasSuffix(want, ".*") && strings.HasPrefix(n, strings.TrimSuffix(want, ".*"))) {
					sel[n] = a
					break
				}
			}
		}
		if len(sel) > 0 {
			out.MsgAttrs, out.MD5OfAttrs = sel, md5OfAttributes(sel)
		}
	}
	return out
}

// settle finds the message a receipt handle names in q: nil when it is gone.
func (s *Service) settle(q *queue, h string) (*msg, int, error) {
	qid, seq, count, ok := parseReceipt(h)
	if !ok || qid != q.meta.ID {
		return nil, 0, receiptInvalid(h)
	}
	return q.msgs[seq], count, nil
}

func (s *Service) deleteMessage(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == nil {
		return nil, missingParameter("ReceiptHandle")
	}
	return nil, s.deleteOne(ctx, q, *in.ReceiptHandle)
}

func (s *Service) deleteOne(ctx context.Context, q *queue, h string) error {
	q.mu.Lock()
	m, count, err := s.settle(q, h)
	if err != nil || m == nil {
		q.mu.Unlock()
		return err
	}
	if q.meta.fifo() && (count != m.count || m.visAt <= s.nowMS()) {
		q.mu.Unlock()
		return invalidParameter("Value " + h + " for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
	}
	seq := m.seq
	q.mu.Unlock()
	if err := s.msgs.Delete(ctx, []uint64{seq}); err != nil {
		return err
	}
	q.mu.Lock()
	q.removeLocked(seq)
	q.wakeLocked() // a FIFO group may be free now
	q.mu.Unlock()
	return nil
}

type idOnly struct {
	ID string `json:"Id" xml:"Id"`
}

type settleBatchOutput struct {
	Successful []idOnly     `json:"Successful"`
	Failed     []batchError `json:"Failed"`
	entryName  string
}

func (o *settleBatchOutput) xml() any {
	if o.entryName == "ChangeMessageVisibilityBatchResultEntry" {
		return &struct {
			Successful []idOnly     `xml:"ChangeMessageVisibilityBatchResultEntry"`
			Failed     []batchError `xml:"BatchResultErrorEntry"`
		}{o.Successful, o.Failed}
	}
	return &struct {
		Successful []idOnly     `xml:"DeleteMessageBatchResultEntry"`
		Failed     []batchError `xml:"BatchResultErrorEntry"`
	}{o.Successful, o.Failed}
}

func (s *Service) deleteMessageBatch(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkBatch(in.Entries); err != nil {
		return nil, err
	}
	out := &settleBatchOutput{Successful: []idOnly{}, Failed: []batchError{}}
	for _, e := range in.Entries {
		h := ""
		if e.ReceiptHandle != nil {
			h = *e.ReceiptHandle
		}
		if err := s.deleteOne(ctx, q, h); err != nil {
			out.Failed = append(out.Failed, failure(e.ID, err))
			continue
		}
		out.Successful = append(out.Successful, idOnly{e.ID})
	}
	return out, nil
}

func (s *Service) changeVisibility(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == nil {
		return nil, missingParameter("ReceiptHandle")
	}
	if in.VisibilityTimeout == nil {
		return nil, missingParameter("VisibilityTimeout")
	}
	return nil, s.changeOne(q, *in.ReceiptHandle, *in.VisibilityTimeout)
}

func (s *Service) changeOne(q *queue, h string, vis int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, _, err := s.settle(q, h)
	if err != nil {
		return err
	}
	if m == nil || !m.inflight {
		return invalidParameter("Value " + h + " for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.")
	}
	if vis < 0 || vis > 43200 {
		return invalidParameter("Value " + itoa(vis) + " for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds].")
	}
	m.visAt = s.nowMS() + int64(vis)*1000
	if vis == 0 {
		q.wakeLocked()
	}
	return nil
}

func (s *Service) purgeQueue(ctx context.Context, r *http.Request, in *input) (any, error) {
	q, err := s.queueByURL(ctx, in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	if !q.purged.IsZero() && s.Now().Sub(q.purged) < time.Minute {
		q.mu.Unlock()
		return nil, purgeInProgress(q.meta.Name)
	}
	q.purged = s.Now()
	q.mu.Unlock()
	last, err := s.msgs.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.msgs.Purge(ctx, q.meta.ID, last+1); err != nil {
		return nil, err
	}
	q.mu.Lock()
	for seq := range q.msgs {
		if seq <= last {
			q.removeLocked(seq)
		}
	}
	q.mu.Unlock()
	return nil, nil
}

// redrive returns q's maxReceiveCount and dead-letter queue ARN (0 and ""
// without a RedrivePolicy). q.mu held.
func (q *queue) redrive() (int, string) {
	p := q.meta.Attrs["RedrivePolicy"]
	if p == "" {
		return 0, ""
	}
	var rp struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if json.Unmarshal([]byte(p), &rp) != nil {
		return 0, ""
	}
	n, _ := strconv.Atoi(strings.Trim(string(rp.Max), `"`))
	return n, rp.Target
}

// deadLetter moves messages received more than maxReceiveCount times to the
// dead-letter queue, keeping their ids, attributes and SentTimestamp: stored
// there first, then deleted here.
func (s *Service) deadLetter(ctx context.Context, q *queue, dlqARN string, dead []*msg) error {
	dlq, err := s.queueByARN(dlqARN)
	if err != nil {
		return nil // a missing DLQ drops nothing: the messages stay removed from view until restart
	}
	recs := make([]record, len(dead))
	seqs := make([]uint64, len(dead))
	for i, m := range dead {
		recs[i], seqs[i] = m.rec, m.seq
		recs[i].VisibleAt = 0
		if recs[i].Origin == "" {
			recs[i].Origin = q.meta.arn()
		}
	}
	if _, err := s.enqueue(ctx, dlq, recs); err != nil {
		return err
	}
	return s.msgs.Delete(ctx, seqs)
}
