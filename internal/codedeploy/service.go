// Package codedeploy serves AWS CodeDeploy for the Lambda compute platform
// (awsJson 1.1, X-Amz-Target CodeDeploy_20141006.<Op>, signing name
// "codedeploy"): applications, deployment groups, the predefined and custom
// Lambda deployment configurations, and deployments that shift a function
// alias's traffic from its current version to a target version as
// CodeDeploy does: the BeforeAllowTraffic hook, canary, linear or
// all-at-once weight steps, the AfterAllowTraffic hook, and rollback when a
// hook fails, a watched alarm fires or the deployment is stopped.
//
// Deployments are stored in JetStream KV and carried out by one goroutine
// each; every step is recorded before the next begins, so a deployment
// interrupted by a restart resumes where it was, a traffic step's hold
// counting from when it began. Alias changes and hook invocations go through
// the Lambda API (see Lambda), so they are Lambda's own.
package codedeploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/lifecycle"
	"github.com/stratus-run/stratus/internal/metering"
	"github.com/stratus-run/stratus/internal/schedule"
	"github.com/stratus-run/stratus/internal/store"
)

const (
	targetPrefix = "CodeDeploy_20141006."
	contentType  = awsproto.AWSJSON11
	signingName  = "codedeploy"
)

// Usage is what alarms are evaluated from: the invocations of every
// function in a period, as the metering ledger (metering.Ledger) sums them.
// There is no CloudWatch alarms service yet, so a watched alarm counts as
// firing when the deployed function has had any error since the deployment
// started.
type Usage interface {
	Sum(ctx context.Context, start, end time.Time) (metering.Usage, error)
}

// Service is CodeDeploy. Set the exported fields, then Open; Close stops the
// deployments' runners (their state stays stored, and they resume at the
// next Open).
type Service struct {
	// Store holds applications, groups, configurations and deployments.
	// Required.
	Store *store.Store
	// Lambda reads and shifts aliases and invokes hooks. Required.
	Lambda Lambda
	// Usage feeds alarms; nil means alarms never fire.
	Usage Usage
	// Minute is how long one minute of deployment time lasts (default
	// time.Minute); tests shrink it, as --schedule-minute does schedules.
	Minute time.Duration
	// Region and Account name resources (defaults us-east-1, 000000000000).
	Region, Account string
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// Log gets the runners' failures (default slog.Default()).
	Log *slog.Logger

	// mu guards the caches below; it is never held across a Lambda call or
	// a wait.
	mu      sync.Mutex
	apps    map[string]*appRec    // by key(region, name)
	groups  map[string]*groupRec  // by key(region, app, group)
	configs map[string]*configRec // custom ones, by key(region, name)
	deps    map[string]*depState  // by deployment id
	// changed is closed and replaced whenever a deployment is written:
	// Wait and the runners' wake-ups watch it.
	changed chan struct{}

	appTable    *store.Table[appRec]
	groupTable  *store.Table[groupRec]
	configTable *store.Table[configRec]
	depTable    *store.Table[deployment]

	clock  schedule.Clock
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type depState struct {
	rec     deployment
	rev     uint64
	running bool
}

// Open binds the tables and loads them; Resume then carries on the
// deployments still in progress.
func (s *Service) Open(ctx context.Context) error {
	if s.Store == nil || s.Lambda == nil {
		return errors.New("codedeploy: Store and Lambda are required")
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if s.Account == "" {
		s.Account = "000000000000"
	}
	if s.Minute <= 0 {
		s.Minute = time.Minute
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.clock = schedule.Clock{Minute: s.Minute}
	var err error
	if s.appTable, err = store.OpenTable[appRec](ctx, s.Store, "codedeploy_applications", 1); err != nil {
		return fmt.Errorf("codedeploy: %w", err)
	}
	if s.groupTable, err = store.OpenTable[groupRec](ctx, s.Store, "codedeploy_groups", 1); err != nil {
		return fmt.Errorf("codedeploy: %w", err)
	}
	if s.configTable, err = store.OpenTable[configRec](ctx, s.Store, "codedeploy_configs", 1); err != nil {
		return fmt.Errorf("codedeploy: %w", err)
	}
	if s.depTable, err = store.OpenTable[deployment](ctx, s.Store, "codedeploy_deployments", 1); err != nil {
		return fmt.Errorf("codedeploy: %w", err)
	}
	s.apps, s.groups, s.configs, s.deps = map[string]*appRec{}, map[string]*groupRec{}, map[string]*configRec{}, map[string]*depState{}
	s.changed = make(chan struct{})
	err = errors.Join(
		s.appTable.Each(ctx, func(k string, a appRec) { s.apps[k] = &a }),
		s.groupTable.Each(ctx, func(k string, g groupRec) { s.groups[k] = &g }),
		s.configTable.Each(ctx, func(k string, c configRec) { s.configs[k] = &c }))
	if err != nil {
		return fmt.Errorf("codedeploy: %w", err)
	}
	keys, err := s.depTable.Keys(ctx)
	if err != nil {
		return fmt.Errorf("codedeploy: %w", err)
	}
	for _, k := range keys {
		d, rev, err := s.depTable.Get(ctx, k)
		if err != nil {
			continue
		}
		s.deps[k] = &depState{rec: d, rev: rev}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return nil
}

// Resume starts the runners of the deployments a previous server left in
// progress. Call it once the edge routes requests: the runners' first
// steps call Lambda through it.
func (s *Service) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, st := range s.deps {
		if !st.rec.terminal() {
			s.startLocked(id)
		}
	}
}

// Close stops the runners, waiting for them until ctx ends.
func (s *Service) Close(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	return lifecycle.Wait(ctx, s.wg.Wait)
}

// Handles claims requests signed for CodeDeploy, and unsigned ones naming
// one of its operations.
func (s *Service) Handles(r *http.Request, signing string) bool {
	if signing == signingName {
		return true
	}
	_, ok := awsproto.Target(r, targetPrefix)
	return signing == "" && ok
}

type handler = awsproto.JSONOperation[*Service, input]

// operations is the route table, one handler per operation.
var operations = map[string]handler{
	"CreateApplication":    (*Service).createApplication,
	"GetApplication":       (*Service).getApplication,
	"BatchGetApplications": (*Service).batchGetApplications,
	"ListApplications":     (*Service).listApplications,
	"UpdateApplication":    (*Service).updateApplication,
	"DeleteApplication":    (*Service).deleteApplication,

	"CreateDeploymentGroup":    (*Service).createDeploymentGroup,
	"GetDeploymentGroup":       (*Service).getDeploymentGroup,
	"BatchGetDeploymentGroups": (*Service).batchGetDeploymentGroups,
	"UpdateDeploymentGroup":    (*Service).updateDeploymentGroup,
	"DeleteDeploymentGroup":    (*Service).deleteDeploymentGroup,
	"ListDeploymentGroups":     (*Service).listDeploymentGroups,

	"CreateDeploymentConfig": (*Service).createDeploymentConfig,
	"GetDeploymentConfig":    (*Service).getDeploymentConfig,
	"ListDeploymentConfigs":  (*Service).listDeploymentConfigs,
	"DeleteDeploymentConfig": (*Service).deleteDeploymentConfig,

	"CreateDeployment":                     (*Service).createDeployment,
	"GetDeployment":                        (*Service).getDeployment,
	"BatchGetDeployments":                  (*Service).batchGetDeployments,
	"ListDeployments":                      (*Service).listDeployments,
	"StopDeployment":                       (*Service).stopDeployment,
	"PutLifecycleEventHookExecutionStatus": (*Service).putHookStatus,
	"ListDeploymentTargets":                (*Service).listDeploymentTargets,
	"GetDeploymentTarget":                  (*Service).getDeploymentTarget,
	"BatchGetDeploymentTargets":            (*Service).batchGetDeploymentTargets,
}

// ServeHTTP answers one CodeDeploy request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	awsproto.ServeJSON(w, r, s, targetPrefix, contentType, operations, errUnknownOperation, s.Log, "codedeploy")
}

func (s *Service) region(r *http.Request) string {
	if reg := awsproto.Info(r.Context()).Region; reg != "" {
		return reg
	}
	return s.Region
}

// key joins the parts of a resource's identity into a KV key: hex keeps any
// name CodeDeploy allows within the characters NATS keys take.
func key(parts ...string) string {
	b := []byte{}
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return hex.EncodeToString(b)
}

// createRecLocked stores rec under k, in t and in m; it returns exists when
// t already holds k. Callers hold s.mu (m is one of its maps).
func createRecLocked[T any](ctx context.Context, t *store.Table[T], m map[string]*T, k string, rec T, exists error) error {
	if _, err := t.Create(ctx, k, rec); err != nil {
		if errors.Is(err, store.ErrExists) {
			return exists
		}
		return err
	}
	m[k] = &rec
	return nil
}

// deleteRecLocked removes k from t and from m; a record t no longer holds is
// not an error. Callers hold s.mu (m is one of its maps).
func deleteRecLocked[T any](ctx context.Context, t *store.Table[T], m map[string]*T, k string) error {
	if err := t.Delete(ctx, k, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	delete(m, k)
	return nil
}

func newUUID() string { return awsproto.NewRequestID() }

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newDeploymentID returns an id in CodeDeploy's form: "d-" and nine
// upper-case letters and digits.
func newDeploymentID() string {
	var b [9]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails on Linux
	out := []byte("d-")
	for _, c := range b {
		out = append(out, idAlphabet[int(c)%len(idAlphabet)])
	}
	return string(out)
}

// paginate pages a sorted list: the token is the offset of the page's first
// item.
func paginate(items []string, token string, size int) ([]string, string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", errInvalidNextToken
		}
		start = n
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	page := items[start:end]
	if page == nil {
		page = []string{}
	}
	return page, next, nil
}

func omitEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// notifyLocked wakes whoever waits on a deployment change. Callers hold s.mu.
func (s *Service) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
