package esm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// This file is the part of a mapping that knows batches, not positions: how a
// batch becomes an event, how an invocation's outcome is read, and how a
// failing batch is seen through (retried, bisected, cut at the first failed
// item, aged out, sent to the on-failure destination). Stream pollers settle
// shard batches with it; a queue poller will reuse invoke and failedFrom.

// maxPayload is Lambda's synchronous invocation payload limit, which bounds
// a batch.
const maxPayload = 6291456

// Conditions of an on-failure record.
const (
	conditionRetriesExhausted = "RetryAttemptsExhausted"
	conditionRecordAge        = "RecordAgeExceeded"
)

// batchInfo describes a batch in its on-failure record: the member's name
// (DDBStreamBatchInfo, KinesisBatchInfo) and value.
type batchInfo func(recs []eventsource.Record) (string, any)

// deliverer invokes one mapping's function with batches of records.
type deliverer struct {
	s    *Service
	rec  record
	info batchInfo
}

// attempt is the outcome of one invocation. err is set when the function
// could not be invoked (throttled, gone, or a fault of Stratus); counted is
// then false unless Lambda refused the request itself (a 4xx other than
// throttling), which fails the batch as a function error does.
type attempt struct {
	requestID     string
	statusCode    int
	functionError string
	payload       []byte
	err           error
	counted       bool
}

func (a *attempt) failed() bool { return a.functionError != "" || (a.err != nil && a.counted) }

// event is the function's event for a batch: {"Records": [...]}.
func event(recs []eventsource.Record) []byte {
	n := len(`{"Records":[]}`)
	for i := range recs {
		n += len(recs[i].Data) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"Records":[`...)
	for i := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, recs[i].Data...)
	}
	return append(b, "]}"...)
}

// eventSize is the size of event(recs) for records of total data size n.
func eventSize(count, n int) int { return len(`{"Records":[]}`) + n + count }

// invoke runs the function once with recs.
func (d *deliverer) invoke(ctx context.Context, recs []eventsource.Record) attempt {
	res, err := d.s.Functions.InvokeSync(ctx, d.rec.Region, d.rec.FunctionArn, event(recs), "")
	if err != nil {
		a := attempt{err: err}
		var ae *awsproto.Error
		if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 &&
			ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusNotFound {
			a.counted, a.statusCode = true, ae.Status
		}
		d.s.results.Store(d.rec.UUID, resultProblem)
		return a
	}
	a := attempt{requestID: res.RequestID, statusCode: http.StatusOK, functionError: res.FunctionError, payload: res.Payload}
	if a.functionError != "" {
		d.s.results.Store(d.rec.UUID, resultProblem)
	} else {
		d.s.results.Store(d.rec.UUID, resultOK)
	}
	return a
}

// failedFrom reads a ReportBatchItemFailures response to a batch: the index of
// the lowest failed record (-1 when every record succeeded), or full when the
// response fails the whole batch. As AWS documents, an empty or null response
// or list is success; an item whose itemIdentifier is missing, null, empty or
// no record's sequence number is a complete failure.
func failedFrom(payload []byte, recs []eventsource.Record) (idx int, full bool) {
	ids, full := reportedFailures(payload)
	if full {
		return 0, true
	}
	idx = -1
	for _, id := range ids {
		i := indexOfSeq(recs, id)
		if i < 0 {
			return 0, true
		}
		if idx < 0 || i < idx {
			idx = i
		}
	}
	return idx, false
}

// reportedFailures reads the itemIdentifiers of a ReportBatchItemFailures
// response, for streams and queues alike. As AWS documents, a response that is
// not an object, or an empty or null list, reports none; a list that is not
// one, or an item whose itemIdentifier is missing, null or empty, fails the
// whole batch (full).
func reportedFailures(payload []byte) (ids []string, full bool) {
	var resp map[string]json.RawMessage
	if json.Unmarshal(payload, &resp) != nil {
		return nil, false
	}
	raw := resp["batchItemFailures"]
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	var items []map[string]json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, true
	}
	for _, it := range items {
		var id string
		if json.Unmarshal(it["itemIdentifier"], &id) != nil || id == "" {
			return nil, true
		}
		ids = append(ids, id)
	}
	return ids, false
}

func indexOfSeq(recs []eventsource.Record, seq string) int {
	for i := range recs {
		if recs[i].Seq == seq {
			return i
		}
	}
	return -1
}

// span is a part of a lane's records still to settle, with the attempts spent
// on it and the last one's outcome.
type span struct {
	from, to int
	attempts int
	last     *attempt
}

// settle sees recs (one lane's, in order) through: each batch is invoked
// until it succeeds, or its retries or its records' age run out and it goes to
// the on-failure destination. A failing batch under BisectBatchOnFunctionError
// is split in halves, recursively, each half with fresh attempts (a split
// spends none, as AWS documents), so a single failing record ends up alone.
// Under ReportBatchItemFailures the records before the lowest failed one are
// settled and the rest retried. Throttled invocations wait and spend no
// attempt. advance(n) is called each time recs[:n] are all settled.
//
// It returns true when every record is settled, false when ctx ended or stop
// closed first (recs from the last advance on are then not settled).
func (d *deliverer) settle(ctx context.Context, stop <-chan struct{}, recs []eventsource.Record, advance func(n int)) bool {
	st := d.rec.settings
	queue := []span{{from: 0, to: len(recs)}}
	throttles := 0
	for len(queue) > 0 {
		if stopped(stop) || ctx.Err() != nil {
			return false
		}
		p := &queue[0]
		if n := d.expired(recs[p.from:p.to]); n > 0 {
			d.toDestination(ctx, recs[p.from:p.from+n], conditionRecordAge, p)
			p.from += n
			advance(p.from)
			if p.from == p.to {
				queue = queue[1:]
				continue
			}
		}
		a := d.invoke(ctx, recs[p.from:p.to])
		if ctx.Err() != nil {
			return false
		}
		if a.err != nil && !a.counted {
			throttles++
			if !sleep(ctx, stop, backoff(d.s.ThrottleDelay, throttles, d.s.MaxRetryDelay)) {
				return false
			}
			continue
		}
		throttles = 0
		whole := a.failed()
		if !whole {
			if !st.ReportBatchItemFailures {
				queue = queue[1:]
				advance(p.to)
				continue
			}
			idx, full := failedFrom(a.payload, recs[p.from:p.to])
			if idx < 0 && !full {
				queue = queue[1:]
				advance(p.to)
				continue
			}
			whole = full
			if idx > 0 {
				p.from += idx
				advance(p.from)
			}
		}
		p.attempts++
		p.last = &a
		if st.Bisect && whole && p.to-p.from > 1 {
			mid := p.from + (p.to-p.from)/2
			halves := []span{{from: p.from, to: mid}, {from: mid, to: p.to}}
			queue = append(halves, queue[1:]...)
			continue
		}
		if st.MaxRetry >= 0 && p.attempts > st.MaxRetry {
			d.toDestination(ctx, recs[p.from:p.to], conditionRetriesExhausted, p)
			queue = queue[1:]
			advance(p.to)
			continue
		}
		if !sleep(ctx, stop, backoff(d.s.RetryDelay, p.attempts, d.s.MaxRetryDelay)) {
			return false
		}
	}
	return true
}

// backoff is base doubled n-1 times, at most max.
func backoff(base time.Duration, n int, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// expired counts the records at the front of recs older than the mapping's
// MaximumRecordAgeInSeconds.
func (d *deliverer) expired(recs []eventsource.Record) int {
	if d.rec.MaxRecordAge < 0 {
		return 0
	}
	limit := time.Duration(d.rec.MaxRecordAge) * d.s.Second
	now := time.Now()
	n := 0
	for n < len(recs) && !recs[n].Time.IsZero() && now.Sub(recs[n].Time) > limit {
		n++
	}
	return n
}

// failureRecord is the invocation record Lambda sends to an on-failure
// destination for a stream batch, without its batch info member.
type failureRecord struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode,omitempty"`
		ExecutedVersion string `json:"executedVersion,omitempty"`
		FunctionError   string `json:"functionError,omitempty"`
	} `json:"responseContext"`
	Version   string `json:"version"`
	Timestamp string `json:"timestamp"`
}

// timeLayout is how Lambda writes the times of an invocation record.
const timeLayout = "2006-01-02T15:04:05.000Z"

// failurePayload builds the on-failure record of recs.
func (d *deliverer) failurePayload(recs []eventsource.Record, condition string, p *span) []byte {
	var fr failureRecord
	fr.RequestContext.FunctionArn = d.rec.FunctionArn
	fr.RequestContext.Condition = condition
	fr.RequestContext.ApproximateInvokeCount = p.attempts
	fr.RequestContext.RequestID = awsproto.NewRequestID()
	if a := p.last; a != nil {
		if a.requestID != "" {
			fr.RequestContext.RequestID = a.requestID
		}
		fr.ResponseContext.StatusCode = a.statusCode
		fr.ResponseContext.ExecutedVersion = executedVersion(d.rec.FunctionArn)
		fr.ResponseContext.FunctionError = a.functionError
	}
	fr.Version = "1.0"
	fr.Timestamp = time.Now().UTC().Format(timeLayout)
	b, _ := json.Marshal(fr)
	if d.info == nil {
		return b
	}
	name, v := d.info(recs)
	info, _ := json.Marshal(v)
	var out bytes.Buffer
	out.Write(b[:len(b)-1])
	out.WriteString(`,"` + name + `":`)
	out.Write(info)
	out.WriteByte('}')
	return out.Bytes()
}

// executedVersion is the version an invocation of functionArn runs, as far as
// the ARN tells: its version number, else $LATEST (an alias's version is not
// known here).
func executedVersion(functionArn string) string {
	p := strings.Split(functionArn, ":")
	if len(p) == 8 && p[7] != "" && strings.Trim(p[7], "0123456789") == "" {
		return p[7]
	}
	return "$LATEST"
}

// toDestination sends recs' on-failure record to the mapping's destination
// (none: the records are only discarded, as in Lambda).
func (d *deliverer) toDestination(ctx context.Context, recs []eventsource.Record, condition string, p *span) {
	slog.Info("esm: discarding records", "uuid", d.rec.UUID, "condition", condition, "records", len(recs),
		"first", recs[0].Seq, "last", recs[len(recs)-1].Seq)
	if d.rec.OnFailure == "" {
		return
	}
	payload := d.failurePayload(recs, condition, p)
	var err error
	if sourceService(d.rec.OnFailure) == "lambda" || d.s.Targets == nil {
		_, err = d.s.Functions.EnqueueEvent(ctx, d.rec.OnFailure, payload, "")
	} else {
		_, err = d.s.Targets.Send(ctx, d.rec.OnFailure, eventsource.Message{Body: string(payload)})
	}
	if err != nil {
		slog.Warn("esm: cannot send an on-failure record", "uuid", d.rec.UUID, "destination", d.rec.OnFailure, "err", err)
	}
}
