package objstoretest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

var bucketTests = []test{
	{"CreateTwice", testCreateTwice},
	{"ConfigRoundTrip", testBucketConfig},
	{"UpdateError", testUpdateBucketError},
	{"NoSuchBucket", testNoSuchBucket},
	{"Sorted", testBucketsSorted},
	{"DeleteNotEmpty", testDeleteNotEmpty},
	{"DeleteAndRecreate", testDeleteRecreate},
}

func testCreateTwice(t *testing.T, h *harness) {
	h.bucket("b", "")
	err := h.s.CreateBucket(h.ctx, objstore.Bucket{Name: "b"})
	wantErr(t, "second CreateBucket", err, objstore.ErrBucketExists)
}

func testBucketConfig(t *testing.T, h *harness) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	in := objstore.Bucket{
		Name: "cfg", Region: "eu-west-1", Created: created,
		Config: map[string][]byte{objstore.ConfigTagging: []byte("<Tagging/>"), objstore.ConfigPolicy: []byte(`{"Version":"2012-10-17"}`)},
	}
	must(t, "CreateBucket", h.s.CreateBucket(h.ctx, in))
	got, err := h.s.Bucket(h.ctx, "cfg")
	must(t, "Bucket", err)
	if got.Name != "cfg" || got.Region != "eu-west-1" || !got.Created.Equal(created) || got.Versioning != "" {
		t.Fatalf("Bucket = %+v", got)
	}
	if len(got.Config) != 2 || !bytes.Equal(got.Config[objstore.ConfigTagging], []byte("<Tagging/>")) ||
		!bytes.Equal(got.Config[objstore.ConfigPolicy], in.Config[objstore.ConfigPolicy]) {
		t.Fatalf("Config = %q", got.Config)
	}

	err = h.s.UpdateBucket(h.ctx, "cfg", func(b *objstore.Bucket) error {
		delete(b.Config, objstore.ConfigPolicy)
		b.Config[objstore.ConfigCORS] = []byte("<CORSConfiguration/>")
		b.Versioning = objstore.VersioningEnabled
		return nil
	})
	must(t, "UpdateBucket", err)
	got, err = h.s.Bucket(h.ctx, "cfg")
	must(t, "Bucket", err)
	if got.Versioning != objstore.VersioningEnabled || len(got.Config) != 2 ||
		got.Config[objstore.ConfigPolicy] != nil || string(got.Config[objstore.ConfigCORS]) != "<CORSConfiguration/>" ||
		got.Region != "eu-west-1" || !got.Created.Equal(created) {
		t.Fatalf("after UpdateBucket: %+v", got)
	}
	h.setVersioning("cfg", objstore.VersioningSuspended)
	if got, _ := h.s.Bucket(h.ctx, "cfg"); got.Versioning != objstore.VersioningSuspended {
		t.Fatalf("Versioning = %q, want Suspended", got.Versioning)
	}
}

func testUpdateBucketError(t *testing.T, h *harness) {
	h.bucket("b", "")
	boom := errors.New("boom")
	err := h.s.UpdateBucket(h.ctx, "b", func(b *objstore.Bucket) error {
		b.Versioning = objstore.VersioningEnabled
		b.Region = "changed"
		return boom
	})
	if err != boom && !errors.Is(err, boom) {
		t.Fatalf("UpdateBucket error = %v, want fn's", err)
	}
	got, err := h.s.Bucket(h.ctx, "b")
	must(t, "Bucket", err)
	if got.Versioning != "" || got.Region != "us-east-1" {
		t.Fatalf("failed update changed the bucket: %+v", got)
	}
	err = h.s.UpdateBucket(h.ctx, "nope", func(*objstore.Bucket) error { return nil })
	wantErr(t, "UpdateBucket of missing bucket", err, objstore.ErrNoSuchBucket)
}

func testNoSuchBucket(t *testing.T, h *harness) {
	ctx, s, q := h.ctx, h.s, objstore.ListQuery{MaxKeys: 10}
	none := "missing"
	calls := map[string]func() error{
		"Bucket":       func() error { _, err := s.Bucket(ctx, none); return err },
		"DeleteBucket": func() error { return s.DeleteBucket(ctx, none) },
		"Put": func() error {
			_, err := s.Put(ctx, none, objstore.Object{Key: "k"}, objstore.Condition{}, nil)
			return err
		},
		"Get":          func() error { _, err := s.Get(ctx, none, "k", ""); return err },
		"Delete":       func() error { _, err := s.Delete(ctx, none, "k", "", objstore.Condition{}, nil); return err },
		"UpdateTags":   func() error { _, err := s.UpdateTags(ctx, none, "k", "", nil, nil); return err },
		"List":         func() error { _, err := s.List(ctx, none, q); return err },
		"ListVersions": func() error { _, err := s.ListVersions(ctx, none, q); return err },
		"CreateUpload": func() error { _, err := s.CreateUpload(ctx, none, objstore.Upload{Key: "k"}); return err },
		"Upload":       func() error { _, err := s.Upload(ctx, none, "k", "u"); return err },
		"PutPart":      func() error { return s.PutPart(ctx, none, "k", "u", objstore.Part{Number: 1}) },
		"Parts":        func() error { _, _, err := s.Parts(ctx, none, "k", "u", 0, 10); return err },
		"CompleteUpload": func() error {
			_, err := s.CompleteUpload(ctx, none, "k", "u", objstore.Object{}, objstore.Condition{}, nil)
			return err
		},
		"AbortUpload": func() error { return s.AbortUpload(ctx, none, "k", "u") },
		"Uploads":     func() error { _, err := s.Uploads(ctx, none, objstore.UploadQuery{MaxUploads: 10}); return err },
	}
	for name, call := range calls {
		wantErr(t, name, call(), objstore.ErrNoSuchBucket)
	}
}

func testBucketsSorted(t *testing.T, h *harness) {
	if bs, err := h.s.Buckets(h.ctx); err != nil || len(bs) != 0 {
		t.Fatalf("Buckets of an empty store = %v, %v", bs, err)
	}
	for _, n := range []string{"zeta", "alpha", "b-2", "b", "alpha.1", "a9"} {
		h.bucket(n, "")
	}
	bs, err := h.s.Buckets(h.ctx)
	must(t, "Buckets", err)
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
	}
	want := []string{"a9", "alpha", "alpha.1", "b", "b-2", "zeta"}
	if !slices.Equal(names, want) {
		t.Fatalf("Buckets = %q, want %q", names, want)
	}
}

func testDeleteNotEmpty(t *testing.T, h *harness) {
	// An object.
	h.bucket("obj", "")
	h.put("obj", "k", "v")
	wantErr(t, "DeleteBucket with an object", h.s.DeleteBucket(h.ctx, "obj"), objstore.ErrBucketNotEmpty)
	h.del("obj", "k", "")
	must(t, "DeleteBucket emptied", h.s.DeleteBucket(h.ctx, "obj"))

	// A delete marker only.
	h.bucket("dm", objstore.VersioningEnabled)
	v := h.put("dm", "k", "v")
	h.del("dm", "k", "")
	h.del("dm", "k", v.VersionID)
	if vs := h.versions("dm", "k"); len(vs) != 1 || !vs[0].DeleteMarker {
		t.Fatalf("versions = %v, want one delete marker", ids(vs))
	}
	wantErr(t, "DeleteBucket with a delete marker", h.s.DeleteBucket(h.ctx, "dm"), objstore.ErrBucketNotEmpty)

	// An old version behind a delete marker, then the old version alone.
	h.bucket("old", objstore.VersioningEnabled)
	h.put("old", "k", "v")
	dm := h.del("old", "k", "")
	wantErr(t, "DeleteBucket with an old version", h.s.DeleteBucket(h.ctx, "old"), objstore.ErrBucketNotEmpty)
	h.del("old", "k", dm.Object.VersionID)
	wantErr(t, "DeleteBucket with a version", h.s.DeleteBucket(h.ctx, "old"), objstore.ErrBucketNotEmpty)

	// An upload only.
	h.bucket("up", "")
	u, err := h.s.CreateUpload(h.ctx, "up", objstore.Upload{Key: "k"})
	must(t, "CreateUpload", err)
	wantErr(t, "DeleteBucket with an upload", h.s.DeleteBucket(h.ctx, "up"), objstore.ErrBucketNotEmpty)
	must(t, "AbortUpload", h.s.AbortUpload(h.ctx, "up", "k", u.ID))
	must(t, "DeleteBucket", h.s.DeleteBucket(h.ctx, "up"))
	_, err = h.s.Bucket(h.ctx, "up")
	wantErr(t, "Bucket after delete", err, objstore.ErrNoSuchBucket)
}

func testDeleteRecreate(t *testing.T, h *harness) {
	h.bucket("b", objstore.VersioningEnabled)
	o := h.put("b", "k", "v")
	h.del("b", "k", o.VersionID)
	must(t, "DeleteBucket", h.s.DeleteBucket(h.ctx, "b"))
	h.bucket("b", "")
	b, err := h.s.Bucket(h.ctx, "b")
	must(t, "Bucket", err)
	if b.Versioning != "" {
		t.Fatalf("recreated bucket kept versioning %q", b.Versioning)
	}
	p, err := h.s.ListVersions(h.ctx, "b", objstore.ListQuery{MaxKeys: 10})
	must(t, "ListVersions", err)
	if len(p.Objects) != 0 || p.Truncated {
		t.Fatalf("recreated bucket lists %v", ids(p.Objects))
	}
}
