package s3_test

import (
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestGetObjectRange(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	body := "0123456789"
	putString(t, cl, bucket, "r", body)
	putString(t, cl, bucket, "empty", "")
	cases := []struct {
		key, rng  string
		status    int
		body      string
		contRange string
		code      string
	}{
		{"r", "bytes=0-3", 206, "0123", "bytes 0-3/10", ""},
		{"r", "bytes=2-", 206, "23456789", "bytes 2-9/10", ""},
		{"r", "bytes=-3", 206, "789", "bytes 7-9/10", ""},
		{"r", "bytes=5-100", 206, "56789", "bytes 5-9/10", ""},
		{"r", "bytes=-100", 206, body, "bytes 0-9/10", ""},
		{"r", "bytes=9-9", 206, "9", "bytes 9-9/10", ""},
		{"r", "bytes=10-", 416, "", "bytes */10", "InvalidRange"},
		{"r", "bytes=10-20", 416, "", "bytes */10", "InvalidRange"},
		{"r", "bytes=-0", 416, "", "bytes */10", "InvalidRange"},
		{"r", "bytes=5-2", 200, body, "", ""},           // backwards: ignored
		{"r", "bytes=0-1,3-4", 200, body, "", ""},       // several ranges: ignored
		{"r", "bytes=abc", 200, body, "", ""},           // unparsable: ignored
		{"r", "items=0-1", 200, body, "", ""},           // another unit: ignored
		{"r", "bytes=-", 200, body, "", ""},             // no bounds: ignored
		{"empty", "bytes=0-", 416, "", "bytes */0", ""}, // nothing to range over
		{"empty", "bytes=-5", 200, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.key+" "+c.rng, func(t *testing.T) {
			r := ts.raw(t, http.MethodGet, "/"+bucket+"/"+c.key, map[string]string{"Range": c.rng}, nil)
			if r.Status != c.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if r.Header.Get("Content-Range") != c.contRange {
				t.Errorf("Content-Range = %q, want %q", r.Header.Get("Content-Range"), c.contRange)
			}
			if c.status == 416 {
				if r.errorCode() != "InvalidRange" || element(r.Body, "RangeRequested") != c.rng ||
					element(r.Body, "ActualObjectSize") != fmt.Sprint(len(getString(t, cl, bucket, c.key))) {
					t.Errorf("error = %s", r.Body)
				}
				return
			}
			if r.Body != c.body {
				t.Errorf("body = %q, want %q", r.Body, c.body)
			}
		})
	}
	// Through the SDK, and HEAD with a range.
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String("bytes=1-2")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "12" || aws.ToString(out.ContentRange) != "bytes 1-2/10" || aws.ToInt64(out.ContentLength) != 2 {
		t.Errorf("GetObject range = %q %s %d", b, aws.ToString(out.ContentRange), aws.ToInt64(out.ContentLength))
	}
	_, err = cl.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String("bytes=20-")})
	wantError(t, err, 416, "")
	h := ts.raw(t, http.MethodHead, "/"+bucket+"/r", map[string]string{"Range": "bytes=20-"}, nil)
	if h.Status != 416 || h.Body != "" {
		t.Errorf("HEAD error = %d with body %q", h.Status, h.Body)
	}
}

func TestGetObjectConditions(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	out := putString(t, cl, bucket, "c", "conditional")
	etag := aws.ToString(out.ETag)
	head, err := cl.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("c")})
	if err != nil {
		t.Fatal(err)
	}
	lm := *head.LastModified
	past, future := lm.Add(-time.Hour).Format(http.TimeFormat), lm.Add(time.Hour).Format(http.TimeFormat)
	at := lm.Format(http.TimeFormat)
	cases := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"If-Match hit", map[string]string{"If-Match": etag}, 200},
		{"If-Match unquoted", map[string]string{"If-Match": strings.Trim(etag, `"`)}, 200},
		{"If-Match list", map[string]string{"If-Match": `"x", ` + etag}, 200},
		{"If-Match star", map[string]string{"If-Match": "*"}, 200},
		{"If-Match miss", map[string]string{"If-Match": `"nope"`}, 412},
		{"If-None-Match hit", map[string]string{"If-None-Match": etag}, 304},
		{"If-None-Match miss", map[string]string{"If-None-Match": `"nope"`}, 200},
		{"If-Modified-Since past", map[string]string{"If-Modified-Since": past}, 200},
		{"If-Modified-Since at", map[string]string{"If-Modified-Since": at}, 304},
		{"If-Modified-Since future", map[string]string{"If-Modified-Since": future}, 200}, // a future date is ignored
		{"If-Unmodified-Since past", map[string]string{"If-Unmodified-Since": past}, 412},
		{"If-Unmodified-Since at", map[string]string{"If-Unmodified-Since": at}, 200},
		{"If-Unmodified-Since garbage", map[string]string{"If-Unmodified-Since": "yesterday"}, 200},
		// If-Match holding outranks a failed If-Unmodified-Since; a matching
		// If-None-Match outranks If-Modified-Since.
		{"If-Match and If-Unmodified-Since", map[string]string{"If-Match": etag, "If-Unmodified-Since": past}, 200},
		{"If-None-Match and If-Modified-Since", map[string]string{"If-None-Match": etag, "If-Modified-Since": past}, 304},
		{"If-Match miss and If-None-Match hit", map[string]string{"If-Match": `"nope"`, "If-None-Match": etag}, 412},
	}
	for _, c := range cases {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			t.Run(method+" "+c.name, func(t *testing.T) {
				r := ts.raw(t, method, "/"+bucket+"/c", c.header, nil)
				if r.Status != c.status {
					t.Fatalf("status = %d, want %d: %s", r.Status, c.status, r.Body)
				}
				switch {
				case c.status == 304:
					if r.Body != "" || r.Header.Get("Etag") != etag {
						t.Errorf("304 with body %q, ETag %q", r.Body, r.Header.Get("Etag"))
					}
				case c.status == 412 && method == http.MethodGet:
					if r.errorCode() != "PreconditionFailed" || element(r.Body, "Condition") == "" {
						t.Errorf("412 body = %s", r.Body)
					}
				case c.status == 200 && method == http.MethodGet && r.Body != "conditional":
					t.Errorf("body = %q", r.Body)
				}
			})
		}
	}
	_, err = cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("c"), IfMatch: aws.String(`"nope"`)})
	wantError(t, err, 412, "PreconditionFailed")
}

func TestGetObjectVersionsAndMarkers(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	plain := newBucket(t, cl, false)
	putString(t, cl, plain, "k", "v")
	bucket := newBucket(t, cl, true)
	v1 := putString(t, cl, bucket, "k", "first")
	del, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(del.DeleteMarker) || del.VersionId == nil {
		t.Fatalf("DeleteObject = %+v", del)
	}
	marker := *del.VersionId

	// The latest is a delete marker: 404 NoSuchKey, with x-amz-delete-marker.
	r := ts.raw(t, http.MethodGet, "/"+bucket+"/k", nil, nil)
	if r.Status != 404 || r.errorCode() != "NoSuchKey" || r.Header.Get("X-Amz-Delete-Marker") != "true" || r.Header.Get("X-Amz-Version-Id") != marker {
		t.Errorf("GET latest marker = %d %v %s", r.Status, r.Header, r.Body)
	}
	r = ts.raw(t, http.MethodHead, "/"+bucket+"/k", nil, nil)
	if r.Status != 404 || r.Header.Get("X-Amz-Delete-Marker") != "true" {
		t.Errorf("HEAD latest marker = %d %v", r.Status, r.Header)
	}
	// The marker named: 405 MethodNotAllowed.
	r = ts.raw(t, http.MethodGet, "/"+bucket+"/k?versionId="+marker, nil, nil)
	if r.Status != 405 || r.errorCode() != "MethodNotAllowed" || r.Header.Get("X-Amz-Delete-Marker") != "true" ||
		element(r.Body, "ResourceType") != "DeleteMarker" || element(r.Body, "Method") != "GET" {
		t.Errorf("GET named marker = %d %v %s", r.Status, r.Header, r.Body)
	}
	r = ts.raw(t, http.MethodHead, "/"+bucket+"/k?versionId="+marker, nil, nil)
	if r.Status != 405 || r.Body != "" {
		t.Errorf("HEAD named marker = %d %q", r.Status, r.Body)
	}
	// The old version is still there.
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), VersionId: v1.VersionId})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "first" {
		t.Errorf("old version = %q", b)
	}

	cases := []struct {
		name, path string
		status     int
		code       string
	}{
		{"no such key", "/" + bucket + "/missing", 404, "NoSuchKey"},
		{"no such version", "/" + bucket + "/k?versionId=3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", 404, "NoSuchVersion"},
		{"empty version", "/" + bucket + "/k?versionId=", 400, "InvalidArgument"},
		{"version in unversioned bucket", "/" + plain + "/k?versionId=abc", 400, "InvalidArgument"},
		{"no such bucket", "/no-such-bucket-y/k", 404, "NoSuchBucket"},
		{"both range and part", "/" + plain + "/k?partNumber=1", 400, "InvalidRequest"},
		{"bad part number", "/" + plain + "/k?partNumber=0", 400, "InvalidArgument"},
		{"part past the end", "/" + plain + "/k?partNumber=2", 416, "InvalidPartNumber"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.name == "both range and part" {
				h["Range"] = "bytes=0-1"
			}
			r := ts.raw(t, http.MethodGet, c.path, h, nil)
			if r.Status != c.status || r.errorCode() != c.code {
				t.Fatalf("= %d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
		})
	}
	// The null version of an unversioned bucket can be named.
	r = ts.raw(t, http.MethodGet, "/"+plain+"/k?versionId=null", nil, nil)
	if r.Status != 200 || r.Body != "v" {
		t.Errorf("versionId=null = %d %s", r.Status, r.Body)
	}
	// partNumber=1 of a single-part object is all of it, as 206.
	r = ts.raw(t, http.MethodGet, "/"+plain+"/k?partNumber=1", nil, nil)
	if r.Status != 206 || r.Body != "v" || r.Header.Get("X-Amz-Mp-Parts-Count") != "" {
		t.Errorf("partNumber=1 = %d %q %v", r.Status, r.Body, r.Header)
	}
}

func TestGetObjectOverrides(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	putString(t, cl, bucket, "o", "override", func(in *s3.PutObjectInput) { in.ContentType = aws.String("text/plain") })
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{
		Bucket:                     aws.String(bucket),
		Key:                        aws.String("o"),
		ResponseContentType:        aws.String("application/json"),
		ResponseContentLanguage:    aws.String("fr"),
		ResponseCacheControl:       aws.String("no-cache"),
		ResponseContentDisposition: aws.String("inline"),
		ResponseContentEncoding:    aws.String("br"),
		ResponseExpires:            aws.Time(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)),
	})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	for name, pair := range map[string][2]string{
		"ContentType":        {aws.ToString(out.ContentType), "application/json"},
		"ContentLanguage":    {aws.ToString(out.ContentLanguage), "fr"},
		"CacheControl":       {aws.ToString(out.CacheControl), "no-cache"},
		"ContentDisposition": {aws.ToString(out.ContentDisposition), "inline"},
		"ContentEncoding":    {aws.ToString(out.ContentEncoding), "br"},
		"ExpiresString":      {aws.ToString(out.ExpiresString), "Tue, 06 May 2031 07:08:09 GMT"},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %q, want %q", name, pair[0], pair[1])
		}
	}
	// Anonymous requests may not override.
	r := ts.raw(t, http.MethodGet, "/"+bucket+"/o?response-content-type=x/y", nil, nil)
	if r.Status != 400 || r.errorCode() != "InvalidRequest" {
		t.Errorf("anonymous override = %d %s", r.Status, r.Body)
	}
}

func TestGetObjectMetadataEncoding(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	r := ts.raw(t, http.MethodPut, "/"+bucket+"/m", map[string]string{"X-Amz-Meta-Name": "café"}, []byte("x"))
	if r.Status != 200 {
		t.Fatal(r.Body)
	}
	h := ts.raw(t, http.MethodHead, "/"+bucket+"/m", nil, nil)
	if got := h.Header.Get("X-Amz-Meta-Name"); got != "=?UTF-8?B?Y2Fmw6k=?=" {
		t.Errorf("non-ASCII metadata sent as %q, want RFC 2047", got)
	}
}

// TestLargeObject puts and gets 256 MiB, checking that the upload keeps memory
// flat and reporting the download's rate.
func TestLargeObject(t *testing.T) {
	if testing.Short() {
		t.Skip("256 MiB")
	}
	ts := startS3(t)
	cl := ts.client(t) // no client-side checksum: measure the server
	bucket := newBucket(t, cl, false)
	const size = 256 << 20
	src := &patternReader{left: size}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var max uint64
		for {
			select {
			case <-stop:
				peak <- max
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				max = maxU(max, m.HeapInuse)
			}
		}
	}()
	start := time.Now()
	req, _ := http.NewRequest(http.MethodPut, ts.URL+"/"+bucket+"/big", src)
	req.ContentLength = size
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT = %d", resp.StatusCode)
	}
	putTime := time.Since(start)
	close(stop)
	if grew := int64(<-peak) - int64(before.HeapInuse); grew > 64<<20 {
		t.Errorf("heap grew by %d MiB during a 256 MiB upload", grew>>20)
	}
	if want := fmt.Sprintf(`"%x"`, src.sum.Sum(nil)); resp.Header.Get("Etag") != want {
		t.Errorf("ETag = %s, want %s", resp.Header.Get("Etag"), want)
	}

	start = time.Now()
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, out.Body)
	out.Body.Close()
	if err != nil || n != size {
		t.Fatalf("GET read %d bytes: %v", n, err)
	}
	getTime := time.Since(start)
	t.Logf("256 MiB: PUT %v (%.0f MiB/s), GET %v (%.0f MiB/s)", putTime.Round(time.Millisecond), 256/putTime.Seconds(),
		getTime.Round(time.Millisecond), 256/getTime.Seconds())
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// patternReader yields left bytes of a repeating pattern, hashing them.
type patternReader struct {
	left int64
	sum  hashMD5
}

type hashMD5 = interface {
	io.Writer
	Sum([]byte) []byte
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.sum == nil {
		p.sum = md5.New()
	}
	if p.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.left))
	for i := range n {
		b[i] = byte(i * 7)
	}
	p.sum.Write(b[:n])
	p.left -= int64(n)
	return n, nil
}

func TestGetObjectAttributes(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, true)
	put := putString(t, cl, bucket, "k", "attributes", func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassOnezoneIa })
	out, err := cl.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
			types.ObjectAttributesObjectSize, types.ObjectAttributesStorageClass}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ETag) != strings.Trim(aws.ToString(put.ETag), `"`) || aws.ToInt64(out.ObjectSize) != 10 || out.StorageClass != types.StorageClassOnezoneIa ||
		out.ObjectParts != nil || out.LastModified == nil || aws.ToString(out.VersionId) != aws.ToString(put.VersionId) {
		t.Errorf("attributes = %+v", out)
	}
	if out.Checksum == nil || aws.ToString(out.Checksum.ChecksumCRC32) != aws.ToString(put.ChecksumCRC32) || out.Checksum.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("checksum = %+v", out.Checksum)
	}
	only, err := cl.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	if err != nil || only.ETag != nil || only.Checksum != nil || aws.ToInt64(only.ObjectSize) != 10 {
		t.Errorf("size only = %+v %v", only, err)
	}
	for _, c := range []struct {
		name, attrs string
		status      int
		code        string
	}{
		{"none", "", 400, "InvalidRequest"},
		{"unknown", "ETag,Colour", 400, "InvalidArgument"},
	} {
		h := map[string]string{}
		if c.attrs != "" {
			h["X-Amz-Object-Attributes"] = c.attrs
		}
		r := ts.raw(t, http.MethodGet, "/"+bucket+"/k?attributes", h, nil)
		if r.Status != c.status || r.errorCode() != c.code {
			t.Errorf("%s = %d %s", c.name, r.Status, r.Body)
		}
	}
	_, err = cl.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("missing"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag}})
	wantError(t, err, 404, "NoSuchKey")
}

// TestArchivedObject: GetObject refuses an object in an archive class until it
// is restored (which Stratus does not do); HeadObject answers.
func TestArchivedObject(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	putString(t, cl, bucket, "cold", "x", func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassGlacier })
	_, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("cold")})
	wantError(t, err, 403, "InvalidObjectState")
	h, err := cl.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("cold")})
	if err != nil || h.StorageClass != types.StorageClassGlacier {
		t.Errorf("HEAD = %v %v", h, err)
	}
}
