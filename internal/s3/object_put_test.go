package s3_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func b64sum(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

func crc32b64(b []byte) string {
	h := crc32.NewIEEE()
	h.Write(b)
	return b64sum(h.Sum(nil))
}

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// chunkedBody frames payload as an unsigned aws-chunked body with a trailer.
func chunkedBody(payload []byte, chunk int, trailer string) []byte {
	var b bytes.Buffer
	for len(payload) > 0 {
		n := min(chunk, len(payload))
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(payload[:n])
		b.WriteString("\r\n")
		payload = payload[n:]
	}
	b.WriteString("0\r\n")
	if trailer != "" {
		b.WriteString(trailer + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func md5b64(b []byte) string { s := md5.Sum(b); return b64sum(s[:]) }

func TestPutObject(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	for _, style := range []string{"path", "vhost"} {
		t.Run(style, func(t *testing.T) {
			cl := ts.client(t, sdkDefaults)
			if style == "vhost" {
				cl = ts.vhostClient(t, sdkDefaults)
			}
			bucket := newBucket(t, cl, false)
			body := "hello, stratus"
			out, err := cl.PutObject(ctx, &s3.PutObjectInput{
				Bucket:                  aws.String(bucket),
				Key:                     aws.String("dir/hello.txt"),
				Body:                    strings.NewReader(body),
				ContentType:             aws.String("text/plain"),
				ContentDisposition:      aws.String(`attachment; filename="h.txt"`),
				ContentLanguage:         aws.String("en"),
				CacheControl:            aws.String("max-age=60"),
				ContentEncoding:         aws.String("identity"),
				Expires:                 aws.Time(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)),
				Metadata:                map[string]string{"Color": "blue", "n": "1"},
				Tagging:                 aws.String("a=1&b=two%20words"),
				StorageClass:            types.StorageClassStandardIa,
				WebsiteRedirectLocation: aws.String("/other"),
			})
			if err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum([]byte(body))
			if want := fmt.Sprintf(`"%x"`, sum); aws.ToString(out.ETag) != want {
				t.Errorf("ETag = %s, want %s", aws.ToString(out.ETag), want)
			}
			if out.VersionId != nil {
				t.Errorf("VersionId = %q in an unversioned bucket", *out.VersionId)
			}
			// The SDK sends CRC32 by default; S3 answers it.
			if got, want := aws.ToString(out.ChecksumCRC32), crc32b64([]byte(body)); got != want {
				t.Errorf("ChecksumCRC32 = %q, want %q", got, want)
			}
			if out.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("ChecksumType = %q", out.ChecksumType)
			}

			got, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/hello.txt"), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(got.Body) // the SDK validates the CRC32 as it reads
			got.Body.Close()
			if err != nil || string(b) != body {
				t.Fatalf("body = %q, %v", b, err)
			}
			checks := []struct{ name, got, want string }{
				{"ContentType", aws.ToString(got.ContentType), "text/plain"},
				{"ContentDisposition", aws.ToString(got.ContentDisposition), `attachment; filename="h.txt"`},
				{"ContentLanguage", aws.ToString(got.ContentLanguage), "en"},
				{"CacheControl", aws.ToString(got.CacheControl), "max-age=60"},
				{"ContentEncoding", aws.ToString(got.ContentEncoding), "identity"},
				{"ExpiresString", aws.ToString(got.ExpiresString), "Wed, 02 Jan 2030 03:04:05 GMT"},
				{"ETag", aws.ToString(got.ETag), aws.ToString(out.ETag)},
				{"AcceptRanges", aws.ToString(got.AcceptRanges), "bytes"},
				{"Metadata color", got.Metadata["color"], "blue"},
				{"Metadata n", got.Metadata["n"], "1"},
				{"StorageClass", string(got.StorageClass), "STANDARD_IA"},
				{"WebsiteRedirectLocation", aws.ToString(got.WebsiteRedirectLocation), "/other"},
				{"ChecksumCRC32", aws.ToString(got.ChecksumCRC32), crc32b64([]byte(body))},
				{"ServerSideEncryption", string(got.ServerSideEncryption), "AES256"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			if aws.ToInt32(got.TagCount) != 2 || aws.ToInt64(got.ContentLength) != int64(len(body)) {
				t.Errorf("TagCount = %d, ContentLength = %d", aws.ToInt32(got.TagCount), aws.ToInt64(got.ContentLength))
			}
			if got.LastModified == nil || time.Since(*got.LastModified) > time.Minute {
				t.Errorf("LastModified = %v", got.LastModified)
			}
			tags, err := cl.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("dir/hello.txt")})
			if err != nil {
				t.Fatal(err)
			}
			if len(tags.TagSet) != 2 || aws.ToString(tags.TagSet[1].Value) != "two words" {
				t.Errorf("tags = %+v", tags.TagSet)
			}
		})
	}
}

func TestPutObjectDefaults(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	// A raw PUT with no checksum and no Content-Type: binary/octet-stream, and
	// the CRC64NVME S3 computes for every object.
	r := ts.raw(t, http.MethodPut, "/"+bucket+"/plain", nil, []byte("abc"))
	if r.Status != 200 || r.Header.Get("Etag") != `"900150983cd24fb0d6963f7d28e17f72"` {
		t.Fatalf("PUT = %d %v", r.Status, r.Header)
	}
	if r.Header.Get("X-Amz-Checksum-Crc64nvme") == "" || r.Header.Get("X-Amz-Checksum-Type") != "FULL_OBJECT" {
		t.Errorf("checksum headers = %v", r.Header)
	}
	h, err := cl.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(h.ContentType) != "binary/octet-stream" || aws.ToString(h.ChecksumCRC64NVME) != r.Header.Get("X-Amz-Checksum-Crc64nvme") {
		t.Errorf("HEAD = %s %s", aws.ToString(h.ContentType), aws.ToString(h.ChecksumCRC64NVME))
	}
	if h.StorageClass != "" {
		t.Errorf("StorageClass = %q, S3 leaves STANDARD out", h.StorageClass)
	}
	// Without x-amz-checksum-mode no checksum is sent.
	h2 := ts.raw(t, http.MethodHead, "/"+bucket+"/plain", nil, nil)
	if h2.Header.Get("X-Amz-Checksum-Crc64nvme") != "" {
		t.Errorf("checksum sent without checksum mode")
	}
}

func TestPutObjectChecksums(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	body := []byte("The quick brown fox jumps over the lazy dog")
	for _, algo := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
		t.Run(string(algo), func(t *testing.T) {
			key := "sum-" + string(algo)
			out, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: bytes.NewReader(body), ChecksumAlgorithm: algo})
			if err != nil {
				t.Fatal(err)
			}
			sent := map[types.ChecksumAlgorithm]*string{
				types.ChecksumAlgorithmCrc32: out.ChecksumCRC32, types.ChecksumAlgorithmCrc32c: out.ChecksumCRC32C,
				types.ChecksumAlgorithmCrc64nvme: out.ChecksumCRC64NVME, types.ChecksumAlgorithmSha1: out.ChecksumSHA1,
				types.ChecksumAlgorithmSha256: out.ChecksumSHA256,
			}
			for a, v := range sent {
				if (a == algo) != (v != nil) {
					t.Errorf("checksum %s = %v", a, v)
				}
			}
			if algo == types.ChecksumAlgorithmSha256 {
				sum := sha256.Sum256(body)
				if aws.ToString(out.ChecksumSHA256) != b64sum(sum[:]) {
					t.Errorf("SHA256 = %s", aws.ToString(out.ChecksumSHA256))
				}
			}
			g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadAll(g.Body); err != nil {
				t.Fatalf("client-side validation: %v", err)
			}
			g.Body.Close()
		})
	}
	// The CRC64NVME of "123456789" is the NVMe CRC's check value.
	out, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("check"),
		Body: strings.NewReader("123456789"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.ChecksumCRC64NVME); got != b64sum([]byte{0xae, 0x8b, 0x14, 0x86, 0x0a, 0x79, 0x98, 0x88}) {
		t.Errorf("CRC64NVME(123456789) = %s", got)
	}
}

func TestPutObjectErrors(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	putString(t, cl, bucket, "k", "original")
	body := []byte("new body")
	tags11 := make([]string, 11)
	for i := range tags11 {
		tags11[i] = fmt.Sprintf("k%d=v", i)
	}
	cases := []struct {
		name    string
		header  map[string]string
		status  int
		code    string
		message string
	}{
		{"bad Content-MD5", map[string]string{"Content-MD5": md5b64([]byte("other"))}, 400, "BadDigest", "The Content-MD5 you specified did not match what we received."},
		{"malformed Content-MD5", map[string]string{"Content-MD5": "nope"}, 400, "InvalidDigest", "The Content-MD5 you specified was invalid."},
		{"short Content-MD5", map[string]string{"Content-MD5": b64sum([]byte("short"))}, 400, "InvalidDigest", ""},
		{"wrong CRC32", map[string]string{"X-Amz-Checksum-Crc32": crc32b64([]byte("other"))}, 400, "BadDigest", "The CRC32 you specified did not match the calculated checksum."},
		{"wrong SHA256", map[string]string{"X-Amz-Checksum-Sha256": b64sum(make([]byte, 32))}, 400, "BadDigest", "The SHA256 you specified did not match the calculated checksum."},
		{"malformed CRC32C", map[string]string{"X-Amz-Checksum-Crc32c": "AAAA"}, 400, "InvalidRequest", "Value for x-amz-checksum-crc32c header is invalid."},
		{"two checksums", map[string]string{"X-Amz-Checksum-Crc32": crc32b64(body), "X-Amz-Checksum-Sha1": b64sum(make([]byte, 20))}, 400, "InvalidRequest",
			"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{"sdk algorithm without value", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}, 400, "InvalidRequest",
			"x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."},
		{"unknown sdk algorithm", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "MD4", "X-Amz-Checksum-Crc32": crc32b64(body)}, 400, "InvalidRequest", ""},
		{"metadata too large", map[string]string{"X-Amz-Meta-Big": strings.Repeat("x", 2049)}, 400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."},
		{"bad storage class", map[string]string{"X-Amz-Storage-Class": "FAST"}, 400, "InvalidStorageClass", "The storage class you specified is not valid"},
		{"bad tagging", map[string]string{"X-Amz-Tagging": "a=1&a=2"}, 400, "InvalidArgument", ""},
		{"eleven tags", map[string]string{"X-Amz-Tagging": strings.Join(tags11, "&")}, 400, "BadRequest", "Object tags cannot be greater than 10"},
		{"aws: tag", map[string]string{"X-Amz-Tagging": "aws:x=1"}, 400, "InvalidTag", "Your TagKey cannot be prefixed with aws:"},
		{"bad redirect", map[string]string{"X-Amz-Website-Redirect-Location": "elsewhere"}, 400, "InvalidArgument", ""},
		{"If-None-Match on existing", map[string]string{"If-None-Match": "*"}, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"},
		{"If-Match mismatch", map[string]string{"If-Match": `"0123"`}, 412, "PreconditionFailed", ""},
		{"If-None-Match etag", map[string]string{"If-None-Match": `"abc"`}, 501, "NotImplemented", ""},
		{"both conditions", map[string]string{"If-None-Match": "*", "If-Match": `"abc"`}, 501, "NotImplemented", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.raw(t, http.MethodPut, "/"+bucket+"/k", c.header, body)
			if r.Status != c.status || r.errorCode() != c.code {
				t.Fatalf("= %d %s, want %d %s\n%s", r.Status, r.errorCode(), c.status, c.code, r.Body)
			}
			if c.message != "" && element(r.Body, "Message") != c.message {
				t.Errorf("Message = %q, want %q", element(r.Body, "Message"), c.message)
			}
			if got := getString(t, cl, bucket, "k"); got != "original" {
				t.Errorf("after the failure the object is %q", got)
			}
		})
	}
	t.Run("If-Match on missing key", func(t *testing.T) {
		r := ts.raw(t, http.MethodPut, "/"+bucket+"/missing", map[string]string{"If-Match": `"abc"`}, body)
		if r.Status != 404 || r.errorCode() != "NoSuchKey" {
			t.Fatalf("= %d %s", r.Status, r.Body)
		}
	})
	t.Run("no such bucket", func(t *testing.T) {
		_, err := cl.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("no-such-bucket-x"), Key: aws.String("k"), Body: strings.NewReader("x")})
		wantError(t, err, 404, "NoSuchBucket")
	})
	t.Run("Transfer-Encoding chunked", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, ts.URL+"/"+bucket+"/k", io.NopCloser(strings.NewReader("chunked")))
		req.ContentLength = -1 // sent with Transfer-Encoding: chunked
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 501 || element(string(b), "Code") != "NotImplemented" || element(string(b), "Header") != "Transfer-Encoding" {
			t.Fatalf("= %d %s", resp.StatusCode, b)
		}
	})
	t.Run("too large", func(t *testing.T) {
		// Only the headers are sent: S3 refuses on the declared length.
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "PUT /%s/huge HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", bucket, int64(5<<30)+1)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(newBufReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || element(string(b), "Code") != "EntityTooLarge" || element(string(b), "MaxSizeAllowed") != "5368709120" {
			t.Fatalf("= %d %s", resp.StatusCode, b)
		}
	})
}

func TestPutObjectMD5AndEmpty(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	body := []byte("with md5")
	r := ts.raw(t, http.MethodPut, "/"+bucket+"/m", map[string]string{"Content-MD5": md5b64(body)}, body)
	if r.Status != 200 {
		t.Fatalf("PUT with a good Content-MD5 = %d %s", r.Status, r.Body)
	}
	r = ts.raw(t, http.MethodPut, "/"+bucket+"/empty", nil, []byte{})
	if r.Status != 200 || r.Header.Get("Etag") != `"d41d8cd98f00b204e9800998ecf8427e"` {
		t.Fatalf("empty PUT = %d %v", r.Status, r.Header)
	}
	if got := getString(t, cl, bucket, "empty"); got != "" {
		t.Errorf("empty object = %q", got)
	}
}

// TestPutObjectConditionalRace races writers with If-None-Match: * on one key:
// exactly one may create it.
func TestPutObjectConditionalRace(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	const n = 8
	var wg sync.WaitGroup
	results := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, results[i] = cl.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String("race"), Body: strings.NewReader(fmt.Sprint("writer ", i)),
				IfNoneMatch: aws.String("*"),
			})
		}()
	}
	close(start)
	wg.Wait()
	ok, winner := 0, -1
	for i, err := range results {
		if err == nil {
			ok++
			winner = i
			continue
		}
		code, status := apiError(err)
		if !(status == 412 && code == "PreconditionFailed") && !(status == 409 && code == "ConditionalRequestConflict") {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d writers succeeded, want exactly 1", ok)
	}
	if got := getString(t, cl, bucket, "race"); got != fmt.Sprint("writer ", winner) {
		t.Errorf("object = %q, winner was %d", got, winner)
	}
}

func TestPutObjectVersioned(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, true)
	a := putString(t, cl, bucket, "v", "one")
	b := putString(t, cl, bucket, "v", "two")
	if a.VersionId == nil || b.VersionId == nil || *a.VersionId == *b.VersionId {
		t.Fatalf("version ids %v %v", a.VersionId, b.VersionId)
	}
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("v"), VersionId: a.VersionId})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "one" || aws.ToString(out.VersionId) != *a.VersionId {
		t.Errorf("old version = %q %s", got, aws.ToString(out.VersionId))
	}
}

func TestPutObjectAWSChunked(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 2000) // 32,000 bytes, four chunks
	header := func(trailer string) map[string]string {
		return map[string]string{
			"Content-Encoding":             "aws-chunked,gzip",
			"X-Amz-Content-Sha256":         "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
			"X-Amz-Decoded-Content-Length": fmt.Sprint(len(payload)),
			"X-Amz-Trailer":                trailer,
		}
	}
	r := ts.raw(t, http.MethodPut, "/"+bucket+"/chunked", header("x-amz-checksum-crc32"),
		chunkedBody(payload, 8192, "x-amz-checksum-crc32:"+crc32b64(payload)))
	if r.Status != 200 || r.Header.Get("X-Amz-Checksum-Crc32") != crc32b64(payload) {
		t.Fatalf("chunked PUT = %d %v %s", r.Status, r.Header, r.Body)
	}
	out, err := cl.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("chunked")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, payload) || aws.ToString(out.ContentEncoding) != "gzip" {
		t.Fatalf("read back %d bytes, Content-Encoding %q", len(got), aws.ToString(out.ContentEncoding))
	}

	r = ts.raw(t, http.MethodPut, "/"+bucket+"/chunked", header("x-amz-checksum-crc32"),
		chunkedBody(payload, 8192, "x-amz-checksum-crc32:"+crc32b64([]byte("other"))))
	if r.Status != 400 || r.errorCode() != "BadDigest" {
		t.Fatalf("bad trailer checksum = %d %s", r.Status, r.Body)
	}
	r = ts.raw(t, http.MethodPut, "/"+bucket+"/chunked", header("x-amz-checksum-crc32"), chunkedBody(payload, 8192, ""))
	if r.Status != 400 || r.errorCode() != "MalformedTrailerError" {
		t.Fatalf("missing trailer = %d %s", r.Status, r.Body)
	}
	r = ts.raw(t, http.MethodPut, "/"+bucket+"/chunked", header("x-amz-checksum-crc32"),
		chunkedBody(payload, 1000, "x-amz-checksum-crc32:"+crc32b64(payload)))
	if r.Status != 403 || r.errorCode() != "InvalidChunkSizeError" || element(r.Body, "Chunk") != "2" || element(r.Body, "BadChunkSize") != "1000" {
		t.Fatalf("small chunks = %d %s", r.Status, r.Body)
	}
	if got := getString(t, cl, bucket, "chunked"); got != string(payload) {
		t.Errorf("a failed chunked PUT changed the object")
	}
}
