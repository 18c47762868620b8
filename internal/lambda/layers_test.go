package lambda

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// TestMergeLayers checks that the merge is what extracting the layers over each
// other in order gives: later files win, a later directory replaces a file or a
// symlink and a later file replaces a directory; modes and symlinks are kept.
func TestMergeLayers(t *testing.T) {
	dir := t.TempDir()
	write := func(p, body string, mode os.FileMode) {
		t.Helper()
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	write("a/same", "a", 0o644)
	write("a/only-a", "a", 0o755)
	write("a/becomes-dir", "a", 0o644)
	write("a/dir/x", "a", 0o644)
	write("a/real/y", "a", 0o644)
	link("real", "a/lnk")
	link("real/y", "a/keep-link")

	write("b/same", "b", 0o644)
	write("b/becomes-dir/z", "b", 0o644)
	write("b/dir", "b", 0o644) // a file where a had a directory
	write("b/lnk/w", "b", 0o644)

	if err := mergeLayers(dir, []string{"a", "b"}, "opt-test"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "opt-test")
	for p, want := range map[string]string{"same": "b", "only-a": "a", "becomes-dir/z": "b", "dir": "b", "lnk/w": "b", "keep-link": "a", "real/y": "a"} {
		b, err := os.ReadFile(filepath.Join(out, p))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %q", p, b, err, want)
		}
	}
	if st, err := os.Lstat(filepath.Join(out, "lnk")); err != nil || !st.IsDir() {
		t.Errorf("lnk should be a directory now: %v %v", st, err)
	}
	if target, err := os.Readlink(filepath.Join(out, "keep-link")); err != nil || target != "real/y" {
		t.Errorf("keep-link: %q %v", target, err)
	}
	if st, err := os.Stat(filepath.Join(out, "only-a")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("only-a mode: %v %v", st, err)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("merge dir mode: %v %v", st, err)
	}
	// The layers themselves are untouched.
	if b, _ := os.ReadFile(filepath.Join(dir, "a/same")); string(b) != "a" {
		t.Errorf("layer a changed: %q", b)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".opt-test.merge-*")); len(leftovers) != 0 {
		t.Errorf("temporary directories left: %v", leftovers)
	}
}

func TestCheckTotalSize(t *testing.T) {
	layers := []layerRef{{Unzipped: 100_000_000}, {Unzipped: 100_000_000}}
	if err := checkTotalSize(62_144_000, layers); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	err := checkTotalSize(62_144_001, layers)
	var ae *awsproto.Error
	if !errors.As(err, &ae) || ae.Code != "InvalidParameterValueException" ||
		ae.Message != "Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is 262144001 bytes." {
		t.Errorf("over the limit: %v", err)
	}
}

func TestOptPath(t *testing.T) {
	s := &Service{CodeDir: "/code"}
	if p := s.optPath(nil); p != "" {
		t.Errorf("no layers: %q", p)
	}
	if p := s.optPath([]layerRef{{Digest: "d1"}}); p != "/code/d1" {
		t.Errorf("one layer: %q", p)
	}
	ab := s.optPath([]layerRef{{Digest: "d1"}, {Digest: "d2"}})
	ba := s.optPath([]layerRef{{Digest: "d2"}, {Digest: "d1"}})
	if ab == ba || filepath.Dir(ab) != "/code" {
		t.Errorf("order must name a different merge: %q %q", ab, ba)
	}
}

// reLayerKeyPart is what a layer's region or name may be: a store key part.
var reLayerKeyPart = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)

// FuzzLayerParams: the layer labels and query parameters are parsed without
// panicking, into an AWS-shaped caller's error or a name a store key can hold.
func FuzzLayerParams(f *testing.F) {
	for _, s := range []string{
		"libs", "arn:aws:lambda:us-east-1:000000000000:layer:libs", "arn:aws:lambda:us-east-1:000000000000:layer:libs:3",
		"arn:aws:lambda:::awslayer:x", "bad.name", "", "0", "-1", "99999999999999999999", "bGF5ZXI6bGlicw", "dmVyc2lvbjoz", "!!",
	} {
		f.Add(s)
	}
	s := fuzzService()
	f.Fuzz(func(t *testing.T, in string) {
		if region, name, _, err := s.parseLayerName(in, "us-east-1"); err != nil {
			checkAWSError(t, err)
		} else if len(name) > 140 || !reLayerKeyPart.MatchString(name) || !reLayerKeyPart.MatchString(region) {
			t.Fatalf("%q parsed to region %q name %q", in, region, name)
		}
		if _, err := parseVersionNumber(in); err != nil {
			checkAWSError(t, err)
		}
		q := map[string][]string{"Marker": {in}, "MaxItems": {in}, "CompatibleRuntime": {in}, "CompatibleArchitecture": {in}}
		if _, _, err := parseLayerPage(q, "layer:"); err != nil {
			checkAWSError(t, err)
		}
		if _, err := parseLayerFilter(q); err != nil {
			checkAWSError(t, err)
		}
		if err := validateLayerList([]string{in}); err != nil {
			checkAWSError(t, err)
		}
	})
}
