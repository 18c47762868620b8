package disk

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// The crash tests run a child process (this test binary, re-run as one of the
// children below) that writes to a store and reports on stdout what it did;
// the parent kills it with SIGKILL and opens the store again. A kill loses
// no page cache, so this checks what the store's own ordering promises (no
// acknowledged write lost, no half-made state, leftovers swept), not the disk's.

const childEnv = "STRATUS_OBJSTORE_CRASH_CHILD"

// TestCrashChild is the child; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	mode, dir, ok := strings.Cut(os.Getenv(childEnv), ":")
	if !ok {
		t.Skip("only run as a crash test's child")
	}
	s, err := Open(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	switch mode {
	case "commit-then-crash":
		childCommitThenCrash(s)
	case "writes":
		childWrites(s)
	}
	time.Sleep(time.Hour) // until the kill
}

// childCommitThenCrash makes a referenced object, then data committed but never
// put, and data half written, and says so.
func childCommitThenCrash(s *Store) {
	fail := func(err error) {
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	fail(s.CreateBucket(ctx, objstore.Bucket{Name: "b"}))
	body := bytes.Repeat([]byte("k"), big)
	w, _ := s.NewData(ctx)
	w.Write(body)
	kept, err := w.Commit()
	fail(err)
	_, err = s.Put(ctx, "b", objstore.Object{Key: "kept", Size: big, Data: kept}, objstore.Condition{}, nil)
	fail(err)
	w, _ = s.NewData(ctx)
	w.Write(body)
	orphan, err := w.Commit()
	fail(err)
	w, _ = s.NewData(ctx)
	w.Write(body) // spills to tmp/ and is never committed
	fmt.Println("kept", kept.Ref)
	fmt.Println("orphan", orphan.Ref)
	fmt.Println("ready")
}

// childWrites puts objects from several goroutines forever, printing each key
// once its Put has returned.
func childWrites(s *Store) {
	if err := s.CreateBucket(ctx, objstore.Bucket{Name: "b"}); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("g%d-%06d", g, i)
				size := 100
				if i%5 == 0 {
					size = big // some file-backed
				}
				w, _ := s.NewData(ctx)
				w.Write(bytes.Repeat([]byte(key[:1]), size))
				d, err := w.Commit()
				if err == nil {
					_, err = s.Put(ctx, "b", objstore.Object{Key: key, Size: int64(size), ETag: key, Data: d}, objstore.Condition{}, nil)
				}
				mu.Lock()
				if err != nil {
					fmt.Println("error", err)
				} else {
					fmt.Println("acked", key, size)
				}
				mu.Unlock()
			}
		}()
	}
	fmt.Println("ready")
}

// runChild starts the child in mode on dir and returns its output lines as
// they come, and a function that kills it.
func runChild(t *testing.T, mode, dir string) (<-chan string, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode+":"+dir)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	killed := false
	kill := func() {
		if !killed {
			killed = true
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}
	}
	t.Cleanup(kill)
	return lines, kill
}

func TestCrashBetweenCommitAndPut(t *testing.T) {
	dir := t.TempDir()
	lines, kill := runChild(t, "commit-then-crash", dir)
	got := map[string]string{}
	timeout := time.After(30 * time.Second)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("child ended early")
			}
			k, v, _ := strings.Cut(l, " ")
			if k == "error" {
				t.Fatal("child:", v)
			}
			if k == "ready" {
				break wait
			}
			got[k] = v
		case <-timeout:
			t.Fatal("child never got ready")
		}
	}
	kill()
	if len(files(t, dir, tmpSubdir)) != 1 || len(files(t, dir, dataSubdir)) != 2 {
		t.Fatalf("before reopen: tmp %q data %q; want the half-written file and two committed", files(t, dir, tmpSubdir), files(t, dir, dataSubdir))
	}

	s := openTest(t, dir)
	<-s.Swept()
	n, err := s.SweepResult()
	must(t, err)
	if n != 2 {
		t.Fatalf("sweep removed %d files, want 2", n)
	}
	wantFiles(t, dir, got["kept"])
	o := mustGet(t, s, "b", "kept", "")
	if o.Data.Ref != got["kept"] || len(readAll(t, s, o)) != big {
		t.Fatalf("kept object = %+v", o)
	}
	// The orphan is not data the store holds: nothing can name it.
	_, err = s.Put(ctx, "b", objstore.Object{Key: "late", Data: objstore.Data{Ref: got["orphan"], Size: big}}, objstore.Condition{}, nil)
	if err == nil {
		t.Fatal("a Put named data left by a crash")
	}
}

func TestCrashAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	lines, kill := runChild(t, "writes", dir)
	acked := map[string]int{}
	timeout := time.After(30 * time.Second)
	for len(acked) < 300 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("child ended early")
			}
			f := strings.Fields(l)
			switch f[0] {
			case "error":
				t.Fatal("child:", l)
			case "acked":
				var size int
				fmt.Sscan(f[2], &size)
				acked[f[1]] = size
			}
		case <-timeout:
			t.Fatalf("only %d writes acknowledged in time", len(acked))
		}
	}
	kill()
	// Lines the child printed before it died are acknowledgements too.
	for l := range lines {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "acked" {
			var size int
			fmt.Sscan(f[2], &size)
			acked[f[1]] = size
		}
	}

	s := openTest(t, dir)
	for key, size := range acked {
		o, err := s.Get(ctx, "b", key, "")
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", key, err)
		}
		if b := readAll(t, s, o); len(b) != size || o.ETag != key {
			t.Fatalf("%s: %d bytes, ETag %s", key, len(b), o.ETag)
		}
	}
	<-s.Swept()
	_, err := s.SweepResult()
	must(t, err)
	if tmp := files(t, dir, tmpSubdir); len(tmp) != 0 {
		t.Fatalf("tmp/ after sweep: %q", tmp)
	}
	// Every data file left is named by an object.
	p, err := s.List(ctx, "b", objstore.ListQuery{MaxKeys: 1 << 20})
	must(t, err)
	named := map[string]bool{}
	for _, lo := range p.Objects {
		if o := mustGet(t, s, "b", lo.Key, ""); o.Data.Ref != "" {
			named[o.Data.Ref] = true
		}
	}
	for _, f := range files(t, dir, dataSubdir) {
		if !named[f] {
			t.Fatalf("data/%s survived the sweep unnamed", f)
		}
	}
	t.Logf("%d acknowledged writes, %d objects after the crash", len(acked), len(p.Objects))
}
