package lambda

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// deleteFunction is DeleteFunction. Unqualified, the function goes with its
// versions and aliases; with a version number, only that version, unless an alias
// uses it. Environments are stopped once their invocations end.
func (s *Service) deleteFunction(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	switch {
	case q == "$LATEST":
		return invalidParameter("$LATEST version cannot be deleted without deleting the function.")
	case q != "":
		if err := s.deleteVersion(r.Context(), e, q); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	// Aliases, versions and policies first: a crash half way leaves a function
	// with fewer of them, never versions or permissions without their function.
	if err := s.removeChildren(r.Context(), e.rec.Region, e.rec.Name); err != nil {
		return err
	}
	if err := s.dropPolicies(r.Context(), e.rec.Region, e.rec.Name); err != nil {
		return err
	}
	k := key(e.rec.Region, e.rec.Name)
	if err := s.functions.Delete(r.Context(), k, e.rev); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return &awsproto.Error{Code: "ResourceConflictException", Status: http.StatusConflict,
				Message: "The operation cannot be performed at this time. An update is in progress for resource: " + s.arn(e.rec.Region, e.rec.Name)}
		}
		return err
	}
	// The purge's revision is not returned; a revision past e.rev still orders this
	// tombstone after every write the cache saw.
	s.forget(k, e.rev+1)
	s.dropEventConfigs(r.Context(), e.rec.Region, e.rec.Name)
	s.dropURLs(r.Context(), e.rec.Region, e.rec.Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteVersion deletes published version q of e. As Lambda answers (measured on
// the live service by others): an alias name is refused, a version an alias uses
// is ResourceConflictException, and a version number that does not exist deletes
// nothing and succeeds.
func (s *Service) deleteVersion(ctx context.Context, e *entry, q string) error {
	if !isVersionNumber(q) {
		return invalidParameter("Deletion of aliases is not currently supported.")
	}
	var users []string
	for _, a := range s.aliasesOf(e.rec.Region, e.rec.Name) {
		if _, weighted := a.rec.Weights[q]; a.rec.Version == q || weighted {
			users = append(users, a.rec.Name)
		}
	}
	if len(users) > 0 {
		return versionInUse(users)
	}
	ve := s.lookupVersion(e.rec.Region, e.rec.Name, q)
	if ve == nil {
		return nil
	}
	return s.removeVersion(ctx, ve)
}

func (s *Service) removeVersion(ctx context.Context, ve *versionEntry) error {
	// The policy first: a crash between the two leaves a version without one.
	if err := s.dropPolicy(ctx, policyKey(ve.rec.Region, ve.rec.Name, strconv.Itoa(ve.rec.Version))); err != nil {
		return err
	}
	k := versionKey(ve.rec.Region, ve.rec.Name, ve.rec.Version)
	if err := s.versions.Delete(ctx, k, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.forgetVersion(k, ve.rev+1)
	return nil
}

// removeChildren deletes every alias and version of a function.
func (s *Service) removeChildren(ctx context.Context, region, name string) error {
	for _, a := range s.aliasesOf(region, name) {
		if err := s.removeAlias(ctx, a); err != nil {
			return err
		}
	}
	for _, ve := range s.publishedVersions(region, name) {
		if err := s.removeVersion(ctx, ve); err != nil {
			return err
		}
	}
	return nil
}
