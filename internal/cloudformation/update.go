package cloudformation

import (
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/stratus-run/stratus/internal/cloudformation/resources"
	"github.com/stratus-run/stratus/internal/cloudformation/template"
)

// Updates: resources are brought to the new template wave by wave (created,
// updated in place, or replaced), and what the stack no longer uses is
// deleted in a cleanup once everything else succeeded. A failure rolls the
// stack back to the snapshot taken when the update began.

// runUpdate applies the stack's new configuration (st.Config) over the
// resources it has; st.Op.Prev is the stack before.
func (s *Service) runUpdate(st *stack) error {
	end := s.beginRunningUpdate(st)
	defer end()
	b, err := s.bind(st, st.Config)
	if err != nil {
		return s.failUpdate(st, reason(err))
	}
	waves, err := b.Order()
	if err != nil {
		return s.failUpdate(st, reason(err))
	}
	r := &resolver{s: s, st: st}
	for _, wave := range waves {
		failed, stopped := inWaves(wave, func(logical string) error { return s.updateResource(st, b, logical, r) })
		if stopped {
			return errStopped
		}
		if s.updateCancelled(st) {
			return s.failUpdate(st, reasonUpdateCancelled)
		}
		if len(failed) > 0 {
			return s.failUpdate(st, "The following resource(s) failed to update: "+bracket(failed)+". ")
		}
	}
	s.mu.Lock()
	var prevOuts []output
	if st.Op != nil && st.Op.Prev != nil {
		prevOuts = st.Op.Prev.Outputs
	}
	s.mu.Unlock()
	outs, err := s.outputs(st, b, r, prevOuts)
	if err != nil {
		return s.failUpdate(st, reason(err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Op != nil && st.Op.Cancelled {
		// Cancelled after the last resource: nothing is left to stop, but
		// the caller was told the update would roll back.
		return s.setStatusLocked(st, statusUpdateRollbackInProgress, reasonUpdateCancelled)
	}
	for logical, rec := range st.Resources {
		if b.Active(logical) {
			continue
		}
		rec = rec.clone()
		rec.Retain = rec.DeletionPolicy == "Retain" || rec.DeletionPolicy == "RetainExceptOnCreate"
		st.Op.Cleanup = append(st.Op.Cleanup, rec)
		delete(st.Resources, logical)
	}
	st.Outputs, st.Imports = outs, r.importList()
	return s.setStatusLocked(st, statusUpdateCleanup, "")
}

func (s *Service) failUpdate(st *stack, why string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setStatusLocked(st, statusUpdateRollbackInProgress, why)
}

// updateResource brings one resource to its new definition: created when
// new, left alone when unchanged, updated in place, or replaced (the old one
// is deleted in the cleanup once the update succeeded).
func (s *Service) updateResource(st *stack, b *template.Stack, logical string, r *resolver) error {
	if s.ctx.Err() != nil {
		return errStopped
	}
	if s.updateCancelled(st) {
		// Not started: the rollback has nothing of it to undo.
		return nil
	}
	def := b.T.Resources[logical]
	s.mu.Lock()
	cur := st.Resources[logical]
	if cur != nil && cur.Result.PhysicalID == "" {
		cur = nil
	}
	s.mu.Unlock()
	if cur == nil {
		return s.createResource(st, b, logical, r)
	}
	props, err := evalProps(b, logical, r)
	p, ok := resources.Lookup(def.Type)
	if err == nil && !ok {
		err = fmt.Errorf("Stratus does not support %s yet", def.Type)
	}
	var replace bool
	var sh *aliasShift
	if err == nil {
		replace = cur.Type != def.Type || (!reflect.DeepEqual(cur.Props, props) && p.Replaces(cur.Props, props))
		if !replace {
			sh, err = s.aliasShiftFor(st, b, logical, r, cur.Props, props)
		}
	}
	if err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		cur.Status, cur.Reason = statusUpdateFailed, reason(err)
		s.addEventLocked(st, logical, cur.Result.PhysicalID, def.Type, statusUpdateFailed, cur.Reason)
		if serr := s.saveLocked(st); serr != nil {
			return serr
		}
		return err
	}
	s.mu.Lock()
	deps := b.Deps(logical)
	same := reflect.DeepEqual(cur.Deps, deps) && cur.DeletionPolicy == def.DeletionPolicy && cur.UpdateReplacePolicy == def.UpdateReplacePolicy
	cur.Deps, cur.DeletionPolicy, cur.UpdateReplacePolicy = deps, def.DeletionPolicy, def.UpdateReplacePolicy
	if !replace && reflect.DeepEqual(cur.Props, props) {
		var err error
		if !same {
			err = s.saveLocked(st)
		}
		s.mu.Unlock()
		return err
	}
	why := ""
	if replace {
		why = "Requested update requires the creation of a new physical resource; hence creating one."
	}
	cur.Status, cur.Reason, cur.Pending, cur.Replacing, cur.Updated = statusUpdateInProgress, "", props, replace, s.Now().UTC()
	cur.Deployment = nil
	if sh != nil {
		// Saved before the deployment starts: see settleDeployment.
		cur.Deployment = &aliasDeployment{Application: sh.in.Application, Group: sh.in.Group}
	}
	s.addEventLocked(st, logical, cur.Result.PhysicalID, def.Type, statusUpdateInProgress, why)
	old := cur.clone()
	err = s.saveLocked(st)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	var result resources.Result
	switch {
	case replace:
		result, err = p.Create(opCtx, s.env(st, logical), props)
	case sh != nil:
		result, err = s.shift(st, logical, cur, p, old, props, sh)
		if errors.Is(err, errStopped) {
			// Left in progress with its deployment recorded: the next Open
			// rolls the update back.
			return err
		}
	default:
		result, err = p.Update(opCtx, s.env(st, logical), old.Result, old.Props, props)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		cur.Status, cur.Reason, cur.Updated = statusUpdateFailed, reason(err), s.Now().UTC()
		s.addEventLocked(st, logical, cur.Result.PhysicalID, def.Type, statusUpdateFailed, cur.Reason)
		if serr := s.saveLocked(st); serr != nil {
			return serr
		}
		return err
	}
	if replace {
		prev := old.clone()
		prev.Status, prev.Pending, prev.Replacing = statusUpdateComplete, nil, false
		prev.Retain = def.UpdateReplacePolicy == "Retain"
		st.Op.Cleanup = append(st.Op.Cleanup, prev)
		cur = &res{Logical: logical, Type: def.Type, Deps: old.Deps, DeletionPolicy: def.DeletionPolicy, UpdateReplacePolicy: def.UpdateReplacePolicy}
		st.Resources[logical] = cur
	}
	cur.Status, cur.Reason, cur.Result, cur.Props, cur.Pending, cur.Replacing, cur.Updated = statusUpdateComplete, "", result, props, nil, false, s.Now().UTC()
	cur.Deployment = nil
	s.addEventLocked(st, logical, result.PhysicalID, def.Type, statusUpdateComplete, "")
	return s.saveLocked(st)
}

// runCleanup deletes the physical resources an update (or its rollback)
// left behind, then moves the stack to final.
func (s *Service) runCleanup(st *stack, final string) error {
	for {
		if s.ctx.Err() != nil {
			return errStopped
		}
		s.mu.Lock()
		if st.Op == nil || len(st.Op.Cleanup) == 0 {
			st.Op = nil
			defer s.mu.Unlock()
			return s.setStatusLocked(st, final, "")
		}
		rec := st.Op.Cleanup[len(st.Op.Cleanup)-1]
		if rec.Result.PhysicalID == "" && rec.Interrupted {
			s.mu.Unlock()
			s.adopt(st, rec)
			s.mu.Lock()
		}
		if rec.Retain {
			s.addEventLocked(st, rec.Logical, rec.Result.PhysicalID, rec.Type, "DELETE_SKIPPED", "")
		} else {
			s.addEventLocked(st, rec.Logical, rec.Result.PhysicalID, rec.Type, statusDeleteInProgress, "")
		}
		s.mu.Unlock()
		if !rec.Retain && rec.Result.PhysicalID != "" {
			if err := s.destroy(st, rec); err != nil {
				// The stack no longer uses it: AWS reports the failure and goes on.
				s.mu.Lock()
				s.addEventLocked(st, rec.Logical, rec.Result.PhysicalID, rec.Type, statusDeleteFailed, reason(err))
				s.mu.Unlock()
			} else {
				s.mu.Lock()
				s.addEventLocked(st, rec.Logical, rec.Result.PhysicalID, rec.Type, statusDeleteComplete, "")
				s.mu.Unlock()
			}
		}
		s.mu.Lock()
		st.Op.Cleanup = st.Op.Cleanup[:len(st.Op.Cleanup)-1]
		err := s.saveLocked(st)
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// runUpdateRollback brings the stack back to st.Op.Prev: resources the
// update made are deleted in the cleanup, replaced ones switched back to the
// old physical resource, ones updated in place updated back.
func (s *Service) runUpdateRollback(st *stack) error {
	s.mu.Lock()
	if st.Op == nil || st.Op.Prev == nil {
		s.mu.Unlock()
		return fmt.Errorf("cloudformation: stack %s has no state to roll back to", st.Name)
	}
	prev := st.Op.Prev
	waves := deleteOrder(st.Resources)
	s.mu.Unlock()
	var failed []string
	for _, wave := range waves {
		f, stopped := inWaves(wave, func(logical string) error { return s.restoreResource(st, logical, prev) })
		if stopped {
			return errStopped
		}
		failed = append(failed, f...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(failed) > 0 {
		sort.Strings(failed)
		return s.setStatusLocked(st, statusUpdateRollbackFailed, "The following resource(s) failed to update: "+bracket(failed)+". ")
	}
	var cleanup []*res
	for logical, rec := range st.Resources {
		p := prev.Resources[logical]
		if rec.Replacing && rec.Status == statusUpdateInProgress && rec.Pending != nil {
			// A crash stopped the creation of its replacement: find that one to delete it.
			c := &res{Logical: logical, Type: rec.Type, Pending: rec.Pending, Interrupted: true}
			cleanup = append(cleanup, c)
		}
		if (rec.Result.PhysicalID != "" || rec.Interrupted) && (p == nil || p.Result.PhysicalID != rec.Result.PhysicalID) {
			c := rec.clone()
			c.Retain = false
			cleanup = append(cleanup, c)
		}
	}
	sort.Slice(cleanup, func(i, j int) bool { return cleanup[i].Logical < cleanup[j].Logical })
	restored := map[string]*res{}
	for logical, p := range prev.Resources {
		restored[logical] = p.clone()
	}
	st.Resources = restored
	st.Config, st.Outputs, st.Imports = prev.Config, prev.Outputs, prev.Imports
	st.Op = &operation{Cleanup: cleanup}
	return s.setStatusLocked(st, statusUpdateRollbackCleanup, "")
}

// restoreResource brings one resource back to its state in prev, in place
// when it is the same physical resource.
func (s *Service) restoreResource(st *stack, logical string, prev *snapshot) error {
	if s.ctx.Err() != nil {
		return errStopped
	}
	s.mu.Lock()
	rec := st.Resources[logical]
	p := prev.Resources[logical]
	if rec == nil || p == nil || rec.Result.PhysicalID == "" || rec.Result.PhysicalID != p.Result.PhysicalID || rec.Replacing {
		// New, or replaced: the cleanup deletes the new one and the old comes back.
		s.mu.Unlock()
		return nil
	}
	from := rec.Props
	touched := rec.Pending != nil && (rec.Status == statusUpdateInProgress || rec.Status == statusUpdateFailed)
	if touched {
		// A failed or interrupted update may have applied part of Pending.
		from = rec.Pending
	}
	if !touched && reflect.DeepEqual(from, p.Props) {
		s.mu.Unlock()
		return nil
	}
	rec.Status, rec.Updated = statusUpdateInProgress, s.Now().UTC()
	s.addEventLocked(st, logical, rec.Result.PhysicalID, rec.Type, statusUpdateInProgress, "")
	cur := rec.clone()
	err := s.saveLocked(st)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	var uerr error
	if cur.Deployment != nil {
		// The update's deployment must be over before the alias is set back,
		// or it would go on shifting traffic after the rollback.
		uerr = s.settleDeployment(st, cur.Deployment)
		if errors.Is(uerr, errStopped) {
			return uerr
		}
	}
	pr, ok := resources.Lookup(rec.Type)
	switch {
	case uerr != nil:
	case !ok:
		uerr = fmt.Errorf("Stratus does not support %s yet", rec.Type)
	default:
		var result resources.Result
		result, uerr = pr.Update(opCtx, s.env(st, logical), cur.Result, from, p.Props)
		if uerr == nil {
			s.mu.Lock()
			// The old definition's attributes are what the restored stack answers.
			p.Result = result
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if uerr != nil {
		rec.Status, rec.Reason = statusUpdateFailed, reason(uerr)
		s.addEventLocked(st, logical, rec.Result.PhysicalID, rec.Type, statusUpdateFailed, rec.Reason)
		if err := s.saveLocked(st); err != nil {
			return err
		}
		return uerr
	}
	rec.Status, rec.Props, rec.Pending, rec.Deployment = statusUpdateComplete, p.Props, nil, nil
	s.addEventLocked(st, logical, rec.Result.PhysicalID, rec.Type, statusUpdateComplete, "")
	return s.saveLocked(st)
}
