package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watchMask is what counts as a save: a file closed after writing, moved
// in or out (editors that write a temporary file and rename it), created
// (new directories, symlinks) or deleted. IN_MODIFY is left out on purpose:
// it fires per write, before the file is complete.
const watchMask = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_CREATE | unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_ONLYDIR

// watchTrees reports the paths of files changed under each of trees
// (recursively, new subdirectories included) and directly in each of dirs
// on the returned channel until ctx ends, through inotify. An event queue
// overflow reports every tree and directory.
func watchTrees(ctx context.Context, trees, dirs []string) (<-chan string, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	// A non-blocking fd in an *os.File is read through the runtime's poller,
	// so Close wakes the reader when ctx ends.
	f := os.NewFile(uintptr(fd), "inotify")
	w := &inotify{fd: fd, dirs: map[int32]string{}, tree: map[int32]bool{}}
	for _, r := range trees {
		if err := w.addTree(r); err != nil {
			f.Close()
			return nil, err
		}
	}
	for _, d := range dirs {
		if err := w.add(d, false); err != nil {
			f.Close()
			return nil, err
		}
	}
	roots := append(append([]string(nil), trees...), dirs...)
	out := make(chan string, 64)
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	go func() {
		defer close(out)
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				off += unix.SizeofInotifyEvent + int(ev.Len)
				if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
					for _, r := range roots {
						send(ctx, out, r)
					}
					continue
				}
				dir, tree, ok := w.dir(ev.Wd)
				if !ok {
					continue
				}
				p := filepath.Join(dir, string(bytes.TrimRight(name, "\x00")))
				if tree && ev.Mask&unix.IN_ISDIR != 0 && ev.Mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 {
					w.addTree(p) //nolint:errcheck // a directory gone again at once has nothing to watch
				}
				if ev.Mask&unix.IN_IGNORED != 0 {
					w.forget(ev.Wd)
					continue
				}
				send(ctx, out, p)
			}
		}
	}()
	return out, nil
}

func send(ctx context.Context, out chan<- string, p string) {
	select {
	case out <- p:
	case <-ctx.Done():
	}
}

// inotify maps watch descriptors to the directories they watch and
// whether each is part of a tree (so its new subdirectories are watched).
type inotify struct {
	fd   int
	mu   sync.Mutex
	dirs map[int32]string
	tree map[int32]bool
}

// add watches one directory.
func (w *inotify) add(p string, tree bool) error {
	wd, err := unix.InotifyAddWatch(w.fd, p, watchMask)
	if err != nil {
		return &fs.PathError{Op: "inotify_add_watch", Path: p, Err: err}
	}
	w.mu.Lock()
	// Watching a directory twice gives the same descriptor: a tree's
	// directory stays a tree's when the template's directory is the same.
	w.dirs[int32(wd)], w.tree[int32(wd)] = p, tree || w.tree[int32(wd)]
	w.mu.Unlock()
	return nil
}

// addTree watches dir and every directory under it.
func (w *inotify) addTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // gone between listing and watching
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && ignoredName(d.Name()) {
			return filepath.SkipDir
		}
		if err := w.add(p, true); err != nil && (p == root || !errors.Is(err, unix.ENOENT)) {
			return err
		}
		return nil
	})
}

func (w *inotify) dir(wd int32) (dir string, tree, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, ok := w.dirs[wd]
	return d, w.tree[wd], ok
}

func (w *inotify) forget(wd int32) {
	w.mu.Lock()
	delete(w.dirs, wd)
	delete(w.tree, wd)
	w.mu.Unlock()
}
