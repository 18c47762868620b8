package objstoretest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var conditionTests = []test{
	{"IfNoneMatch", testIfNoneMatch},
	{"IfMatch", testIfMatch},
	{"ConcurrentIfNoneMatch", testConcurrentIfNoneMatch},
	{"CompleteUpload", testCompleteCondition},
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
