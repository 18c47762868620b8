package objstoretest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var objectTests = []test{
	{"RoundTrip", testObjectRoundTrip},
	{"UpdateTags", testUpdateTags},
	{"ConcurrentKeys", testConcurrentKeys},
	{"ConcurrentVersions", testConcurrentVersions},
	{"ReadsDuringWrites", testReadsDuringWrites},
}

func testObjectRoundTrip(t *testing.T, h *harness) {
	h.bucket("b", "")
	body := []byte("hello, world")
	in := objstore.Object{
		Key: "dir/file.txt", Size: int64(len(body)), ETag: etag(body),
		ContentType: "text/plain; charset=utf-8", ContentEncoding: "gzip", ContentDisposition: `attachment; filename="f.txt"`,
		ContentLanguage: "en-GB", CacheControl: "max-age=60", Expires: "Wed, 21 Oct 2026 07:28:00 GMT",
		WebsiteRedirect: "/other", StorageClass: "REDUCED_REDUNDANCY",
		Metadata:          map[string]string{"owner": "me", "empty": "", "ünï": "cödé"},
		Tags:              []objstore.Tag{{Key: "z", Value: "1"}, {Key: "a", Value: ""}},
		ChecksumAlgorithm: "SHA256", Checksum: "c29tZSBzdW0=", ChecksumType: "FULL_OBJECT",
		Data: h.data(body),
		// Set by the store, whatever the caller says:
		VersionID: "caller-made", Seq: 99999, LastModified: time.Unix(1, 0), DeleteMarker: true,
	}
	before := time.Now().Add(-time.Minute)
	out, err := h.s.Put(h.ctx, "b", in, objstore.Condition{}, nil)
	must(t, "Put", err)
	if out.VersionID != objstore.NullVersion || out.DeleteMarker || out.LastModified.Before(before) || out.Seq == 99999 {
		t.Fatalf("Put kept what the store sets: %+v", out)
	}
	got := h.get("b", "dir/file.txt", "")
	want := in
	want.VersionID, want.Seq, want.LastModified, want.DeleteMarker, want.IsLatest = out.VersionID, out.Seq, got.LastModified, false, true
	if !got.LastModified.Equal(out.LastModified) {
		t.Fatalf("LastModified %v, Put said %v", got.LastModified, out.LastModified)
	}
	if d := diffObject(got, want); d != "" {
		t.Fatalf("Get differs from what was put: %s", d)
	}
	if h.body(got) != string(body) {
		t.Fatal("body differs")
	}
}

// diffObject names the first field where a and b differ ("" if none); Data is
// compared by size and content elsewhere.
func diffObject(a, b objstore.Object) string {
	fields := []struct {
		name string
		x, y any
	}{
		{"Key", a.Key, b.Key}, {"VersionID", a.VersionID, b.VersionID}, {"DeleteMarker", a.DeleteMarker, b.DeleteMarker},
		{"IsLatest", a.IsLatest, b.IsLatest}, {"Seq", a.Seq, b.Seq}, {"Size", a.Size, b.Size}, {"ETag", a.ETag, b.ETag},
		{"ContentType", a.ContentType, b.ContentType}, {"ContentEncoding", a.ContentEncoding, b.ContentEncoding},
		{"ContentDisposition", a.ContentDisposition, b.ContentDisposition}, {"ContentLanguage", a.ContentLanguage, b.ContentLanguage},
		{"CacheControl", a.CacheControl, b.CacheControl}, {"Expires", a.Expires, b.Expires},
		{"WebsiteRedirect", a.WebsiteRedirect, b.WebsiteRedirect}, {"StorageClass", a.StorageClass, b.StorageClass},
		{"ChecksumAlgorithm", a.ChecksumAlgorithm, b.ChecksumAlgorithm}, {"Checksum", a.Checksum, b.Checksum},
		{"ChecksumType", a.ChecksumType, b.ChecksumType}, {"Data.Size", a.Data.Size, b.Data.Size},
		{"len(Parts)", len(a.Parts), len(b.Parts)},
	}
	for _, f := range fields {
		if f.x != f.y {
			return fmt.Sprintf("%s: %v, want %v", f.name, f.x, f.y)
		}
	}
	if !a.LastModified.Equal(b.LastModified) {
		return fmt.Sprintf("LastModified: %v, want %v", a.LastModified, b.LastModified)
	}
	if !maps.Equal(a.Metadata, b.Metadata) {
		return fmt.Sprintf("Metadata: %v, want %v", a.Metadata, b.Metadata)
	}
	if !slices.Equal(a.Tags, b.Tags) {
		return fmt.Sprintf("Tags: %v, want %v", a.Tags, b.Tags)
	}
	return ""
}

func testUpdateTags(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "one")
	v2 := h.put("b", "k", "two")
	tags := []objstore.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}

	got, err := h.s.UpdateTags(h.ctx, "b", "k", "", tags, nil)
	must(t, "UpdateTags latest", err)
	if got.VersionID != v2.VersionID || got.Seq != v2.Seq || !slices.Equal(got.Tags, tags) {
		t.Fatalf("UpdateTags = %+v", got)
	}
	if g := h.get("b", "k", ""); !slices.Equal(g.Tags, tags) || g.Seq != v2.Seq || h.body(g) != "two" {
		t.Fatalf("latest after UpdateTags = %+v", g)
	}
	_, err = h.s.UpdateTags(h.ctx, "b", "k", v1.VersionID, tags[:1], nil)
	must(t, "UpdateTags of a version", err)
	if g := h.get("b", "k", v1.VersionID); !slices.Equal(g.Tags, tags[:1]) || g.IsLatest || h.body(g) != "one" {
		t.Fatalf("v1 after UpdateTags = %+v", g)
	}
	h.wantVersions("b", "k", v2.VersionID+"*", v1.VersionID) // in place: no new version

	_, err = h.s.UpdateTags(h.ctx, "b", "k", "", nil, nil)
	must(t, "UpdateTags to none", err)
	if g := h.get("b", "k", ""); len(g.Tags) != 0 {
		t.Fatalf("tags after clearing = %v", g.Tags)
	}

	_, err = h.s.UpdateTags(h.ctx, "b", "missing", "", tags, nil)
	wantErr(t, "UpdateTags of a missing key", err, objstore.ErrNoSuchKey)
	_, err = h.s.UpdateTags(h.ctx, "b", "k", "no-such-version", tags, nil)
	wantErr(t, "UpdateTags of a missing version", err, objstore.ErrNoSuchVersion)
	dm := h.del("b", "k", "")
	if _, err := h.s.UpdateTags(h.ctx, "b", "k", "", tags, nil); err == nil {
		t.Fatal("UpdateTags of a delete marker succeeded")
	}
	if _, err := h.s.UpdateTags(h.ctx, "b", "k", dm.Object.VersionID, tags, nil); err == nil {
		t.Fatal("UpdateTags of a named delete marker succeeded")
	}
}

func testConcurrentKeys(t *testing.T, h *harness) {
	h.bucket("b", "")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				key := fmt.Sprintf("w%d/k%03d", g, i)
				d, err := writeData(h.ctx, h.s, []byte(key))
				if err == nil {
					_, err = h.s.Put(h.ctx, "b", objstore.Object{Key: key, Size: int64(len(key)), Data: d}, objstore.Condition{}, nil)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := h.walk("b", objstore.ListQuery{MaxKeys: 37}, false)
	if len(got) != writers*each {
		t.Fatalf("listed %d keys, want %d", len(got), writers*each)
	}
	for _, e := range got {
		if h.body(h.get("b", e.name, "")) != e.name {
			t.Fatalf("body of %s", e.name)
		}
	}
}

func testConcurrentVersions(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := h.s.Put(h.ctx, "b", objstore.Object{Key: "k"}, objstore.Condition{}, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	vs := h.versions("b", "k")
	if len(vs) != writers*each {
		t.Fatalf("%d versions, want %d", len(vs), writers*each)
	}
	seen := map[string]bool{}
	for i, v := range vs {
		if seen[v.VersionID] {
			t.Fatalf("version id %s twice", v.VersionID)
		}
		seen[v.VersionID] = true
		if i > 0 && v.Seq >= vs[i-1].Seq {
			t.Fatalf("versions not newest first: Seq %d after %d", v.Seq, vs[i-1].Seq)
		}
		if v.IsLatest != (i == 0) {
			t.Fatalf("version %d IsLatest %v", i, v.IsLatest)
		}
	}
}

func testReadsDuringWrites(t *testing.T, h *harness) {
	// Readers see a whole version or none, never a mix, while writers go on.
	h.bucket("b", "")
	put := func(body string) {
		t.Helper()
		o := objstore.Object{Key: "k", ContentType: body, ETag: etag([]byte(body))}
		if _, err := h.s.Put(h.ctx, "b", o, objstore.Condition{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	put("first")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o, err := h.s.Get(h.ctx, "b", "k", "")
				if err != nil {
					t.Error(err)
					return
				}
				if o.ETag != etag([]byte(o.ContentType)) {
					t.Errorf("Get saw ETag %s with content type %s", o.ETag, o.ContentType)
					return
				}
				if _, err := h.s.List(h.ctx, "b", objstore.ListQuery{MaxKeys: 10}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range 50 {
		put(fmt.Sprint("v", i))
	}
	close(stop)
	wg.Wait()
}
