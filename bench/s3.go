package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stratus-run/stratus/internal/testfn"
)

// The S3 benchmarks drive `stratus server` and MinIO, its peer, with the
// aws-sdk-go-v2 S3 client (path-style, static credentials, no retries, the SDK's
// default checksums: a CRC32 header and, over plain HTTP, a signed SHA-256 of
// the payload, alike for both servers). Their baselines, in the same run, are
// the disk itself for the large objects (a file beside the servers' data
// directories, written and fsynced, read back) and a raw loopback HTTP round
// trip for the small ones (rawecho, carrying the object's bytes both ways).

// S3Bucket is the bucket every S3 benchmark creates on each server.
const S3Bucket = "bench"

// S3 operations, as S3Rig.Parties takes them.
const (
	S3Put = "PUT"
	S3Get = "GET"
)

// S3Options configure OpenS3. The zero value builds Stratus from the working
// directory's module, runs no MinIO and reads large objects warm.
type S3Options struct {
	// Root is the module root; empty means testfn.ModuleRoot().
	Root string
	// Stratus is a prebuilt stratus binary; empty means `go build ./cmd/stratus`.
	Stratus string
	// StratusFlags are added to `stratus server --listen 127.0.0.1:0 --data-dir
	// ... --sandbox process`, e.g. --cpu-profile FILE.
	StratusFlags []string
	// MinIO starts the peer: MinIOBin if set, else MinIOVersion ("" means the
	// proxy's latest) built by BuildMinIO.
	MinIO        bool
	MinIOBin     string
	MinIOVersion string
	// ColdReads drops the cached pages of every file of a large GET's party (the
	// server's data directory, the baseline's file) before each GET, untimed,
	// so that all of them read from the disk; otherwise all of them read warm.
	ColdReads bool
	// SmallKeys is how many objects a small GET cycles through (default 1000).
	SmallKeys int
}

// S3Server is one S3 endpoint under test and its bucket S3Bucket.
type S3Server struct {
	Name    string
	Process *Process
	// DataDir is where the server keeps its objects.
	DataDir string
}

// Client is an aws-sdk-go-v2 S3 client for s over hc: path-style, static
// credentials (MinIO's root user; Stratus accepts any), no retries (a retry
// would hide a failure and its time), and the checksums a client made by
// config.LoadDefaultConfig uses: a CRC32 of every PUT's body sent in a header,
// and the checksum of every GET's answer verified when the server sends one.
func (s *S3Server) Client(hc *http.Client) *s3.Client {
	return NewS3Client(s.Process.URL, hc)
}

// NewS3Client is the S3 client of S3Server.Client for any endpoint.
func NewS3Client(endpoint string, hc *http.Client) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(MinIOUser, MinIOPassword, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   hc,
		// s3.New leaves both unset, which computes no checksum at all;
		// LoadDefaultConfig's default is WhenSupported for both.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// S3Rig is one S3 comparison's fixtures: Stratus, MinIO and rawecho as child
// processes, a bucket on each server, and the disk baseline's directory, all
// under one temporary directory on one file system. A server that could not
// start or create its bucket is nil, and its error says why; the other parties
// are measured without it.
type S3Rig struct {
	Stratus      *S3Server
	StratusErr   error
	MinIO        *S3Server
	MinIOErr     error
	MinIOVersion string
	Raw          *Process
	// DiskDir holds the disk baseline's files, beside the servers' data
	// directories.
	DiskDir string

	o         S3Options
	dir       string
	objects   map[int]*Objects
	populated map[string]bool // server name and prefix of objects written for GETs
}

// OpenS3 builds and starts everything and creates the buckets. Only a failure of
// the baselines (building, starting rawecho, the directories) is an error;
// then nothing is left running.
func OpenS3(ctx context.Context, o S3Options) (_ *S3Rig, err error) {
	if o.SmallKeys <= 0 {
		o.SmallKeys = 1000
	}
	if o.Root == "" {
		if o.Root, err = testfn.ModuleRoot(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "stratus-s3bench")
	if err != nil {
		return nil, err
	}
	r := &S3Rig{o: o, dir: dir, DiskDir: filepath.Join(dir, "disk"), objects: map[int]*Objects{}, populated: map[string]bool{}}
	defer func() {
		if err != nil {
			r.Close(context.Background()) //nolint:errcheck // reporting err
		}
	}()
	if err := os.Mkdir(r.DiskDir, 0o755); err != nil {
		return nil, err
	}
	if r.Raw, err = startRawecho(ctx, o.Root, dir); err != nil {
		return nil, err
	}
	r.Stratus, r.StratusErr = r.startStratus(ctx)
	if o.MinIO {
		r.MinIO, r.MinIOErr = r.startMinIO(ctx)
	} else {
		r.MinIOErr = errors.New("not asked for")
	}
	return r, ctx.Err()
}

func (r *S3Rig) startStratus(ctx context.Context) (*S3Server, error) {
	s := &S3Server{Name: "stratus", DataDir: filepath.Join(r.dir, "stratus-data")}
	var err error
	if s.Process, err = startStratusProcess(ctx, r.o.Root, r.o.Stratus, r.dir, s.DataDir, r.o.StratusFlags); err != nil {
		return nil, err
	}
	return r.withBucket(ctx, s)
}

func (r *S3Rig) startMinIO(ctx context.Context) (*S3Server, error) {
	bin := r.o.MinIOBin
	if bin == "" {
		v, err := ResolveMinIO(ctx, r.o.MinIOVersion)
		if err != nil {
			return nil, err
		}
		r.MinIOVersion = v
		if bin, err = BuildMinIO(ctx, v); err != nil {
			return nil, err
		}
	} else {
		r.MinIOVersion = "prebuilt " + bin
	}
	s := &S3Server{Name: "minio", DataDir: filepath.Join(r.dir, "minio-data")}
	var err error
	if s.Process, err = StartMinIO(ctx, time.Minute, bin, s.DataDir); err != nil {
		return nil, err
	}
	return r.withBucket(ctx, s)
}

// withBucket creates S3Bucket on s, or stops s and returns why it could not. A
// server that answers 503 is asked again for up to 30 seconds: MinIO reports
// itself ready before its object layer is, and says so with a 503.
func (r *S3Rig) withBucket(ctx context.Context, s *S3Server) (*S3Server, error) {
	c := s.Client(NewHTTPClient(1))
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(S3Bucket)})
		if err == nil {
			return s, nil
		}
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusServiceUnavailable && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.Process.Close(context.Background()) //nolint:errcheck // reporting err
		return nil, fmt.Errorf("create bucket: %w", err)
	}
}

// Close stops every server and removes the run's files.
func (r *S3Rig) Close(ctx context.Context) error {
	var procs []*Process
	for _, s := range r.Servers() {
		procs = append(procs, s.Process)
	}
	return closeRig(ctx, r.dir, append(procs, r.Raw)...)
}

// Servers returns the servers that are up: Stratus, then MinIO.
func (r *S3Rig) Servers() []*S3Server { return upServers(r.Stratus, r.MinIO) }

// startRawecho builds rawecho into dir and runs it on loopback: the raw
// round trip the rigs compare with.
func startRawecho(ctx context.Context, root, dir string) (*Process, error) {
	bin := filepath.Join(dir, "rawecho")
	if err := testfn.GoBuild(root, "./bench/cmd/rawecho", bin); err != nil {
		return nil, err
	}
	return StartProcess(ctx, 30*time.Second, bin, "--listen", "127.0.0.1:0")
}

// startStratusProcess runs `stratus server` (bin, or built into dir when bin
// is empty) on loopback with the process sandbox and its data in dataDir.
func startStratusProcess(ctx context.Context, root, bin, dir, dataDir string, flags []string) (*Process, error) {
	if bin == "" {
		bin = filepath.Join(dir, "stratus")
		if err := testfn.GoBuild(root, "./cmd/stratus", bin); err != nil {
			return nil, err
		}
	}
	argv := append([]string{bin, "server", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--sandbox", "process"}, flags...)
	return StartProcess(ctx, time.Minute, argv...)
}

// closeRig stops procs (nil ones are skipped), giving them 30 seconds, and
// removes dir, a rig's files.
func closeRig(ctx context.Context, dir string, procs ...*Process) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var errs []error
	for _, p := range procs {
		if p != nil {
			errs = append(errs, p.Close(ctx))
		}
	}
	os.RemoveAll(dir) //nolint:errcheck // the servers' errors matter more
	return errors.Join(errs...)
}

// upServers returns the servers of ss that are up (not nil), in order.
func upServers[T any](ss ...*T) []*T {
	var up []*T
	for _, s := range ss {
		if s != nil {
			up = append(up, s)
		}
	}
	return up
}

// Objects returns the content of objects of size bytes, made once per rig.
func (r *S3Rig) Objects(size int) *Objects {
	o, ok := r.objects[size]
	if !ok {
		o = NewObjects(size)
		r.objects[size] = o
	}
	return o
}

// The names of the baseline parties.
const (
	PartyRaw  = "raw-http"
	PartyDisk = "disk"
)

// SmallParties returns the parties of a small-object row, op (S3Put or S3Get)
// of size bytes at the given concurrency: each server that is up, the raw round
// trip and, for a PUT, the disk's write+fsync of the same bytes. A GET row first
// writes the SmallKeys objects it reads, untimed. A PUT row writes a new key at
// every request.
func (r *S3Rig) SmallParties(ctx context.Context, op string, size, clients int) ([]Party, error) {
	o := r.Objects(size)
	var ps []Party
	for _, s := range r.Servers() {
		c := s.Client(NewHTTPClient(clients))
		switch op {
		case S3Put:
			prefix := fmt.Sprintf("small-put-%d-c%d", size, clients)
			ps = append(ps, Party{Name: s.Name, Server: s.Process, Call: S3PutNewCaller(c, S3Bucket, prefix, o)})
		case S3Get:
			prefix := fmt.Sprintf("small-get-%d", size)
			if err := r.populate(ctx, s, c, prefix, o, r.o.SmallKeys); err != nil {
				return nil, err
			}
			ps = append(ps, Party{Name: s.Name, Server: s.Process, Call: S3GetCaller(c, S3Bucket, prefix, o, r.o.SmallKeys)})
		default:
			return nil, fmt.Errorf("bench: S3 operation %q", op)
		}
	}
	raw := RawPostCaller(NewHTTPClient(clients), r.Raw.URL+"/echo", o.Body(0))
	ps = append(ps, Party{Name: PartyRaw, Server: r.Raw, Call: raw})
	if op == S3Put {
		// For information: the fsync a durable PUT waits for, one file per client.
		ps = append(ps, Party{Name: PartyDisk, Call: DiskPutCaller(r.DiskDir, o, clients)})
	}
	return ps, nil
}

// LargeParties returns the parties of a large-object row, op of size bytes from
// one client: each server that is up, then the disk. A PUT overwrites one key
// (one file for the disk); a GET reads one object written before, untimed,
// evicted from the page cache before every read with ColdReads.
func (r *S3Rig) LargeParties(ctx context.Context, op string, size int) ([]Party, error) {
	o := r.Objects(size)
	var ps []Party
	for _, s := range r.Servers() {
		c := s.Client(NewHTTPClient(1))
		switch op {
		case S3Put:
			ps = append(ps, Party{Name: s.Name, Server: s.Process, Call: S3PutOverCaller(c, S3Bucket, fmt.Sprintf("large-put-%d", size), o)})
		case S3Get:
			prefix := fmt.Sprintf("large-get-%d", size)
			if err := r.populate(ctx, s, c, prefix, o, 1); err != nil {
				return nil, err
			}
			p := Party{Name: s.Name, Server: s.Process, Call: S3GetCaller(c, S3Bucket, prefix, o, 1)}
			if r.o.ColdReads {
				dir := s.DataDir
				p.Before = func() error { return EvictTree(dir) }
			}
			ps = append(ps, p)
		default:
			return nil, fmt.Errorf("bench: S3 operation %q", op)
		}
	}
	switch op {
	case S3Put:
		ps = append(ps, Party{Name: PartyDisk, Call: DiskPutCaller(r.DiskDir, o, 1)})
	case S3Get:
		path := filepath.Join(r.DiskDir, "get-"+strconv.Itoa(size))
		if !r.populated["disk "+path] {
			if err := DiskPopulate(path, o); err != nil {
				return nil, err
			}
			r.populated["disk "+path] = true
		}
		p := Party{Name: PartyDisk, Call: DiskGetCaller(path, o)}
		if r.o.ColdReads {
			p.Before = func() error { return EvictTree(path) }
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func (r *S3Rig) populate(ctx context.Context, s *S3Server, c *s3.Client, prefix string, o *Objects, keys int) error {
	k := s.Name + " " + prefix
	if r.populated[k] {
		return nil
	}
	if err := S3Populate(ctx, c, S3Bucket, prefix, o, keys); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	r.populated[k] = true
	return nil
}
