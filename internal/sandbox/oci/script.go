package oci

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stratus-run/stratus/internal/sandbox"
)

// What a container created ahead of need is told to run: its init is a shell
// reading its stdin, and the script says the runtime's environment and command.

// startScript is what the waiting shell runs: the runtime's environment and
// command, exactly as a container of the environment's own would have them
// (the OCI runtime adds HOME when the environment has none; so did it for the
// shell). It refuses, as errUnsuited, what a shell could not say faithfully,
// and checks on the host what the OCI runtime would check before its exec.
func (s *Sandbox) startScript(spec sandbox.Spec, keepFD3 bool) ([]byte, error) {
	var b strings.Builder
	b.WriteString("cd /var/task || exit 126\nunset PWD OLDPWD\n")
	for _, kv := range spec.Env {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || !shellName(name) {
			return nil, errUnsuited
		}
		b.WriteString("export " + shellQuote(kv) + "\n")
	}
	args := s.insidePaths(spec.Command)
	if err := s.checkExecutable(spec, args[0]); err != nil {
		return nil, err
	}
	b.WriteString("exec")
	for _, a := range args {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString(" 0</dev/null")
	if !keepFD3 {
		b.WriteString(" 3>&-")
	}
	b.WriteString("\n")
	return []byte(b.String()), nil
}

// checkExecutable fails as the OCI runtime's create would for a command that is
// missing or that Lambda's user may not execute. Paths not under the code,
// layers or shared directories are the host's own.
func (s *Sandbox) checkExecutable(spec sandbox.Spec, inside string) error {
	if !strings.HasPrefix(inside, "/") {
		return errUnsuited // looked up on PATH: leave it to the OCI runtime
	}
	host := inside
	switch {
	case strings.HasPrefix(inside, "/var/task/"):
		host = filepath.Join(spec.CodeDir, strings.TrimPrefix(inside, "/var/task/"))
	case strings.HasPrefix(inside, "/opt/") && spec.OptDir != "":
		host = filepath.Join(spec.OptDir, strings.TrimPrefix(inside, "/opt/"))
	case strings.HasPrefix(inside, "/var/runtime/"):
		return nil // Stratus's own runtime clients
	}
	st, err := os.Stat(host)
	if err != nil {
		return fmt.Errorf("oci: exec %s: %w", inside, errors.Unwrap(err))
	}
	mode := st.Mode()
	sys, _ := st.Sys().(*unix.Stat_t)
	var bits os.FileMode = 0o001
	switch {
	case sys != nil && sys.Uid == uid:
		bits = 0o100
	case sys != nil && sys.Gid == gid:
		bits = 0o010
	}
	if !mode.IsRegular() || mode.Perm()&bits == 0 {
		return fmt.Errorf("oci: exec %s: %w", inside, unix.EACCES)
	}
	return nil
}

func shellName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
