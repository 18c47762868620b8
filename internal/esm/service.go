// Package esm is Lambda's event source mappings: the API under
// /2015-03-31/event-source-mappings and the pollers that read each mapping's
// source and invoke its function with batches of records.
//
// The parts are kept apart so that each kind of source plugs in without the
// others changing: the API and the mapping's lifecycle (api.go, mapping.go,
// reconcile.go); filtering (filter.go); invoking a batch and seeing it through
// retries, bisection, partial batch responses, record age and the on-failure
// destination (deliver.go), which knows nothing of positions in a source; and
// the stream poller (stream.go, checkpoint.go), one kind of source, which reads
// the shards of an eventsource.Streams in order and checkpoints each shard's
// position in JetStream KV; and the queue poller (queue.go), which reuses the
// filter and the invoker and settles messages instead of positions: deleted
// once handled, left to reappear (and to the queue's redrive policy) when not.
package esm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/invoke"
	"github.com/stratus-run/stratus/internal/store"
)

// Functions is what mappings need of the Lambda service.
type Functions interface {
	// InvokeSync runs function (a full, possibly qualified, function ARN)
	// synchronously. An *awsproto.Error TooManyRequestsException means
	// throttled.
	InvokeSync(ctx context.Context, region, function string, payload []byte, traceID string) (*invoke.Result, error)
	// EnqueueEvent queues an asynchronous invocation of functionArn (the
	// on-failure destination).
	EnqueueEvent(ctx context.Context, functionArn string, payload []byte, traceID string) (string, error)
	// FunctionARN resolves a FunctionName in region to the (qualified) function
	// ARN, or fails with the *awsproto.Error Lambda answers.
	FunctionARN(ctx context.Context, region, ref string) (string, error)
}

// Service is the event source mappings API and their pollers. Set the exported
// fields, then Open; Close stops every poller.
type Service struct {
	// Store keeps the mappings (bucket esm_mappings) and the checkpoints of
	// stream shards (esm_checkpoints). Required.
	Store *store.Store
	// Functions invokes the mapped functions. Required.
	Functions Functions
	// Streams are the stream sources by the service their ARNs name
	// ("dynamodb", later "kinesis").
	Streams map[string]eventsource.Streams
	// Queues are the queue sources by the service their ARNs name ("sqs").
	Queues map[string]eventsource.Queues
	// Targets takes stream mappings' on-failure records for SQS queues and SNS
	// topics; nil allows only Lambda functions as destinations.
	Targets eventsource.Sender
	// Account is the account id in ARNs (default 000000000000).
	Account string
	// Region is the region of requests that carry none (default us-east-1).
	Region string

	// RetryDelay is the wait before the first retry of a failed batch, doubled
	// for each further one up to MaxRetryDelay (defaults 1 s and 30 s; AWS
	// documents exponential backoff without numbers).
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// ThrottleDelay is the wait after a throttled invoke, doubled up to
	// MaxRetryDelay (default 1 s). Throttles spend no retry attempt.
	ThrottleDelay time.Duration
	// ShardRefresh is how often a stream's shards are listed again to find new
	// ones (default 10 s; a shard's children are also looked for as soon as it
	// is finished).
	ShardRefresh time.Duration
	// Second is how long one second of a mapping's MaximumBatchingWindowInSeconds
	// and MaximumRecordAgeInSeconds lasts (default 1 s); tests shorten it.
	Second time.Duration

	mappings    *store.Table[record]
	checkpoints *store.Table[checkpoint]

	// mu guards cache and pollers. Deleted keys keep a tombstone so a late
	// watch event cannot bring them back.
	mu      sync.Mutex
	cache   map[string]*entry
	pollers map[string]*poller
	results sync.Map // UUID → LastProcessingResult of the running poller

	dirty   chan struct{} // a mapping changed: reconcile
	cancel  context.CancelFunc
	ctx     context.Context // the pollers' hard context, ended by Close
	wg      sync.WaitGroup  // the reconciler and every poller
	closing bool
}

type entry struct {
	rec     record
	rev     uint64
	deleted bool
	seen    uint64 // the revision the reconciler acted on
}

// Open binds the buckets, loads the mappings and starts the pollers of the
// enabled ones, resuming from their checkpoints.
func (s *Service) Open(ctx context.Context) error {
	if s.Store == nil || s.Functions == nil {
		return errors.New("esm: Store and Functions are required")
	}
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.RetryDelay, time.Second)
	def(&s.MaxRetryDelay, 30*time.Second)
	def(&s.ThrottleDelay, time.Second)
	def(&s.ShardRefresh, 10*time.Second)
	def(&s.Second, time.Second)
	var err error
	if s.mappings, err = store.OpenTable[record](ctx, s.Store, "esm_mappings", 1); err != nil {
		return err
	}
	if s.checkpoints, err = store.OpenTable[checkpoint](ctx, s.Store, "esm_checkpoints", 1); err != nil {
		return err
	}
	s.cache = map[string]*entry{}
	s.pollers = map[string]*poller{}
	s.dirty = make(chan struct{}, 1)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	ready := make(chan struct{})
	var once sync.Once
	if err := s.mappings.Watch(s.ctx, func(c store.Change[record], ok bool) {
		if !ok {
			once.Do(func() { close(ready) })
			return
		}
		if c.Deleted {
			s.forget(c.Key, c.Revision)
		} else {
			s.remember(c.Value, c.Revision)
		}
	}); err != nil {
		s.cancel()
		return err
	}
	select {
	case <-ready:
	case <-ctx.Done():
		s.cancel()
		return ctx.Err()
	}
	s.wg.Add(1)
	go s.reconcileLoop()
	return nil
}

// Close stops the pollers: each finishes the invocation it is in (until ctx
// ends) and checkpoints what it settled.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.mu.Lock()
	s.closing = true
	for _, p := range s.pollers {
		p.stop()
	}
	s.mu.Unlock()
	s.kick()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done
		return ctx.Err()
	}
}

// remember caches rec at revision rev unless a newer one is cached, and asks
// the reconciler to act on it.
func (s *Service) remember(rec record, rev uint64) {
	s.mu.Lock()
	old := s.cache[rec.UUID]
	if old == nil || old.rev < rev {
		seen := uint64(0)
		if old != nil {
			seen = old.seen
		}
		s.cache[rec.UUID] = &entry{rec: rec, rev: rev, seen: seen}
	}
	s.mu.Unlock()
	s.kick()
}

// forget records the deletion of a mapping at revision rev.
func (s *Service) forget(uuid string, rev uint64) {
	s.mu.Lock()
	old := s.cache[uuid]
	if old == nil || old.rev < rev {
		s.cache[uuid] = &entry{rev: rev, deleted: true}
	}
	s.mu.Unlock()
	s.kick()
}

func (s *Service) kick() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// result is the LastProcessingResult to show for rec.
func (s *Service) result(rec *record) string {
	if v, ok := s.results.Load(rec.UUID); ok {
		return v.(string)
	}
	return resultNone
}

// Handles reports whether the request is an event source mapping call: signed
// for "lambda" (or unsigned) under /2015-03-31/event-source-mappings.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName != "" && signingName != "lambda" {
		return false
	}
	p := r.URL.Path
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

const prefix = "/2015-03-31/event-source-mappings"

type handlerFunc func(w http.ResponseWriter, r *http.Request, uuid string) error

// Route table, one screen:
//
//	POST   /2015-03-31/event-source-mappings/         CreateEventSourceMapping
//	GET    /2015-03-31/event-source-mappings/         ListEventSourceMappings
//	GET    /2015-03-31/event-source-mappings/{UUID}   GetEventSourceMapping
//	PUT    /2015-03-31/event-source-mappings/{UUID}   UpdateEventSourceMapping
//	DELETE /2015-03-31/event-source-mappings/{UUID}   DeleteEventSourceMapping
func (s *Service) route(method, path string) (string, handlerFunc, string, error) {
	rest := strings.TrimPrefix(strings.TrimPrefix(path, prefix), "/")
	if rest == "" {
		switch method {
		case http.MethodPost:
			return "CreateEventSourceMapping", s.create, "", nil
		case http.MethodGet:
			return "ListEventSourceMappings", s.list, "", nil
		}
		return "", nil, "", errMethodNotAllowed
	}
	uuid, ok := uuidLabel(strings.TrimSuffix(rest, "/"))
	if !ok {
		return "", nil, "", errUnknownOperation
	}
	switch method {
	case http.MethodGet:
		return "GetEventSourceMapping", s.get, uuid, nil
	case http.MethodPut:
		return "UpdateEventSourceMapping", s.update, uuid, nil
	case http.MethodDelete:
		return "DeleteEventSourceMapping", s.remove, uuid, nil
	}
	return "", nil, "", errMethodNotAllowed
}

// ServeHTTP answers one event source mapping API request; errors render as
// Lambda renders them.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, h, uuid, err := s.route(r.Method, r.URL.EscapedPath())
	if err == nil {
		awsproto.Info(r.Context()).Operation = name
		err = h(w, r, uuid)
	}
	if err != nil {
		awsproto.WriteRESTJSONError(w, err)
	}
}
