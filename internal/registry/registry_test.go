package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stratus-run/stratus/internal/blob"
	"github.com/stratus-run/stratus/internal/store"
)

// env is a Registry on a real JetStream store in dir, served by httptest.
type env struct {
	t   *testing.T
	dir string
	st  *store.Store
	reg *Registry
	srv *httptest.Server
}

func openEnv(t *testing.T, dir string) *env {
	t.Helper()
	st := &store.Store{Dir: filepath.Join(dir, "js")}
	if err := st.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	bs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	reg := &Registry{Store: st, Blobs: bs, Dir: dir, CreateOnPush: true, Anonymous: true, GCInterval: time.Hour}
	if err := reg.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, st: st, reg: reg, srv: httptest.NewServer(reg)}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	e.reg.Close(context.Background())
	e.st.Close(context.Background())
	e.srv = nil
}

func (e *env) do(method, path string, body []byte, hdr ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (e *env) pushBlob(repo string, b []byte) digest.Digest {
	e.t.Helper()
	d := digest.FromBytes(b)
	if resp := e.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+d.String(), b); resp.StatusCode != 201 {
		e.t.Fatalf("push blob: %s", resp.Status)
	}
	return d
}

func (e *env) pushImage(repo, tag string, layers ...[]byte) digest.Digest {
	e.t.Helper()
	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: e.pushBlob(repo, cfg), Size: int64(len(cfg))}}
	m.SchemaVersion = 2
	for _, l := range layers {
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: e.pushBlob(repo, l), Size: int64(len(l))})
	}
	body, _ := json.Marshal(m)
	resp := e.do("PUT", "/v2/"+repo+"/manifests/"+tag, body, "Content-Type", ocispec.MediaTypeImageManifest)
	if resp.StatusCode != 201 {
		e.t.Fatalf("push manifest: %s", resp.Status)
	}
	return digest.FromBytes(body)
}

// TestUploadResumesAfterRestart: chunks a client was told were accepted
// survive a restart; the session reports them and the upload completes.
func TestUploadResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	e := openEnv(t, dir)
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	resp := e.do("POST", "/v2/app/web/blobs/uploads/", nil)
	if resp.StatusCode != 202 {
		t.Fatalf("start: %s", resp.Status)
	}
	loc := resp.Header.Get("Location")
	half := len(data) / 2
	if resp := e.do("PATCH", loc, data[:half], "Content-Range", fmt.Sprintf("0-%d", half-1)); resp.StatusCode != 202 {
		t.Fatalf("patch: %s", resp.Status)
	}
	// A write the server never acknowledged: bytes past the saved size, as a
	// crash mid-chunk leaves them. They must not end up in the blob.
	f, err := os.OpenFile(filepath.Join(dir, "uploads", filepath.Base(loc)), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("garbage"))
	f.Close()
	e.close()

	e = openEnv(t, dir)
	resp = e.do("GET", loc, nil)
	if resp.StatusCode != 204 || resp.Header.Get("Range") != fmt.Sprintf("0-%d", half-1) {
		t.Fatalf("status after restart: %s Range %q", resp.Status, resp.Header.Get("Range"))
	}
	// A chunk that does not start at the session's end is 416.
	if resp := e.do("PATCH", loc, data[half+1:], "Content-Range", fmt.Sprintf("%d-%d", half+1, len(data)-1)); resp.StatusCode != 416 {
		t.Fatalf("out-of-order chunk: %s, want 416", resp.Status)
	}
	d := digest.FromBytes(data)
	resp = e.do("PUT", loc+"?digest="+d.String(), data[half:], "Content-Range", fmt.Sprintf("%d-%d", half, len(data)-1))
	if resp.StatusCode != 201 {
		t.Fatalf("finish: %s", resp.Status)
	}
	got, err := http.Get(e.srv.URL + "/v2/app/web/blobs/" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(b, data) {
		t.Fatalf("blob after resume: %d bytes, want %d", len(b), len(data))
	}
}

// TestWrongDigestStoresNothing: an upload whose bytes do not match its digest
// fails with DIGEST_INVALID, on every path, and leaves nothing in the blob
// store under either digest.
func TestWrongDigestStoresNothing(t *testing.T) {
	e := openEnv(t, t.TempDir())
	data := []byte("the real content")
	claimed := digest.FromString("something else")
	check := func(resp *http.Response) {
		t.Helper()
		if resp.StatusCode != 400 {
			t.Fatalf("wrong digest: %s, want 400", resp.Status)
		}
		if _, err := e.reg.Blobs.Stat(digest.FromBytes(data).Encoded()); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("content stored despite a wrong digest: %v", err)
		}
		if r := e.do("HEAD", "/v2/app/blobs/"+claimed.String(), nil); r.StatusCode != 404 {
			t.Fatalf("claimed digest: %s, want 404", r.Status)
		}
	}
	check(e.do("POST", "/v2/app/blobs/uploads/?digest="+claimed.String(), data))
	loc := e.do("POST", "/v2/app/blobs/uploads/", nil).Header.Get("Location")
	check(e.do("PUT", loc+"?digest="+claimed.String(), data))
	loc = e.do("POST", "/v2/app/blobs/uploads/", nil).Header.Get("Location")
	e.do("PATCH", loc, data)
	check(e.do("PUT", loc+"?digest="+claimed.String(), nil))
	// The failed session is over.
	if r := e.do("GET", loc, nil); r.StatusCode != 404 {
		t.Fatalf("session after a wrong digest: %s, want 404", r.Status)
	}
}

// TestGCKeepsSharedBlobs: deleting one of two images that share a layer frees
// only what the other does not use.
func TestGCKeepsSharedBlobs(t *testing.T) {
	e := openEnv(t, t.TempDir())
	e.reg.GCGrace = time.Nanosecond
	ctx := context.Background()
	shared, onlyA, onlyB := []byte("shared layer"), []byte("layer of a"), []byte("layer of b")
	a := e.pushImage("app", "a", shared, onlyA)
	e.pushImage("other/app", "b", shared, onlyB)
	if _, fails, err := e.reg.BatchDeleteImage(ctx, "app", []ImageID{{Digest: a.String()}}); err != nil || len(fails) > 0 {
		t.Fatalf("delete: %v %v", err, fails)
	}
	time.Sleep(time.Millisecond)
	// The delete kicked a background run too; this one makes sure one has
	// finished.
	if _, err := e.reg.GC(ctx); err != nil {
		t.Fatal(err)
	}
	stored := func(b []byte) bool {
		_, err := e.reg.Blobs.Stat(digest.FromBytes(b).Encoded())
		return err == nil
	}
	if !stored(shared) || !stored(onlyB) {
		t.Fatal("GC freed a blob another image uses")
	}
	if stored(onlyA) {
		t.Fatal("GC kept a blob no manifest uses")
	}
	// The deleted image's manifest body is gone too.
	if _, err := e.reg.Blobs.Stat(a.Encoded()); err == nil {
		t.Fatal("GC kept the deleted manifest's body")
	}
	if r := e.do("HEAD", "/v2/app/blobs/"+digest.FromBytes(onlyA).String(), nil); r.StatusCode != 404 {
		t.Fatalf("freed blob still linked: %s", r.Status)
	}
}

// TestGCGraceProtectsPushInProgress: layers pushed for a manifest not yet put
// survive GC within the grace period.
func TestGCGraceProtectsPushInProgress(t *testing.T) {
	e := openEnv(t, t.TempDir())
	layer := []byte("uploaded, manifest to come")
	e.pushBlob("app", layer)
	if _, err := e.reg.GC(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.Blobs.Stat(digest.FromBytes(layer).Encoded()); err != nil {
		t.Fatalf("GC freed a blob within its grace: %v", err)
	}
}

// TestImmutableTags: in an IMMUTABLE repository a tag cannot move, and the
// Go API's error is the one ECR maps to ImageTagAlreadyExistsException.
func TestImmutableTags(t *testing.T) {
	e := openEnv(t, t.TempDir())
	ctx := context.Background()
	if _, err := e.reg.CreateRepository(ctx, "locked", Immutable); err != nil {
		t.Fatal(err)
	}
	e.pushImage("locked", "v1", []byte("one"))
	cfg := []byte(`{"architecture":"arm64","os":"linux"}`)
	m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[]}`,
		ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageConfig, e.pushBlob("locked", cfg), len(cfg))
	resp := e.do("PUT", "/v2/locked/manifests/v1", []byte(m), "Content-Type", ocispec.MediaTypeImageManifest)
	if resp.StatusCode != 400 {
		t.Fatalf("moving an immutable tag: %s, want 400", resp.Status)
	}
	_, err := e.reg.putManifest(ctx, "locked", digest.FromString(m), ocispec.MediaTypeImageManifest, []byte(m), []string{"v1"})
	if !errors.Is(err, ErrImageTagAlreadyExists) {
		t.Fatalf("putManifest: %v, want ErrImageTagAlreadyExists", err)
	}
	imgs, _, err := e.reg.DescribeImages(ctx, "locked", nil)
	if err != nil || len(imgs) != 1 || len(imgs[0].Tags) != 1 || imgs[0].Size == 0 {
		t.Fatalf("describe: %+v %v", imgs, err)
	}
	if _, err := e.reg.DeleteRepository(ctx, "locked", false); !errors.Is(err, ErrRepositoryNotEmpty) {
		t.Fatalf("delete without force: %v", err)
	}
	if _, err := e.reg.DeleteRepository(ctx, "locked", true); err != nil {
		t.Fatal(err)
	}
}

// TestNoCreateOnPush: without CreateOnPush a push to a repository ECR did not
// create is NAME_UNKNOWN, and strict mode without Authorize is UNAUTHORIZED.
func TestNoCreateOnPush(t *testing.T) {
	e := openEnv(t, t.TempDir())
	e.reg.CreateOnPush = false
	resp := e.do("POST", "/v2/nowhere/blobs/uploads/", nil)
	if resp.StatusCode != 404 {
		t.Fatalf("push to a missing repository: %s, want 404", resp.Status)
	}
	e.reg.Anonymous = false
	resp = e.do("GET", "/v2/", nil)
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
		t.Fatalf("strict without Authorize: %s %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestParsePath covers repository names that hold the endpoint words.
func TestParsePath(t *testing.T) {
	for _, tc := range []struct{ path, kind, name, ref string }{
		{"/v2/", "ping", "", ""},
		{"/v2/a/b/manifests/latest", "manifest", "a/b", "latest"},
		{"/v2/blobs/uploads/manifests/x", "manifest", "blobs/uploads", "x"},
		{"/v2/x/blobs/uploads/", "upload", "x", ""},
		{"/v2/x/blobs/uploads", "upload", "x", ""},
		{"/v2/x/blobs/uploads/abc", "upload", "x", "abc"},
		{"/v2/tags/tags/list", "tags", "tags", ""},
		{"/v2/x/referrers/sha256:00", "referrers", "x", "sha256:00"},
	} {
		rt, ok := parsePath(tc.path)
		if !ok || rt.kind != tc.kind || rt.name != tc.name || rt.ref != tc.ref {
			t.Errorf("%s: %+v %v", tc.path, rt, ok)
		}
	}
}
