package sigv4

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// LoadCredentials reads a credentials file in the AWS shared-credentials INI format
// and returns each profile's aws_access_key_id mapped to its aws_secret_access_key.
//
// Sections may be written "[name]" or, as in ~/.aws/config, "[profile name]". Lines
// starting with '#' or ';' are comments; whitespace around names and values is
// ignored; other keys (aws_session_token, region, ...) are skipped. It returns an
// error, naming the line, for a line it cannot read, a profile with only one half of
// a key pair, an access key given two different secrets, or a file with no key pair
// at all.
func LoadCredentials(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigv4: load credentials: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // editors on Windows write a BOM

	type profile struct {
		name, key, secret string
		line              int // where the profile starts, for errors
	}
	var profiles []profile // the last one is the section being read
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("sigv4: %s:%d: unterminated section header %q", path, n, line)
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if rest, ok := strings.CutPrefix(name, "profile "); ok {
				name = strings.TrimSpace(rest)
			}
			profiles = append(profiles, profile{name: name, line: n})
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("sigv4: %s:%d: expected key = value", path, n)
		}
		if len(profiles) == 0 {
			return nil, fmt.Errorf("sigv4: %s:%d: %s outside any [profile]", path, n, strings.TrimSpace(k))
		}
		cur := &profiles[len(profiles)-1]
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "aws_access_key_id":
			cur.key = strings.TrimSpace(v)
		case "aws_secret_access_key":
			cur.secret = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sigv4: load credentials: %s: %w", path, err)
	}

	keys := make(map[string]string)
	for _, p := range profiles {
		switch {
		case p.key == "" && p.secret == "":
			continue // a profile of settings only, like [default] with a region
		case p.key == "" || p.secret == "":
			return nil, fmt.Errorf("sigv4: %s:%d: profile %q needs both aws_access_key_id and aws_secret_access_key", path, p.line, p.name)
		}
		if old, ok := keys[p.key]; ok && old != p.secret {
			return nil, fmt.Errorf("sigv4: %s:%d: profile %q gives access key %s a second, different secret", path, p.line, p.name, p.key)
		}
		keys[p.key] = p.secret
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("sigv4: %s: no profile has an aws_access_key_id and aws_secret_access_key", path)
	}
	return keys, nil
}
