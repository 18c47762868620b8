package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// The benchmarks each run a "raw" baseline beside the store: bbolt alone
// doing the same Get or Put of the same bytes, so what the store adds (table
// lookup, codec, stats, group commit) is the difference.

func benchTable() tablestore.Table {
	return tablestore.Table{Name: "t", Status: "ACTIVE",
		Key:        tablestore.KeySchema{Hash: "pk", HashKind: attr.S, Range: "sk", RangeKind: attr.N},
		Attributes: []tablestore.AttributeDefinition{{Name: "pk", Kind: attr.S}, {Name: "sk", Kind: attr.N}}}
}

// benchItem is a typical small item: keys and a handful of attributes.
func benchItem(i int) attr.Item {
	return attr.Item{
		"pk":      attr.Str(fmt.Sprintf("user#%06d", i)),
		"sk":      {Kind: attr.N, N: fmt.Sprint(i % 10)},
		"name":    attr.Str("Ada Lovelace"),
		"email":   attr.Str("ada@example.com"),
		"age":     {Kind: attr.N, N: "36"},
		"active":  attr.Bool(true),
		"tags":    {Kind: attr.SS, Set: []string{"admin", "math"}},
		"address": {Kind: attr.M, Map: map[string]attr.Value{"city": attr.Str("London"), "zip": attr.Str("W1")}},
	}
}

func benchKey(it attr.Item) attr.Item { return attr.Item{"pk": it["pk"], "sk": it["sk"]} }

func openRaw(b *testing.B) *bolt.DB {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o644, &bolt.Options{InitialMmapSize: 1 << 30, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		b.Fatal(err)
	}
	return db
}

func BenchmarkGet(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	b.Run("store", func(b *testing.B) {
		s := openTest(b, b.TempDir(), Options{})
		defer s.Close()
		if err := s.CreateTable(ctx, benchTable()); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i += 500 {
			ops := make([]tablestore.Op, 0, 500)
			for j := i; j < i+500; j++ {
				it := benchItem(j)
				ops = append(ops, tablestore.Op{Table: "t", Key: benchKey(it), Apply: func(attr.Item) (attr.Item, error) { return it, nil }})
			}
			if err := s.Write(ctx, ops); err != nil {
				b.Fatal(err)
			}
		}
		keys := make([]attr.Item, n)
		for i := range keys {
			keys[i] = benchKey(benchItem(i))
		}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			it, err := s.Get(ctx, "t", keys[i%n])
			if err != nil || it == nil {
				b.Fatal(it, err)
			}
			i++
		}
	})
	b.Run("raw", func(b *testing.B) {
		db := openRaw(b)
		keys := make([][]byte, n)
		if err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("b"))
			for i := range n {
				it := benchItem(i)
				keys[i], _, _ = (&keyDef{hash: "pk", rng: "sk", hashKind: attr.S, rangeKind: attr.N}).appendKey(nil, it)
				if err := bk.Put(keys[i], appendItem(nil, it)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			var v []byte
			db.View(func(tx *bolt.Tx) error {
				v = append(v[:0], tx.Bucket([]byte("b")).Get(keys[i%n])...)
				return nil
			})
			if v == nil {
				b.Fatal("missing")
			}
			i++
		}
	})
}

// BenchmarkPut is one writer putting new items one after another: the
// latency of a lone write (one fsync).
func BenchmarkPut(b *testing.B) {
	b.Run("store", func(b *testing.B) { benchStorePut(b, 1) })
	b.Run("raw", func(b *testing.B) { benchRawPut(b, 1) })
}

// BenchmarkPutParallel is 16 writers putting new items: the store's group
// commit shares one fsync among the writes queued; the raw baseline is a
// bbolt Update each, one fsync each.
func BenchmarkPutParallel(b *testing.B) {
	b.Run("store", func(b *testing.B) { benchStorePut(b, 16) })
	b.Run("raw", func(b *testing.B) { benchRawPut(b, 16) })
}

func benchStorePut(b *testing.B, writers int) {
	ctx := context.Background()
	s := openTest(b, b.TempDir(), Options{})
	defer s.Close()
	if err := s.CreateTable(ctx, benchTable()); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(writers)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			it := benchItem(int(n.Add(1)))
			if err := s.Write(ctx, []tablestore.Op{{Table: "t", Key: benchKey(it), Apply: func(attr.Item) (attr.Item, error) { return it, nil }}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	if c := s.batches.Load(); c > 0 {
		b.ReportMetric(float64(s.batched.Load())/float64(c), "writes/commit")
	}
}

func benchRawPut(b *testing.B, writers int) {
	db := openRaw(b)
	kd := keyDef{hash: "pk", rng: "sk", hashKind: attr.S, rangeKind: attr.N}
	var n atomic.Int64
	b.SetParallelism(writers)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			it := benchItem(int(n.Add(1)))
			k, _, _ := kd.appendKey(nil, it)
			v := appendItem(nil, it)
			if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put(k, v) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}
