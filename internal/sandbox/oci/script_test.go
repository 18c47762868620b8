package oci

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// FuzzShellQuote checks that what a waiting container's shell is handed says
// exactly the strings Stratus meant: any string without a NUL byte (which no
// argument or environment value can hold) comes back from /bin/sh unchanged.
func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "plain", "it's", `"$HOME" $(id) ` + "`id`", "a\nb", `\'\\`, "'", "''", "*", "-n", "~root", "$@ $* ${x:-y}", "é ünïcode"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ContainsRune(a, 0) || strings.ContainsRune(b, 0) {
			t.Skip()
		}
		cmd := exec.Command("/bin/sh", "-s")
		cmd.Stdin = strings.NewReader("printf '%s\\0' " + shellQuote(a) + " " + shellQuote(b) + "\n" +
			"export " + shellQuote("V="+a) + "\nprintf '%s\\0' \"$V\"\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if want := a + "\x00" + b + "\x00" + a + "\x00"; !bytes.Equal(out, []byte(want)) {
			t.Fatalf("sh said %q, want %q", out, want)
		}
	})
}

func TestShellName(t *testing.T) {
	for name, ok := range map[string]bool{"A": true, "_x1": true, "AWS_REGION": true, "": false, "1A": false, "A-B": false, "A B": false, "é": false} {
		if shellName(name) != ok {
			t.Errorf("shellName(%q) = %v", name, !ok)
		}
	}
}
