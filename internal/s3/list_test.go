package s3_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// putKeys puts an empty object at each key, a few at a time.
func putKeys(t testing.TB, cl *s3.Client, bucket string, keys []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	sem := make(chan struct{}, 16)
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := cl.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("")})
			if err != nil {
				errs <- fmt.Errorf("put %q: %w", k, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func keysOf(objs []types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

func prefixesOf(cps []types.CommonPrefix) []string {
	var out []string
	for _, p := range cps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func TestListObjectsV2(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t)
	bucket := newBucket(t, cl, false)
	putKeys(t, cl, bucket, []string{"a", "b/1", "b/2", "c/x/1", "c/y", "d"})
	list := func(in *s3.ListObjectsV2Input) *s3.ListObjectsV2Output {
		t.Helper()
		in.Bucket = aws.String(bucket)
		out, err := cl.ListObjectsV2(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := list(&s3.ListObjectsV2Input{})
	if got := keysOf(out.Contents); strings.Join(got, ",") != "a,b/1,b/2,c/x/1,c/y,d" || aws.ToInt32(out.KeyCount) != 6 || aws.ToBool(out.IsTruncated) {
		t.Errorf("all = %v, KeyCount %d", got, aws.ToInt32(out.KeyCount))
	}
	o := out.Contents[0]
	if aws.ToInt32(out.MaxKeys) != 1000 || aws.ToString(o.ETag) != `"d41d8cd98f00b204e9800998ecf8427e"` || o.StorageClass != "STANDARD" ||
		o.LastModified == nil || o.Owner != nil || aws.ToInt64(o.Size) != 0 {
		t.Errorf("entry = %+v, MaxKeys %d", o, aws.ToInt32(out.MaxKeys))
	}
	if len(o.ChecksumAlgorithm) != 1 || o.ChecksumAlgorithm[0] != types.ChecksumAlgorithmCrc64nvme || o.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("checksum = %v %v", o.ChecksumAlgorithm, o.ChecksumType)
	}
	out = list(&s3.ListObjectsV2Input{Delimiter: aws.String("/")})
	if k, p := keysOf(out.Contents), prefixesOf(out.CommonPrefixes); strings.Join(k, ",") != "a,d" || strings.Join(p, ",") != "b/,c/" || aws.ToInt32(out.KeyCount) != 4 {
		t.Errorf("delimited = %v %v, KeyCount %d", k, p, aws.ToInt32(out.KeyCount))
	}
	out = list(&s3.ListObjectsV2Input{Prefix: aws.String("c/"), Delimiter: aws.String("/")})
	if k, p := keysOf(out.Contents), prefixesOf(out.CommonPrefixes); strings.Join(k, ",") != "c/y" || strings.Join(p, ",") != "c/x/" || aws.ToString(out.Prefix) != "c/" {
		t.Errorf("prefix c/ = %v %v", k, p)
	}
	out = list(&s3.ListObjectsV2Input{StartAfter: aws.String("b/2"), FetchOwner: aws.Bool(true)})
	if k := keysOf(out.Contents); strings.Join(k, ",") != "c/x/1,c/y,d" || out.Contents[0].Owner == nil || aws.ToString(out.StartAfter) != "b/2" {
		t.Errorf("start-after = %v, owner %v", k, out.Contents[0].Owner)
	}
	// Paging by two, with a delimiter: the common prefixes count as entries.
	var pages [][]string
	in := &s3.ListObjectsV2Input{Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)}
	for {
		out := list(in)
		page := append(keysOf(out.Contents), prefixesOf(out.CommonPrefixes)...)
		sort.Strings(page)
		pages = append(pages, page)
		if !aws.ToBool(out.IsTruncated) {
			if out.NextContinuationToken != nil {
				t.Error("NextContinuationToken on the last page")
			}
			break
		}
		if in.ContinuationToken != nil && aws.ToString(out.ContinuationToken) != aws.ToString(in.ContinuationToken) {
			t.Error("ContinuationToken not echoed")
		}
		in.ContinuationToken = out.NextContinuationToken
	}
	if fmt.Sprint(pages) != "[[a b/] [c/ d]]" {
		t.Errorf("pages = %v", pages)
	}
	if out := list(&s3.ListObjectsV2Input{MaxKeys: aws.Int32(0)}); len(out.Contents) != 0 || aws.ToBool(out.IsTruncated) || aws.ToInt32(out.KeyCount) != 0 {
		t.Errorf("max-keys 0 = %+v", out)
	}
	if out := list(&s3.ListObjectsV2Input{MaxKeys: aws.Int32(5000)}); aws.ToInt32(out.MaxKeys) != 1000 {
		t.Errorf("MaxKeys = %d, want capped at 1000", aws.ToInt32(out.MaxKeys))
	}
	for _, c := range []struct{ query, code string }{
		{"continuation-token=garbage", "InvalidArgument"},
		{"continuation-token=" + url.QueryEscape("YWJj"), "InvalidArgument"}, // base64, but not ours
		{"continuation-token=", "InvalidArgument"},
		{"max-keys=-1", "InvalidArgument"},
		{"max-keys=ten", "InvalidArgument"},
		{"encoding-type=base64", "InvalidArgument"},
	} {
		r := ts.raw(t, http.MethodGet, "/"+bucket+"?list-type=2&"+c.query, nil, nil)
		if r.Status != 400 || r.errorCode() != c.code {
			t.Errorf("%s = %d %s", c.query, r.Status, r.Body)
		}
	}
	if r := ts.raw(t, http.MethodGet, "/"+bucket+"?list-type=2&continuation-token=x", nil, nil); element(r.Body, "Message") != "The continuation token provided is incorrect" {
		t.Errorf("message = %q", element(r.Body, "Message"))
	}
	_, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket-l")})
	wantError(t, err, 404, "NoSuchBucket")
}

func TestListObjectsEncodingURL(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t)
	bucket := newBucket(t, cl, false)
	keys := []string{"a b/c", "plus+sign", "percent%25", "ünïcode/ß", "quote\"amp&lt<", "tab\tkey", "tilde~ok"}
	putKeys(t, cl, bucket, keys)
	r := ts.raw(t, http.MethodGet, "/"+bucket+"?list-type=2&encoding-type=url&delimiter=/", nil, nil)
	if r.Status != 200 || element(r.Body, "EncodingType") != "url" {
		t.Fatalf("= %d %s", r.Status, r.Body)
	}
	for _, want := range []string{
		"<Prefix>a%20b/</Prefix>", "<Key>plus%2Bsign</Key>", "<Key>percent%2525</Key>", "<Prefix>%C3%BCn%C3%AFcode/</Prefix>",
		"<Key>quote%22amp%26lt%3C</Key>", "<Key>tab%09key</Key>", "<Key>tilde~ok</Key>", "<Delimiter>/</Delimiter>",
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("answer lacks %s:\n%s", want, r.Body)
		}
	}
	// V1, versions and uploads encode too.
	r = ts.raw(t, http.MethodGet, "/"+bucket+"?encoding-type=url&prefix=a%20", nil, nil)
	if !strings.Contains(r.Body, "<Key>a%20b%2Fc</Key>") && !strings.Contains(r.Body, "<Key>a%20b/c</Key>") {
		t.Errorf("V1 = %s", r.Body)
	}
	if !strings.Contains(r.Body, "<Prefix>a%20</Prefix>") {
		t.Errorf("V1 prefix not encoded: %s", r.Body)
	}
	r = ts.raw(t, http.MethodGet, "/"+bucket+"?versions&encoding-type=url&prefix=plus", nil, nil)
	if !strings.Contains(r.Body, "<Key>plus%2Bsign</Key>") {
		t.Errorf("versions = %s", r.Body)
	}
	// Without encoding-type the keys come back as they are, XML-escaped.
	out, err := cl.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	got := keysOf(out.Contents)
	want := append([]string(nil), keys...)
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("keys = %q, want %q", got, want)
	}
}

func TestListObjectsV1(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t)
	bucket := newBucket(t, cl, false)
	putKeys(t, cl, bucket, []string{"a", "b/1", "b/2", "c"})
	out, err := cl.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if k := keysOf(out.Contents); strings.Join(k, ",") != "a,b/1" || !aws.ToBool(out.IsTruncated) || out.NextMarker != nil {
		t.Errorf("page = %v truncated %v NextMarker %v (S3 sends none without a delimiter)", k, aws.ToBool(out.IsTruncated), out.NextMarker)
	}
	if out.Contents[0].Owner == nil {
		t.Error("V1 entries carry their Owner")
	}
	out, err = cl.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String("b/1")})
	if err != nil {
		t.Fatal(err)
	}
	if k := keysOf(out.Contents); strings.Join(k, ",") != "b/2,c" || aws.ToString(out.Marker) != "b/1" {
		t.Errorf("after marker = %v", k)
	}
	out, err = cl.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.NextMarker) != "b/" || !aws.ToBool(out.IsTruncated) {
		t.Errorf("NextMarker = %q", aws.ToString(out.NextMarker))
	}
	out, err = cl.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(bucket), Delimiter: aws.String("/"), Marker: out.NextMarker})
	if err != nil {
		t.Fatal(err)
	}
	if k := keysOf(out.Contents); strings.Join(k, ",") != "c" || len(out.CommonPrefixes) != 0 {
		t.Errorf("after b/ = %v %v", k, prefixesOf(out.CommonPrefixes))
	}
}

// TestListObjectsPaging pages through 2,500 keys with a delimiter, as the SDK's
// paginator does.
func TestListObjectsPaging(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t)
	bucket := newBucket(t, cl, false)
	var keys []string
	for i := range 2000 {
		keys = append(keys, fmt.Sprintf("flat/%04d", i))
	}
	for i := range 500 {
		keys = append(keys, fmt.Sprintf("dirs/%03d/x", i))
	}
	putKeys(t, cl, bucket, keys)
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("flat/")})
	n, pages := 0, 0
	last := ""
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, k := range keysOf(out.Contents) {
			if k <= last {
				t.Fatalf("%q after %q", k, last)
			}
			last = k
			n++
		}
	}
	if n != 2000 || pages != 2 {
		t.Errorf("%d keys in %d pages, want 2000 in 2", n, pages)
	}
	// With a delimiter over everything: 500 common prefixes and the flat/ one.
	p = s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	var prefixes []string
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		prefixes = append(prefixes, prefixesOf(out.CommonPrefixes)...)
	}
	if len(prefixes) != 2 || prefixes[0] != "dirs/" || prefixes[1] != "flat/" {
		t.Errorf("prefixes = %v", prefixes)
	}
	p = s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("dirs/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(300)})
	prefixes = nil
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 0 {
			t.Errorf("contents %v", keysOf(out.Contents))
		}
		prefixes = append(prefixes, prefixesOf(out.CommonPrefixes)...)
	}
	if len(prefixes) != 500 || prefixes[499] != "dirs/499/" {
		t.Errorf("%d prefixes", len(prefixes))
	}
}

func TestListObjectVersions(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t)
	bucket := newBucket(t, cl, true)
	a1 := putString(t, cl, bucket, "a", "1")
	a2 := putString(t, cl, bucket, "a", "2")
	dm, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	b1 := putString(t, cl, bucket, "b", "1")
	out, err := cl.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 3 || len(out.DeleteMarkers) != 1 {
		t.Fatalf("versions %d markers %d", len(out.Versions), len(out.DeleteMarkers))
	}
	m := out.DeleteMarkers[0]
	if aws.ToString(m.Key) != "a" || aws.ToString(m.VersionId) != aws.ToString(dm.VersionId) || !aws.ToBool(m.IsLatest) || m.Owner == nil {
		t.Errorf("marker = %+v", m)
	}
	want := []string{aws.ToString(a2.VersionId), aws.ToString(a1.VersionId), aws.ToString(b1.VersionId)}
	for i, v := range out.Versions {
		if aws.ToString(v.VersionId) != want[i] {
			t.Errorf("version %d = %s, want %s", i, aws.ToString(v.VersionId), want[i])
		}
	}
	if aws.ToBool(out.Versions[0].IsLatest) || !aws.ToBool(out.Versions[2].IsLatest) || out.Versions[0].StorageClass != "STANDARD" {
		t.Errorf("IsLatest/StorageClass = %+v", out.Versions)
	}
	// The raw answer interleaves DeleteMarker and Version elements in order.
	r := ts.raw(t, http.MethodGet, "/"+bucket+"?versions", nil, nil)
	iDM, iV := strings.Index(r.Body, "<DeleteMarker>"), strings.Index(r.Body, "<Version>")
	if iDM < 0 || iV < 0 || iDM > iV {
		t.Errorf("order: %s", r.Body)
	}
	// Paging one entry at a time through key and version markers.
	var seen []string
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)}
	for {
		out, err := cl.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			seen = append(seen, "v:"+aws.ToString(v.VersionId))
		}
		for _, d := range out.DeleteMarkers {
			seen = append(seen, "m:"+aws.ToString(d.VersionId))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if len(seen) != 4 || seen[0] != "m:"+aws.ToString(dm.VersionId) || seen[3] != "v:"+aws.ToString(b1.VersionId) {
		t.Errorf("paged = %v", seen)
	}
	r = ts.raw(t, http.MethodGet, "/"+bucket+"?versions&version-id-marker=x", nil, nil)
	if r.Status != 400 || r.errorCode() != "InvalidArgument" {
		t.Errorf("version-id-marker alone = %d %s", r.Status, r.Body)
	}
}
