package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/smithy-go"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/cloudformation/resources"
	"github.com/stratus-run/stratus/internal/cloudformation/template"
)

// The engine runs a stack's operation as a state machine over its status:
// each status names the work left to do, and each step's outcome is saved
// before the next starts. run picks up from whatever status is stored, so a
// stack an earlier process left mid-way continues in the same code.

// errStopped ends a step when the service is closing; the stack keeps its
// status and the next Open finishes the operation.
var errStopped = errors.New("cloudformation: stopping")

// startLocked runs st's operation in the background, unless its runner is
// still going (it reads the status again before it ends, so it takes the
// new operation on).
func (s *Service) startLocked(st *stack) {
	if _, running := s.done[st.ID]; running {
		return
	}
	done := make(chan struct{})
	s.done[st.ID] = done
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.run(st, done)
	}()
}

// run carries st's operation through until the stack reaches a status that
// is not in progress, the service stops, or the store fails. It forgets
// done (and closes it) in the same critical section in which it sees there
// is nothing left to do, so that startLocked never counts on a runner that
// is leaving.
func (s *Service) run(st *stack, done chan struct{}) {
	finish := func() {
		delete(s.done, st.ID)
		close(done)
		s.mu.Unlock()
	}
	for {
		s.mu.Lock()
		status := st.Status
		step := s.stepFor(status)
		if s.ctx.Err() != nil || step == nil {
			finish()
			return
		}
		s.mu.Unlock()
		if err := step(st); err != nil {
			if !errors.Is(err, errStopped) {
				s.Log.Error("cloudformation: stack operation stopped", "stack", st.Name, "status", status, "err", err)
			}
			s.mu.Lock()
			finish()
			return
		}
	}
}

// stepFor is the work a stack in status has left, nil for none.
func (s *Service) stepFor(status string) func(*stack) error {
	switch status {
	case statusCreateInProgress:
		return s.runCreate
	case statusRollbackInProgress:
		return s.runRollback
	case statusUpdateInProgress:
		return s.runUpdate
	case statusUpdateCleanup:
		return func(st *stack) error { return s.runCleanup(st, statusUpdateComplete) }
	case statusUpdateRollbackInProgress:
		return s.runUpdateRollback
	case statusUpdateRollbackCleanup:
		return func(st *stack) error { return s.runCleanup(st, statusUpdateRollbackComplete) }
	case statusDeleteInProgress:
		return s.runDelete
	}
	return nil
}

func (s *Service) bind(st *stack, c stackConfig) (*template.Stack, error) {
	t, err := loadConfig(c)
	if err != nil {
		return nil, err
	}
	return t.Bind(c.Params, s.pseudo(st))
}

func (s *Service) pseudo(st *stack) template.Pseudo {
	return template.Pseudo{AccountID: st.Account, Region: st.Region, StackName: st.Name, StackID: st.ID, NotificationARNs: st.NotifyARNs}
}

func (s *Service) env(st *stack, logical string) resources.Env {
	return resources.Env{Config: s.awsConfig(st.Region), AccountID: st.Account, Region: st.Region,
		StackName: st.Name, StackID: st.ID, LogicalID: logical}
}

// reason is the text of a failure as a stack event shows it.
func reason(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("Resource handler returned message: %q (HandlerErrorCode: %s)", ae.ErrorMessage(), ae.ErrorCode())
	}
	var pe *awsproto.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// resolver answers Ref, Fn::GetAtt and Fn::ImportValue from a stack's
// resources and the region's exports, and remembers the imports it served.
type resolver struct {
	s  *Service
	st *stack
	// snapshot, when set, is used instead of st.Resources (read under s.mu).
	snapshot map[string]*res

	mu      sync.Mutex
	imports map[string]bool
}

func (r *resolver) lookup(logical string) *res {
	if r.snapshot != nil {
		return r.snapshot[logical]
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if rec := r.st.Resources[logical]; rec != nil {
		return rec.clone()
	}
	return nil
}

func (r *resolver) Ref(logical string) (string, error) {
	rec := r.lookup(logical)
	if rec == nil || rec.Result.PhysicalID == "" {
		return "", validationError("Template error: instance of %s references a resource that does not exist yet", logical)
	}
	return rec.Result.PhysicalID, nil
}

func (r *resolver) GetAtt(logical, attr string) (any, error) {
	rec := r.lookup(logical)
	if rec == nil || rec.Result.PhysicalID == "" {
		return nil, validationError("Template error: instance of Fn::GetAtt references undefined resource %s", logical)
	}
	v, ok := rec.Result.Attrs[attr]
	if !ok {
		return nil, validationError("Template error: resource %s does not support attribute type %s in Fn::GetAtt", logical, attr)
	}
	return v, nil
}

func (r *resolver) ImportValue(name string) (string, error) {
	r.s.mu.Lock()
	v, ok := r.s.exportLocked(scope{Account: r.st.Account, Region: r.st.Region}, name)
	r.s.mu.Unlock()
	if !ok {
		return "", validationError("No export named %s found", name)
	}
	r.mu.Lock()
	if r.imports == nil {
		r.imports = map[string]bool{}
	}
	r.imports[name] = true
	r.mu.Unlock()
	return v.Value, nil
}

func (r *resolver) importList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.imports))
	for n := range r.imports {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// evalProps evaluates a resource's properties.
func evalProps(b *template.Stack, logical string, r template.Resolver) (map[string]any, error) {
	v, err := b.Eval(b.T.Resources[logical].Properties, r)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, validationError("Template error: the Properties of %s must be an object", logical)
	}
	return m, nil
}

// maxParallel bounds how many resources of a wave are worked on at once, so
// that a wide template does not flood the services it calls.
const maxParallel = 16

// inWaves runs step on every name of a wave, in parallel, and returns the
// names whose step failed, sorted.
func inWaves(wave []string, step func(string) error) (failed []string, stopped bool) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallel)
	for _, name := range wave {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			defer wg.Done()
			if err := step(name); err != nil {
				mu.Lock()
				if errors.Is(err, errStopped) {
					stopped = true
				} else {
					failed = append(failed, name)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Strings(failed)
	return failed, stopped
}

// runCreate creates every resource, wave by wave, then the outputs.
func (s *Service) runCreate(st *stack) error {
	b, err := s.bind(st, st.Config)
	if err != nil {
		return s.failCreate(st, reason(err))
	}
	waves, err := b.Order()
	if err != nil {
		return s.failCreate(st, reason(err))
	}
	r := &resolver{s: s, st: st}
	for _, wave := range waves {
		failed, stopped := inWaves(wave, func(logical string) error { return s.createResource(st, b, logical, r) })
		if stopped {
			return errStopped
		}
		if len(failed) > 0 {
			return s.failCreate(st, "The following resource(s) failed to create: "+bracket(failed)+". ")
		}
	}
	outs, err := s.outputs(st, b, r, nil)
	if err != nil {
		return s.failCreate(st, reason(err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Outputs, st.Imports, st.Op = outs, r.importList(), nil
	return s.setStatusLocked(st, statusCreateComplete, "")
}

// failCreate ends a failed create: rolled back, or left as it is when the
// stack was created with rollback disabled.
func (s *Service) failCreate(st *stack, why string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.NoRollback {
		return s.setStatusLocked(st, statusCreateFailed, why)
	}
	if !strings.HasSuffix(why, " ") {
		why += ". "
	}
	return s.setStatusLocked(st, statusRollbackInProgress, why+"Rollback requested by user.")
}

// createResource makes one resource and records it. The properties are
// saved before the provider is called, so that a create a crash interrupted
// can be found again (see adopt).
func (s *Service) createResource(st *stack, b *template.Stack, logical string, r *resolver) error {
	if s.ctx.Err() != nil {
		return errStopped
	}
	def := b.T.Resources[logical]
	p, ok := resources.Lookup(def.Type)
	var props map[string]any
	var err error
	if !ok {
		err = fmt.Errorf("Stratus does not support %s yet", def.Type)
	} else {
		props, err = evalProps(b, logical, r)
	}
	s.mu.Lock()
	rec := &res{Logical: logical, Type: def.Type, Status: statusCreateInProgress, Deps: b.Deps(logical),
		DeletionPolicy: def.DeletionPolicy, UpdateReplacePolicy: def.UpdateReplacePolicy, Updated: s.Now().UTC(), Pending: props}
	if st.Resources == nil {
		st.Resources = map[string]*res{}
	}
	st.Resources[logical] = rec
	s.addEventLocked(st, logical, "", def.Type, statusCreateInProgress, "")
	serr := s.saveLocked(st)
	s.mu.Unlock()
	if serr != nil {
		return serr
	}
	var result resources.Result
	if err == nil {
		result, err = p.Create(opCtx, s.env(st, logical), props)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Updated, rec.Pending = s.Now().UTC(), nil
	if err != nil {
		rec.Status, rec.Reason = statusCreateFailed, reason(err)
		// A provider that failed after its resource came to exist (a table made,
		// its TTL refused) names it, so the rollback deletes it.
		if result.PhysicalID != "" {
			rec.Result, rec.Props = result, props
		}
		s.addEventLocked(st, logical, result.PhysicalID, def.Type, statusCreateFailed, rec.Reason)
		if serr := s.saveLocked(st); serr != nil {
			return serr
		}
		return err
	}
	rec.Status, rec.Result, rec.Props = statusCreateComplete, result, props
	s.addEventLocked(st, logical, result.PhysicalID, def.Type, statusCreateComplete, "")
	return s.saveLocked(st)
}

// adopt finds the physical resource of a create a crash interrupted between
// the provider's call and the save of its outcome: the create is run again
// with the same properties, which for a named resource answers the one that
// exists (or makes it, if the first call never arrived), so that the
// rollback can delete it. It reports whether rec now has a physical id.
func (s *Service) adopt(st *stack, rec *res) bool {
	s.mu.Lock()
	interrupted, props := rec.Interrupted, rec.Pending
	s.mu.Unlock()
	if !interrupted || props == nil {
		return false
	}
	p, ok := resources.Lookup(rec.Type)
	if !ok {
		return false
	}
	result, err := p.Create(opCtx, s.env(st, rec.Logical), props)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Interrupted, rec.Pending = false, nil
	if err != nil {
		return false
	}
	rec.Result, rec.Props = result, props
	return true
}

// outputs evaluates the stack's outputs and checks its exports: unique in
// the region, and none that another stack imports removed or changed (prev
// is the stack's outputs before an update).
func (s *Service) outputs(st *stack, b *template.Stack, r *resolver, prev []output) ([]output, error) {
	vals, err := b.Outputs(r)
	if err != nil {
		return nil, err
	}
	outs := make([]output, 0, len(vals))
	for _, v := range vals {
		outs = append(outs, output{Key: v.Key, Value: v.Value, Description: v.Description, ExportName: v.ExportName})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := scope{Account: st.Account, Region: st.Region}
	now := map[string]string{}
	for _, o := range outs {
		if o.ExportName == "" {
			continue
		}
		if _, dup := now[o.ExportName]; dup {
			return nil, validationError("Template error: duplicate export name %s", o.ExportName)
		}
		now[o.ExportName] = o.Value
		if e, ok := s.exportLocked(sc, o.ExportName); ok && e.StackID != st.ID {
			return nil, validationError("Export with name %s is already exported by stack %s", o.ExportName, e.StackName)
		}
	}
	for _, o := range prev {
		if o.ExportName == "" {
			continue
		}
		users := s.importersLocked(sc, o.ExportName, st.ID)
		if len(users) == 0 {
			continue
		}
		if v, kept := now[o.ExportName]; !kept {
			return nil, validationError("Delete canceled. Cannot delete export %s as it is in use by %s.", o.ExportName, strings.Join(users, ", "))
		} else if v != o.Value {
			return nil, validationError("Cannot update export %s as it is in use by %s.", o.ExportName, strings.Join(users, ", "))
		}
	}
	return outs, nil
}

// deleteOrder is the reverse dependency order of a set of resources, from
// the dependencies recorded when each was made: first the resources nothing
// else depends on.
func deleteOrder(rs map[string]*res) [][]string {
	left := map[string]bool{}
	for n := range rs {
		left[n] = true
	}
	var waves [][]string
	for len(left) > 0 {
		needed := map[string]bool{}
		for n := range left {
			for _, d := range rs[n].Deps {
				if d != n {
					needed[d] = true
				}
			}
		}
		var wave []string
		for n := range left {
			if !needed[n] {
				wave = append(wave, n)
			}
		}
		if len(wave) == 0 {
			// A cycle cannot be recorded from a valid template; delete what is left anyway.
			for n := range left {
				wave = append(wave, n)
			}
		}
		sort.Strings(wave)
		for _, n := range wave {
			delete(left, n)
		}
		waves = append(waves, wave)
	}
	return waves
}

// deleteResources deletes a stack's resources in reverse dependency order
// and returns those that failed to delete. rollback is true for a create's
// rollback, which deletes RetainExceptOnCreate resources too (Retain ones
// are kept either way).
func (s *Service) deleteResources(st *stack, rollback bool) ([]string, error) {
	s.mu.Lock()
	waves := deleteOrder(st.Resources)
	s.mu.Unlock()
	var all []string
	for _, wave := range waves {
		failed, stopped := inWaves(wave, func(logical string) error { return s.deleteResource(st, logical, rollback) })
		if stopped {
			return nil, errStopped
		}
		all = append(all, failed...)
		if len(failed) > 0 {
			break
		}
	}
	return all, nil
}

func (s *Service) deleteResource(st *stack, logical string, rollback bool) error {
	if s.ctx.Err() != nil {
		return errStopped
	}
	s.mu.Lock()
	rec := st.Resources[logical]
	if rec != nil && rec.Result.PhysicalID == "" && rec.Interrupted {
		s.mu.Unlock()
		s.adopt(st, rec)
		s.mu.Lock()
	}
	switch {
	case rec == nil || rec.Status == statusDeleteComplete || rec.Status == "DELETE_SKIPPED":
		s.mu.Unlock()
		return nil
	case rec.Result.PhysicalID == "":
		// Never made: nothing to delete.
		rec.Status, rec.Reason, rec.Updated = statusDeleteComplete, "", s.Now().UTC()
		s.addEventLocked(st, logical, "", rec.Type, statusDeleteComplete, "")
		err := s.saveLocked(st)
		s.mu.Unlock()
		return err
	case rec.DeletionPolicy == "Retain" || (rec.DeletionPolicy == "RetainExceptOnCreate" && !rollback):
		rec.Status, rec.Updated = "DELETE_SKIPPED", s.Now().UTC()
		s.addEventLocked(st, logical, rec.Result.PhysicalID, rec.Type, "DELETE_SKIPPED", "")
		err := s.saveLocked(st)
		s.mu.Unlock()
		return err
	}
	rec.Status, rec.Updated = statusDeleteInProgress, s.Now().UTC()
	s.addEventLocked(st, logical, rec.Result.PhysicalID, rec.Type, statusDeleteInProgress, "")
	cur := rec.clone()
	err := s.saveLocked(st)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	derr := s.destroy(st, cur)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Updated = s.Now().UTC()
	if derr != nil {
		rec.Status, rec.Reason = statusDeleteFailed, reason(derr)
		s.addEventLocked(st, logical, rec.Result.PhysicalID, rec.Type, statusDeleteFailed, rec.Reason)
		if err := s.saveLocked(st); err != nil {
			return err
		}
		return derr
	}
	rec.Status, rec.Reason = statusDeleteComplete, ""
	s.addEventLocked(st, logical, rec.Result.PhysicalID, rec.Type, statusDeleteComplete, "")
	return s.saveLocked(st)
}

// destroy has a resource's provider delete it.
func (s *Service) destroy(st *stack, rec *res) error {
	p, ok := resources.Lookup(rec.Type)
	if !ok {
		return fmt.Errorf("Stratus does not support %s yet", rec.Type)
	}
	return p.Delete(opCtx, s.env(st, rec.Logical), rec.Result)
}

// runRollback deletes what a failed create made.
func (s *Service) runRollback(st *stack) error {
	failed, err := s.deleteResources(st, true)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Op = nil
	if len(failed) > 0 {
		return s.setStatusLocked(st, statusRollbackFailed, "The following resource(s) failed to delete: "+bracket(failed)+". ")
	}
	if err := s.setStatusLocked(st, statusRollbackComplete, ""); err != nil || !st.DeleteOnFailure {
		return err
	}
	return s.setStatusLocked(st, statusDeleteInProgress, "")
}

// runDelete deletes the stack, unless another stack imports one of its
// exports.
func (s *Service) runDelete(st *stack) error {
	s.mu.Lock()
	sc := scope{Account: st.Account, Region: st.Region}
	for _, o := range st.Outputs {
		if o.ExportName == "" {
			continue
		}
		if users := s.importersLocked(sc, o.ExportName, st.ID); len(users) > 0 {
			defer s.mu.Unlock()
			return s.setStatusLocked(st, statusDeleteFailed, fmt.Sprintf("Export %s cannot be deleted as it is in use by %s", o.ExportName, strings.Join(users, ", ")))
		}
	}
	s.mu.Unlock()
	failed, err := s.deleteResources(st, false)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(failed) > 0 {
		return s.setStatusLocked(st, statusDeleteFailed, "The following resource(s) failed to delete: "+bracket(failed)+". ")
	}
	for _, cs := range s.changeSets {
		if cs.StackID == st.ID {
			if err := s.deleteChangeSetLocked(cs); err != nil {
				return err
			}
		}
	}
	st.Op, st.Outputs, st.Imports = nil, nil, nil
	return s.setStatusLocked(st, statusDeleteComplete, "")
}

// recover finishes, in the background, the operations a crash interrupted:
// a create or an update in progress is rolled back (what it did is not
// known to be complete), anything else carries on from where it stopped.
func (s *Service) recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	const why = "Stratus restarted while the operation was in progress. "
	for _, st := range s.stacks {
		if !inProgress(st.Status) {
			continue
		}
		var err error
		switch st.Status {
		case statusCreateInProgress:
			for _, rec := range st.Resources {
				if rec.Status == statusCreateInProgress {
					rec.Status, rec.Reason, rec.Interrupted = statusCreateFailed, "Resource creation cancelled", rec.Pending != nil
					s.addEventLocked(st, rec.Logical, rec.Result.PhysicalID, rec.Type, statusCreateFailed, rec.Reason)
				}
			}
			if st.NoRollback {
				err = s.setStatusLocked(st, statusCreateFailed, why)
			} else {
				err = s.setStatusLocked(st, statusRollbackInProgress, why+"Rollback requested by user.")
			}
		case statusUpdateInProgress:
			for _, rec := range st.Resources {
				if rec.Status == statusCreateInProgress {
					rec.Status, rec.Reason, rec.Interrupted = statusCreateFailed, "Resource creation cancelled", rec.Pending != nil
					s.addEventLocked(st, rec.Logical, rec.Result.PhysicalID, rec.Type, statusCreateFailed, rec.Reason)
				}
			}
			err = s.setStatusLocked(st, statusUpdateRollbackInProgress, why)
		}
		if err != nil {
			s.Log.Error("cloudformation: recovering a stack", "stack", st.Name, "err", err)
			continue
		}
		s.startLocked(st)
	}
}

// opCtx is the context of provider calls. Close does not cancel it: a step
// that has started is let finish (up to Close's deadline) so that its
// outcome is recorded, and the operation stops before the next one.
var opCtx = context.Background()
