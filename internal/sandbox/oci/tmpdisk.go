package oci

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// An environment's /tmp is disk, as Lambda's is: a tmpfs's pages count against
// the container's memory cgroup, so a 128 MB function could not write 300 MB to
// /tmp. Each environment gets an ext4 file system of its own, of exactly its
// EphemeralStorage, in a sparse image file on a loop device. Its own file system
// gives what a quota on a shared one would (a hard limit failing with ENOSPC,
// statfs reporting the size) without needing the kernel's quota formats, which
// some kernels lack (CONFIG_QFMT_V2). Making one is cheap: mkfs runs once per size
// and each image is a copy of the 0.2 to 0.4 MB mkfs wrote; then a loop device
// and a mount (see BenchmarkTmpDisk).
//
// The file systems are mounted in the launcher's mount namespace only, so that a
// killed server leaves no mount behind: the namespace goes with its threads, and
// the loop devices (autoclear) detach when the last mount of them goes, the stale
// containers' included once removeStale deletes them. The images are in a
// directory named by the server's pid, removed at the next start.

// EXT4_IOC_SHUTDOWN (_IOR('X', 125, __u32)) and its flag that skips flushing
// anything, from linux/ext4.h.
const (
	ext4IocShutdown          = 0x8004587d
	ext4GoingFlagsNoLogFlush = 2
)

// reservedClusters is 1 MB of 4 KB blocks.
const reservedClusters = "256"

// tmpDisks makes and removes the environments' /tmp file systems.
type tmpDisks struct {
	dir    string // StateDir/tmp-<pid>: images and mount points
	launch *launcher
	seq    atomic.Uint64

	mu        sync.Mutex        // guards templates, not the making of one
	templates map[int]*template // a fresh file system of each size asked for
	noDirect  atomic.Bool       // the loop devices cannot do direct I/O here

	// Disks of the default size made ahead: attaching a loop device and
	// mounting take milliseconds a cold start need not wait for.
	spares chan *tmpDisk
	want   chan struct{} // one token per spare to make
	done   chan struct{}
	wg     sync.WaitGroup
}

// spareDisks is how many default-size disks are kept ready.
const spareDisks = 2

// template is a fresh file system of one size, made once: the first cold start
// wanting a size waits for mkfs, and only those wanting the same size wait with it.
type template struct {
	once    sync.Once
	extents []extent
	err     error
}

// extent is a run of bytes mkfs wrote; the rest of an image is a hole.
type extent struct {
	off  int64
	data []byte
}

// tmpDisk is one environment's /tmp file system, mounted at mnt in the
// launcher's namespace.
type tmpDisk struct {
	d        *tmpDisks
	mb       int
	img, mnt string
	once     sync.Once
}

// openTmpDisks removes the images of killed servers and proves this machine can
// make and mount a /tmp file system. An error means it cannot (no mkfs.ext4, no
// loop devices, no ext4); the caller keeps tmpfs.
func openTmpDisks(stateDir string, l *launcher) (*tmpDisks, error) {
	removeStaleDisks(stateDir)
	d := &tmpDisks{
		dir: filepath.Join(stateDir, "tmp-"+strconv.Itoa(os.Getpid())), launch: l, templates: map[int]*template{},
		spares: make(chan *tmpDisk, spareDisks), want: make(chan struct{}, spareDisks), done: make(chan struct{}),
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return nil, err
	}
	dk, err := d.create(defaultTmpMB)
	if err != nil {
		os.RemoveAll(d.dir)
		return nil, err
	}
	dk.release()
	for range spareDisks {
		d.want <- struct{}{}
	}
	d.wg.Add(1)
	go d.makeSpares()
	return d, nil
}

func (d *tmpDisks) makeSpares() {
	defer d.wg.Done()
	for {
		select {
		case <-d.done:
			return
		case <-d.want:
		}
		dk, err := d.create(defaultTmpMB)
		if err != nil {
			// make creates on demand while there is none; try again later.
			d.want <- struct{}{}
			select {
			case <-d.done:
				return
			case <-time.After(time.Second):
			}
			continue
		}
		d.spares <- dk // never blocks: one token per free place
	}
}

// removeStaleDisks removes the image directories of servers no longer running.
func removeStaleDisks(stateDir string) {
	ents, _ := os.ReadDir(stateDir)
	for _, e := range ents {
		pidStr, ok := strings.CutPrefix(e.Name(), "tmp-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() || unix.Kill(pid, 0) == nil {
			continue
		}
		os.RemoveAll(filepath.Join(stateDir, e.Name()))
	}
}

// close releases the spares and removes the images directory; every other disk
// must be released first.
func (d *tmpDisks) close() {
	close(d.done)
	d.wg.Wait()
	for {
		select {
		case dk := <-d.spares:
			dk.release()
		default:
			os.RemoveAll(d.dir)
			return
		}
	}
}

// make returns an empty file system of mb MB, mounted: a spare one if there is.
func (d *tmpDisks) make(mb int) (*tmpDisk, error) {
	if mb == defaultTmpMB {
		select {
		case dk := <-d.spares:
			d.want <- struct{}{}
			return dk, nil
		default:
		}
	}
	return d.create(mb)
}

// create makes a new, empty file system of mb MB, mounted.
func (d *tmpDisks) create(mb int) (dk *tmpDisk, err error) {
	tpl, err := d.template(mb)
	if err != nil {
		return nil, err
	}
	n := strconv.FormatUint(d.seq.Add(1), 10)
	img, mnt := filepath.Join(d.dir, n+".img"), filepath.Join(d.dir, n)
	dk = &tmpDisk{d: d, mb: mb, img: img, mnt: mnt}
	defer func() {
		if err != nil { // dk is nil by now: a failing return clears it
			os.Remove(img)
			os.Remove(mnt)
		}
	}()
	f, err := os.OpenFile(dk.img, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("oci: /tmp image: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(int64(mb) << 20); err != nil {
		return nil, fmt.Errorf("oci: /tmp image: %w", err)
	}
	for _, e := range tpl {
		if _, err := f.WriteAt(e.data, e.off); err != nil {
			return nil, fmt.Errorf("oci: /tmp image: %w", err)
		}
	}
	loop, err := d.attach(f)
	if err != nil {
		return nil, err
	}
	// Autoclear detaches the device once it is neither open nor mounted.
	defer loop.Close()
	if err := os.Mkdir(dk.mnt, 0o700); err != nil {
		return nil, fmt.Errorf("oci: /tmp mount point: %w", err)
	}
	err = d.launch.do(func() error {
		// minixdf: statfs counts the whole image, so /tmp's size is
		// EphemeralStorage to the byte, as on Lambda. noinit_itable: no
		// background zeroing of inode tables nobody will read uninitialised.
		return unix.Mount(loop.Name(), dk.mnt, "ext4", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOATIME, "minixdf,noinit_itable")
	})
	if err != nil {
		return nil, fmt.Errorf("oci: mounting /tmp: %w", err)
	}
	// ext4 keeps 2% of a file system (up to 16 MB) from delayed allocation,
	// for the metadata of rare extent splits; 1 MB does for a /tmp, and leaves
	// the function what it asked for, less the inode tables.
	os.WriteFile(filepath.Join("/sys/fs/ext4", filepath.Base(loop.Name()), "reserved_clusters"), []byte(reservedClusters), 0) //nolint:errcheck // best effort
	return dk, nil
}

// attach puts img on a free loop device, returned open.
func (d *tmpDisks) attach(img *os.File) (*os.File, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("oci: %w", err)
	}
	defer ctl.Close()
	for range 16 {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return nil, fmt.Errorf("oci: loop-control: %w", err)
		}
		loop, err := os.OpenFile("/dev/loop"+strconv.Itoa(n), os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("oci: %w", err)
		}
		conf := unix.LoopConfig{Fd: uint32(img.Fd())}
		// Direct I/O keeps the image's blocks out of the host's page cache:
		// the file system's own cache is all that counts against the function.
		conf.Info.Flags = unix.LO_FLAGS_AUTOCLEAR
		if !d.noDirect.Load() {
			conf.Info.Flags |= unix.LO_FLAGS_DIRECT_IO
		}
		err = unix.IoctlLoopConfigure(int(loop.Fd()), &conf)
		if errors.Is(err, unix.EINVAL) && conf.Info.Flags&unix.LO_FLAGS_DIRECT_IO != 0 {
			d.noDirect.Store(true)
			conf.Info.Flags &^= unix.LO_FLAGS_DIRECT_IO
			err = unix.IoctlLoopConfigure(int(loop.Fd()), &conf)
		}
		if err == nil {
			return loop, nil
		}
		loop.Close()
		if !errors.Is(err, unix.EBUSY) {
			return nil, fmt.Errorf("oci: loop device: %w", err)
		}
		// Another process took it between GET_FREE and CONFIGURE.
	}
	return nil, errors.New("oci: no free loop device")
}

// template returns the blocks of a fresh file system of mb MB, made once per size.
func (d *tmpDisks) template(mb int) ([]extent, error) {
	d.mu.Lock()
	t, ok := d.templates[mb]
	if !ok {
		// Each is 0.2 to 0.4 MB; functions of many sizes make some again.
		if len(d.templates) >= maxTemplates {
			for k := range d.templates {
				if k != defaultTmpMB {
					delete(d.templates, k)
					break
				}
			}
		}
		t = &template{}
		d.templates[mb] = t
	}
	d.mu.Unlock()
	t.once.Do(func() { t.extents, t.err = d.mkfs(mb) })
	if t.err != nil {
		d.mu.Lock()
		if d.templates[mb] == t {
			delete(d.templates, mb) // the next one tries again
		}
		d.mu.Unlock()
	}
	return t.extents, t.err
}

// maxTemplates is how many sizes' templates are kept.
const maxTemplates = 16

// mkfs makes a file system of mb MB and returns its blocks.
func (d *tmpDisks) mkfs(mb int) ([]extent, error) {
	img := filepath.Join(d.dir, "template-"+strconv.Itoa(mb))
	defer os.Remove(img)
	f, err := os.Create(img)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Truncate(int64(mb) << 20); err != nil {
		return nil, err
	}
	// No journal: the file system lives as long as its environment, and a crash
	// throws it away. No blocks reserved for root, no room to grow, and an inode
	// per 16 KB as mkfs gives a default file system.
	out, err := exec.Command(mkfsPath(), "-q", "-F", "-b", "4096", "-m", "0", "-i", "16384",
		"-O", "^has_journal,^resize_inode", "-E", "lazy_itable_init=1,nodiscard,root_owner=0:0", img).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("oci: mkfs.ext4: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := d.tidyTemplate(f); err != nil {
		return nil, err
	}
	return readExtents(f)
}

// mkfsPath finds mkfs.ext4 on PATH or where Debian puts it, which a PATH
// without the sbin directories misses.
func mkfsPath() string {
	if p, err := exec.LookPath("mkfs.ext4"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "mkfs.ext4"
}

// tidyTemplate makes the template's root what Lambda's /tmp is: empty (no
// lost+found) and writable by all, sticky.
func (d *tmpDisks) tidyTemplate(img *os.File) error {
	loop, err := d.attach(img)
	if err != nil {
		return err
	}
	defer loop.Close()
	mnt, err := os.MkdirTemp(d.dir, "template-")
	if err != nil {
		return err
	}
	defer os.Remove(mnt)
	return d.launch.do(func() error {
		if err := unix.Mount(loop.Name(), mnt, "ext4", 0, "noinit_itable"); err != nil {
			return fmt.Errorf("oci: mounting a /tmp template: %w", err)
		}
		defer unix.Unmount(mnt, 0) //nolint:errcheck
		if err := os.Remove(filepath.Join(mnt, "lost+found")); err != nil {
			return err
		}
		return os.Chmod(mnt, 0o777|os.ModeSticky)
	})
}

// readExtents reads the parts of f that are not holes.
func readExtents(f *os.File) ([]extent, error) {
	fd := int(f.Fd())
	var out []extent
	for off := int64(0); ; {
		start, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		end, err := unix.Seek(fd, start, unix.SEEK_HOLE)
		if err != nil {
			return nil, err
		}
		b := make([]byte, end-start)
		if _, err := f.ReadAt(b, start); err != nil {
			return nil, err
		}
		out = append(out, extent{off: start, data: b})
		off = end
	}
}

// release unmounts the file system and removes its image, once. It waits for the
// unmount, on the launcher's second thread: call it off the cold path.
func (dk *tmpDisk) release() {
	if dk == nil {
		return
	}
	dk.once.Do(func() {
		dk.d.launch.tidyUp(func() error { //nolint:errcheck
			// Shut down first, so that the unmount drops the dirty pages of
			// files nobody will read rather than write them to the image.
			if f, err := os.Open(dk.mnt); err == nil {
				flags := uint32(ext4GoingFlagsNoLogFlush)
				unix.Syscall(unix.SYS_IOCTL, f.Fd(), ext4IocShutdown, uintptr(unsafe.Pointer(&flags))) //nolint:errcheck
				f.Close()
			}
			return unix.Unmount(dk.mnt, unix.MNT_DETACH)
		})
		os.Remove(dk.mnt)
		os.Remove(dk.img)
	})
}
