package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const mib = 1 << 20

// pattern returns n bytes that differ from part to part.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed
	}
	return b
}

// multipartETag is S3's ETag of an object made of parts.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

func TestMultipartManager(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	body := pattern(20*mib+12345, 7)
	up := manager.NewUploader(cl, func(u *manager.Uploader) { u.PartSize = 5 * mib; u.Concurrency = 4 })
	res, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/object"), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{body[:5*mib], body[5*mib : 10*mib], body[10*mib : 15*mib], body[15*mib : 20*mib], body[20*mib:]}
	if aws.ToString(res.ETag) != multipartETag(parts...) || res.UploadID == "" {
		t.Errorf("ETag = %s, want %s", aws.ToString(res.ETag), multipartETag(parts...))
	}
	// The manager asks for CRC32, which is composite: the CRC32 of the parts' CRC32s.
	comp := crc32.NewIEEE()
	for _, p := range parts {
		comp.Write(binaryCRC32(p))
	}
	if want := b64sum(comp.Sum(nil)) + "-5"; aws.ToString(res.ChecksumCRC32) != want || res.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("checksum = %s %s, want %s COMPOSITE", aws.ToString(res.ChecksumCRC32), res.ChecksumType, want)
	}

	dl := manager.NewDownloader(cl, func(d *manager.Downloader) { d.PartSize = 3 * mib; d.Concurrency = 4 })
	buf := manager.NewWriteAtBuffer(nil)
	n, err := dl.Download(ctx, buf, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/object")})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(body)) || !bytes.Equal(buf.Bytes(), body) {
		t.Fatalf("downloaded %d bytes, equal %v", n, bytes.Equal(buf.Bytes(), body))
	}

	// GetObject partNumber returns a part, with the parts count and its checksum.
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/object"), PartNumber: aws.Int32(2), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, parts[1]) || aws.ToInt32(out.PartsCount) != 5 || aws.ToString(out.ContentRange) != fmt.Sprintf("bytes %d-%d/%d", 5*mib, 10*mib-1, len(body)) {
		t.Errorf("part 2: %d bytes, PartsCount %d, ContentRange %s", len(got), aws.ToInt32(out.PartsCount), aws.ToString(out.ContentRange))
	}
	if aws.ToString(out.ChecksumCRC32) != b64sum(binaryCRC32(parts[1])) {
		t.Errorf("part 2 checksum = %s", aws.ToString(out.ChecksumCRC32))
	}
	head, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/object"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ChecksumCRC32) != aws.ToString(res.ChecksumCRC32) || head.ChecksumType != types.ChecksumTypeComposite || aws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Errorf("HEAD = %s %s %d", aws.ToString(head.ChecksumCRC32), head.ChecksumType, aws.ToInt64(head.ContentLength))
	}
	attrs, err := cl.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("big/object"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
			types.ObjectAttributesObjectSize, types.ObjectAttributesStorageClass}, MaxParts: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(attrs.ETag) != strings.Trim(aws.ToString(res.ETag), `"`) || aws.ToInt64(attrs.ObjectSize) != int64(len(body)) || attrs.StorageClass != "STANDARD" {
		t.Errorf("attributes = %s %d %s", aws.ToString(attrs.ETag), aws.ToInt64(attrs.ObjectSize), attrs.StorageClass)
	}
	if attrs.Checksum == nil || aws.ToString(attrs.Checksum.ChecksumCRC32) != strings.TrimSuffix(aws.ToString(res.ChecksumCRC32), "-5") {
		t.Errorf("attributes checksum = %+v", attrs.Checksum)
	}
	op := attrs.ObjectParts
	if op == nil || aws.ToInt32(op.TotalPartsCount) != 5 || len(op.Parts) != 2 || !aws.ToBool(op.IsTruncated) || aws.ToString(op.NextPartNumberMarker) != "2" {
		t.Fatalf("ObjectParts = %+v", op)
	}
	if aws.ToInt64(op.Parts[1].Size) != 5*mib || aws.ToString(op.Parts[1].ChecksumCRC32) != b64sum(binaryCRC32(parts[1])) {
		t.Errorf("part = %+v", op.Parts[1])
	}
}

func binaryCRC32(b []byte) []byte {
	h := crc32.NewIEEE()
	h.Write(b)
	return h.Sum(nil)
}

// upload starts an upload and puts parts, returning its id and the parts as
// CompleteMultipartUpload takes them.
func upload(t *testing.T, cl *s3.Client, bucket, key string, in *s3.CreateMultipartUploadInput, parts ...[]byte) (string, []types.CompletedPart) {
	t.Helper()
	ctx := context.Background()
	if in == nil {
		in = &s3.CreateMultipartUploadInput{}
	}
	in.Bucket, in.Key = aws.String(bucket), aws.String(key)
	cr, err := cl.CreateMultipartUpload(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: in.ChecksumAlgorithm})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32,
			ChecksumCRC32C: out.ChecksumCRC32C, ChecksumSHA256: out.ChecksumSHA256, ChecksumSHA1: out.ChecksumSHA1, ChecksumCRC64NVME: out.ChecksumCRC64NVME})
	}
	return aws.ToString(cr.UploadId), done
}

func TestMultipartComplete(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	plain := ts.client(t) // sends no checksums of its own
	bucket := newBucket(t, cl, false)
	p1, p2, p3 := pattern(5*mib, 1), pattern(5*mib, 2), []byte("tail")
	complete := func(key, id string, parts []types.CompletedPart, opts ...func(*s3.CompleteMultipartUploadInput)) (*s3.CompleteMultipartUploadOutput, error) {
		in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
		for _, o := range opts {
			o(in)
		}
		return plain.CompleteMultipartUpload(ctx, in)
	}

	t.Run("no checksum named", func(t *testing.T) {
		id, parts := upload(t, plain, bucket, "plain", nil, p1, p2, p3)
		out, err := complete("plain", id, parts)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ETag) != multipartETag(p1, p2, p3) || aws.ToString(out.Key) != "plain" || aws.ToString(out.Bucket) != bucket ||
			!strings.HasSuffix(aws.ToString(out.Location), "/"+bucket+"/plain") {
			t.Errorf("complete = %+v", out)
		}
		// S3 gives the object the full-object CRC64NVME of its bytes.
		if out.ChecksumType != types.ChecksumTypeFullObject || out.ChecksumCRC64NVME == nil {
			t.Errorf("checksum = %s %v", out.ChecksumType, out.ChecksumCRC64NVME)
		}
		single := putString(t, plain, bucket, "whole", string(p1)+string(p2)+string(p3))
		if aws.ToString(single.ChecksumCRC64NVME) != aws.ToString(out.ChecksumCRC64NVME) {
			t.Errorf("combined CRC64NVME %s != %s", aws.ToString(out.ChecksumCRC64NVME), aws.ToString(single.ChecksumCRC64NVME))
		}
		// Completing twice: the upload is gone.
		_, err = complete("plain", id, parts)
		wantError(t, err, 404, "NoSuchUpload")
		if got := getString(t, cl, bucket, "plain"); got != string(p1)+string(p2)+string(p3) {
			t.Errorf("object of %d bytes", len(got))
		}
	})
	t.Run("full object CRC32", func(t *testing.T) {
		in := &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject}
		id, parts := upload(t, cl, bucket, "full", in, p1, p3)
		whole := append(append([]byte(nil), p1...), p3...)
		out, err := complete("full", id, parts, func(in *s3.CompleteMultipartUploadInput) {
			in.ChecksumCRC32 = aws.String(b64sum(binaryCRC32(whole)))
			in.ChecksumType = types.ChecksumTypeFullObject
			in.MpuObjectSize = aws.Int64(int64(len(whole)))
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ChecksumCRC32) != b64sum(binaryCRC32(whole)) || out.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("checksum = %s %s", aws.ToString(out.ChecksumCRC32), out.ChecksumType)
		}
		g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("full"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(g.Body); err != nil { // validated by the SDK
			t.Fatal(err)
		}
		g.Body.Close()
	})
	t.Run("composite SHA256", func(t *testing.T) {
		in := &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmSha256}
		id, parts := upload(t, cl, bucket, "sha", in, p1, p3)
		out, err := complete("sha", id, parts)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(aws.ToString(out.ChecksumSHA256), "-2") || out.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("checksum = %s %s", aws.ToString(out.ChecksumSHA256), out.ChecksumType)
		}
		// A part without its checksum.
		id, parts = upload(t, cl, bucket, "sha2", in, p1, p3)
		parts[1].ChecksumSHA256 = nil
		_, err = complete("sha2", id, parts)
		wantError(t, err, 400, "InvalidRequest")
	})

	cases := []struct {
		name   string
		parts  func([]types.CompletedPart) []types.CompletedPart
		status int
		code   string
	}{
		{"out of order", func(p []types.CompletedPart) []types.CompletedPart { return []types.CompletedPart{p[1], p[0]} }, 400, "InvalidPartOrder"},
		{"repeated", func(p []types.CompletedPart) []types.CompletedPart { return []types.CompletedPart{p[0], p[0]} }, 400, "InvalidPartOrder"},
		{"wrong etag", func(p []types.CompletedPart) []types.CompletedPart {
			p[0].ETag = aws.String(`"00000000000000000000000000000000"`)
			return p
		}, 400, "InvalidPart"},
		{"missing part", func(p []types.CompletedPart) []types.CompletedPart {
			return append(p, types.CompletedPart{PartNumber: aws.Int32(9), ETag: p[0].ETag})
		}, 400, "InvalidPart"},
		{"small part first", func(p []types.CompletedPart) []types.CompletedPart { return p }, 400, "EntityTooSmall"},
		{"no parts", func(p []types.CompletedPart) []types.CompletedPart { return []types.CompletedPart{} }, 400, "MalformedXML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := [][]byte{p1, p3}
			if c.name == "small part first" {
				parts = [][]byte{p3, p1}
			}
			id, done := upload(t, plain, bucket, "bad", nil, parts...)
			_, err := complete("bad", id, c.parts(done))
			code, status := apiError(err)
			if c.name == "no parts" && code == "InvalidRequest" {
				code = c.code // S3 answers an empty part list with one or the other
			}
			if status != c.status || code != c.code {
				t.Fatalf("error = %v, want %d %s", err, c.status, c.code)
			}
			// Nothing changed: the upload is still there and completes.
			if _, err := plain.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("bad"), UploadId: aws.String(id)}); err != nil {
				t.Errorf("upload gone after a failed complete: %v", err)
			}
			if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("bad")}); err == nil {
				t.Error("object made by a failed complete")
			}
			plain.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("bad"), UploadId: aws.String(id)}) //nolint:errcheck
		})
	}
	t.Run("conditional", func(t *testing.T) {
		putString(t, cl, bucket, "exists", "x")
		id, parts := upload(t, plain, bucket, "exists", nil, p3)
		_, err := complete("exists", id, parts, func(in *s3.CompleteMultipartUploadInput) { in.IfNoneMatch = aws.String("*") })
		wantError(t, err, 412, "PreconditionFailed")
		_, err = complete("exists", id, parts, func(in *s3.CompleteMultipartUploadInput) { in.IfMatch = aws.String(`"nope"`) })
		wantError(t, err, 412, "PreconditionFailed")
		if got := getString(t, cl, bucket, "exists"); got != "x" {
			t.Errorf("object = %q", got)
		}
		id2, parts2 := upload(t, plain, bucket, "fresh", nil, p3)
		if _, err := complete("fresh", id2, parts2, func(in *s3.CompleteMultipartUploadInput) { in.IfNoneMatch = aws.String("*") }); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMultipartParts(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	cr, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ContentType: aws.String("text/csv"), Metadata: map[string]string{"a": "b"},
		Tagging: aws.String("t=v"), StorageClass: types.StorageClassStandardIa})
	if err != nil {
		t.Fatal(err)
	}
	if cr.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 || cr.ChecksumType != types.ChecksumTypeComposite || aws.ToString(cr.Key) != "k" {
		t.Errorf("create = %+v", cr)
	}
	id := cr.UploadId
	for n := 1; n <= 5; n++ {
		_, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: id,
			PartNumber: aws.Int32(int32(n)), Body: strings.NewReader(fmt.Sprint("part ", n)), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
	}
	lp, err := cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: id, MaxParts: aws.Int32(2), PartNumberMarker: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 2 || aws.ToInt32(lp.Parts[0].PartNumber) != 2 || !aws.ToBool(lp.IsTruncated) || aws.ToString(lp.NextPartNumberMarker) != "3" ||
		lp.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 || lp.StorageClass != types.StorageClassStandardIa || lp.Initiator == nil || lp.Owner == nil {
		t.Errorf("ListParts = %+v", lp)
	}
	if aws.ToString(lp.Parts[0].ChecksumCRC32) != b64sum(binaryCRC32([]byte("part 2"))) || aws.ToInt64(lp.Parts[0].Size) != 6 {
		t.Errorf("part = %+v", lp.Parts[0])
	}

	// UploadPart errors.
	cases := []struct {
		name, query string
		header      map[string]string
		status      int
		code        string
	}{
		{"part 0", "partNumber=0&uploadId=" + aws.ToString(id), nil, 400, "InvalidArgument"},
		{"part 10001", "partNumber=10001&uploadId=" + aws.ToString(id), nil, 400, "InvalidArgument"},
		{"no such upload", "partNumber=1&uploadId=nope", nil, 404, "NoSuchUpload"},
		{"wrong algorithm", "partNumber=1&uploadId=" + aws.ToString(id), map[string]string{"X-Amz-Checksum-Sha256": b64sum(make([]byte, 32))}, 400, "InvalidRequest"},
		{"no checksum", "partNumber=1&uploadId=" + aws.ToString(id), nil, 400, "InvalidRequest"},
		{"bad checksum", "partNumber=1&uploadId=" + aws.ToString(id), map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, 400, "BadDigest"},
		{"bad md5", "partNumber=1&uploadId=" + aws.ToString(id), map[string]string{"X-Amz-Checksum-Crc32": b64sum(binaryCRC32([]byte("body"))), "Content-MD5": md5b64([]byte("x"))}, 400, "BadDigest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.raw(t, http.MethodPut, "/"+bucket+"/k?"+c.query, c.header, []byte("body"))
			if r.Status != c.status || r.errorCode() != c.code {
				t.Fatalf("= %d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
		})
	}
	// The refused parts changed nothing: part 1 is still the first one put.
	lp, err = cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: id, MaxParts: aws.Int32(1)})
	if err != nil || len(lp.Parts) != 1 || aws.ToString(lp.Parts[0].ETag) != fmt.Sprintf(`"%x"`, md5.Sum([]byte("part 1"))) {
		t.Errorf("part 1 after refused uploads = %+v %v", lp.Parts, err)
	}
	if r := ts.raw(t, http.MethodPut, "/"+bucket+"/k?partNumber=1&uploadId=nope", nil, []byte("body")); element(r.Body, "UploadId") != "nope" {
		t.Errorf("NoSuchUpload names no UploadId: %s", r.Body)
	}

	// ListMultipartUploads.
	for _, k := range []string{"a/1", "a/2", "b"} {
		if _, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	lu, err := cl.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range lu.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	if strings.Join(keys, ",") != "b,k" || len(lu.CommonPrefixes) != 1 || aws.ToString(lu.CommonPrefixes[0].Prefix) != "a/" {
		t.Errorf("uploads = %v %v", keys, prefixesOf(lu.CommonPrefixes))
	}
	if u := lu.Uploads[1]; u.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 || u.Initiated == nil || u.StorageClass != types.StorageClassStandardIa || u.Owner == nil {
		t.Errorf("upload = %+v", u)
	}
	lu, err = cl.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), MaxUploads: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lu.Uploads) != 2 || !aws.ToBool(lu.IsTruncated) || aws.ToString(lu.NextKeyMarker) != "a/2" {
		t.Fatalf("page = %d truncated %v next %s", len(lu.Uploads), aws.ToBool(lu.IsTruncated), aws.ToString(lu.NextKeyMarker))
	}
	lu, err = cl.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), KeyMarker: lu.NextKeyMarker, UploadIdMarker: lu.NextUploadIdMarker})
	if err != nil {
		t.Fatal(err)
	}
	if len(lu.Uploads) != 2 || aws.ToString(lu.Uploads[0].Key) != "b" {
		t.Errorf("next page = %+v", lu.Uploads)
	}

	// Abort.
	if _, err := cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: id})
	wantError(t, err, 404, "NoSuchUpload")
	_, err = cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: id})
	wantError(t, err, 404, "NoSuchUpload")

	// Bad checksum configurations.
	for _, c := range []struct{ algo, typ, code string }{
		{"MD4", "", "InvalidRequest"},
		{"CRC64NVME", "COMPOSITE", "InvalidRequest"},
		{"SHA256", "FULL_OBJECT", "InvalidRequest"},
		{"", "FULL_OBJECT", "InvalidRequest"},
		{"CRC32", "WHOLE", "InvalidRequest"},
	} {
		h := map[string]string{}
		if c.algo != "" {
			h["X-Amz-Checksum-Algorithm"] = c.algo
		}
		if c.typ != "" {
			h["X-Amz-Checksum-Type"] = c.typ
		}
		r := ts.raw(t, http.MethodPost, "/"+bucket+"/cfg?uploads", h, nil)
		if r.Status != 400 || r.errorCode() != c.code {
			t.Errorf("%s %s = %d %s", c.algo, c.typ, r.Status, r.Body)
		}
	}
}

func TestUploadPartCopy(t *testing.T) {
	t.Parallel()
	ts := startS3(t)
	ctx := context.Background()
	cl := ts.client(t, sdkDefaults)
	bucket := newBucket(t, cl, false)
	src := pattern(6*mib, 9)
	putString(t, cl, bucket, "src", string(src))
	cr, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := cl.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("dst"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(bucket + "/src"), CopySourceRange: aws.String(fmt.Sprintf("bytes=0-%d", 5*mib-1))})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := cl.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("dst"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(2), CopySource: aws.String(bucket + "/src")})
	if err != nil {
		t.Fatal(err)
	}
	if p1.CopyPartResult == nil || p1.CopyPartResult.LastModified == nil || aws.ToString(p1.CopyPartResult.ETag) != fmt.Sprintf(`"%x"`, md5.Sum(src[:5*mib])) {
		t.Errorf("part 1 = %+v", p1.CopyPartResult)
	}
	out, err := cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("dst"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.CopyPartResult.ETag}, {PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ETag) != multipartETag(src[:5*mib], src) {
		t.Errorf("ETag = %s", aws.ToString(out.ETag))
	}
	if got := getString(t, cl, bucket, "dst"); got != string(src[:5*mib])+string(src) {
		t.Errorf("object of %d bytes", len(got))
	}
	cr2, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rng, code string
		status    int
	}{
		{"bytes=0", "InvalidArgument", 400},
		{"bytes=5-2", "InvalidArgument", 400},
		{"bytes=0-99999999", "InvalidArgument", 400},
		{fmt.Sprintf("bytes=%d-%d", 6*mib, 6*mib+1), "InvalidRequest", 400},
	} {
		r := ts.raw(t, http.MethodPut, "/"+bucket+"/dst?partNumber=3&uploadId="+aws.ToString(cr2.UploadId),
			map[string]string{"X-Amz-Copy-Source": bucket + "/src", "X-Amz-Copy-Source-Range": c.rng}, nil)
		if r.Status != c.status || r.errorCode() != c.code {
			t.Errorf("%s = %d %s", c.rng, r.Status, r.Body)
		}
	}
}
