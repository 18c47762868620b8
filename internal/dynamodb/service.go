// Package dynamodb serves the DynamoDB API (awsJson 1.0, X-Amz-Target
// DynamoDB_20120810.<Operation>) and the DynamoDB Streams API
// (DynamoDBStreams_20120810.<Operation>) over a tablestore.Store, and offers
// table streams to Lambda event source mappings as an eventsource.Streams.
package dynamodb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

const (
	targetPrefix        = "DynamoDB_20120810."
	streamsTargetPrefix = "DynamoDBStreams_20120810."
	contentType         = awsproto.AWSJSON10
)

// Service is DynamoDB and DynamoDB Streams. Set the exported fields, then Open;
// Close stops the background work (TTL deletes, stream trimming).
type Service struct {
	Store tablestore.Store
	// Account and Region name tables in ARNs (defaults 000000000000, us-east-1).
	// Tables are the server's, whatever region a request is signed for.
	Account, Region string
	// TTLEvery is how often expired items are looked for (default 10 s; AWS
	// deletes within days, typically minutes).
	TTLEvery time.Duration
	// StreamRetention is how long stream records are kept (default 24 h).
	StreamRetention time.Duration
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time

	stop chan struct{}
	done chan struct{}
	// idem remembers TransactWriteItems ClientRequestTokens for 10 minutes.
	idem *idempotency
}

// op is one operation's handler: it decodes its input from r and returns the
// output to encode, or an error to render.
type op func(ctx context.Context, r *http.Request) (any, error)

// Open starts the background work.
func (s *Service) Open(ctx context.Context) error {
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.TTLEvery == 0 {
		s.TTLEvery = 10 * time.Second
	}
	if s.StreamRetention == 0 {
		s.StreamRetention = 24 * time.Hour
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.idem = newIdempotency(s.Now)
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.background()
	return nil
}

// Close stops the background work.
func (s *Service) Close(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	close(s.stop)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Handles reports whether the request is a DynamoDB or DynamoDB Streams call.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName == "dynamodb" {
		return true
	}
	if signingName != "" {
		return false
	}
	_, ok := awsproto.Target(r, targetPrefix)
	if !ok {
		_, ok = awsproto.Target(r, streamsTargetPrefix)
	}
	return ok
}

// operation is the route table: tables, items and streams each keep their own
// part of it, beside their handlers.
func (s *Service) operation(r *http.Request) (string, op) {
	if name, ok := awsproto.Target(r, targetPrefix); ok {
		if h := s.tableOps(name); h != nil {
			return name, h
		}
		return name, s.itemOps(name)
	}
	if name, ok := awsproto.Target(r, streamsTargetPrefix); ok {
		return name, s.streamOps(name)
	}
	return "", nil
}

// ServeHTTP answers one DynamoDB or DynamoDB Streams request. Every answer
// carries x-amz-crc32, the CRC32 of its body, which SDKs check.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, h := s.operation(r)
	if h == nil || r.Method != http.MethodPost {
		s.writeError(w, errUnknownOperation)
		return
	}
	out, err := h(r.Context(), r)
	if err != nil {
		var ae *awsproto.Error
		if !errors.As(err, &ae) {
			slog.Error("dynamodb: "+name, "err", err)
		}
		s.writeError(w, err)
		return
	}
	b, err := marshal(out)
	if err != nil {
		slog.Error("dynamodb: "+name+": encode", "err", err)
		s.writeError(w, err)
		return
	}
	writeBody(w, http.StatusOK, b)
}

// WriteError renders errors the edge finds (a bad signature) as DynamoDB does.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) { s.writeError(w, err) }

func (s *Service) writeError(w http.ResponseWriter, err error) {
	e, b := awsproto.EncodeAWSJSONError(errorNamespace(awsproto.As(err).Code), err)
	w.Header()["X-Amzn-Errortype"] = []string{e.Code}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	h["X-Amz-Crc32"] = []string{strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10)}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away
}

// background runs the TTL deletes and the stream trimming until Close.
func (s *Service) background() {
	defer close(s.done)
	ttl := time.NewTicker(s.TTLEvery)
	defer ttl.Stop()
	trim := time.NewTicker(time.Minute)
	defer trim.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ttl.C:
			s.expireItems(context.Background())
		case <-trim.C:
			if err := s.Store.TrimStreams(context.Background(), s.Now().Add(-s.StreamRetention)); err != nil {
				slog.Warn("dynamodb: trimming streams", "err", err)
			}
		}
	}
}

// decode reads r's JSON body into v. A body that is not JSON of v's shape is a
// SerializationException; an attribute value that is JSON but not a valid value
// (attr's decoder) keeps the ValidationException it gave, as DynamoDB answers.
func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(b) > maxRequestBody {
		return errSerialization
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		var ae *awsproto.Error
		if errors.As(err, &ae) {
			return ae
		}
		return errSerialization
	}
	return nil
}

// maxRequestBody bounds a request: 16 MB is BatchWriteItem's ceiling.
const maxRequestBody = 16 << 20

// marshal encodes an operation's output. The outputs that carry items encode
// themselves: encoding/json would re-scan and compact every item's
// MarshalJSON output, the largest part of a GetItem's or Query's encoding.
func marshal(v any) ([]byte, error) {
	if a, ok := v.(jsonAppender); ok {
		return a.appendJSON(make([]byte, 0, 512))
	}
	return json.Marshal(v)
}

type jsonAppender interface {
	appendJSON(dst []byte) ([]byte, error)
}

// appendMember appends ,"name": (or without the comma for the first member).
func appendMember(dst []byte, first *bool, name string) []byte {
	if !*first {
		dst = append(dst, ',')
	}
	*first = false
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// appendOther appends v as encoding/json encodes it, for the small members.
func appendOther(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(dst, b...), err
}

// table returns a table's definition, or ResourceNotFoundException as DynamoDB
// words it for an operation on a missing table.
func (s *Service) table(ctx context.Context, name string) (tablestore.Table, error) {
	return s.lookupTable(ctx, name, func() error { return errTableNotFound(name) })
}

// itemTable is table for the item operations, which answer a missing table
// without naming it, as DynamoDB does ("Requested resource not found").
func (s *Service) itemTable(ctx context.Context, name string) (tablestore.Table, error) {
	return s.lookupTable(ctx, name, func() error { return errResourceNotFound })
}

func (s *Service) lookupTable(ctx context.Context, name string, notFound func() error) (tablestore.Table, error) {
	t, err := s.Store.Table(ctx, name)
	if errors.Is(err, tablestore.ErrTableNotFound) {
		return t, notFound()
	}
	return t, err
}

// tableARN is a table's ARN.
func (s *Service) tableARN(name string) string {
	return "arn:aws:dynamodb:" + s.Region + ":" + s.Account + ":table/" + name
}
