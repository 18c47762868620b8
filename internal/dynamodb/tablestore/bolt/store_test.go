package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

func putItems(t *testing.T, s *Store, items ...attr.Item) {
	t.Helper()
	ops := make([]tablestore.Op, len(items))
	for i, it := range items {
		ops[i] = tablestore.Op{Table: "t", Key: benchKey(it), Apply: func(attr.Item) (attr.Item, error) { return it, nil }}
	}
	if err := s.Write(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
}

// TestRollbackBatch: a write failing after it changed something rolls its
// batch back, and the other writes of the batch commit without it.
func TestRollbackBatch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	if err := s.CreateTable(ctx, benchTable()); err != nil {
		t.Fatal(err)
	}
	// Hold the committer so the next writes queue into one batch.
	hold, held := make(chan struct{}), make(chan struct{})
	go s.update(ctx, false, func(*wtx) error { close(held); <-hold; return nil })
	<-held
	errBad := errors.New("bad")
	var wg sync.WaitGroup
	results := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			if i == 1 {
				results[i] = s.update(ctx, false, func(w *wtx) error {
					if err := w.put(w.tx.Bucket(sysBucket), []byte("junk"), []byte("x")); err != nil {
						return err
					}
					return errBad
				})
				return
			}
			it := benchItem(i)
			results[i] = s.Write(ctx, []tablestore.Op{{Table: "t", Key: benchKey(it), Apply: func(attr.Item) (attr.Item, error) { return it, nil }}})
		})
		time.Sleep(10 * time.Millisecond) // queued in this order
	}
	before := s.batches.Load()
	close(hold)
	wg.Wait()
	if results[0] != nil || results[2] != nil || !errors.Is(results[1], errBad) {
		t.Fatalf("results %v", results)
	}
	if n := s.batches.Load() - before; n != 2 { // the held one, then the three together
		t.Fatalf("%d batches after the hold, want 2", n)
	}
	for _, i := range []int{0, 2} {
		if it, err := s.Get(ctx, "t", benchKey(benchItem(i))); err != nil || it == nil {
			t.Fatalf("write %d of the batch lost: %v", i, err)
		}
	}
	s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(sysBucket).Get([]byte("junk")) != nil {
			t.Fatal("the failed write's change was committed")
		}
		return nil
	})
}

// TestGroupCommit: concurrent writers share commits.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	if err := s.CreateTable(ctx, benchTable()); err != nil {
		t.Fatal(err)
	}
	before := s.batches.Load()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				it := benchItem(g*100 + i)
				if err := s.Write(ctx, []tablestore.Op{{Table: "t", Key: benchKey(it), Apply: func(attr.Item) (attr.Item, error) { return it, nil }}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := s.batches.Load() - before; n >= 320 {
		t.Fatalf("320 concurrent writes took %d commits", n)
	} else {
		t.Logf("320 writes in %d commits", n)
	}
}

// buckets lists the database's top-level buckets.
func buckets(t *testing.T, s *Store) []string {
	var names []string
	s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, fmt.Sprintf("%q", name))
			return nil
		})
	})
	return names
}

// TestPurge: a deleted table's buckets are emptied in chunks and removed,
// and a purge a Close interrupted is finished by the next Open.
func TestPurge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, Options{Chunk: 10})
	fresh := len(buckets(t, s))
	tb := benchTable()
	tb.Indexes = []tablestore.Index{{Name: "g", Global: true, Key: tablestore.KeySchema{Hash: "name", HashKind: attr.S}}}
	if err := s.CreateTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	var items []attr.Item
	for i := range 500 {
		items = append(items, benchItem(i))
	}
	putItems(t, s, items...)
	if _, err := s.DeleteTable(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	s.Close() // most likely mid-purge
	s = openTest(t, dir, Options{Chunk: 10})
	defer s.Close()
	t.Logf("buckets at reopen: %d, %d when fresh", len(buckets(t, s)), fresh)
	deadline := time.Now().Add(10 * time.Second)
	for len(buckets(t, s)) != fresh {
		if time.Now().After(deadline) {
			t.Fatalf("buckets left after the purge: %v", buckets(t, s))
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(deadBucket).Cursor().First(); k != nil {
			t.Fatalf("dead still lists %q", k)
		}
		if k, _ := tx.Bucket(statsBucket).Cursor().First(); k != nil {
			t.Fatalf("stats of a deleted table left: %q", k)
		}
		return nil
	})
}

// TestBackfillResumes: a backfill a Close interrupted is finished by the next
// Open, and counts every item once.
func TestBackfillResumes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir, Options{Chunk: 5})
	if err := s.CreateTable(ctx, benchTable()); err != nil {
		t.Fatal(err)
	}
	var items []attr.Item
	for i := range 400 {
		items = append(items, benchItem(i))
	}
	putItems(t, s, items...)
	if _, err := s.UpdateTable(ctx, "t", func(t *tablestore.Table) error {
		t.Indexes = append(t.Indexes, tablestore.Index{Name: "g", Global: true, Key: tablestore.KeySchema{Hash: "email", HashKind: attr.S}, Projection: tablestore.Projection{Type: "ALL"}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, dir, Options{Chunk: 5})
	defer s.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tb, err := s.Table(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		if ix, _ := tb.Index("g"); ix.Status == "ACTIVE" && !ix.Backfilling {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("backfill never finished")
		}
		time.Sleep(5 * time.Millisecond)
	}
	st, err := s.Stats(ctx, "t", "g")
	if err != nil || st.Items != 400 {
		t.Fatalf("index stats %+v %v, want 400 items", st, err)
	}
	var n int
	s.Query(ctx, tablestore.Query{Table: "t", Index: "g", Hash: attr.Str("ada@example.com")}, func(attr.Item) bool { n++; return true })
	if n != 400 {
		t.Fatalf("index query found %d items", n)
	}
}

// TestPrefixEnd pins the interval arithmetic the range conditions rest on.
func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want []byte }{
		{[]byte{1}, []byte{2}},
		{[]byte{1, 0xff}, []byte{2}},
		{[]byte{1, 0xfe}, []byte{1, 0xff}},
		{[]byte{0xff, 0xff}, nil},
		{nil, nil},
	} {
		if got := prefixEnd(c.in); !bytes.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("prefixEnd(%x) = %x, want %x", c.in, got, c.want)
		}
	}
}
