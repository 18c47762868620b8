package bolt

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/dynamodb/attr"
	"github.com/stratus-run/stratus/internal/dynamodb/tablestore"
)

// The crash test runs a child process (this test binary, re-run as
// TestCrashChild) that writes to a store from several goroutines and prints
// each key once its Write has returned; the parent kills it with SIGKILL and
// opens the store again. A kill loses no page cache, so this checks what the
// store's own ordering promises (no acknowledged write lost, the indexes,
// stats and stream agreeing with the items), not the disk's.

const childEnv = "STRATUS_TABLESTORE_CRASH_CHILD"

func crashTable() tablestore.Table {
	t := tablestore.Table{Name: "t", Status: "ACTIVE",
		Key:        tablestore.KeySchema{Hash: "pk", HashKind: attr.S, Range: "sk", RangeKind: attr.N},
		Attributes: []tablestore.AttributeDefinition{{Name: "pk", Kind: attr.S}, {Name: "sk", Kind: attr.N}, {Name: "g", Kind: attr.S}},
		Indexes: []tablestore.Index{{Name: "g", Global: true, Status: "ACTIVE",
			Key: tablestore.KeySchema{Hash: "g", HashKind: attr.S}, Projection: tablestore.Projection{Type: "ALL"}}},
		Stream: tablestore.StreamSpec{Enabled: true, ViewType: "NEW_IMAGE", Label: "2025-01-01T00:00:00.000"},
	}
	return t
}

// TestCrashChild is the child; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("only run as the crash test's child")
	}
	ctx := context.Background()
	s, err := Open(dir, Options{})
	if err == nil {
		err = s.CreateTable(ctx, crashTable())
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				pk := fmt.Sprintf("g%d", g)
				it := attr.Item{"pk": attr.Str(pk), "sk": {Kind: attr.N, N: fmt.Sprint(i)}, "g": attr.Str(fmt.Sprint(i % 3))}
				err := s.Write(ctx, []tablestore.Op{{Table: "t", Key: attr.Item{"pk": it["pk"], "sk": it["sk"]},
					Apply: func(attr.Item) (attr.Item, error) { return it, nil }}})
				mu.Lock()
				if err != nil {
					fmt.Println("error", err)
				} else {
					fmt.Println("acked", pk, i)
				}
				mu.Unlock()
			}
		}()
	}
	fmt.Println("ready")
	time.Sleep(time.Hour) // until the kill
}

func TestCrashAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("re-runs the test binary")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill := func() {
		if !killed {
			killed = true
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}
	}
	t.Cleanup(kill)
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	acked := map[string]bool{}
	note := func(l string) {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "acked" {
			acked[f[1]+"/"+f[2]] = true
		}
	}
	timeout := time.After(30 * time.Second)
	for len(acked) < 300 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("child ended early")
			}
			if strings.HasPrefix(l, "error") {
				t.Fatal("child:", l)
			}
			note(l)
		case <-timeout:
			t.Fatalf("only %d writes acknowledged in time", len(acked))
		}
	}
	kill()
	for l := range lines { // lines printed before it died are acknowledgements too
		note(l)
	}

	s := openTest(t, dir, Options{})
	defer s.Close()
	ctx := context.Background()
	for k := range acked {
		pk, sk, _ := strings.Cut(k, "/")
		it, err := s.Get(ctx, "t", attr.Item{"pk": attr.Str(pk), "sk": {Kind: attr.N, N: sk}})
		if err != nil || it == nil {
			t.Fatalf("acknowledged %s lost: %v", k, err)
		}
	}
	// What survived is consistent: the index, the stats and the stream hold
	// exactly the items.
	var items int64
	if err := s.Scan(ctx, tablestore.Scan{Table: "t"}, func(attr.Item) bool { items++; return true }); err != nil {
		t.Fatal(err)
	}
	var entries int64
	if err := s.Scan(ctx, tablestore.Scan{Table: "t", Index: "g"}, func(attr.Item) bool { entries++; return true }); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx, "t", "")
	if err != nil {
		t.Fatal(err)
	}
	si, err := s.Stream(ctx, "t", "2025-01-01T00:00:00.000")
	if err != nil {
		t.Fatal(err)
	}
	if items < int64(len(acked)) || entries != items || st.Items != items || si.Last != uint64(items) {
		t.Fatalf("after the crash: %d items, %d acknowledged, %d index entries, stats %+v, stream %+v", items, len(acked), entries, st, si)
	}
	t.Logf("%d acknowledged writes, %d items after the crash", len(acked), items)
}
