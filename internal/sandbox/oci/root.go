package oci

import (
	"fmt"
	"os"
	"path/filepath"
)

// hostDirs are the host directories a runtime needs, mounted read-only: the
// interpreters and libraries. /bin, /lib, /lib64 and /sbin are symlinks into /usr
// on merged-/usr systems and are then recreated as such.
var hostDirs = []string{"/usr", "/bin", "/lib", "/lib64", "/sbin"}

// hostEtc are the pieces of the host's /etc the runtimes read: the dynamic
// linker's cache, name service and time zone settings, CA certificates, the
// alternatives symlinks (/usr/bin/java points through them) and the JDK's and
// Python's configuration. The rest of /etc (host users, keys, services) stays out.
var hostEtc = []string{
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/nsswitch.conf", "/etc/localtime",
	"/etc/alternatives", "/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/ca-certificates",
	"/etc/java-17-openjdk", "/etc/java-21-openjdk", "/etc/python3", "/etc/python3.11", "/etc/mime.types",
}

// makeRoot builds the skeleton every container uses as its (read-only) root:
// mount points, the merged-/usr symlinks, and an /etc of Lambda's own users.
func (s *Sandbox) makeRoot() error {
	s.rootfs = filepath.Join(s.StateDir, "rootfs")
	if err := os.RemoveAll(s.rootfs); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	for _, d := range []string{"proc", "dev", "tmp", "var/task", "var/runtime", "opt", "etc/ssl"} {
		if err := os.MkdirAll(filepath.Join(s.rootfs, d), 0o755); err != nil {
			return fmt.Errorf("oci: %w", err)
		}
	}
	for i := range s.Shared {
		if err := os.MkdirAll(filepath.Join(s.rootfs, sharedAt(i)), 0o755); err != nil {
			return fmt.Errorf("oci: %w", err)
		}
	}
	s.hostMounts = nil
	for _, d := range hostDirs {
		st, err := os.Lstat(d)
		switch {
		case err != nil:
			continue
		case st.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(d)
			if err != nil {
				return fmt.Errorf("oci: %w", err)
			}
			if err := os.Symlink(target, filepath.Join(s.rootfs, d)); err != nil {
				return fmt.Errorf("oci: %w", err)
			}
		case st.IsDir():
			s.hostMounts = append(s.hostMounts, bind(d, d))
		}
	}
	for _, p := range hostEtc {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		// Mount points exist beforehand, since the root is shared and read-only.
		dst := filepath.Join(s.rootfs, p)
		if st.IsDir() {
			err = os.MkdirAll(dst, 0o755)
		} else {
			err = os.WriteFile(dst, nil, 0o644)
		}
		if err != nil {
			return fmt.Errorf("oci: %w", err)
		}
		s.hostMounts = append(s.hostMounts, bind(p, p))
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\n",
		"etc/group":  "root:x:0:\nsbx_user1051:x:990:\n",
		"etc/hosts":  "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(s.rootfs, name), []byte(body), 0o644); err != nil {
			return fmt.Errorf("oci: %w", err)
		}
	}
	return nil
}
