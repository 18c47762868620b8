// Package tablestore is the contract between the DynamoDB service and the
// storage that keeps its tables, items, indexes and stream records. One
// conformance suite (tablestoretest) runs against every implementation
// (tablestore/bolt).
package tablestore

import (
	"context"
	"errors"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
)

// Errors a Store returns (wrapped; test with errors.Is).
var (
	ErrTableExists    = errors.New("tablestore: table exists")
	ErrTableNotFound  = errors.New("tablestore: table not found")
	ErrIndexNotFound  = errors.New("tablestore: index not found")
	ErrStreamNotFound = errors.New("tablestore: stream not found")
	// ErrTrimmed: a stream read asked for records older than the retention kept.
	ErrTrimmed = errors.New("tablestore: stream records trimmed")
	ErrClosed  = errors.New("tablestore: store closed")
	// ErrBackfilling: a Query or Scan named a global index that is still being
	// built from the table's items (Index.Backfilling); DynamoDB answers
	// "Cannot read from backfilling global secondary index: <name>".
	ErrBackfilling = errors.New("tablestore: index backfilling")
)

// KeySchema names a table's or index's key attributes. Range is "" for a
// hash-only key. The key attributes' kinds (S, N or B) come from the table's
// attribute definitions.
type KeySchema struct {
	Hash, Range         string
	HashKind, RangeKind attr.Kind
}

// Projection is an index's projection: ProjectionType KEYS_ONLY, INCLUDE or
// ALL, and NonKeyAttributes for INCLUDE.
type Projection struct {
	Type             string   `json:"type"`
	NonKeyAttributes []string `json:"nonKeyAttributes,omitempty"`
}

// Throughput is provisioned capacity (zero under PAY_PER_REQUEST).
type Throughput struct {
	Read, Write int64
	// LastIncrease/LastDecrease/Decreases are reported by DescribeTable.
	LastIncrease, LastDecrease time.Time
	DecreasesToday             int64
}

// Index is a local or global secondary index.
type Index struct {
	Name       string
	Key        KeySchema
	Projection Projection
	Global     bool
	// Status is CREATING, UPDATING, DELETING or ACTIVE (global indexes).
	Status string
	// Backfilling is true while a global index added to a table with items is
	// being built from them.
	Backfilling bool
	Throughput  Throughput
}

// AttributeDefinition is one entry of a table's AttributeDefinitions.
type AttributeDefinition struct {
	Name string
	Kind attr.Kind
}

// StreamSpec is a table's stream setting. A table whose stream is turned off
// and on again gets a new stream (a new Label); the old one stays readable
// until its records age out.
type StreamSpec struct {
	Enabled  bool
	ViewType string // KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES
	// Label is the current (or last) stream's label, the StreamLabel AWS shows:
	// its creation time as 2006-01-02T15:04:05.000 in UTC.
	Label string
}

// TTLSpec is a table's time to live setting.
type TTLSpec struct {
	Attribute string
	Enabled   bool
}

// Table is a table's definition and state, as the Store keeps it. The store
// reads Key, Indexes and Stream; it keeps every other field for the service.
type Table struct {
	Name        string
	ID          string // TableId, a UUID
	Created     time.Time
	Status      string // CREATING, UPDATING, DELETING, ACTIVE
	Key         KeySchema
	Attributes  []AttributeDefinition
	Indexes     []Index // local ones first, in creation order
	BillingMode string  // PROVISIONED or PAY_PER_REQUEST
	// BillingModeChanged is when BillingMode last changed (zero if never).
	BillingModeChanged time.Time
	Throughput         Throughput
	Stream             StreamSpec
	TTL                TTLSpec
	Tags               map[string]string
	DeletionProtection bool
	TableClass         string
	SSE                map[string]string // SSEDescription fields, as set
}

// Index returns the table's index named name, or false.
func (t *Table) Index(name string) (*Index, bool) {
	for i := range t.Indexes {
		if t.Indexes[i].Name == name {
			return &t.Indexes[i], true
		}
	}
	return nil, false
}

// Stats are a table's or index's item count and size in bytes (attr.ItemSize).
type Stats struct {
	Items, Bytes int64
}

// Identity is a stream record's userIdentity: set on deletes made by TTL, as
// {"type": "Service", "principalId": "dynamodb.amazonaws.com"}.
type Identity struct {
	Type, PrincipalID string
}

// Op is one item's change in a Write.
type Op struct {
	Table string
	// Key holds the item's primary key attributes (and nothing else).
	Key attr.Item
	// Apply decides the item's new value from its current one (nil when there
	// is none): it returns the new whole item (which holds Key), nil to delete
	// it, or ErrNoChange to leave it as it is. Any other error fails the Write.
	// It runs inside the store's write transaction: it must be quick, must not
	// call the Store, and must not modify old (the store still reads it: clone
	// it to change it). It may run more than once for one Write (when a batch
	// of writes is retried), so it must decide from old alone.
	Apply func(old attr.Item) (attr.Item, error)
	// Identity, when set, is the stream record's userIdentity.
	Identity *Identity
}

// ErrNoChange is what an Op's Apply returns to leave the item unchanged (a
// condition check, a delete of an absent item); no stream record is written.
var ErrNoChange = errors.New("tablestore: no change")

// StreamRecord is one change of one item in a table's stream.
type StreamRecord struct {
	Seq   uint64 // increases along the stream; the service formats it
	Time  time.Time
	Event string // INSERT, MODIFY or REMOVE
	Keys  attr.Item
	// Old and New are the images the stream's ViewType keeps (nil otherwise,
	// and Old is nil on INSERT, New on REMOVE).
	Old, New attr.Item
	// Size is the record's SizeBytes as AWS counts it: the keys and images kept.
	Size     int64
	Identity *Identity
}

// StreamInfo describes one stream of a table.
type StreamInfo struct {
	Table    string
	Label    string
	ViewType string
	Enabled  bool // false once the table's stream was turned off or the table deleted
	Created  time.Time
	// First and Last are the sequence numbers of the oldest kept and newest
	// record (0, 0 when it has none); Next is the number the next record gets.
	First, Last, Next uint64
	// KeySchema of the table, for DescribeStream.
	Key KeySchema
}

// Range is a condition on a range (sort) key, from a KeyConditionExpression.
// Op is one of "=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"; Values[1]
// is used by BETWEEN only.
type Range struct {
	Op     string
	Values [2]attr.Value
}

// Query selects the items of one hash key value, in range key order.
type Query struct {
	Table string
	Index string // "" for the table itself
	Hash  attr.Value
	Range *Range // nil: every item of Hash
	// Backward visits in descending range key order (ScanIndexForward false).
	Backward bool
	// Start is an ExclusiveStartKey: the table's key attributes and, on an
	// index, the index's key attributes too. Visiting starts after it.
	Start attr.Item
}

// Scan visits every item of a table or index, or those of one segment of a
// parallel scan (TotalSegments > 1; 0 and 1 mean a whole scan). The segments
// split the items by their hash key, each item in exactly one segment.
type Scan struct {
	Table         string
	Index         string
	Segment       int
	TotalSegments int
	Start         attr.Item // as in Query, from the same segment
}

// Visit receives each item a Query or Scan finds, whole (the table's item, also
// on an index: the service applies the index's projection), and returns false
// to stop. It runs inside a read transaction: it must not call the Store.
type Visit func(item attr.Item) bool

// Store keeps tables. All methods are safe for concurrent use.
type Store interface {
	// CreateTable stores t (ErrTableExists if its name is taken).
	CreateTable(ctx context.Context, t Table) error
	// Table returns a table's definition (ErrTableNotFound).
	Table(ctx context.Context, name string) (Table, error)
	// Tables returns the names of all tables in ascending (byte) order.
	Tables(ctx context.Context) ([]string, error)
	// UpdateTable changes a table's definition with fn, atomically. A global
	// index that fn adds is built from the items already there (Backfilling
	// true, then false with Status ACTIVE once built); one it removes is dropped
	// with its entries. While a new index is being built the store owns its
	// Status and Backfilling (fn's changes to them are ignored), and Query and
	// Scan on it return ErrBackfilling while Backfilling is true, never part of
	// it. Turning the stream off ends the current stream; turning it on with a
	// new Label starts a new one. It returns the stored table (with a new
	// index CREATING: the build may still be running).
	UpdateTable(ctx context.Context, name string, fn func(*Table) error) (Table, error)
	// DeleteTable removes a table and its items and indexes; its stream stays
	// readable (disabled) until its records age out. It returns the table as it
	// was (ErrTableNotFound).
	DeleteTable(ctx context.Context, name string) (Table, error)
	// Stats returns the item count and size of a table, or of one of its
	// indexes (items that have the index's key attributes; the size of an
	// index is attr.ItemSize of what it holds of them: the table's and the
	// index's keys and the projected attributes). ErrTableNotFound,
	// ErrIndexNotFound.
	Stats(ctx context.Context, table, index string) (Stats, error)

	// Get returns the item with key (nil when there is none).
	Get(ctx context.Context, table string, key attr.Item) (attr.Item, error)
	// Write applies ops atomically: every op's Apply runs in order, even after
	// one fails, so a transaction can report every item's reason; if any fails,
	// nothing is written and Write returns the first failure (as Apply returned
	// it, wrapped). Each changed item updates its table's indexes and stats and,
	// when the table's stream is on, appends one stream record, all in the same
	// transaction. An acknowledged Write survives a crash of the process.
	Write(ctx context.Context, ops []Op) error
	// Query visits the items of q in order until visit returns false
	// (ErrTableNotFound, ErrIndexNotFound, ErrBackfilling).
	Query(ctx context.Context, q Query, visit Visit) error
	// Scan visits the items of s in the store's order until visit returns
	// false (ErrTableNotFound, ErrIndexNotFound, ErrBackfilling).
	Scan(ctx context.Context, s Scan, visit Visit) error

	// Streams returns the streams of one table, or of all tables (table ""),
	// newest first, including disabled ones still kept.
	Streams(ctx context.Context, table string) ([]StreamInfo, error)
	// Stream returns one stream (ErrStreamNotFound).
	Stream(ctx context.Context, table, label string) (StreamInfo, error)
	// ReadStream returns up to limit records of a stream with Seq >= from, in
	// order. ErrTrimmed when from is below the oldest kept record (and not 0).
	ReadStream(ctx context.Context, table, label string, from uint64, limit int) ([]StreamRecord, error)
	// TrimStreams drops stream records written before cutoff, and streams that
	// are disabled and empty.
	TrimStreams(ctx context.Context, cutoff time.Time) error
	// WaitStream returns when a record with Seq >= from may be in the stream
	// (at once if there is one), or when ctx ends; so a poller need not spin.
	WaitStream(ctx context.Context, table, label string, from uint64) error

	Close() error
}
