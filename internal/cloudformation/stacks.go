package cloudformation

import (
	"context"
	"reflect"
	"regexp"
	"sort"
	"strconv"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/cloudformation/template"
)

var stackNamePattern = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]*$`)

func checkStackName(name string) error {
	if name == "" {
		return missing("stackName")
	}
	if len(name) > 128 {
		return validationError("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must have length less than or equal to 128", name)
	}
	if !stackNamePattern.MatchString(name) {
		return validationError("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name)
	}
	return nil
}

// paramInput is the Parameters of a request.
type paramInput struct {
	values      map[string]string
	usePrevious map[string]bool
}

func readParams(q *awsproto.Query) paramInput {
	p := paramInput{values: map[string]string{}, usePrevious: map[string]bool{}}
	for _, e := range q.Entries("Parameters.member") {
		k := e.Get("ParameterKey")
		if e.Get("UsePreviousValue") == "true" {
			p.usePrevious[k] = true
			continue
		}
		p.values[k] = e.Get("ParameterValue")
	}
	return p
}

// given merges UsePreviousValue parameters from prev into the values.
func (p paramInput) given(prev map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range p.values {
		out[k] = v
	}
	for k := range p.usePrevious {
		v, ok := prev[k]
		if !ok {
			return nil, validationError("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", k)
		}
		out[k] = v
	}
	return out, nil
}

// configure binds a loaded template to the parameters given, as a stack
// operation would, and returns the configuration to store.
func (s *Service) configure(l *loaded, body string, given map[string]string, caps []string, p template.Pseudo) (stackConfig, error) {
	if _, err := l.t.Bind(given, p); err != nil {
		return stackConfig{}, err
	}
	c := stackConfig{Body: body, Processed: l.processed, Transformed: l.transformed, Params: map[string]string{},
		Capabilities: caps, Description: l.t.Description}
	for k, prm := range l.t.Parameters {
		if v, ok := given[k]; ok {
			c.Params[k] = v
		} else if prm.Default != nil {
			c.Params[k] = *prm.Default
		}
		if prm.NoEcho {
			c.NoEcho = append(c.NoEcho, k)
		}
	}
	sort.Strings(c.NoEcho)
	return c, nil
}

func readTags(q *awsproto.Query) map[string]string {
	var tags map[string]string
	for _, e := range q.Entries("Tags.member") {
		if tags == nil {
			tags = map[string]string{}
		}
		tags[e.Get("Key")] = e.Get("Value")
	}
	return tags
}

func newStackID(sc scope, name string) string {
	return stackARN(sc.Region, sc.Account, name, awsproto.NewRequestID())
}

func (s *Service) createStack(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	name := q.Get("StackName")
	if err := checkStackName(name); err != nil {
		return nil, err
	}
	body, err := s.templateSource(ctx, sc, q, nil)
	if err != nil {
		return nil, err
	}
	given, err := readParams(q).given(nil)
	if err != nil {
		return nil, err
	}
	l, err := s.load(sc, name, body, given)
	if err != nil {
		return nil, err
	}
	caps := q.List("Capabilities.member")
	if err := checkCapabilities(l, caps, true); err != nil {
		return nil, err
	}
	st := &stack{ID: newStackID(sc, name), Name: name, Account: sc.Account, Region: sc.Region,
		Tags: readTags(q), NotifyARNs: q.List("NotificationARNs.member"), RoleARN: q.Get("RoleARN"),
		Protected: q.Get("EnableTerminationProtection") == "true"}
	switch onFailure := q.Get("OnFailure"); {
	case onFailure != "" && q.Has("DisableRollback"):
		return nil, validationError("You can specify either DisableRollback or OnFailure, but not both.")
	case onFailure == "DO_NOTHING" || q.Get("DisableRollback") == "true":
		st.NoRollback = true
	case onFailure == "DELETE":
		st.DeleteOnFailure = true
	case onFailure != "" && onFailure != "ROLLBACK":
		return nil, validationError("1 validation error detected: Value '%s' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]", onFailure)
	}
	if t := q.Get("TimeoutInMinutes"); t != "" {
		st.Timeout, _ = strconv.Atoi(t)
	}
	if st.Config, err = s.configure(l, body, given, caps, s.pseudo(st)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.findStackLocked(sc, name); err == nil {
		return nil, errStackExists(name)
	}
	st.Created = s.Now().UTC()
	if err := s.setStatusLocked(st, statusCreateInProgress, "User Initiated"); err != nil {
		return nil, err
	}
	s.stacks[st.ID] = st
	s.startLocked(st)
	return xmlStackID{StackId: st.ID}, nil
}

// snapshotLocked copies what an update may change, for its rollback.
func snapshotLocked(st *stack) *snapshot {
	sn := &snapshot{Config: st.Config, Outputs: append([]output(nil), st.Outputs...), Imports: append([]string(nil), st.Imports...),
		Resources: map[string]*res{}}
	for k, r := range st.Resources {
		if r.Status == statusDeleteComplete {
			continue
		}
		sn.Resources[k] = r.clone()
	}
	return sn
}

func (s *Service) updateStack(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	st, err := s.findStackLocked(sc, q.Get("StackName"))
	var prev stack
	if err == nil {
		prev = *st
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !updatable(prev.Status) {
		return nil, errNotUpdatable(prev.ID, prev.Status)
	}
	body, err := s.templateSource(ctx, sc, q, &prev)
	if err != nil {
		return nil, err
	}
	given, err := readParams(q).given(prev.Config.Params)
	if err != nil {
		return nil, err
	}
	l, err := s.load(sc, prev.Name, body, given)
	if err != nil {
		return nil, err
	}
	caps := q.List("Capabilities.member")
	if err := checkCapabilities(l, caps, true); err != nil {
		return nil, err
	}
	cfg, err := s.configure(l, body, given, caps, s.pseudo(&prev))
	if err != nil {
		return nil, err
	}
	tags := prev.Tags
	if q.Has("Tags") {
		tags = readTags(q)
	}
	if sameConfig(prev.Config, cfg) && reflect.DeepEqual(tags, prev.Tags) {
		return nil, errNoUpdates
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !updatable(st.Status) {
		return nil, errNotUpdatable(st.ID, st.Status)
	}
	if err := s.beginUpdateLocked(st, cfg, tags); err != nil {
		return nil, err
	}
	return xmlStackID{StackId: st.ID}, nil
}

// sameConfig reports whether applying b over a would change nothing.
func sameConfig(a, b stackConfig) bool {
	return reflect.DeepEqual(a.Processed, b.Processed) && reflect.DeepEqual(a.Params, b.Params)
}

// beginUpdateLocked starts an update of st to cfg.
func (s *Service) beginUpdateLocked(st *stack, cfg stackConfig, tags map[string]string) error {
	st.Op = &operation{Prev: snapshotLocked(st)}
	for k, r := range st.Resources {
		if r.Status == statusDeleteComplete {
			delete(st.Resources, k)
		}
	}
	st.Config, st.Tags, st.Updated = cfg, tags, s.Now().UTC()
	if err := s.setStatusLocked(st, statusUpdateInProgress, "User Initiated"); err != nil {
		return err
	}
	s.startLocked(st)
	return nil
}

func (s *Service) deleteStack(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	name := q.Get("StackName")
	if name == "" {
		return nil, missing("stackName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.findStackLocked(sc, name)
	if err != nil {
		// Deleting a stack that does not exist succeeds, as in CloudFormation.
		return nil, nil
	}
	if st.Protected {
		return nil, validationError("Stack [%s] cannot be deleted while TerminationProtection is enabled", st.Name)
	}
	switch {
	case st.Status == statusDeleteComplete || st.Status == statusDeleteInProgress:
		return nil, nil
	case st.Status == statusReview:
		for _, cs := range s.changeSets {
			if cs.StackID == st.ID {
				if err := s.deleteChangeSetLocked(cs); err != nil {
					return nil, err
				}
			}
		}
		return nil, s.setStatusLocked(st, statusDeleteComplete, "")
	case inProgress(st.Status):
		return nil, validationError("Stack [%s] cannot be deleted while in status %s", st.Name, st.Status)
	}
	if retain := q.List("RetainResources.member"); len(retain) > 0 {
		// Only a stack whose delete failed may leave resources behind, as in CloudFormation.
		if st.Status != statusDeleteFailed {
			return nil, validationError("Invalid operation on stack %s. RetainResources can only be specified when the stack is in the DELETE_FAILED state", st.ID)
		}
		// All checked before any is marked: a refused request changes nothing.
		for _, l := range retain {
			if r := st.Resources[l]; r == nil || r.Status != statusDeleteFailed {
				return nil, validationError("The specified resources [%s] to retain must be in a valid state. Only resources with status DELETE_FAILED can be retained.", l)
			}
		}
		for _, l := range retain {
			st.Resources[l].DeletionPolicy = "Retain"
		}
	}
	if err := s.setStatusLocked(st, statusDeleteInProgress, "User Initiated"); err != nil {
		return nil, err
	}
	s.startLocked(st)
	return nil, nil
}

func (s *Service) describeStacks(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := describeStacksResult{Stacks: []xmlStack{}}
	if name := q.Get("StackName"); name != "" {
		st, err := s.findStackLocked(sc, name)
		if err != nil {
			return nil, err
		}
		out.Stacks = append(out.Stacks, st.xml())
		return out, nil
	}
	var list []*stack
	stacks := s.stacksLocked(sc)
	for i := len(stacks) - 1; i >= 0; i-- {
		if stacks[i].Status != statusDeleteComplete {
			list = append(list, stacks[i])
		}
	}
	lo, hi, next, err := s.page(q, stackIDs(list), false)
	if err != nil {
		return nil, err
	}
	for _, st := range list[lo:hi] {
		out.Stacks = append(out.Stacks, st.xml())
	}
	out.NextToken = next
	return out, nil
}

// stackIDs are the ids of stacks, the keys they are paged by.
func stackIDs(stacks []*stack) []string {
	out := make([]string, len(stacks))
	for i, st := range stacks {
		out[i] = st.ID
	}
	return out
}

func (s *Service) listStacks(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	filter := map[string]bool{}
	for _, f := range q.List("StackStatusFilter.member") {
		filter[f] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out listStacksResult
	var list []*stack
	stacks := s.stacksLocked(sc)
	for i := len(stacks) - 1; i >= 0; i-- {
		if len(filter) == 0 || filter[stacks[i].Status] {
			list = append(list, stacks[i])
		}
	}
	lo, hi, next, err := s.page(q, stackIDs(list), false)
	if err != nil {
		return nil, err
	}
	out.NextToken = next
	for _, st := range list[lo:hi] {
		out.StackSummaries = append(out.StackSummaries, xmlStackSummary{StackId: st.ID, StackName: st.Name,
			TemplateDescription: st.Config.Description, CreationTime: ts(st.Created), LastUpdatedTime: ts(st.Updated),
			DeletionTime: ts(st.Deleted), StackStatus: st.Status, StackStatusReason: st.Reason,
			DriftInformation: xmlStackDrift{StackDriftStatus: "NOT_CHECKED"}})
	}
	return out, nil
}

func (s *Service) updateTerminationProtection(ctx context.Context, q *awsproto.Query) (any, error) {
	sc := s.scope(ctx)
	v, ok := q.Lookup("EnableTerminationProtection")
	if !ok {
		return nil, missing("enableTerminationProtection")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.findStackLocked(sc, q.Get("StackName"))
	if err != nil {
		return nil, err
	}
	st.Protected = v == "true"
	if err := s.saveLocked(st); err != nil {
		return nil, err
	}
	return xmlStackID{StackId: st.ID}, nil
}
