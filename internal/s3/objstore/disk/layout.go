package disk

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Names in meta.db; the layout is described in the package comment.
var (
	sysBucket    = []byte("sys")
	refsBucket   = []byte("refs")
	outboxBucket = []byte("outbox")

	seqKey   = []byte("seq")
	epochKey = []byte("epoch")

	configKey     = []byte("config")
	versioningKey = []byte("versioning")
	latestName    = []byte("latest")
	versionsName  = []byte("versions")
	nullsName     = []byte("nulls")
	uploadsName   = []byte("uploads")
	partsName     = []byte("parts")
)

// bucketPrefix starts the name of the bbolt bucket that holds one S3 bucket.
const bucketPrefix = "b/"

func bucketName(name string) []byte { return []byte(bucketPrefix + name) }

// errBadKey is what a key the S3 service never sends gets: empty, or with a NUL
// byte (the byte that separates a key from its version in versions/).
var errBadKey = errors.New("objstore/disk: key is empty or holds a NUL byte")

func checkKey(key string) error {
	if key == "" || strings.IndexByte(key, 0) >= 0 {
		return fmt.Errorf("%w: %q", errBadKey, key)
	}
	return nil
}

// versionKey is key 0x00 big-endian(^seq): a key's versions sort together,
// newest first, and before the versions of any longer key.
func versionKey(key string, seq uint64) []byte {
	b := make([]byte, 0, len(key)+9)
	b = append(b, key...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint64(b, ^seq)
}

// versionsOf is the prefix of every versions/ entry of key.
func versionsOf(key string) []byte {
	b := make([]byte, 0, len(key)+1)
	b = append(b, key...)
	return append(b, 0)
}

// keyOfVersion returns the key part of a versions/ entry.
func keyOfVersion(k []byte) string {
	if len(k) < 9 {
		return ""
	}
	return string(k[:len(k)-9])
}

// uploadKey is key 0x00 upload id; ids sort by creation, so a key's uploads are
// in initiation order.
func uploadKey(key, id string) []byte {
	b := make([]byte, 0, len(key)+1+len(id))
	b = append(b, key...)
	b = append(b, 0)
	return append(b, id...)
}

// splitUploadKey undoes uploadKey.
func splitUploadKey(k []byte) (key, id string) {
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return string(k), ""
	}
	return string(k[:i]), string(k[i+1:])
}

// partKey is upload id big-endian(number).
func partKey(uploadID string, number int) []byte {
	b := make([]byte, 0, len(uploadID)+4)
	b = append(b, uploadID...)
	return binary.BigEndian.AppendUint32(b, uint32(number))
}

// successor returns the least byte string greater than every string that has
// p as a prefix, or nil when there is none (p is all 0xff).
func successor(p []byte) []byte {
	s := bytes.Clone(p)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0xff {
			s[i]++
			return s[:i+1]
		}
	}
	return nil
}

// Version and upload ids are 24 bytes: the big-endian store sequence number of
// the write that made them, then 16 random bytes, in a base64 alphabet whose
// characters are in ASCII order. So an id is 32 URL-safe characters, ids are
// unique in the store, and comparing two ids as strings orders them as the
// writes that made them (a key's versions, a key's uploads).
const idAlphabet = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

var idEncoding = base64.NewEncoding(idAlphabet).WithPadding(base64.NoPadding)

const idLen = 32

const idTopBit = 1 << 63

func newID(seq uint64) string {
	var b [24]byte
	// The top bit set keeps the order (seq stays below 2^63) and makes the first
	// character a letter: an id starting with '-' reads as an option to the aws
	// CLI (--version-id -abc).
	binary.BigEndian.PutUint64(b[:8], seq|idTopBit)
	binary.BigEndian.PutUint64(b[8:16], rand.Uint64())
	binary.BigEndian.PutUint64(b[16:], rand.Uint64())
	return idEncoding.EncodeToString(b[:])
}

// idSeq returns the sequence number in an id the store made.
func idSeq(id string) (uint64, bool) {
	if len(id) != idLen {
		return 0, false
	}
	var b [24]byte
	if n, err := idEncoding.Decode(b[:], []byte(id)); err != nil || n != 24 || b[0]&0x80 == 0 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[:8]) &^ idTopBit, true
}

// A data ref names a file in data/: the hex epoch of the Open that made it, a
// dash, 24 random hex digits. The sweep at Open removes unreferenced files of
// earlier epochs only, so it never races a writer of this one.
const refLen = 8 + 1 + 24

func newRef(epoch uint32) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], rand.Uint64())
	binary.BigEndian.PutUint32(b[8:], rand.Uint32())
	return fmt.Sprintf("%08x-%s", epoch, hex.EncodeToString(b[:]))
}

// refEpoch parses a ref (it doubles as the check that a ref from a caller is
// one of ours, and so a safe file name).
func refEpoch(ref string) (uint32, bool) {
	if len(ref) != refLen || ref[8] != '-' {
		return 0, false
	}
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if i != 8 && !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, false
		}
	}
	e, err := strconv.ParseUint(ref[:8], 16, 32)
	if err != nil {
		return 0, false
	}
	return uint32(e), true
}

// bucketTx holds the bbolt buckets of one S3 bucket in a transaction; all but
// latest/ are opened on first use (a Get needs only latest/).
type bucketTx struct {
	root, latest   *bolt.Bucket
	vb, nb, ub, pb *bolt.Bucket
}

// openBucket returns the S3 bucket's bbolt buckets, or ErrNoSuchBucket.
func openBucket(tx *bolt.Tx, name string) (*bucketTx, error) {
	root := tx.Bucket(bucketName(name))
	if root == nil {
		return nil, fmt.Errorf("%w: %s", objstore.ErrNoSuchBucket, name)
	}
	latest := root.Bucket(latestName)
	if latest == nil {
		return nil, fmt.Errorf("objstore/disk: bucket %s: %w", name, errCorrupt)
	}
	return &bucketTx{root: root, latest: latest}, nil
}

func (b *bucketTx) sub(p **bolt.Bucket, name []byte) *bolt.Bucket {
	if *p == nil {
		// CreateBucket makes them all: a missing one is a corrupt file, on
		// whose nil bbolt panics (the writer goroutine recovers that).
		*p = b.root.Bucket(name)
	}
	return *p
}

func (b *bucketTx) versions() *bolt.Bucket { return b.sub(&b.vb, versionsName) }
func (b *bucketTx) nulls() *bolt.Bucket    { return b.sub(&b.nb, nullsName) }
func (b *bucketTx) uploads() *bolt.Bucket  { return b.sub(&b.ub, uploadsName) }
func (b *bucketTx) parts() *bolt.Bucket    { return b.sub(&b.pb, partsName) }
