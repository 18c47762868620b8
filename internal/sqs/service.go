// Package sqs serves Amazon SQS over both of its wire protocols (awsJson 1.0,
// X-Amz-Target AmazonSQS.<Op>, and the query protocol) on one set of
// handlers, with queues in JetStream KV and messages in a msgstore.
package sqs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/lifecycle"
	"github.com/stratus-run/stratus/internal/sqs/msgstore"
	"github.com/stratus-run/stratus/internal/sqs/msgstore/jsstore"
	"github.com/stratus-run/stratus/internal/store"
)

const (
	targetPrefix   = "AmazonSQS."
	xmlNamespace   = "http://queue.amazonaws.com/doc/2012-11-05/"
	queueBucket    = "sqs_queues"
	maxMessageSize = 1 << 20
)

// Service is SQS. Set the exported fields, then Open; Close stops it.
type Service struct {
	Store *store.Store
	// Region and Account name queues in ARNs (defaults us-east-1 and
	// 000000000000) when the request does not say.
	Region, Account string
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
	// PollEvery bounds how long a long-polling receive sleeps before it looks
	// for messages whose visibility timeout or delay ran out (default 100 ms).
	PollEvery time.Duration

	table *store.Table[queueMeta]
	js    *jsstore.Store
	msgs  msgstore.Store
	mu    sync.RWMutex      // guards byName and byID; never held with a queue's mu taken first
	byKey map[string]*queue // account.name
	byID  map[string]*queue
	tasks *moveTasks
}

// queueMeta is a queue as stored in KV.
type queueMeta struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Account  string            `json:"account"`
	Region   string            `json:"region"`
	Attrs    map[string]string `json:"attrs"`
	Tags     map[string]string `json:"tags,omitempty"`
	Created  int64             `json:"created"`
	Modified int64             `json:"modified"`
}

func (m *queueMeta) fifo() bool { return strings.HasSuffix(m.Name, ".fifo") }

func (m *queueMeta) attrInt(name string) int {
	n := 0
	fmt.Sscan(m.Attrs[name], &n) //nolint:errcheck // validated when set
	return n
}

func (m *queueMeta) arn() string {
	return "arn:aws:sqs:" + m.Region + ":" + m.Account + ":" + m.Name
}

// Open binds the queue table and message log and rebuilds the index.
func (s *Service) Open(ctx context.Context) error {
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.PollEvery == 0 {
		s.PollEvery = 100 * time.Millisecond
	}
	t, err := store.OpenTable[queueMeta](ctx, s.Store, queueBucket, 1)
	if err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	js, err := jsstore.Open(ctx, s.Store)
	if err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	s.table, s.js, s.msgs = t, js, js
	s.byKey, s.byID = map[string]*queue{}, map[string]*queue{}
	tctx, stop := context.WithCancel(context.Background())
	s.tasks = &moveTasks{bySource: map[string][]*moveTask{}, ctx: tctx, stop: stop}
	keys, err := t.Keys(ctx)
	if err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	for _, k := range keys {
		m, rev, err := t.Get(ctx, k)
		if err != nil {
			continue
		}
		q := newQueue(m)
		q.rev = rev
		s.byKey[k], s.byID[m.ID] = q, q
	}
	if err := s.load(ctx); err != nil {
		return fmt.Errorf("sqs: loading messages: %w", err)
	}
	return nil
}

// Close stops running message move tasks and the message log's background
// work.
func (s *Service) Close(ctx context.Context) error {
	var err error
	if s.tasks != nil {
		s.tasks.stop()
		err = lifecycle.Wait(ctx, s.tasks.wg.Wait)
	}
	if s.js != nil {
		s.js.Close()
	}
	return err
}

// Handles reports whether r is an SQS call: signed for "sqs", or unsigned
// with an AmazonSQS. target or a query Action SQS knows.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName == "sqs" {
		return true
	}
	if signingName != "" {
		return false
	}
	if _, ok := awsproto.Target(r, targetPrefix); ok {
		return true
	}
	if awsproto.IsQuery(r) {
		a := r.URL.Query().Get("Action")
		return a != "" && operations[a] != nil
	}
	return false
}

type handler func(s *Service, ctx context.Context, r *http.Request, in *input) (any, error)

// operations is the route table, one handler per operation.
var operations = map[string]handler{
	"CreateQueue":             (*Service).createQueue,
	"DeleteQueue":             (*Service).deleteQueue,
	"GetQueueUrl":             (*Service).getQueueURL,
	"ListQueues":              (*Service).listQueues,
	"GetQueueAttributes":      (*Service).getQueueAttributes,
	"SetQueueAttributes":      (*Service).setQueueAttributes,
	"SendMessage":             (*Service).sendMessage,
	"SendMessageBatch":        (*Service).sendMessageBatch,
	"ReceiveMessage":          (*Service).receiveMessage,
	"DeleteMessage":           (*Service).deleteMessage,
	"DeleteMessageBatch":      (*Service).deleteMessageBatch,
	"ChangeMessageVisibility": (*Service).changeVisibility,
	"PurgeQueue":              (*Service).purgeQueue,
	"TagQueue":                (*Service).tagQueue,
	"UntagQueue":              (*Service).untagQueue,
	"ListQueueTags":           (*Service).listQueueTags,
	"AddPermission":           (*Service).addPermission,
	"RemovePermission":        (*Service).removePermission,

	"ChangeMessageVisibilityBatch": (*Service).changeVisibilityBatch,
	"ListDeadLetterSourceQueues":   (*Service).listDeadLetterSourceQueues,
	"StartMessageMoveTask":         (*Service).startMessageMoveTask,
	"CancelMessageMoveTask":        (*Service).cancelMessageMoveTask,
	"ListMessageMoveTasks":         (*Service).listMessageMoveTasks,
}

// ServeHTTP answers one SQS request in the protocol it came in.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if awsproto.Info(r.Context()).Host == "" {
		// No edge in front (tests): queue URLs name the host the client used.
		info := *awsproto.Info(r.Context())
		info.Host = r.Host
		r = r.WithContext(awsproto.WithInfo(r.Context(), &info))
	}
	if name, ok := awsproto.Target(r, targetPrefix); ok {
		var in input
		h := operations[name]
		if h == nil {
			s.writeJSONError(w, errUnknownOperation)
			return
		}
		if err := awsproto.ReadAWSJSON(r, &in); err != nil {
			s.writeJSONError(w, err)
			return
		}
		out, err := s.call(h, name, r, &in)
		if err != nil {
			s.writeJSONError(w, err)
			return
		}
		if out == nil {
			out = struct{}{}
		}
		awsproto.WriteAWSJSON(w, awsproto.AWSJSON10, out)
		return
	}
	q, err := awsproto.ReadQuery(r)
	if err != nil {
		writeQueryError(w, r, err)
		return
	}
	h := operations[q.Action]
	if h == nil {
		writeQueryError(w, r, errUnknownOperation)
		return
	}
	var in input
	if err := decodeQuery(q, &in); err != nil {
		writeQueryError(w, r, err)
		return
	}
	if in.QueueURL == "" && strings.Count(r.URL.Path, "/") >= 2 {
		in.QueueURL = r.URL.Path
	}
	out, err := s.call(h, q.Action, r, &in)
	if err != nil {
		writeQueryError(w, r, err)
		return
	}
	var res any
	if x, ok := out.(xmlResult); ok {
		res = x.xml()
	}
	awsproto.WriteQueryResult(w, r, xmlNamespace, q.Action, res)
}

// xmlResult is an output whose query-protocol shape differs from its JSON.
type xmlResult interface{ xml() any }

func (s *Service) call(h handler, name string, r *http.Request, in *input) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("sqs: panic in "+name, "panic", p)
			out, err = nil, awsproto.ServiceFailure
		}
	}()
	out, err = h(s, r.Context(), r, in)
	var ae *awsproto.Error
	if err != nil && !errors.As(err, &ae) {
		slog.Error("sqs: "+name, "err", err)
	}
	return out, err
}

func (s *Service) writeJSONError(w http.ResponseWriter, err error) {
	awsproto.WriteAWSJSONErrorNS(w, awsproto.AWSJSON10, namespace, err)
}

func writeQueryError(w http.ResponseWriter, r *http.Request, err error) {
	if e := awsproto.As(err); e.Code == errQueueDoesNotExist.Code {
		c := *e
		c.Message = queryNotFoundMessage
		err = &c
	}
	awsproto.WriteQueryError(w, r, xmlNamespace, err)
}

func (s *Service) account(ctx context.Context) string {
	if a := awsproto.Info(ctx).Account; a != "" {
		return a
	}
	return s.Account
}

// queueByURL finds the queue a QueueUrl (or a request path) names: its last
// two path segments are the account and the name, whatever the host.
func (s *Service) queueByURL(ctx context.Context, u string) (*queue, error) {
	if u == "" {
		return nil, missingParameter("QueueUrl")
	}
	parts := strings.Split(strings.TrimRight(u, "/"), "/")
	name, acct := parts[len(parts)-1], s.account(ctx)
	if len(parts) >= 2 && len(parts[len(parts)-2]) == 12 {
		acct = parts[len(parts)-2]
	}
	s.mu.RLock()
	q := s.byKey[acct+"."+name]
	s.mu.RUnlock()
	if q == nil {
		return nil, errQueueDoesNotExist
	}
	return q, nil
}

func (s *Service) queueURL(ctx context.Context, m *queueMeta) string {
	info := awsproto.Info(ctx)
	scheme, host := info.Scheme, info.Host
	if scheme == "" {
		scheme = "http"
	}
	if host == "" {
		host = "localhost:4566"
	}
	return scheme + "://" + host + "/" + m.Account + "/" + m.Name
}

func newID() string {
	var b [8]byte
	rand.Read(b[:]) //nolint:errcheck
	return hex.EncodeToString(b[:])
}
