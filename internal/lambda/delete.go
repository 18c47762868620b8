package lambda

import (
	"errors"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

// deleteFunction is DeleteFunction: the function goes, and its environments are
// stopped once their invocations end.
func (s *Service) deleteFunction(w http.ResponseWriter, r *http.Request, p params) error {
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	if q == "$LATEST" {
		return invalidParameter("$LATEST version cannot be deleted without deleting the function.")
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
	w.WriteHeader(http.StatusNoContent)
	return nil
}
