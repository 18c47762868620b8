package cloudformation

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/cloudformation/resources"
	"github.com/stratus-run/stratus/internal/store"
)

func openService(t *testing.T, st *store.Store) *Service {
	t.Helper()
	s := &Service{Store: st, PageSize: 3}
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func query(kv ...string) *awsproto.Query {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return awsproto.NewQuery(v)
}

func wantValidation(t *testing.T, err error, msg string) {
	t.Helper()
	var ae *awsproto.Error
	if !errors.As(err, &ae) || ae.Code != "ValidationError" || !strings.Contains(ae.Message, msg) {
		t.Fatalf("got %v, want ValidationError %q", err, msg)
	}
}

// TestContinueUpdateRollback takes a stack whose update rollback failed
// (its queue's restore failed) on with the queue skipped: the stack ends
// UPDATE_ROLLBACK_COMPLETE with the queue taking its old definition
// untouched, and that outcome is what a restarted service loads.
func TestContinueUpdateRollback(t *testing.T) {
	ctx := context.Background()
	st := &store.Store{Dir: t.TempDir()}
	if err := st.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx) //nolint:errcheck
	s := openService(t, st)

	old := map[string]any{"VisibilityTimeout": "30"}
	queue := &res{Logical: "Q", Type: "AWS::SQS::Queue", Status: statusUpdateComplete, Props: old,
		Result: resources.Result{PhysicalID: "http://q/1"}}
	keep := &res{Logical: "K", Type: "AWS::SQS::Queue", Status: statusUpdateComplete, Props: old,
		Result: resources.Result{PhysicalID: "http://q/2"}}
	failed := queue.clone()
	failed.Status, failed.Reason, failed.Props = statusUpdateFailed, "restore failed", map[string]any{"VisibilityTimeout": "60"}
	stk := &stack{ID: stackARN("us-east-1", "000000000000", "crf", "u1"), Name: "crf", Account: "000000000000", Region: "us-east-1",
		Status: statusUpdateRollbackFailed, Created: time.Now().UTC(),
		Resources: map[string]*res{"Q": failed, "K": keep.clone()},
		Op:        &operation{Prev: &snapshot{Resources: map[string]*res{"Q": queue, "K": keep}}}}
	done := &stack{ID: stackARN("us-east-1", "000000000000", "ok", "u2"), Name: "ok", Account: "000000000000", Region: "us-east-1",
		Status: statusCreateComplete, Created: time.Now().UTC()}
	s.mu.Lock()
	for _, x := range []*stack{stk, done} {
		s.stacks[x.ID] = x
		if err := s.saveLocked(x); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Unlock()

	_, err := s.continueUpdateRollback(ctx, query("Action", "ContinueUpdateRollback", "StackName", "ok"))
	wantValidation(t, err, "ContinueUpdateRollback cannot be called from current stack status")
	_, err = s.continueUpdateRollback(ctx, query("Action", "ContinueUpdateRollback", "StackName", "crf", "ResourcesToSkip.member.1", "K"))
	wantValidation(t, err, "Resource K is not in UPDATE_FAILED state")
	_, err = s.cancelUpdateStack(ctx, query("Action", "CancelUpdateStack", "StackName", "crf"))
	wantValidation(t, err, "CancelUpdateStack cannot be called from current stack status")

	if _, err := s.continueUpdateRollback(ctx, query("Action", "ContinueUpdateRollback", "StackName", "crf", "ResourcesToSkip.member.1", "Q")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		status := stk.Status
		s.mu.Unlock()
		if status == statusUpdateRollbackComplete {
			break
		}
		if time.Now().After(deadline) || !inProgress(status) {
			t.Fatalf("stack is %s, want UPDATE_ROLLBACK_COMPLETE", status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	again := openService(t, st)
	defer again.Close(ctx) //nolint:errcheck
	got := again.stacks[stk.ID]
	if got == nil || got.Status != statusUpdateRollbackComplete || got.Op != nil {
		t.Fatalf("after a restart the stack is %+v", got)
	}
	q := got.Resources["Q"]
	if q == nil || q.Status != statusUpdateComplete || q.Props["VisibilityTimeout"] != "30" || q.Result.PhysicalID != "http://q/1" {
		t.Errorf("skipped queue %+v", q)
	}
	var skipped bool
	for _, e := range again.events[stk.ID] {
		if e.Logical == "Q" && e.Status == statusUpdateComplete && strings.Contains(e.Reason, "skipped") {
			skipped = true
		}
	}
	if !skipped {
		t.Errorf("no event of the skip in %+v", again.events[stk.ID])
	}
}

// TestPage walks lists a page at a time: every key once, the last page
// without a token, a sorted list resuming after a key that went away, an
// unsorted one refusing it, and tokens of other operations refused.
func TestPage(t *testing.T) {
	s := &Service{PageSize: 3}
	walk := func(action string, keys []string, sorted bool) []string {
		var got []string
		token := ""
		for range 10 {
			lo, hi, next, err := s.page(query("Action", action, "NextToken", token), keys, sorted)
			if err != nil {
				t.Fatalf("%s page after %q: %v", action, token, err)
			}
			got = append(got, keys[lo:hi]...)
			if next == "" {
				return got
			}
			token = next
		}
		t.Fatalf("%s: no last page", action)
		return nil
	}
	keys := []string{"a", "b", "c", "d", "e", "f", "g"}
	if got := walk("ListExports", keys, true); strings.Join(got, "") != "abcdefg" {
		t.Errorf("pages gave %v", got)
	}
	if got := walk("ListExports", keys[:3], true); strings.Join(got, "") != "abc" {
		t.Errorf("one full page gave %v", got)
	}
	if got := walk("ListExports", nil, true); len(got) != 0 {
		t.Errorf("no keys gave %v", got)
	}
	_, _, next, err := s.page(query("Action", "ListExports"), keys, true)
	if err != nil || next == "" {
		t.Fatal(next, err)
	}
	// "d" was deleted between the pages.
	rest := []string{"a", "b", "c", "e", "f"}
	if lo, hi, _, err := s.page(query("Action", "ListExports", "NextToken", next), rest, true); err != nil || strings.Join(rest[lo:hi], "") != "ef" {
		t.Errorf("sorted resume: %v %v", rest[lo:hi], err)
	}
	_, _, _, err = s.page(query("Action", "DescribeStackEvents", "NextToken", next), keys, false)
	wantValidation(t, err, next+" is not a valid NextToken")
	_, _, evNext, _ := s.page(query("Action", "DescribeStackEvents"), keys, false)
	_, _, _, err = s.page(query("Action", "DescribeStackEvents", "NextToken", evNext), rest, false)
	wantValidation(t, err, "is not a valid NextToken")
	_, _, _, err = s.page(query("Action", "ListExports", "NextToken", "%%%"), keys, true)
	wantValidation(t, err, "%%% is not a valid NextToken")
}
