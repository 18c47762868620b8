package cloudformation

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/cloudformation/resources"
)

const noChanges = "The submitted information didn't contain changes. Submit different information to create a change set."

func (s *Service) createChangeSet(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	stackName := q.Get("StackName")
	if stackName == "" {
		return nil, missing("stackName")
	}
	csName := q.Get("ChangeSetName")
	if csName == "" {
		return nil, missing("changeSetName")
	}
	if !stackNamePattern.MatchString(csName) || len(csName) > 128 {
		return nil, validationError("1 validation error detected: Value '%s' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", csName)
	}
	typ := q.Get("ChangeSetType")
	if typ == "" {
		typ = "UPDATE"
	}
	if typ != "CREATE" && typ != "UPDATE" {
		return nil, validationError("1 validation error detected: Value '%s' at 'changeSetType' failed to satisfy constraint: Member must satisfy enum value set: [UPDATE, IMPORT, CREATE]", typ)
	}
	s.mu.Lock()
	st, err := s.findStackLocked(sc, stackName)
	var prev *stack
	if err == nil {
		c := *st
		prev = &c
	}
	s.mu.Unlock()
	switch {
	case typ == "CREATE" && prev != nil && prev.Status != statusReview:
		return nil, errStackExists(prev.Name)
	case typ == "CREATE":
		if err := checkStackName(stackName); err != nil {
			return nil, err
		}
	case prev == nil:
		return nil, validationError("Stack [%s] does not exist", stackName)
	case !updatable(prev.Status):
		return nil, errNotUpdatable(prev.ID, prev.Status)
	}
	var prevUpdate *stack
	if typ == "UPDATE" {
		prevUpdate = prev
	}
	body, err := s.templateSource(ctx, sc, q, prevUpdate)
	if err != nil {
		return nil, err
	}
	var prevParams map[string]string
	if prevUpdate != nil {
		prevParams = prevUpdate.Config.Params
	}
	given, err := readParams(q).given(prevParams)
	if err != nil {
		return nil, err
	}
	name := stackName
	if prev != nil {
		name = prev.Name
	}
	l, err := s.load(sc, name, body, given)
	if err != nil {
		return nil, err
	}
	caps := q.List("Capabilities.member")
	if err := checkCapabilities(l, caps, false); err != nil {
		return nil, err
	}
	target := prev
	if target == nil {
		target = &stack{ID: newStackID(sc, name), Name: name, Account: sc.Account, Region: sc.Region}
	}
	cfg, err := s.configure(l, body, given, caps, s.pseudo(target))
	if err != nil {
		return nil, err
	}
	tags := readTags(q)
	if prevUpdate != nil && !q.Has("Tags") {
		tags = prevUpdate.Tags
	}
	cs := &changeSet{Name: csName, Type: typ, Description: q.Get("Description"), Config: cfg, Tags: tags,
		NoRollback: q.Get("RollbackConfiguration.DisableRollback") == "true" || q.Get("OnStackFailure") == "DO_NOTHING"}
	var current map[string]*res
	if prevUpdate != nil {
		s.mu.Lock()
		current = snapshotLocked(st).Resources
		s.mu.Unlock()
	}
	changes, cerr := s.changes(target, cfg, current)
	cs.Changes = changes
	switch {
	case cerr != nil:
		cs.Status, cs.Reason, cs.Execution = "FAILED", reason(cerr), "UNAVAILABLE"
	case prevUpdate != nil && len(changes) == 0 && sameConfig(prevUpdate.Config, cfg) && reflect.DeepEqual(tags, prevUpdate.Tags):
		cs.Status, cs.Reason, cs.Execution = "FAILED", noChanges, "UNAVAILABLE"
	default:
		cs.Status, cs.Execution = "CREATE_COMPLETE", "AVAILABLE"
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if typ == "CREATE" {
		if cur, err := s.findStackLocked(sc, name); err == nil {
			if cur.Status != statusReview {
				return nil, errStackExists(name)
			}
			target = cur
		} else {
			target.Created = s.Now().UTC()
			if err := s.setStatusLocked(target, statusReview, "User Initiated"); err != nil {
				return nil, err
			}
			s.stacks[target.ID] = target
		}
	} else if target = s.stacks[prev.ID]; target == nil {
		return nil, errStackNotFound(stackName)
	}
	for _, other := range s.changeSets {
		if other.StackID == target.ID && other.Name == csName {
			return nil, errChangeSetExists(csName)
		}
	}
	cs.ID = changeSetARN(sc.Region, sc.Account, csName, awsproto.NewRequestID())
	cs.StackID, cs.StackName, cs.Created = target.ID, target.Name, s.Now().UTC()
	if err := s.saveChangeSetLocked(cs); err != nil {
		return nil, err
	}
	s.changeSets[cs.ID] = cs
	return createChangeSetResult{Id: cs.ID, StackId: target.ID}, nil
}

// changes is what applying cfg over the resources current would do, as a
// change set lists it. Properties are evaluated against the resources as
// they are; one that depends on a resource being added or replaced cannot
// be known before the change runs, so it is a Modify with Replacement
// Conditional, as CloudFormation shows it.
func (s *Service) changes(st *stack, cfg stackConfig, current map[string]*res) ([]change, error) {
	b, err := s.bind(st, cfg)
	if err != nil {
		return nil, err
	}
	waves, err := b.Order()
	if err != nil {
		return nil, err
	}
	r := &resolver{s: s, st: st, snapshot: current}
	if r.snapshot == nil {
		r.snapshot = map[string]*res{}
	}
	var out []change
	newID := map[string]bool{}
	for _, wave := range waves {
		for _, logical := range wave {
			def := b.T.Resources[logical]
			cur := current[logical]
			if cur == nil || cur.Result.PhysicalID == "" {
				out = append(out, change{Action: "Add", Logical: logical, Type: def.Type})
				newID[logical] = true
				continue
			}
			c := change{Action: "Modify", Logical: logical, Physical: cur.Result.PhysicalID, Type: def.Type, Scope: []string{"Properties"}}
			if cur.Type != def.Type {
				c.Replacement = "True"
				out = append(out, c)
				newID[logical] = true
				continue
			}
			dynamic := false
			for _, d := range b.Deps(logical) {
				dynamic = dynamic || newID[d]
			}
			props, err := evalProps(b, logical, r)
			p, ok := resources.Lookup(def.Type)
			switch {
			case err != nil || !ok:
				c.Replacement = "Conditional"
			case reflect.DeepEqual(cur.Props, props) && !dynamic:
				continue
			case reflect.DeepEqual(cur.Props, props):
				c.Replacement = "Conditional"
			case p.Replaces(cur.Props, props):
				c.Replacement = "True"
				newID[logical] = true
			default:
				c.Replacement = "False"
			}
			out = append(out, c)
		}
	}
	var removed []string
	for logical := range current {
		if !b.Active(logical) {
			removed = append(removed, logical)
		}
	}
	sort.Strings(removed)
	for _, logical := range removed {
		cur := current[logical]
		out = append(out, change{Action: "Remove", Logical: logical, Physical: cur.Result.PhysicalID, Type: cur.Type})
	}
	return out, nil
}

// findChangeSetLocked finds a change set by ARN, or by name within a stack.
func (s *Service) findChangeSetLocked(sc scope, stackName, name string) (*changeSet, error) {
	if name == "" {
		return nil, missing("changeSetName")
	}
	if strings.HasPrefix(name, "arn:") {
		if cs := s.changeSets[name]; cs != nil {
			return cs, nil
		}
		return nil, errChangeSetNotFound(name)
	}
	if stackName == "" {
		return nil, validationError("StackName must be specified if ChangeSetName is not specified as an ARN.")
	}
	st, err := s.findStackLocked(sc, stackName)
	if err != nil {
		return nil, errChangeSetNotFound(name)
	}
	for _, cs := range s.changeSets {
		if cs.StackID == st.ID && cs.Name == name {
			return cs, nil
		}
	}
	return nil, errChangeSetNotFound(name)
}

func (cs *changeSet) xmlChanges() []xmlChange {
	out := make([]xmlChange, 0, len(cs.Changes))
	for _, c := range cs.Changes {
		out = append(out, xmlChange{Type: "Resource", ResourceChange: xmlResourceChange{Action: c.Action,
			LogicalResourceId: c.Logical, PhysicalResourceId: c.Physical, ResourceType: c.Type,
			Replacement: c.Replacement, Scope: c.Scope}})
	}
	return out
}

func (s *Service) describeChangeSet(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.findChangeSetLocked(sc, q.Get("StackName"), q.Get("ChangeSetName"))
	if err != nil {
		return nil, err
	}
	return describeChangeSetResult{ChangeSetName: cs.Name, ChangeSetId: cs.ID, StackId: cs.StackID, StackName: cs.StackName,
		Description: cs.Description, Parameters: xmlParams(cs.Config), CreationTime: ts(cs.Created),
		ExecutionStatus: cs.Execution, Status: cs.Status, StatusReason: cs.Reason, Capabilities: cs.Config.Capabilities,
		Tags: xmlTags(cs.Tags), Changes: cs.xmlChanges(), OnStackFailure: onFailure(cs.NoRollback)}, nil
}

func (s *Service) executeChangeSet(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	cs, err := s.findChangeSetLocked(sc, q.Get("StackName"), q.Get("ChangeSetName"))
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if cs.Execution != "AVAILABLE" {
		s.mu.Unlock()
		return nil, errChangeSetStatus(cs.ID, cs.Execution)
	}
	st := s.stacks[cs.StackID]
	if st == nil {
		s.mu.Unlock()
		return nil, errStackNotFound(cs.StackName)
	}
	if err := s.executeLocked(st, cs, q); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	done := s.done[st.ID]
	s.mu.Unlock()
	if done != nil && s.SettleWait > 0 {
		t := time.NewTimer(s.SettleWait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return struct{}{}, nil
}

// executeLocked starts the operation a change set describes; the stack's
// other change sets are deleted, as CloudFormation does.
func (s *Service) executeLocked(st *stack, cs *changeSet, q *awsproto.Query) error {
	noRollback := cs.NoRollback || q.Get("DisableRollback") == "true"
	switch cs.Type {
	case "CREATE":
		if st.Status != statusReview {
			return errStackExists(st.Name)
		}
		st.Config, st.Tags, st.NoRollback, st.ChangeSetID = cs.Config, cs.Tags, noRollback, cs.ID
		if err := s.setStatusLocked(st, statusCreateInProgress, "User Initiated"); err != nil {
			return err
		}
		s.startLocked(st)
	default:
		if !updatable(st.Status) {
			return errNotUpdatable(st.ID, st.Status)
		}
		st.ChangeSetID = cs.ID
		if err := s.beginUpdateLocked(st, cs.Config, cs.Tags); err != nil {
			return err
		}
	}
	cs.Execution = "EXECUTE_IN_PROGRESS"
	if err := s.saveChangeSetLocked(cs); err != nil {
		return err
	}
	for _, other := range s.changeSets {
		if other.StackID == st.ID && other.ID != cs.ID {
			if err := s.deleteChangeSetLocked(other); err != nil {
				return err
			}
		}
	}
	return nil
}

// finishChangeSetLocked records how the execution of st's change set ended,
// once the stack reached status.
func (s *Service) finishChangeSetLocked(st *stack, status string) {
	cs := s.changeSets[st.ChangeSetID]
	if cs == nil || cs.Execution != "EXECUTE_IN_PROGRESS" {
		return
	}
	switch status {
	case statusCreateComplete, statusUpdateComplete:
		cs.Execution = "EXECUTE_COMPLETE"
	case statusRollbackComplete, statusRollbackFailed, statusCreateFailed, statusUpdateRollbackComplete, statusUpdateRollbackFailed:
		cs.Execution = "EXECUTE_FAILED"
	default:
		return
	}
	if err := s.saveChangeSetLocked(cs); err != nil {
		s.Log.Error("cloudformation: saving a change set", "change_set", cs.Name, "err", err)
	}
}

func (s *Service) deleteChangeSet(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.findChangeSetLocked(sc, q.Get("StackName"), q.Get("ChangeSetName"))
	if err != nil {
		return nil, err
	}
	if cs.Execution == "EXECUTE_IN_PROGRESS" {
		return nil, &awsproto.Error{Code: "InvalidChangeSetStatus", Status: 400,
			Message: "Cannot delete ChangeSet in status " + cs.Execution}
	}
	return struct{}{}, s.deleteChangeSetLocked(cs)
}

func (s *Service) listChangeSets(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.findStackLocked(sc, q.Get("StackName"))
	if err != nil {
		return nil, err
	}
	var list []*changeSet
	for _, cs := range s.changeSets {
		if cs.StackID == st.ID {
			list = append(list, cs)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Created.Equal(list[j].Created) {
			return list[i].Created.Before(list[j].Created)
		}
		return list[i].ID < list[j].ID
	})
	ids := make([]string, len(list))
	for i, cs := range list {
		ids[i] = cs.ID
	}
	lo, hi, next, err := s.page(q, ids, false)
	if err != nil {
		return nil, err
	}
	out := listChangeSetsResult{Summaries: []xmlChangeSetSummary{}, NextToken: next}
	for _, cs := range list[lo:hi] {
		out.Summaries = append(out.Summaries, xmlChangeSetSummary{StackId: cs.StackID, StackName: cs.StackName,
			ChangeSetId: cs.ID, ChangeSetName: cs.Name, ExecutionStatus: cs.Execution, Status: cs.Status,
			StatusReason: cs.Reason, CreationTime: ts(cs.Created), Description: cs.Description})
	}
	return out, nil
}

func onFailure(noRollback bool) string {
	if noRollback {
		return "DO_NOTHING"
	}
	return "ROLLBACK"
}
