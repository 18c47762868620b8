package oci

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// unifiedControllers is the cgroup v2 hierarchy's controller list. On a hybrid
// host (v1 controllers, with the v2 hierarchy mounted beside them) crun refuses to
// run while it lists any controller, even though the v1 ones do all the work.
const unifiedControllers = "/sys/fs/cgroup/unified/cgroup.controllers"

// launcher starts the OCI runtime's processes from one OS thread that lives in a
// private mount namespace, where the v2 controller list is masked by an empty file.
// A child inherits the namespaces of the thread that forks it, so every crun sees
// the masked list while Stratus and the host do not. Only the fork goes through
// the launcher; the runtime's work (creating the container) runs in parallel.
type launcher struct {
	reqs chan launch
	// tidy takes work that can wait (unmounts, each waiting out an RCU grace
	// period) to a second thread in the same mount namespace, so that it never
	// holds up a cold start's mounts on the first.
	tidy chan launch

	mu     sync.RWMutex
	closed bool
}

// launch is one request to the launcher's thread: a command to fork, or a
// function to run there (mounts that must land in its namespace).
type launch struct {
	cmd  *exec.Cmd
	f    func() error
	done chan error
}

// startLauncher locks a goroutine to a fresh OS thread and prepares its mount
// namespace; maskDir holds the empty file used as the mask.
func startLauncher(maskDir string) (*launcher, error) {
	l := &launcher{reqs: make(chan launch), tidy: make(chan launch)}
	ready := make(chan error, 1)
	var ns *os.File
	go func() {
		// Never unlocked: the thread's namespaces differ from the process's, so
		// the runtime must discard it rather than reuse it for other goroutines.
		runtime.LockOSThread()
		err := l.prepare(maskDir)
		if err == nil {
			ns, err = os.Open("/proc/thread-self/ns/mnt")
		}
		ready <- err
		if err != nil {
			return
		}
		for r := range l.reqs {
			if r.f != nil {
				r.done <- r.f()
				continue
			}
			r.done <- r.cmd.Start()
		}
	}()
	if err := <-ready; err != nil {
		return nil, err
	}
	defer ns.Close()
	go func() {
		runtime.LockOSThread() // never unlocked, as above
		// A thread sharing its filesystem context with others may not change
		// its mount namespace.
		err := unix.Unshare(unix.CLONE_FS)
		if err == nil {
			err = unix.Setns(int(ns.Fd()), unix.CLONE_NEWNS)
		}
		ready <- err
		if err != nil {
			return
		}
		for r := range l.tidy {
			r.done <- r.f()
		}
	}()
	if err := <-ready; err != nil {
		l.close()
		return nil, fmt.Errorf("oci: joining the launcher's mount namespace: %w", err)
	}
	return l, nil
}

func (l *launcher) prepare(maskDir string) error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("oci: private mount namespace: %w", err)
	}
	// Private propagation keeps the mask out of the host's namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("oci: private mount namespace: %w", err)
	}
	b, err := os.ReadFile(unifiedControllers)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(b) == 0) {
		return nil // pure v1 or pure v2: nothing to mask
	}
	if err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	// A pure v2 host (cgroup2 at /sys/fs/cgroup) has no "unified" directory, so
	// only hybrid hosts get here.
	empty := filepath.Join(maskDir, "empty")
	if err := os.WriteFile(empty, nil, 0o444); err != nil {
		return fmt.Errorf("oci: %w", err)
	}
	if err := unix.Mount(empty, unifiedControllers, "", unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("oci: masking %s: %w", unifiedControllers, err)
	}
	return nil
}

// errClosed is start's error once the sandbox is closed.
var errClosed = errors.New("oci: sandbox closed")

// start forks cmd from the launcher's thread.
func (l *launcher) start(cmd *exec.Cmd) error { return l.send(l.reqs, launch{cmd: cmd}) }

// do runs f on the launcher's thread, inside its mount namespace.
func (l *launcher) do(f func() error) error { return l.send(l.reqs, launch{f: f}) }

// tidyUp runs f on the second thread, inside the launcher's mount namespace.
func (l *launcher) tidyUp(f func() error) error { return l.send(l.tidy, launch{f: f}) }

// send hands r to the thread serving ch and waits for its result; the read lock
// keeps close from closing ch meanwhile.
func (l *launcher) send(ch chan launch, r launch) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return errClosed
	}
	r.done = make(chan error, 1)
	ch <- r
	return <-r.done
}

// close ends the launcher's threads.
func (l *launcher) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.reqs)
		close(l.tidy)
	}
}

// run starts cmd from the launcher's thread and waits for it, returning its
// combined output with the error.
func (l *launcher) run(cmd *exec.Cmd) ([]byte, error) {
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := l.start(cmd); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	return out.b, err
}

// limitedBuffer keeps the first 4 KB written to it: enough of a runtime's error.
type limitedBuffer struct{ b []byte }

func (w *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
