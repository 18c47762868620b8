package codezip

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

const (
	// maxPath and maxComponent are Linux's PATH_MAX and NAME_MAX: a longer
	// name could not be opened by the function at run time anyway, and
	// refusing it here keeps Inspect and Unpack in agreement.
	maxPath      = 4095
	maxComponent = 255

	// maxHops is Linux's limit on symlinks followed in one lookup (ELOOP).
	maxHops = 40

	// maxResolveSteps bounds the total work of checking symlink targets, which
	// a hostile archive could otherwise make quadratic. Real packages (say, a
	// few thousand node_modules/.bin links) need a few tens of thousands.
	maxResolveSteps = 4 << 20
)

type kind uint8

const (
	kindDir kind = iota
	kindFile
	kindSymlink
)

// entry is one file or symlink of the archive to write.
type entry struct {
	name   string // cleaned, slash-separated, relative to the destination
	f      *zip.File
	mode   fs.FileMode // files: permission bits to set
	target string      // symlinks
	wins   bool        // files: the archive's last entry with this name
}

// node is one path of the tree the archive describes.
type node struct {
	kind     kind
	entry    *entry           // files and symlinks
	children map[string]*node // directories
}

// plan is an archive checked against everything that can be checked without
// inflating file contents, ready to extract.
type plan struct {
	root     *node
	files    []*entry // archive order, duplicates included
	links    []*entry
	unzipped int64
}

func newPlan(b []byte, lim Limits) (*plan, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	// ErrInsecurePath comes only with GODEBUG=zipinsecurepath=0, and with a
	// usable reader; the name checks below report such names as ErrUnsafe.
	if err != nil && (zr == nil || !errors.Is(err, zip.ErrInsecurePath)) {
		return nil, fmt.Errorf("%w: %v", ErrNotZip, err)
	}
	if n := len(zr.File); n > lim.MaxEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrTooLarge, n, lim.MaxEntries)
	}

	p := &plan{root: &node{kind: kindDir, children: map[string]*node{}}}
	// Sizes first, so that an archive AWS would refuse gets AWS's answer even
	// when it is also a bomb.
	var total uint64
	for _, f := range zr.File {
		if f.Mode().IsDir() {
			continue
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(lim.MaxUnzipped) || total > uint64(lim.MaxUnzipped) {
			return nil, fmt.Errorf("%w: unzipped size must be smaller than %d bytes", ErrTooLarge, lim.MaxUnzipped)
		}
	}
	p.unzipped = int64(total)

	for _, f := range zr.File {
		if err := p.add(f, lim); err != nil {
			return nil, err
		}
	}
	if err := p.readTargets(); err != nil {
		return nil, err
	}
	return p, nil
}

// add checks one archive entry on its own and places it in the tree.
func (p *plan) add(f *zip.File, lim Limits) error {
	name, err := cleanName(f.Name)
	if err != nil {
		return err
	}
	var k kind
	switch f.Mode().Type() {
	case fs.ModeDir:
		k = kindDir
	case 0:
		k = kindFile
	case fs.ModeSymlink:
		k = kindSymlink
	default:
		return fmt.Errorf("%w: %q: type %v is not a file, directory or symlink", ErrUnsafe, f.Name, f.Mode().Type())
	}
	if name == "." {
		if k == kindDir {
			return nil
		}
		return fmt.Errorf("%w: %q names the destination itself", ErrUnsafe, f.Name)
	}
	var e *entry
	if k != kindDir {
		if err := checkData(f, lim); err != nil {
			return err
		}
		e = &entry{name: name, f: f, mode: filePerm(f), wins: true}
	}

	parent := p.root
	comps := strings.Split(name, "/")
	for i, c := range comps[:len(comps)-1] {
		child := parent.children[c]
		if child == nil {
			child = &node{kind: kindDir, children: map[string]*node{}}
			parent.children[c] = child
		}
		if child.kind != kindDir {
			return fmt.Errorf("%w: %q lies below %q, which is not a directory", ErrUnsafe, f.Name, strings.Join(comps[:i+1], "/"))
		}
		parent = child
	}
	last := comps[len(comps)-1]
	switch old := parent.children[last]; {
	case old == nil:
		n := &node{kind: k, entry: e}
		if k == kindDir {
			n.children = map[string]*node{}
		}
		parent.children[last] = n
	case old.kind == kindDir && k == kindDir:
	case old.kind == kindFile && k == kindFile:
		// Later wins, as with unzip -o and Python's zipfile.
		old.entry.wins = false
		old.entry = e
	default:
		// Anything else involving a symlink could write through it, and a file
		// against a directory cannot be both.
		return fmt.Errorf("%w: %q appears twice, with different types", ErrUnsafe, f.Name)
	}
	switch k {
	case kindFile:
		p.files = append(p.files, e)
	case kindSymlink:
		p.links = append(p.links, e)
	}
	return nil
}

// cleanName returns the entry's path relative to the destination, or
// ErrUnsafe. A ".." that stays inside ("a/../b") is allowed and resolved
// here, lexically, so the file system never sees it; the tree then refuses
// any path below a symlink. Backslashes are ordinary characters on Linux,
// where AWS unpacks too.
func cleanName(name string) (string, error) {
	switch {
	case name == "":
		return "", fmt.Errorf("%w: empty name", ErrUnsafe)
	case len(name) > maxPath:
		return "", fmt.Errorf("%w: name of %d bytes, limit %d", ErrUnsafe, len(name), maxPath)
	case strings.IndexByte(name, 0) >= 0:
		return "", fmt.Errorf("%w: %q: NUL in name", ErrUnsafe, name)
	case name[0] == '/':
		return "", fmt.Errorf("%w: %q: absolute path", ErrUnsafe, name)
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%w: %q: path escapes the destination", ErrUnsafe, name)
	}
	for c := range strings.SplitSeq(clean, "/") {
		if len(c) > maxComponent {
			return "", fmt.Errorf("%w: %q: name component over %d bytes", ErrUnsafe, name, maxComponent)
		}
	}
	return clean, nil
}

// checkData refuses what would fail or blow up at inflate time, judging by
// the headers alone.
func checkData(f *zip.File, lim Limits) error {
	if f.Flags&0x1 != 0 {
		return fmt.Errorf("%w: %q is encrypted", ErrNotZip, f.Name)
	}
	switch f.Method {
	case zip.Store:
	case zip.Deflate:
		// A compressed size of 0 says nothing about the ratio; inflating it
		// will fail on its own.
		if c := f.CompressedSize64; c > 0 && f.UncompressedSize64/c > uint64(lim.MaxRatio) {
			return fmt.Errorf("%w: %q: compression ratio over %d", ErrBomb, f.Name, lim.MaxRatio)
		}
	default:
		return fmt.Errorf("%w: %q: unsupported compression method %d", ErrNotZip, f.Name, f.Method)
	}
	return nil
}

// filePerm returns the mode a file entry is written with. Only archives made
// on Unix (or macOS) carry permission bits; others, and Unix entries with no
// bits at all (some tools write none), get 0644, as AWS makes nothing
// executable on its own. Setuid, setgid and sticky never survive.
func filePerm(f *zip.File) fs.FileMode {
	switch f.CreatorVersion >> 8 {
	case creatorUnix, creatorMacOSX:
		if perm := f.Mode().Perm(); perm != 0 {
			return perm
		}
	}
	return 0o644
}

// Creator systems in the high byte of a zip entry's "version made by".
const (
	creatorUnix   = 3
	creatorMacOSX = 19
)

// readTargets inflates every symlink's target and checks that following it,
// through any other symlinks of the archive, stays inside the destination.
func (p *plan) readTargets() error {
	for _, e := range p.links {
		if e.f.UncompressedSize64 > maxPath {
			return fmt.Errorf("%w: symlink %q: target over %d bytes", ErrUnsafe, e.f.Name, maxPath)
		}
		var buf bytes.Buffer
		if _, err := copyEntry(&buf, e.f); err != nil {
			return err
		}
		t := buf.String()
		switch {
		case t == "":
			return fmt.Errorf("%w: symlink %q: empty target", ErrUnsafe, e.f.Name)
		case strings.IndexByte(t, 0) >= 0:
			return fmt.Errorf("%w: symlink %q: NUL in target", ErrUnsafe, e.f.Name)
		case t[0] == '/':
			return fmt.Errorf("%w: symlink %q -> %q: absolute target", ErrUnsafe, e.f.Name, t)
		}
		e.target = t
	}
	steps := 0
	for _, e := range p.links {
		if err := p.resolve(e, &steps); err != nil {
			return err
		}
	}
	return nil
}

// resolve follows e's target the way the kernel would once the tree is
// written, expanding symlinks of the archive as it meets them, and fails with
// ErrUnsafe if the walk ever climbs above the destination. It is stricter
// than the kernel in one way: a ".." after a missing or non-directory
// component counts although the kernel would stop there with an error.
// *steps counts work across calls, against maxResolveSteps.
func (p *plan) resolve(e *entry, steps *int) error {
	// stack holds the directories walked into, root first; nil stands for a
	// path the archive does not create.
	stack := []*node{p.root}
	comps := strings.Split(e.name, "/")
	*steps += len(comps)
	for _, c := range comps[:len(comps)-1] {
		stack = append(stack, stack[len(stack)-1].children[c])
	}
	// pending holds the components still to walk, next one last.
	var pending []string
	push := func(target string) {
		cs := strings.Split(target, "/")
		slices.Reverse(cs)
		pending = append(pending, cs...)
	}
	push(e.target)
	hops := 0
	for len(pending) > 0 {
		if *steps++; *steps > maxResolveSteps {
			return fmt.Errorf("%w: symlinks too many or too long to check", ErrUnsafe)
		}
		c := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 1 {
				return fmt.Errorf("%w: symlink %q -> %q leads outside the destination", ErrUnsafe, e.f.Name, e.target)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		var next *node
		if top := stack[len(stack)-1]; top != nil {
			next = top.children[c] // nil for files and missing paths
		}
		if next != nil && next.kind == kindSymlink {
			if hops++; hops > maxHops {
				return fmt.Errorf("%w: symlink %q -> %q: too many levels of symlinks", ErrUnsafe, e.f.Name, e.target)
			}
			// Relative to the directory holding next: the current top.
			push(next.entry.target)
			continue
		}
		stack = append(stack, next)
	}
	return nil
}
