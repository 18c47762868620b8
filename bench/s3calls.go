package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sys/unix"
)

// Objects is the content of one size's bench objects: Size random bytes, so that
// no layer can compress or deduplicate them away, of which object n carries n in
// its first 8 bytes, so that an answer with another object's bytes fails Check.
type Objects struct {
	Size int
	base []byte // object 0
}

// NewObjects makes the content of objects of size bytes (at least 8), the same
// in every run.
func NewObjects(size int) *Objects {
	size = max(size, 8)
	b := make([]byte, size)
	rand.NewChaCha8([32]byte{'s', 't', 'r', 'a', 't', 'u', 's'}).Read(b) //nolint:errcheck // never fails
	clear(b[:8])
	return &Objects{Size: size, base: b}
}

// Body returns object n's content. Body(0) is shared, not a copy: callers must
// not modify it.
func (o *Objects) Body(n uint64) []byte {
	if n == 0 {
		return o.base
	}
	b := bytes.Clone(o.base)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// chunkPool holds the buffers Check reads into.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// Check reads r to its end and returns an error unless it yielded exactly object
// n's bytes. Every byte is compared, a chunk at a time at memcmp's speed, so that
// a fast wrong answer cannot pass a benchmark.
func (o *Objects) Check(r io.Reader, n uint64) error {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	var head [8]byte
	binary.BigEndian.PutUint64(head[:], n)
	off := 0
	for {
		m, err := r.Read(buf)
		if m > 0 {
			if off+m > o.Size {
				return fmt.Errorf("bench: object %d: more than its %d bytes", n, o.Size)
			}
			chunk, at := buf[:m], off
			for at < 8 && len(chunk) > 0 {
				if chunk[0] != head[at] {
					return fmt.Errorf("bench: object %d: byte %d differs", n, at)
				}
				chunk, at = chunk[1:], at+1
			}
			if !bytes.Equal(chunk, o.base[at:off+m]) {
				return fmt.Errorf("bench: object %d: bytes %d to %d differ", n, off, off+m)
			}
			off += m
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("bench: object %d after %d bytes: %w", n, off, err)
		}
	}
	if off != o.Size {
		return fmt.Errorf("bench: object %d: %d bytes, want %d", n, off, o.Size)
	}
	return nil
}

// ParseSize reads a byte count such as 4096, 4KiB, 1MiB or 2GiB (also KB, MB
// and GB, as the binary units).
func ParseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = v, u.mult
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(t))
	if err != nil || n < 1 || n > (8<<30)/mult {
		return 0, fmt.Errorf("bench: %q is not a size from 1 byte to 8GiB", s)
	}
	return n * mult, nil
}

// FormatSize writes a size ParseSize reads back: in the largest binary unit
// that divides it.
func FormatSize(n int) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.Itoa(n>>30) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}

// S3PutNewCaller PUTs a new object of o at every call: key prefix/i holds object
// i, for i = 1, 2, ....
func S3PutNewCaller(c *s3.Client, bucket, prefix string, o *Objects) Caller {
	var seq atomic.Uint64
	return func(ctx context.Context) error {
		n := seq.Add(1)
		return s3Put(ctx, c, bucket, prefix+"/"+strconv.FormatUint(n, 10), o.Body(n))
	}
}

// S3PutOverCaller PUTs object 0 of o to key at every call, overwriting it: the
// large writes, which would fill the disk as new keys.
func S3PutOverCaller(c *s3.Client, bucket, key string, o *Objects) Caller {
	return func(ctx context.Context) error { return s3Put(ctx, c, bucket, key, o.Body(0)) }
}

func s3Put(ctx context.Context, c *s3.Client, bucket, key string, body []byte) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		return fmt.Errorf("bench: PUT %s/%s: %w", bucket, key, err)
	}
	return nil
}

// S3Populate PUTs objects 1 to keys of o at prefix/1 to prefix/keys, 16 at a
// time, for S3GetCaller to read.
func S3Populate(ctx context.Context, c *s3.Client, bucket, prefix string, o *Objects, keys int) error {
	var next atomic.Uint64
	_, err := Run(ctx, Load{Clients: min(16, keys), MaxRequests: keys, MaxDuration: 10 * time.Minute}, func(ctx context.Context) error {
		n := next.Add(1)
		return s3Put(ctx, c, bucket, prefix+"/"+strconv.FormatUint(n, 10), o.Body(n))
	})
	return err
}

// S3GetCaller GETs the objects S3Populate wrote, prefix/1 to prefix/keys in turn,
// and checks every byte of each.
func S3GetCaller(c *s3.Client, bucket, prefix string, o *Objects, keys int) Caller {
	var seq atomic.Uint64
	return func(ctx context.Context) error {
		n := seq.Add(1)%uint64(keys) + 1
		key := prefix + "/" + strconv.FormatUint(n, 10)
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return fmt.Errorf("bench: GET %s/%s: %w", bucket, key, err)
		}
		defer out.Body.Close()
		if l := aws.ToInt64(out.ContentLength); l != int64(o.Size) {
			return fmt.Errorf("bench: GET %s/%s: Content-Length %d, want %d", bucket, key, l, o.Size)
		}
		if err := o.Check(out.Body, n); err != nil {
			return fmt.Errorf("bench: GET %s/%s: %w", bucket, key, err)
		}
		return nil
	}
}

// RawPostCaller POSTs body to url (rawecho) and checks that it comes back: the
// loopback HTTP round trip that carries an object's bytes both ways, the floor
// of both a small PUT and a small GET.
func RawPostCaller(hc *http.Client, url string, body []byte) Caller {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header["Content-Type"] = []string{"application/octet-stream"}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("bench: POST %s: HTTP %d", url, resp.StatusCode)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, body) {
			return fmt.Errorf("bench: POST %s: %d bytes back, not the %d sent", url, len(got), len(body))
		}
		return nil
	}
}

// DiskPutCaller is the disk's own sequential write: it creates (or truncates) a
// file in dir, writes object 0 of o to it, fsyncs and closes it. Up to clients
// calls at once each have a file of their own.
func DiskPutCaller(dir string, o *Objects, clients int) Caller {
	files := make(chan string, clients)
	for i := range clients {
		files <- filepath.Join(dir, fmt.Sprintf("put-%d-%d", o.Size, i))
	}
	return func(ctx context.Context) error {
		path := <-files
		defer func() { files <- path }()
		return writeSynced(path, o.Body(0))
	}
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// DiskPopulate writes object 1 of o to path and fsyncs it, for DiskGetCaller.
func DiskPopulate(path string, o *Objects) error { return writeSynced(path, o.Body(1)) }

// DiskGetCaller is the disk's own sequential read: it opens the file
// DiskPopulate wrote, reads it through the same checking loop as S3GetCaller
// (1 MiB reads) and closes it.
func DiskGetCaller(path string, o *Objects) Caller {
	return func(ctx context.Context) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return o.Check(f, 1)
	}
}

// EvictTree asks the kernel to drop the cached pages of every regular file
// under root (POSIX_FADV_DONTNEED), so that the next read of them comes from the
// disk. Dirty pages and pages mapped by a process stay. Files that vanish while
// it walks are skipped.
func EvictTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		defer f.Close()
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			return fmt.Errorf("bench: fadvise %s: %w", path, err)
		}
		return nil
	})
}

// Party is one side of a comparison: what it calls and the server process its
// work is charged to (nil for the disk baseline, which this process does).
type Party struct {
	Name   string
	Call   Caller
	Server *Process
	// Before, if set, runs before every request, untimed; the load then runs
	// with one client whatever it asks. The cold reads evict pages here.
	Before func() error
}

// PartyResult is what Alternate measured of one party over all its rounds.
type PartyResult struct {
	Name string
	Stats
	// Client is this process's CPU time during the party's requests: the SDK
	// or HTTP client and, for the disk baseline, the reads and writes
	// themselves (Party.Before's is left out).
	// Server is the party's server's, and Others the rest of the machine's
	// busy time, other processes and the hypervisor's steal (see Usage).
	Client, Server, Others time.Duration
	// Wall is the wall time of the party's rounds, Party.Before included: the
	// span its CPU times were taken over.
	Wall time.Duration
}

// Alternate measures every party under l, in rounds that take the parties in
// turn, so that other work on the machine, which comes and goes, weighs on each
// alike. l's bounds are each party's totals, split evenly over the rounds; every
// round makes at least one request. It stops at the first failed request.
func Alternate(ctx context.Context, rounds int, l Load, parties []Party) ([]PartyResult, error) {
	if rounds < 1 {
		return nil, fmt.Errorf("bench: %d rounds", rounds)
	}
	var servers []*Process
	for _, p := range parties {
		if p.Server != nil && !containsProcess(servers, p.Server) {
			servers = append(servers, p.Server)
		}
	}
	res := make([]PartyResult, len(parties))
	samples := make([][]time.Duration, len(parties))
	for round := range rounds {
		rl := Load{Clients: l.Clients, MaxRequests: max(1, l.MaxRequests/rounds), MaxDuration: l.MaxDuration / time.Duration(rounds)}
		if round < l.MaxRequests%rounds {
			rl.MaxRequests++
		}
		for i, p := range parties {
			u0, err := sampleCPU(servers)
			if err != nil {
				return nil, err
			}
			var st Stats
			var beforeCPU time.Duration
			t0 := time.Now()
			if p.Before != nil {
				st, beforeCPU, err = runSerial(ctx, rl, p.Before, p.Call)
			} else {
				st, err = Run(ctx, rl, p.Call)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name, err)
			}
			res[i].Wall += time.Since(t0)
			u1, err := sampleCPU(servers)
			if err != nil {
				return nil, err
			}
			samples[i] = append(samples[i], st.Samples...)
			res[i].Elapsed += st.Elapsed
			res[i].Clients = st.Clients
			res[i].Client += u1.client - u0.client - beforeCPU
			busy := u1.machine - u0.machine - (u1.client - u0.client)
			for k, s := range servers {
				d := u1.servers[k] - u0.servers[k]
				busy -= d
				if s == p.Server {
					res[i].Server += d
				}
			}
			res[i].Others += max(0, busy)
		}
	}
	for i, p := range parties {
		st := Summarise(samples[i], res[i].Elapsed)
		st.Clients = res[i].Clients
		res[i].Name, res[i].Stats = p.Name, st
	}
	return res, nil
}

func containsProcess(ps []*Process, p *Process) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// runSerial is Run with one client and before called untimed ahead of every
// request; it also returns the CPU time this process spent in before, which is
// no request's.
func runSerial(ctx context.Context, l Load, before func() error, call Caller) (_ Stats, beforeCPU time.Duration, _ error) {
	var lat []time.Duration
	var elapsed time.Duration
	deadline := time.Now().Add(l.MaxDuration)
	for len(lat) < l.MaxRequests && (len(lat) == 0 || time.Now().Before(deadline)) {
		if err := ctx.Err(); err != nil {
			return Stats{}, 0, err
		}
		c0, err := selfCPU()
		if err != nil {
			return Stats{}, 0, err
		}
		if err := before(); err != nil {
			return Stats{}, 0, err
		}
		c1, err := selfCPU()
		if err != nil {
			return Stats{}, 0, err
		}
		beforeCPU += c1 - c0
		t0 := time.Now()
		if err := call(ctx); err != nil {
			return Stats{}, 0, err
		}
		d := time.Since(t0)
		lat, elapsed = append(lat, d), elapsed+d
	}
	st := Summarise(lat, elapsed)
	st.Clients = 1
	return st, beforeCPU, nil
}

// selfCPU is this process's CPU time so far, user and system, all threads.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("bench: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// cpuSample is the CPU used so far by this process, by each of some servers and
// by the whole machine.
type cpuSample struct {
	client, machine time.Duration
	servers         []time.Duration
}

func sampleCPU(servers []*Process) (cpuSample, error) {
	var s cpuSample
	var err error
	if s.client, err = selfCPU(); err != nil {
		return s, err
	}
	if s.machine, err = machineBusy(); err != nil {
		return s, err
	}
	for _, p := range servers {
		u, _, err := procUse(p.Pid())
		if err != nil {
			return s, err
		}
		s.servers = append(s.servers, u.CPU)
	}
	return s, nil
}
