package objstoretest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var listTests = []test{
	{"Delimiter", testListDelimiter},
	{"OddKeys", testListOddKeys},
	{"LongKeys", testListLongKeys},
	{"MaxKeys", testListMaxKeys},
	{"After", testListAfter},
	{"DeleteMarkers", testListDeleteMarkers},
	{"Paging", testListPaging},
	{"MetadataOnly", testListMetadataOnly},
}

var listVersionTests = []test{
	{"Order", testListVersionsOrder},
	{"Paging", testListVersionsPaging},
	{"AfterDeletedVersion", testListVersionsAfterDeleted},
}

func (h *harness) list(bucket string, q objstore.ListQuery) objstore.ListPage {
	h.t.Helper()
	p, err := h.s.List(h.ctx, bucket, q)
	if err != nil {
		h.t.Fatalf("List %+v: %v", q, err)
	}
	return p
}

// entry is one item of a listing as the tests compare them: a key (with its
// version, for ListVersions) or a common prefix.
type entry struct {
	name    string
	version string // "" for List and for common prefixes
	prefix  bool
}

func (e entry) String() string {
	switch {
	case e.prefix:
		return "[" + e.name + "]"
	case e.version != "":
		return e.name + "@" + e.version
	}
	return e.name
}

// entries merges a page's objects and common prefixes in key order. A common
// prefix never equals a key of the same page (that key would roll up into it).
func entries(p objstore.ListPage, versions bool) []entry {
	var out []entry
	cps := p.CommonPrefixes
	for _, o := range p.Objects {
		for len(cps) > 0 && cps[0] < o.Key {
			out = append(out, entry{name: cps[0], prefix: true})
			cps = cps[1:]
		}
		e := entry{name: o.Key}
		if versions {
			e.version = o.VersionID
		}
		out = append(out, e)
	}
	for _, cp := range cps {
		out = append(out, entry{name: cp, prefix: true})
	}
	return out
}

// rollUp returns the model of a listing: keys (sorted, each with its versions
// newest first, or none for List) under prefix, with delimiter applied.
func rollUp(keys []string, versions map[string][]string, prefix, delim string) []entry {
	var out []entry
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if len(out) == 0 || out[len(out)-1].name != cp {
					out = append(out, entry{name: cp, prefix: true})
				}
				continue
			}
		}
		if versions == nil {
			out = append(out, entry{name: k})
			continue
		}
		for _, v := range versions[k] {
			out = append(out, entry{name: k, version: v})
		}
	}
	return out
}

// walk lists every page of q (MaxKeys from q) and checks each page against the
// rules: no more than MaxKeys entries, Truncated until the last, NextKey (and
// NextVersion) the last entry. It returns all entries in order.
func (h *harness) walk(bucket string, q objstore.ListQuery, versions bool) []entry {
	h.t.Helper()
	var all []entry
	for pages := 0; ; pages++ {
		if pages > 10000 {
			h.t.Fatalf("%+v: listing does not end", q)
		}
		var p objstore.ListPage
		var err error
		if versions {
			p, err = h.s.ListVersions(h.ctx, bucket, q)
		} else {
			p, err = h.s.List(h.ctx, bucket, q)
		}
		if err != nil {
			h.t.Fatalf("list %+v: %v", q, err)
		}
		es := entries(p, versions)
		if len(es) > q.MaxKeys {
			h.t.Fatalf("%+v: page of %d entries", q, len(es))
		}
		for _, o := range p.Objects {
			if !versions && (o.DeleteMarker || !o.IsLatest) {
				h.t.Fatalf("List returned %+v", o)
			}
		}
		all = append(all, es...)
		if !p.Truncated {
			return all
		}
		if len(es) == 0 {
			h.t.Fatalf("%+v: truncated page without entries", q)
		}
		last := es[len(es)-1]
		if p.NextKey != last.name || (versions && p.NextVersion != last.version) {
			h.t.Fatalf("%+v: NextKey %q NextVersion %q, last entry %v", q, p.NextKey, p.NextVersion, last)
		}
		q.After, q.AfterVersion = p.NextKey, p.NextVersion
	}
}

func wantEntries(t *testing.T, what string, got, want []entry) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func e(name string) entry                { return entry{name: name} }
func cp(name string) entry               { return entry{name: name, prefix: true} }
func keysOf(p objstore.ListPage) []entry { return entries(p, false) }

func (h *harness) putKeys(bucket string, keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.put(bucket, k, k)
	}
}

func testListDelimiter(t *testing.T, h *harness) {
	h.bucket("b", "")
	h.putKeys("b", "photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photos/top.jpg",
		"photos/", "docs/x", "readme", "a//b", "a//c", "a/b//d")
	q := func(prefix, delim string) []entry {
		return keysOf(h.list("b", objstore.ListQuery{Prefix: prefix, Delimiter: delim, MaxKeys: 1000}))
	}
	wantEntries(t, "no delimiter, prefix photos/2024/", q("photos/2024/", ""), []entry{e("photos/2024/a.jpg"), e("photos/2024/b.jpg")})
	wantEntries(t, "delimiter /", q("", "/"), []entry{cp("a/"), cp("docs/"), cp("photos/"), e("readme")})
	// The key photos/ is itself under the prefix photos/ and lists as a key.
	wantEntries(t, "prefix photos/ delimiter /", q("photos/", "/"),
		[]entry{e("photos/"), cp("photos/2024/"), cp("photos/2025/"), e("photos/top.jpg")})
	// A delimiter of more than one character.
	wantEntries(t, "delimiter //", q("", "//"),
		[]entry{cp("a//"), cp("a/b//"), e("docs/x"), e("photos/"), e("photos/2024/a.jpg"), e("photos/2024/b.jpg"),
			e("photos/2025/c.jpg"), e("photos/top.jpg"), e("readme")})
	// The delimiter is looked for after the prefix only.
	wantEntries(t, "prefix a/ delimiter //", q("a/", "//"), []entry{e("a//b"), e("a//c"), cp("a/b//")})
	wantEntries(t, "delimiter .jpg", q("photos/", ".jpg"),
		[]entry{e("photos/"), cp("photos/2024/a.jpg"), cp("photos/2024/b.jpg"), cp("photos/2025/c.jpg"), cp("photos/top.jpg")})
	wantEntries(t, "prefix with no keys", q("zzz", "/"), nil)
	wantEntries(t, "prefix that is a whole key", q("readme", "/"), []entry{e("readme")})
}

func testListOddKeys(t *testing.T, h *harness) {
	h.bucket("b", "")
	keys := []string{"a/b", "a\u00ff", "a!", "a/", "a", "a b", " lead", "trail ", "日本/語", "日本語", "emoji😀/x", "~"}
	h.putKeys("b", keys...)
	slices.Sort(keys) // byte order, as S3 lists
	var want []entry
	for _, k := range keys {
		want = append(want, e(k))
	}
	wantEntries(t, "every key", keysOf(h.list("b", objstore.ListQuery{MaxKeys: 1000})), want)
	wantEntries(t, "a... with delimiter /", keysOf(h.list("b", objstore.ListQuery{Prefix: "a", Delimiter: "/", MaxKeys: 1000})),
		[]entry{e("a"), e("a b"), e("a!"), cp("a/"), e("a\u00ff")})
	wantEntries(t, "delimiter 本", keysOf(h.list("b", objstore.ListQuery{Prefix: "日", Delimiter: "本", MaxKeys: 1000})),
		[]entry{cp("日本")})
	for _, k := range keys {
		if got := h.body(h.get("b", k, "")); got != k {
			t.Fatalf("body of %q = %q", k, got)
		}
	}
}

func testListLongKeys(t *testing.T, h *harness) {
	h.bucket("b", "")
	long := func(c string) string { return "long/" + strings.Repeat(c, 1024-len("long/")) }
	keys := []string{long("b"), long("a"), long("é")[:1024-1] + "x"}
	for _, k := range keys {
		if len(k) != 1024 {
			t.Fatalf("key of %d bytes", len(k))
		}
	}
	h.putKeys("b", keys...)
	slices.Sort(keys)
	got := h.walk("b", objstore.ListQuery{Prefix: "long/", MaxKeys: 1}, false)
	wantEntries(t, "1,024-byte keys", got, []entry{e(keys[0]), e(keys[1]), e(keys[2])})
	for _, k := range keys {
		if o := h.get("b", k, ""); o.Key != k || h.body(o) != k {
			t.Fatalf("Get of a 1,024-byte key")
		}
	}
	wantEntries(t, "delimiter", keysOf(h.list("b", objstore.ListQuery{Delimiter: "/", MaxKeys: 10})), []entry{cp("long/")})
}

func testListMaxKeys(t *testing.T, h *harness) {
	h.bucket("empty", "")
	if p := h.list("empty", objstore.ListQuery{MaxKeys: 0}); p.Truncated || len(p.Objects) != 0 {
		t.Fatalf("MaxKeys 0 on an empty bucket = %+v", p)
	}
	h.bucket("b", "")
	h.putKeys("b", "a", "b", "c/1", "c/2", "d")
	all := []entry{e("a"), e("b"), cp("c/"), e("d")}
	for _, delim := range []string{"", "/"} {
		q := objstore.ListQuery{Delimiter: delim}
		// 0: none returned, but it says there are some.
		p := h.list("b", q)
		if !p.Truncated || len(p.Objects)+len(p.CommonPrefixes) != 0 {
			t.Fatalf("MaxKeys 0 = %+v, want no entries and Truncated", p)
		}
		if p := h.list("b", objstore.ListQuery{Prefix: "zzz", Delimiter: delim}); p.Truncated {
			t.Fatalf("MaxKeys 0 of an empty prefix is truncated")
		}
	}
	q := objstore.ListQuery{Delimiter: "/"}
	for n := 1; n <= len(all)+1; n++ {
		q.MaxKeys = n
		p := h.list("b", q)
		got := keysOf(p)
		want := all[:min(n, len(all))]
		wantEntries(t, fmt.Sprintf("MaxKeys %d", n), got, want)
		if p.Truncated != (n < len(all)) {
			t.Fatalf("MaxKeys %d: Truncated %v", n, p.Truncated)
		}
		if p.NextKey != want[len(want)-1].name {
			t.Fatalf("MaxKeys %d: NextKey %q", n, p.NextKey)
		}
	}
	// A page that ends exactly on a common prefix goes on after it.
	q.MaxKeys = 3
	p := h.list("b", q)
	q.After = p.NextKey
	wantEntries(t, "page after c/", keysOf(h.list("b", q)), []entry{e("d")})
}

func testListAfter(t *testing.T, h *harness) {
	h.bucket("b", "")
	h.putKeys("b", "a", "b/1", "b/2", "c", "d/x/1", "d/y")
	q := func(prefix, delim, after string) []entry {
		return keysOf(h.list("b", objstore.ListQuery{Prefix: prefix, Delimiter: delim, After: after, MaxKeys: 100}))
	}
	wantEntries(t, "after a key", q("", "", "b/1"), []entry{e("b/2"), e("c"), e("d/x/1"), e("d/y")})
	wantEntries(t, "after a key not there", q("", "", "b/15"), []entry{e("b/2"), e("c"), e("d/x/1"), e("d/y")})
	wantEntries(t, "after everything", q("", "", "z"), nil)
	wantEntries(t, "after before the prefix", q("d/", "", "a"), []entry{e("d/x/1"), e("d/y")})
	wantEntries(t, "after past the prefix", q("b/", "", "c"), nil)
	wantEntries(t, "after a common prefix", q("", "/", "b/"), []entry{e("c"), cp("d/")})
	wantEntries(t, "after inside a common prefix", q("", "/", "d/x/1"), nil)
	wantEntries(t, "after before a common prefix", q("", "/", "a"), []entry{cp("b/"), e("c"), cp("d/")})
}

func testListDeleteMarkers(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	h.putKeys("b", "a", "gone", "dir/live", "dir/dead", "dead/1", "dead/2", "z")
	for _, k := range []string{"gone", "dir/dead", "dead/1", "dead/2"} {
		h.del("b", k, "")
	}
	wantEntries(t, "List", h.walk("b", objstore.ListQuery{MaxKeys: 1}, false),
		[]entry{e("a"), e("dir/live"), e("z")})
	// A common prefix with only delete markers under it does not show.
	wantEntries(t, "List with delimiter", h.walk("b", objstore.ListQuery{Delimiter: "/", MaxKeys: 1}, false),
		[]entry{e("a"), cp("dir/"), e("z")})
	p := h.list("b", objstore.ListQuery{Prefix: "dead/"})
	if p.Truncated {
		t.Fatal("MaxKeys 0 under only delete markers says there are entries")
	}
	// ListVersions shows them all.
	vs, err := h.s.ListVersions(h.ctx, "b", objstore.ListQuery{MaxKeys: 100})
	must(t, "ListVersions", err)
	markers := 0
	for _, o := range vs.Objects {
		if o.DeleteMarker {
			markers++
		}
	}
	if len(vs.Objects) != 11 || markers != 4 {
		t.Fatalf("ListVersions: %d versions, %d markers", len(vs.Objects), markers)
	}
}

func testListMetadataOnly(t *testing.T, h *harness) {
	h.bucket("b", "")
	body := []byte("some body")
	o := h.object("k", body)
	o.Metadata = map[string]string{"color": "blue"}
	o.StorageClass = "STANDARD_IA"
	_, err := h.s.Put(h.ctx, "b", o, objstore.Condition{}, nil)
	must(t, "Put", err)
	p := h.list("b", objstore.ListQuery{MaxKeys: 10})
	if len(p.Objects) != 1 {
		t.Fatalf("List = %+v", p)
	}
	got := p.Objects[0]
	if got.Size != int64(len(body)) || got.ETag != etag(body) || got.StorageClass != "STANDARD_IA" ||
		got.LastModified.IsZero() || got.VersionID != objstore.NullVersion || !got.IsLatest {
		t.Fatalf("listed object = %+v", got)
	}
}

// oddKeys is the key set of the paging tests: byte orders that trip up
// naive code, delimiters inside and at the end of keys, long keys.
var oddKeys = []string{
	"a", "a!", "a/", "a/b", "a/b/c", "a//d", "a\u00ff", "a b", "b", "b/", "b//", "b/a", "b/a/", "ba",
	"c/d/e", "c/d/f", "c/e", "dir/", "dir/sub/", "dir/sub/x", "日本/語", "日本語", "x y/z w", "~",
	"l/" + strings.Repeat("q", 1022),
}

var (
	pagingPrefixes   = []string{"", "a", "a/", "b/", "c/d", "日本", "zzz", "l/"}
	pagingDelimiters = []string{"", "/", "//", "b", "/b", "本"}
	pagingMaxKeys    = []int{1, 2, 3, 7, 1000}
)

func testListPaging(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	h.putKeys("b", oddKeys...)
	// Keys whose latest is a delete marker are not listed.
	h.put("b", "a/dead", "x")
	h.del("b", "a/dead", "")
	h.put("b", "deadonly/x", "x")
	h.del("b", "deadonly/x", "")
	keys := slices.Sorted(slices.Values(oddKeys))
	for _, prefix := range pagingPrefixes {
		for _, delim := range pagingDelimiters {
			want := rollUp(keys, nil, prefix, delim)
			for _, n := range append(slices.Clone(pagingMaxKeys), len(want), max(len(want)-1, 1)) {
				q := objstore.ListQuery{Prefix: prefix, Delimiter: delim, MaxKeys: n}
				got := h.walk("b", q, false)
				wantEntries(t, fmt.Sprintf("prefix %q delimiter %q MaxKeys %d", prefix, delim, n), got, want)
			}
		}
	}
}

func testListVersionsOrder(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	b1 := h.put("b", "b", "1")
	a1 := h.put("b", "a", "1")
	b2 := h.put("b", "b", "2")
	adm := h.del("b", "a", "")
	c1 := h.put("b", "a/c", "1")
	p, err := h.s.ListVersions(h.ctx, "b", objstore.ListQuery{MaxKeys: 100})
	must(t, "ListVersions", err)
	got := ids(p.Objects)
	want := []string{"DM:" + adm.Object.VersionID + "*", a1.VersionID, c1.VersionID + "*", b2.VersionID + "*", b1.VersionID}
	if !slices.Equal(got, want) {
		t.Fatalf("ListVersions = %q, want %q", got, want)
	}
	var keys []string
	for _, o := range p.Objects {
		keys = append(keys, o.Key)
	}
	if !slices.Equal(keys, []string{"a", "a", "a/c", "b", "b"}) {
		t.Fatalf("keys = %q", keys)
	}
	if p.Objects[1].Size != 1 || p.Objects[1].ETag != etag([]byte("1")) {
		t.Fatalf("version metadata = %+v", p.Objects[1])
	}
	pd, err := h.s.ListVersions(h.ctx, "b", objstore.ListQuery{Delimiter: "/", MaxKeys: 100})
	must(t, "ListVersions", err)
	if !slices.Equal(pd.CommonPrefixes, []string{"a/"}) || len(pd.Objects) != 4 {
		t.Fatalf("ListVersions with delimiter = %q, %q", ids(pd.Objects), pd.CommonPrefixes)
	}
}

func testListVersionsPaging(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	keys := slices.Sorted(slices.Values(oddKeys))
	versions := map[string][]string{}
	for i, k := range oddKeys {
		for j := range i%3 + 1 {
			o := h.put("b", k, fmt.Sprint(j))
			versions[k] = append([]string{o.VersionID}, versions[k]...)
		}
		if i%4 == 0 {
			versions[k] = append([]string{h.del("b", k, "").Object.VersionID}, versions[k]...)
		}
	}
	// A null version among them.
	h.setVersioning("b", objstore.VersioningSuspended)
	h.put("b", "a", "null")
	versions["a"] = append([]string{objstore.NullVersion}, versions["a"]...)
	h.setVersioning("b", objstore.VersioningEnabled)
	o := h.put("b", "a", "after null")
	versions["a"] = append([]string{o.VersionID}, versions["a"]...)

	for _, prefix := range pagingPrefixes {
		for _, delim := range pagingDelimiters[:4] {
			want := rollUp(keys, versions, prefix, delim)
			for _, n := range pagingMaxKeys {
				q := objstore.ListQuery{Prefix: prefix, Delimiter: delim, MaxKeys: n}
				got := h.walk("b", q, true)
				wantEntries(t, fmt.Sprintf("prefix %q delimiter %q MaxKeys %d", prefix, delim, n), got, want)
			}
		}
	}
}

func testListVersionsAfterDeleted(t *testing.T, h *harness) {
	// A page ends on a version that is deleted before the next page: the
	// listing goes on from where it was.
	h.bucket("b", objstore.VersioningEnabled)
	v1 := h.put("b", "k", "1")
	v2 := h.put("b", "k", "2")
	v3 := h.put("b", "k", "3")
	n := h.put("b", "n", "1")
	p, err := h.s.ListVersions(h.ctx, "b", objstore.ListQuery{MaxKeys: 2})
	must(t, "ListVersions", err)
	if !p.Truncated || p.NextKey != "k" || p.NextVersion != v2.VersionID {
		t.Fatalf("first page = %q next %q %q", ids(p.Objects), p.NextKey, p.NextVersion)
	}
	h.del("b", "k", v2.VersionID)
	rest, err := h.s.ListVersions(h.ctx, "b", objstore.ListQuery{After: p.NextKey, AfterVersion: p.NextVersion, MaxKeys: 10})
	must(t, "ListVersions", err)
	if got, want := ids(rest.Objects), []string{v1.VersionID, n.VersionID + "*"}; !slices.Equal(got, want) {
		t.Fatalf("after a deleted version: %q, want %q", got, want)
	}
	// After the latest version: the older ones.
	rest, err = h.s.ListVersions(h.ctx, "b", objstore.ListQuery{After: "k", AfterVersion: v3.VersionID, MaxKeys: 10})
	must(t, "ListVersions", err)
	if got, want := ids(rest.Objects), []string{v1.VersionID, n.VersionID + "*"}; !slices.Equal(got, want) {
		t.Fatalf("after the latest: %q, want %q", got, want)
	}
	// AfterVersion "": after every version of the key.
	rest, err = h.s.ListVersions(h.ctx, "b", objstore.ListQuery{After: "k", MaxKeys: 10})
	must(t, "ListVersions", err)
	if got, want := ids(rest.Objects), []string{n.VersionID + "*"}; !slices.Equal(got, want) {
		t.Fatalf("after every version of k: %q, want %q", got, want)
	}
}
