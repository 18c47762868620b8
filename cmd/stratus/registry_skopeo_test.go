package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// TestRegistrySkopeo has Debian's skopeo, a client that is not built on
// go-containerregistry, pull from and push to the registry: a copy between
// two repositories keeps the image's digest, inspect reads it, delete removes
// it.
func TestRegistrySkopeo(t *testing.T) {
	const bin = "/usr/bin/skopeo"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing in CI", bin)
		}
		t.Skip("skopeo not installed")
	}
	t.Parallel()
	ts := startServer(t, "")
	host := strings.TrimPrefix(ts.URL, "http://")
	img, err := random.Image(2048, 3)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if err := crane.Push(img, host+"/src/app:v1", crane.Insecure); err != nil {
		t.Fatal(err)
	}
	skopeo := func(args ...string) string {
		t.Helper()
		// No policy or auth files of the machine's: a fresh CI image may have
		// none, and they must not change what the test sees.
		dir := t.TempDir()
		policy := dir + "/policy.json"
		if err := os.WriteFile(policy, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, append([]string{"--policy", policy}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir, "REGISTRY_AUTH_FILE="+dir+"/auth.json")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("skopeo %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--preserve-digests",
		"docker://"+host+"/src/app:v1", "docker://"+host+"/dst/app:copied")
	var info struct{ Digest string }
	if err := json.Unmarshal([]byte(skopeo("inspect", "--tls-verify=false", "docker://"+host+"/dst/app:copied")), &info); err != nil {
		t.Fatal(err)
	}
	if info.Digest != want.String() {
		t.Errorf("copied image digest %s, pushed %s", info.Digest, want)
	}
	if tags := skopeo("list-tags", "--tls-verify=false", "docker://"+host+"/dst/app"); !strings.Contains(tags, `"copied"`) {
		t.Errorf("list-tags: %s", tags)
	}
	skopeo("delete", "--tls-verify=false", "docker://"+host+"/dst/app@"+want.String())
	if _, err := crane.Head(host+"/dst/app@"+want.String(), crane.Insecure); err == nil {
		t.Error("the deleted manifest still answers")
	}
	if _, err := crane.Head(host+"/src/app:v1", crane.Insecure); err != nil {
		t.Errorf("the source image went with the copy's delete: %v", err)
	}
}
