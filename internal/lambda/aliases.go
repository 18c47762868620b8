package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// aliasRecord is an alias as stored in the aliases bucket, key "region/function/alias".
type aliasRecord struct {
	Region      string `json:"region"`
	Function    string `json:"function"`
	Name        string `json:"name"`
	Version     string `json:"version"` // a version number or $LATEST
	Description string `json:"description"`
	// Weights is RoutingConfig.AdditionalVersionWeights: at most one other version
	// and the share of invocations it gets.
	Weights    map[string]float64 `json:"weights,omitempty"`
	RevisionID string             `json:"revisionId"`
}

// aliasEntry is a cached alias and its ARN.
type aliasEntry struct {
	rec     aliasRecord
	rev     uint64
	deleted bool
	arn     string
	// extra and weight are Weights' one entry, for the invoke path.
	extra  string
	weight float64
}

func aliasKey(region, function, alias string) string { return region + "/" + function + "/" + alias }

func (s *Service) rememberAlias(a aliasRecord, rev uint64) *aliasEntry {
	k := aliasKey(a.Region, a.Function, a.Name)
	e := &aliasEntry{rec: a, rev: rev, arn: s.arn(a.Region, a.Function) + ":" + a.Name}
	for v, w := range a.Weights {
		e.extra, e.weight = v, w
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.acache[k]; old != nil && old.rev >= rev {
		return old
	}
	s.acache[k] = e
	return e
}

func (s *Service) forgetAlias(k string, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.acache[k]; old != nil && old.rev >= rev {
		return
	}
	s.acache[k] = &aliasEntry{rev: rev, deleted: true}
}

func (s *Service) lookupAlias(region, function, alias string) *aliasEntry {
	s.mu.RLock()
	a := s.acache[aliasKey(region, function, alias)]
	s.mu.RUnlock()
	if a == nil || a.deleted {
		return nil
	}
	return a
}

// aliasesOf returns a function's aliases by name.
func (s *Service) aliasesOf(region, function string) []*aliasEntry {
	prefix := key(region, function) + "/"
	s.mu.RLock()
	var out []*aliasEntry
	for k, a := range s.acache {
		if !a.deleted && strings.HasPrefix(k, prefix) {
			out = append(out, a)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].rec.Name < out[j].rec.Name })
	return out
}

// pick chooses the version an invocation of the alias runs: the additional
// version with its weight's probability, the alias's version otherwise.
func (a *aliasEntry) pick() string {
	if a.extra != "" && rand.Float64() < a.weight {
		return a.extra
	}
	return a.rec.Version
}

// Wire shapes of aliases.
type (
	aliasRoutingConfig struct {
		AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
	}
	aliasConfiguration struct {
		AliasArn        string              `json:"AliasArn"`
		Name            string              `json:"Name"`
		FunctionVersion string              `json:"FunctionVersion"`
		Description     string              `json:"Description"`
		RoutingConfig   *aliasRoutingConfig `json:"RoutingConfig,omitempty"`
		RevisionID      string              `json:"RevisionId"`
	}
	aliasInput struct {
		Name            *string             `json:"Name"`
		FunctionVersion *string             `json:"FunctionVersion"`
		Description     *string             `json:"Description"`
		RoutingConfig   *aliasRoutingConfig `json:"RoutingConfig"`
		RevisionID      *string             `json:"RevisionId"`
	}
	listAliasesOutput struct {
		Aliases    []aliasConfiguration `json:"Aliases"`
		NextMarker *string              `json:"NextMarker,omitempty"`
	}
)

func (a *aliasEntry) configuration() aliasConfiguration {
	c := aliasConfiguration{AliasArn: a.arn, Name: a.rec.Name, FunctionVersion: a.rec.Version,
		Description: a.rec.Description, RevisionID: a.rec.RevisionID}
	if len(a.rec.Weights) > 0 {
		c.RoutingConfig = &aliasRoutingConfig{AdditionalVersionWeights: a.rec.Weights}
	}
	return c
}

// unqualifiedFunction resolves the {FunctionName} of an operation on the function
// itself (publishing, versions, aliases): a qualified name is refused.
func (s *Service) unqualifiedFunction(r *http.Request, ref string) (*entry, error) {
	e, q, err := s.function(r, ref)
	if err != nil {
		return nil, err
	}
	if q != "" {
		return nil, errUnqualifiedOnly
	}
	return e, nil
}

// createAlias is CreateAlias.
func (s *Service) createAlias(w http.ResponseWriter, r *http.Request, p params) error {
	var in aliasInput
	if err := decodeBody(r, 1<<16, "CreateAlias", &in); err != nil {
		return err
	}
	if in.FunctionVersion == nil {
		return mustNotBeNull("functionVersion")
	}
	if in.Name == nil {
		return mustNotBeNull("name")
	}
	if err := validateAliasInput(in); err != nil {
		return err
	}
	e, err := s.unqualifiedFunction(r, p.function)
	if err != nil {
		return err
	}
	a := aliasRecord{Region: e.rec.Region, Function: e.rec.Name, Name: *in.Name, Version: *in.FunctionVersion,
		RevisionID: newRevisionID()}
	if in.Description != nil {
		a.Description = *in.Description
	}
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		a.Weights = in.RoutingConfig.AdditionalVersionWeights
	}
	// Lambda checks the version, then whether the alias exists, then the routing.
	if a.Version != "$LATEST" && s.lookupVersion(a.Region, a.Function, a.Version) == nil {
		return functionNotFound(s.arn(a.Region, a.Function) + ":" + a.Version)
	}
	if old := s.lookupAlias(a.Region, a.Function, a.Name); old != nil {
		return aliasExists(old.arn)
	}
	if err := s.checkAliasTargets(&a); err != nil {
		return err
	}
	rev, err := s.aliases.Create(r.Context(), aliasKey(a.Region, a.Function, a.Name), a)
	if errors.Is(err, store.ErrExists) {
		return aliasExists(s.arn(a.Region, a.Function) + ":" + a.Name)
	}
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, s.rememberAlias(a, rev).configuration())
	return nil
}

// alias resolves the function and alias of a /aliases/{Name} path.
func (s *Service) alias(r *http.Request, p params) (*entry, *aliasEntry, error) {
	if err := validateAliasName(p.alias); err != nil {
		return nil, nil, err
	}
	e, err := s.unqualifiedFunction(r, p.function)
	if err != nil {
		return nil, nil, err
	}
	return e, s.lookupAlias(e.rec.Region, e.rec.Name, p.alias), nil
}

// getAlias is GetAlias.
func (s *Service) getAlias(w http.ResponseWriter, r *http.Request, p params) error {
	e, a, err := s.alias(r, p)
	if err != nil {
		return err
	}
	if a == nil {
		return aliasNotFound(s.arn(e.rec.Region, e.rec.Name) + ":" + p.alias)
	}
	awsproto.WriteJSON(w, http.StatusOK, a.configuration())
	return nil
}

// updateAlias is UpdateAlias: the given fields replace the alias's; a RoutingConfig
// without weights removes its routing.
func (s *Service) updateAlias(w http.ResponseWriter, r *http.Request, p params) error {
	var in aliasInput
	if err := decodeBody(r, 1<<16, "UpdateAlias", &in); err != nil {
		return err
	}
	in.Name = &p.alias
	if err := validateAliasInput(in); err != nil {
		return err
	}
	e, a, err := s.alias(r, p)
	if err != nil {
		return err
	}
	if a == nil {
		// UpdateAlias words it unlike GetAlias, as Lambda does.
		return &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound,
			Message: "Alias not found: " + s.arn(e.rec.Region, e.rec.Name) + ":" + p.alias}
	}
	if in.RevisionID != nil && *in.RevisionID != a.rec.RevisionID {
		return errRevisionMismatch
	}
	next := a.rec
	if in.FunctionVersion != nil {
		next.Version = *in.FunctionVersion
	}
	if in.Description != nil {
		next.Description = *in.Description
	}
	if in.RoutingConfig != nil {
		next.Weights = nil
		if len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
			next.Weights = in.RoutingConfig.AdditionalVersionWeights
		}
	}
	if err := s.checkAliasTargets(&next); err != nil {
		return err
	}
	next.RevisionID = newRevisionID()
	rev, err := s.aliases.Update(r.Context(), aliasKey(next.Region, next.Function, next.Name), next, a.rev)
	if errors.Is(err, store.ErrConflict) {
		return errRevisionMismatch
	}
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, s.rememberAlias(next, rev).configuration())
	return nil
}

// deleteAlias is DeleteAlias; deleting an alias that does not exist succeeds, as
// in Lambda (its DeleteAlias has no ResourceNotFoundException).
func (s *Service) deleteAlias(w http.ResponseWriter, r *http.Request, p params) error {
	_, a, err := s.alias(r, p)
	if err != nil {
		return err
	}
	if a != nil {
		if err := s.removeAlias(r.Context(), a); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) removeAlias(ctx context.Context, a *aliasEntry) error {
	// The policy first: a crash between the two leaves an alias without one, never
	// a policy that an alias created later under the name would inherit.
	if err := s.dropPolicy(ctx, policyKey(a.rec.Region, a.rec.Function, a.rec.Name)); err != nil {
		return err
	}
	k := aliasKey(a.rec.Region, a.rec.Function, a.rec.Name)
	if err := s.aliases.Delete(ctx, k, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.forgetAlias(k, a.rev+1)
	return nil
}

// listAliases is ListAliases: the function's aliases by name, optionally only those
// pointing at FunctionVersion, MaxItems at a time.
func (s *Service) listAliases(w http.ResponseWriter, r *http.Request, p params) error {
	q := r.URL.Query()
	max, err := maxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	fv := q.Get("FunctionVersion")
	if fv != "" {
		if err := validateFunctionVersion(fv); err != nil {
			return err
		}
	}
	after, err := decodeMarker(q.Get("Marker"), "al:")
	if err != nil {
		return err
	}
	e, err := s.unqualifiedFunction(r, p.function)
	if err != nil {
		return err
	}
	out := listAliasesOutput{Aliases: []aliasConfiguration{}}
	for _, a := range s.aliasesOf(e.rec.Region, e.rec.Name) {
		if (fv != "" && a.rec.Version != fv) || (after != "" && a.rec.Name <= after) {
			continue
		}
		if len(out.Aliases) == max {
			m := encodeMarker("al:", out.Aliases[max-1].Name)
			out.NextMarker = &m
			break
		}
		out.Aliases = append(out.Aliases, a.configuration())
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// checkAliasTargets checks that the alias's versions exist and that its routing is
// one Lambda takes, in the order Lambda checks: the alias's version first, then
// the routing.
func (s *Service) checkAliasTargets(a *aliasRecord) error {
	fnArn := s.arn(a.Region, a.Function)
	if a.Version != "$LATEST" && s.lookupVersion(a.Region, a.Function, a.Version) == nil {
		return functionNotFound(fnArn + ":" + a.Version)
	}
	if len(a.Weights) > 1 {
		return invalidParameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	for v := range a.Weights {
		if v == a.Version {
			return invalidParameter("Invalid function version " + v + ". Function version " + v + " is already included in routing configuration.")
		}
		if a.Version == "$LATEST" {
			return invalidParameter("$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if s.lookupVersion(a.Region, a.Function, v) == nil {
			return functionNotFound(fnArn + ":" + v)
		}
	}
	return nil
}

// maxItems reads a MaxItems query parameter (default 50, 1–10,000).
func maxItems(v string) (int, error) {
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest, Message: "Invalid MaxItems: " + v}
	}
	if n < 1 {
		return 0, awsproto.Validation(n, "maxItems", "Member must have value greater than or equal to 1")
	}
	if n > 10000 {
		return 0, awsproto.Validation(n, "maxItems", "Member must have value less than or equal to 10000")
	}
	return n, nil
}

// encodeMarker and decodeMarker make the opaque NextMarker of a listing: the last
// item's key, tagged with what is listed.
func encodeMarker(tag, last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tag + last))
}

func decodeMarker(m, tag string) (string, error) {
	if m == "" {
		return "", nil
	}
	// Strict: one marker, one encoding.
	b, err := base64.RawURLEncoding.Strict().DecodeString(m)
	if err != nil || !strings.HasPrefix(string(b), tag) || len(b) == len(tag) {
		return "", invalidParameter("Invalid marker: " + m)
	}
	return string(b[len(tag):]), nil
}
