// Package delivery carries messages to their targets (functions, queues,
// topics, buses) for the services that fan out: EventBridge rules and
// EventBridge Scheduler. A Job is written to a JetStream subject before the
// service answers or records a tick; workers send it through
// eventsource.Sender, retry it with exponential back-off while the target
// fails retryably and the job is young enough, and then hand it to its
// dead-letter queue with the attributes AWS adds, or drop it. So retries,
// dead letters and age limits behave the same for every source.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// Job is one message on its way to one target.
type Job struct {
	Target  string
	Message eventsource.Message
	// At is when the event happened: MaxAge counts from it.
	At time.Time
	// Retries is how many attempts may follow the first; MaxAge how old the
	// job may be when one starts.
	Retries int
	MaxAge  time.Duration
	// DeadLetter is the queue ARN a job that fails for good goes to (none
	// when empty), with DeadLetterBody as its body and DeadLetterAttributes
	// beside the ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS and
	// EXHAUSTED_RETRY_CONDITION the Queue adds.
	DeadLetter           string
	DeadLetterBody       string
	DeadLetterAttributes map[string]string
	// Source names what sent the job (a rule or schedule ARN), for logs.
	Source string
}

// Queue delivers the jobs published on Subject of Stream. Set the fields,
// then Start; Stop waits for the workers.
type Queue struct {
	JS      jetstream.JetStream
	Stream  string
	Subject string
	// Durable names the consumer (default "deliver").
	Durable string
	Targets eventsource.Sender
	// RetryDelay is the first wait after a failure; it doubles per attempt up
	// to RetryMaxDelay (defaults 1 s and 5 min).
	RetryDelay, RetryMaxDelay time.Duration
	// Workers is how many jobs are in delivery at once (default 4).
	Workers int
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// Prepare, when set, rewrites a job's message for its attempt-th
	// attempt (1-based) just before it is sent: Scheduler's context
	// attributes name the attempt.
	Prepare func(j *Job, attempt int)
	// Log names the service in log lines.
	Log string

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start creates the consumer and starts the workers.
func (q *Queue) Start(ctx context.Context) error {
	if q.Durable == "" {
		q.Durable = "deliver"
	}
	if q.RetryDelay <= 0 {
		q.RetryDelay = time.Second
	}
	if q.RetryMaxDelay <= 0 {
		q.RetryMaxDelay = 5 * time.Minute
	}
	if q.Workers <= 0 {
		q.Workers = 4
	}
	if q.Now == nil {
		q.Now = time.Now
	}
	st, err := q.JS.Stream(ctx, q.Stream)
	if err != nil {
		return fmt.Errorf("%s: stream %s: %w", q.Log, q.Stream, err)
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       q.Durable,
		FilterSubject: q.Subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
		MaxAckPending: 1 << 20,
	})
	if err != nil {
		return fmt.Errorf("%s: deliver consumer: %w", q.Log, err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	q.cancel = cancel
	for range q.Workers {
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			Pull(wctx, cons, q.deliver)
		}()
	}
	return nil
}

// Stop stops the workers; undelivered jobs stay in the stream.
func (q *Queue) Stop() {
	if q.cancel != nil {
		q.cancel()
	}
	q.wg.Wait()
}

// Put writes jobs and returns once JetStream has stored every one. ids, when
// given, are their message ids, so a job written twice within the stream's
// duplicate window is delivered once.
func (q *Queue) Put(ctx context.Context, jobs []Job, ids []string) error {
	recs := make([][]byte, len(jobs))
	for i := range jobs {
		b, err := json.Marshal(&jobs[i])
		if err != nil {
			return err
		}
		recs[i] = b
	}
	return Publish(ctx, q.JS, q.Subject, recs, ids)
}

// Publish writes recs to subject and returns once JetStream has stored
// every one. ids, when given, are their message ids for duplicate detection.
func Publish(ctx context.Context, js jetstream.JetStream, subject string, recs [][]byte, ids []string) error {
	futures := make([]jetstream.PubAckFuture, 0, len(recs))
	for i, rec := range recs {
		var opts []jetstream.PublishOpt
		if ids != nil {
			opts = append(opts, jetstream.WithMsgID(ids[i]))
		}
		f, err := js.PublishAsync(subject, rec, opts...)
		if err != nil {
			return fmt.Errorf("publish %s: %w", subject, err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("publish %s: %w", subject, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Pull hands the consumer's messages one at a time to handle until ctx ends.
func Pull(ctx context.Context, cons jetstream.Consumer, handle func(context.Context, jetstream.Msg)) {
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) &&
				!errors.Is(err, jetstream.ErrNoMessages) {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
			continue
		}
		handle(ctx, msg)
	}
}

// deliver sends one job, then acks it, schedules its retry, or dead-letters it.
func (q *Queue) deliver(ctx context.Context, msg jetstream.Msg) {
	var j Job
	if err := json.Unmarshal(msg.Data(), &j); err != nil {
		slog.Error(q.Log+": dropping undecodable delivery", "err", err)
		msg.TermWithReason("undecodable") //nolint:errcheck
		return
	}
	attempt := 1
	if md, err := msg.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	if q.Prepare != nil {
		q.Prepare(&j, attempt)
	}
	err := q.send(ctx, j.Target, j.Message)
	if err == nil {
		msg.Ack() //nolint:errcheck
		return
	}
	if ctx.Err() != nil {
		msg.Nak() //nolint:errcheck // stopping: deliver after the next Start
		return
	}
	next := q.backoff(attempt)
	condition := ""
	switch {
	case !Retryable(err):
	case attempt > j.Retries:
		condition = "MaximumRetryAttempts"
	case q.Now().Add(next).Sub(j.At) >= j.MaxAge:
		condition = "MaximumEventAgeInSeconds"
	default:
		msg.NakWithDelay(next) //nolint:errcheck
		return
	}
	q.deadLetter(ctx, &j, err, attempt-1, condition)
	msg.Ack() //nolint:errcheck
}

func (q *Queue) send(ctx context.Context, arn string, m eventsource.Message) error {
	if q.Targets == nil {
		return fmt.Errorf("%w: no targets configured", eventsource.ErrNotFound)
	}
	_, err := q.Targets.Send(ctx, arn, m)
	return err
}

// Retryable: throttling and service faults are retried, a target that is
// gone or refuses the message is not.
func Retryable(err error) bool {
	if errors.Is(err, eventsource.ErrNotFound) {
		return false
	}
	var ae *awsproto.Error
	if errors.As(err, &ae) {
		return ae.Server || ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Status == 0
	}
	return true
}

// backoff is the wait after the attempt-th failed attempt.
func (q *Queue) backoff(attempt int) time.Duration {
	d := q.RetryDelay
	for i := 1; i < attempt && d < q.RetryMaxDelay; i++ {
		d *= 2
	}
	return min(d, q.RetryMaxDelay)
}

// deadLetter sends a job that failed for good to its dead-letter queue, or
// drops it. condition is the retry limit that ended it ("" when the error
// was not retryable).
func (q *Queue) deadLetter(ctx context.Context, j *Job, cause error, retries int, condition string) {
	if j.DeadLetter == "" {
		slog.Warn(q.Log+": dropping undeliverable message", "source", j.Source, "target", j.Target, "err", cause)
		return
	}
	code, text := "ServiceException", "An internal error occurred."
	var ae *awsproto.Error
	switch {
	case errors.Is(cause, eventsource.ErrNotFound):
		code, text = "ResourceNotFoundException", "Target "+j.Target+" does not exist."
	case errors.As(cause, &ae):
		code, text = ae.Code, ae.Message
	}
	attrs := map[string]eventsource.Attribute{}
	for k, v := range j.DeadLetterAttributes {
		attrs[k] = str(v)
	}
	attrs["ERROR_CODE"] = str(code)
	attrs["ERROR_MESSAGE"] = str(text)
	attrs["RETRY_ATTEMPTS"] = str(strconv.Itoa(retries))
	if condition != "" {
		attrs["EXHAUSTED_RETRY_CONDITION"] = str(condition)
	}
	if err := q.send(ctx, j.DeadLetter, eventsource.Message{Body: j.DeadLetterBody, Attributes: attrs}); err != nil {
		slog.Warn(q.Log+": dead-letter queue refused a message; dropped", "dlq", j.DeadLetter, "err", err)
	}
}

func str(v string) eventsource.Attribute {
	return eventsource.Attribute{DataType: "String", StringValue: v}
}

// RetryPolicy is the RetryPolicy of an EventBridge or Scheduler target; both
// default to 185 retries within 24 hours.
type RetryPolicy struct {
	MaximumRetryAttempts     *int `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int `json:"MaximumEventAgeInSeconds,omitempty"`
}

// Limits are p's retries and maximum event age, the defaults where p (which
// may be nil) leaves them out.
func (p *RetryPolicy) Limits() (retries int, maxAge time.Duration) {
	retries, secs := 185, 24*60*60
	if p != nil {
		if p.MaximumRetryAttempts != nil {
			retries = *p.MaximumRetryAttempts
		}
		if p.MaximumEventAgeInSeconds != nil {
			secs = *p.MaximumEventAgeInSeconds
		}
	}
	return retries, time.Duration(secs) * time.Second
}
