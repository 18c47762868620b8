package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stratus-run/stratus/internal/blob"
)

// settle is how long a path must be quiet before a change is acted on:
// editors save in bursts (a temporary file, a rename, a chmod), and one
// reload per save is what a user expects.
const settle = 15 * time.Millisecond

// ignoredName reports names that editors and tools write beside the code
// and that never change what a function runs: swap and backup files, vim's
// 4913 probe, Python's bytecode cache.
func ignoredName(n string) bool {
	return strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") || strings.HasSuffix(n, ".swp") || strings.HasSuffix(n, ".swx") ||
		n == "4913" || n == "__pycache__" || strings.HasSuffix(n, ".pyc")
}

// liveFunction is a deployed function whose code `stratus dev` reloads.
type liveFunction struct {
	devFunction
	Name   string // the physical function name
	digest string // of the code it runs now
}

// devLoop is one `stratus dev` session.
type devLoop struct {
	cl     *clients
	o      *deployOptions
	stdout io.Writer
	stderr io.Writer

	fns    []*liveFunction
	others []codeSource // layers: a change redeploys the stack
}

// devCmd is `stratus dev`: deploy, then reload each function whose code
// directory changes and redeploy when the template changes, until ctx ends
// (Ctrl-C). Reload and deploy failures are reported and the loop goes on; a
// failed first deploy ends it.
func devCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseDeployFlags("dev", args, stderr)
	if err != nil {
		return err
	}
	cl, err := newClients(ctx, o)
	if err != nil {
		return err
	}
	d := &devLoop{cl: cl, o: o, stdout: stdout, stderr: stderr}
	if err := d.deploy(ctx); err != nil {
		return err
	}
	for {
		err := d.watch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, errRewatch) {
			return err
		}
	}
}

// errRewatch ends one watch after a redeploy changed what is watched.
var errRewatch = errors.New("sources changed")

// deploy deploys the stack and learns its functions' physical names.
func (d *devLoop) deploy(ctx context.Context) error {
	t0 := time.Now()
	res, err := deploy(ctx, d.cl, d.o, d.stderr)
	if err != nil {
		return err
	}
	if res.NoChanges {
		fmt.Fprintf(d.stderr, "stack %s is up to date\n", d.o.StackName)
	} else {
		fmt.Fprintf(d.stderr, "stack %s %s in %s\n", d.o.StackName, res.Status, time.Since(t0).Round(time.Millisecond))
	}
	if err := printResult(d.stdout, d.o.Output, res); err != nil {
		return err
	}
	names, err := stackPhysicalIDs(ctx, d.cl.cfn, d.o.StackName)
	if err != nil {
		return err
	}
	d.fns, d.others = nil, nil
	isFn := map[string]bool{}
	for _, f := range res.pkg.Functions {
		name := names[f.Logical]
		if name == "" {
			continue // a function whose Condition left it out
		}
		isFn[f.Src.Path] = true
		d.fns = append(d.fns, &liveFunction{devFunction: f, Name: name, digest: res.pkg.Digests[f.Src.Path]})
	}
	for _, s := range res.pkg.Sources {
		if !isFn[s.Path] {
			d.others = append(d.others, s)
		}
	}
	fmt.Fprintf(d.stderr, "watching %d function(s) and %s (Ctrl-C stops)\n", len(d.fns), filepath.Base(d.o.Template))
	return nil
}

// stackPhysicalIDs maps a stack's logical resource ids to physical ids.
func stackPhysicalIDs(ctx context.Context, cl *cloudformation.Client, stack string) (map[string]string, error) {
	m := map[string]string{}
	p := cloudformation.NewListStackResourcesPaginator(cl, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, apiMessage(err)
		}
		for _, r := range out.StackResourceSummaries {
			m[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
		}
	}
	return m, nil
}

// under reports whether p is src's path or inside its directory.
func under(p string, src codeSource) bool {
	if src.IsZip {
		return p == src.Path
	}
	return p == src.Path || strings.HasPrefix(p, src.Path+string(filepath.Separator))
}

// watch acts on changes until ctx ends or a redeploy changes the sources
// (errRewatch).
func (d *devLoop) watch(ctx context.Context) error {
	var trees []string
	dirs := []string{filepath.Dir(d.o.Template)}
	for _, s := range d.sources() {
		if s.IsZip {
			dirs = append(dirs, filepath.Dir(s.Path))
		} else {
			trees = append(trees, s.Path)
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := watchTrees(wctx, trees, dirs)
	if err != nil {
		return err
	}
	// first holds when the earliest unhandled change of each pending
	// action was seen, for the reload line's time.
	var first time.Time
	pending := map[*liveFunction]bool{}
	redeploy := false
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p, ok := <-events:
			if !ok {
				return ctx.Err()
			}
			if ignoredName(filepath.Base(p)) {
				continue
			}
			hit := false
			if p == d.o.Template || slices.ContainsFunc(d.others, func(s codeSource) bool { return under(p, s) }) {
				redeploy, hit = true, true
			}
			for _, f := range d.fns {
				if under(p, f.Src) {
					pending[f], hit = true, true
				}
			}
			if !hit {
				continue
			}
			if first.IsZero() {
				first = time.Now()
			}
			timer.Reset(settle)
		case <-timer.C:
			if redeploy {
				before := d.sources()
				if err := d.deploy(ctx); err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					fmt.Fprintf(d.stderr, "redeploy failed: %v\n", err)
				} else if !slices.Equal(before, d.sources()) {
					return errRewatch
				}
				// A redeploy packaged every function's code as it is now.
			} else {
				d.reload(ctx, pending, first)
			}
			first, redeploy = time.Time{}, false
			clear(pending)
		}
	}
}

// sources lists every local source the session watches, in a stable order.
func (d *devLoop) sources() []codeSource {
	var out []codeSource
	seen := map[string]bool{}
	for _, f := range d.fns {
		if !seen[f.Src.Path] {
			seen[f.Src.Path] = true
			out = append(out, f.Src)
		}
	}
	out = append(out, d.others...)
	slices.SortFunc(out, func(a, b codeSource) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// reload rebuilds and updates the code of each pending function in
// parallel, one line each. A source is built once however many functions
// share it; code that did not change is not sent.
func (d *devLoop) reload(ctx context.Context, pending map[*liveFunction]bool, since time.Time) {
	bundles := map[string]func() ([]byte, error){}
	for f := range pending {
		if bundles[f.Src.Path] == nil {
			bundles[f.Src.Path] = sync.OnceValues(func() ([]byte, error) { return f.Src.bundle(ctx) })
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // one line at a time
	for f := range pending {
		wg.Add(1)
		go func() {
			defer wg.Done()
			zip, err := bundles[f.Src.Path]()
			if err == nil {
				if dg := blob.Digest(zip); dg != f.digest {
					if err = d.updateCode(ctx, f.Name, zip); err == nil {
						f.digest = dg
					}
				} else {
					return // saved without a change
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Fprintf(d.stderr, "reload %s failed: %v\n", f.Logical, err)
				return
			}
			fmt.Fprintf(d.stdout, "reloaded %s in %d ms\n", f.Logical, time.Since(since).Milliseconds())
		}()
	}
	wg.Wait()
}

// maxZipFile is what UpdateFunctionCode takes inline (50 MB zipped);
// larger code goes through the deploy bucket.
const maxZipFile = 50 << 20

// updateCode sends new code to a function and waits until the update is
// done, so that the next invoke runs it: Lambda recycles the function's
// warm environments on a code update.
func (d *devLoop) updateCode(ctx context.Context, name string, zip []byte) error {
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name)}
	if len(zip) <= maxZipFile {
		in.ZipFile = zip
	} else {
		bucket, key := deployBucket(d.cl.region), blob.Digest(zip)+".zip"
		if err := upload(ctx, d.cl.s3, bucket, key, zip); err != nil {
			return err
		}
		in.S3Bucket, in.S3Key = aws.String(bucket), aws.String(key)
	}
	out, err := d.cl.lambda.UpdateFunctionCode(ctx, in)
	if err != nil {
		return apiMessage(err)
	}
	status := out.LastUpdateStatus
	for delay := 5 * time.Millisecond; status == lambdatypes.LastUpdateStatusInProgress; delay = min(2*delay, 100*time.Millisecond) {
		if err := sleep(ctx, delay); err != nil {
			return err
		}
		c, err := d.cl.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		if err != nil {
			return apiMessage(err)
		}
		status = c.LastUpdateStatus
		if status == lambdatypes.LastUpdateStatusFailed {
			return fmt.Errorf("update failed: %s", aws.ToString(c.LastUpdateStatusReason))
		}
	}
	return nil
}
