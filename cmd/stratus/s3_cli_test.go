package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestS3CLIJourney drives S3 through Debian's aws CLI, as a user's scripts do: mb,
// cp up and down (one file above the CLI's 8 MB multipart threshold), ls, sync,
// presign (and an expired presigned URL), rm and rb, then the s3api verbs for
// versioning. Each CLI call costs most of a second, so this is one journey.
func TestS3CLIJourney(t *testing.T) {
	aws := awsCLIv2(t)
	ts := startServer(t, "")
	dir := t.TempDir()
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	cli := func(args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(aws, append([]string{"--endpoint-url", ts.URL, "--output", "json"}, args...)...)
		cmd.Env = env
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	runJSON := func(args ...string) map[string]any {
		t.Helper()
		out := run(args...)
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return m
	}
	write := func(name string, n int) []byte {
		t.Helper()
		b := make([]byte, n)
		rand.Read(b) //nolint:errcheck
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755) //nolint:errcheck
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return b
	}

	run("s3", "mb", "s3://journey")
	// In us-east-1 S3 answers 200 to re-creating your own bucket, for legacy
	// reasons; in every other region, BucketAlreadyOwnedByYou.
	run("s3", "mb", "s3://journey")
	run("s3", "mb", "s3://journey-eu", "--region", "eu-west-1")
	if out, err := cli("s3", "mb", "s3://journey-eu", "--region", "eu-west-1"); err == nil || !strings.Contains(out, "BucketAlreadyOwnedByYou") {
		t.Errorf("mb of an existing bucket in eu-west-1: %v\n%s", err, out)
	}
	if loc := runJSON("s3api", "get-bucket-location", "--bucket", "journey-eu"); loc["LocationConstraint"] != "eu-west-1" {
		t.Errorf("get-bucket-location: %v", loc)
	}
	run("s3", "rb", "s3://journey-eu", "--region", "eu-west-1")
	if out, err := cli("s3", "mb", "s3://Bad_Name"); err == nil || !strings.Contains(out, "InvalidBucketName") {
		t.Errorf("mb of a bad name: %v\n%s", err, out)
	}
	small := write("small.txt", 1000)
	large := write("large.bin", 20<<20) // multipart: above the CLI's 8 MB threshold
	run("s3", "cp", "small.txt", "s3://journey/docs/small.txt")
	run("s3", "cp", "large.bin", "s3://journey/large.bin")
	head := runJSON("s3api", "head-object", "--bucket", "journey", "--key", "large.bin")
	if etag, _ := head["ETag"].(string); !strings.HasSuffix(etag, `-3"`) || head["ContentLength"] != float64(20<<20) {
		t.Errorf("large object's head: %v (want a 3-part ETag and 20 MiB)", head)
	}
	run("s3", "cp", "s3://journey/large.bin", "large.copy")
	run("s3", "cp", "s3://journey/docs/small.txt", "small.copy")
	for name, want := range map[string][]byte{"large.copy": large, "small.copy": small} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from what was uploaded (%d bytes, err %v)", name, len(got), err)
		}
	}

	// sync uploads only what changed.
	for _, f := range []string{"tree/a.txt", "tree/b/c.txt", "tree/b/d e.txt"} {
		write(f, 300)
	}
	out := run("s3", "sync", "tree", "s3://journey/tree")
	if n := strings.Count(out, "upload:"); n != 3 {
		t.Errorf("first sync uploaded %d files, want 3:\n%s", n, out)
	}
	if out := run("s3", "sync", "tree", "s3://journey/tree"); strings.Contains(out, "upload:") {
		t.Errorf("a second sync uploaded again:\n%s", out)
	}
	ls := run("s3", "ls", "s3://journey/tree/", "--recursive")
	for _, k := range []string{"tree/a.txt", "tree/b/c.txt", "tree/b/d e.txt"} {
		if !strings.Contains(ls, k) {
			t.Errorf("ls --recursive lacks %s:\n%s", k, ls)
		}
	}
	top := run("s3", "ls", "s3://journey/")
	if !strings.Contains(top, "PRE docs/") || !strings.Contains(top, "PRE tree/") || !strings.Contains(top, "large.bin") {
		t.Errorf("ls of the bucket's top level:\n%s", top)
	}
	if buckets := run("s3", "ls"); !strings.Contains(buckets, "journey") {
		t.Errorf("ls of buckets:\n%s", buckets)
	}

	// presign: a GET works as long as the URL lives, and not after.
	url := strings.TrimSpace(run("s3", "presign", "s3://journey/docs/small.txt", "--expires-in", "60"))
	if got := httpGet(t, url, 200); !bytes.Equal(got, small) {
		t.Errorf("presigned GET answered %d bytes, not the object", len(got))
	}
	short := strings.TrimSpace(run("s3", "presign", "s3://journey/docs/small.txt", "--expires-in", "1"))
	time.Sleep(2100 * time.Millisecond)
	if body := httpGet(t, short, 403); !bytes.Contains(body, []byte("<Code>AccessDenied</Code>")) || !bytes.Contains(body, []byte("Request has expired")) {
		t.Errorf("expired presigned GET:\n%s", body)
	}

	// rb refuses a bucket with objects; rm then rb empties and removes it.
	if out, err := cli("s3", "rb", "s3://journey"); err == nil || !strings.Contains(out, "BucketNotEmpty") {
		t.Errorf("rb of a full bucket: %v\n%s", err, out)
	}
	run("s3", "rm", "s3://journey/docs/small.txt")
	if out, err := cli("s3api", "head-object", "--bucket", "journey", "--key", "docs/small.txt"); err == nil || !strings.Contains(out, "404") {
		t.Errorf("head-object after rm: %v\n%s", err, out)
	}
	run("s3", "rm", "s3://journey", "--recursive")
	run("s3", "rb", "s3://journey")
	if out, err := cli("s3api", "head-bucket", "--bucket", "journey"); err == nil || !strings.Contains(out, "404") {
		t.Errorf("head-bucket after rb: %v\n%s", err, out)
	}

	// s3api: versions and delete markers.
	run("s3api", "create-bucket", "--bucket", "versioned")
	run("s3api", "put-bucket-versioning", "--bucket", "versioned", "--versioning-configuration", "Status=Enabled")
	v1 := runJSON("s3api", "put-object", "--bucket", "versioned", "--key", "k", "--body", "small.txt")["VersionId"]
	v2 := runJSON("s3api", "put-object", "--bucket", "versioned", "--key", "k", "--body", "large.bin")["VersionId"]
	if v1 == nil || v2 == nil || v1 == v2 {
		t.Fatalf("version ids %v and %v", v1, v2)
	}
	del := runJSON("s3api", "delete-object", "--bucket", "versioned", "--key", "k")
	if del["DeleteMarker"] != true {
		t.Errorf("delete-object in a versioned bucket: %v", del)
	}
	vs := runJSON("s3api", "list-object-versions", "--bucket", "versioned")
	versions, _ := vs["Versions"].([]any)
	markers, _ := vs["DeleteMarkers"].([]any)
	if len(versions) != 2 || len(markers) != 1 {
		t.Errorf("list-object-versions: %d versions, %d delete markers: %v", len(versions), len(markers), vs)
	}
	run("s3api", "get-object", "--bucket", "versioned", "--key", "k", "--version-id", v1.(string), "old.txt")
	if got, _ := os.ReadFile(filepath.Join(dir, "old.txt")); !bytes.Equal(got, small) {
		t.Errorf("get-object of the first version answered %d bytes", len(got))
	}
	if out, err := cli("s3api", "get-object", "--bucket", "versioned", "--key", "k", "gone.txt"); err == nil || !strings.Contains(out, "NoSuchKey") {
		t.Errorf("get-object behind a delete marker: %v\n%s", err, out)
	}
}

// httpGet GETs url with a plain client, as a browser would a presigned URL, and
// fails the test unless the status is want.
func httpGet(t *testing.T, url string, want int) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Errorf("GET %s: %d, want %d\n%s", url, resp.StatusCode, want, b)
	}
	return b
}
