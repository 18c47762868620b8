// Package sns is Amazon SNS: standard and FIFO topics, subscriptions to SQS
// queues, Lambda functions and HTTP(S) endpoints, filter policies, and
// durable at-least-once fan-out of published messages, in SNS's query
// protocol. It is also a target other services publish to
// (eventsource.Sender).
//
// The parts: the route table and plumbing (this file), topics (topics.go,
// tags.go), subscriptions (subscriptions.go), publishing (publish.go) with
// FIFO deduplication (dedup.go), the durable delivery queue and the shapes
// delivered (delivery.go) and the signing key and certificate (sign.go).
package sns

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
	"github.com/stratus-run/stratus/internal/lifecycle"
	"github.com/stratus-run/stratus/internal/store"
)

const namespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// Service is SNS. Set the exported fields, then Open; Close stops it.
type Service struct {
	// Store keeps topics (bucket sns_topics), subscriptions (sns_subscriptions),
	// FIFO deduplication ids (sns_dedup), the signing key (sns_keys) and the
	// delivery queue (stream SNS_DELIVERIES).
	// Required.
	Store *store.Store
	// Targets delivers to sqs and lambda subscriptions and to dead-letter
	// queues. Without it those deliveries fail and are retried.
	Targets eventsource.Sender
	// Region is the region of requests that carry none (default us-east-1).
	Region string
	// Account is the account id in ARNs (default 000000000000).
	Account string
	// HTTPClient posts to http/https subscriptions (default: a client with a
	// 15 s timeout, as SNS's delivery timeout).
	HTTPClient *http.Client
	// Endpoint is the base URL (scheme://host) of Stratus, for the
	// SigningCertURL, UnsubscribeURL and SubscribeURL of messages published
	// through Send rather than a request (default http://localhost:4566).
	Endpoint string

	// HTTPRetries is how many times a failed http/https delivery is retried
	// (AWS's default delivery policy: 3); HTTPRetryDelay the wait between
	// retries (AWS: 20 s).
	HTTPRetries    int
	HTTPRetryDelay time.Duration
	// TargetRetries is how many times a failed sqs/lambda delivery is retried
	// before it goes to the subscription's dead-letter queue or is dropped
	// (default 1000); TargetRetryDelay the wait between (default 1 s).
	TargetRetries    int
	TargetRetryDelay time.Duration
	// AckWait is how long a delivery taken by a worker that died stays
	// invisible before JetStream hands it out again (default 60 s).
	AckWait time.Duration
	// Workers is how many deliveries run at once (default 8).
	Workers int
	// DedupWindow is a FIFO topic's deduplication interval (default 5 min).
	DedupWindow time.Duration

	topicTable *store.Table[topicRecord]
	subTable   *store.Table[subRecord]
	dedupTable *store.Table[dedupRecord]
	stream     jetstream.Stream
	signer     *signer

	mu     sync.Mutex
	topics map[string]*topic        // by ARN
	subs   map[string]*subscription // by ARN
	dedup  map[string]dedupEntry    // FIFO: topic ARN + "/" + dedup id
	// removed holds http(s) subscriptions unsubscribed in this process, by
	// the token of their UnsubscribeConfirmation, for ConfirmSubscription to
	// restore. (Kept in memory only: after a restart the token is refused.)
	removed map[string]subRecord
	lastSeq uint64

	// laneMu guards lanes; it is never held with mu.
	laneMu sync.Mutex
	lanes  map[string]*lane // FIFO deliveries by subscription and group
	sem    chan struct{}    // one slot per delivery running

	// fifoMu serialises publishes to FIFO topics from sequence number to
	// enqueue, so the queue holds them in sequence order. Taken before mu.
	fifoMu sync.Mutex

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open loads the topics and subscriptions, the signing key (creating it the
// first time), and starts the delivery workers, which resume deliveries left
// unfinished by an earlier process.
func (s *Service) Open(ctx context.Context) error {
	if s.Store == nil {
		return errors.New("sns: Store is required")
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if s.Endpoint == "" {
		s.Endpoint = "http://localhost:4566"
	}
	if s.HTTPRetries == 0 {
		s.HTTPRetries = 3
	}
	if s.HTTPRetryDelay <= 0 {
		s.HTTPRetryDelay = 20 * time.Second
	}
	if s.TargetRetries == 0 {
		s.TargetRetries = 1000
	}
	if s.TargetRetryDelay <= 0 {
		s.TargetRetryDelay = time.Second
	}
	if s.AckWait <= 0 {
		s.AckWait = 60 * time.Second
	}
	if s.Workers <= 0 {
		s.Workers = 8
	}
	if s.DedupWindow <= 0 {
		s.DedupWindow = 5 * time.Minute
	}
	var err error
	if s.topicTable, err = store.OpenTable[topicRecord](ctx, s.Store, "sns_topics", 1); err != nil {
		return err
	}
	if s.subTable, err = store.OpenTable[subRecord](ctx, s.Store, "sns_subscriptions", 1); err != nil {
		return err
	}
	if s.dedupTable, err = store.OpenTable[dedupRecord](ctx, s.Store, "sns_dedup", 1); err != nil {
		return err
	}
	if s.signer, err = loadSigner(ctx, s.Store); err != nil {
		return err
	}
	s.topics = map[string]*topic{}
	s.subs = map[string]*subscription{}
	s.dedup = map[string]dedupEntry{}
	s.removed = map[string]subRecord{}
	if err := s.load(ctx); err != nil {
		return err
	}
	if err := s.loadDedup(ctx); err != nil {
		return err
	}
	return s.startDelivery(ctx)
}

// Close stops the delivery workers; deliveries in flight are handed out
// again by JetStream to the next process.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	return lifecycle.Wait(ctx, s.wg.Wait)
}

// load fills the in-memory view from the tables.
func (s *Service) load(ctx context.Context) error {
	keys, err := s.topicTable.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		rec, rev, err := s.topicTable.Get(ctx, k)
		if err != nil {
			continue
		}
		s.topics[rec.ARN] = &topic{rec: rec, rev: rev}
	}
	keys, err = s.subTable.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		rec, rev, err := s.subTable.Get(ctx, k)
		if err != nil {
			continue
		}
		sub := &subscription{rec: rec, rev: rev}
		sub.filter, _ = compileFilter(rec.Attributes, "")
		s.subs[rec.ARN] = sub
	}
	return nil
}

// Handles reports whether r is an SNS call: signed for "sns", an unsigned
// query request whose URL names an SNS action, or a GET of the signing
// certificate. (An unsigned form POST with Action only in its body is not
// recognised: that would mean reading the body here.)
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName == "sns" {
		return true
	}
	if signingName != "" {
		return false
	}
	if r.Method == http.MethodGet && s.signer != nil && r.URL.Path == s.signer.certPath() {
		return true
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return operations[a] != nil
	}
	return false
}

// request is one call.
type request struct {
	ctx    context.Context
	r      *http.Request
	q      *awsproto.Query
	region string
	base   string // scheme://host the client addressed
}

type opFunc func(s *Service, c *request) (any, error)

// operations is the route table.
var operations map[string]opFunc

func init() {
	operations = map[string]opFunc{
		"CreateTopic":               (*Service).createTopic,
		"DeleteTopic":               (*Service).deleteTopic,
		"ListTopics":                (*Service).listTopics,
		"GetTopicAttributes":        (*Service).getTopicAttributes,
		"SetTopicAttributes":        (*Service).setTopicAttributes,
		"TagResource":               (*Service).tagResource,
		"UntagResource":             (*Service).untagResource,
		"ListTagsForResource":       (*Service).listTagsForResource,
		"AddPermission":             (*Service).addPermission,
		"RemovePermission":          (*Service).removePermission,
		"Subscribe":                 (*Service).subscribe,
		"ConfirmSubscription":       (*Service).confirmSubscription,
		"Unsubscribe":               (*Service).unsubscribe,
		"ListSubscriptions":         (*Service).listSubscriptions,
		"ListSubscriptionsByTopic":  (*Service).listSubscriptionsByTopic,
		"GetSubscriptionAttributes": (*Service).getSubscriptionAttributes,
		"SetSubscriptionAttributes": (*Service).setSubscriptionAttributes,
		"Publish":                   (*Service).publish,
		"PublishBatch":              (*Service).publishBatch,
	}
}

// ServeHTTP answers one SNS call, or serves the signing certificate.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == s.signer.certPath() {
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Write(s.signer.certPEM) //nolint:errcheck // the client went away
		return
	}
	info := awsproto.Info(r.Context())
	c := &request{ctx: r.Context(), r: r, region: info.Region, base: baseURL(r, info)}
	if c.region == "" {
		c.region = s.Region
	}
	q, err := awsproto.ReadQuery(r)
	if err != nil {
		awsproto.WriteQueryError(w, r, namespace, err)
		return
	}
	c.q = q
	info.Operation = q.Action
	h := operations[q.Action]
	if h == nil {
		awsproto.WriteQueryError(w, r, namespace, errInvalidAction)
		return
	}
	out, err := h(s, c)
	if err != nil {
		var ae *awsproto.Error
		if !errors.As(err, &ae) {
			slog.Error("sns: "+q.Action, "err", err)
		}
		awsproto.WriteQueryError(w, r, namespace, err)
		return
	}
	awsproto.WriteQueryResult(w, r, namespace, q.Action, out)
}

// baseURL is scheme://host as the client addressed Stratus.
func baseURL(r *http.Request, info *awsproto.RequestInfo) string {
	host := info.Host
	if host == "" {
		host = r.Host
	}
	scheme := info.Scheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	return scheme + "://" + host
}

// arnParts splits an SNS ARN into region, account and resource (the topic
// name, or name:id for a subscription), or reports it is not one.
func arnParts(arn string) (region, account, resource string, ok bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[2] != "sns" || p[3] == "" || p[4] == "" || p[5] == "" {
		return "", "", "", false
	}
	return p[3], p[4], p[5], true
}

// storeKey turns an ARN into a KV key (NATS keys allow no colons).
func storeKey(arn string) string { return strings.ReplaceAll(arn, ":", "/") }

var (
	_ http.Handler       = (*Service)(nil)
	_ eventsource.Sender = (*Service)(nil)
)
