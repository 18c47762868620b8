package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// MinIO is the S3 benchmarks' peer. Its license is the AGPL, so the benchmarks
// only ever build it from the Go module proxy into a cache outside the
// repository and run it as a separate process; none of its code is linked,
// vendored or committed.
const (
	MinIOModule = "github.com/minio/minio"
	// MinIOUser and MinIOPassword are the root credentials the benchmarks start
	// MinIO with and sign every request with (Stratus accepts any).
	MinIOUser     = "stratusbench"
	MinIOPassword = "stratusbench-secret"
	// minioToolchain is the Go toolchain BuildMinIO retries with, from the
	// proxy, when the module requires a newer Go than the local one.
	minioToolchain = "go1.27.3"
)

// ResolveMinIO returns the version of MinIOModule the module proxy serves as
// version ("" means latest): `go list -m`, run outside any module. MinIO has no
// tagged module versions, so latest is a pseudo-version.
func ResolveMinIO(ctx context.Context, version string) (string, error) {
	if version == "" {
		version = "latest"
	}
	dir, err := minioCache()
	if err != nil {
		return "", err
	}
	out, err := goCmd(ctx, dir, nil, "list", "-m", "-f", "{{.Version}}", MinIOModule+"@"+version)
	if err != nil {
		return "", fmt.Errorf("bench: go list -m %s@%s: %w\n%s", MinIOModule, version, err, out)
	}
	return strings.TrimSpace(out), nil
}

// BuildMinIO returns the path of a minio binary of version (as ResolveMinIO
// returns it), building it with `go install` the first time; the binary is
// kept in the user's cache directory, under stratus-bench/minio/<version>/. It
// builds with the local Go and, if the module asks for a newer one, retries
// once with GOTOOLCHAIN=go1.27.3. Its error holds what the go command said.
func BuildMinIO(ctx context.Context, version string) (string, error) {
	dir, err := minioCache()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, version, "minio")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) //nolint:errcheck // a failed build leaves nothing to keep
	// -mod=mod: outside a module, go install of a version ignores any vendor
	// directory and takes the module's own requirements.
	env := []string{"GOBIN=" + tmp, "GOFLAGS=-mod=mod"}
	out, err := goCmd(ctx, dir, env, "install", MinIOModule+"@"+version)
	if err != nil && strings.Contains(out, "requires go >=") {
		out, err = goCmd(ctx, dir, append(env, "GOTOOLCHAIN="+minioToolchain), "install", MinIOModule+"@"+version)
	}
	if err != nil {
		return "", fmt.Errorf("bench: go install %s@%s: %w\n%s", MinIOModule, version, err, lastLines(out, 20))
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// minioCache is the directory MinIO builds are kept in, made if need be.
func minioCache() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "stratus-bench", "minio")
	return dir, os.MkdirAll(dir, 0o755)
}

// goCmd runs the go command in dir with env added, and returns what it printed.
func goCmd(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// StartMinIO runs `minio server dataDir` on a free loopback port, single drive,
// with the root credentials MinIOUser and MinIOPassword, the web console off and
// its certificates directory under dataDir's parent, and waits until it reports
// itself ready (/minio/health/ready) within timeout. MinIO cannot listen on
// port 0, so a port found free may be taken before it listens: a MinIO that
// exits at once is tried again, twice, on other ports. The child is killed if
// this process dies.
func StartMinIO(ctx context.Context, timeout time.Duration, bin, dataDir string) (*Process, error) {
	var err error
	for range 3 {
		var p *Process
		t0 := time.Now()
		if p, err = startMinIO(ctx, timeout, bin, dataDir); err == nil || ctx.Err() != nil || time.Since(t0) > timeout/2 {
			return p, err
		}
	}
	return nil, err
}

func startMinIO(ctx context.Context, timeout time.Duration, bin, dataDir string) (*Process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	console, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "server", dataDir, "--address", addr, "--console-address", console,
		"--certs-dir", filepath.Join(filepath.Dir(dataDir), "minio-certs"), "--quiet")
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+MinIOUser, "MINIO_ROOT_PASSWORD="+MinIOPassword,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	p, err := startPolled(ctx, timeout, cmd, "http://"+addr, "/minio/health/ready")
	if err != nil {
		return nil, fmt.Errorf("bench: minio: %w", err)
	}
	return p, nil
}

// freeAddr returns a loopback address with a port free a moment ago, for a
// server that cannot listen on port 0 and say which port it got.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startPolled starts cmd as a Process serving url, ready when GET url+ready
// answers 200. Its stdout and stderr both go to the Process's log tail.
func startPolled(ctx context.Context, timeout time.Duration, cmd *exec.Cmd, url, ready string) (*Process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &Process{URL: url, cmd: cmd, done: make(chan struct{}), tail: &tailBuffer{max: 64 << 10}}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, err
	}
	go func() {
		defer pr.Close()
		p.readLog(pr, make(chan string, 1))
	}()
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		if resp, err := hc.Get(url + ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before serving: %v\n%s", cmd.Path, p.err, p.tail)
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(50 * time.Millisecond):
			if time.Now().Before(deadline) {
				continue
			}
			err = fmt.Errorf("%s not ready at %s in %v\n%s", cmd.Path, url+ready, timeout, p.tail)
		}
		p.Close(context.Background()) //nolint:errcheck // reporting the start failure
		return nil, err
	}
}
