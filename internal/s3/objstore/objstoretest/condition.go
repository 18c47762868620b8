package objstoretest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var conditionTests = []test{
	{"IfNoneMatch", testIfNoneMatch},
	{"IfMatch", testIfMatch},
	{"ConcurrentIfNoneMatch", testConcurrentIfNoneMatch},
	{"CompleteUpload", testCompleteCondition},
	{"PutIfSeq", testPutIfSeq},
	{"DeleteIfSeq/NeverEnabled", deleteIfSeqTest("")},
	{"DeleteIfSeq/Enabled", deleteIfSeqTest(objstore.VersioningEnabled)},
	{"DeleteIfSeq/Suspended", deleteIfSeqTest(objstore.VersioningSuspended)},
	{"DeleteIfSeqNamedVersion", testDeleteIfSeqNamed},
	{"DeleteIfMatch/NeverEnabled", deleteIfMatchTest("")},
	{"DeleteIfMatch/Enabled", deleteIfMatchTest(objstore.VersioningEnabled)},
	{"ExpirationRace/NeverEnabled", expirationRaceTest("")},
	{"ExpirationRace/Enabled", expirationRaceTest(objstore.VersioningEnabled)},
	{"ExpirationRace/Suspended", expirationRaceTest(objstore.VersioningSuspended)},
}

func (h *harness) condPut(bucket, key, body string, c objstore.Condition) (objstore.Object, error) {
	h.t.Helper()
	return h.s.Put(h.ctx, bucket, h.object(key, []byte(body)), c, nil)
}

func testIfNoneMatch(t *testing.T, h *harness) {
	star := objstore.Condition{IfNoneMatch: "*"}
	h.bucket("b", objstore.VersioningEnabled)

	// No object: it holds.
	first, err := h.condPut("b", "k", "one", star)
	must(t, "Put If-None-Match * of a new key", err)

	// An object: it fails, and changes nothing.
	_, err = h.condPut("b", "k", "two", star)
	wantErr(t, "Put If-None-Match * over an object", err, objstore.ErrPreconditionFailed)
	h.wantVersions("b", "k", first.VersionID+"*")

	// A delete marker as the latest counts as none.
	dm := h.del("b", "k", "")
	second, err := h.condPut("b", "k", "three", star)
	must(t, "Put If-None-Match * over a delete marker", err)
	h.wantVersions("b", "k", second.VersionID+"*", "DM:"+dm.Object.VersionID, first.VersionID)
}

func testIfMatch(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	o := h.put("b", "k", "one")

	_, err := h.condPut("b", "k", "two", objstore.Condition{IfMatch: etag([]byte("nope"))})
	wantErr(t, "Put If-Match with a wrong ETag", err, objstore.ErrPreconditionFailed)
	h.wantVersions("b", "k", o.VersionID+"*")

	o2, err := h.condPut("b", "k", "two", objstore.Condition{IfMatch: o.ETag})
	must(t, "Put If-Match with the right ETag", err)
	if h.body(h.get("b", "k", "")) != "two" {
		t.Fatal("If-Match put did not land")
	}

	// No current object: precondition failed, and no such key.
	_, err = h.condPut("b", "missing", "x", objstore.Condition{IfMatch: o.ETag})
	wantErr(t, "Put If-Match of a missing key", err, objstore.ErrPreconditionFailed)
	wantErr(t, "Put If-Match of a missing key", err, objstore.ErrNoSuchKey)
	h.del("b", "k", "")
	_, err = h.condPut("b", "k", "x", objstore.Condition{IfMatch: o2.ETag})
	wantErr(t, "Put If-Match over a delete marker", err, objstore.ErrPreconditionFailed)
	wantErr(t, "Put If-Match over a delete marker", err, objstore.ErrNoSuchKey)
}

func testConcurrentIfNoneMatch(t *testing.T, h *harness) {
	h.bucket("b", "")
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := objstore.Object{Key: "k", Size: 1, ETag: fmt.Sprint(i)}
			d, err := writeData(h.ctx, h.s, []byte{byte(i)})
			if err != nil {
				errs[i] = err
				return
			}
			o.Data = d
			_, errs[i] = h.s.Put(h.ctx, "b", o, objstore.Condition{IfNoneMatch: "*"}, nil)
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("writers %d and %d both won", winner, i)
			}
			winner = i
		case errors.Is(err, objstore.ErrPreconditionFailed), errors.Is(err, objstore.ErrConflict):
		default:
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	if got := h.get("b", "k", ""); got.ETag != fmt.Sprint(winner) || h.body(got) != string([]byte{byte(winner)}) {
		t.Fatalf("object is %+v, want writer %d's", got, winner)
	}
}

func testCompleteCondition(t *testing.T, h *harness) {
	h.bucket("b", "")
	h.put("b", "k", "there")
	u := h.upload("b", "k")
	h.part("b", "k", u.ID, 1, "part")
	o := objstore.Object{Key: "k", Size: 4, ETag: "x-1", Parts: []objstore.Part{{Number: 1}}}
	_, err := h.s.CompleteUpload(h.ctx, "b", "k", u.ID, o, objstore.Condition{IfNoneMatch: "*"}, nil)
	wantErr(t, "CompleteUpload If-None-Match * over an object", err, objstore.ErrPreconditionFailed)
	if _, err := h.s.Upload(h.ctx, "b", "k", u.ID); err != nil {
		t.Fatalf("a failed conditional complete ended the upload: %v", err)
	}
	if h.body(h.get("b", "k", "")) != "there" {
		t.Fatal("a failed conditional complete changed the object")
	}
	cur := h.get("b", "k", "")
	got, err := h.s.CompleteUpload(h.ctx, "b", "k", u.ID, o, objstore.Condition{IfMatch: cur.ETag}, nil)
	must(t, "CompleteUpload If-Match", err)
	if h.body(got) != "part" {
		t.Fatalf("completed body = %q", h.body(got))
	}
}

func testPutIfSeq(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	o1 := h.put("b", "k", "one")
	o2 := h.put("b", "k", "two")

	_, err := h.condPut("b", "k", "three", objstore.Condition{IfSeq: o1.Seq})
	wantErr(t, "Put IfSeq of a version no longer the latest", err, objstore.ErrPreconditionFailed)
	h.wantVersions("b", "k", o2.VersionID+"*", o1.VersionID)
	o3, err := h.condPut("b", "k", "three", objstore.Condition{IfSeq: o2.Seq})
	must(t, "Put IfSeq of the latest", err)
	h.wantVersions("b", "k", o3.VersionID+"*", o2.VersionID, o1.VersionID)

	// A delete marker as the latest is a version like any other.
	dm := h.del("b", "k", "")
	_, err = h.condPut("b", "k", "four", objstore.Condition{IfSeq: o3.Seq})
	wantErr(t, "Put IfSeq of the version under a marker", err, objstore.ErrPreconditionFailed)
	_, err = h.condPut("b", "k", "four", objstore.Condition{IfSeq: dm.Object.Seq})
	must(t, "Put IfSeq of the marker", err)

	// No version at all: it never holds.
	_, err = h.condPut("b", "missing", "x", objstore.Condition{IfSeq: o1.Seq})
	wantErr(t, "Put IfSeq of a missing key", err, objstore.ErrPreconditionFailed)
	h.wantVersions("b", "missing")

	// CompleteUpload checks it too, and keeps the upload when it fails.
	cur := h.get("b", "k", "")
	u := h.upload("b", "k")
	h.part("b", "k", u.ID, 1, "part")
	mp := objstore.Object{Key: "k", Size: 4, ETag: "x-1", Parts: []objstore.Part{{Number: 1}}}
	_, err = h.s.CompleteUpload(h.ctx, "b", "k", u.ID, mp, objstore.Condition{IfSeq: o1.Seq}, nil)
	wantErr(t, "CompleteUpload with a stale IfSeq", err, objstore.ErrPreconditionFailed)
	if _, err := h.s.Upload(h.ctx, "b", "k", u.ID); err != nil {
		t.Fatalf("a failed conditional complete ended the upload: %v", err)
	}
	_, err = h.s.CompleteUpload(h.ctx, "b", "k", u.ID, mp, objstore.Condition{IfSeq: cur.Seq}, nil)
	must(t, "CompleteUpload with the latest's IfSeq", err)
}

// wantUnchanged fails unless key's versions are as before (ids and Seqs) and
// the outbox is empty.
func (h *harness) wantUnchanged(what, bucket, key string, before []objstore.Object) {
	h.t.Helper()
	after := h.versions(bucket, key)
	seqs := func(vs []objstore.Object) []uint64 {
		var out []uint64
		for _, v := range vs {
			out = append(out, v.Seq)
		}
		return out
	}
	if !slices.Equal(ids(after), ids(before)) || !slices.Equal(seqs(after), seqs(before)) {
		h.t.Fatalf("%s changed the versions: %q, were %q", what, ids(after), ids(before))
	}
	if recs, err := h.s.Outbox(h.ctx, 10); err != nil || len(recs) != 0 {
		h.t.Fatalf("%s kept records %q (%v)", what, payloads(recs), err)
	}
}

// condDel is Delete with a condition, and events that keep a record of every
// change (a failed write must keep none).
func (h *harness) condDel(bucket, key, versionID string, c objstore.Condition) (objstore.Change, error) {
	h.t.Helper()
	return h.s.Delete(h.ctx, bucket, key, versionID, c, func(cs []objstore.Change) [][]byte {
		var recs [][]byte
		for _, ch := range cs {
			recs = append(recs, []byte(describe(ch)))
		}
		return recs
	})
}

// ackAll empties the outbox.
func (h *harness) ackAll() {
	h.t.Helper()
	recs, err := h.s.Outbox(h.ctx, 1000)
	must(h.t, "Outbox", err)
	var seqs []uint64
	for _, r := range recs {
		seqs = append(seqs, r.Seq)
	}
	must(h.t, "Ack", h.s.Ack(h.ctx, seqs...))
}

// deleteIfSeqTest: a Delete of the latest with a stale IfSeq fails and changes
// nothing; with the latest's Seq it deletes as Delete does, in the versioning
// state given.
func deleteIfSeqTest(versioning string) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		h.bucket("b", versioning)
		o1 := h.put("b", "k", "one")
		o2 := h.put("b", "k", "two")
		before := h.versions("b", "k")

		_, err := h.condDel("b", "k", "", objstore.Condition{IfSeq: o1.Seq})
		wantErr(t, "Delete with a stale IfSeq", err, objstore.ErrPreconditionFailed)
		h.wantUnchanged("Delete with a stale IfSeq", "b", "k", before)
		_, err = h.condDel("b", "k", "", objstore.Condition{IfSeq: o2.Seq + 1000})
		wantErr(t, "Delete with an IfSeq no write made", err, objstore.ErrPreconditionFailed)
		h.wantUnchanged("Delete with an IfSeq no write made", "b", "k", before)

		c, err := h.condDel("b", "k", "", objstore.Condition{IfSeq: o2.Seq})
		must(t, "Delete with the latest's IfSeq", err)
		switch versioning {
		case "":
			if c.Kind != objstore.ChangeDelete || c.Object.Seq != o2.Seq {
				t.Fatalf("Delete = %+v, want o2 removed", c)
			}
			h.wantVersions("b", "k")
		case objstore.VersioningEnabled:
			if c.Kind != objstore.ChangeDeleteMarker {
				t.Fatalf("Delete = %+v, want a delete marker", c)
			}
			h.wantVersions("b", "k", "DM:"+c.Object.VersionID+"*", o2.VersionID, o1.VersionID)
		default:
			if c.Kind != objstore.ChangeDeleteMarker || c.Object.VersionID != objstore.NullVersion {
				t.Fatalf("Delete = %+v, want a null delete marker", c)
			}
			h.wantVersions("b", "k", "DM:null*")
		}
		h.ackAll()

		// Over a marker, or nothing: the marker's Seq holds, nothing else does.
		before = h.versions("b", "k")
		_, err = h.condDel("b", "k", "", objstore.Condition{IfSeq: o2.Seq})
		wantErr(t, "Delete with the Seq of what was deleted", err, objstore.ErrPreconditionFailed)
		h.wantUnchanged("Delete with the Seq of what was deleted", "b", "k", before)
		if versioning != "" {
			if _, err := h.condDel("b", "k", "", objstore.Condition{IfSeq: c.Object.Seq}); err != nil {
				t.Fatalf("Delete with the marker's IfSeq: %v", err)
			}
		}
		_, err = h.condDel("b", "missing", "", objstore.Condition{IfSeq: o1.Seq})
		wantErr(t, "Delete IfSeq of a missing key", err, objstore.ErrPreconditionFailed)
	}
}

// testDeleteIfSeqNamed: the condition of a Delete naming a version is on the
// key's latest version, not on the one named.
func testDeleteIfSeqNamed(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "one")
	v2 := h.put("b", "k", "two")
	before := h.versions("b", "k")
	_, err := h.condDel("b", "k", v1.VersionID, objstore.Condition{IfSeq: v1.Seq})
	wantErr(t, "Delete of a version with its own (not latest) Seq", err, objstore.ErrPreconditionFailed)
	h.wantUnchanged("Delete of a version with a stale IfSeq", "b", "k", before)
	c, err := h.condDel("b", "k", v1.VersionID, objstore.Condition{IfSeq: v2.Seq})
	must(t, "Delete of a version with the latest's IfSeq", err)
	if c.Kind != objstore.ChangeDelete || c.Object.VersionID != v1.VersionID {
		t.Fatalf("Delete = %+v, want v1 removed", c)
	}
	h.wantVersions("b", "k", v2.VersionID+"*")
	h.ackAll()

	// A suspended bucket's null version: a Delete naming "null", made from
	// what was read before a put replaced it, must not remove the new one.
	h.bucket("s", objstore.VersioningSuspended)
	n1 := h.put("s", "k", "one")
	n2 := h.put("s", "k", "two")
	before = h.versions("s", "k")
	_, err = h.condDel("s", "k", objstore.NullVersion, objstore.Condition{IfSeq: n1.Seq})
	wantErr(t, "Delete of a replaced null version", err, objstore.ErrPreconditionFailed)
	h.wantUnchanged("Delete of a replaced null version", "s", "k", before)
	if got := h.body(h.get("s", "k", objstore.NullVersion)); got != "two" || n2.VersionID != objstore.NullVersion {
		t.Fatalf("null version is %q", got)
	}
}

// deleteIfMatchTest: If-Match and If-None-Match hold for Delete as for Put,
// the error of a key with no current object matching ErrNoSuchKey too (S3's
// DeleteObject answers 404 NoSuchKey then).
func deleteIfMatchTest(versioning string) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		h.bucket("b", versioning)
		o := h.put("b", "k", "one")
		before := h.versions("b", "k")
		_, err := h.condDel("b", "k", "", objstore.Condition{IfMatch: etag([]byte("nope"))})
		wantErr(t, "Delete If-Match with a wrong ETag", err, objstore.ErrPreconditionFailed)
		if errors.Is(err, objstore.ErrNoSuchKey) {
			t.Fatalf("Delete If-Match with a wrong ETag of an object: %v, want no ErrNoSuchKey", err)
		}
		h.wantUnchanged("Delete If-Match with a wrong ETag", "b", "k", before)
		_, err = h.condDel("b", "k", "", objstore.Condition{IfNoneMatch: "*"})
		wantErr(t, "Delete If-None-Match * of an object", err, objstore.ErrPreconditionFailed)
		h.wantUnchanged("Delete If-None-Match * of an object", "b", "k", before)

		if _, err := h.condDel("b", "k", "", objstore.Condition{IfMatch: o.ETag}); err != nil {
			t.Fatalf("Delete If-Match with the right ETag: %v", err)
		}
		if _, err := h.s.Get(h.ctx, "b", "k", ""); versioning == "" && !errors.Is(err, objstore.ErrNoSuchKey) {
			t.Fatalf("Get after a conditional Delete: %v, want ErrNoSuchKey", err)
		}
		h.ackAll()

		// No current object (gone, or a delete marker): both errors.
		before = h.versions("b", "k")
		for _, im := range []string{o.ETag, "*"} {
			_, err = h.condDel("b", "k", "", objstore.Condition{IfMatch: im})
			wantErr(t, "Delete If-Match "+im+" with no current object", err, objstore.ErrPreconditionFailed)
			wantErr(t, "Delete If-Match "+im+" with no current object", err, objstore.ErrNoSuchKey)
			h.wantUnchanged("Delete If-Match with no current object", "b", "k", before)
		}
		o2 := h.put("b", "k", "two")
		if _, err := h.condDel("b", "k", "", objstore.Condition{IfMatch: "*"}); err != nil {
			t.Fatalf("Delete If-Match * of an object: %v", err)
		}
		if versioning != "" {
			// Of a named version too, the condition is on the latest.
			_, err = h.condDel("b", "k", o2.VersionID, objstore.Condition{IfMatch: o2.ETag})
			wantErr(t, "Delete of a version If-Match over a marker", err, objstore.ErrNoSuchKey)
			if got := h.get("b", "k", o2.VersionID); got.Seq != o2.Seq {
				t.Fatalf("version after a failed Delete = %+v", got)
			}
		}
	}
}

// expirationRaceTest: expirers read the latest version and delete it with
// IfSeq while a writer keeps writing; no acknowledged write is lost to a
// Delete that never saw it. In a versioned bucket every write stays, and every
// delete marker lies right over a version an expirer saw.
func expirationRaceTest(versioning string) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		h.bucket("b", versioning)
		const writes, expirers = 300, 3
		var (
			mu      sync.Mutex
			expired = map[uint64]bool{} // Seqs of the versions expirers deleted
			acked   []objstore.Object
			stale   int // expirations refused because the key was written since
		)
		errs := make(chan error, expirers+1)
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			for i := range writes {
				o, err := h.s.Put(h.ctx, "b", objstore.Object{Key: "k", ETag: fmt.Sprint(i)}, objstore.Condition{}, nil)
				if err != nil {
					errs <- fmt.Errorf("Put %d: %w", i, err)
					return
				}
				acked = append(acked, o)
			}
		}()
		for range expirers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					cur, err := h.s.Get(h.ctx, "b", "k", "")
					if errors.Is(err, objstore.ErrNoSuchKey) {
						continue
					}
					if err != nil {
						errs <- fmt.Errorf("Get: %w", err)
						return
					}
					if cur.DeleteMarker {
						continue
					}
					var changes []objstore.Change
					ev := func(cs []objstore.Change) [][]byte { changes = slices.Clone(cs); return nil }
					_, err = h.s.Delete(h.ctx, "b", "k", "", objstore.Condition{IfSeq: cur.Seq}, ev)
					if errors.Is(err, objstore.ErrPreconditionFailed) {
						mu.Lock()
						stale++
						mu.Unlock()
						continue
					}
					if err != nil {
						errs <- fmt.Errorf("Delete: %w", err)
						return
					}
					for _, c := range changes {
						if c.Kind == objstore.ChangeDelete && c.Object.Seq != cur.Seq {
							errs <- fmt.Errorf("Delete IfSeq %d removed Seq %d", cur.Seq, c.Object.Seq)
							return
						}
					}
					mu.Lock()
					expired[cur.Seq] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(acked) != writes {
			t.Fatalf("%d writes acknowledged, want %d", len(acked), writes)
		}
		t.Logf("%d writes, %d expired, %d expirations refused as stale", writes, len(expired), stale)

		last := acked[len(acked)-1]
		cur, err := h.s.Get(h.ctx, "b", "k", "")
		switch {
		case expired[last.Seq]:
			// The last write was seen and expired: what is left is no object.
			if err == nil && !cur.DeleteMarker {
				t.Fatalf("latest is %+v after the last write expired", cur)
			}
		case err != nil:
			t.Fatalf("the last acknowledged write (Seq %d) is lost: %v", last.Seq, err)
		case cur.Seq != last.Seq || cur.DeleteMarker:
			t.Fatalf("the last acknowledged write (Seq %d) is lost: latest is %+v", last.Seq, cur)
		}
		if versioning != objstore.VersioningEnabled {
			return
		}
		vs := h.versions("b", "k")
		held := map[uint64]bool{}
		for i, v := range vs {
			held[v.Seq] = true
			if v.DeleteMarker && (i+1 == len(vs) || vs[i+1].DeleteMarker || !expired[vs[i+1].Seq]) {
				t.Fatalf("delete marker %d of %d lies over a version no expirer saw", i, len(vs))
			}
		}
		for _, o := range acked {
			if !held[o.Seq] {
				t.Fatalf("acknowledged write Seq %d is gone from a versioned bucket", o.Seq)
			}
		}
	}
}
