package runtimes

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// javaSources are Stratus's Java runtime client (com.stratus.runtime) and the
// aws-lambda-java-core API it provides (com.amazonaws.services.lambda.runtime).
//
//go:embed java
var javaSources embed.FS

// Java is the family of the java17 and java21 runtimes. Both run on the host's
// java, whatever its version: a function compiled for a newer Java than the host's
// fails its init with the JVM's UnsupportedClassVersionError, which the runtime
// client explains.
const Java = "java"

// javaRelease is the class file version the runtime client is compiled for, so
// that one cache serves any JDK from 11 on.
const javaRelease = "11"

// javaMain is the runtime client's main class.
const javaMain = "com.stratus.runtime.Bootstrap"

// javaLauncher sizes the JVM from the function's memory as Lambda does (heap 85%,
// metaspace 10%, code cache 5% of it), then execs java ("$0") with the rest of
// the arguments. The flags after it are Lambda's for a fast cold start: C1 only,
// the serial collector, class data sharing when the JDK has an archive.
const javaLauncher = `m=${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-128}
exec "$0" -XX:MaxHeapSize=$(( (m*1024*85+99)/100 ))k -XX:MaxMetaspaceSize=$(( m*1024/10 ))k -XX:ReservedCodeCacheSize=$(( m*1024/20 ))k "$@"`

var javaFlags = []string{"-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Djava.net.preferIPv4Stack=true"}

// javaBuild is the runtime client compiled once per Runtimes (and, through the
// cache, once per machine and source version).
type javaBuild struct {
	mu      sync.Mutex
	classes string // the compiled classes' directory, once built
	err     error  // javac's failure, kept so that it is not retried on every call
}

// errNoJavac says that the runtime client cannot be compiled here.
var errNoJavac = errors.New("no javac")

// javaCommand returns the argv that starts runtime, a java* runtime.
func (r *Runtimes) javaCommand(runtime string) ([]string, error) {
	classes, err := r.JavaClasses()
	if err != nil {
		return nil, err
	}
	argv := []string{"/bin/sh", "-c", javaLauncher, r.interpreter(runtime)}
	argv = append(argv, javaFlags...)
	return append(argv, "-cp", classes, javaMain), nil
}

// checkJava reports whether runtime, a java* runtime, can run here.
func (r *Runtimes) checkJava(runtime string) error {
	java := r.interpreter(runtime)
	if java == "" {
		return fmt.Errorf("The runtime %s needs a Java runtime (java), and this Stratus server has none (looked for %s; set one with --runtime-interpreter java=PATH).",
			runtime, strings.Join(defaultInterpreters[Java], ", "))
	}
	if _, err := r.JavaClasses(); err != nil {
		if errors.Is(err, errNoJavac) {
			return fmt.Errorf("The runtime %s needs a JDK's javac once, to compile Stratus's Java runtime client, and this Stratus server has none (looked next to %s and on PATH); install a JDK (17 or later), or point --runtime-interpreter java=PATH at a JDK's java.",
				runtime, java)
		}
		return fmt.Errorf("The runtime %s is not available on this Stratus server: compiling its Java runtime client failed: %v", runtime, err)
	}
	return nil
}

// JavaClasses returns the directory of the compiled Java runtime client and
// aws-lambda-java-core API, compiling the embedded sources with javac the first
// time. The result is kept under the user's cache directory (or Dir when there is
// none), keyed by the sources' sha256, so each version is compiled once per
// machine; a cache that exists is used even where javac is missing. The error
// wraps errNoJavac when no javac was found; a failure of javac is remembered.
func (r *Runtimes) JavaClasses() (string, error) {
	r.java.mu.Lock()
	defer r.java.mu.Unlock()
	if r.java.classes != "" || r.java.err != nil {
		return r.java.classes, r.java.err
	}
	classes, err := r.buildJava()
	if errors.Is(err, errNoJavac) {
		return "", err // a JDK installed later, or a cache another server builds, is found next time
	}
	r.java.classes, r.java.err = classes, err
	return classes, err
}

func (r *Runtimes) buildJava() (string, error) {
	sum, err := javaSourcesHash()
	if err != nil {
		return "", err
	}
	var bases []string
	if d, err := os.UserCacheDir(); err == nil {
		bases = append(bases, filepath.Join(d, "stratus"))
	}
	bases = append(bases, filepath.Join(r.Dir, "cache"))
	name := "java-" + sum[:16]
	for _, b := range bases {
		if st, err := os.Stat(filepath.Join(b, name, "classes")); err == nil && st.IsDir() {
			return filepath.Join(b, name, "classes"), nil
		}
	}
	javac := r.javac()
	if javac == "" {
		return "", errNoJavac
	}
	var errs []error
	for _, b := range bases {
		dir, err := compileJava(javac, b, name)
		if err == nil {
			return dir, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

// compileJava compiles the embedded sources into base/name/classes: in a
// temporary directory first, renamed into place, so a reader never sees a
// partial build. Another server that got there first wins.
func compileJava(javac, base, name string) (string, error) {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(base, name+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "src")
	var files []string
	err = fs.WalkDir(javaSources, "java", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".java") {
			return err
		}
		b, err := javaSources.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(src, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		files = append(files, dst)
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return "", err
	}
	classes := filepath.Join(tmp, "out", "classes")
	// -XDstringConcat=inline: string concatenation without invokedynamic, whose
	// first use costs a cold start tens of milliseconds.
	args := append([]string{"--release", javaRelease, "-encoding", "UTF-8", "-nowarn", "-XDstringConcat=inline", "-d", classes}, files...)
	// javac itself starts faster with C1 only and a small heap.
	cmd := exec.Command(javac, append([]string{"-J-XX:TieredStopAtLevel=1", "-J-Xshare:auto"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %v: %s", javac, err, strings.TrimSpace(string(out)))
	}
	final := filepath.Join(base, name)
	if err := os.Rename(filepath.Join(tmp, "out"), final); err != nil {
		if st, serr := os.Stat(filepath.Join(final, "classes")); serr == nil && st.IsDir() {
			return filepath.Join(final, "classes"), nil
		}
		return "", err
	}
	return filepath.Join(final, "classes"), nil
}

// javaSourcesHash is the hex sha256 of the embedded sources' paths and contents
// and of the compiler options.
func javaSourcesHash() (string, error) {
	var paths []string
	err := fs.WalkDir(javaSources, "java", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(paths)
	h := sha256.New()
	h.Write([]byte("release " + javaRelease + "\n"))
	for _, p := range paths {
		b, err := javaSources.ReadFile(p)
		if err != nil {
			return "", err
		}
		h.Write([]byte(p + "\x00" + strconv.Itoa(len(b)) + "\x00"))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// javac finds a JDK's javac: next to the java in use (after symlinks, so that
// /usr/bin/java leads to its JDK), then on the usual paths.
func (r *Runtimes) javac() string {
	var candidates []string
	if java := r.interpreter(Java); java != "" {
		if p, err := filepath.EvalSymlinks(java); err == nil {
			candidates = append(candidates, filepath.Join(filepath.Dir(p), "javac"))
		}
		candidates = append(candidates, filepath.Join(filepath.Dir(java), "javac"))
	}
	if home := os.Getenv("JAVA_HOME"); home != "" {
		candidates = append(candidates, filepath.Join(home, "bin", "javac"))
	}
	return firstExecutable(append(candidates, javacCandidates...))
}

// javacCandidates are tried after the javac next to the java in use.
var javacCandidates = []string{"/usr/bin/javac", "/usr/local/bin/javac", "javac"}
