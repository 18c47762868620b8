package cloudformation

import (
	"context"
	"errors"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// CancelUpdateStack and ContinueUpdateRollback. A cancel is saved with the
// stack (operation.Cancelled) before it is answered, so that it holds across
// a crash: an update a crash interrupted is rolled back on the next Open
// anyway, cancelled or not. The running update learns of it between
// resources, and a resource whose update waits (an alias shifted by
// CodeDeploy) through the update's context, which the cancel ends.

// reasonUpdateCancelled is the reason of the stack event of a cancelled
// update's rollback, as CloudFormation words it.
const reasonUpdateCancelled = "Stack update cancelled"

// errResourceUpdateCancelled fails a resource whose update a cancel cut
// short, in CloudFormation's words for its event.
var errResourceUpdateCancelled = errors.New("Resource update cancelled")

// runningUpdate is the context of the update running on a stack: its
// resources' waits end when the update is cancelled or the service closes.
type runningUpdate struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// beginRunningUpdate registers st's update context and returns the func
// that ends it. An update that was cancelled before its runner got to it
// (or before a restart) starts with its context done.
func (s *Service) beginRunningUpdate(st *stack) (end func()) {
	ctx, cancel := context.WithCancel(s.ctx)
	s.mu.Lock()
	s.updates[st.ID] = &runningUpdate{ctx: ctx, cancel: cancel}
	if st.Op != nil && st.Op.Cancelled {
		cancel()
	}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.updates, st.ID)
		s.mu.Unlock()
		cancel()
	}
}

// updateContext is the context of st's running update, the service's own
// when none is registered.
func (s *Service) updateContext(st *stack) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.updates[st.ID]; u != nil {
		return u.ctx
	}
	return s.ctx
}

// updateCancelled reports whether st's update has been cancelled.
func (s *Service) updateCancelled(st *stack) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return st.Status == statusUpdateInProgress && st.Op != nil && st.Op.Cancelled
}

func (s *Service) cancelUpdateStack(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.findStackLocked(sc, q.Get("StackName"))
	if err != nil {
		return nil, err
	}
	if st.Status != statusUpdateInProgress || st.Op == nil {
		return nil, validationError("CancelUpdateStack cannot be called from current stack status")
	}
	if st.Op.Cancelled {
		// Already on its way back: a second cancel asks for nothing new.
		return nil, nil
	}
	st.Op.Cancelled = true
	if err := s.saveLocked(st); err != nil {
		st.Op.Cancelled = false
		return nil, err
	}
	if u := s.updates[st.ID]; u != nil {
		u.cancel()
	}
	return nil, nil
}

func (s *Service) continueUpdateRollback(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	skip := q.List("ResourcesToSkip.member")
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.findStackLocked(sc, q.Get("StackName"))
	if err != nil {
		return nil, err
	}
	if st.Status != statusUpdateRollbackFailed || st.Op == nil || st.Op.Prev == nil {
		return nil, validationError("ContinueUpdateRollback cannot be called from current stack status")
	}
	for _, l := range skip {
		if rec := st.Resources[l]; rec == nil || rec.Status != statusUpdateFailed {
			// CloudFormation lets only the resources whose rollback failed be skipped.
			return nil, validationError("Resource %s is not in UPDATE_FAILED state and cannot be skipped", l)
		}
	}
	for _, l := range skip {
		// A skipped resource counts as rolled back as it is: it takes the
		// old definition without its provider being called, and the
		// rollback leaves it alone (see restoreResource).
		rec := st.Resources[l]
		if p := st.Op.Prev.Resources[l]; p != nil && p.Result.PhysicalID == rec.Result.PhysicalID {
			rec.Props = p.Props
		}
		rec.Status, rec.Reason, rec.Pending, rec.Deployment, rec.Updated = statusUpdateComplete, "", nil, nil, s.Now().UTC()
		s.addEventLocked(st, l, rec.Result.PhysicalID, rec.Type, "UPDATE_COMPLETE", "Resource skipped during UPDATE_ROLLBACK")
	}
	if err := s.setStatusLocked(st, statusUpdateRollbackInProgress, "User Initiated"); err != nil {
		return nil, err
	}
	s.startLocked(st)
	return nil, nil
}
