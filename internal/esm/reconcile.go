package esm

import (
	"context"
	"log/slog"
	"reflect"
	"time"
)

// poller is one running mapping's poller. stop asks it to finish the
// invocation it is in, settle and checkpoint, and return; done is closed when
// it has.
type poller struct {
	rec    record
	stopCh chan struct{}
	done   chan struct{}
}

func (p *poller) stop() {
	select {
	case <-p.stopCh:
	default:
		close(p.stopCh)
	}
}

// reconcileLoop carries out the mappings' transitions, one at a time, each
// time one changes. It is the only writer of settled states and the only one
// that starts and stops pollers.
func (s *Service) reconcileLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.dirty:
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			return
		}
		type work struct {
			uuid string
			e    entry
		}
		var todo []work
		for uuid, e := range s.cache {
			if e.rev != e.seen {
				e.seen = e.rev
				todo = append(todo, work{uuid, *e})
			}
		}
		s.mu.Unlock()
		for _, w := range todo {
			s.reconcile(w.uuid, w.e)
		}
	}
}

// reconcile moves one mapping toward what its stored state asks for:
//
//	Creating, Updating → Enabled or Disabled (as Enabled says)
//	Enabling → Enabled;  Disabling → Disabled
//	Enabled → its poller runs (restarted when its settings changed)
//	Disabled → no poller
//	Deleting → poller stopped, checkpoints dropped, the mapping removed
func (s *Service) reconcile(uuid string, e entry) {
	if e.deleted {
		s.stopPoller(uuid)
		return
	}
	rec := e.rec
	if rec.State == stateDeleting {
		old := s.stopPoller(uuid)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if old != nil {
				<-old.done
			}
			if err := s.dropCheckpoints(s.ctx, uuid); err != nil {
				slog.Warn("esm: cannot drop checkpoints", "uuid", uuid, "err", err)
			}
			if err := s.mappings.Delete(s.ctx, uuid, 0); err != nil {
				slog.Warn("esm: cannot remove a deleted mapping", "uuid", uuid, "err", err)
			}
			s.results.Delete(uuid)
		}()
		return
	}
	if rec.Enabled {
		s.ensurePoller(rec)
	} else {
		s.stopPoller(uuid)
	}
	next := settled(rec.State, rec.Enabled)
	if next == "" {
		return
	}
	n := rec
	n.State = next
	rev, err := s.mappings.Update(s.ctx, uuid, n, e.rev)
	if err != nil {
		// A conflict means a newer write is on its way to the watch; anything
		// else is the store failing: try again shortly.
		if s.ctx.Err() == nil {
			s.retryLater(uuid)
		}
		return
	}
	s.remember(n, rev)
}

// retryLater makes the reconciler look at uuid again in a second.
func (s *Service) retryLater(uuid string) {
	time.AfterFunc(time.Second, func() {
		s.mu.Lock()
		if e := s.cache[uuid]; e != nil {
			e.seen = 0
		}
		s.mu.Unlock()
		s.kick()
	})
}

// ensurePoller starts rec's poller, or restarts it when its settings changed;
// a replacement starts once the poller it replaces has stopped.
func (s *Service) ensurePoller(rec record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.pollers[rec.UUID]
	if old != nil && sameConfig(&old.rec, &rec) {
		old.rec = rec
		return
	}
	if old != nil {
		old.stop()
	}
	p := &poller{rec: rec, stopCh: make(chan struct{}), done: make(chan struct{})}
	s.pollers[rec.UUID] = p
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(p.done)
		if old != nil {
			<-old.done
		}
		s.run(p)
	}()
}

// stopPoller asks uuid's poller to stop and forgets it; it returns the
// poller, or nil when none ran.
func (s *Service) stopPoller(uuid string) *poller {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pollers[uuid]
	if p != nil {
		p.stop()
		delete(s.pollers, uuid)
	}
	return p
}

// sameConfig reports whether two revisions of a mapping poll alike (they
// differ at most in state and modification time).
func sameConfig(a, b *record) bool {
	x, y := *a, *b
	x.State, y.State = "", ""
	x.LastModified, y.LastModified = time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

// run runs the poller of p's source kind until it is stopped.
func (s *Service) run(p *poller) {
	// ensurePoller refreshes p.rec under s.mu when only its state changed;
	// the poller works from the copy it starts with.
	s.mu.Lock()
	rec := p.rec
	s.mu.Unlock()
	service := sourceService(rec.EventSourceArn)
	if queues := s.Queues[service]; queues != nil {
		qp := &queuePoller{s: s, p: p, rec: rec, queues: queues}
		qp.run(s.ctx)
		return
	}
	streams := s.Streams[service]
	if streams == nil {
		slog.Error("esm: no source of this kind is served; the mapping waits", "uuid", rec.UUID, "source", rec.EventSourceArn)
		s.results.Store(rec.UUID, "PROBLEM: Stratus does not serve "+service+" event sources")
		return
	}
	sp := &streamPoller{s: s, p: p, rec: rec, streams: streams}
	sp.run(s.ctx)
}

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// sleep waits d, or until ctx ends or stop closes; false when it was cut short.
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}
