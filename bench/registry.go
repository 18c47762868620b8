package bench

import (
	"archive/tar"
	"bytes"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stratus-run/stratus/internal/testfn"
)

// distribution is the registry benchmark's peer: the reference OCI registry,
// built from the Go module proxy into the user's cache (never linked or
// vendored) and run as a child process with filesystem storage.
const (
	DistributionModule  = "github.com/distribution/distribution/v3"
	DistributionVersion = "v3.1.2"
)

// BuildDistribution returns the path of a registry binary of
// DistributionVersion, building it with `go install` the first time; it is
// kept under stratus-bench/distribution/<version>/ in the user's cache.
func BuildDistribution(ctx context.Context) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "stratus-bench", "distribution")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, DistributionVersion, "registry")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) //nolint:errcheck // a failed build leaves nothing to keep
	out, err := goCmd(ctx, dir, []string{"GOBIN=" + tmp, "GOFLAGS=-mod=mod"}, "install", DistributionModule+"/cmd/registry@"+DistributionVersion)
	if err != nil {
		return "", fmt.Errorf("bench: go install %s: %w\n%s", DistributionModule, err, lastLines(out, 20))
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	return bin, os.Rename(filepath.Join(tmp, "registry"), bin)
}

// StartDistribution runs `registry serve` on a free loopback port with its
// filesystem driver rooted in dir/distribution-data, deletes enabled, access
// logs off and errors only, ready when GET /v2/ answers 200.
func StartDistribution(ctx context.Context, bin, dir string) (*Process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "distribution.yaml")
	yaml := "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n" +
		"storage:\n  filesystem:\n    rootdirectory: " + filepath.Join(dir, "distribution-data") + "\n" +
		"  delete:\n    enabled: true\n  redirect:\n    disable: true\n" +
		"http:\n  addr: " + addr + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", cfg)
	// distribution reads OTEL_* and would try to export traces otherwise.
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true")
	p, err := startPolled(ctx, 30*time.Second, cmd, "http://"+addr, "/v2/")
	if err != nil {
		return nil, fmt.Errorf("bench: distribution: %w", err)
	}
	return p, nil
}

// RegistryRig is one registry benchmark run: Stratus and (when asked and it
// could be built) distribution, each a child process.
type RegistryRig struct {
	Stratus         *Process
	Distribution    *Process
	DistributionErr error
	dir             string
}

// OpenRegistry builds and starts the servers; only a failure of Stratus is an
// error. distBin, if set, is a prebuilt distribution registry binary.
func OpenRegistry(ctx context.Context, stratusBin string, flags []string, dist bool, distBin string) (_ *RegistryRig, err error) {
	r := &RegistryRig{}
	root, err := testfn.ModuleRoot()
	if err != nil {
		return nil, err
	}
	if r.dir, err = os.MkdirTemp("", "stratus-registrybench"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.Close(context.Background()) //nolint:errcheck
		}
	}()
	if r.Stratus, err = startStratusProcess(ctx, root, stratusBin, r.dir, filepath.Join(r.dir, "stratus-data"), flags); err != nil {
		return nil, err
	}
	if !dist {
		r.DistributionErr = errors.New("not asked for")
		return r, nil
	}
	bin := distBin
	if bin == "" {
		bin, err = BuildDistribution(ctx)
	}
	if err == nil {
		r.Distribution, err = StartDistribution(ctx, bin, r.dir)
	}
	r.DistributionErr, err = err, nil
	return r, nil
}

// Dir is the run's scratch directory.
func (r *RegistryRig) Dir() string { return r.dir }

// Close stops every server and removes the run's files.
func (r *RegistryRig) Close(ctx context.Context) error {
	return closeRig(ctx, r.dir, r.Stratus, r.Distribution)
}

// ProcessCPU is p's user + system CPU time so far.
func ProcessCPU(p *Process) (time.Duration, error) {
	u, _, err := procUse(p.Pid())
	return u.CPU, err
}

// BenchImage is an image of incompressible layers, each an uncompressed tar
// holding one random file, generated once. Next salts the start of every
// file with fresh random bytes, so that each push carries blobs no registry
// has seen (a registry that deduplicates does not skip the upload), at the
// cost of rehashing, outside the timed part.
type BenchImage struct {
	layers [][]byte
	off    int // where each layer's file data starts
	Size   int64
}

// NewBenchImage generates layers tar layers of about total bytes in all.
func NewBenchImage(total int64, layers int) (*BenchImage, error) {
	if layers < 1 || total < int64(layers)*1024 {
		return nil, fmt.Errorf("bench: image of %d bytes in %d layers", total, layers)
	}
	var seed [32]byte
	crand.Read(seed[:]) //nolint:errcheck // never fails
	rng := rand.NewChaCha8(seed)
	b := &BenchImage{}
	per := total / int64(layers)
	for i := range layers {
		var buf bytes.Buffer
		buf.Grow(int(per) + 4096)
		tw := tar.NewWriter(&buf)
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("layer%d.bin", i), Size: per, Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		b.off = buf.Len()
		if _, err := io.CopyN(tw, rng, per); err != nil {
			return nil, err
		}
		if err := tw.Close(); err != nil {
			return nil, err
		}
		b.layers = append(b.layers, buf.Bytes())
		b.Size += int64(buf.Len())
	}
	return b, nil
}

// Next salts every layer and returns the image as an OCI manifest, its
// digests computed.
func (b *BenchImage) Next() (v1.Image, error) {
	adds := make([]mutate.Addendum, 0, len(b.layers))
	for _, l := range b.layers {
		crand.Read(l[b.off : b.off+32]) //nolint:errcheck // never fails
		adds = append(adds, mutate.Addendum{Layer: static.NewLayer(l, types.OCIUncompressedLayer)})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON)
	// Hash now, not while pushing.
	if _, err := img.Digest(); err != nil {
		return nil, err
	}
	ls, err := img.Layers()
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		if _, err := l.Digest(); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// RegistryRef is host/repo:tag over plain HTTP.
func RegistryRef(serverURL, repo string) (name.Reference, error) {
	host := strings.TrimPrefix(serverURL, "http://")
	return name.ParseReference(host+"/"+repo+":latest", name.Insecure)
}

// PushImage pushes img with go-containerregistry's remote.Write (its
// uploads: HEAD, POST, PATCH of the whole blob, PUT), jobs blobs at a time.
func PushImage(ctx context.Context, ref name.Reference, img v1.Image, tr http.RoundTripper, jobs int) error {
	return remote.Write(ref, img, remote.WithContext(ctx), remote.WithTransport(tr), remote.WithJobs(jobs))
}

// PullImage fetches ref's manifest and config, then every layer blob in
// full, jobs at a time; go-containerregistry checks each blob's bytes
// against its digest as it reads them. It returns the bytes of the layers
// and the manifest's digest.
func PullImage(ctx context.Context, ref name.Reference, tr http.RoundTripper, jobs int) (int64, v1.Hash, error) {
	img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithTransport(tr))
	if err != nil {
		return 0, v1.Hash{}, err
	}
	dg, err := img.Digest()
	if err != nil {
		return 0, dg, err
	}
	if _, err := img.RawConfigFile(); err != nil {
		return 0, dg, err
	}
	ls, err := img.Layers()
	if err != nil {
		return 0, dg, err
	}
	var (
		mu    sync.Mutex
		total int64
		errs  []error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, max(jobs, 1))
	)
	for _, l := range ls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			n, err := readLayer(l)
			mu.Lock()
			total += n
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, dg, errors.Join(errs...)
}

func readLayer(l v1.Layer) (int64, error) {
	rc, err := l.Compressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		m, err := rc.Read(buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
