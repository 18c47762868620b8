// Command imagebench measures the cold start of a Lambda container-image
// function against a zip function's, in one run (issue 16).
//
//	go run ./bench/cmd/imagebench [flags]
//
// It builds and starts `stratus server --sandbox oci` as a child process on
// loopback (bench.Open: the test function testdata/fn, aws-lambda-go, built
// once as a zip package), and builds from the same bootstrap binary an image:
// one gzip layer holding /bootstrap, ENTRYPOINT ["/bootstrap"], CMD ["echo"].
// With -big (default 50MiB) a second variant adds a layer of that many random
// (incompressible) bytes, to show the unpack cost. Images go to Stratus's own
// registry (/v2/) with go-containerregistry; pushing is never timed.
//
// Each sample is a fresh function: CreateFunction, timed, then its first
// Invoke (the cold start proper, timed from the client, with the REPORT
// line's Init Duration), then DeleteFunction, untimed. The parties are
//
//   - zip: a provided.al2023 function from the zip package;
//   - image-first/<variant>: an image whose manifest digest Stratus has not
//     seen (a fresh ENV value in its config each round), so CreateFunction
//     resolves it and unpacks its root: the create carries the unpack;
//   - image-cached/<variant>: the same digest every round, unpacked once
//     before the rounds (a function created from it is kept), so the create
//     finds the root cached.
//
// In each of -rounds rounds every party runs once, in an order rotated from
// round to round. The report has medians, min and max, and the ratios of the
// medians to zip's. The exit status is 0 whether or not the target passes.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	crand "crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stratus-run/stratus/bench"
)

func main() { bench.Main("imagebench", run) }

// targetCachedVsZip is the target: a cached image function's cold
// start within this many times the zip function's.
const targetCachedVsZip = 1.5

const role = "arn:aws:iam::000000000000:role/bench"

// sample is one fresh function's create and first invoke.
type sample struct {
	create, invoke, init time.Duration
}

func (s sample) total() time.Duration { return s.create + s.invoke }

// variant is an image shape: its layers, built once.
type variant struct {
	name   string
	layers []v1.Layer
	bytes  int64 // uncompressed layer bytes
	cached string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("imagebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 9, "alternating rounds (each: one sample per party)")
	bigFlag := fs.String("big", "50MiB", "random bytes in the big variant's extra layer (0: no big variant)")
	sandbox := fs.String("sandbox", "oci", "the server's --sandbox (image functions need oci)")
	stratus := fs.String("stratus", "", "prebuilt stratus binary (default: go build ./cmd/stratus)")
	profile := fs.String("cpuprofile", "", "write the Stratus server's CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *rounds < 1 || *rounds > 100 {
		return errors.New("-rounds must be in [1, 100]")
	}
	big := 0
	if *bigFlag != "0" {
		n, err := bench.ParseSize(*bigFlag)
		if err != nil || n > 1<<30 {
			return fmt.Errorf("-big: %q is not a size up to 1GiB", *bigFlag)
		}
		big = n
	}
	flags := []string{"--sandbox", *sandbox}
	if *profile != "" {
		abs, err := filepath.Abs(*profile)
		if err != nil {
			return err
		}
		flags = append(flags, "--cpu-profile", abs)
	}
	fmt.Fprintln(stderr, "… building and starting stratus")
	r, err := bench.Open(ctx, bench.Options{Stratus: *stratus, StratusFlags: flags})
	if err != nil {
		return err
	}
	defer r.Close(context.Background()) //nolint:errcheck // a measuring error comes first
	host := strings.TrimPrefix(r.Stratus.URL, "http://")
	_, port, _ := strings.Cut(host, ":")
	ecrHost := "000000000000.dkr.ecr.us-east-1.localhost:" + port
	tr := bench.NewTransport(4)
	lc := r.LambdaClient(bench.NewHTTPClient(1))

	bin, err := os.ReadFile(r.Bootstrap)
	if err != nil {
		return err
	}
	bootLayer, err := tarLayer(map[string][]byte{"bootstrap": bin}, 0o755)
	if err != nil {
		return err
	}
	variants := []*variant{{name: "small", layers: []v1.Layer{bootLayer}, bytes: int64(len(bin))}}
	if big > 0 {
		fmt.Fprintf(stderr, "… generating the %s layer\n", bench.FormatSize(big))
		data := make([]byte, big)
		var seed [32]byte
		crand.Read(seed[:])              //nolint:errcheck // never fails
		rand.NewChaCha8(seed).Read(data) //nolint:errcheck // never fails
		l, err := tarLayer(map[string][]byte{"opt/data.bin": data}, 0o644)
		if err != nil {
			return err
		}
		variants = append(variants, &variant{name: "big", layers: []v1.Layer{bootLayer, l}, bytes: int64(len(bin) + big)})
	}

	push := func(v *variant, tag, mark string) (string, error) {
		img, err := image(v.layers, mark)
		if err != nil {
			return "", err
		}
		repo := "bench/img-" + v.name
		ref, err := name.ParseReference(host+"/"+repo+":"+tag, name.Insecure)
		if err != nil {
			return "", err
		}
		if err := bench.PushImage(ctx, ref, img, tr, 4); err != nil {
			return "", fmt.Errorf("push %s:%s: %w", repo, tag, err)
		}
		return ecrHost + "/" + repo + ":" + tag, nil
	}
	createImage := func(fn, uri string) error {
		_, err := r.Admin.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(fn), PackageType: types.PackageTypeImage, Role: aws.String(role),
			Code: &types.FunctionCode{ImageUri: aws.String(uri)},
		})
		return err
	}
	// The cached images: pushed and unpacked (by a function kept to the end) once.
	for _, v := range variants {
		if v.cached, err = push(v, "cached", "cached"); err != nil {
			return err
		}
		if err := createImage("pin-"+v.name, v.cached); err != nil {
			return fmt.Errorf("create pin-%s: %w", v.name, err)
		}
	}

	m := bench.MachineInfo()
	fmt.Fprintf(stdout, "date %s\ncommand %s\nmachine %+v\nsandbox %s\nload average before %s\n",
		time.Now().UTC().Format(time.RFC3339), strings.Join(append([]string{"imagebench"}, args...), " "), m, *sandbox, bench.LoadAvg())
	for _, v := range variants {
		fmt.Fprintf(stdout, "image %s: %d gzip layer(s), %.1f MB uncompressed\n", v.name, len(v.layers), float64(v.bytes)/1e6)
	}
	fmt.Fprintf(stdout, "zip: %.1f MB package (the same bootstrap)\n%d rounds, parties rotated each round; each sample a fresh function: create (timed), first invoke (timed), delete\n\n",
		float64(len(r.Zip))/1e6, *rounds)

	parties := []string{"zip"}
	for _, v := range variants {
		parties = append(parties, "image-first/"+v.name, "image-cached/"+v.name)
	}
	byName := map[string]*variant{}
	for _, v := range variants {
		byName[v.name] = v
	}
	samples := map[string][]sample{}
	for round := range *rounds {
		// Fresh digests for this round's first cold starts, pushed untimed.
		fresh := map[string]string{}
		for _, v := range variants {
			mark := fmt.Sprintf("r%d-%d", round, rand.Uint64())
			if fresh[v.name], err = push(v, fmt.Sprintf("r%d", round), mark); err != nil {
				return err
			}
		}
		for j := range parties {
			p := parties[(j+round)%len(parties)]
			fn := fmt.Sprintf("%s-r%d", strings.ReplaceAll(p, "/", "-"), round)
			kind, vname, _ := strings.Cut(p, "/")
			var s sample
			t0 := time.Now()
			switch kind {
			case "zip":
				err = r.CreateFunction(ctx, fn, "echo")
			case "image-first":
				err = createImage(fn, fresh[vname])
			case "image-cached":
				err = createImage(fn, byName[vname].cached)
			}
			s.create = time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s round %d: create: %w", p, round, err)
			}
			t1 := time.Now()
			s.init, err = r.InvokeCold(ctx, lc, fn)
			s.invoke = time.Since(t1)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", p, round, err)
			}
			if err := r.DeleteFunction(ctx, fn); err != nil {
				return err
			}
			samples[p] = append(samples[p], s)
			fmt.Fprintf(stderr, "… round %d %-20s create %6.1f ms  invoke %6.1f ms  init %6.1f ms\n", round, p, ms(s.create), ms(s.invoke), ms(s.init))
		}
	}

	type stat struct{ med, lo, hi time.Duration }
	stats := func(p string, f func(sample) time.Duration) stat {
		ds := make([]time.Duration, 0, len(samples[p]))
		for _, s := range samples[p] {
			ds = append(ds, f(s))
		}
		slices.Sort(ds)
		n := len(ds)
		med := ds[n/2]
		if n%2 == 0 {
			med = (ds[n/2-1] + ds[n/2]) / 2
		}
		return stat{med, ds[0], ds[n-1]}
	}
	cols := []struct {
		name string
		f    func(sample) time.Duration
	}{
		{"create", func(s sample) time.Duration { return s.create }},
		{"first invoke", func(s sample) time.Duration { return s.invoke }},
		{"Init Duration", func(s sample) time.Duration { return s.init }},
		{"create + invoke", sample.total},
	}
	fmt.Fprintf(stdout, "| party | create ms | first invoke ms | Init Duration ms | create + invoke ms |\n|---|--:|--:|--:|--:|\n")
	med := map[string]map[string]time.Duration{}
	for _, p := range parties {
		med[p] = map[string]time.Duration{}
		fmt.Fprintf(stdout, "| %s |", p)
		for _, c := range cols {
			st := stats(p, c.f)
			med[p][c.name] = st.med
			fmt.Fprintf(stdout, " %.1f (%.1f–%.1f) |", ms(st.med), ms(st.lo), ms(st.hi))
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "\nmedian (min–max) over %d rounds\n\n| check (same run), ratio of medians | ratio | target | verdict |\n|---|--:|---|---|\n", *rounds)
	for _, v := range variants {
		for _, c := range []string{"first invoke", "create + invoke"} {
			x := float64(med["image-cached/"+v.name][c]) / float64(med["zip"][c])
			var pass *bool
			target := ""
			// The target is the cold start proper: the first invoke of the
			// small image, the image; the rest are information.
			if v.name == "small" && c == "first invoke" {
				ok := x <= targetCachedVsZip
				pass, target = &ok, fmt.Sprintf("≤ %.1fx", targetCachedVsZip)
			}
			fmt.Fprintf(stdout, "| image-cached/%s / zip, %s | %.2fx | %s | %s |\n", v.name, c, x, target, bench.Verdict(pass))
		}
		for _, c := range []string{"first invoke", "create + invoke"} {
			x := float64(med["image-first/"+v.name][c]) / float64(med["zip"][c])
			fmt.Fprintf(stdout, "| image-first/%s / zip, %s | %.2fx | | info |\n", v.name, c, x)
		}
		unpack := med["image-first/"+v.name]["create"] - med["image-cached/"+v.name]["create"]
		fmt.Fprintf(stdout, "| image-first/%s create − image-cached/%s create (≈ the unpack) | %.1f ms | | info |\n", v.name, v.name, ms(unpack))
	}
	fmt.Fprintf(stdout, "\nload average after %s\n", bench.LoadAvg())
	return nil
}

// tarLayer is a gzip layer (fastest level) of the files, each with mode.
func tarLayer(files map[string][]byte, mode int64) (v1.Layer, error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if dir := filepath.Dir(n); dir != "." {
			if err := tw.WriteHeader(&tar.Header{Name: dir + "/", Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: mode, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	b := gz.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		return nil, err
	}
	// Hash (and gunzip for the diff ID) once, not at every push.
	if _, err := l.Digest(); err != nil {
		return nil, err
	}
	if _, err := l.DiffID(); err != nil {
		return nil, err
	}
	return l, nil
}

// image is the layers with ENTRYPOINT ["/bootstrap"], CMD ["echo"] (the mode
// testdata/fn reads from _HANDLER) and BENCH_MARK=mark, which makes the
// manifest digest differ per mark.
func image(layers []v1.Layer, mark string) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint = []string{"/bootstrap"}
	cf.Config.Cmd = []string{"echo"}
	cf.Config.Env = []string{"BENCH_MARK=" + mark, "PATH=/usr/bin:/bin"}
	return mutate.ConfigFile(img, cf)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
