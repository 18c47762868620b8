package imagefs

import (
	"errors"
	"slices"
	"testing"
)

func TestParseConfig(t *testing.T) {
	const d1 = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
	docker := `{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin","LAMBDA_TASK_ROOT=/var/task"],
		"Entrypoint":["/lambda-entrypoint.sh"],"Cmd":["app.handler"],"WorkingDir":"/var/task","User":"1000:1000",
		"Labels":{"a":"b"}},"container_config":{"Cmd":["ignored"]},"rootfs":{"type":"layers","diff_ids":["` + d1 + `"]}}`
	c, err := ParseConfig([]byte(docker))
	if err != nil {
		t.Fatal(err)
	}
	if c.OS != "linux" || c.Architecture != "amd64" || c.WorkingDir != "/var/task" || c.User != "1000:1000" ||
		!slices.Equal(c.Env, []string{"PATH=/usr/bin", "LAMBDA_TASK_ROOT=/var/task"}) ||
		!slices.Equal(c.Entrypoint, []string{"/lambda-entrypoint.sh"}) || !slices.Equal(c.Cmd, []string{"app.handler"}) ||
		c.Labels["a"] != "b" || !slices.Equal(c.DiffIDs, []string{d1}) {
		t.Errorf("ParseConfig = %+v", c)
	}
	ls, err := c.WithDiffIDs([]Layer{{Digest: d1}})
	if err != nil || ls[0].DiffID != d1 {
		t.Errorf("WithDiffIDs = %+v, %v", ls, err)
	}
	if _, err := c.WithDiffIDs(nil); !errors.Is(err, ErrBadConfig) {
		t.Errorf("WithDiffIDs with too few layers: %v", err)
	}
	for _, bad := range []string{
		`not json`,
		`{"rootfs":{"type":"other","diff_ids":[]}}`,
		`{"rootfs":{"type":"layers","diff_ids":["sha256:short"]}}`,
		`{"config":{"Env":"PATH=/bin"}}`,
	} {
		if _, err := ParseConfig([]byte(bad)); !errors.Is(err, ErrBadConfig) {
			t.Errorf("ParseConfig(%s): %v, want ErrBadConfig", bad, err)
		}
	}
	if c, err := ParseConfig([]byte(`{}`)); err != nil || c.Entrypoint != nil {
		t.Errorf("ParseConfig({}) = %+v, %v", c, err)
	}
}
