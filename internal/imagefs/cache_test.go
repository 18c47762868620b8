package imagefs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestCacheOncePerDigest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "roots")
	// A temporary root an interrupted unpack left behind.
	stale := filepath.Join(dir, ".sha256-"+digest.FromString("x").Encoded()+tmpMark+"123")
	if err := os.MkdirAll(filepath.Join(stale, "half"), 0o500); err != nil {
		t.Fatal(err)
	}
	c, err := NewCache(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temporary root still there: %v", err)
	}

	ls, st := plain(tarOf(t, file("f", "one", 0o644)), tarOf(t, file("g", "two", 0o644)))
	img := digest.FromString("manifest").String()
	// The first open blocks until every caller has arrived, so they are
	// all concurrent with the one unpack.
	const callers = 8
	var arrived sync.WaitGroup
	arrived.Add(callers)
	gate := make(chan struct{})
	open := func(l Layer) (io.ReadCloser, error) {
		<-gate
		return st.open(l)
	}
	var wg sync.WaitGroup
	roots := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			arrived.Done()
			roots[i], errs[i] = c.Root(context.Background(), img, ls, open)
		})
	}
	arrived.Wait()
	close(gate)
	wg.Wait()
	want, _ := c.Path(img)
	for i := range callers {
		if errs[i] != nil || roots[i] != want {
			t.Errorf("caller %d: %q, %v; want %q", i, roots[i], errs[i], want)
		}
	}
	if n := st.opens.Load(); n != 2 {
		t.Errorf("%d layer opens, want 2 (one unpack)", n)
	}
	if b, _ := os.ReadFile(filepath.Join(want, "g")); string(b) != "two" {
		t.Errorf("g holds %q", b)
	}
	// Cached: no more opens.
	if _, err := c.Root(context.Background(), img, ls, st.open); err != nil {
		t.Fatal(err)
	}
	if n := st.opens.Load(); n != 2 {
		t.Errorf("%d layer opens after a cached call, want 2", n)
	}
	// A second cache over the same directory (a restart) finds it too.
	c2, err := NewCache(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c2.Root(context.Background(), img, ls, st.open); err != nil || r != want || st.opens.Load() != 2 {
		t.Errorf("after restart: %q, %v, %d opens", r, err, st.opens.Load())
	}
}

func TestCacheFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	c, err := NewCache(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := tarOf(t, file("f", "1", 0o644))
	ls, st := plain(good)
	bad := []Layer{ls[0]}
	bad[0].DiffID = digest.FromString("other").String()
	img := digest.FromString("m").String()
	if _, err := c.Root(context.Background(), img, bad, st.open); !errors.Is(err, ErrDigest) {
		t.Fatalf("Root: %v, want ErrDigest", err)
	}
	if n := names(t, dir); len(n) != 0 {
		t.Fatalf("failed unpack left %v", n)
	}
	// Not cached as a failure: the right layers unpack.
	if _, err := c.Root(context.Background(), img, ls, st.open); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Root(context.Background(), "../../etc", ls, st.open); !errors.Is(err, ErrDigest) {
		t.Fatalf("Root with a path for a digest: %v, want ErrDigest", err)
	}
}

func TestCacheCancelledUnpackerRetried(t *testing.T) {
	c, err := NewCache(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ls, st := plain(tarOf(t, file("f", "1", 0o644)))
	img := digest.FromString("m").String()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	first := func(l Layer) (io.ReadCloser, error) {
		close(started)
		cancel()
		return st.open(l)
	}
	done := make(chan error)
	go func() {
		_, err := c.Root(ctx, img, ls, first)
		done <- err
	}()
	<-started
	// This waiter joins the cancelled unpack (or starts after it) and must
	// end with its own, successful one.
	if _, err := c.Root(context.Background(), img, ls, st.open); err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
}
