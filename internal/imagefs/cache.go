package imagefs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Cache holds images unpacked once per digest under one directory, each root
// at Dir/<algorithm>-<hex> (the path Path returns). A root appears there only
// complete: Unpack builds it in a temporary sibling and renames it into place.
//
// One process owns a cache directory: NewCache removes every temporary root
// it finds there, which would break another process's unpack in progress.
type Cache struct {
	// Dir is where roots live.
	Dir string
	// Options bound every unpack.
	Options Options

	mu       sync.Mutex
	inflight map[string]*unpackCall // by image digest; mu guards it
}

type unpackCall struct {
	done chan struct{}
	err  error // set before done is closed
}

// NewCache returns a cache over dir, creating dir if needed and removing what
// interrupted unpacks left there.
func NewCache(dir string, opt Options) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("imagefs: %w", err)
	}
	if err := RemoveStale(dir); err != nil {
		return nil, err
	}
	return &Cache{Dir: dir, Options: opt, inflight: map[string]*unpackCall{}}, nil
}

// RemoveStale removes the temporary roots that Unpack calls interrupted by a
// crash left in dir. Call it only when no Unpack into dir is running.
func RemoveStale(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("imagefs: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), tmpMark) {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("imagefs: removing stale %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// Path returns where the root of imageDigest lives, whether or not it is
// there yet, or an error wrapping ErrDigest when imageDigest is not a valid
// digest (so it can never name a path outside Dir).
func (c *Cache) Path(imageDigest string) (string, error) {
	if !validDigest(imageDigest) {
		return "", fmt.Errorf("%w: image digest %q", ErrDigest, imageDigest)
	}
	return filepath.Join(c.Dir, strings.Replace(imageDigest, ":", "-", 1)), nil
}

// Root returns the directory of the image imageDigest (conventionally the
// manifest's digest), unpacking layers into it first if no earlier call did.
// Concurrent calls for one digest unpack once; the others wait for it, or
// for their ctx. When the unpack fails each waiter gets its error, except
// that a waiter whose own ctx is alive retries when the unpacking caller's
// ctx was what ended it.
//
// Root does not check that layers belong to imageDigest: the caller resolved
// the one from the other and gives the same layers for the same digest.
func (c *Cache) Root(ctx context.Context, imageDigest string, layers []Layer, open func(Layer) (io.ReadCloser, error)) (string, error) {
	dir, err := c.Path(imageDigest)
	if err != nil {
		return "", err
	}
	for {
		if info, err := os.Lstat(dir); err == nil && info.IsDir() {
			return dir, nil
		}
		c.mu.Lock()
		call, waiting := c.inflight[imageDigest]
		if !waiting {
			call = &unpackCall{done: make(chan struct{})}
			c.inflight[imageDigest] = call
		}
		c.mu.Unlock()

		if !waiting {
			call.err = Unpack(ctx, dir, layers, open, c.Options)
			if errors.Is(call.err, fs.ErrExist) {
				// Another process, or a call before ours, made it.
				if info, err := os.Lstat(dir); err == nil && info.IsDir() {
					call.err = nil
				}
			}
			c.mu.Lock()
			delete(c.inflight, imageDigest)
			c.mu.Unlock()
			close(call.done)
			if call.err != nil {
				return "", call.err
			}
			return dir, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-call.done:
		}
		if call.err == nil {
			return dir, nil
		}
		if !errors.Is(call.err, context.Canceled) && !errors.Is(call.err, context.DeadlineExceeded) {
			return "", call.err
		}
	}
}
