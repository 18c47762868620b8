package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The S3 benchmarks each open an S3Rig of their own (Stratus, MinIO, rawecho) and
// close it when they end; `go test` without -bench opens nothing. Their parties
// alternate in rounds, as bench/cmd/s3bench's, which is the measurement of
// record. Run them with, e.g.:
//
//	go test ./bench/ -run '^$' -bench 'S3.*Small' -benchtime 5000x
//	go test ./bench/ -run '^$' -bench 'S3.*Large' -benchtime 6x
//
// BENCH_MINIO=off leaves MinIO out (its first build takes minutes);
// BENCH_S3_CACHE=warm reads the large objects warm instead of cold.

// s3SmallSize is the small objects' size; s3LargeSizes the large ones'.
const s3SmallSize = 4 << 10

var s3LargeSizes = []int{1 << 20, 256 << 20}

// s3ClientCounts are the concurrency levels of the small-object benchmarks.
var s3ClientCounts = []int{1, 16}

func openS3Rig(b *testing.B) *S3Rig {
	b.Helper()
	r, err := OpenS3(context.Background(), S3Options{MinIO: os.Getenv("BENCH_MINIO") != "off", ColdReads: os.Getenv("BENCH_S3_CACHE") != "warm"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			b.Error(err)
		}
	})
	if r.StratusErr != nil {
		b.Fatalf("stratus: %v", r.StratusErr)
	}
	if r.MinIOErr != nil {
		// Printed, not logged: a benchmark's log is shown only with -v.
		fmt.Fprintf(os.Stderr, "%s: MinIO not available: %v\n", b.Name(), r.MinIOErr)
	}
	return r
}

// BenchmarkS3PutSmall PUTs a new 4 KiB object per request through the
// aws-sdk-go-v2 S3 client, alternating Stratus, MinIO and the raw round trip
// (rawecho carrying the 4 KiB both ways) in 3 rounds of b.N/3 requests each.
// x-minio-ops is Stratus's ops/s over MinIO's (target: at least 1.5).
func BenchmarkS3PutSmall(b *testing.B) { benchS3Small(b, S3Put) }

// BenchmarkS3GetSmall is BenchmarkS3PutSmall for GETs of 1,000 4 KiB objects
// written before, in turn, every byte of each checked.
func BenchmarkS3GetSmall(b *testing.B) { benchS3Small(b, S3Get) }

func benchS3Small(b *testing.B, op string) {
	r := openS3Rig(b)
	ctx := context.Background()
	for _, c := range s3ClientCounts {
		parties, err := r.SmallParties(ctx, op, s3SmallSize, c)
		if err != nil {
			b.Fatal(err)
		}
		warm := false
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			if !warm {
				for _, p := range parties {
					warmUp(b, c, p.Call)
				}
				warm = true
			}
			res := alternateS3(b, Load{Clients: c, MaxRequests: b.N, MaxDuration: maxBenchTime}, parties)
			by := map[string]PartyResult{}
			for _, p := range res {
				by[p.Name] = p
				b.ReportMetric(p.RPS, p.Name+"-ops/s")
				b.ReportMetric(us(p.P50), p.Name+"-p50-us")
			}
			if m, ok := by["minio"]; ok && m.RPS > 0 {
				b.ReportMetric(by["stratus"].RPS/m.RPS, "x-minio-ops")
			}
			b.ReportMetric(by["stratus"].RPS/by[PartyRaw].RPS, "x-raw-ops")
		})
	}
}

// BenchmarkS3PutLarge PUTs 1 MiB and 256 MiB objects (overwriting one key) from
// one client, alternating Stratus, MinIO and the disk's own write+fsync of the
// same bytes to a file beside the servers' data. x-disk is Stratus's MB/s over
// the disk's (target: at least 0.6).
func BenchmarkS3PutLarge(b *testing.B) { benchS3Large(b, S3Put) }

// BenchmarkS3GetLarge GETs a 1 MiB and a 256 MiB object, every byte checked,
// alternating with a read of the same bytes from a file; all read cold unless
// BENCH_S3_CACHE=warm. x-disk is Stratus's MB/s over the disk's (target: at
// least 0.8).
func BenchmarkS3GetLarge(b *testing.B) { benchS3Large(b, S3Get) }

func benchS3Large(b *testing.B, op string) {
	r := openS3Rig(b)
	ctx := context.Background()
	for _, size := range s3LargeSizes {
		parties, err := r.LargeParties(ctx, op, size)
		if err != nil {
			b.Fatal(err)
		}
		warm := false
		b.Run("size="+strings.ReplaceAll(FormatSize(size), " ", ""), func(b *testing.B) {
			if !warm {
				for _, p := range parties {
					if err := p.Call(ctx); err != nil {
						b.Fatal(err)
					}
				}
				warm = true
			}
			res := alternateS3(b, Load{Clients: 1, MaxRequests: b.N, MaxDuration: maxBenchTime}, parties)
			by := map[string]float64{}
			for _, p := range res {
				mbps := float64(size) * float64(p.Requests) / p.Elapsed.Seconds() / 1e6
				by[p.Name] = mbps
				b.ReportMetric(mbps, p.Name+"-MB/s")
			}
			b.ReportMetric(by["stratus"]/by[PartyDisk], "x-disk")
			if m, ok := by["minio"]; ok && m > 0 {
				b.ReportMetric(by["stratus"]/m, "x-minio")
			}
		})
	}
}

// alternateS3 runs Alternate in 3 rounds under the benchmark's timer.
func alternateS3(b *testing.B, l Load, parties []Party) []PartyResult {
	b.Helper()
	b.ResetTimer()
	res, err := Alternate(context.Background(), 3, l, parties)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	return res
}

func TestObjectsCheck(t *testing.T) {
	o := NewObjects(3<<20 + 5)
	if !bytes.Equal(NewObjects(o.Size).Body(0), o.Body(0)) {
		t.Fatal("NewObjects is not the same from one call to the next")
	}
	good := o.Body(7)
	flipped := bytes.Clone(good)
	flipped[2<<20] ^= 1
	for _, tc := range []struct {
		name string
		r    io.Reader
		n    uint64
		ok   bool
	}{
		{"right", bytes.NewReader(good), 7, true},
		{"right, a byte at a time", iotest.OneByteReader(bytes.NewReader(good)), 7, true},
		{"right, in halves", iotest.HalfReader(bytes.NewReader(good)), 7, true},
		{"another object", bytes.NewReader(o.Body(8)), 7, false},
		{"a byte flipped", bytes.NewReader(flipped), 7, false},
		{"short", bytes.NewReader(good[:len(good)-1]), 7, false},
		{"long", io.MultiReader(bytes.NewReader(good), strings.NewReader("x")), 7, false},
		{"read error", iotest.TimeoutReader(bytes.NewReader(good)), 7, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := o.Check(tc.r, tc.n); (err == nil) != tc.ok {
				t.Fatalf("Check = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"4096", 4096}, {"4KiB", 4 << 10}, {"1MiB", 1 << 20}, {"256MB", 256 << 20}, {" 2GiB ", 2 << 30}, {"0", 0}, {"x", 0}, {"9GiB", 0}} {
		got, err := ParseSize(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if back, err := ParseSize(strings.ReplaceAll(FormatSize(got), " ", "")); err != nil || back != got {
			t.Errorf("FormatSize(%d) = %q does not read back", got, FormatSize(got))
		}
	}
}

// TestAlternate checks that every party gets its share of the bounds in every
// round, in turn, and that Before runs untimed before each serial request.
func TestAlternate(t *testing.T) {
	var order []string
	var befores atomic.Int64
	party := func(name string) Party {
		return Party{Name: name, Call: func(context.Context) error { order = append(order, name); return nil }}
	}
	serial := party("b")
	serial.Before = func() error { befores.Add(1); time.Sleep(time.Millisecond); return nil }
	res, err := Alternate(context.Background(), 3, Load{Clients: 1, MaxRequests: 7, MaxDuration: time.Minute}, []Party{party("a"), serial})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(order, ""), "aaabbbaabbaabb"; got != want {
		t.Errorf("calls %s, want %s", got, want)
	}
	for _, r := range res {
		if r.Requests != 7 {
			t.Errorf("%s: %d requests, want 7", r.Name, r.Requests)
		}
	}
	if befores.Load() != 7 {
		t.Errorf("Before ran %d times, want 7", befores.Load())
	}
	if res[1].Elapsed >= 7*time.Millisecond {
		t.Errorf("the serial party's elapsed %v counts its Before", res[1].Elapsed)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestS3ClientChecksums checks that the benchmarks' S3 client sends a CRC32 with
// every PUT and asks for the checksum of every GET, as a client from
// config.LoadDefaultConfig does; s3.New alone does neither. No server runs: the
// transport answers.
func TestS3ClientChecksums(t *testing.T) {
	var got []http.Header
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.Header.Clone())
		if r.Body != nil {
			io.Copy(io.Discard, r.Body) //nolint:errcheck
		}
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	})}
	c := NewS3Client("http://127.0.0.1:1", hc)
	if err := s3Put(context.Background(), c, "bench", "k", NewObjects(4096).Body(1)); err != nil {
		t.Fatal(err)
	}
	c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("k")}) //nolint:errcheck // only the request matters
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	if got[0].Get("X-Amz-Checksum-Crc32") == "" {
		t.Errorf("PUT without x-amz-checksum-crc32: %v", got[0])
	}
	if got[1].Get("X-Amz-Checksum-Mode") != "ENABLED" {
		t.Errorf("GET without x-amz-checksum-mode: ENABLED: %v", got[1])
	}
}
