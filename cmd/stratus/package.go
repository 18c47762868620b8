package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/blob"
	"github.com/stratus-run/stratus/internal/cloudformation/template"
)

// codeSource is one local code package of a template: a directory zipped as
// it is, a directory of Go source built into `bootstrap` first, or a zip file
// uploaded unchanged.
type codeSource struct {
	Path    string // absolute
	IsZip   bool   // Path is a zip file
	GoBuild bool   // Path holds Go source of a provided.* function
	GOARCH  string // for GoBuild: amd64 or arm64, from the function's Architectures
}

// artifact is a template property that names a codeSource, with how to
// write the uploaded object's location back into the template.
type artifact struct {
	Logical string // the resource, or "Globals" for Globals.Function.CodeUri
	Prop    string // CodeUri, ContentUri, Code or Content
	Src     codeSource
	set     func(bucket, key string)
}

// devFunction is a function of a template whose code is a local codeSource,
// the unit `stratus dev` reloads.
type devFunction struct {
	Logical string
	Src     codeSource
}

// packaged is a template with every local artifact uploaded and its
// properties rewritten to the uploaded objects.
type packaged struct {
	Body      string // the rewritten template, JSON
	Functions []devFunction
	Digests   map[string]string // codeSource.Path -> sha256 of the uploaded zip
	Sources   []codeSource      // every local artifact's source, functions' and layers'
}

// readTemplate parses a template file into its long form.
func readTemplate(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := template.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t.Doc, nil
}

// localPath reports whether a code property names a local file or
// directory, as `aws cloudformation package` decides: a string that is not
// an s3:// or http(s):// URL. Objects and intrinsic functions are left alone.
func localPath(v any) (string, bool) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", false
	}
	for _, p := range []string{"s3://", "http://", "https://"} {
		if strings.HasPrefix(strings.ToLower(s), p) {
			return "", false
		}
	}
	return s, true
}

// findArtifacts lists the local code properties of doc: SAM Function
// CodeUri (its own or Globals'), SAM LayerVersion ContentUri, and
// AWS::Lambda::Function Code / AWS::Lambda::LayerVersion Content given as a
// path. Relative paths are relative to dir, the template's directory. It
// fails naming the resource when a path does not exist.
func findArtifacts(doc map[string]any, dir string) ([]artifact, []devFunction, error) {
	resources, _ := doc["Resources"].(map[string]any)
	globals, _ := doc["Globals"].(map[string]any)
	gfn, _ := globals["Function"].(map[string]any)
	var arts []artifact
	var fns []devFunction
	var errs []error
	source := func(logical, prop, p string, runtime, arch any) (codeSource, bool) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s %w", logical, prop, err))
			return codeSource{}, false
		}
		src := codeSource{Path: p, IsZip: !st.IsDir()}
		if rt, _ := runtime.(string); st.IsDir() && strings.HasPrefix(rt, "provided") && hasGoSource(p) {
			src.GoBuild, src.GOARCH = true, "amd64"
			if a, _ := arch.([]any); len(a) == 1 && a[0] == "arm64" {
				src.GOARCH = "arm64"
			}
		}
		return src, true
	}
	var globalSrc *codeSource
	if p, ok := localPath(gfn["CodeUri"]); ok {
		if src, ok := source("Globals", "CodeUri", p, gfn["Runtime"], gfn["Architectures"]); ok {
			globalSrc = &src
			arts = append(arts, artifact{Logical: "Globals", Prop: "CodeUri", Src: src, set: func(b, k string) { gfn["CodeUri"] = "s3://" + b + "/" + k }})
		}
	}
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r, _ := resources[id].(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			continue
		}
		typ, _ := r["Type"].(string)
		pick := func(key string) any {
			if v, ok := props[key]; ok {
				return v
			}
			return gfn[key]
		}
		switch typ {
		case "AWS::Serverless::Function":
			if p, ok := localPath(props["CodeUri"]); ok {
				if src, ok := source(id, "CodeUri", p, pick("Runtime"), pick("Architectures")); ok {
					arts = append(arts, artifact{Logical: id, Prop: "CodeUri", Src: src, set: func(b, k string) { props["CodeUri"] = "s3://" + b + "/" + k }})
					fns = append(fns, devFunction{Logical: id, Src: src})
				}
			} else if _, has := props["CodeUri"]; !has && props["InlineCode"] == nil && globalSrc != nil {
				fns = append(fns, devFunction{Logical: id, Src: *globalSrc})
			}
		case "AWS::Lambda::Function":
			if p, ok := localPath(props["Code"]); ok {
				if src, ok := source(id, "Code", p, props["Runtime"], props["Architectures"]); ok {
					arts = append(arts, artifact{Logical: id, Prop: "Code", Src: src, set: func(b, k string) { props["Code"] = map[string]any{"S3Bucket": b, "S3Key": k} }})
					fns = append(fns, devFunction{Logical: id, Src: src})
				}
			}
		case "AWS::Serverless::LayerVersion":
			if p, ok := localPath(props["ContentUri"]); ok {
				if src, ok := source(id, "ContentUri", p, nil, nil); ok {
					arts = append(arts, artifact{Logical: id, Prop: "ContentUri", Src: src, set: func(b, k string) { props["ContentUri"] = "s3://" + b + "/" + k }})
				}
			}
		case "AWS::Lambda::LayerVersion":
			if p, ok := localPath(props["Content"]); ok {
				if src, ok := source(id, "Content", p, nil, nil); ok {
					arts = append(arts, artifact{Logical: id, Prop: "Content", Src: src, set: func(b, k string) { props["Content"] = map[string]any{"S3Bucket": b, "S3Key": k} }})
				}
			}
		}
	}
	return arts, fns, errors.Join(errs...)
}

// hasGoSource reports whether dir holds a Go main package: a go.mod or a
// .go file, as sam build's go builder looks for.
func hasGoSource(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if !e.IsDir() && (e.Name() == "go.mod" || strings.HasSuffix(e.Name(), ".go")) {
			return true
		}
	}
	return false
}

// zipEpoch is the modification time of every zipped file, so that the same
// sources always make the same bytes (and the same S3 key, and no stack
// change when nothing changed).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// bundle returns src's code package: the zip file itself, a zip of the
// directory, or (GoBuild) a zip of the `bootstrap` built from it. A failed
// build's error carries the compiler's output.
func (src codeSource) bundle(ctx context.Context) ([]byte, error) {
	switch {
	case src.IsZip:
		return os.ReadFile(src.Path)
	case src.GoBuild:
		tmp, err := os.MkdirTemp("", "stratus-build")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		bin := filepath.Join(tmp, "bootstrap")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
		cmd.Dir = src.Path
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+src.GOARCH, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build in %s: %w\n%s", src.Path, err, bytes.TrimSpace(out))
		}
		return zipDir(tmp)
	}
	return zipDir(src.Path)
}

// zipDir zips every file under dir (following symlinks to files), in
// lexical order with fixed times, keeping only the executable bit of each
// file's mode.
func zipDir(dir string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.IsDir() || !st.Mode().IsRegular() {
			return nil // a symlinked directory or a socket: not code
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		h := &zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate, Modified: zipEpoch}
		mode := fs.FileMode(0o644)
		if st.Mode()&0o111 != 0 {
			mode = 0o755
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// deployBucket is the bucket code packages go to, one per region as
// `sam deploy --resolve-s3` keeps one.
func deployBucket(region string) string { return "stratus-deploy-" + region }

// ensureBucket creates the deploy bucket unless it exists.
func ensureBucket(ctx context.Context, cl *s3.Client, bucket, region string) error {
	if _, err := cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		return nil
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	_, err := cl.CreateBucket(ctx, in)
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "BucketAlreadyOwnedByYou" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating bucket %s: %w", bucket, err)
	}
	return nil
}

// upload puts b at key unless an object is there already: keys are content
// digests, so an object there is these bytes.
func upload(ctx context.Context, cl *s3.Client, bucket, key string, b []byte) error {
	if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err == nil {
		return nil
	}
	_, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(b)})
	if err != nil {
		return fmt.Errorf("uploading s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// packageTemplate does what `aws cloudformation package` does for the
// code properties: it builds and zips every local artifact (in parallel),
// uploads each to bucket under its digest, and returns the template
// rewritten to those objects.
func packageTemplate(ctx context.Context, cl *s3.Client, bucket, path string) (*packaged, error) {
	doc, err := readTemplate(path)
	if err != nil {
		return nil, err
	}
	arts, fns, err := findArtifacts(doc, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	// Artifacts sharing a source are built once.
	bySrc := map[string][]int{}
	var order []string
	for i, a := range arts {
		if bySrc[a.Src.Path] == nil {
			order = append(order, a.Src.Path)
		}
		bySrc[a.Src.Path] = append(bySrc[a.Src.Path], i)
	}
	p := &packaged{Functions: fns, Digests: map[string]string{}}
	keys := make([]string, len(order))
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, sp := range order {
		a := arts[bySrc[sp][0]]
		p.Sources = append(p.Sources, a.Src)
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := a.Src.bundle(ctx)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", a.Logical, err)
				return
			}
			d := blob.Digest(b)
			keys[i] = d + ".zip"
			errs[i] = upload(ctx, cl, bucket, keys[i], b)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, sp := range order {
		p.Digests[sp] = strings.TrimSuffix(keys[i], ".zip")
		for _, ai := range bySrc[sp] {
			arts[ai].set(bucket, keys[i])
		}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	p.Body = string(body)
	return p, nil
}
