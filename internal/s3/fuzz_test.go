package s3

import (
	"bytes"
	"encoding/base64"
	"hash/crc32"
	"hash/crc64"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Fuzz targets for every decoder of client input: the request documents, the
// Range and copy-source headers, the tagging header and the checksum combiner.
// None may panic; each checks what its decoder promises.

func FuzzCompleteMultipartUpload(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"0cc175b9c0f1b6a831c399e269772661"</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>x</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-5</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<Other/>`))
	stored := map[int]objstore.Part{
		1: {Number: 1, Size: 5 << 20, ETag: "0cc175b9c0f1b6a831c399e269772661", Checksum: "AAAAAA=="},
		2: {Number: 2, Size: 3, ETag: "92eb5ffee6ae2fec3ad71c777531578f", Checksum: "AAAAAQ=="},
	}
	uploads := []objstore.Upload{
		{ID: "u", Key: "k"},
		{ID: "u", Key: "k", Object: objstore.Object{ChecksumAlgorithm: algoCRC32, ChecksumType: typeComposite}},
		{ID: "u", Key: "k", Object: objstore.Object{ChecksumAlgorithm: algoCRC32, ChecksumType: typeFullObject}},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseComplete(body)
		if err != nil {
			return
		}
		if len(parts) > maxParts {
			t.Fatalf("%d parts accepted", len(parts))
		}
		for _, u := range uploads {
			o, err := assemble(&u, parts, stored)
			if err != nil || len(parts) == 0 {
				continue
			}
			if len(o.Parts) != len(parts) || !strings.HasSuffix(o.ETag, "-"+itoa(len(parts))) || o.Checksum == "" {
				t.Fatalf("assembled %+v from %+v", o, parts)
			}
			for i := 1; i < len(parts); i++ {
				if parts[i].PartNumber <= parts[i-1].PartNumber {
					t.Fatal("parts out of order accepted")
				}
			}
		}
	})
}

func FuzzDeleteObjects(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete><Object></Object></Delete>`))
	f.Add([]byte(`<Delete><Quiet>maybe</Quiet><Object><Key></Key></Object></Delete>`))
	f.Add([]byte(`<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>&lt;&amp;</Key></Object></Delete>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := parseDelete(body)
		if err != nil {
			return
		}
		if len(d.Objects) == 0 || len(d.Objects) > maxDeleteKeys {
			t.Fatalf("%d objects accepted", len(d.Objects))
		}
		for _, o := range d.Objects {
			if o.Key == nil {
				t.Fatal("object without a key accepted")
			}
			_ = checkKey(*o.Key)
		}
	})
}

func FuzzTagging(f *testing.F) {
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>`), "a=1&b=2")
	f.Add([]byte(`<Tagging><TagSet></TagSet></Tagging>`), "")
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>aws:x</Key><Value></Value></Tag><Tag><Key>aws:x</Key><Value></Value></Tag></TagSet></Tagging>`), "a=%zz")
	f.Add([]byte(`<Tagging/>`), "k=v&k=w")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		if tags, err := parseTagging(body); err == nil {
			if validateTags(tags, false) == nil {
				checkTags(t, tags, maxObjectTags)
				// What is accepted round-trips through the document S3 keeps.
				back, err := parseTagging(encodeTagging(tags))
				if err != nil || len(back) != len(tags) {
					t.Fatalf("round trip: %v %v", back, err)
				}
				for i := range tags {
					if back[i] != tags[i] {
						t.Fatalf("round trip changed %+v to %+v", tags[i], back[i])
					}
				}
			}
			_ = validateTags(tags, true)
		}
		if tags, err := parseTaggingHeader(header); err == nil {
			checkTags(t, tags, maxObjectTags)
		}
	})
}

func checkTags(t *testing.T, tags []objstore.Tag, max int) {
	t.Helper()
	if len(tags) > max {
		t.Fatalf("%d tags accepted", len(tags))
	}
	seen := map[string]bool{}
	for _, tag := range tags {
		if seen[tag.Key] || tag.Key == "" || utf8.RuneCountInString(tag.Key) > maxTagKeyLen ||
			utf8.RuneCountInString(tag.Value) > maxTagValueLen || strings.HasPrefix(tag.Key, "aws:") {
			t.Fatalf("tag %+v accepted", tag)
		}
		seen[tag.Key] = true
	}
}

func FuzzRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=5-", "bytes=-5", "bytes=0-1,2-3", "bytes=9-2", "bytes=-0", "bytes=",
		"bytes=99999999999999999999-", "bytes=0-99999999999999999999", "items=1-2", "=", "bytes=--1"} {
		f.Add(s, int64(10))
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 { // math.MinInt64
			size = 0
		}
		r, ok, err := parseRange(header, size)
		if err != nil {
			if ae := asError(err); ae == nil || ae.Code != "InvalidRange" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if ok && (r.start < 0 || r.length < 1 || r.start+r.length > size) {
			t.Fatalf("%q on %d bytes: %+v", header, size, r)
		}
		if cr, err := parseCopyRange(header, size); err == nil && (cr.start < 0 || cr.length < 1 || cr.start+cr.length > size) {
			t.Fatalf("copy range %q on %d bytes: %+v", header, size, cr)
		}
	})
}

func FuzzCopySource(f *testing.F) {
	for _, s := range []string{"b/k", "/b/k?versionId=v", "b%2Fk", "b/a%20b+c", "b/k?versionId=", "/", "b/%zz", "b/k?x=%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		src, err := parseCopySource(v)
		if err != nil {
			return
		}
		if src.bucket == "" || src.key == "" || strings.Contains(src.bucket, "/") || checkKey(src.key) != nil {
			t.Fatalf("%q gave %+v", v, src)
		}
	})
}

// FuzzChecksumCombine checks that combining the CRCs of two parts gives the CRC
// of their concatenation, for each CRC S3 combines.
func FuzzChecksumCombine(f *testing.F) {
	f.Add([]byte("hello "), []byte("world"))
	f.Add([]byte{}, []byte("x"))
	f.Add(bytes.Repeat([]byte{0xff}, 1000), []byte{0})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, algo := range []string{algoCRC32, algoCRC32C, algoCRC64NVME} {
			sum := func(p []byte) string {
				h := newChecksum(algo)
				h.Write(p)
				return base64.StdEncoding.EncodeToString(h.Sum(nil))
			}
			whole := sum(append(append([]byte(nil), a...), b...))
			if got := fullObjectCRC(algo, []string{sum(a), sum(b)}, []int64{int64(len(a)), int64(len(b))}); got != whole {
				t.Fatalf("%s: combined %s, whole %s", algo, got, whole)
			}
		}
	})
}

func TestChecksumKnownValues(t *testing.T) {
	// The check values of the three CRCs, over "123456789".
	check := []byte("123456789")
	if got := crc32.Checksum(check, castagnoli); got != 0xe3069283 {
		t.Errorf("CRC32C = %#x", got)
	}
	if got := crc64.Checksum(check, crc64NVMETab); got != 0xae8b14860a799888 {
		t.Errorf("CRC64NVME = %#x", got)
	}
	big := bytes.Repeat([]byte("0123456789"), 1<<20)
	parts := [][]byte{big[:5<<20], big[5<<20 : 9<<20], big[9<<20:]}
	for _, algo := range []string{algoCRC32, algoCRC32C, algoCRC64NVME} {
		var sums []string
		var sizes []int64
		for _, p := range parts {
			h := newChecksum(algo)
			h.Write(p)
			sums = append(sums, base64.StdEncoding.EncodeToString(h.Sum(nil)))
			sizes = append(sizes, int64(len(p)))
		}
		h := newChecksum(algo)
		h.Write(big)
		if got, want := fullObjectCRC(algo, sums, sizes), base64.StdEncoding.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s of 3 parts = %s, want %s", algo, got, want)
		}
	}
}

func TestPresignedClock(t *testing.T) {
	// checkPresigned compares against the service's clock only.
	s := &Service{Now: func() time.Time { return time.Date(2024, 1, 1, 0, 1, 1, 0, time.UTC) }}
	c := &call{q: map[string][]string{"X-Amz-Algorithm": {"AWS4-HMAC-SHA256"}, "X-Amz-Date": {"20240101T000000Z"}, "X-Amz-Expires": {"60"}}}
	if err := s.checkPresigned(c); err == nil {
		t.Fatal("expired URL accepted")
	}
	c.q["X-Amz-Expires"] = []string{"62"}
	if err := s.checkPresigned(c); err != nil {
		t.Fatalf("live URL refused: %v", err)
	}
}
