package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// zipOf zips files, path → content, each with mode 0644 (0755 for names ending in
// "bootstrap").
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if strings.HasSuffix(name, "bootstrap") {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func publishLayer(t *testing.T, c *lambda.Client, name string, zipped []byte, mods ...func(*lambda.PublishLayerVersionInput)) *lambda.PublishLayerVersionOutput {
	t.Helper()
	in := &lambda.PublishLayerVersionInput{LayerName: aws.String(name), Content: &types.LayerVersionContentInput{ZipFile: zipped}}
	for _, m := range mods {
		m(in)
	}
	out, err := c.PublishLayerVersion(context.Background(), in)
	if err != nil {
		t.Fatalf("PublishLayerVersion %s: %v", name, err)
	}
	return out
}

func TestLayerVersionsAPI(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()
	const arnPrefix = "arn:aws:lambda:us-east-1:000000000000:layer:"

	zip1 := zipOf(t, map[string]string{"python/a.py": "A = 1\n"})
	before := time.Now().Add(-time.Second)
	p1 := publishLayer(t, c, "libs", zip1, func(in *lambda.PublishLayerVersionInput) {
		in.Description = aws.String("first")
		in.LicenseInfo = aws.String("MIT")
		in.CompatibleRuntimes = []types.Runtime{types.RuntimePython312}
		in.CompatibleArchitectures = []types.Architecture{types.ArchitectureX8664}
	})
	sum := sha256.Sum256(zip1)
	if aws.ToString(p1.LayerArn) != arnPrefix+"libs" || aws.ToString(p1.LayerVersionArn) != arnPrefix+"libs:1" || p1.Version != 1 {
		t.Errorf("publish: LayerArn %q LayerVersionArn %q Version %d", aws.ToString(p1.LayerArn), aws.ToString(p1.LayerVersionArn), p1.Version)
	}
	if aws.ToString(p1.Description) != "first" || aws.ToString(p1.LicenseInfo) != "MIT" ||
		len(p1.CompatibleRuntimes) != 1 || p1.CompatibleRuntimes[0] != types.RuntimePython312 ||
		len(p1.CompatibleArchitectures) != 1 || p1.CompatibleArchitectures[0] != types.ArchitectureX8664 {
		t.Errorf("publish: %+v", p1)
	}
	if p1.Content == nil || aws.ToString(p1.Content.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || p1.Content.CodeSize != int64(len(zip1)) {
		t.Fatalf("publish Content: %+v", p1.Content)
	}
	created, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(p1.CreatedDate))
	if err != nil || created.Before(before) || created.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedDate %q: %v", aws.ToString(p1.CreatedDate), err)
	}
	// Content.Location downloads the zip without credentials.
	resp, err := http.Get(aws.ToString(p1.Content.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, zip1) {
		t.Errorf("Location: %d, %d bytes", resp.StatusCode, len(body))
	}

	p2 := publishLayer(t, c, "libs", zipOf(t, map[string]string{"nodejs/x.js": "1\n"}), func(in *lambda.PublishLayerVersionInput) {
		in.CompatibleRuntimes = []types.Runtime{types.RuntimeNodejs20x}
	})
	if p2.Version != 2 || aws.ToString(p2.Description) != "" {
		t.Errorf("second publish: Version %d Description %q", p2.Version, aws.ToString(p2.Description))
	}
	publishLayer(t, c, "other", zip1, func(in *lambda.PublishLayerVersionInput) {
		in.CompatibleRuntimes = []types.Runtime{types.RuntimePython312}
	})
	publishLayer(t, c, "zzz", zip1)

	// GetLayerVersion and GetLayerVersionByArn agree with the publish.
	g, err := c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("libs"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(g.LayerVersionArn) != arnPrefix+"libs:1" || aws.ToString(g.LayerArn) != arnPrefix+"libs" ||
		aws.ToString(g.Content.CodeSha256) != aws.ToString(p1.Content.CodeSha256) || aws.ToString(g.CreatedDate) != aws.ToString(p1.CreatedDate) ||
		aws.ToString(g.Description) != "first" || aws.ToString(g.LicenseInfo) != "MIT" {
		t.Errorf("GetLayerVersion: %+v", g)
	}
	byArn, err := c.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: aws.String(arnPrefix + "libs:2")})
	if err != nil {
		t.Fatal(err)
	}
	if byArn.Version != 2 || len(byArn.CompatibleRuntimes) != 1 || byArn.CompatibleRuntimes[0] != types.RuntimeNodejs20x {
		t.Errorf("GetLayerVersionByArn: %+v", byArn)
	}
	// By layer ARN as LayerName, too.
	if _, err := c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(arnPrefix + "libs"), VersionNumber: aws.Int64(2)}); err != nil {
		t.Errorf("GetLayerVersion by layer ARN: %v", err)
	}

	// ListLayerVersions: newest first, paged, filtered.
	lv, err := c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("libs"), MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.LayerVersions) != 1 || lv.LayerVersions[0].Version != 2 || lv.NextMarker == nil {
		t.Fatalf("ListLayerVersions page 1: %+v", lv)
	}
	lv2, err := c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("libs"), MaxItems: aws.Int32(1), Marker: lv.NextMarker})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv2.LayerVersions) != 1 || lv2.LayerVersions[0].Version != 1 || lv2.NextMarker != nil {
		t.Fatalf("ListLayerVersions page 2: %+v", lv2)
	}
	item := lv2.LayerVersions[0]
	if aws.ToString(item.LayerVersionArn) != arnPrefix+"libs:1" || aws.ToString(item.Description) != "first" || aws.ToString(item.LicenseInfo) != "MIT" ||
		aws.ToString(item.CreatedDate) != aws.ToString(p1.CreatedDate) {
		t.Errorf("ListLayerVersions item: %+v", item)
	}
	lvf, err := c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("libs"), CompatibleRuntime: types.RuntimePython312})
	if err != nil {
		t.Fatal(err)
	}
	if len(lvf.LayerVersions) != 1 || lvf.LayerVersions[0].Version != 1 {
		t.Errorf("ListLayerVersions python3.12: %+v", lvf.LayerVersions)
	}
	none, err := c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("nosuch")})
	if err != nil || len(none.LayerVersions) != 0 || none.NextMarker != nil {
		t.Errorf("ListLayerVersions of an unknown layer: %+v %v", none, err)
	}

	// ListLayers: by name, latest matching version, paged.
	var names []string
	var marker *string
	for {
		ll, err := c.ListLayers(ctx, &lambda.ListLayersInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ll.Layers {
			names = append(names, aws.ToString(l.LayerName))
			if aws.ToString(l.LayerArn) != arnPrefix+aws.ToString(l.LayerName) {
				t.Errorf("LayerArn %q", aws.ToString(l.LayerArn))
			}
			if aws.ToString(l.LayerName) == "libs" && l.LatestMatchingVersion.Version != 2 {
				t.Errorf("libs latest: %+v", l.LatestMatchingVersion)
			}
		}
		if marker = ll.NextMarker; marker == nil {
			break
		}
	}
	if strings.Join(names, ",") != "libs,other,zzz" {
		t.Errorf("ListLayers: %v", names)
	}
	ll, err := c.ListLayers(ctx, &lambda.ListLayersInput{CompatibleRuntime: types.RuntimePython312})
	if err != nil {
		t.Fatal(err)
	}
	if len(ll.Layers) != 2 || aws.ToString(ll.Layers[0].LayerName) != "libs" || ll.Layers[0].LatestMatchingVersion.Version != 1 ||
		aws.ToString(ll.Layers[0].LatestMatchingVersion.LayerVersionArn) != arnPrefix+"libs:1" || aws.ToString(ll.Layers[1].LayerName) != "other" {
		t.Errorf("ListLayers python3.12: %+v", ll.Layers)
	}

	// Delete: the version is gone, its number is never reused, deleting again is fine.
	if _, err := c.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String("libs"), VersionNumber: aws.Int64(2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String("libs"), VersionNumber: aws.Int64(2)}); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	_, err = c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("libs"), VersionNumber: aws.Int64(2)})
	if ae := apiError(t, err, "ResourceNotFoundException"); ae.ErrorMessage() != "The resource you requested does not exist." {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	if p3 := publishLayer(t, c, "libs", zip1); p3.Version != 3 {
		t.Errorf("after a delete, Version %d, want 3", p3.Version)
	}
	// Deleting every version keeps the numbering.
	for _, n := range []int64{1, 3} {
		if _, err := c.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String("libs"), VersionNumber: aws.Int64(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if p4 := publishLayer(t, c, "libs", zip1); p4.Version != 4 {
		t.Errorf("after deleting all, Version %d, want 4", p4.Version)
	}

	// Errors.
	errs := []struct {
		name, code, msg string
		call            func() error
	}{
		{"version 0", "InvalidParameterValueException", "Layer Version Cannot be less than 1", func() error {
			_, err := c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("libs"), VersionNumber: aws.Int64(0)})
			return err
		}},
		{"unknown layer", "ResourceNotFoundException", "The resource you requested does not exist.", func() error {
			_, err := c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String("nosuch"), VersionNumber: aws.Int64(1)})
			return err
		}},
		{"bad layer name", "ValidationException", "1 validation error detected: Value 'bad.name' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+", func() error {
			_, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("bad.name"), Content: &types.LayerVersionContentInput{ZipFile: zip1}})
			return err
		}},
		{"bad arn", "ValidationException", "1 validation error detected: Value 'arn:aws:lambda:us-east-1:000000000000:layer:libs' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+", func() error {
			_, err := c.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: aws.String(arnPrefix + "libs")})
			return err
		}},
		{"not a zip", "InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again.", func() error {
			_, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("libs"), Content: &types.LayerVersionContentInput{ZipFile: []byte("nope")}})
			return err
		}},
		{"MaxItems", "ValidationException", "1 validation error detected: Value '51' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 50", func() error {
			_, err := c.ListLayers(ctx, &lambda.ListLayersInput{MaxItems: aws.Int32(51)})
			return err
		}},
	}
	for _, e := range errs {
		t.Run(e.name, func(t *testing.T) {
			if ae := apiError(t, e.call(), e.code); ae.ErrorMessage() != e.msg {
				t.Errorf("message %q, want %q", ae.ErrorMessage(), e.msg)
			}
		})
	}

	// Functions refer to layer versions; errors as AWS words them.
	other := arnPrefix + "other:1"
	fnErrs := []struct {
		name   string
		layers []string
		code   string
		msg    string
	}{
		{"unknown version", []string{arnPrefix + "libs:9"}, "InvalidParameterValueException", "Layer version " + arnPrefix + "libs:9 does not exist."},
		{"deleted version", []string{arnPrefix + "libs:2"}, "InvalidParameterValueException", "Layer version " + arnPrefix + "libs:2 does not exist."},
		{"six layers", []string{other, other, other, other, other, other}, "InvalidParameterValueException", "Cannot reference more than 5 layers."},
		{"same layer twice", []string{arnPrefix + "libs:4", other, arnPrefix + "libs:4"}, "InvalidParameterValueException",
			"Two different versions of the same layer are not allowed to be referenced in the same function. " + arnPrefix + "libs:4 and " + arnPrefix + "libs:4 are versions of the same layer."},
		{"other region", []string{"arn:aws:lambda:eu-west-1:000000000000:layer:libs:4"}, "InvalidParameterValueException",
			"Layers are not in the same region as the function. Layers are expected to be in region us-east-1."},
		{"not an arn", []string{"libs"}, "ValidationException",
			"1 validation error detected: Value '[libs]' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 140, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+), Member must not be null]"},
	}
	for _, e := range fnErrs {
		t.Run("CreateFunction/"+e.name, func(t *testing.T) {
			_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String("uses-layers"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("echo"),
				Role: aws.String(testRole), Code: &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"README": "x"})},
				Layers: e.layers,
			})
			if ae := apiError(t, err, e.code); ae.ErrorMessage() != e.msg {
				t.Errorf("message %q, want %q", ae.ErrorMessage(), e.msg)
			}
		})
	}

	// A function keeps a layer version that is deleted after it was set.
	created2 := createFn(t, c, "keeps-layer", "echo", func(in *lambda.CreateFunctionInput) {
		in.Layers = []string{other}
	})
	if len(created2.Layers) != 1 || aws.ToString(created2.Layers[0].Arn) != other || created2.Layers[0].CodeSize != int64(len(zip1)) {
		t.Errorf("CreateFunction Layers: %+v", created2.Layers)
	}
	if _, err := c.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String("other"), VersionNumber: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	gf, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("keeps-layer")})
	if err != nil {
		t.Fatal(err)
	}
	if len(gf.Configuration.Layers) != 1 || aws.ToString(gf.Configuration.Layers[0].Arn) != other {
		t.Errorf("GetFunction Layers: %+v", gf.Configuration.Layers)
	}
	if out := invokeFn(t, c, "keeps-layer", `{"k":1}`); out.FunctionError != nil || string(out.Payload) != `{"k":1}` {
		t.Errorf("invoke: %s %s", aws.ToString(out.FunctionError), out.Payload)
	}
	// An empty list removes the layers.
	u, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("keeps-layer"), Layers: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Layers) != 0 {
		t.Errorf("after Layers [], %+v", u.Layers)
	}
}

// TestLayersAtRuntime runs functions whose code comes partly or wholly from
// layers: a provided.al2023 bootstrap, a Python module, a Node.js package, and two
// layers holding the same file, the later winning.
func TestLayersAtRuntime(t *testing.T) {
	ts := startServer(t, "")
	c := ts.lambdaClient()
	ctx := context.Background()

	t.Run("provided bootstrap", func(t *testing.T) {
		boot := publishLayer(t, c, "bootstrap", testFunctionZip(t))
		bin := publishLayer(t, c, "tools", zipOf(t, map[string]string{"bin/tool": "#!/bin/sh\n", "lib/libx.so": "x"}))
		createFn(t, c, "from-layer", "env", func(in *lambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"README": "the bootstrap is in a layer\n"})}
			in.Layers = []string{aws.ToString(boot.LayerVersionArn), aws.ToString(bin.LayerVersionArn)}
		})
		out := invokeFn(t, c, "from-layer", `{}`)
		if out.FunctionError != nil {
			t.Fatalf("invoke: %s", out.Payload)
		}
		var got struct{ Env map[string]string }
		if err := json.Unmarshal(out.Payload, &got); err != nil {
			t.Fatalf("%s: %v", out.Payload, err)
		}
		opt := optDirOf(t, got.Env["PATH"])
		// The merged layers, as the function sees them (at /opt in a container).
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("from-layer"), Handler: aws.String("stat")}); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, f := range []string{"bootstrap", "bin/tool", "lib/libx.so"} {
			paths = append(paths, opt+"/"+f)
		}
		ev, _ := json.Marshal(map[string]any{"Paths": paths})
		var found map[string]bool
		json.Unmarshal(invokeFn(t, c, "from-layer", string(ev)).Payload, &found) //nolint:errcheck
		for _, p := range paths {
			if !found[p] {
				t.Errorf("merged layers lack %s (%v)", p, found)
			}
		}
		if !strings.HasSuffix(got.Env["LD_LIBRARY_PATH"], ":"+opt+"/lib") {
			t.Errorf("LD_LIBRARY_PATH %q does not end with %s/lib", got.Env["LD_LIBRARY_PATH"], opt)
		}
		if _, ok := got.Env["PYTHONPATH"]; ok {
			t.Errorf("PYTHONPATH set for a provided runtime: %q", got.Env["PYTHONPATH"])
		}
	})

	t.Run("python module", func(t *testing.T) {
		skipWithoutPython(t)
		lib := publishLayer(t, c, "pylib", zipOf(t, map[string]string{
			"python/mylib.py": "def greet(name):\n    return 'hello ' + name\n",
			"python/lib/python3.12/site-packages/sitemod.py": "WHERE = 'site-packages'\n",
		}))
		createPyFn(t, c, "py-layer", map[string]string{"lambda_function.py": `import mylib, sitemod

def lambda_handler(event, context):
    return {"greeting": mylib.greet(event["name"]), "where": sitemod.WHERE}
`}, func(in *lambda.CreateFunctionInput) {
			in.Layers = []string{aws.ToString(lib.LayerVersionArn)}
			// The function's own PYTHONPATH comes after the layers, as in Lambda.
			in.Environment = &types.Environment{Variables: map[string]string{"PYTHONPATH": "/nonexistent"}}
		})
		out := invokeFn(t, c, "py-layer", `{"name":"layers"}`)
		if out.FunctionError != nil || string(out.Payload) != `{"greeting": "hello layers", "where": "site-packages"}` {
			t.Errorf("invoke: %v %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})

	t.Run("node package", func(t *testing.T) {
		if _, err := os.Stat("/usr/bin/node"); err != nil {
			t.Skip("no /usr/bin/node")
		}
		lib := publishLayer(t, c, "nodelib", zipOf(t, map[string]string{
			"nodejs/node_modules/mylib/index.js": "exports.greet = (n) => 'hello ' + n;\n",
		}))
		createNodeFn(t, c, zipOf(t, map[string]string{"index.js": `const mylib = require('mylib');
exports.handler = async (event) => ({ greeting: mylib.greet(event.name) });
`}), "node-layer", "index.handler")
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("node-layer"), Layers: []string{aws.ToString(lib.LayerVersionArn)},
		}); err != nil {
			t.Fatal(err)
		}
		out := invokeFn(t, c, "node-layer", `{"name":"layers"}`)
		if out.FunctionError != nil || string(out.Payload) != `{"greeting":"hello layers"}` {
			t.Errorf("invoke: %v %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})

	t.Run("order", func(t *testing.T) {
		skipWithoutPython(t)
		a := publishLayer(t, c, "order-a", zipOf(t, map[string]string{"python/which.py": "WHO = 'a'\n", "python/only_a.py": "X = 1\n"}))
		b := publishLayer(t, c, "order-b", zipOf(t, map[string]string{"python/which.py": "WHO = 'b'\n"}))
		arnA, arnB := aws.ToString(a.LayerVersionArn), aws.ToString(b.LayerVersionArn)
		createPyFn(t, c, "order", map[string]string{"lambda_function.py": `import which, only_a

def lambda_handler(event, context):
    return which.WHO
`}, func(in *lambda.CreateFunctionInput) { in.Layers = []string{arnA, arnB} })
		if out := invokeFn(t, c, "order", `{}`); string(out.Payload) != `"b"` {
			t.Errorf("layers [a b]: %s %s", aws.ToString(out.FunctionError), out.Payload)
		}
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("order"), Layers: []string{arnB, arnA},
		}); err != nil {
			t.Fatal(err)
		}
		if out := invokeFn(t, c, "order", `{}`); string(out.Payload) != `"a"` {
			t.Errorf("layers [b a]: %s %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})
}

// optDirOf returns the layers directory PATH names (its last entry, <opt>/bin).
func optDirOf(t *testing.T, path string) string {
	t.Helper()
	dirs := strings.Split(path, ":")
	last := dirs[len(dirs)-1]
	if !strings.HasSuffix(last, "/bin") {
		t.Fatalf("PATH %q does not end with the layers' bin", path)
	}
	return strings.TrimSuffix(last, "/bin")
}

// TestLayersSurviveRestart restarts the server without its unpacked code: the
// layers, the merge of two of them and the numbering come back from the store and
// the blobs.
func TestLayersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	c := ts.lambdaClient()
	boot := publishLayer(t, c, "boot", testFunctionZip(t))
	extra := publishLayer(t, c, "extra", zipOf(t, map[string]string{"marker": "from a layer"}))
	createFn(t, c, "restarted", "echo", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{ZipFile: zipOf(t, map[string]string{"README": "x"})}
		in.Layers = []string{aws.ToString(boot.LayerVersionArn), aws.ToString(extra.LayerVersionArn)}
	})
	ts.Stop(t)
	if err := os.RemoveAll(filepath.Join(dir, "code")); err != nil {
		t.Fatal(err)
	}
	ts2 := startServer(t, dir)
	c2 := ts2.lambdaClient()
	if out := invokeFn(t, c2, "restarted", `{"ok":1}`); string(out.Payload) != `{"ok":1}` || out.FunctionError != nil {
		t.Errorf("after losing unpacked layers: %s %v", out.Payload, out.FunctionError)
	}
	if p := publishLayer(t, c2, "boot", testFunctionZip(t)); p.Version != 2 {
		t.Errorf("after a restart, Version %d, want 2", p.Version)
	}
}
