// Command s3bench measures Stratus's S3 API against the disk, a raw loopback HTTP
// round trip and MinIO in one run, and prints the Markdown table bench/RESULTS.md
// records.
//
//	go run ./bench/cmd/s3bench [flags]
//
// It builds and starts `stratus server --sandbox process` and rawecho as child
// processes on loopback, builds MinIO from the Go module proxy (once per
// version, kept in the user's cache directory) and runs it as a third, single
// drive, then creates a bucket on each server. Every row is one operation
// through the aws-sdk-go-v2 S3 client: PUT and GET of large objects (-sizes, one
// client, MB/s) against writing the same bytes to a file beside the servers'
// data and fsyncing it, and reading it back; PUT and GET of small objects
// (-small, at each of -clients, ops/s and p50/p99) against rawecho carrying the
// same bytes both ways. The parties of a row run in -rounds alternating rounds,
// so that other work on the machine weighs on all alike, each bounded by a
// request count and a duration. Every GET's bytes are checked, all of them. A
// run with the defaults takes about 3 minutes (the first, 3 more to build MinIO).
//
// The exit status is 0 whether or not the targets pass, 1 if a request failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/stratus-run/stratus/bench"
)

func main() { bench.Main("s3bench", run) }

// config is the command line.
type config struct {
	sizes         []int
	small         int
	clients       []int
	rounds        int
	duration      time.Duration
	largeDuration time.Duration
	requests      int
	largeBytes    int
	warmup        time.Duration
	cache         string
	rows          string
	keys          int
	minio         bool
	minioVersion  string
	minioBin      string
	stratus       string
	cpuProfile    string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("s3bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("sizes", "1MiB,256MiB", "comma-separated sizes of the large objects (MB/s rows, one client)")
	small := fs.String("small", "4KiB", "size of the small objects (ops/s rows)")
	clients := fs.String("clients", "1,16", "comma-separated concurrent client counts of the small-object rows")
	fs.IntVar(&c.rounds, "rounds", 3, "alternating rounds each row's bounds are split into")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "time bound of each party of a small-object row")
	fs.DurationVar(&c.largeDuration, "large-duration", 10*time.Second, "time bound of each party of a large-object row (every round makes at least one request)")
	fs.IntVar(&c.requests, "requests", 20000, "request bound of each party of a small-object row")
	largeBytes := fs.String("large-bytes", "4GiB", "byte bound of each party of a large-object row (at least one request per round)")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "untimed warm-up of each party of a small-object row (large rows: one request)")
	fs.StringVar(&c.cache, "cache", "cold", "large GETs read cold (every party's cached pages dropped before each GET, untimed) or warm")
	fs.StringVar(&c.rows, "rows", "all", "rows to run: all, large or small (e.g. to profile one kind)")
	fs.IntVar(&c.keys, "keys", 1000, "objects the small GETs cycle through")
	fs.BoolVar(&c.minio, "minio", true, "build and run MinIO as the peer")
	fs.StringVar(&c.minioVersion, "minio-version", "", "module version of "+bench.MinIOModule+" (default: the proxy's latest)")
	fs.StringVar(&c.minioBin, "minio-bin", "", "prebuilt minio binary (default: built from the module proxy)")
	fs.StringVar(&c.stratus, "stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	fs.StringVar(&c.cpuProfile, "cpu-profile", "", "have the stratus server write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for f := range strings.SplitSeq(*sizes, ",") {
		n, err := bench.ParseSize(f)
		if err != nil {
			return nil, fmt.Errorf("-sizes: %w", err)
		}
		c.sizes = append(c.sizes, n)
	}
	var err error
	if c.small, err = bench.ParseSize(*small); err != nil || c.small > 64<<20 {
		return nil, fmt.Errorf("-small: %q is not a size up to 64MiB", *small)
	}
	if c.largeBytes, err = bench.ParseSize(*largeBytes); err != nil {
		return nil, fmt.Errorf("-large-bytes: %w", err)
	}
	if c.clients, err = bench.ParseCounts(*clients, 256); err != nil {
		return nil, err
	}
	if c.cache != "cold" && c.cache != "warm" {
		return nil, fmt.Errorf("-cache must be cold or warm, not %q", c.cache)
	}
	switch c.rows {
	case "all":
	case "large":
		c.clients = nil
	case "small":
		c.sizes = nil
	default:
		return nil, fmt.Errorf("-rows must be all, large or small, not %q", c.rows)
	}
	if c.rounds < 1 || c.rounds > 100 || c.requests < c.rounds || c.duration <= 0 || c.largeDuration <= 0 ||
		c.duration > 10*time.Minute || c.largeDuration > 10*time.Minute || c.warmup < 0 || c.keys < 1 {
		return nil, errors.New("-rounds must be in [1, 100] and at most -requests; -duration and -large-duration in (0, 10m]; -warmup not negative; -keys at least 1")
	}
	if c.cpuProfile != "" {
		if c.cpuProfile, err = filepath.Abs(c.cpuProfile); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	rep := &report{
		Date:    time.Now().UTC().Format(time.RFC3339),
		Command: strings.Join(append([]string{"s3bench"}, args...), " "),
		Machine: bench.MachineInfo(),
		Cache:   c.cache,
		Bounds: fmt.Sprintf("small rows: %d requests or %v per party; large rows: %s or %v per party (at least 1 request a round); %d alternating rounds; warm-up untimed",
			c.requests, c.duration, bench.FormatSize(c.largeBytes), c.largeDuration, c.rounds),
	}
	o := bench.S3Options{Stratus: c.stratus, MinIO: c.minio, MinIOBin: c.minioBin, MinIOVersion: c.minioVersion,
		ColdReads: c.cache == "cold", SmallKeys: c.keys}
	if c.cpuProfile != "" {
		o.StratusFlags = []string{"--cpu-profile", c.cpuProfile}
	}
	fmt.Fprintln(stderr, "… building and starting stratus, rawecho and (first run: building) minio")
	rig, err := bench.OpenS3(ctx, o)
	if err != nil {
		return err
	}
	defer rig.Close(context.Background()) //nolint:errcheck // a measuring error comes first
	rep.StratusErr, rep.MinIOErr, rep.MinIOVersion = errText(rig.StratusErr), errText(rig.MinIOErr), rig.MinIOVersion
	if rig.StratusErr != nil {
		fmt.Fprintln(stderr, "… stratus not available:", rig.StratusErr)
	}
	if rig.MinIOErr != nil {
		fmt.Fprintln(stderr, "… minio not available:", rig.MinIOErr)
	}
	rep.LoadBefore = bench.LoadAvg()

	var failed []error
	for _, size := range c.sizes {
		for _, op := range []string{bench.S3Put, bench.S3Get} {
			name := fmt.Sprintf("%s %s", op, bench.FormatSize(size))
			fmt.Fprintf(stderr, "… %s: %d alternating rounds\n", name, c.rounds)
			l := bench.Load{Clients: 1, MaxRequests: max(c.rounds, c.largeBytes/size), MaxDuration: c.largeDuration}
			r := measureRow(ctx, row{Name: name, Op: op, Size: size, Clients: 1}, c.rounds, l, 0, func() ([]bench.Party, error) {
				return rig.LargeParties(ctx, op, size)
			})
			rep.Rows = append(rep.Rows, r)
			failed = appendErr(failed, r.Err)
		}
	}
	for _, n := range c.clients {
		for _, op := range []string{bench.S3Put, bench.S3Get} {
			name := fmt.Sprintf("%s %s", op, bench.FormatSize(c.small))
			fmt.Fprintf(stderr, "… %s, %s: %d alternating rounds\n", name, clientsText(n), c.rounds)
			l := bench.Load{Clients: n, MaxRequests: c.requests, MaxDuration: c.duration}
			r := measureRow(ctx, row{Name: name, Op: op, Size: c.small, Clients: n, Small: true}, c.rounds, l, c.warmup, func() ([]bench.Party, error) {
				return rig.SmallParties(ctx, op, c.small, n)
			})
			rep.Rows = append(rep.Rows, r)
			failed = appendErr(failed, r.Err)
		}
	}
	rep.LoadAfter = bench.LoadAvg()
	rep.writeMarkdown(stdout)
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(failed...)
}

// measureRow sets row r's parties up, warms each up (for warmup, or one request
// when warmup is 0) and measures them under l in alternating rounds. A failure
// is the row's Err, so that the other rows still run.
func measureRow(ctx context.Context, r row, rounds int, l bench.Load, warmup time.Duration, parties func() ([]bench.Party, error)) row {
	ps, err := parties()
	if err != nil {
		r.Err = err
		return r
	}
	for _, p := range ps {
		wl := bench.Load{Clients: l.Clients, MaxRequests: 1, MaxDuration: time.Minute}
		if warmup > 0 {
			wl = bench.Load{Clients: l.Clients, MaxRequests: max(200*l.Clients, 1000), MaxDuration: warmup}
		}
		if _, err := bench.Run(ctx, wl, p.Call); err != nil {
			r.Err = fmt.Errorf("%s: %s warm-up: %w", r.Name, p.Name, err)
			return r
		}
	}
	res, err := bench.Alternate(ctx, rounds, l, ps)
	if err != nil {
		r.Err = fmt.Errorf("%s: %w", r.Name, err)
		return r
	}
	r.Results = res
	return r
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
