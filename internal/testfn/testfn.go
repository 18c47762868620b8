// Package testfn builds the programs Stratus's tests and benchmarks run: testdata/fn,
// an aws-lambda-go function whose Handler setting picks its behaviour, zipped as a
// provided.al2023 code package, and other packages of the module.
package testfn

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ModuleRoot returns the directory of the Stratus module that holds the working
// directory, as `go env GOMOD` finds it.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("testfn: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("testfn: run inside the Stratus module (no go.mod found)")
	}
	return filepath.Dir(gomod), nil
}

// GoBuild builds the package pkg (relative to the module root) into out with the
// given extra environment.
func GoBuild(root, pkg, out string, env ...string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testfn: go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// BuildFunction builds testdata/fn, the aws-lambda-go test function, as a static
// provided.al2023 bootstrap into dir and returns the bootstrap's path and its code
// package: a zip holding bootstrap with mode 0755, as `zip` makes on Linux.
func BuildFunction(root, dir string) (bootstrap string, zipped []byte, err error) {
	return BuildGoFunction(root, "./testdata/fn", dir)
}

// BuildGoFunction builds the Go package pkg (relative to root, e.g.
// "./examples/s3-backup") as BuildFunction builds testdata/fn.
func BuildGoFunction(root, pkg, dir string) (bootstrap string, zipped []byte, err error) {
	bootstrap = filepath.Join(dir, "bootstrap")
	if err := GoBuild(root, pkg, bootstrap, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH); err != nil {
		return "", nil, err
	}
	zipped, err = zipFile(bootstrap, "bootstrap", 0o755)
	return bootstrap, zipped, err
}

func zipFile(path, name string, mode os.FileMode) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate}
	h.SetMode(mode)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
