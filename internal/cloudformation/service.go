// Package cloudformation serves the CloudFormation API (query protocol, XML)
// and runs its stack engine: stack operations run in the background, resource
// by resource in dependency order, through the providers of package
// resources, with every step saved in JetStream KV so that an operation a
// crash interrupted is finished (rolled back, or carried on) on the next Open.
package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/lifecycle"
	"github.com/stratus-run/stratus/internal/store"
)

const (
	xmlNamespace    = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
	stackBucket     = "cfn_stacks"
	eventBucket     = "cfn_events"
	changeSetBucket = "cfn_changesets"
	// maxEvents is how many of a stack's events are kept, newest.
	maxEvents = 2000
)

// Service is CloudFormation. Set the exported fields, then Open; Close waits
// for running stack operations to reach a saved step.
type Service struct {
	Store *store.Store
	// Endpoint is the edge's URL: providers and template downloads call
	// Stratus's own APIs there.
	Endpoint string
	// AccessKeyID and SecretAccessKey sign those calls; under --auth strict
	// the edge must accept them.
	AccessKeyID, SecretAccessKey string
	// Region and Account apply to requests that do not say (defaults
	// us-east-1, 000000000000).
	Region, Account string
	// SettleWait is how long ExecuteChangeSet waits for the stack operation
	// it starts before answering (default 2 s; negative: not at all). The aws
	// CLI's deploy polls the stack right after and then only every 30 s, so
	// a stack that is done in a moment is seen done at once. The operation
	// runs in the background either way.
	SettleWait time.Duration
	// Deployer runs the CodeDeploy deployments of alias updates whose
	// UpdatePolicy is CodeDeployLambdaAliasUpdate; without one such an
	// update fails.
	Deployer Deployer
	// PageSize is how many items a page of DescribeStacks, ListStacks,
	// DescribeStackEvents, ListStackResources, ListChangeSets, ListExports
	// and ListImports holds (default 100, as CloudFormation pages).
	PageSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
	Log *slog.Logger

	stacksT *store.Table[stack]
	eventsT *store.Table[[]event]
	csT     *store.Table[changeSet]

	// mu guards everything below and every *stack, *res and *changeSet
	// reachable from it. Provider calls are made without it.
	mu         sync.Mutex
	stacks     map[string]*stack // by id
	revs       map[string]uint64 // KV revision of each stack, by id
	events     map[string][]event
	eventRevs  map[string]uint64
	changeSets map[string]*changeSet // by id
	csRevs     map[string]uint64
	done       map[string]chan struct{}  // closed when a stack's running operation ends
	updates    map[string]*runningUpdate // the update running on a stack, by id

	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// Open binds the tables and loads every stack. Operations a crash left in
// progress wait for Resume.
func (s *Service) Open(ctx context.Context) error {
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.SettleWait == 0 {
		s.SettleWait = 2 * time.Second
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	var err error
	if s.stacksT, err = store.OpenTable[stack](ctx, s.Store, stackBucket, 1); err != nil {
		return fmt.Errorf("cloudformation: %w", err)
	}
	if s.eventsT, err = store.OpenTable[[]event](ctx, s.Store, eventBucket, 1); err != nil {
		return fmt.Errorf("cloudformation: %w", err)
	}
	if s.csT, err = store.OpenTable[changeSet](ctx, s.Store, changeSetBucket, 1); err != nil {
		return fmt.Errorf("cloudformation: %w", err)
	}
	s.stacks, s.revs = map[string]*stack{}, map[string]uint64{}
	s.events, s.eventRevs = map[string][]event{}, map[string]uint64{}
	s.changeSets, s.csRevs = map[string]*changeSet{}, map[string]uint64{}
	s.done = map[string]chan struct{}{}
	s.updates = map[string]*runningUpdate{}
	s.ctx, s.stop = context.WithCancel(context.Background())
	keys, err := s.stacksT.Keys(ctx)
	if err != nil {
		return fmt.Errorf("cloudformation: %w", err)
	}
	for _, k := range keys {
		st, rev, err := s.stacksT.Get(ctx, k)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return fmt.Errorf("cloudformation: %w", err)
		}
		s.stacks[st.ID], s.revs[st.ID] = &st, rev
		evs, erev, err := s.eventsT.Get(ctx, k)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("cloudformation: %w", err)
		}
		s.events[st.ID], s.eventRevs[st.ID] = evs, erev
	}
	if err := s.csT.EachRevision(ctx, func(_ string, cs changeSet, rev uint64) {
		s.changeSets[cs.ID], s.csRevs[cs.ID] = &cs, rev
	}); err != nil {
		return fmt.Errorf("cloudformation: %w", err)
	}
	return nil
}

// Resume finishes, in the background, the stack operations a crash
// interrupted. Call it once the services resource providers call answer at
// Endpoint: a rollback that found them missing would fail for nothing.
func (s *Service) Resume() { s.recover() }

// Close stops running operations at their next step (their state is saved
// after every step, so the next Open finishes them) and waits for them.
func (s *Service) Close(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	return lifecycle.Wait(ctx, s.wg.Wait)
}

// Handles reports whether r is a CloudFormation call: signed for
// "cloudformation", or unsigned with a query Action it knows in the URL.
func (s *Service) Handles(r *http.Request, signingName string) bool {
	if signingName != "" {
		return signingName == "cloudformation"
	}
	if !awsproto.IsQuery(r) {
		return false
	}
	_, ok := operations[r.URL.Query().Get("Action")]
	return ok
}

type handler func(s *Service, ctx context.Context, q *awsproto.Query) (any, error)

// operations is the route table, one handler per operation.
var operations = map[string]handler{
	"CreateStack":                 (*Service).createStack,
	"UpdateStack":                 (*Service).updateStack,
	"DeleteStack":                 (*Service).deleteStack,
	"DescribeStacks":              (*Service).describeStacks,
	"ListStacks":                  (*Service).listStacks,
	"DescribeStackEvents":         (*Service).describeStackEvents,
	"DescribeStackResource":       (*Service).describeStackResource,
	"DescribeStackResources":      (*Service).describeStackResources,
	"ListStackResources":          (*Service).listStackResources,
	"GetTemplate":                 (*Service).getTemplate,
	"GetTemplateSummary":          (*Service).getTemplateSummary,
	"ValidateTemplate":            (*Service).validateTemplate,
	"CreateChangeSet":             (*Service).createChangeSet,
	"DescribeChangeSet":           (*Service).describeChangeSet,
	"ExecuteChangeSet":            (*Service).executeChangeSet,
	"DeleteChangeSet":             (*Service).deleteChangeSet,
	"ListChangeSets":              (*Service).listChangeSets,
	"ListExports":                 (*Service).listExports,
	"ListImports":                 (*Service).listImports,
	"UpdateTerminationProtection": (*Service).updateTerminationProtection,
	"CancelUpdateStack":           (*Service).cancelUpdateStack,
	"ContinueUpdateRollback":      (*Service).continueUpdateRollback,
}

// ServeHTTP answers one CloudFormation request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, err := awsproto.ReadQuery(r)
	if err != nil {
		awsproto.WriteQueryError(w, r, xmlNamespace, err)
		return
	}
	h := operations[q.Action]
	if h == nil {
		awsproto.WriteQueryError(w, r, xmlNamespace, errUnknownOperation)
		return
	}
	out, err := s.call(h, r.Context(), q)
	if err != nil {
		awsproto.WriteQueryError(w, r, xmlNamespace, err)
		return
	}
	awsproto.WriteQueryResult(w, r, xmlNamespace, q.Action, out)
}

func (s *Service) call(h handler, ctx context.Context, q *awsproto.Query) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("cloudformation: panic in "+q.Action, "panic", p)
			out, err = nil, awsproto.ServiceFailure
		}
	}()
	out, err = h(s, ctx, q)
	var ae *awsproto.Error
	if err != nil && !errors.As(err, &ae) {
		s.Log.Error("cloudformation: "+q.Action, "err", err)
	}
	return out, err
}

// scope is the account and region of a request.
type scope struct{ Account, Region string }

func (s *Service) scope(ctx context.Context) scope {
	info := awsproto.Info(ctx)
	sc := scope{Account: info.Account, Region: info.Region}
	if sc.Account == "" {
		sc.Account = s.Account
	}
	if sc.Region == "" {
		sc.Region = s.Region
	}
	return sc
}

// awsConfig is what providers and template downloads call Stratus with.
func (s *Service) awsConfig(region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, ""),
	}
}

// findStackLocked finds a stack by name (live stacks only) or by id (deleted
// ones too), or fails as CloudFormation does.
func (s *Service) findStackLocked(sc scope, nameOrID string) (*stack, error) {
	if nameOrID == "" {
		return nil, missing("stackName")
	}
	if st := s.stacks[nameOrID]; st != nil && st.Account == sc.Account && st.Region == sc.Region {
		return st, nil
	}
	for _, st := range s.stacks {
		if st.Name == nameOrID && st.Status != statusDeleteComplete && st.Account == sc.Account && st.Region == sc.Region {
			return st, nil
		}
	}
	return nil, errStackNotFound(nameOrID)
}

// stacksLocked lists the stacks of a scope, oldest first.
func (s *Service) stacksLocked(sc scope) []*stack {
	var out []*stack
	for _, st := range s.stacks {
		if st.Account == sc.Account && st.Region == sc.Region {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// saveLocked writes a stack to KV. The engine calls it after every step, so
// what a crash leaves is never further along than what is stored.
func (s *Service) saveLocked(st *stack) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := stackKey(st.ID)
	var rev uint64
	var err error
	if r, ok := s.revs[st.ID]; ok {
		rev, err = s.stacksT.Update(ctx, key, *st, r)
	} else {
		rev, err = s.stacksT.Create(ctx, key, *st)
	}
	if err != nil {
		return fmt.Errorf("cloudformation: saving stack %s: %w", st.Name, err)
	}
	s.revs[st.ID] = rev
	return nil
}

// addEventLocked records a stack event, newest last in memory.
func (s *Service) addEventLocked(st *stack, logical, physical, typ, status, reason string) {
	ev := event{ID: awsproto.NewRequestID(), Logical: logical, Physical: physical, Type: typ, Status: status, Reason: reason, Time: s.Now().UTC()}
	evs := append(s.events[st.ID], ev)
	if len(evs) > maxEvents {
		// Every event rewrites the stack's list: keep the write bounded.
		evs = append([]event(nil), evs[len(evs)-maxEvents:]...)
	}
	s.events[st.ID] = evs
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := stackKey(st.ID)
	var rev uint64
	var err error
	if r, ok := s.eventRevs[st.ID]; ok && r != 0 {
		rev, err = s.eventsT.Update(ctx, key, s.events[st.ID], r)
	} else {
		rev, err = s.eventsT.Create(ctx, key, s.events[st.ID])
	}
	if err != nil {
		s.Log.Error("cloudformation: saving an event", "stack", st.Name, "err", err)
		return
	}
	s.eventRevs[st.ID] = rev
}

// stackEventLocked records an event of the stack itself.
func (s *Service) stackEventLocked(st *stack, status, reason string) {
	s.addEventLocked(st, st.Name, st.ID, "AWS::CloudFormation::Stack", status, reason)
}

// setStatusLocked moves a stack to status, with its event, and saves it.
func (s *Service) setStatusLocked(st *stack, status, reason string) error {
	if !canTransition(st.Status, status) {
		return fmt.Errorf("cloudformation: stack %s cannot go from %s to %s", st.Name, st.Status, status)
	}
	st.Status, st.Reason = status, reason
	if status == statusDeleteComplete {
		st.Deleted = s.Now().UTC()
	}
	s.stackEventLocked(st, status, reason)
	s.finishChangeSetLocked(st, status)
	return s.saveLocked(st)
}

func (s *Service) saveChangeSetLocked(cs *changeSet) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := stackKey(cs.ID)
	var rev uint64
	var err error
	if r, ok := s.csRevs[cs.ID]; ok {
		rev, err = s.csT.Update(ctx, key, *cs, r)
	} else {
		rev, err = s.csT.Create(ctx, key, *cs)
	}
	if err != nil {
		return fmt.Errorf("cloudformation: saving change set %s: %w", cs.Name, err)
	}
	s.csRevs[cs.ID] = rev
	return nil
}

func (s *Service) deleteChangeSetLocked(cs *changeSet) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.csT.Delete(ctx, stackKey(cs.ID), 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("cloudformation: deleting change set %s: %w", cs.Name, err)
	}
	delete(s.changeSets, cs.ID)
	delete(s.csRevs, cs.ID)
	return nil
}
