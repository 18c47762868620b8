package runtimes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommandAndCheck(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "python-fake")
	os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755) //nolint:errcheck
	r := &Runtimes{Dir: t.TempDir(), Interpreters: map[string]string{"python3.12": fake}}
	if err := r.Open(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"python/bootstrap.py", "nodejs/bootstrap.cjs"} {
		if _, err := os.Stat(filepath.Join(r.Dir, f)); err != nil {
			t.Errorf("bootstrap %s not written: %v", f, err)
		}
	}
	cmd, err := r.Command("python3.12")
	if err != nil || cmd[0] != fake || cmd[len(cmd)-1] != filepath.Join(r.Dir, "python", "bootstrap.py") {
		t.Errorf("Command(python3.12) = %v, %v", cmd, err)
	}
	if cmd, err := r.Command("provided.al2023"); err != nil || cmd != nil {
		t.Errorf("Command(provided.al2023) = %v, %v", cmd, err)
	}
	if err := r.Check("dotnet8"); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("Check(dotnet8) = %v", err)
	}
	// A family whose interpreter is missing names what it looked for.
	r.found = map[string]string{}
	r.Interpreters = nil
	if err := r.Check("nodejs20.x"); err == nil || !strings.Contains(err.Error(), "needs a Node.js interpreter") {
		t.Errorf("Check(nodejs20.x) without node = %v", err)
	}
	bad := &Runtimes{Dir: t.TempDir(), Interpreters: map[string]string{"python": "/nonexistent/python"}}
	if err := bad.Open(); err == nil {
		t.Error("Open accepted a missing interpreter override")
	}
}

func TestFamily(t *testing.T) {
	for rt, want := range map[string]string{"python3.12": "python", "nodejs22.x": "nodejs", "provided.al2": "provided", "java21": "java", "dotnet8": "dotnet"} {
		if got := Family(rt); got != want {
			t.Errorf("Family(%s) = %s, want %s", rt, got, want)
		}
	}
}
