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
