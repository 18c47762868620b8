package sigv4

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadCredentials(t *testing.T) {
	path := writeFile(t, "\xef\xbb\xbf# Stratus strict-mode keys\r\n"+
		"[default]\r\n"+
		"aws_access_key_id = AKIDDEFAULT\r\n"+
		"aws_secret_access_key=secret/with+chars=\r\n"+
		"\n"+
		"; a config-style section name\n"+
		"[profile dev]\n"+
		"   aws_access_key_id   =   AKIDDEV   \n"+
		"AWS_SECRET_ACCESS_KEY = dev secret\n"+
		"aws_session_token = ignored\n"+
		"region = eu-west-1\n"+
		"\n"+
		"[settings-only]\n"+
		"region = us-east-1\n"+
		"[ci]\n"+
		"aws_secret_access_key = same\n"+
		"aws_access_key_id = AKIDCI\n"+
		"[ci-again]\n"+
		"aws_access_key_id = AKIDCI\n"+
		"aws_secret_access_key = same\n")
	got, err := LoadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"AKIDDEFAULT": "secret/with+chars=", "AKIDDEV": "dev secret", "AKIDCI": "same"}
	if !maps.Equal(got, want) {
		t.Errorf("LoadCredentials = %v, want %v", got, want)
	}
}

func TestLoadCredentialsErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"key without secret", "[a]\naws_access_key_id = AKID\n", `:1: profile "a" needs both`},
		{"secret without key", "[a]\naws_secret_access_key = s\n", `:1: profile "a" needs both`},
		{"not key=value", "[a]\naws_access_key_id AKID\n", ":2: expected key = value"},
		{"outside a profile", "aws_access_key_id = AKID\n", ":1: aws_access_key_id outside any [profile]"},
		{"unterminated section", "[a\n", ":1: unterminated section header"},
		{"two secrets", "[a]\naws_access_key_id=K\naws_secret_access_key=1\n[b]\naws_access_key_id=K\naws_secret_access_key=2\n", `:4: profile "b" gives access key K a second`},
		{"no keys", "# nothing\n[default]\nregion = us-east-1\n", "no profile has"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCredentials(writeFile(t, tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := LoadCredentials(filepath.Join(t.TempDir(), "absent")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
