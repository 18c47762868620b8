package objstoretest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var multipartTests = []test{
	{"CreateUpload", testCreateUpload},
	{"PutPartReplace", testPutPartReplace},
	{"PartsPaging", testPartsPaging},
	{"CompleteSubset", testCompleteSubset},
	{"CompleteVersioned", testCompleteVersioned},
	{"CompleteTwice", testCompleteTwice},
	{"Abort", testAbortUpload},
	{"UploadsPaging", testUploadsPaging},
	{"UploadsDelimiter", testUploadsDelimiter},
}

func (h *harness) upload(bucket, key string) objstore.Upload {
	h.t.Helper()
	u, err := h.s.CreateUpload(h.ctx, bucket, objstore.Upload{Key: key, Initiated: time.Now()})
	if err != nil {
		h.t.Fatalf("CreateUpload %s: %v", key, err)
	}
	return u
}

func (h *harness) part(bucket, key, id string, n int, body string) objstore.Part {
	h.t.Helper()
	p := objstore.Part{Number: n, Size: int64(len(body)), ETag: etag([]byte(body)), LastModified: time.Now(), Data: h.data([]byte(body))}
	if err := h.s.PutPart(h.ctx, bucket, key, id, p); err != nil {
		h.t.Fatalf("PutPart %d: %v", n, err)
	}
	return p
}

func (h *harness) parts(bucket, key, id string, after, max int) ([]objstore.Part, bool) {
	h.t.Helper()
	ps, more, err := h.s.Parts(h.ctx, bucket, key, id, after, max)
	if err != nil {
		h.t.Fatalf("Parts: %v", err)
	}
	return ps, more
}

func partNumbers(ps []objstore.Part) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.Number)
	}
	return out
}

func testCreateUpload(t *testing.T, h *harness) {
	h.bucket("b", "")
	in := objstore.Upload{Key: "k", Initiated: time.Now(), Object: objstore.Object{
		ContentType: "image/png", Metadata: map[string]string{"a": "1"}, Tags: []objstore.Tag{{Key: "t", Value: "v"}},
		StorageClass: "GLACIER", ChecksumAlgorithm: "CRC32", ChecksumType: "COMPOSITE",
	}}
	u1, err := h.s.CreateUpload(h.ctx, "b", in)
	must(t, "CreateUpload", err)
	u2 := h.upload("b", "k")
	if u1.ID == "" || u1.ID == u2.ID || u1.Key != "k" {
		t.Fatalf("uploads %+v and %+v", u1, u2)
	}
	got, err := h.s.Upload(h.ctx, "b", "k", u1.ID)
	must(t, "Upload", err)
	if got.ID != u1.ID || got.Key != "k" || !got.Initiated.Equal(in.Initiated) || got.Object.ContentType != "image/png" ||
		got.Object.Metadata["a"] != "1" || len(got.Object.Tags) != 1 || got.Object.StorageClass != "GLACIER" ||
		got.Object.ChecksumAlgorithm != "CRC32" || got.Object.ChecksumType != "COMPOSITE" {
		t.Fatalf("Upload = %+v", got)
	}
	for _, c := range []struct{ key, id string }{{"other", u1.ID}, {"k", "no-such-upload"}, {"k", ""}} {
		_, err := h.s.Upload(h.ctx, "b", c.key, c.id)
		wantErr(t, "Upload "+c.key+" "+c.id, err, objstore.ErrNoSuchUpload)
	}
	err = h.s.PutPart(h.ctx, "b", "other", u1.ID, objstore.Part{Number: 1})
	wantErr(t, "PutPart to another key's upload", err, objstore.ErrNoSuchUpload)
	_, _, err = h.s.Parts(h.ctx, "b", "k", "no-such-upload", 0, 10)
	wantErr(t, "Parts of no upload", err, objstore.ErrNoSuchUpload)
}

func testPutPartReplace(t *testing.T, h *harness) {
	h.bucket("b", "")
	u := h.upload("b", "k")
	h.part("b", "k", u.ID, 2, "two")
	h.part("b", "k", u.ID, 1, "one")
	h.part("b", "k", u.ID, 2, "TWO!")
	ps, more := h.parts("b", "k", u.ID, 0, 10)
	if more || !slices.Equal(partNumbers(ps), []int{1, 2}) {
		t.Fatalf("Parts = %v, %v", partNumbers(ps), more)
	}
	if ps[1].ETag != etag([]byte("TWO!")) || ps[1].Size != 4 || h.body(objstore.Object{Data: ps[1].Data}) != "TWO!" {
		t.Fatalf("replaced part = %+v", ps[1])
	}
	if ps[0].LastModified.IsZero() {
		t.Fatal("part without LastModified")
	}
}

func testPartsPaging(t *testing.T, h *harness) {
	h.bucket("b", "")
	u := h.upload("b", "k")
	other := h.upload("b", "k")
	for _, n := range []int{1, 2, 3, 5, 8, 10000} {
		h.part("b", "k", u.ID, n, fmt.Sprint("p", n))
	}
	h.part("b", "k", other.ID, 4, "other upload")
	cases := []struct {
		after, max int
		want       []int
		more       bool
	}{
		{0, 1000, []int{1, 2, 3, 5, 8, 10000}, false},
		{0, 6, []int{1, 2, 3, 5, 8, 10000}, false},
		{0, 5, []int{1, 2, 3, 5, 8}, true},
		{0, 1, []int{1}, true},
		{1, 1, []int{2}, true},
		{3, 2, []int{5, 8}, true},
		{4, 2, []int{5, 8}, true},
		{8, 1, []int{10000}, false},
		{10000, 10, nil, false},
		{0, 0, nil, true},
	}
	for _, c := range cases {
		ps, more := h.parts("b", "k", u.ID, c.after, c.max)
		if !slices.Equal(partNumbers(ps), c.want) || more != c.more {
			t.Fatalf("Parts after %d max %d = %v %v, want %v %v", c.after, c.max, partNumbers(ps), more, c.want, c.more)
		}
	}
	// Walking pages sees every part once.
	var all []int
	for after, pages := 0, 0; ; pages++ {
		if pages > 100 {
			t.Fatal("Parts paging does not end")
		}
		ps, more := h.parts("b", "k", u.ID, after, 2)
		all = append(all, partNumbers(ps)...)
		if !more {
			break
		}
		after = ps[len(ps)-1].Number
	}
	if !slices.Equal(all, []int{1, 2, 3, 5, 8, 10000}) {
		t.Fatalf("walked parts %v", all)
	}
}

func testCompleteSubset(t *testing.T, h *harness) {
	h.bucket("b", "")
	u := h.upload("b", "k")
	big := strings.Repeat("B", 200<<10) // past any sensible inline threshold
	p1 := h.part("b", "k", u.ID, 1, "one-")
	h.part("b", "k", u.ID, 2, "two-")
	p3 := h.part("b", "k", u.ID, 3, big)
	h.part("b", "k", u.ID, 4, "four")
	o := objstore.Object{
		Key: "k", Size: p1.Size + p3.Size, ETag: "abc-2", ContentType: "text/plain",
		Parts: []objstore.Part{{Number: 1, ETag: p1.ETag, Size: p1.Size}, {Number: 3, ETag: p3.ETag, Size: p3.Size}},
	}
	got, err := h.s.CompleteUpload(h.ctx, "b", "k", u.ID, o, objstore.Condition{}, nil)
	must(t, "CompleteUpload", err)
	if got.VersionID != objstore.NullVersion || got.ETag != "abc-2" || got.Size != o.Size || len(got.Parts) != 2 || !got.IsLatest {
		t.Fatalf("CompleteUpload = %+v", got)
	}
	if h.body(got) != "one-"+big {
		t.Fatal("completed body is not parts 1 and 3")
	}
	stored := h.get("b", "k", "")
	if len(stored.Parts) != 2 || stored.Parts[0].Number != 1 || stored.Parts[1].Number != 3 ||
		stored.Parts[1].Size != int64(len(big)) || stored.ContentType != "text/plain" {
		t.Fatalf("stored object = %+v", stored)
	}
	if h.body(stored) != "one-"+big {
		t.Fatal("stored body is not parts 1 and 3")
	}
	// Parts read alone, from an offset.
	if got := string(h.read(stored.Parts[1].Data, int64(len(big))-3)); got != "BBB" {
		t.Fatalf("part 3 from offset = %q", got)
	}
	_, err = h.s.Upload(h.ctx, "b", "k", u.ID)
	wantErr(t, "Upload after complete", err, objstore.ErrNoSuchUpload)
	_, _, err = h.s.Parts(h.ctx, "b", "k", u.ID, 0, 10)
	wantErr(t, "Parts after complete", err, objstore.ErrNoSuchUpload)
	if p, _ := h.s.Uploads(h.ctx, "b", objstore.UploadQuery{MaxUploads: 10}); len(p.Uploads) != 0 {
		t.Fatalf("Uploads after complete = %+v", p.Uploads)
	}
	h.del("b", "k", "")
	_, err = h.s.Get(h.ctx, "b", "k", "")
	wantErr(t, "Get after Delete", err, objstore.ErrNoSuchKey)
}

func testCompleteVersioned(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "plain")
	u := h.upload("b", "k")
	h.part("b", "k", u.ID, 1, "mp")
	got, err := h.s.CompleteUpload(h.ctx, "b", "k", u.ID, objstore.Object{Key: "k", Size: 2, ETag: "x-1", Parts: []objstore.Part{{Number: 1}}}, objstore.Condition{}, nil)
	must(t, "CompleteUpload", err)
	h.wantVersions("b", "k", got.VersionID+"*", v1.VersionID)
	if h.body(h.get("b", "k", "")) != "mp" || h.body(h.get("b", "k", v1.VersionID)) != "plain" {
		t.Fatal("bodies after a versioned complete")
	}
}

func testCompleteTwice(t *testing.T, h *harness) {
	h.bucket("b", "")
	u := h.upload("b", "k")
	h.part("b", "k", u.ID, 1, "x")
	o := objstore.Object{Key: "k", Size: 1, ETag: "x-1", Parts: []objstore.Part{{Number: 1}}}
	_, err := h.s.CompleteUpload(h.ctx, "b", "k", u.ID, o, objstore.Condition{}, nil)
	must(t, "CompleteUpload", err)
	_, err = h.s.CompleteUpload(h.ctx, "b", "k", u.ID, o, objstore.Condition{}, nil)
	wantErr(t, "second CompleteUpload", err, objstore.ErrNoSuchUpload)
	wantErr(t, "AbortUpload after complete", h.s.AbortUpload(h.ctx, "b", "k", u.ID), objstore.ErrNoSuchUpload)
	if h.body(h.get("b", "k", "")) != "x" {
		t.Fatal("object lost")
	}
}

func testAbortUpload(t *testing.T, h *harness) {
	h.bucket("b", "")
	u := h.upload("b", "k")
	keep := h.upload("b", "k")
	h.part("b", "k", u.ID, 1, "x")
	h.part("b", "k", u.ID, 2, strings.Repeat("y", 200<<10))
	h.part("b", "k", keep.ID, 1, "kept")
	must(t, "AbortUpload", h.s.AbortUpload(h.ctx, "b", "k", u.ID))
	_, err := h.s.Upload(h.ctx, "b", "k", u.ID)
	wantErr(t, "Upload after abort", err, objstore.ErrNoSuchUpload)
	_, _, err = h.s.Parts(h.ctx, "b", "k", u.ID, 0, 10)
	wantErr(t, "Parts after abort", err, objstore.ErrNoSuchUpload)
	wantErr(t, "second AbortUpload", h.s.AbortUpload(h.ctx, "b", "k", u.ID), objstore.ErrNoSuchUpload)
	_, err = h.s.CompleteUpload(h.ctx, "b", "k", u.ID, objstore.Object{Key: "k"}, objstore.Condition{}, nil)
	wantErr(t, "CompleteUpload after abort", err, objstore.ErrNoSuchUpload)
	err = h.s.PutPart(h.ctx, "b", "k", u.ID, objstore.Part{Number: 3, Data: h.data([]byte("late"))})
	wantErr(t, "PutPart after abort", err, objstore.ErrNoSuchUpload)
	ps, _ := h.parts("b", "k", keep.ID, 0, 10)
	if len(ps) != 1 || h.body(objstore.Object{Data: ps[0].Data}) != "kept" {
		t.Fatal("abort touched another upload of the key")
	}
	if _, err := h.s.Get(h.ctx, "b", "k", ""); err == nil {
		t.Fatal("an aborted upload made an object")
	}
}

// uploadEntries returns a page's uploads and common prefixes in order, as
// key@id and [prefix].
func uploadEntries(p objstore.UploadPage) []string {
	var out []string
	cps := p.CommonPrefixes
	for _, u := range p.Uploads {
		for len(cps) > 0 && cps[0] < u.Key {
			out = append(out, "["+cps[0]+"]")
			cps = cps[1:]
		}
		out = append(out, u.Key+"@"+u.ID)
	}
	for _, cp := range cps {
		out = append(out, "["+cp+"]")
	}
	return out
}

// walkUploads lists every page of q and returns all entries in order.
func (h *harness) walkUploads(bucket string, q objstore.UploadQuery) []string {
	h.t.Helper()
	var all []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			h.t.Fatalf("%+v: listing does not end", q)
		}
		p, err := h.s.Uploads(h.ctx, bucket, q)
		if err != nil {
			h.t.Fatalf("Uploads %+v: %v", q, err)
		}
		es := uploadEntries(p)
		if len(es) > q.MaxUploads {
			h.t.Fatalf("%+v: page of %d", q, len(es))
		}
		all = append(all, es...)
		if !p.Truncated {
			return all
		}
		if len(es) == 0 {
			h.t.Fatalf("%+v: truncated empty page", q)
		}
		q.KeyMarker, q.UploadAfter = p.NextKey, p.NextUpload
	}
}

func testUploadsPaging(t *testing.T, h *harness) {
	h.bucket("b", "")
	// Created out of key order; a key's uploads list in creation order.
	var want []string
	byKey := map[string][]string{}
	for _, k := range []string{"m", "a", "m", "z", "a", "a", "a/b", "a!"} {
		u := h.upload("b", k)
		byKey[k] = append(byKey[k], u.ID)
	}
	for _, k := range []string{"a", "a!", "a/b", "m", "z"} {
		for _, id := range byKey[k] {
			want = append(want, k+"@"+id)
		}
	}
	for n := 1; n <= len(want)+1; n++ {
		got := h.walkUploads("b", objstore.UploadQuery{MaxUploads: n})
		if !slices.Equal(got, want) {
			t.Fatalf("MaxUploads %d:\n got %q\nwant %q", n, got, want)
		}
	}
	// KeyMarker alone: keys after it. With UploadAfter: that key's later uploads too.
	p, err := h.s.Uploads(h.ctx, "b", objstore.UploadQuery{KeyMarker: "a", MaxUploads: 100})
	must(t, "Uploads", err)
	if got := uploadEntries(p); !slices.Equal(got, want[3:]) {
		t.Fatalf("after key a: %q", got)
	}
	p, err = h.s.Uploads(h.ctx, "b", objstore.UploadQuery{KeyMarker: "a", UploadAfter: byKey["a"][0], MaxUploads: 100})
	must(t, "Uploads", err)
	if got := uploadEntries(p); !slices.Equal(got, want[1:]) {
		t.Fatalf("after a's first upload: %q", got)
	}
	p, err = h.s.Uploads(h.ctx, "b", objstore.UploadQuery{MaxUploads: 0})
	must(t, "Uploads", err)
	if len(p.Uploads) != 0 || !p.Truncated {
		t.Fatalf("MaxUploads 0 = %+v", p)
	}
}

func testUploadsDelimiter(t *testing.T, h *harness) {
	h.bucket("b", "")
	ids := map[string]string{}
	for _, k := range []string{"photos/1", "photos/2/x", "photos/2/y", "photos/3", "docs/a", "top", "photos/"} {
		ids[k] = h.upload("b", k).ID
	}
	up := func(k string) string { return k + "@" + ids[k] }
	cases := []struct {
		q    objstore.UploadQuery
		want []string
	}{
		{objstore.UploadQuery{Delimiter: "/"}, []string{"[docs/]", "[photos/]", up("top")}},
		{objstore.UploadQuery{Prefix: "photos/", Delimiter: "/"}, []string{up("photos/"), up("photos/1"), "[photos/2/]", up("photos/3")}},
		{objstore.UploadQuery{Prefix: "photos/2"}, []string{up("photos/2/x"), up("photos/2/y")}},
		{objstore.UploadQuery{Prefix: "nothing", Delimiter: "/"}, nil},
	}
	for _, c := range cases {
		for _, n := range []int{1, 2, 1000} {
			q := c.q
			q.MaxUploads = n
			if got := h.walkUploads("b", q); !slices.Equal(got, c.want) {
				t.Fatalf("%+v:\n got %q\nwant %q", q, got, c.want)
			}
		}
	}
}
