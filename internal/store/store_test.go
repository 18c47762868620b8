package store

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"
)

type item struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s := &Store{Dir: dir}
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTableCompareAndSet(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	defer s.Close(ctx) //nolint:errcheck
	tb, err := OpenTable[item](ctx, s, "items", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tb.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	rev, err := tb.Create(ctx, "a", item{"a", 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Create(ctx, "a", item{"a", 2}); !errors.Is(err, ErrExists) {
		t.Errorf("second Create: %v", err)
	}
	rev2, err := tb.Update(ctx, "a", item{"a", 2}, rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Update(ctx, "a", item{"a", 3}, rev); !errors.Is(err, ErrConflict) {
		t.Errorf("stale Update: %v", err)
	}
	v, r, err := tb.Get(ctx, "a")
	if err != nil || v.N != 2 || r != rev2 {
		t.Errorf("Get = %+v %d %v", v, r, err)
	}
	if err := tb.Delete(ctx, "a", rev); !errors.Is(err, ErrConflict) {
		t.Errorf("stale Delete: %v", err)
	}
	tb.Create(ctx, "b", item{"b", 1}) //nolint:errcheck
	keys, _ := tb.Keys(ctx)
	sort.Strings(keys)
	if len(keys) != 2 || keys[0] != "a" || keys[1] != "b" {
		t.Errorf("Keys = %v", keys)
	}
	if err := tb.Delete(ctx, "a", rev2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tb.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get deleted: %v", err)
	}
	// A deleted key can be created again.
	if _, err := tb.Create(ctx, "a", item{"a", 9}); err != nil {
		t.Errorf("re-Create: %v", err)
	}
}

func TestTableWatchAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	tb, _ := OpenTable[item](ctx, s, "items", 1)
	tb.Create(ctx, "x", item{"x", 1}) //nolint:errcheck

	changes := make(chan Change[item], 10)
	initial := make(chan struct{})
	wctx, cancel := context.WithCancel(ctx)
	if err := tb.Watch(wctx, func(c Change[item], ok bool) {
		if !ok {
			close(initial)
			return
		}
		changes <- c
	}); err != nil {
		t.Fatal(err)
	}
	if c := <-changes; c.Key != "x" || c.Value.N != 1 {
		t.Errorf("initial change %+v", c)
	}
	<-initial
	_, rev, _ := tb.Get(ctx, "x")
	tb.Update(ctx, "x", item{"x", 2}, rev) //nolint:errcheck
	tb.Delete(ctx, "x", 0)                 //nolint:errcheck
	// The update may be skipped (the delete's purge can remove it before the
	// watcher reads it); the delete, the key's final state, must be seen, last.
	for deleted := false; !deleted; {
		select {
		case c := <-changes:
			switch {
			case c.Key == "x" && c.Deleted:
				deleted = true
			case c.Key == "x" && c.Value == item{"x", 2}:
			default:
				t.Errorf("unexpected change %+v", c)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the delete was not seen")
		}
	}
	cancel()
	tb.Create(ctx, "kept", item{"kept", 7}) //nolint:errcheck
	s.Close(ctx)                            //nolint:errcheck

	// What was written survives a restart of the embedded server.
	s2 := openStore(t, dir)
	defer s2.Close(ctx) //nolint:errcheck
	tb2, _ := OpenTable[item](ctx, s2, "items", 1)
	if v, _, err := tb2.Get(ctx, "kept"); err != nil || v.N != 7 {
		t.Errorf("after restart: %+v %v", v, err)
	}
}
