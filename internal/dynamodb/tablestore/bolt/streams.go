package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// streamRec is what the streams bucket keeps of a stream, as JSON. Its next
// Seq is apart (streamseq), since every record changes it.
type streamRec struct {
	Table    string
	Label    string
	ViewType string
	Enabled  bool
	Created  time.Time
	Key      tablestore.KeySchema
}

// defaultReadLimit is ReadStream's limit when it is given none (GetRecords'
// own maximum).
const defaultReadLimit = 1000

func getStreamRec(tx *bolt.Tx, id uint64) (streamRec, bool, error) {
	var sr streamRec
	raw := tx.Bucket(streamsBucket).Get(be64(id))
	if raw == nil {
		return sr, false, nil
	}
	if err := json.Unmarshal(raw, &sr); err != nil {
		return sr, false, fmt.Errorf("%w: stream: %v", errCorrupt, err)
	}
	return sr, true, nil
}

func (w *wtx) putStreamRec(id uint64, sr *streamRec) error {
	raw, err := json.Marshal(sr)
	if err != nil {
		return err
	}
	return w.put(w.tx.Bucket(streamsBucket), be64(id), raw)
}

// startStream starts the stream rec.Table.Stream asks for and makes it rec's
// current one. A Label the table's streams already have re-enables that
// stream; none makes one from now.
func (w *wtx) startStream(rec *tableRec) error {
	spec := &rec.Table.Stream
	if spec.Label == "" {
		spec.Label = w.now.Format(labelLayout)
	}
	var found uint64
	err := w.tx.Bucket(streamsBucket).ForEach(func(k, v []byte) error {
		var sr streamRec
		if err := json.Unmarshal(v, &sr); err != nil {
			return fmt.Errorf("%w: stream: %v", errCorrupt, err)
		}
		if sr.Table == rec.Table.Name && sr.Label == spec.Label {
			found = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	created := labelTime(spec.Label)
	if created.IsZero() {
		created = w.now
	}
	id := found
	if id == 0 {
		if id, err = w.nextID(); err != nil {
			return err
		}
		if _, err := w.createBucket(bucketName('r', id)); err != nil {
			return err
		}
		if err := w.put(w.tx.Bucket(streamSeqBucket), be64(id), be64(1)); err != nil {
			return err
		}
	}
	rec.Stream = id
	sr := streamRec{Table: rec.Table.Name, Label: spec.Label, ViewType: spec.ViewType, Enabled: true,
		Created: created, Key: rec.Table.Key}
	return w.putStreamRec(id, &sr)
}

// endStream disables stream id (and wakes its waiters).
func (w *wtx) endStream(id uint64) error {
	sr, ok, err := getStreamRec(w.tx, id)
	if err != nil || !ok {
		return err
	}
	sr.Enabled = false
	w.streamed = true
	return w.putStreamRec(id, &sr)
}

// updateStream carries out a change of rec.Table.Stream from old's.
func (w *wtx) updateStream(rec *tableRec, old *tablestore.Table) error {
	was, now := old.Stream, rec.Table.Stream
	switch {
	case was.Enabled && !now.Enabled:
		return w.endStream(rec.Stream)
	case !was.Enabled && now.Enabled:
		return w.startStream(rec)
	case was.Enabled && now.Enabled && now.Label != was.Label:
		if err := w.endStream(rec.Stream); err != nil {
			return err
		}
		return w.startStream(rec)
	case was.Enabled && now.Enabled && now.ViewType != was.ViewType:
		sr, ok, err := getStreamRec(w.tx, rec.Stream)
		if err != nil || !ok {
			return err
		}
		sr.ViewType = now.ViewType
		return w.putStreamRec(rec.Stream, &sr)
	}
	return nil
}

// appendStream appends the stream record of a stored change to its table's
// current stream.
func (w *wtx) appendStream(c *change) error {
	m := c.m
	id := m.rec.Stream
	seqs := w.tx.Bucket(streamSeqBucket)
	records := w.tx.Bucket(bucketName('r', id))
	if records == nil {
		return errCorrupt
	}
	seq := uint64(1)
	if v := seqs.Get(be64(id)); len(v) == 8 {
		seq = binary.BigEndian.Uint64(v)
	}
	r := tablestore.StreamRecord{Seq: seq, Time: w.now, Identity: c.op.Identity}
	src := c.new
	switch {
	case c.old == nil:
		r.Event = "INSERT"
	case c.new == nil:
		r.Event, src = "REMOVE", c.old
	default:
		r.Event = "MODIFY"
	}
	r.Keys = attr.Item{m.key.hash: src[m.key.hash]}
	if m.key.rng != "" {
		r.Keys[m.key.rng] = src[m.key.rng]
	}
	r.Size = attr.ItemSize(r.Keys)
	vt := m.rec.Table.Stream.ViewType
	if vt == "OLD_IMAGE" || vt == "NEW_AND_OLD_IMAGES" {
		r.Old = c.old
		r.Size += attr.ItemSize(c.old)
	}
	if vt == "NEW_IMAGE" || vt == "NEW_AND_OLD_IMAGES" {
		r.New = c.new
		r.Size += attr.ItemSize(c.new)
	}
	if err := w.put(records, be64(seq), appendRecord(nil, &r)); err != nil {
		return err
	}
	w.streamed = true
	return w.put(seqs, be64(id), be64(seq+1))
}

// info describes stream id as tx sees it.
func streamInfo(tx *bolt.Tx, id uint64, sr *streamRec) tablestore.StreamInfo {
	si := tablestore.StreamInfo{Table: sr.Table, Label: sr.Label, ViewType: sr.ViewType, Enabled: sr.Enabled,
		Created: sr.Created, Key: sr.Key, Next: 1}
	if v := tx.Bucket(streamSeqBucket).Get(be64(id)); len(v) == 8 {
		si.Next = binary.BigEndian.Uint64(v)
	}
	if b := tx.Bucket(bucketName('r', id)); b != nil {
		c := b.Cursor()
		if k, _ := c.First(); len(k) == 8 {
			si.First = binary.BigEndian.Uint64(k)
			k, _ = c.Last()
			si.Last = binary.BigEndian.Uint64(k)
		}
	}
	return si
}

type streamEntry struct {
	id   uint64
	info tablestore.StreamInfo
}

// streams lists the streams of table (every table's for ""), newest first.
func streams(tx *bolt.Tx, table string) ([]streamEntry, error) {
	var out []streamEntry
	err := tx.Bucket(streamsBucket).ForEach(func(k, v []byte) error {
		var sr streamRec
		if err := json.Unmarshal(v, &sr); err != nil {
			return fmt.Errorf("%w: stream: %v", errCorrupt, err)
		}
		if table != "" && sr.Table != table {
			return nil
		}
		id := binary.BigEndian.Uint64(k)
		out = append(out, streamEntry{id: id, info: streamInfo(tx, id, &sr)})
		return nil
	})
	slices.SortFunc(out, func(a, b streamEntry) int {
		if c := b.info.Created.Compare(a.info.Created); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	return out, err
}

func findStream(tx *bolt.Tx, table, label string) (streamEntry, error) {
	all, err := streams(tx, table)
	if err != nil {
		return streamEntry{}, err
	}
	for _, e := range all {
		if e.info.Label == label {
			return e, nil
		}
	}
	return streamEntry{}, fmt.Errorf("%w: %s/%s", tablestore.ErrStreamNotFound, table, label)
}

// Streams implements tablestore.Store.
func (s *Store) Streams(ctx context.Context, table string) ([]tablestore.StreamInfo, error) {
	var out []tablestore.StreamInfo
	err := s.read(ctx, func(tx *bolt.Tx) error {
		all, err := streams(tx, table)
		for _, e := range all {
			out = append(out, e.info)
		}
		return err
	})
	return out, err
}

// Stream implements tablestore.Store.
func (s *Store) Stream(ctx context.Context, table, label string) (tablestore.StreamInfo, error) {
	var si tablestore.StreamInfo
	err := s.read(ctx, func(tx *bolt.Tx) error {
		e, err := findStream(tx, table, label)
		si = e.info
		return err
	})
	return si, err
}

// ReadStream implements tablestore.Store. A limit of 0 or less reads up to
// 1,000 records.
func (s *Store) ReadStream(ctx context.Context, table, label string, from uint64, limit int) ([]tablestore.StreamRecord, error) {
	if limit <= 0 {
		limit = defaultReadLimit
	}
	var out []tablestore.StreamRecord
	err := s.read(ctx, func(tx *bolt.Tx) error {
		e, err := findStream(tx, table, label)
		if err != nil {
			return err
		}
		// Seqs have no gaps: every one below the oldest kept was trimmed.
		oldest := e.info.First
		if oldest == 0 {
			oldest = e.info.Next
		}
		if from != 0 && from < oldest {
			return fmt.Errorf("%w: %s/%s: %d is below %d", tablestore.ErrTrimmed, table, label, from, oldest)
		}
		b := tx.Bucket(bucketName('r', e.id))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(be64(from)); k != nil && len(out) < limit; k, v = c.Next() {
			r, err := decodeRecord(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// TrimStreams implements tablestore.Store, in transactions of at most Chunk
// deletions each.
func (s *Store) TrimStreams(ctx context.Context, cutoff time.Time) error {
	ns := cutoff.UnixNano()
	for {
		more := false
		err := s.update(ctx, false, func(w *wtx) error {
			more = false
			budget := s.opts.Chunk
			var gone []uint64
			err := w.tx.Bucket(streamsBucket).ForEach(func(k, v []byte) error {
				id := binary.BigEndian.Uint64(k)
				var sr streamRec
				if err := json.Unmarshal(v, &sr); err != nil {
					return fmt.Errorf("%w: stream: %v", errCorrupt, err)
				}
				b := w.tx.Bucket(bucketName('r', id))
				if b == nil {
					return errCorrupt
				}
				var old [][]byte
				c := b.Cursor()
				rk, rv := c.First()
				for ; rk != nil && budget > 0; rk, rv = c.Next() {
					if t, ok := recordTime(rv); ok && t >= ns {
						break
					}
					old = append(old, bytes.Clone(rk))
					budget--
				}
				if rk != nil && budget == 0 {
					more = true
				}
				for _, rk := range old {
					if err := w.del(b, rk); err != nil {
						return err
					}
				}
				if !sr.Enabled {
					if k, _ := b.Cursor().First(); k == nil {
						gone = append(gone, id)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, id := range gone {
				w.dirty = true
				if err := w.tx.DeleteBucket(bucketName('r', id)); err != nil {
					return err
				}
				if err := w.del(w.tx.Bucket(streamsBucket), be64(id)); err != nil {
					return err
				}
				if err := w.del(w.tx.Bucket(streamSeqBucket), be64(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || !more {
			return err
		}
	}
}

// WaitStream implements tablestore.Store. It also returns at once for a
// stream that is disabled (no record will come) and when the Store closes.
func (s *Store) WaitStream(ctx context.Context, table, label string, from uint64) error {
	for {
		// Taken before the look, so a commit between the look and the wait
		// still wakes it.
		wake := s.streamWake()
		si, err := s.Stream(ctx, table, label)
		if err != nil {
			return err
		}
		if !si.Enabled || si.Last != 0 && si.Last >= from {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
