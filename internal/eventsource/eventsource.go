// Package eventsource is the contract between the services whose changes or
// messages trigger functions (DynamoDB streams now; SQS queues and Kinesis
// streams later) and Lambda's event source mappings, which poll them. A service
// offers its sources through these interfaces without knowing about mappings;
// the mappings poll any source without knowing the service.
package eventsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors a source returns (wrapped; test with errors.Is).
var (
	// ErrNotFound: the source ARN names no stream (or queue) of the service.
	ErrNotFound = errors.New("eventsource: source not found")
	// ErrTrimmed: the position asked for is older than the records kept; the
	// poller resumes at the oldest kept (TRIM_HORIZON), as Lambda does.
	ErrTrimmed = errors.New("eventsource: records trimmed")
)

// Shard is one ordered part of a stream. A closed shard has an EndSeq; its
// children (Parent == its ID) are read once it is finished.
type Shard struct {
	ID       string
	Parent   string
	StartSeq string
	EndSeq   string // "" while open
}

// Record is one record of a stream, as delivered in a function's event.
type Record struct {
	// Seq orders the records of a shard; sequence numbers are decimal strings
	// compared as numbers (equal lengths compare as strings).
	Seq string
	// Time is when the change was written (ApproximateCreationDateTime), for
	// MaximumRecordAgeInSeconds.
	Time time.Time
	// Data is the record object of the event's "Records" array, exactly as
	// Lambda puts it there (DynamoDB: eventID, eventName, dynamodb, ...).
	Data json.RawMessage
	// PartitionKey groups records that must stay in order (DynamoDB: the item's
	// key); under a ParallelizationFactor above 1, records of one partition key
	// go to the same concurrent batch.
	PartitionKey string
	// Size is the record's size in bytes, for the 6 MB payload bound.
	Size int
}

// Streams is a service's streams (DynamoDB Streams, Kinesis).
type Streams interface {
	// Shards returns the shards of the stream sourceARN names (ErrNotFound),
	// parents before their children.
	Shards(ctx context.Context, sourceARN string) ([]Shard, error)
	// Read returns up to limit records of a shard from position on: after is
	// the sequence number of the last record already taken ("" for the
	// shard's start, or use Latest). ErrTrimmed when after is older than the
	// records kept. An empty answer with done true means the shard is closed
	// and every record was read.
	Read(ctx context.Context, sourceARN, shardID, after string, limit int) (records []Record, done bool, err error)
	// Latest returns the sequence number the next record of an open shard will
	// come after (the position StartingPosition LATEST starts from).
	Latest(ctx context.Context, sourceARN, shardID string) (string, error)
	// Wait returns when a record after position after may have arrived in the
	// shard, the shard closed, or ctx ended (at once if one already has).
	Wait(ctx context.Context, sourceARN, shardID, after string) error
}

// Queues is a service's queues (SQS), which mappings poll and settle message by
// message instead of by position.
type Queues interface {
	// Describe returns what a mapping needs to know of the queue queueARN names
	// (ErrNotFound).
	Describe(ctx context.Context, queueARN string) (QueueInfo, error)
	// Receive takes up to max messages, hiding each for visibility, and waits up
	// to wait (or until ctx ends) for the first when none is there. Receiving
	// counts toward a message's maxReceiveCount as any other receive does, and a
	// FIFO queue hands out no message of a group while another of it is hidden.
	Receive(ctx context.Context, queueARN string, max int, visibility, wait time.Duration) ([]QueueMessage, error)
	// Delete removes received messages by their receipt handles; a handle whose
	// message is gone already is no error.
	Delete(ctx context.Context, queueARN string, receipts []string) error
	// ChangeVisibility hides received messages for visibility from now (0 makes
	// them visible at once).
	ChangeVisibility(ctx context.Context, queueARN string, receipts []string, visibility time.Duration) error
}

// QueueInfo describes a queue to a mapping.
type QueueInfo struct {
	FIFO              bool
	VisibilityTimeout time.Duration
}

// QueueMessage is one message received for a mapping.
type QueueMessage struct {
	ID      string
	Receipt string
	// GroupID is a FIFO message's MessageGroupId.
	GroupID string
	// Sent is when the message was sent (SentTimestamp).
	Sent time.Time
	// Data is the record object of the event's "Records" array, exactly as
	// Lambda puts it there (messageId, receiptHandle, body, attributes,
	// messageAttributes, md5OfBody, eventSource, eventSourceARN, awsRegion).
	Data json.RawMessage
	// Size is the record's size in bytes, for the 6 MB payload bound.
	Size int
}

// Message is what one service hands another's queue, topic, event bus or
// function: Lambda's destinations and dead-letter queues, S3's event
// notifications, SNS subscriptions, EventBridge targets and schedules all send
// through a Sender, so each target service accepts messages in one place.
type Message struct {
	// Body is the message (SQS MessageBody, SNS Message, an EventBridge event's
	// Detail, a Lambda payload).
	Body string
	// Attributes are SQS or SNS message attributes.
	Attributes map[string]Attribute
	// GroupID and DeduplicationID are for FIFO queues and topics.
	GroupID         string
	DeduplicationID string
	// Subject is an SNS message's subject.
	Subject string
	// Source, DetailType and Resources make Body an EventBridge event's detail
	// when the target is an event bus.
	Source     string
	DetailType string
	Resources  []string
	// Delay postpones an SQS message's delivery (DelaySeconds).
	Delay time.Duration
}

// Attribute is an SQS or SNS message attribute: DataType is String, Number or
// Binary, optionally with a custom suffix ("String.Array", "Number.float").
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// Sender accepts messages for the targets of one service.
type Sender interface {
	// Send delivers m to the target targetARN names and returns the id the
	// target gave it once m is durable there. ErrNotFound when there is no such
	// target; an *awsproto.Error when the target refuses m (too large, a FIFO
	// queue without a group id).
	Send(ctx context.Context, targetARN string, m Message) (string, error)
}

// Senders routes a message to the Sender of the service its target ARN names
// ("sqs", "sns", "events", "lambda"). Fill it in main once every service exists.
type Senders map[string]Sender

// Send delivers m to targetARN through the Sender of its service, or fails with
// ErrNotFound when the ARN is not one or no service of its name is here.
func (s Senders) Send(ctx context.Context, targetARN string, m Message) (string, error) {
	parts := strings.SplitN(targetARN, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return "", fmt.Errorf("%w: %q is not an ARN", ErrNotFound, targetARN)
	}
	snd, ok := s[parts[2]]
	if !ok {
		return "", fmt.Errorf("%w: no service %q for %s", ErrNotFound, parts[2], targetARN)
	}
	return snd.Send(ctx, targetARN, m)
}

// Router is the Senders of a server whose services open one after another
// and deliver to each other: a send waits until Ready, so a delivery that
// starts while the server opens (one left from before a restart) never finds
// a service missing that is about to exist, and the map is never written
// while it is read.
type Router struct {
	senders Senders
	ready   chan struct{}
}

// NewRouter returns an empty Router.
func NewRouter() *Router { return &Router{senders: Senders{}, ready: make(chan struct{})} }

// Add registers the Sender of service; call it before Ready only.
func (r *Router) Add(service string, s Sender) { r.senders[service] = s }

// Ready lets sends through, once every service is added.
func (r *Router) Ready() { close(r.ready) }

// Send waits until Ready, then routes as Senders.Send.
func (r *Router) Send(ctx context.Context, targetARN string, m Message) (string, error) {
	select {
	case <-r.ready:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return r.senders.Send(ctx, targetARN, m)
}
