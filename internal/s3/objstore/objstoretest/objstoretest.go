// Package objstoretest is the executable form of the objstore.Store contract:
// every implementation's test calls Run with a function that opens an empty
// store.
//
//	func TestStore(t *testing.T) {
//		objstoretest.Run(t, func(t *testing.T) objstore.Store { return open(t) })
//	}
//
// Run sees a store only through the interface. What only an implementation can
// check (files on disk, reopening after a crash) is left to its own tests.
package objstoretest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// Run runs the suite. open returns a new, empty store for one subtest and
// arranges (with t.Cleanup) for it to be closed; subtests may run in parallel.
func Run(t *testing.T, open func(t *testing.T) objstore.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Buckets", bucketTests},
		{"Versioning", versioningTests},
		{"Condition", conditionTests},
		{"Events", eventTests},
		{"List", listTests},
		{"ListVersions", listVersionTests},
		{"Multipart", multipartTests},
		{"Data", dataTests},
		{"Objects", objectTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, &harness{t: t, s: open(t), ctx: context.Background()})
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, h *harness)
}

// harness wraps a store with the calls tests make over and over; each fails
// the test on an unexpected error.
type harness struct {
	t   *testing.T
	s   objstore.Store
	ctx context.Context
}

// bucket creates a bucket in the given versioning state (reached the way S3
// reaches it: Suspended passes through Enabled).
func (h *harness) bucket(name, versioning string) {
	h.t.Helper()
	if err := h.s.CreateBucket(h.ctx, objstore.Bucket{Name: name, Region: "us-east-1", Created: time.Now()}); err != nil {
		h.t.Fatalf("CreateBucket %s: %v", name, err)
	}
	switch versioning {
	case "":
	case objstore.VersioningSuspended:
		h.setVersioning(name, objstore.VersioningEnabled)
		h.setVersioning(name, objstore.VersioningSuspended)
	default:
		h.setVersioning(name, versioning)
	}
}

func (h *harness) setVersioning(name, v string) {
	h.t.Helper()
	err := h.s.UpdateBucket(h.ctx, name, func(b *objstore.Bucket) error {
		b.Versioning = v
		return nil
	})
	if err != nil {
		h.t.Fatalf("versioning %s of %s: %v", v, name, err)
	}
}

// data commits body as new data.
func (h *harness) data(body []byte) objstore.Data {
	h.t.Helper()
	d, err := writeData(h.ctx, h.s, body)
	if err != nil {
		h.t.Fatalf("data: %v", err)
	}
	return d
}

func writeData(ctx context.Context, s objstore.Store, body []byte) (objstore.Data, error) {
	w, err := s.NewData(ctx)
	if err != nil {
		return objstore.Data{}, err
	}
	// Several writes, as a body copied from a request arrives.
	for p := body; len(p) > 0; {
		n := min(len(p), 7919)
		if _, err := w.Write(p[:n]); err != nil {
			w.Abort()
			return objstore.Data{}, err
		}
		p = p[n:]
	}
	return w.Commit()
}

func etag(body []byte) string {
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

// object is what the service would put for body under key.
func (h *harness) object(key string, body []byte) objstore.Object {
	h.t.Helper()
	return objstore.Object{Key: key, Size: int64(len(body)), ETag: etag(body), ContentType: "text/plain", Data: h.data(body)}
}

// put puts body under key and returns the stored version.
func (h *harness) put(bucket, key, body string) objstore.Object {
	h.t.Helper()
	o, err := h.s.Put(h.ctx, bucket, h.object(key, []byte(body)), objstore.Condition{}, nil)
	if err != nil {
		h.t.Fatalf("Put %s/%s: %v", bucket, key, err)
	}
	return o
}

// del deletes key (versionID "" for the latest) and returns what it did.
func (h *harness) del(bucket, key, versionID string) objstore.Change {
	h.t.Helper()
	c, err := h.s.Delete(h.ctx, bucket, key, versionID, objstore.Condition{}, nil)
	if err != nil {
		h.t.Fatalf("Delete %s/%s %s: %v", bucket, key, versionID, err)
	}
	return c
}

func (h *harness) get(bucket, key, versionID string) objstore.Object {
	h.t.Helper()
	o, err := h.s.Get(h.ctx, bucket, key, versionID)
	if err != nil {
		h.t.Fatalf("Get %s/%s %q: %v", bucket, key, versionID, err)
	}
	return o
}

// body reads every segment of o.
func (h *harness) body(o objstore.Object) string {
	h.t.Helper()
	var buf bytes.Buffer
	for _, d := range o.Segments() {
		buf.Write(h.read(d, 0))
	}
	return buf.String()
}

func (h *harness) read(d objstore.Data, off int64) []byte {
	h.t.Helper()
	r, err := h.s.OpenData(h.ctx, d, off)
	if err != nil {
		h.t.Fatalf("OpenData at %d: %v", off, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		h.t.Fatalf("read data: %v", err)
	}
	return b
}

// versions returns every version of key, newest first, walking pages of one.
func (h *harness) versions(bucket, key string) []objstore.Object {
	h.t.Helper()
	var out []objstore.Object
	q := objstore.ListQuery{Prefix: key, MaxKeys: 1}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			h.t.Fatalf("versions of %s: listing does not end", key)
		}
		p, err := h.s.ListVersions(h.ctx, bucket, q)
		if err != nil {
			h.t.Fatalf("ListVersions %s: %v", key, err)
		}
		for _, o := range p.Objects {
			if o.Key == key {
				out = append(out, o)
			}
		}
		if !p.Truncated {
			return out
		}
		q.After, q.AfterVersion = p.NextKey, p.NextVersion
	}
}

// ids returns the version ids of vs, marking delete markers with a "DM:" and
// the latest with a "*".
func ids(vs []objstore.Object) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		s := v.VersionID
		if v.DeleteMarker {
			s = "DM:" + s
		}
		if v.IsLatest {
			s += "*"
		}
		out[i] = s
	}
	return out
}

// wantErr fails unless err matches target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
