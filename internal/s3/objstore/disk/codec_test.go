package disk

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

func sampleObject() objstore.Object {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	return objstore.Object{
		Key: "k", VersionID: "0123456789abcdefghijABCDEFGHIJ-_", Seq: 1 << 40, LastModified: t0,
		Size: 12345, ETag: "d41d8cd98f00b204e9800998ecf8427e-2",
		ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: "inline", ContentLanguage: "en",
		CacheControl: "no-cache", Expires: "never", WebsiteRedirect: "/x", StorageClass: "GLACIER",
		Metadata:          map[string]string{"a": "1", "b": ""},
		Tags:              []objstore.Tag{{Key: "z", Value: "26"}, {Key: "a", Value: "1"}},
		ChecksumAlgorithm: "CRC32C", Checksum: "AAAAAA==-2", ChecksumType: "COMPOSITE",
		Parts: []objstore.Part{
			{Number: 1, Size: 5 << 20, ETag: "e1", Checksum: "c1", LastModified: t0, Data: objstore.Data{Ref: "00000001-000000000000000000000001", Size: 5 << 20}},
			{Number: 3, Size: 7, ETag: "e3", LastModified: t0.Add(time.Second), Data: objstore.Data{Inline: []byte("1234567"), Size: 7}},
		},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for _, o := range []objstore.Object{
		sampleObject(),
		{Key: "k", VersionID: "null", DeleteMarker: true, Seq: 1, LastModified: time.Unix(0, 1).UTC()},
		{Key: "k", Data: objstore.Data{Inline: bytes.Repeat([]byte{0, 1, 2}, 1000), Size: 3000}},
		{Key: "k"},
	} {
		got, err := decodeObject(o.Key, encodeObject(&o), decodeAll)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, o) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, o)
		}
		meta, err := decodeObject(o.Key, encodeObject(&o), decodeMeta)
		if err != nil {
			t.Fatal(err)
		}
		want := o
		want.Parts, want.Data = nil, objstore.Data{}
		if !reflect.DeepEqual(meta, want) {
			t.Fatalf("metadata only:\n got %+v\nwant %+v", meta, want)
		}
		if isDeleteMarker(encodeObject(&o)) != o.DeleteMarker {
			t.Fatal("isDeleteMarker disagrees")
		}
	}
	p := sampleObject().Parts[0]
	got, err := decodePart(encodePart(&p))
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("part round trip: %+v, %v", got, err)
	}
}

func FuzzDecodeObject(f *testing.F) {
	o := sampleObject()
	f.Add(encodeObject(&o))
	p := o.Parts[1]
	f.Add(encodePart(&p))
	f.Add([]byte{recordFormat, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mode := range []decodeMode{decodeAll, decodeRefs, decodeMeta} {
			o, err := decodeObject("k", b, mode)
			if err != nil || mode != decodeAll {
				continue
			}
			// What decodes re-encodes to a record that decodes the same.
			again, err := decodeObject("k", encodeObject(&o), decodeAll)
			if err != nil || !reflect.DeepEqual(again, o) {
				t.Fatalf("re-encoding %+v: %+v, %v", o, again, err)
			}
		}
		if p, err := decodePart(b); err == nil {
			if again, err := decodePart(encodePart(&p)); err != nil || !reflect.DeepEqual(again, p) {
				t.Fatalf("re-encoding part %+v: %+v, %v", p, again, err)
			}
		}
	})
}

// BenchmarkCodec compares the record encoding with JSON for a 4 KiB inline
// object, the record every small Put encodes and every Get decodes.
func BenchmarkCodec(b *testing.B) {
	o := sampleObject()
	o.Parts = nil
	o.Data = objstore.Data{Inline: bytes.Repeat([]byte("x"), 4<<10), Size: 4 << 10}
	bin := encodeObject(&o)
	js, _ := json.Marshal(&o)
	b.Run("binary/encode", func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		for b.Loop() {
			encodeObject(&o)
		}
	})
	b.Run("binary/decode", func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		for b.Loop() {
			if _, err := decodeObject("k", bin, decodeAll); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json/encode", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		for b.Loop() {
			json.Marshal(&o)
		}
	})
	b.Run("json/decode", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		for b.Loop() {
			var x objstore.Object
			if err := json.Unmarshal(js, &x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Logf("record %d bytes, JSON %d bytes", len(bin), len(js))
}
