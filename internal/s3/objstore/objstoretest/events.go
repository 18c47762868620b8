package objstoretest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var eventTests = []test{
	{"Changes", testEventChanges},
	{"Outbox", testOutbox},
	{"FailedWrite", testEventsFailedWrite},
	{"Seq", testSeq},
	{"ChangeSeq/NeverEnabled", changeSeqTest("")},
	{"ChangeSeq/Enabled", changeSeqTest(objstore.VersioningEnabled)},
	{"ChangeSeq/Suspended", changeSeqTest(objstore.VersioningSuspended)},
	{"Tags", testTagEvents},
}

// recorder is an Events that keeps the changes of its last call (a store may
// call it more than once for one write) and returns one record per change.
type recorder struct {
	mu   sync.Mutex
	last []objstore.Change
}

func (r *recorder) events(changes []objstore.Change) [][]byte {
	r.mu.Lock()
	r.last = slices.Clone(changes)
	r.mu.Unlock()
	var recs [][]byte
	for _, c := range changes {
		recs = append(recs, []byte(describe(c)))
	}
	return recs
}

// take returns the changes of the last call and forgets them.
func (r *recorder) take() []objstore.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.last
	r.last = nil
	return c
}

func describe(c objstore.Change) string {
	return fmt.Sprintf("%s %s %s %d", c.Kind, c.Object.Key, c.Object.VersionID, c.Object.Seq)
}

// describeAll describes changes sorted, so that a test need not know which
// order a write's changes come in (wantChanges checks the order by Seq).
func describeAll(cs []objstore.Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, describe(c))
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

// wantChanges fails unless got are the changes want (by kind and version) and
// their Seqs are as the contract says.
func wantChanges(t *testing.T, what string, got []objstore.Change, want ...objstore.Change) {
	t.Helper()
	if g, w := describeAll(got), describeAll(want); g != w {
		t.Fatalf("%s: changes\n%s\nwant\n%s", what, g, w)
	}
	wantChangeSeqs(t, what, got)
}

// wantChangeSeqs fails unless the changes of one write are in the order of
// their Seqs, distinct, and each Seq is right for its kind: a put's or a
// marker's is the version's own, a removal's or a tag update's is newer than
// the version's.
func wantChangeSeqs(t *testing.T, what string, cs []objstore.Change) {
	t.Helper()
	for i, c := range cs {
		if i > 0 && c.Seq <= cs[i-1].Seq {
			t.Fatalf("%s: change %d has Seq %d after %d", what, i, c.Seq, cs[i-1].Seq)
		}
		switch c.Kind {
		case objstore.ChangePut, objstore.ChangeDeleteMarker:
			if c.Seq != c.Object.Seq || c.Seq == 0 {
				t.Fatalf("%s: %s change Seq %d, version Seq %d: want equal", what, c.Kind, c.Seq, c.Object.Seq)
			}
		default:
			if c.Seq <= c.Object.Seq {
				t.Fatalf("%s: %s change Seq %d, not after the version's %d", what, c.Kind, c.Seq, c.Object.Seq)
			}
		}
	}
}

func testEventChanges(t *testing.T, h *harness) {
	var r recorder
	ev := r.events
	put := func(bucket, key, body string) objstore.Object {
		t.Helper()
		o, err := h.s.Put(h.ctx, bucket, h.object(key, []byte(body)), objstore.Condition{}, ev)
		must(t, "Put", err)
		return o
	}
	del := func(bucket, key, version string) objstore.Change {
		t.Helper()
		c, err := h.s.Delete(h.ctx, bucket, key, version, objstore.Condition{}, ev)
		must(t, "Delete", err)
		return c
	}
	pc := func(o objstore.Object) objstore.Change {
		return objstore.Change{Kind: objstore.ChangePut, Seq: o.Seq, Object: o}
	}
	dc := func(o objstore.Object) objstore.Change {
		return objstore.Change{Kind: objstore.ChangeDelete, Object: o}
	}

	// Never enabled: a put, then a put that replaces the null version.
	h.bucket("plain", "")
	o1 := put("plain", "k", "one")
	wantChanges(t, "first Put", r.take(), pc(o1))
	o2 := put("plain", "k", "two")
	cs := r.take()
	wantChanges(t, "replacing Put", cs, dc(o1), pc(o2))
	for _, c := range cs {
		if c.Kind == objstore.ChangePut && (c.Object.ETag != o2.ETag || c.Object.Seq != o2.Seq || c.Object.Size != 3) {
			t.Fatalf("put change = %+v, want the version as stored", c.Object)
		}
	}
	c := del("plain", "k", "")
	cs = r.take()
	wantChanges(t, "Delete", cs, dc(o2))
	if c.Kind != objstore.ChangeDelete || c.Seq != cs[0].Seq {
		t.Fatalf("Delete returned %+v, want %+v", c, cs[0])
	}
	del("plain", "k", "")
	if got := r.take(); len(got) != 0 {
		t.Fatalf("Delete of nothing made changes %s", describeAll(got))
	}

	// Enabled.
	h.bucket("v", objstore.VersioningEnabled)
	v1 := put("v", "k", "one")
	wantChanges(t, "versioned Put", r.take(), pc(v1))
	dm := del("v", "k", "")
	wantChanges(t, "versioned Delete", r.take(), dm)
	if dm.Kind != objstore.ChangeDeleteMarker || dm.Object.Seq <= v1.Seq {
		t.Fatalf("marker change = %+v", dm)
	}
	del("v", "k", v1.VersionID)
	v1.IsLatest = false
	wantChanges(t, "Delete of a version", r.take(), dc(v1))

	// Suspended: the null version goes and a null marker comes.
	h.setVersioning("v", objstore.VersioningSuspended)
	n := put("v", "k", "null")
	wantChanges(t, "suspended Put", r.take(), pc(n))
	sdm := del("v", "k", "")
	wantChanges(t, "suspended Delete", r.take(), dc(n), sdm)

	// CompleteUpload is a put.
	u := h.upload("v", "mp")
	h.part("v", "mp", u.ID, 1, "abc")
	o, err := h.s.CompleteUpload(h.ctx, "v", "mp", u.ID,
		objstore.Object{Key: "mp", Size: 3, ETag: "e-1", Parts: []objstore.Part{{Number: 1}}}, objstore.Condition{}, ev)
	must(t, "CompleteUpload", err)
	wantChanges(t, "CompleteUpload", r.take(), pc(o))
}

func testOutbox(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	if recs, err := h.s.Outbox(h.ctx, 10); err != nil || len(recs) != 0 {
		t.Fatalf("Outbox of a new store = %v, %v", recs, err)
	}
	// Drain a stale signal, if any.
	select {
	case <-h.s.Wake():
	default:
	}
	var want []string
	for i := range 5 {
		ev := func(cs []objstore.Change) [][]byte {
			return [][]byte{[]byte(fmt.Sprintf("rec %d a", i)), []byte(fmt.Sprintf("rec %d b", i))}
		}
		_, err := h.s.Put(h.ctx, "b", h.object(fmt.Sprint("k", i), []byte("x")), objstore.Condition{}, ev)
		must(t, "Put", err)
		want = append(want, fmt.Sprintf("rec %d a", i), fmt.Sprintf("rec %d b", i))
		if i == 0 {
			select {
			case <-h.s.Wake():
			case <-time.After(5 * time.Second):
				t.Fatal("Wake not signalled after a commit that added records")
			}
		}
	}
	// No records: nothing kept.
	_, err := h.s.Put(h.ctx, "b", h.object("quiet", []byte("x")), objstore.Condition{},
		func([]objstore.Change) [][]byte { return nil })
	must(t, "Put", err)

	recs, err := h.s.Outbox(h.ctx, 100)
	must(t, "Outbox", err)
	if got := payloads(recs); !slices.Equal(got, want) {
		t.Fatalf("Outbox = %q, want %q", got, want)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq <= recs[i-1].Seq {
			t.Fatalf("Outbox seqs not increasing: %d then %d", recs[i-1].Seq, recs[i].Seq)
		}
	}
	first, err := h.s.Outbox(h.ctx, 3)
	must(t, "Outbox", err)
	if got := payloads(first); !slices.Equal(got, want[:3]) {
		t.Fatalf("Outbox(3) = %q", got)
	}

	must(t, "Ack", h.s.Ack(h.ctx, recs[0].Seq, recs[2].Seq))
	must(t, "Ack again", h.s.Ack(h.ctx, recs[0].Seq))
	rest, err := h.s.Outbox(h.ctx, 100)
	must(t, "Outbox", err)
	wantRest := append([]string{want[1]}, want[3:]...)
	if got := payloads(rest); !slices.Equal(got, wantRest) {
		t.Fatalf("Outbox after Ack = %q, want %q", got, wantRest)
	}
	var all []uint64
	for _, r := range rest {
		all = append(all, r.Seq)
	}
	must(t, "Ack all", h.s.Ack(h.ctx, all...))
	if recs, _ := h.s.Outbox(h.ctx, 100); len(recs) != 0 {
		t.Fatalf("Outbox after acking all = %q", payloads(recs))
	}

	// Deletes and uploads keep records too.
	ev := func(cs []objstore.Change) [][]byte { return [][]byte{[]byte("del " + cs[0].Kind)} }
	_, err = h.s.Delete(h.ctx, "b", "k0", "", objstore.Condition{}, ev)
	must(t, "Delete", err)
	recs, _ = h.s.Outbox(h.ctx, 100)
	if got := payloads(recs); !slices.Equal(got, []string{"del " + objstore.ChangeDeleteMarker}) {
		t.Fatalf("Outbox after Delete = %q", got)
	}
}

func payloads(recs []objstore.Outboxed) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Payload))
	}
	return out
}

func testEventsFailedWrite(t *testing.T, h *harness) {
	h.bucket("b", "")
	h.put("b", "k", "one")
	ev := func([]objstore.Change) [][]byte { return [][]byte{[]byte("must not be kept")} }
	_, err := h.s.Put(h.ctx, "b", h.object("k", []byte("two")), objstore.Condition{IfNoneMatch: "*"}, ev)
	wantErr(t, "conditional Put", err, objstore.ErrPreconditionFailed)
	_, err = h.s.Put(h.ctx, "missing", h.object("k", []byte("two")), objstore.Condition{}, ev)
	wantErr(t, "Put to a missing bucket", err, objstore.ErrNoSuchBucket)
	if recs, _ := h.s.Outbox(h.ctx, 10); len(recs) != 0 {
		t.Fatalf("failed writes kept records %q", payloads(recs))
	}
}

func testSeq(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	h.bucket("other", "")
	var last uint64
	next := func(what string, seq uint64) {
		t.Helper()
		if seq <= last {
			t.Fatalf("%s: Seq %d after %d", what, seq, last)
		}
		last = seq
	}
	for i := range 3 {
		next("Put", h.put("b", "k", fmt.Sprint(i)).Seq)
		h.put("other", "k", "x") // another bucket's writes do not matter
		next("Put other key", h.put("b", fmt.Sprint("j", i), "x").Seq)
		next("Delete", h.del("b", "k", "").Object.Seq)
	}
	u := h.upload("b", "mp")
	h.part("b", "mp", u.ID, 1, "x")
	o, err := h.s.CompleteUpload(h.ctx, "b", "mp", u.ID, objstore.Object{Key: "mp", Parts: []objstore.Part{{Number: 1}}}, objstore.Condition{}, nil)
	must(t, "CompleteUpload", err)
	next("CompleteUpload", o.Seq)
	h.setVersioning("b", objstore.VersioningSuspended)
	next("suspended Put", h.put("b", "k", "x").Seq)
	next("suspended Delete", h.del("b", "k", "").Object.Seq)

	// Concurrent writers: every Seq distinct.
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				o, err := h.s.Put(h.ctx, "b", objstore.Object{Key: fmt.Sprint("c", g, "-", i)}, objstore.Condition{}, nil)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[o.Seq] || o.Seq <= last {
					t.Errorf("Seq %d repeated or not after %d", o.Seq, last)
				}
				seen[o.Seq] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// changeSeqTest: every change of a bucket, removals and tag updates included,
// has a Seq of its own, increasing in the order the writes were made, so a
// removal sorts after every write before it (a noncurrent version removed
// after newer ones were written sorts after them).
func changeSeqTest(versioning string) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		var r recorder
		h.bucket("b", versioning)
		var all []objstore.Change
		step := func(what string, err error) []objstore.Change {
			t.Helper()
			must(t, what, err)
			cs := r.take()
			if len(cs) == 0 {
				t.Fatalf("%s: no changes", what)
			}
			wantChangeSeqs(t, what, cs)
			if n := len(all); n > 0 && cs[0].Seq <= all[n-1].Seq {
				t.Fatalf("%s: Seq %d after %d (%s)", what, cs[0].Seq, all[n-1].Seq, describe(all[n-1]))
			}
			all = append(all, cs...)
			return cs
		}
		put := func(key, body string) objstore.Object {
			t.Helper()
			o, err := h.s.Put(h.ctx, "b", h.object(key, []byte(body)), objstore.Condition{}, r.events)
			cs := step("Put "+key, err)
			if last := cs[len(cs)-1]; last.Kind != objstore.ChangePut || last.Seq != o.Seq {
				t.Fatalf("Put %s: last change %+v, want the put of Seq %d", key, last, o.Seq)
			}
			return o
		}
		del := func(key, version string) objstore.Change {
			t.Helper()
			c, err := h.s.Delete(h.ctx, "b", key, version, objstore.Condition{}, r.events)
			cs := step("Delete "+key+" "+version, err)
			if c.Seq != cs[len(cs)-1].Seq || c.Kind != cs[len(cs)-1].Kind {
				t.Fatalf("Delete returned %+v, want its last change %+v", c, cs[len(cs)-1])
			}
			return c
		}

		o1 := put("k", "one")
		o2 := put("k", "two") // replaces o1 unless versioned: a removal first
		put("j", "other")
		_, err := h.s.UpdateTags(h.ctx, "b", "k", "", []objstore.Tag{{Key: "t", Value: "1"}}, r.events)
		step("UpdateTags", err)
		if versioning == objstore.VersioningEnabled {
			// The bug this guards against: a noncurrent version removed
			// after a newer write sorted before that write.
			rm := del("k", o1.VersionID)
			if rm.Kind != objstore.ChangeDelete || rm.Object.Seq != o1.Seq || rm.Seq <= o2.Seq {
				t.Fatalf("removal of o1 = %+v, want a Seq after o2's %d", rm, o2.Seq)
			}
		}
		dm := del("k", "")
		put("k", "three")
		if versioning != "" {
			del("k", dm.Object.VersionID) // a marker removed for good
		}
		u := h.upload("b", "mp")
		h.part("b", "mp", u.ID, 1, "x")
		_, err = h.s.CompleteUpload(h.ctx, "b", "mp", u.ID, objstore.Object{Key: "mp", Parts: []objstore.Part{{Number: 1}}}, objstore.Condition{}, r.events)
		step("CompleteUpload", err)
		del("mp", "")
		del("j", "")

		seen := map[uint64]bool{}
		for _, c := range all {
			if seen[c.Seq] {
				t.Fatalf("Seq %d given to two changes", c.Seq)
			}
			seen[c.Seq] = true
		}
	}
}

// testTagEvents: UpdateTags reports one ChangeTags, with the version as
// updated (its own Seq unchanged) and a Seq of its own; a failed one keeps no
// record.
func testTagEvents(t *testing.T, h *harness) {
	var r recorder
	h.bucket("b", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "one")
	v2 := h.put("b", "k", "two")
	tags := []objstore.Tag{{Key: "a", Value: "1"}}
	for _, tc := range []struct {
		version string
		want    objstore.Object
		tags    []objstore.Tag
	}{
		{"", v2, tags},
		{v1.VersionID, v1, tags},
		{"", v2, nil},
	} {
		got, err := h.s.UpdateTags(h.ctx, "b", "k", tc.version, tc.tags, r.events)
		must(t, "UpdateTags", err)
		cs := r.take()
		if len(cs) != 1 {
			t.Fatalf("UpdateTags %q: changes %s, want one", tc.version, describeAll(cs))
		}
		c := cs[0]
		if c.Kind != objstore.ChangeTags || c.Object.VersionID != tc.want.VersionID || c.Object.Seq != tc.want.Seq ||
			!slices.Equal(c.Object.Tags, tc.tags) || c.Object.ETag != tc.want.ETag || c.Object.Size != tc.want.Size {
			t.Fatalf("UpdateTags %q: change %+v", tc.version, c)
		}
		if got.Seq != tc.want.Seq {
			t.Fatalf("UpdateTags %q changed the version's Seq to %d", tc.version, got.Seq)
		}
		wantChangeSeqs(t, "UpdateTags", cs)
		if o := h.put("b", "later", "x"); o.Seq <= c.Seq {
			t.Fatalf("a put after UpdateTags has Seq %d, not after %d", o.Seq, c.Seq)
		}
	}
	recs, err := h.s.Outbox(h.ctx, 10)
	must(t, "Outbox", err)
	if len(recs) != 3 {
		t.Fatalf("Outbox after 3 tag updates = %q", payloads(recs))
	}
	h.ackAll()

	ev := func([]objstore.Change) [][]byte { return [][]byte{[]byte("must not be kept")} }
	_, err = h.s.UpdateTags(h.ctx, "b", "missing", "", tags, ev)
	wantErr(t, "UpdateTags of a missing key", err, objstore.ErrNoSuchKey)
	h.del("b", "k", "")
	_, err = h.s.UpdateTags(h.ctx, "b", "k", "", tags, ev)
	wantErr(t, "UpdateTags of a delete marker", err, objstore.ErrNoSuchKey)
	if recs, _ := h.s.Outbox(h.ctx, 10); len(recs) != 0 {
		t.Fatalf("failed tag updates kept records %q", payloads(recs))
	}
}
