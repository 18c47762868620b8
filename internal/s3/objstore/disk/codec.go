package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// The records in latest/, versions/ and parts/ are a compact binary encoding:
// a format byte, then the fields in a fixed order, integers as varints, strings
// and byte strings as a uvarint length and the bytes. JSON was measured first
// (see BenchmarkCodec); this is several times faster and smaller, which matters
// because every Put decodes the latest record and encodes the new one inside the
// single-writer transaction.
//
// The key is not in the record: it is the bbolt key (or its prefix), and
// decoding takes it from there.

const recordFormat = 1

// recordFlags, the second byte of an object record.
const flagDeleteMarker = 1

var errCorrupt = errors.New("objstore/disk: corrupt record")

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes(p []byte)   { e.uvarint(uint64(len(p))); e.b = append(e.b, p...) }

// time keeps nanoseconds since the epoch; the zero time is 0.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.varint(0)
		return
	}
	e.varint(t.UnixNano())
}

func (e *encoder) data(d objstore.Data) {
	e.str(d.Ref)
	e.bytes(d.Inline)
	e.varint(d.Size)
}

func (e *encoder) part(p *objstore.Part) {
	e.uvarint(uint64(p.Number))
	e.varint(p.Size)
	e.str(p.ETag)
	e.str(p.Checksum)
	e.time(p.LastModified)
	e.data(p.Data)
}

// encodeObject returns the record of o (o.Key and o.IsLatest are not kept).
func encodeObject(o *objstore.Object) []byte {
	e := encoder{b: make([]byte, 0, objectSize(o))}
	var flags byte
	if o.DeleteMarker {
		flags |= flagDeleteMarker
	}
	e.b = append(e.b, recordFormat, flags)
	e.uvarint(o.Seq)
	e.time(o.LastModified)
	e.str(o.VersionID)
	e.varint(o.Size)
	e.str(o.ETag)
	for _, s := range [...]string{o.ContentType, o.ContentEncoding, o.ContentDisposition,
		o.ContentLanguage, o.CacheControl, o.Expires, o.WebsiteRedirect, o.StorageClass} {
		e.str(s)
	}
	e.uvarint(uint64(len(o.Metadata)))
	names := make([]string, 0, len(o.Metadata))
	for k := range o.Metadata {
		names = append(names, k)
	}
	slices.Sort(names) // the same object always encodes the same
	for _, k := range names {
		e.str(k)
		e.str(o.Metadata[k])
	}
	e.uvarint(uint64(len(o.Tags)))
	for _, t := range o.Tags {
		e.str(t.Key)
		e.str(t.Value)
	}
	e.str(o.ChecksumAlgorithm)
	e.str(o.Checksum)
	e.str(o.ChecksumType)
	e.uvarint(uint64(len(o.Parts)))
	for i := range o.Parts {
		e.part(&o.Parts[i])
	}
	e.data(o.Data)
	return e.b
}

// objectSize bounds the length of o's record, so encoding allocates once.
func objectSize(o *objstore.Object) int {
	const v = binary.MaxVarintLen64
	n := 2 + 3*v + 18*v + len(o.VersionID) + len(o.ETag) + len(o.ContentType) + len(o.ContentEncoding) +
		len(o.ContentDisposition) + len(o.ContentLanguage) + len(o.CacheControl) + len(o.Expires) +
		len(o.WebsiteRedirect) + len(o.StorageClass) + len(o.ChecksumAlgorithm) + len(o.Checksum) +
		len(o.ChecksumType) + len(o.Data.Ref) + len(o.Data.Inline)
	for k, val := range o.Metadata {
		n += 2*v + len(k) + len(val)
	}
	for _, t := range o.Tags {
		n += 2*v + len(t.Key) + len(t.Value)
	}
	for _, p := range o.Parts {
		n += 8*v + len(p.ETag) + len(p.Checksum) + len(p.Data.Ref) + len(p.Data.Inline)
	}
	return n
}

// encodePart returns the record of one upload part.
func encodePart(p *objstore.Part) []byte {
	e := encoder{b: make([]byte, 0, 48+len(p.ETag)+len(p.Checksum)+len(p.Data.Ref)+len(p.Data.Inline))}
	e.b = append(e.b, recordFormat)
	e.part(p)
	return e.b
}

// decoder reads a record; the first error sticks and later reads return zeros.
// Strings and byte slices are copied, so the result outlives the transaction.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a number of items each at least min bytes long, so a corrupt
// count cannot make the caller allocate more than the record could hold.
func (d *decoder) count(min int) int {
	v := d.uvarint()
	if v > uint64(len(d.b)/min) {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) raw() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string { return string(d.raw()) }

func (d *decoder) bytes() []byte {
	p := d.raw()
	if len(p) == 0 {
		return nil
	}
	return slices.Clone(p)
}

func (d *decoder) time() time.Time {
	n := d.varint()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// What decodeObject fills in.
type decodeMode int

const (
	decodeAll  decodeMode = iota // everything
	decodeRefs                   // all but inline bytes: enough to release the data
	decodeMeta                   // neither inline bytes nor parts: what a listing shows
)

func (d *decoder) data(inline bool) objstore.Data {
	var v objstore.Data
	v.Ref = d.str()
	if inline {
		v.Inline = d.bytes()
	} else {
		d.raw()
	}
	v.Size = d.varint()
	return v
}

func (d *decoder) part(p *objstore.Part, inline bool) {
	num := d.uvarint()
	if num > 1<<31-1 {
		d.fail()
	}
	p.Number = int(num)
	p.Size = d.varint()
	p.ETag = d.str()
	p.Checksum = d.str()
	p.LastModified = d.time()
	p.Data = d.data(inline)
}

// decodeObject decodes a record of key, as much of it as mode asks.
func decodeObject(key string, b []byte, mode decodeMode) (objstore.Object, error) {
	d := decoder{b: b}
	var o objstore.Object
	if d.byte() != recordFormat {
		return o, fmt.Errorf("%w: format", errCorrupt)
	}
	flags := d.byte()
	o.Key = key
	o.DeleteMarker = flags&flagDeleteMarker != 0
	o.Seq = d.uvarint()
	o.LastModified = d.time()
	o.VersionID = d.str()
	o.Size = d.varint()
	o.ETag = d.str()
	for _, s := range [...]*string{&o.ContentType, &o.ContentEncoding, &o.ContentDisposition,
		&o.ContentLanguage, &o.CacheControl, &o.Expires, &o.WebsiteRedirect, &o.StorageClass} {
		*s = d.str()
	}
	if n := d.count(2); n > 0 {
		o.Metadata = make(map[string]string, n)
		for range n {
			k := d.str()
			o.Metadata[k] = d.str()
		}
	}
	if n := d.count(2); n > 0 {
		o.Tags = make([]objstore.Tag, n)
		for i := range o.Tags {
			o.Tags[i] = objstore.Tag{Key: d.str(), Value: d.str()}
		}
	}
	o.ChecksumAlgorithm = d.str()
	o.Checksum = d.str()
	o.ChecksumType = d.str()
	if n := d.count(8); n > 0 {
		if mode != decodeMeta {
			o.Parts = make([]objstore.Part, n)
			for i := range o.Parts {
				d.part(&o.Parts[i], mode == decodeAll)
			}
		} else {
			var p objstore.Part
			for range n {
				d.part(&p, false)
			}
		}
	}
	o.Data = d.data(mode == decodeAll)
	if mode == decodeMeta {
		o.Data = objstore.Data{}
	}
	if d.err != nil {
		return objstore.Object{}, d.err
	}
	if len(d.b) != 0 {
		return objstore.Object{}, fmt.Errorf("%w: trailing bytes", errCorrupt)
	}
	return o, nil
}

// decodePart decodes an upload part record.
func decodePart(b []byte) (objstore.Part, error) {
	d := decoder{b: b}
	var p objstore.Part
	if d.byte() != recordFormat {
		return p, fmt.Errorf("%w: format", errCorrupt)
	}
	d.part(&p, true)
	if d.err != nil {
		return objstore.Part{}, d.err
	}
	if len(d.b) != 0 {
		return objstore.Part{}, fmt.Errorf("%w: trailing bytes", errCorrupt)
	}
	return p, nil
}

// isDeleteMarker reports whether an object record is a delete marker without
// decoding it.
func isDeleteMarker(rec []byte) bool {
	return len(rec) > 1 && rec[1]&flagDeleteMarker != 0
}

// segmentRefs returns the file-backed data refs o names, in o.Segments order.
func segmentRefs(o *objstore.Object) []string {
	var refs []string
	for _, d := range o.Segments() {
		if d.Ref != "" {
			refs = append(refs, d.Ref)
		}
	}
	return refs
}
