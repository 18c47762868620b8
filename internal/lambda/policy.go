package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// Resource-based policies: AddPermission, GetPolicy and RemovePermission.
//
// A policy belongs to a function (unqualified, which $LATEST shares), to one
// published version or to one alias, and is kept as one record per owner in the
// lambda_policies bucket, cached in memory through a watch so that Permits reads
// no store. As in Lambda, a policy has no revision of its own: GetPolicy reports
// its owner's RevisionId, and every change to the policy gives the owner a new one
// (LocalStack's AWS-recorded snapshots, test_lambda_api.snapshot.json
// TestLambdaPermissions::test_lambda_permission_fn_versioning: the RevisionId of
// GetPolicy equals GetFunction's and changes with each AddPermission).
//
// Lock order: s.mu and pcache.mu are never held together.

// maxPolicySize is the largest policy document Lambda keeps, in bytes of its JSON.
const maxPolicySize = 20480

// policyRecord is a policy as stored, under policyKey(Region, Function, Qualifier).
type policyRecord struct {
	Region   string `json:"region"`
	Function string `json:"function"`
	// Qualifier is "" for the function itself ($LATEST), else a version number or
	// an alias name.
	Qualifier  string      `json:"qualifier,omitempty"`
	Statements []statement `json:"statements"`
}

// statement is one AddPermission, as given; render turns it into the IAM
// statement Lambda shows.
type statement struct {
	Sid      string `json:"sid"`
	Action   string `json:"action"`
	Resource string `json:"resource"`
	// Principal is as given: "*", an account id, an IAM ARN or a service principal.
	Principal             string `json:"principal"`
	SourceArn             string `json:"sourceArn,omitempty"`
	SourceAccount         string `json:"sourceAccount,omitempty"`
	PrincipalOrgID        string `json:"principalOrgId,omitempty"`
	EventSourceToken      string `json:"eventSourceToken,omitempty"`
	FunctionURLAuthType   string `json:"functionUrlAuthType,omitempty"`
	InvokedViaFunctionURL bool   `json:"invokedViaFunctionUrl,omitempty"`
}

// policyKey is the bucket key of a policy; as for event invoke configs, the
// function's own policy ("" or $LATEST) is "=LATEST", since "$" may not appear in
// a key and "=" may not appear in a function or alias name.
func policyKey(region, name, qualifier string) string {
	if qualifier == "" || qualifier == "$LATEST" {
		qualifier = "=LATEST"
	}
	return region + "/" + name + "/" + qualifier
}

// policyEntry is a cached policy and the store revision it came from; a deleted
// key keeps an entry without statements (a tombstone), so a late watch event
// cannot bring it back. Entries are replaced, never changed.
type policyEntry struct {
	rec policyRecord
	rev uint64
}

// policyCache holds every policy by key. Its mutex is a leaf: nothing else is
// locked while it is held.
type policyCache struct {
	mu sync.RWMutex
	m  map[string]*policyEntry
}

func (c *policyCache) put(k string, rec policyRecord, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[k]; old != nil && old.rev >= rev {
		return
	}
	c.m[k] = &policyEntry{rec: rec, rev: rev}
}

func (c *policyCache) del(k string, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[k]; old != nil && old.rev >= rev {
		return
	}
	c.m[k] = &policyEntry{rev: rev}
}

// get returns the policy under k, or nil when there is none.
func (c *policyCache) get(k string) *policyEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e := c.m[k]; e != nil && len(e.rec.Statements) > 0 {
		return e
	}
	return nil
}

// keysOf returns the keys of a function's policies (its own, its versions' and
// its aliases').
func (c *policyCache) keysOf(region, name string) []string {
	prefix := region + "/" + name + "/"
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for k, e := range c.m {
		if len(e.rec.Statements) > 0 && strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// openPolicies binds the policies bucket and fills the cache from it; the watch
// keeps it fresh until Close.
func (s *Service) openPolicies(ctx context.Context) error {
	t, err := store.OpenTable[policyRecord](ctx, s.Store, "lambda_policies", 1)
	if err != nil {
		return err
	}
	s.policies = t
	s.pcache = &policyCache{m: map[string]*policyEntry{}}
	wctx, cancel := context.WithCancel(context.Background())
	s.policyCx = cancel
	return watchTable(ctx, wctx, t, s.pcache.put, s.pcache.del)
}

// policyOwner is what a policy belongs to, as cached now: the function, one of its
// versions or one of its aliases. Its RevisionId is the policy's.
type policyOwner struct {
	e *entry
	// qualifier is "" for the function itself, else a version number or an alias.
	qualifier string
	ve        *versionEntry // set for a version
	a         *aliasEntry   // set for an alias
	// arn is the owner's ARN, qualified for a version or an alias: the Resource
	// of its statements.
	arn string
}

func (o *policyOwner) key() string {
	return policyKey(o.e.rec.Region, o.e.rec.Name, o.qualifier)
}

func (o *policyOwner) revisionID() string {
	switch {
	case o.ve != nil:
		return o.ve.rec.RevisionID
	case o.a != nil:
		return o.a.rec.RevisionID
	}
	return o.e.rec.RevisionID
}

// policyOwnerOf resolves qualifier q of function e to a policy's owner: "" and
// $LATEST are the function, digits a published version, anything else an alias.
// A missing version is "Function not found", a missing alias "Cannot find alias
// arn", both naming the qualified ARN, as LocalStack's AWS-validated provider
// words them (_resolve_fn_qualifier).
func (s *Service) policyOwnerOf(e *entry, q string) (policyOwner, error) {
	o := policyOwner{e: e, arn: s.arn(e.rec.Region, e.rec.Name)}
	if q == "" || q == "$LATEST" {
		return o, nil
	}
	o.qualifier, o.arn = q, o.arn+":"+q
	if isVersionNumber(q) {
		if o.ve = s.lookupVersion(e.rec.Region, e.rec.Name, q); o.ve == nil {
			return o, functionNotFound(o.arn)
		}
		return o, nil
	}
	if o.a = s.lookupAlias(e.rec.Region, e.rec.Name, q); o.a == nil {
		return o, aliasNotFound(o.arn)
	}
	return o, nil
}

// bumpRevision gives the owner a new RevisionId, as Lambda does whenever its
// policy changes. want, when given, is the RevisionId the caller read: if the owner
// has another by the time it is written, the change is refused with
// PreconditionFailedException. A concurrent write without want is retried over.
func (s *Service) bumpRevision(ctx context.Context, o *policyOwner, want *string) error {
	stale := func(current string) bool { return want != nil && *want != current }
	for attempt := 0; attempt < maxPolicyAttempts; attempt++ {
		var err error
		switch {
		case o.ve != nil:
			next := o.ve.rec
			next.RevisionID = newRevisionID()
			k := versionKey(next.Region, next.Name, next.Version)
			var rev uint64
			if rev, err = s.versions.Update(ctx, k, next, o.ve.rev); err == nil {
				o.ve = s.rememberVersion(next, rev)
				return nil
			}
			if errors.Is(err, store.ErrConflict) {
				cur, crev, gerr := s.versions.Get(ctx, k)
				if errors.Is(gerr, store.ErrNotFound) {
					return functionNotFound(o.arn)
				}
				if gerr != nil {
					return gerr
				}
				o.ve = s.rememberVersion(cur, crev)
				if stale(o.ve.rec.RevisionID) {
					return errRevisionMismatch
				}
				continue
			}
		case o.a != nil:
			next := o.a.rec
			next.RevisionID = newRevisionID()
			k := aliasKey(next.Region, next.Function, next.Name)
			var rev uint64
			if rev, err = s.aliases.Update(ctx, k, next, o.a.rev); err == nil {
				o.a = s.rememberAlias(next, rev)
				return nil
			}
			if errors.Is(err, store.ErrConflict) {
				cur, crev, gerr := s.aliases.Get(ctx, k)
				if errors.Is(gerr, store.ErrNotFound) {
					return aliasNotFound(o.arn)
				}
				if gerr != nil {
					return gerr
				}
				o.a = s.rememberAlias(cur, crev)
				if stale(o.a.rec.RevisionID) {
					return errRevisionMismatch
				}
				continue
			}
		default:
			next := o.e.rec
			next.RevisionID = newRevisionID()
			var rev uint64
			if rev, err = s.functions.Update(ctx, key(next.Region, next.Name), next, o.e.rev); err == nil {
				// Only the RevisionId changes: remember keeps the warm environments.
				o.e = s.remember(next, rev)
				return nil
			}
			if errors.Is(err, store.ErrConflict) {
				fresh := s.freshEntry(ctx, next.Region, next.Name)
				if fresh == nil {
					return functionNotFound(o.arn)
				}
				o.e = fresh
				if stale(o.e.rec.RevisionID) {
					return errRevisionMismatch
				}
				continue
			}
		}
		return err
	}
	return errPolicyBusy(o.arn)
}

// changePolicy applies change to the owner's statements as stored and writes the
// result (deleting the record when no statement is left), with compare-and-set:
// a concurrent writer makes it start over from what that writer stored. change's
// error (a statement that exists or is missing, a policy too large) is returned.
func (s *Service) changePolicy(ctx context.Context, o *policyOwner, change func([]statement) ([]statement, error)) error {
	k := o.key()
	for attempt := 0; attempt < maxPolicyAttempts; attempt++ {
		rec, rev, err := s.policies.Get(ctx, k)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if !exists {
			rec = policyRecord{Region: o.e.rec.Region, Function: o.e.rec.Name, Qualifier: o.qualifier}
		}
		next, err := change(rec.Statements)
		if err != nil {
			return err
		}
		rec.Statements = next
		var n uint64
		switch {
		case len(next) == 0 && exists:
			if err = s.policies.Delete(ctx, k, rev); err == nil {
				s.pcache.del(k, rev+1)
				return nil
			}
		case len(next) == 0:
			return nil
		case exists:
			n, err = s.policies.Update(ctx, k, rec, rev)
		default:
			n, err = s.policies.Create(ctx, k, rec)
		}
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return err
		}
		s.pcache.put(k, rec, n)
		if !s.ownerExists(o) {
			// Its owner was deleted meanwhile, maybe before the policy was
			// written: the delete may have missed it.
			if err := s.dropPolicy(ctx, k); err != nil {
				return err
			}
			return functionNotFound(o.arn)
		}
		return nil
	}
	return errPolicyBusy(o.arn)
}

// maxPolicyAttempts bounds the compare-and-set rounds of one policy change; each
// round lost is a write another caller completed.
const maxPolicyAttempts = 100

// errPolicyBusy is the answer when writers kept changing the owner or its policy
// for maxPolicyAttempts rounds, in the words DeleteFunction uses for a function
// being updated.
func errPolicyBusy(arn string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict,
		Message: "The operation cannot be performed at this time. An update is in progress for resource: " + arn}
}

// ownerExists reports whether the owner is still cached (not deleted).
func (s *Service) ownerExists(o *policyOwner) bool {
	region, name := o.e.rec.Region, o.e.rec.Name
	switch {
	case s.lookup(region, name) == nil:
		return false
	case o.ve != nil:
		return s.lookupVersion(region, name, o.qualifier) != nil
	case o.a != nil:
		return s.lookupAlias(region, name, o.qualifier) != nil
	}
	return true
}

// dropPolicy removes the policy under k, for an owner that is being deleted.
func (s *Service) dropPolicy(ctx context.Context, k string) error {
	e := s.pcache.get(k)
	if e == nil {
		return nil
	}
	if err := s.policies.Delete(ctx, k, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.pcache.del(k, e.rev+1)
	return nil
}

// dropPolicies removes every policy of a function that is being deleted, so that a
// function created later under the same name starts without them.
func (s *Service) dropPolicies(ctx context.Context, region, name string) error {
	for _, k := range s.pcache.keysOf(region, name) {
		if err := s.dropPolicy(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Constraints of the permission members, from the service model (aws-sdk-go-v2's
// codegen/sdk-codegen/aws-models/lambda.json); AWS's messages quote the patterns
// without their anchors.
var (
	reStatementID           = regexp.MustCompile(`^([a-zA-Z0-9-_]+)$`)
	reNamespacedStatementID = regexp.MustCompile(`^([a-zA-Z0-9-_.]+)$`)
	reAction                = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
	rePrincipal             = regexp.MustCompile(`^[^\s]+$`)
	reSourceArn             = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$`)
	reSourceOwner           = regexp.MustCompile(`^\d{12}$`)
	reEventSourceToken      = regexp.MustCompile(`^[a-zA-Z0-9._\-]+$`)
	rePrincipalOrgID        = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	reAccountID             = regexp.MustCompile(`^\d{12}$`)
)

const patternPrefix = "Member must satisfy regular expression pattern: "

// Messages of the permission operations. Where AWS's documentation gives none,
// the wording is what LocalStack's AWS-validated provider and snapshots record
// (localstack/services/lambda_/provider.py add_permission, remove_permission,
// get_policy; tests/aws/services/lambda_/test_lambda_api.snapshot.json).
var (
	errLatestPolicy = invalidParameter("We currently do not support adding policies for $LATEST.")
	errBadPrincipal = invalidParameter("The provided principal was invalid. Please check the principal and try again.")
	errNoPolicy     = &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound,
		Message: "No policy is associated with the given resource."}
	errPolicyNotFound = &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound,
		Message: "The resource you requested does not exist."}
)

func statementExists(sid string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict,
		Message: "The statement id (" + sid + ") provided already exists. Please provide a new statement id, or remove the existing statement."}
}

func statementNotFound(sid string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound,
		Message: "Statement " + sid + " is not found in resource policy."}
}

// noPolicyFor is RemovePermission's answer for a function that does not exist.
func noPolicyFor(arn string) *awsproto.Error {
	return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "No policy found for: " + arn}
}

// policyTooLarge is Lambda's answer when a policy would pass 20 KB (as AWS words it
// in the reports of its users, e.g. serverless/serverless#5357).
func policyTooLarge(n int) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "PolicyLengthExceededException",
		"The final policy size (%d) is bigger than the limit (%d).", n, maxPolicySize)
}

// Wire shapes of the permission operations.
type (
	addPermissionInput struct {
		StatementID           *string `json:"StatementId"`
		Action                *string `json:"Action"`
		Principal             *string `json:"Principal"`
		SourceArn             *string `json:"SourceArn"`
		SourceAccount         *string `json:"SourceAccount"`
		EventSourceToken      *string `json:"EventSourceToken"`
		RevisionID            *string `json:"RevisionId"`
		PrincipalOrgID        *string `json:"PrincipalOrgID"`
		FunctionURLAuthType   *string `json:"FunctionUrlAuthType"`
		InvokedViaFunctionURL *bool   `json:"InvokedViaFunctionUrl"`
	}
	addPermissionOutput struct {
		Statement string `json:"Statement"`
	}
	getPolicyOutput struct {
		Policy     string `json:"Policy"`
		RevisionID string `json:"RevisionId"`
	}
)

// validateLength checks a member's length bounds as the model states them (max 0:
// none).
func validateLength(v, field string, min, max int) error {
	if len(v) < min {
		return awsproto.Validation(v, field, "Member must have length greater than or equal to "+strconv.Itoa(min))
	}
	if max > 0 && len(v) > max {
		return awsproto.Validation(v, field, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
	return nil
}

func validatePattern(v, field string, re *regexp.Regexp) error {
	if !re.MatchString(v) {
		p := strings.TrimSuffix(strings.TrimPrefix(re.String(), "^"), "$")
		return awsproto.Validation(v, field, patternPrefix+p)
	}
	return nil
}

// validate checks the request against the model's constraints, member by member
// in the model's order: required members first, then each member's length and
// pattern.
func (in *addPermissionInput) validate() error {
	switch {
	case in.StatementID == nil:
		return mustNotBeNull("statementId")
	case in.Action == nil:
		return mustNotBeNull("action")
	case in.Principal == nil:
		return mustNotBeNull("principal")
	}
	type check struct {
		v        *string
		field    string
		min, max int // max 0: no bound
		re       *regexp.Regexp
	}
	for _, c := range []check{
		{in.StatementID, "statementId", 1, 100, reStatementID},
		{in.Action, "action", 0, 0, reAction},
		{in.Principal, "principal", 0, 0, rePrincipal},
		{in.SourceArn, "sourceArn", 0, 0, reSourceArn},
		{in.SourceAccount, "sourceAccount", 0, 12, reSourceOwner},
		{in.EventSourceToken, "eventSourceToken", 0, 256, reEventSourceToken},
		{in.PrincipalOrgID, "principalOrgID", 12, 34, rePrincipalOrgID},
	} {
		if c.v == nil {
			continue
		}
		if err := validateLength(*c.v, c.field, c.min, c.max); err != nil {
			return err
		}
		if err := validatePattern(*c.v, c.field, c.re); err != nil {
			return err
		}
	}
	if t := in.FunctionURLAuthType; t != nil && *t != "NONE" && *t != "AWS_IAM" {
		return awsproto.Validation(*t, "functionUrlAuthType", "Member must satisfy enum value set: [NONE, AWS_IAM]")
	}
	return nil
}

// addPermission is AddPermission. Lambda checks, in this order: the qualifier
// ($LATEST takes no policy), the function and qualifier, the RevisionId, that the
// statement id is new, then the principal (LocalStack's AWS-validated provider).
func (s *Service) addPermission(w http.ResponseWriter, r *http.Request, p params) error {
	var in addPermissionInput
	if err := decodeBody(r, 1<<16, "AddPermission", &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	region := awsproto.Info(r.Context()).Region
	name, q, err := s.invokeRef(r, p.function, region)
	if err != nil {
		return err
	}
	if q == "$LATEST" {
		return errLatestPolicy
	}
	e := s.lookup(region, name)
	if e == nil {
		return functionNotFound(s.arn(region, name))
	}
	o, err := s.policyOwnerOf(e, q)
	if err != nil {
		return err
	}
	if in.RevisionID != nil && *in.RevisionID != o.revisionID() {
		return errRevisionMismatch
	}
	st := statement{Sid: *in.StatementID, Action: *in.Action, Principal: *in.Principal, Resource: o.arn}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&st.SourceArn, in.SourceArn}, {&st.SourceAccount, in.SourceAccount}, {&st.EventSourceToken, in.EventSourceToken},
		{&st.PrincipalOrgID, in.PrincipalOrgID}, {&st.FunctionURLAuthType, in.FunctionURLAuthType}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	st.InvokedViaFunctionURL = in.InvokedViaFunctionURL != nil && *in.InvokedViaFunctionURL
	add := func(cur []statement) ([]statement, error) {
		for i := range cur {
			if cur[i].Sid == st.Sid {
				return nil, statementExists(st.Sid)
			}
		}
		if _, ok := principalJSON(st.Principal); !ok {
			return nil, errBadPrincipal
		}
		next := append(append(make([]statement, 0, len(cur)+1), cur...), st)
		if n := len(renderPolicy(next)); n > maxPolicySize {
			return nil, policyTooLarge(n)
		}
		return next, nil
	}
	// Refuse what the cached policy shows already, before the RevisionId changes;
	// changePolicy checks again against the store.
	var cur []statement
	if pe := s.pcache.get(o.key()); pe != nil {
		cur = pe.rec.Statements
	}
	if _, err := add(cur); err != nil {
		return err
	}
	if err := s.bumpRevision(r.Context(), &o, in.RevisionID); err != nil {
		return err
	}
	if err := s.changePolicy(r.Context(), &o, add); err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, addPermissionOutput{Statement: string(renderStatement(&st))})
	return nil
}

// getPolicy is GetPolicy: the policy of the function, version or alias, with its
// owner's RevisionId. A qualifier that names nothing has no policy.
func (s *Service) getPolicy(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	o, err := s.policyOwnerOf(e, q)
	if err != nil {
		return errPolicyNotFound
	}
	pe := s.pcache.get(o.key())
	if pe == nil {
		return errPolicyNotFound
	}
	awsproto.WriteJSON(w, http.StatusOK, getPolicyOutput{Policy: string(renderPolicy(pe.rec.Statements)), RevisionID: o.revisionID()})
	return nil
}

// removePermission is RemovePermission (?Qualifier=&RevisionId=). Removing the last
// statement removes the policy.
func (s *Service) removePermission(w http.ResponseWriter, r *http.Request, p params) error {
	sid := p.statement
	if err := validateLength(sid, "statementId", 1, 100); err != nil {
		return err
	}
	if err := validatePattern(sid, "statementId", reNamespacedStatementID); err != nil {
		return err
	}
	region := awsproto.Info(r.Context()).Region
	name, q, err := s.invokeRef(r, p.function, region)
	if err != nil {
		return err
	}
	e := s.lookup(region, name)
	if e == nil {
		return noPolicyFor(s.arn(region, name))
	}
	o, err := s.policyOwnerOf(e, q)
	if err != nil {
		return err
	}
	pe := s.pcache.get(o.key())
	if pe == nil {
		return errNoPolicy
	}
	remove := func(cur []statement) ([]statement, error) {
		for i := range cur {
			if cur[i].Sid == sid {
				return append(append(make([]statement, 0, len(cur)-1), cur[:i]...), cur[i+1:]...), nil
			}
		}
		return nil, statementNotFound(sid)
	}
	if _, err := remove(pe.rec.Statements); err != nil {
		return err
	}
	var want *string
	if v := r.URL.Query().Get("RevisionId"); v != "" {
		want = &v
		if v != o.revisionID() {
			return errRevisionMismatch
		}
	}
	if err := s.bumpRevision(r.Context(), &o, want); err != nil {
		return err
	}
	if err := s.changePolicy(r.Context(), &o, remove); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// IAM shapes of a policy as Lambda renders it. Field order is Lambda's, and so is
// the order of the condition keys (test_add_lambda_permission_fields in
// LocalStack's AWS-recorded snapshots: AWS:SourceAccount, then
// lambda:FunctionUrlAuthType, then aws:PrincipalOrgID; StringEquals before
// ArnLike). Where lambda:EventSourceToken and the Bool condition of
// InvokedViaFunctionUrl go among them no recording shows; they are placed last
// of their kind.
type (
	policyJSON struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement []statementJSON `json:"Statement"`
	}
	statementJSON struct {
		Sid       string         `json:"Sid"`
		Effect    string         `json:"Effect"`
		Principal any            `json:"Principal"`
		Action    string         `json:"Action"`
		Resource  string         `json:"Resource"`
		Condition *conditionJSON `json:"Condition,omitempty"`
	}
	conditionJSON struct {
		StringEquals *stringEqualsJSON `json:"StringEquals,omitempty"`
		ArnLike      *arnLikeJSON      `json:"ArnLike,omitempty"`
		Bool         *boolJSON         `json:"Bool,omitempty"`
	}
	stringEqualsJSON struct {
		SourceAccount       string `json:"AWS:SourceAccount,omitempty"`
		FunctionURLAuthType string `json:"lambda:FunctionUrlAuthType,omitempty"`
		PrincipalOrgID      string `json:"aws:PrincipalOrgID,omitempty"`
		EventSourceToken    string `json:"lambda:EventSourceToken,omitempty"`
	}
	arnLikeJSON struct {
		SourceArn string `json:"AWS:SourceArn"`
	}
	boolJSON struct {
		InvokedViaFunctionURL string `json:"lambda:InvokedViaFunctionUrl"`
	}
)

// principalJSON renders a Principal as Lambda does: "*" as it is, an account id as
// its root ARN under "AWS", an IAM ARN under "AWS", a service principal under
// "Service". Anything else is not a principal (ok false), as in LocalStack's
// AWS-validated build_statement; Alexa's service principals end in .amazon.com.
func principalJSON(p string) (v any, ok bool) {
	switch {
	case p == "*":
		return "*", true
	case reAccountID.MatchString(p):
		return map[string]string{"AWS": "arn:aws:iam::" + p + ":root"}, true
	case strings.HasPrefix(p, "arn:aws") && strings.Contains(p, ":iam::"):
		return map[string]string{"AWS": p}, true
	case strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn") || strings.HasSuffix(p, ".amazon.com"):
		return map[string]string{"Service": p}, true
	}
	return nil, false
}

func (st *statement) json() statementJSON {
	principal, _ := principalJSON(st.Principal)
	out := statementJSON{Sid: st.Sid, Effect: "Allow", Principal: principal, Action: st.Action, Resource: st.Resource}
	var c conditionJSON
	if st.SourceAccount != "" || st.FunctionURLAuthType != "" || st.PrincipalOrgID != "" || st.EventSourceToken != "" {
		c.StringEquals = &stringEqualsJSON{SourceAccount: st.SourceAccount, FunctionURLAuthType: st.FunctionURLAuthType,
			PrincipalOrgID: st.PrincipalOrgID, EventSourceToken: st.EventSourceToken}
	}
	if st.SourceArn != "" {
		c.ArnLike = &arnLikeJSON{SourceArn: st.SourceArn}
	}
	if st.InvokedViaFunctionURL {
		c.Bool = &boolJSON{InvokedViaFunctionURL: "true"}
	}
	if c != (conditionJSON{}) {
		out.Condition = &c
	}
	return out
}

// compactJSON encodes v as Lambda writes policies: compact, without escaping
// HTML characters.
func compactJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // plain structs of strings
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// renderStatement is the Statement AddPermission answers with.
func renderStatement(st *statement) []byte { return compactJSON(st.json()) }

// renderPolicy is the Policy GetPolicy answers with; its length is what the 20 KB
// limit counts.
func renderPolicy(stmts []statement) []byte {
	doc := policyJSON{Version: "2012-10-17", ID: "default", Statement: make([]statementJSON, len(stmts))}
	for i := range stmts {
		doc.Statement[i] = stmts[i].json()
	}
	return compactJSON(doc)
}
