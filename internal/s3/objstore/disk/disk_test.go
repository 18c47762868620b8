package disk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
	"github.com/stratus-run/stratus/internal/s3/objstore/objstoretest"
)

func TestStore(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Store { return openTest(t, t.TempDir()) })
}

// TestStoreAllFiles runs the suite with every segment in a file, so the file
// paths get the suite's whole workout too.
func TestStoreAllFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	objstoretest.Run(t, func(t *testing.T) objstore.Store {
		return openTest(t, t.TempDir(), Options{InlineMax: -1})
	})
}

// openTest opens a store in dir and closes it when the test ends.
func openTest(t testing.TB, dir string, opts ...Options) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// files returns the names in dir/sub, sorted.
func files(t testing.TB, dir, sub string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func wantFiles(t testing.TB, dir string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := files(t, dir, dataSubdir); !slices.Equal(got, want) {
		t.Fatalf("data/ holds %q, want %q", got, want)
	}
	if tmp := files(t, dir, tmpSubdir); len(tmp) != 0 {
		t.Fatalf("tmp/ holds %q", tmp)
	}
}

func newData(t testing.TB, s objstore.Store, body []byte) objstore.Data {
	t.Helper()
	w, err := s.NewData(ctx)
	must(t, err)
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	d, err := w.Commit()
	must(t, err)
	return d
}

func putBody(t testing.TB, s objstore.Store, bucket, key string, body []byte) objstore.Object {
	t.Helper()
	o, err := s.Put(ctx, bucket, objstore.Object{Key: key, Size: int64(len(body)), Data: newData(t, s, body)}, objstore.Condition{}, nil)
	must(t, err)
	return o
}

func readAll(t testing.TB, s objstore.Store, o objstore.Object) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, d := range o.Segments() {
		r, err := s.OpenData(ctx, d, 0)
		must(t, err)
		_, err = io.Copy(&buf, r)
		r.Close()
		must(t, err)
	}
	return buf.Bytes()
}

func createBucket(t testing.TB, s objstore.Store, name, versioning string) {
	t.Helper()
	must(t, s.CreateBucket(ctx, objstore.Bucket{Name: name}))
	if versioning != "" {
		must(t, s.UpdateBucket(ctx, name, func(b *objstore.Bucket) error { b.Versioning = versioning; return nil }))
	}
}

const big = 100 << 10 // past the default inline threshold

func TestInlineOrFile(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	small := newData(t, s, bytes.Repeat([]byte("s"), 64<<10))
	if small.Ref != "" || len(small.Inline) != 64<<10 {
		t.Fatalf("64 KiB: Ref %q, %d inline bytes; want inline", small.Ref, len(small.Inline))
	}
	large := newData(t, s, bytes.Repeat([]byte("l"), 64<<10+1))
	if large.Ref == "" || large.Inline != nil || large.Size != 64<<10+1 {
		t.Fatalf("64 KiB + 1: %+v; want a file", large)
	}
	wantFiles(t, dir, large.Ref)
	if empty := newData(t, s, nil); empty.Ref != "" || empty.Size != 0 {
		t.Fatalf("empty data = %+v", empty)
	}
}

func TestDataFilesReleased(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	createBucket(t, s, "plain", "")
	createBucket(t, s, "ver", objstore.VersioningEnabled)
	body := bytes.Repeat([]byte("x"), big)

	// Replaced: the old version's file goes once the Put returns.
	o1 := putBody(t, s, "plain", "k", body)
	wantFiles(t, dir, o1.Data.Ref)
	o2 := putBody(t, s, "plain", "k", body)
	wantFiles(t, dir, o2.Data.Ref)
	// Deleted.
	if _, err := s.Delete(ctx, "plain", "k", "", objstore.Condition{}, nil); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, dir)

	// Versioned: a delete marker keeps the data; deleting the version frees it.
	v1 := putBody(t, s, "ver", "k", body)
	_, err := s.Delete(ctx, "ver", "k", "", objstore.Condition{}, nil)
	must(t, err)
	wantFiles(t, dir, v1.Data.Ref)
	_, err = s.Delete(ctx, "ver", "k", v1.VersionID, objstore.Condition{}, nil)
	must(t, err)
	wantFiles(t, dir)

	// Multipart: parts not named by the completed object go; so do all the
	// parts of an aborted upload.
	u, err := s.CreateUpload(ctx, "plain", objstore.Upload{Key: "mp"})
	must(t, err)
	var parts []objstore.Part
	for n := 1; n <= 3; n++ {
		p := objstore.Part{Number: n, Size: big, Data: newData(t, s, body)}
		must(t, s.PutPart(ctx, "plain", "mp", u.ID, p))
		parts = append(parts, p)
	}
	// Replacing a part frees the one replaced.
	p2 := objstore.Part{Number: 2, Size: big, Data: newData(t, s, body)}
	must(t, s.PutPart(ctx, "plain", "mp", u.ID, p2))
	wantFiles(t, dir, parts[0].Data.Ref, p2.Data.Ref, parts[2].Data.Ref)
	mp, err := s.CompleteUpload(ctx, "plain", "mp", u.ID,
		objstore.Object{Key: "mp", Parts: []objstore.Part{{Number: 1}, {Number: 3}}}, objstore.Condition{}, nil)
	must(t, err)
	wantFiles(t, dir, parts[0].Data.Ref, parts[2].Data.Ref)
	if got := readAll(t, s, mp); len(got) != 2*big {
		t.Fatalf("completed object reads %d bytes", len(got))
	}
	_, err = s.Delete(ctx, "plain", "mp", "", objstore.Condition{}, nil)
	must(t, err)
	wantFiles(t, dir)

	u, err = s.CreateUpload(ctx, "plain", objstore.Upload{Key: "mp"})
	must(t, err)
	must(t, s.PutPart(ctx, "plain", "mp", u.ID, objstore.Part{Number: 1, Data: newData(t, s, body)}))
	must(t, s.AbortUpload(ctx, "plain", "mp", u.ID))
	wantFiles(t, dir)

	// Shared by a copy: freed when the last one goes.
	src := putBody(t, s, "plain", "src", body)
	cp := src
	cp.Key = "copy"
	_, err = s.Put(ctx, "plain", cp, objstore.Condition{}, nil)
	must(t, err)
	_, err = s.Delete(ctx, "plain", "src", "", objstore.Condition{}, nil)
	must(t, err)
	wantFiles(t, dir, src.Data.Ref)
	_, err = s.Delete(ctx, "plain", "copy", "", objstore.Condition{}, nil)
	must(t, err)
	wantFiles(t, dir)
	// Naming released data is refused.
	_, err = s.Put(ctx, "plain", cp, objstore.Condition{}, nil)
	if !errors.Is(err, errDataGone) {
		t.Fatalf("Put of released data: %v", err)
	}

	// Aborted writers leave nothing.
	w, err := s.NewData(ctx)
	must(t, err)
	_, err = w.Write(body)
	must(t, err)
	w.Abort()
	wantFiles(t, dir)

	// Writes that fail release what they named.
	putBody(t, s, "plain", "k", []byte("small"))
	_, err = s.Put(ctx, "plain", objstore.Object{Key: "k", Data: newData(t, s, body)}, objstore.Condition{IfNoneMatch: "*"}, nil)
	if !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, "missing", objstore.Object{Key: "k", Data: newData(t, s, body)}, objstore.Condition{}, nil)
	if !errors.Is(err, objstore.ErrNoSuchBucket) {
		t.Fatal(err)
	}
	err = s.PutPart(ctx, "plain", "mp", u.ID, objstore.Part{Number: 1, Data: newData(t, s, body)})
	if !errors.Is(err, objstore.ErrNoSuchUpload) {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Put(cctx, "plain", objstore.Object{Key: "k", Data: newData(t, s, body)}, objstore.Condition{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	wantFiles(t, dir)
	s.freshMu.Lock()
	n := len(s.fresh)
	s.freshMu.Unlock()
	if n != 0 {
		t.Fatalf("%d fresh refs left", n)
	}
}

func TestReaderOutlivesRelease(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	createBucket(t, s, "b", "")
	body := bytes.Repeat([]byte("0123456789"), big)
	o := putBody(t, s, "b", "k", body)
	r, err := s.OpenData(ctx, o.Data, 5)
	must(t, err)
	defer r.Close()
	_, err = s.Delete(ctx, "b", "k", "", objstore.Condition{}, nil)
	must(t, err)
	wantFiles(t, dir)
	got, err := io.ReadAll(r)
	must(t, err)
	if !bytes.Equal(got, body[5:]) {
		t.Fatal("a reader lost its data when the version went")
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	must(t, err)
	must(t, s.CreateBucket(ctx, objstore.Bucket{Name: "b", Region: "eu-west-2",
		Config: map[string][]byte{objstore.ConfigPolicy: []byte("{}")}}))
	must(t, s.UpdateBucket(ctx, "b", func(b *objstore.Bucket) error { b.Versioning = objstore.VersioningEnabled; return nil }))
	small, large := []byte("small"), bytes.Repeat([]byte("L"), big)
	v1 := putBody(t, s, "b", "k", small)
	v2 := putBody(t, s, "b", "k", large)
	dm, err := s.Delete(ctx, "b", "gone", "", objstore.Condition{}, nil)
	must(t, err)
	u, err := s.CreateUpload(ctx, "b", objstore.Upload{Key: "mp", Object: objstore.Object{ContentType: "a/b"}})
	must(t, err)
	part := objstore.Part{Number: 7, ETag: "p7", Data: newData(t, s, large)}
	must(t, s.PutPart(ctx, "b", "mp", u.ID, part))
	ev := func([]objstore.Change) [][]byte { return [][]byte{[]byte("rec")} }
	last, err := s.Put(ctx, "b", objstore.Object{Key: "ev"}, objstore.Condition{}, ev)
	must(t, err)
	must(t, s.Close())

	s = openTest(t, dir)
	b, err := s.Bucket(ctx, "b")
	must(t, err)
	if b.Region != "eu-west-2" || b.Versioning != objstore.VersioningEnabled || string(b.Config[objstore.ConfigPolicy]) != "{}" {
		t.Fatalf("bucket after reopen = %+v", b)
	}
	if got := readAll(t, s, mustGet(t, s, "b", "k", "")); !bytes.Equal(got, large) {
		t.Fatal("latest version lost")
	}
	if got := readAll(t, s, mustGet(t, s, "b", "k", v1.VersionID)); !bytes.Equal(got, small) {
		t.Fatal("old version lost")
	}
	if got := mustGet(t, s, "b", "gone", ""); !got.DeleteMarker || got.VersionID != dm.Object.VersionID {
		t.Fatalf("delete marker after reopen = %+v", got)
	}
	if up, err := s.Upload(ctx, "b", "mp", u.ID); err != nil || up.Object.ContentType != "a/b" {
		t.Fatalf("upload after reopen = %+v, %v", up, err)
	}
	ps, _, err := s.Parts(ctx, "b", "mp", u.ID, 0, 10)
	must(t, err)
	if len(ps) != 1 || !bytes.Equal(readAll(t, s, objstore.Object{Data: ps[0].Data}), large) {
		t.Fatal("part lost")
	}
	recs, err := s.Outbox(ctx, 10)
	must(t, err)
	if len(recs) != 1 || string(recs[0].Payload) != "rec" {
		t.Fatalf("outbox after reopen = %v", recs)
	}
	<-s.Swept()
	if n, err := s.SweepResult(); n != 0 || err != nil {
		t.Fatalf("sweep of a clean store removed %d (%v)", n, err)
	}
	wantFiles(t, dir, v2.Data.Ref, part.Data.Ref)
	// The counters go on.
	if o := putBody(t, s, "b", "k", small); o.Seq <= last.Seq || o.VersionID <= v2.VersionID {
		t.Fatalf("after reopen Seq %d id %s; before %d %s", o.Seq, o.VersionID, last.Seq, v2.VersionID)
	}
}

func mustGet(t testing.TB, s objstore.Store, bucket, key, version string) objstore.Object {
	t.Helper()
	o, err := s.Get(ctx, bucket, key, version)
	must(t, err)
	return o
}

func TestVersionIDs(t *testing.T) {
	s := openTest(t, t.TempDir())
	createBucket(t, s, "b", objstore.VersioningEnabled)
	var prev objstore.Object
	for i := range 300 {
		o, err := s.Put(ctx, "b", objstore.Object{Key: fmt.Sprint("k", i%3)}, objstore.Condition{}, nil)
		must(t, err)
		if len(o.VersionID) != 32 || strings.Trim(o.VersionID, idAlphabet) != "" {
			t.Fatalf("version id %q: want 32 URL-safe characters", o.VersionID)
		}
		if i > 0 && (o.VersionID <= prev.VersionID) != (o.Seq <= prev.Seq) {
			t.Fatalf("ids %s then %s, Seq %d then %d: orders disagree", prev.VersionID, o.VersionID, prev.Seq, o.Seq)
		}
		if seq, ok := idSeq(o.VersionID); !ok || seq != o.Seq {
			t.Fatalf("id %s holds Seq %d, want %d", o.VersionID, seq, o.Seq)
		}
		prev = o
	}
	u1, err := s.CreateUpload(ctx, "b", objstore.Upload{Key: "k"})
	must(t, err)
	u2, err := s.CreateUpload(ctx, "b", objstore.Upload{Key: "k"})
	must(t, err)
	if len(u1.ID) != 32 || u1.ID >= u2.ID {
		t.Fatalf("upload ids %s, %s", u1.ID, u2.ID)
	}
}

func TestBadKeys(t *testing.T) {
	s := openTest(t, t.TempDir())
	createBucket(t, s, "b", "")
	for _, key := range []string{"", "a\x00b", "\x00"} {
		_, err := s.Put(ctx, "b", objstore.Object{Key: key}, objstore.Condition{}, nil)
		if !errors.Is(err, errBadKey) {
			t.Fatalf("Put %q: %v", key, err)
		}
		_, err = s.CreateUpload(ctx, "b", objstore.Upload{Key: key})
		if !errors.Is(err, errBadKey) {
			t.Fatalf("CreateUpload %q: %v", key, err)
		}
		if _, err := s.Get(ctx, "b", key, ""); !errors.Is(err, objstore.ErrNoSuchKey) {
			t.Fatalf("Get %q: %v", key, err)
		}
		if c, err := s.Delete(ctx, "b", key, "", objstore.Condition{}, nil); err != nil || c.Kind != "" {
			t.Fatalf("Delete %q: %+v %v", key, c, err)
		}
	}
	// A key that is a prefix of another, and one with the byte after NUL.
	putBody(t, s, "b", "a", []byte("1"))
	putBody(t, s, "b", "a\x01", []byte("2"))
	p, err := s.List(ctx, "b", objstore.ListQuery{MaxKeys: 10})
	must(t, err)
	if len(p.Objects) != 2 || p.Objects[0].Key != "a" || p.Objects[1].Key != "a\x01" {
		t.Fatalf("List = %+v", p.Objects)
	}
}

func TestVersioningStates(t *testing.T) {
	s := openTest(t, t.TempDir())
	createBucket(t, s, "b", objstore.VersioningEnabled)
	set := func(v string) error {
		return s.UpdateBucket(ctx, "b", func(b *objstore.Bucket) error { b.Versioning = v; return nil })
	}
	if err := set(""); err == nil {
		t.Fatal("versioning went back to never enabled")
	}
	if err := set("enabled"); err == nil {
		t.Fatal("an unknown versioning state was taken")
	}
	must(t, set(objstore.VersioningSuspended))
	must(t, set(objstore.VersioningEnabled))
	if err := s.CreateBucket(ctx, objstore.Bucket{Name: "c", Versioning: "On"}); err == nil {
		t.Fatal("CreateBucket took an unknown versioning state")
	}
}

func TestSeqAcrossBuckets(t *testing.T) {
	// One counter for the store: a bucket deleted and made again goes on
	// where the old one was, so event sequencers of a key never go back.
	s := openTest(t, t.TempDir())
	createBucket(t, s, "b", "")
	o := putBody(t, s, "b", "k", nil)
	_, err := s.Delete(ctx, "b", "k", "", objstore.Condition{}, nil)
	must(t, err)
	must(t, s.DeleteBucket(ctx, "b"))
	createBucket(t, s, "b", "")
	if n := putBody(t, s, "b", "k", nil); n.Seq <= o.Seq {
		t.Fatalf("Seq %d after recreate, was %d", n.Seq, o.Seq)
	}
}

func TestClosed(t *testing.T) {
	s, err := Open(t.TempDir())
	must(t, err)
	createBucket(t, s, "b", "")
	must(t, s.Close())
	must(t, s.Close())
	if _, err := s.Put(ctx, "b", objstore.Object{Key: "k"}, objstore.Condition{}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
	if _, err := s.Get(ctx, "b", "k", ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if _, err := s.NewData(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewData after Close: %v", err)
	}
}

func TestOpenTwice(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir)
	start := time.Now()
	if s, err := Open(dir, Options{OpenTimeout: 100 * time.Millisecond}); err == nil {
		s.Close()
		t.Fatal("a second Open of the same directory succeeded")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Open did not give up")
	}
	if _, err := Open(dir, Options{}, Options{}); err == nil {
		t.Fatal("Open took two Options")
	}
}
