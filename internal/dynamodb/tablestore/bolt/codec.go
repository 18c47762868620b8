package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// The item codec. An item is
//
//	uvarint n, then n times: uvarint len, name, value
//
// and a value is its kind byte followed by
//
//	S, N, B    uvarint len, bytes (N: its canonical decimal text)
//	BOOL       0 or 1
//	NULL       nothing
//	SS, NS, BS uvarint n, then n times uvarint len, bytes
//	L          uvarint n, then n values
//	M          uvarint n, then n times uvarint len, name, value
//
// Decoding is on GetItem's path, so it copies the record once into a string
// and makes every name, S, N and set member a substring of it: one allocation
// for all the text of an item, whatever its number of attributes. B values get
// their own copies, since a []byte cannot share a string's memory.

// maxDepth bounds the nesting decodeValue follows (DynamoDB allows 32 levels),
// so garbage cannot exhaust the stack.
const maxDepth = 64

var errCorrupt = errors.New("tablestore/bolt: corrupt record")

// appendItem appends it's encoding to dst.
func appendItem(dst []byte, it attr.Item) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(it)))
	for name, v := range it {
		dst = appendString(dst, name)
		dst = appendValue(dst, v)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendValue(dst []byte, v attr.Value) []byte {
	dst = append(dst, byte(v.Kind))
	switch v.Kind {
	case attr.S:
		dst = appendString(dst, v.Str)
	case attr.N:
		dst = appendString(dst, v.N)
	case attr.B:
		dst = binary.AppendUvarint(dst, uint64(len(v.Bin)))
		dst = append(dst, v.Bin...)
	case attr.BOOL:
		if v.Bool {
			dst = append(dst, 1)
		} else {
			dst = append(dst, 0)
		}
	case attr.NULL:
	case attr.SS, attr.NS, attr.BS:
		dst = binary.AppendUvarint(dst, uint64(len(v.Set)))
		for _, m := range v.Set {
			dst = appendString(dst, m)
		}
	case attr.L:
		dst = binary.AppendUvarint(dst, uint64(len(v.List)))
		for _, e := range v.List {
			dst = appendValue(dst, e)
		}
	case attr.M:
		dst = binary.AppendUvarint(dst, uint64(len(v.Map)))
		for name, e := range v.Map {
			dst = appendString(dst, name)
			dst = appendValue(dst, e)
		}
	}
	return dst
}

// decoder reads one record, a copy of which it holds as s.
type decoder struct {
	s   string
	off int
}

// decodeItem decodes a record made by appendItem. It copies b (bbolt's memory
// is valid only in its transaction), and never panics on garbage.
func decodeItem(b []byte) (attr.Item, error) {
	d := decoder{s: string(b)}
	it, err := d.item()
	if err != nil {
		return nil, err
	}
	if d.off != len(d.s) {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.s)-d.off)
	}
	return it, nil
}

func (d *decoder) uvarint() (uint64, error) {
	var n uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.s) {
			return 0, errCorrupt
		}
		c := d.s[d.off]
		d.off++
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, errCorrupt
			}
			return n | uint64(c)<<shift, nil
		}
		n |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, errCorrupt
}

// count reads a number of elements that each take at least one byte, so it
// is bounded by what is left (garbage cannot ask for a huge allocation).
func (d *decoder) count() (int, error) {
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(d.s)-d.off) {
		return 0, errCorrupt
	}
	return int(n), nil
}

func (d *decoder) str() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(d.s)-d.off) {
		return "", errCorrupt
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

func (d *decoder) item() (attr.Item, error) {
	n, err := d.count()
	if err != nil {
		return nil, err
	}
	it := make(attr.Item, n)
	for range n {
		name, err := d.str()
		if err != nil {
			return nil, err
		}
		v, err := d.value(0)
		if err != nil {
			return nil, err
		}
		it[name] = v
	}
	return it, nil
}

func (d *decoder) value(depth int) (attr.Value, error) {
	if depth > maxDepth {
		return attr.Value{}, errCorrupt
	}
	if d.off >= len(d.s) {
		return attr.Value{}, errCorrupt
	}
	k := attr.Kind(d.s[d.off])
	d.off++
	v := attr.Value{Kind: k}
	var err error
	switch k {
	case attr.S:
		v.Str, err = d.str()
	case attr.N:
		v.N, err = d.str()
	case attr.B:
		var s string
		s, err = d.str()
		v.Bin = []byte(s)
	case attr.BOOL:
		if d.off >= len(d.s) || d.s[d.off] > 1 {
			return v, errCorrupt
		}
		v.Bool = d.s[d.off] == 1
		d.off++
	case attr.NULL:
	case attr.SS, attr.NS, attr.BS:
		var n int
		if n, err = d.count(); err != nil {
			return v, err
		}
		v.Set = make([]string, n)
		for i := range v.Set {
			if v.Set[i], err = d.str(); err != nil {
				return v, err
			}
		}
	case attr.L:
		var n int
		if n, err = d.count(); err != nil {
			return v, err
		}
		v.List = make([]attr.Value, n)
		for i := range v.List {
			if v.List[i], err = d.value(depth + 1); err != nil {
				return v, err
			}
		}
	case attr.M:
		var n int
		if n, err = d.count(); err != nil {
			return v, err
		}
		v.Map = make(map[string]attr.Value, n)
		for range n {
			var name string
			if name, err = d.str(); err != nil {
				return v, err
			}
			var e attr.Value
			if e, err = d.value(depth + 1); err != nil {
				return v, err
			}
			v.Map[name] = e
		}
	default:
		return v, fmt.Errorf("%w: kind %d", errCorrupt, k)
	}
	return v, err
}

// The stream record codec:
//
//	be64 unix nanoseconds (first, so trimming reads the time alone)
//	event byte (0 INSERT, 1 MODIFY, 2 REMOVE)
//	flags byte: 1 identity, 2 old image, 4 new image
//	uvarint size
//	[identity: type, principal id as strings]
//	keys item, [old item], [new item]
//
// The record's Seq is its bbolt key.

var events = [...]string{"INSERT", "MODIFY", "REMOVE"}

const (
	flagIdentity = 1 << iota
	flagOld
	flagNew
)

func appendRecord(dst []byte, r *tablestore.StreamRecord) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Time.UnixNano()))
	ev := byte(0)
	for i, e := range events {
		if e == r.Event {
			ev = byte(i)
		}
	}
	var flags byte
	if r.Identity != nil {
		flags |= flagIdentity
	}
	if r.Old != nil {
		flags |= flagOld
	}
	if r.New != nil {
		flags |= flagNew
	}
	dst = append(dst, ev, flags)
	dst = binary.AppendUvarint(dst, uint64(r.Size))
	if r.Identity != nil {
		dst = appendString(dst, r.Identity.Type)
		dst = appendString(dst, r.Identity.PrincipalID)
	}
	dst = appendItem(dst, r.Keys)
	if r.Old != nil {
		dst = appendItem(dst, r.Old)
	}
	if r.New != nil {
		dst = appendItem(dst, r.New)
	}
	return dst
}

// recordTime returns the time of an encoded stream record.
func recordTime(b []byte) (int64, bool) {
	if len(b) < 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b)), true
}

func decodeRecord(seq uint64, b []byte) (tablestore.StreamRecord, error) {
	r := tablestore.StreamRecord{Seq: seq}
	if len(b) < 10 {
		return r, errCorrupt
	}
	ns, _ := recordTime(b)
	r.Time = timeOf(ns)
	if int(b[8]) >= len(events) {
		return r, errCorrupt
	}
	r.Event = events[b[8]]
	flags := b[9]
	d := decoder{s: string(b[10:])}
	size, err := d.uvarint()
	if err != nil || size > math.MaxInt64 {
		return r, errCorrupt
	}
	r.Size = int64(size)
	if flags&flagIdentity != 0 {
		var id tablestore.Identity
		if id.Type, err = d.str(); err != nil {
			return r, err
		}
		if id.PrincipalID, err = d.str(); err != nil {
			return r, err
		}
		r.Identity = &id
	}
	if r.Keys, err = d.item(); err != nil {
		return r, err
	}
	if flags&flagOld != 0 {
		if r.Old, err = d.item(); err != nil {
			return r, err
		}
	}
	if flags&flagNew != 0 {
		if r.New, err = d.item(); err != nil {
			return r, err
		}
	}
	if d.off != len(d.s) {
		return r, errCorrupt
	}
	return r, nil
}
