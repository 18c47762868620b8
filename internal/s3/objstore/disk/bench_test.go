package disk

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// BenchmarkPutSmall puts 4 KiB objects from many goroutines (16 per CPU), each
// a new key, as a fleet of clients would. "group" is the store's own group
// commit; the bbolt-batch variants commit through bbolt's DB.Batch instead, with
// its default 10 ms delay and with 1 ms, for comparison.
func BenchmarkPutSmall(b *testing.B) {
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"group", Options{}},
		{"bbolt-batch-10ms", Options{boltBatch: true, boltBatchDelay: 10 * time.Millisecond}},
		{"bbolt-batch-1ms", Options{boltBatch: true, boltBatchDelay: time.Millisecond}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := openTest(b, b.TempDir(), c.opts)
			createBucket(b, s, "b", "")
			body := bytes.Repeat([]byte("x"), 4<<10)
			var n atomic.Int64
			b.SetBytes(int64(len(body)))
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := fmt.Sprintf("k%09d", n.Add(1))
					w, _ := s.NewData(ctx)
					w.Write(body)
					d, err := w.Commit()
					if err != nil {
						b.Fatal(err)
					}
					if _, err := s.Put(ctx, "b", objstore.Object{Key: key, Size: 4 << 10, Data: d}, objstore.Condition{}, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
			if n := s.batches.Load(); n > 0 {
				b.ReportMetric(float64(s.batched.Load())/float64(n), "writes/commit")
			}
		})
	}
}

// BenchmarkPutSmallSerial is one client putting 4 KiB objects one after
// another: the latency of a lone write (one fsync).
func BenchmarkPutSmallSerial(b *testing.B) {
	s := openTest(b, b.TempDir())
	createBucket(b, s, "b", "")
	body := bytes.Repeat([]byte("x"), 4<<10)
	i := 0
	for b.Loop() {
		i++
		d := newData(b, s, body)
		if _, err := s.Put(ctx, "b", objstore.Object{Key: fmt.Sprintf("k%09d", i), Data: d}, objstore.Condition{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetSmall reads 4 KiB objects (metadata and inline data) from
// 10,000 keys in parallel.
func BenchmarkGetSmall(b *testing.B) {
	s := openTest(b, b.TempDir())
	createBucket(b, s, "b", "")
	body := bytes.Repeat([]byte("x"), 4<<10)
	const keys = 10_000
	fill(b, s, "b", keys, func(i int) (string, []byte) { return fmt.Sprintf("k%06d", i), body })
	var n atomic.Int64
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 8<<10)
		for pb.Next() {
			o, err := s.Get(ctx, "b", fmt.Sprintf("k%06d", n.Add(1)%keys), "")
			if err != nil {
				b.Fatal(err)
			}
			r, err := s.OpenData(ctx, o.Data, 0)
			if err != nil {
				b.Fatal(err)
			}
			if m, _ := io.ReadFull(r, buf[:o.Size]); m != len(body) {
				b.Fatal("short read")
			}
			r.Close()
		}
	})
}

// fill puts n objects, many at a time, so the group commit makes it quick.
func fill(b testing.TB, s *Store, bucket string, n int, obj func(i int) (string, []byte)) {
	b.Helper()
	const workers = 64
	errs := make(chan error, workers)
	var next atomic.Int64
	for range workers {
		go func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					errs <- nil
					return
				}
				key, body := obj(i)
				w, _ := s.NewData(ctx)
				w.Write(body)
				d, err := w.Commit()
				if err == nil {
					_, err = s.Put(ctx, bucket, objstore.Object{Key: key, Size: int64(len(body)), Data: d}, objstore.Condition{}, nil)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// millionKey is key i of the million: 1,000 top-level prefixes of 10
// "directories" of 100 objects.
func millionKey(i int) string {
	return fmt.Sprintf("p%03d/d%02d/obj%03d", i/1000, i/100%10, i%100)
}

// BenchmarkListPrefixMillion lists among 1,000,000 keys. It needs
// STRATUS_BENCH_MILLION=1; the store is built once (directly in bbolt, as
// Put would store them, about half a minute) in os.TempDir()/stratus-objstore-million
// and reused by later runs.
func BenchmarkListPrefixMillion(b *testing.B) {
	if os.Getenv("STRATUS_BENCH_MILLION") != "1" {
		b.Skip("set STRATUS_BENCH_MILLION=1 to build and list a million keys")
	}
	dir := filepath.Join(os.TempDir(), "stratus-objstore-million")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		os.RemoveAll(dir)
		buildMillion(b, dir)
	}
	s := openTest(b, dir)
	cases := []struct {
		name string
		q    objstore.ListQuery
		want int
	}{
		// 1,000 keys under one prefix.
		{"prefix", objstore.ListQuery{Prefix: "p500/", MaxKeys: 1000}, 1000},
		// 1,000 keys from the middle, after a marker.
		{"after", objstore.ListQuery{After: "p500/d05/obj049", MaxKeys: 1000}, 1000},
		// 1,000 common prefixes at the top: each one Seek past 1,000 keys.
		{"delimiter", objstore.ListQuery{Delimiter: "/", MaxKeys: 1000}, 1000},
		// 10 common prefixes under a prefix.
		{"prefix+delimiter", objstore.ListQuery{Prefix: "p500/", Delimiter: "/", MaxKeys: 1000}, 10},
		// 1,000 versions (each key's one) under a prefix.
		{"versions", objstore.ListQuery{Prefix: "p500/", MaxKeys: 1000}, -1000},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var p objstore.ListPage
				var err error
				if c.want < 0 {
					p, err = s.ListVersions(ctx, "b", c.q)
				} else {
					p, err = s.List(ctx, "b", c.q)
				}
				if err != nil {
					b.Fatal(err)
				}
				if n := len(p.Objects) + len(p.CommonPrefixes); n != max(c.want, -c.want) {
					b.Fatalf("%d entries", n)
				}
			}
		})
	}
	b.Run("get", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i = (i + 7919) % 1_000_000
			if _, err := s.Get(ctx, "b", millionKey(i), ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// buildMillion writes a million 1 KiB objects straight into latest/, in key
// order and big transactions, which is what a million Puts would leave.
func buildMillion(b *testing.B, dir string) {
	start := time.Now()
	s, err := Open(dir)
	must(b, err)
	createBucket(b, s, "b", "")
	body := bytes.Repeat([]byte("m"), 1<<10)
	const perTx = 50_000
	for i := 0; i < 1_000_000; i += perTx {
		err := s.db.Update(func(tx *bolt.Tx) error {
			bt, err := openBucket(tx, "b")
			if err != nil {
				return err
			}
			w := &wtx{s: s, tx: tx, now: time.Now().UTC()}
			for j := i; j < i+perTx; j++ {
				seq, err := w.nextSeq()
				if err != nil {
					return err
				}
				o := objstore.Object{Key: millionKey(j), VersionID: objstore.NullVersion, Seq: seq, LastModified: w.now,
					Size: int64(len(body)), ETag: "0123456789abcdef0123456789abcdef", Data: objstore.Data{Inline: body, Size: int64(len(body))}}
				if err := bt.latest.Put([]byte(o.Key), encodeObject(&o)); err != nil {
					return err
				}
			}
			return nil
		})
		must(b, err)
	}
	must(b, s.Close())
	must(b, os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644))
	fi, _ := os.Stat(filepath.Join(dir, dbFile))
	b.Logf("built a million keys in %v (%d MB)", time.Since(start).Round(time.Second), fi.Size()>>20)
}

// BenchmarkPutLarge puts 64 MiB objects and, in the same run, writes and
// fsyncs the same bytes to a plain file: the store's MB/s, the file's, and
// the ratio (1.0 is the disk's speed).
func BenchmarkPutLarge(b *testing.B) {
	const size = 64 << 20
	dir := b.TempDir()
	s := openTest(b, filepath.Join(dir, "store"))
	createBucket(b, s, "b", "")
	body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	chunk := 256 << 10 // what the S3 service copies with
	var storeTime, fileTime time.Duration
	i := 0
	for b.Loop() {
		i++
		t0 := time.Now()
		w, err := s.NewData(ctx)
		must(b, err)
		for p := body; len(p) > 0; p = p[chunk:] {
			if _, err := w.Write(p[:chunk]); err != nil {
				b.Fatal(err)
			}
		}
		d, err := w.Commit()
		must(b, err)
		// The same key each time: the old version's file goes too, as in use.
		_, err = s.Put(ctx, "b", objstore.Object{Key: "k", Size: size, Data: d}, objstore.Condition{}, nil)
		must(b, err)
		storeTime += time.Since(t0)

		t0 = time.Now()
		name := filepath.Join(dir, fmt.Sprint("plain", i))
		f, err := os.Create(name)
		must(b, err)
		for p := body; len(p) > 0; p = p[chunk:] {
			if _, err := f.Write(p[:chunk]); err != nil {
				b.Fatal(err)
			}
		}
		must(b, f.Sync())
		must(b, f.Close())
		fileTime += time.Since(t0)
		os.Remove(name)
	}
	mbps := func(d time.Duration) float64 { return float64(size) * float64(i) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(storeTime), "store-MB/s")
	b.ReportMetric(mbps(fileTime), "file-MB/s")
	b.ReportMetric(fileTime.Seconds()/storeTime.Seconds(), "store/file")
}

// BenchmarkInlineThreshold puts objects of sizes around the inline threshold
// from 32 goroutines, inline and as files, which is how InlineMax was chosen:
// a file costs two fsyncs of its own (file and directory) that the group
// commit cannot share.
func BenchmarkInlineThreshold(b *testing.B) {
	for _, size := range []int{16 << 10, 64 << 10, 256 << 10} {
		for _, mode := range []struct {
			name   string
			inline int
		}{{"inline", 1 << 20}, {"file", -1}} {
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, mode.name), func(b *testing.B) {
				s := openTest(b, b.TempDir(), Options{InlineMax: mode.inline})
				createBucket(b, s, "b", "")
				body := bytes.Repeat([]byte("x"), size)
				var n atomic.Int64
				b.SetBytes(int64(size))
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						d := newData(b, s, body)
						o := objstore.Object{Key: fmt.Sprintf("k%09d", n.Add(1)), Size: int64(size), Data: d}
						if _, err := s.Put(ctx, "b", o, objstore.Condition{}, nil); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
			})
		}
	}
}
