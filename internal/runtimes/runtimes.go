// Package runtimes runs Lambda's managed runtimes on the host's interpreters: it
// ships Stratus's own runtime clients (bootstraps written in each language,
// embedded in the binary), finds the interpreters, and says how to start each
// runtime.
package runtimes

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed python/bootstrap.py python/stratus_runtime.py nodejs/bootstrap.cjs
var bootstraps embed.FS

// Families of runtimes, by their Runtime name prefix.
const (
	Python   = "python"
	NodeJS   = "nodejs"
	Provided = "provided"
)

// Runtimes knows how to start each managed runtime. Set the fields, then Open.
type Runtimes struct {
	// Dir receives the embedded bootstraps (Dir/python/bootstrap.py, ...).
	Dir string
	// Interpreters overrides the interpreter of a family ("python", "nodejs") or of
	// one runtime ("python3.12"); the latter wins.
	Interpreters map[string]string

	found map[string]string // family → interpreter found at Open
	java  javaBuild         // the Java runtime client, compiled once (java.go)
}

// Open writes the bootstraps to Dir and finds the interpreters. A missing
// interpreter is not an error here: Check reports it for the runtimes that need it.
func (r *Runtimes) Open() error {
	if r.Dir == "" {
		return errors.New("runtimes: Dir is required")
	}
	err := fs.WalkDir(bootstraps, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := bootstraps.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(r.Dir, path)
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, b) {
			// Unchanged: keep its modification time, so the bytecode Python
			// cached for it stays valid across restarts.
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return fmt.Errorf("runtimes: writing bootstraps: %w", err)
	}
	for name, p := range r.Interpreters {
		if firstExecutable([]string{p}) == "" {
			return fmt.Errorf("runtimes: interpreter for %s: %s is not an executable file", name, p)
		}
	}
	r.found = map[string]string{}
	for family, candidates := range defaultInterpreters {
		if p := firstExecutable(candidates); p != "" {
			r.found[family] = p
		}
	}
	r.compilePython()
	return nil
}

// compilePython has the Python interpreter cache the client's bytecode now, so
// that not even the first cold start compiles it. Failing is harmless: the first
// runtime to import the client caches it instead.
func (r *Runtimes) compilePython() {
	py := r.interpreter(Python)
	if py == "" {
		return
	}
	src := filepath.Join(r.Dir, "python", "stratus_runtime.py")
	exec.Command(py, "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], doraise=True)", src).Run() //nolint:errcheck
}

// defaultInterpreters are tried in order. Debian's own interpreters come first on
// purpose: a version-manager shim earlier on PATH (pyenv, nvm) can add 100 ms to
// every start, which is every cold start.
var defaultInterpreters = map[string][]string{
	Python: {"/usr/bin/python3", "/usr/local/bin/python3", "python3"},
	NodeJS: {"/usr/bin/node", "/usr/local/bin/node", "node"},
	Java:   {"/usr/bin/java", "/usr/local/bin/java", "java"},
}

func firstExecutable(candidates []string) string {
	for _, c := range candidates {
		if !strings.Contains(c, "/") {
			p, err := exec.LookPath(c)
			if err != nil {
				continue
			}
			c = p
		}
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return c
		}
		if p, err := filepath.EvalSymlinks(c); err == nil {
			if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
				return c
			}
		}
	}
	return ""
}

// Family returns the runtime's family: "python", "nodejs", "provided", or the
// name's letters before its version for the others ("java", "dotnet", "ruby").
func Family(runtime string) string {
	for _, f := range []string{Python, NodeJS, Provided} {
		if strings.HasPrefix(runtime, f) {
			return f
		}
	}
	return strings.TrimRight(runtime, "0123456789.x")
}

// interpreter returns the interpreter for runtime, or "".
func (r *Runtimes) interpreter(runtime string) string {
	if p := r.Interpreters[runtime]; p != "" {
		return p
	}
	f := Family(runtime)
	if p := r.Interpreters[f]; p != "" {
		return p
	}
	return r.found[f]
}

// Check reports whether this server can run runtime; the error says what is
// missing, in words fit for an InvalidParameterValueException.
func (r *Runtimes) Check(runtime string) error {
	switch f := Family(runtime); f {
	case Provided:
		return nil
	case Python, NodeJS:
		if r.interpreter(runtime) == "" {
			return fmt.Errorf("The runtime %s needs a %s interpreter, and this Stratus server has none (looked for %s; set one with --runtime-interpreter %s=PATH).",
				runtime, interpreterName[f], strings.Join(defaultInterpreters[f], ", "), f)
		}
		return nil
	case Java:
		if runtime != "java17" && runtime != "java21" {
			break
		}
		return r.checkJava(runtime)
	}
	return fmt.Errorf("The runtime %s is not available on this Stratus server: it runs %s.", runtime, strings.Join(r.Available(), ", "))
}

var interpreterName = map[string]string{Python: "Python 3", NodeJS: "Node.js"}

// Available lists the runtime families this server can run.
func (r *Runtimes) Available() []string {
	out := []string{"provided.al2", "provided.al2023"}
	for f := range defaultInterpreters {
		switch {
		case r.interpreter(f) == "":
		case f == Java:
			out = append(out, "java17", "java21")
		default:
			out = append(out, f+"*")
		}
	}
	sort.Strings(out)
	return out
}

// Command returns the argv that starts runtime's bootstrap, or nil for the
// provided.* runtimes, whose bootstrap is the function's own.
func (r *Runtimes) Command(runtime string) ([]string, error) {
	if err := r.Check(runtime); err != nil {
		return nil, err
	}
	switch Family(runtime) {
	case Python:
		// -u: unbuffered output, so every line reaches the log as it is printed.
		return []string{r.interpreter(runtime), "-u", filepath.Join(r.Dir, "python", "bootstrap.py")}, nil
	case NodeJS:
		return []string{r.interpreter(runtime), filepath.Join(r.Dir, "nodejs", "bootstrap.cjs")}, nil
	case Java:
		return r.javaCommand(runtime)
	}
	return nil, nil
}
