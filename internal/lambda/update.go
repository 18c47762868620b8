package lambda

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/store"
)

type updateCodeInput struct {
	ZipFile         []byte   `json:"ZipFile"`
	S3Bucket        *string  `json:"S3Bucket"`
	S3Key           *string  `json:"S3Key"`
	S3ObjectVersion *string  `json:"S3ObjectVersion"`
	ImageURI        *string  `json:"ImageUri"`
	Publish         bool     `json:"Publish"`
	DryRun          bool     `json:"DryRun"`
	RevisionID      *string  `json:"RevisionId"`
	Architectures   []string `json:"Architectures"`
}

// updateFunctionCode is UpdateFunctionCode. The next invocation runs the new code:
// the function's environments are drained and replaced.
func (s *Service) updateFunctionCode(w http.ResponseWriter, r *http.Request, p params) error {
	var in updateCodeInput
	if err := decodeBody(r, maxCodeRequest, "UpdateFunctionCode", &in); err != nil {
		return err
	}
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	if q != "" && q != "$LATEST" {
		return invalidParameter("Qualifier is not supported for UpdateFunctionCode.")
	}
	arch := ""
	if in.Architectures != nil {
		if arch, err = validateArchitectures(in.Architectures); err != nil {
			return err
		}
	}
	var (
		code acceptedCode
		img  *imageRecord
	)
	if e.rec.PackageType == "Image" {
		if in.ImageURI == nil || in.ZipFile != nil || in.S3Bucket != nil || in.S3Key != nil || in.S3ObjectVersion != nil {
			return invalidParameter("Please provide ImageUri when updating a function with packageType Image.")
		}
		a := arch
		if a == "" {
			a = e.rec.Architecture
		}
		if img, err = s.resolveImage(r.Context(), *in.ImageURI, a); err != nil {
			return err
		}
		code = img.code()
	} else {
		if code, err = s.acceptCode(r.Context(), &codeInput{ZipFile: in.ZipFile, S3Bucket: in.S3Bucket, S3Key: in.S3Key, S3ObjectVersion: in.S3ObjectVersion, ImageURI: in.ImageURI}); err != nil {
			return err
		}
		if err := checkTotalSize(code.unzipped, e.rec.Layers); err != nil {
			return err
		}
	}
	rec, err := s.modify(r.Context(), e, in.RevisionID, in.DryRun, func(rec *record) {
		code.apply(rec)
		if img != nil {
			rec.Image = img
		}
		if arch != "" {
			rec.Architecture = arch
		}
	})
	if err != nil {
		return err
	}
	if in.Publish && !in.DryRun {
		// Publish what was just stored, unless another update got in between.
		cur := s.lookup(rec.Region, rec.Name)
		if cur == nil || cur.rec.RevisionID != rec.RevisionID {
			return errRevisionMismatch
		}
		ve, err := s.publish(r.Context(), cur, nil)
		if err != nil {
			return err
		}
		awsproto.WriteJSON(w, http.StatusOK, s.targetConfiguration(versionTarget(ve), viewCreating))
		return nil
	}
	v := viewUpdating
	if in.DryRun {
		v = viewSettled
	}
	awsproto.WriteJSON(w, http.StatusOK, s.configuration(rec, v))
	return nil
}

type updateConfigInput struct {
	configFields
	RevisionID *string `json:"RevisionId"`
}

// updateFunctionConfiguration is UpdateFunctionConfiguration.
func (s *Service) updateFunctionConfiguration(w http.ResponseWriter, r *http.Request, p params) error {
	var in updateConfigInput
	// Lambda takes at most 5120 bytes here (its troubleshooting guide quotes the error).
	if err := decodeBody(r, 5120, "UpdateFunctionConfiguration", &in); err != nil {
		return err
	}
	e, q, err := s.function(r, p.function)
	if err != nil {
		return err
	}
	if q != "" && q != "$LATEST" {
		return invalidParameter("Qualifier is not supported for UpdateFunctionConfiguration.")
	}
	cfg := in.configFields
	if err := validateConfig(cfg); err != nil {
		return err
	}
	if e.rec.PackageType == "Image" && (cfg.Runtime != nil || cfg.Handler != nil || len(cfg.Layers) > 0) {
		return errImageOnly
	}
	if err := s.checkRuntime(cfg.Runtime); err != nil {
		return err
	}
	// Layers given (even an empty list) replace the function's layers.
	layers := e.rec.Layers
	if cfg.Layers != nil {
		region := awsproto.Info(r.Context()).Region
		if layers, err = s.resolveLayers(r.Context(), region, cfg.Layers); err != nil {
			return err
		}
		if err := checkTotalSize(e.rec.CodeUnzipped, layers); err != nil {
			return err
		}
		if err := s.ensureLayers(layers); err != nil {
			return err
		}
		if len(layers) == 0 {
			layers = nil
		}
	}
	rec, err := s.modify(r.Context(), e, in.RevisionID, false, func(rec *record) {
		applyConfig(rec, cfg)
		rec.Layers = layers
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, s.configuration(rec, viewUpdating))
	return nil
}

// modify applies change to a copy of the function's record and stores it with a new
// RevisionId and LastModified, unless revisionID is given and stale
// (PreconditionFailedException) or dryRun is set. A concurrent writer that got in
// first makes the update fail the same way, rather than be overwritten.
func (s *Service) modify(ctx context.Context, e *entry, revisionID *string, dryRun bool, change func(*record)) (*record, error) {
	if revisionID != nil && *revisionID != e.rec.RevisionID {
		return nil, errRevisionMismatch
	}
	rec := e.rec
	rec.Env = cloneMap(e.rec.Env)
	rec.Tags = cloneMap(e.rec.Tags)
	change(&rec)
	if dryRun {
		return &rec, nil
	}
	rec.RevisionID = awsproto.NewRequestID()
	rec.LastModified = time.Now()
	return s.save(ctx, e, rec)
}

// save writes rec over e's revision, refreshing the cache.
func (s *Service) save(ctx context.Context, e *entry, rec record) (*record, error) {
	rev, err := s.functions.Update(ctx, key(rec.Region, rec.Name), rec, e.rev)
	if errors.Is(err, store.ErrConflict) {
		return nil, errRevisionMismatch
	}
	if err != nil {
		return nil, err
	}
	s.remember(rec, rev)
	return &rec, nil
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
