// Package objstore is the storage behind the S3 API: buckets, object versions,
// multipart uploads and the data they point at, with S3's versioning rules applied
// atomically by the store. The S3 service decides what a request means (headers,
// checksums, errors on the wire); the store keeps it and answers listings in key
// order.
//
// Store is the contract; package objstore/disk implements it on one machine (an
// ordered embedded database for metadata, object data in files) and the suite in
// package objstore/objstoretest is its executable form: every implementation runs
// it, so a distributed backend can be added later without touching the service.
package objstore

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors a Store returns, wrapped; callers test them with errors.Is.
var (
	ErrNoSuchBucket       = errors.New("objstore: no such bucket")
	ErrBucketExists       = errors.New("objstore: bucket exists")
	ErrBucketNotEmpty     = errors.New("objstore: bucket not empty")
	ErrNoSuchKey          = errors.New("objstore: no such key")
	ErrNoSuchVersion      = errors.New("objstore: no such version")
	ErrNoSuchUpload       = errors.New("objstore: no such upload")
	ErrPreconditionFailed = errors.New("objstore: precondition failed")
	// ErrConflict: a Condition was given, and another write to the key raced it.
	ErrConflict = errors.New("objstore: conflicting write")
)

// Versioning states of a bucket, spelled as S3 spells them ("" is never enabled).
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// NullVersion is the version id of an object written while versioning was never
// enabled or is suspended.
const NullVersion = "null"

// Bucket is one bucket and its configuration. Config documents are kept as the
// service encoded them and handed back unchanged; the store never reads them.
type Bucket struct {
	Name       string
	Region     string
	Created    time.Time
	Versioning string // "", VersioningEnabled or VersioningSuspended
	// Config holds the bucket's subresource documents by name (ConfigTagging, ...).
	Config map[string][]byte
}

// Names of Bucket.Config documents.
const (
	ConfigTagging      = "tagging"
	ConfigCORS         = "cors"
	ConfigPolicy       = "policy"
	ConfigLifecycle    = "lifecycle"
	ConfigNotification = "notification"
)

// Data names the bytes of an object or part: a segment held by the store, either
// inline (small objects) or by reference. The zero Data is empty.
type Data struct {
	Ref    string `json:"ref,omitempty"`    // opaque to callers; "" when Inline holds the bytes
	Inline []byte `json:"inline,omitempty"` // small data, kept with the metadata
	Size   int64  `json:"size"`
}

// Part is one part of a multipart upload, or of an object completed from one.
type Part struct {
	Number       int       `json:"number"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"` // hex MD5 of the part, unquoted
	Checksum     string    `json:"checksum,omitempty"`
	LastModified time.Time `json:"lastModified"`
	Data         Data      `json:"data"`
}

// Tag is one key=value tag; order is kept as given.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Object is one version of one key: an object or a delete marker.
type Object struct {
	Key          string    `json:"key"`
	VersionID    string    `json:"versionId"` // NullVersion or a store-made id
	DeleteMarker bool      `json:"deleteMarker,omitempty"`
	IsLatest     bool      `json:"-"` // set by Get and List
	LastModified time.Time `json:"lastModified"`
	// Seq orders every write to a bucket; the S3 event sequencer is made from it.
	// The store sets it.
	Seq uint64 `json:"seq"`

	Size int64  `json:"size"`
	ETag string `json:"etag"` // unquoted: hex MD5, or "hex-N" for N parts

	// Standard headers as stored; "" when not set.
	ContentType        string `json:"contentType,omitempty"`
	ContentEncoding    string `json:"contentEncoding,omitempty"`
	ContentDisposition string `json:"contentDisposition,omitempty"`
	ContentLanguage    string `json:"contentLanguage,omitempty"`
	CacheControl       string `json:"cacheControl,omitempty"`
	Expires            string `json:"expires,omitempty"`
	WebsiteRedirect    string `json:"websiteRedirect,omitempty"`
	StorageClass       string `json:"storageClass,omitempty"` // "" is STANDARD
	// Metadata is the user metadata (x-amz-meta-*), names lower-cased without
	// the prefix.
	Metadata map[string]string `json:"metadata,omitempty"`
	Tags     []Tag             `json:"tags,omitempty"`

	// ChecksumAlgorithm is CRC32, CRC32C, CRC64NVME, SHA1 or SHA256 ("" for
	// none); Checksum is its base64 value (for a composite multipart checksum,
	// "base64-N"); ChecksumType is FULL_OBJECT or COMPOSITE.
	ChecksumAlgorithm string `json:"checksumAlgorithm,omitempty"`
	Checksum          string `json:"checksum,omitempty"`
	ChecksumType      string `json:"checksumType,omitempty"`

	// Parts is set for an object completed from a multipart upload: its parts in
	// order, whose Data together are the object's bytes. Otherwise Data holds them.
	Parts []Part `json:"parts,omitempty"`
	Data  Data   `json:"data,omitzero"`
}

// Segments returns the data segments of o in order.
func (o *Object) Segments() []Data {
	if len(o.Parts) == 0 {
		return []Data{o.Data}
	}
	segs := make([]Data, len(o.Parts))
	for i, p := range o.Parts {
		segs[i] = p.Data
	}
	return segs
}

// Condition is a precondition on the key's current (latest) version, checked
// by Put, CompleteUpload and Delete atomically with the write; a write whose
// Condition does not hold fails with ErrPreconditionFailed and changes nothing.
// Every field set must hold. The zero Condition always holds.
//
// For Delete of a named version, too, the Condition is on the key's latest
// version, not on the version named.
type Condition struct {
	// IfNoneMatch "*": the key must have no current object (a delete marker as
	// the latest version counts as none).
	IfNoneMatch string
	// IfMatch: the current object's ETag (unquoted) must equal it, or be "*"
	// (any current object). When the key has no current object (no version, or
	// a delete marker as the latest) the error matches both
	// ErrPreconditionFailed and ErrNoSuchKey (S3 answers 404 NoSuchKey then, to
	// PutObject and to DeleteObject alike).
	IfMatch string
	// IfSeq, when not 0: the key's latest version, object or delete marker,
	// must be the one whose Seq it is; a key with no version fails it. A caller
	// that read a version and decided from it (lifecycle expiration) passes its
	// Seq, so that a write landing in between is never replaced or deleted
	// unseen.
	IfSeq uint64
}

// Events is called inside a write's transaction with the changes it made (the
// versions made, removed or retagged, as stored), in the order of their Seq,
// and returns notification records to keep in the store's outbox in the same
// transaction; nil keeps none. It must not call the Store. It may be called
// more than once for one write (a store may retry its transaction); only the
// records of the call whose transaction commits are kept.
type Events func(changes []Change) [][]byte

// Change is one effect of a write on a key.
type Change struct {
	// Kind is ChangePut, ChangeDelete (a version removed for good),
	// ChangeDeleteMarker (a delete marker made) or ChangeTags (a version's tags
	// replaced).
	Kind string
	// Seq is the change's own number in the order of every write to the
	// bucket: for a put, the new version's Seq; for a delete marker, the
	// marker's; for a removal or a tag update, a new number taken by the write.
	// Changes of one bucket have distinct Seqs, increasing in commit order, so
	// the changes of a key sort in the order they happened (the S3 event
	// sequencer is made from it).
	Seq uint64
	// Object is the version made, removed or retagged, as stored. Its Seq stays
	// that of the write that made the version, whatever the change.
	Object Object
}

// Kinds of Change.
const (
	ChangePut          = "put"
	ChangeDelete       = "delete"
	ChangeDeleteMarker = "deleteMarker"
	ChangeTags         = "tags"
)

// Outboxed is a notification record kept by Events until it is acknowledged.
// Seq is the outbox's own order, store-wide (not an Object's Seq).
type Outboxed struct {
	Seq     uint64
	Payload []byte
}

// ListQuery asks for keys (or versions) in order.
type ListQuery struct {
	Prefix    string
	Delimiter string // "" for none; keys sharing Prefix..Delimiter roll up into CommonPrefixes
	// After: start strictly after this key (V1 marker, V2 start-after or
	// continuation token). For versions, with AfterVersion, strictly after that
	// version of After (AfterVersion "" means after every version of After).
	After        string
	AfterVersion string
	MaxKeys      int // entries + common prefixes returned; 0 returns none but says whether any exist
}

// ListPage is one page of a listing.
type ListPage struct {
	// Objects are the latest non-delete-marker versions (List), or every
	// version (ListVersions), with their metadata only: Data and Parts are left
	// zero (Get the version to read it). List's CommonPrefixes likewise roll up
	// only keys whose latest version is not a delete marker.
	Objects        []Object
	CommonPrefixes []string
	Truncated      bool
	// NextKey (and NextVersion for versions) is the last entry or common prefix
	// returned, from which the next page goes on (After, AfterVersion).
	NextKey     string
	NextVersion string
}

// Upload is a multipart upload in progress.
type Upload struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Initiated time.Time `json:"initiated"`
	// Object carries what the completed object will have: standard headers,
	// metadata, tags, storage class, checksum algorithm and type.
	Object Object `json:"object"`
}

// UploadQuery asks for uploads in (key, initiation) order, as
// ListMultipartUploads does.
type UploadQuery struct {
	Prefix      string
	Delimiter   string
	KeyMarker   string
	UploadAfter string // upload-id-marker: with KeyMarker, after that upload of the key
	MaxUploads  int
}

// UploadPage is one page of uploads.
type UploadPage struct {
	Uploads        []Upload
	CommonPrefixes []string
	Truncated      bool
	NextKey        string
	NextUpload     string
}

// DataWriter receives new data. Commit makes it durable (on stable storage when
// Commit returns) and returns its Data, which stays unreferenced, and invisible,
// until a Put, PutPart or CompleteUpload names it; Abort (or a crash) before then
// leaves nothing behind but what the store's own sweep removes; so does a write
// that names it and fails. Exactly one of Commit or Abort must be called. Once
// named, a Data may be named again by other versions or parts (a copy sharing
// the bytes); it is removed when the last of them goes.
type DataWriter interface {
	io.Writer
	Commit() (Data, error)
	Abort()
}

// Store keeps buckets, objects and uploads. All methods are safe for concurrent
// use. Errors are the package's sentinels, wrapped, or the store's own failures.
//
// Versioning rules (S3's), applied by Put, Delete and CompleteUpload to the key's
// versions, newest first:
//   - never enabled: every write replaces the one version, NullVersion.
//   - Enabled: a write adds a version with a new id, made by the store, unique in
//     the bucket and ordered after every earlier version of the key.
//   - Suspended: a write replaces the NullVersion (wherever it is in the list)
//     with a new NullVersion that becomes the latest; other versions stay.
//
// Delete with versionID "" removes the object when versioning was never enabled;
// when Enabled adds a delete marker with a new id; when Suspended removes the
// NullVersion and adds a delete marker whose id is NullVersion. Delete of a named
// version removes that version (object or marker) for good; if it was the latest,
// the next newest becomes latest. Deleting what does not exist (a key with no
// version while versioning was never enabled, or a named version that is not
// there) succeeds and changes nothing. Data no longer referenced by any version
// or part is removed by the store once the write that released it is committed.
type Store interface {
	CreateBucket(ctx context.Context, b Bucket) error // ErrBucketExists
	Bucket(ctx context.Context, name string) (Bucket, error)
	// UpdateBucket applies fn to the bucket in a transaction; an error from fn
	// aborts it and is returned as is. fn may run more than once (a retried
	// transaction) and must not call the Store.
	UpdateBucket(ctx context.Context, name string, fn func(*Bucket) error) error
	// DeleteBucket fails with ErrBucketNotEmpty while any version, delete marker
	// or upload is left.
	DeleteBucket(ctx context.Context, name string) error
	Buckets(ctx context.Context) ([]Bucket, error) // by name

	NewData(ctx context.Context) (DataWriter, error)
	// OpenData reads a segment from offset off; the caller closes it.
	OpenData(ctx context.Context, d Data, off int64) (io.ReadCloser, error)

	// Put stores o (VersionID, Seq, LastModified are set by the store from the
	// bucket's versioning state) as the key's latest version and returns it as
	// stored. ErrPreconditionFailed when cond does not hold.
	Put(ctx context.Context, bucket string, o Object, cond Condition, ev Events) (Object, error)
	// Get returns a version: the latest when versionID is "", which may be a
	// delete marker. ErrNoSuchKey when the key has none; ErrNoSuchVersion when
	// the named version does not exist.
	Get(ctx context.Context, bucket, key, versionID string) (Object, error)
	// Delete removes as described above and returns what it did: the delete
	// marker made, or the version removed (zero Change when nothing existed).
	// ErrPreconditionFailed, and nothing changed, when cond does not hold on
	// the key's latest version (whether or not versionID names a version).
	Delete(ctx context.Context, bucket, key, versionID string, cond Condition, ev Events) (Change, error)
	// UpdateTags replaces a version's tags in place (no new version, as S3:
	// the version keeps its Seq and LastModified) and returns it as updated;
	// ev gets one ChangeTags. A delete marker has no tags: ErrNoSuchKey when it
	// is the latest asked for, ErrNoSuchVersion when named.
	UpdateTags(ctx context.Context, bucket, key, versionID string, tags []Tag, ev Events) (Object, error)
	List(ctx context.Context, bucket string, q ListQuery) (ListPage, error)
	ListVersions(ctx context.Context, bucket string, q ListQuery) (ListPage, error)

	CreateUpload(ctx context.Context, bucket string, u Upload) (Upload, error) // the store sets ID
	Upload(ctx context.Context, bucket, key, uploadID string) (Upload, error)  // ErrNoSuchUpload
	// PutPart stores a part, replacing one of the same number.
	PutPart(ctx context.Context, bucket, key, uploadID string, p Part) error
	// Parts lists parts in number order after partNumber after, up to max.
	Parts(ctx context.Context, bucket, key, uploadID string, after, max int) (parts []Part, truncated bool, err error)
	// CompleteUpload ends the upload and puts o (whose Parts name parts of the
	// upload, possibly a subset, in order) as Put would; parts not named are
	// released. ErrNoSuchUpload when the upload is gone (completed or aborted).
	CompleteUpload(ctx context.Context, bucket, key, uploadID string, o Object, cond Condition, ev Events) (Object, error)
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error
	Uploads(ctx context.Context, bucket string, q UploadQuery) (UploadPage, error)

	// Outbox returns records kept by Events and not yet acknowledged, oldest
	// first, up to max; Ack removes them. Wake is signalled (without blocking)
	// after every commit that added some.
	Outbox(ctx context.Context, max int) ([]Outboxed, error)
	Ack(ctx context.Context, seqs ...uint64) error
	Wake() <-chan struct{}

	Close() error
}
