package lambda

import (
	"net/http"
	"strconv"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// target is what a qualified reference reads: the configuration to show, the
// version it is ("$LATEST" or a number) and the qualifier its ARN carries ("" for
// an unqualified reference).
type target struct {
	rec     *record
	version string
	arnQual string
}

// resolveTarget resolves qualifier q of function e for a read: "" or $LATEST is
// $LATEST, digits a published version, anything else an alias (read as the version
// it points at). A missing one is ResourceNotFoundException naming the qualified ARN.
func (s *Service) resolveTarget(e *entry, q string) (target, error) {
	switch {
	case q == "":
		return target{rec: &e.rec, version: "$LATEST"}, nil
	case q == "$LATEST":
		return target{rec: &e.rec, version: q, arnQual: q}, nil
	case isVersionNumber(q):
		ve := s.lookupVersion(e.rec.Region, e.rec.Name, q)
		if ve == nil {
			return target{}, functionNotFound(s.arn(e.rec.Region, e.rec.Name) + ":" + q)
		}
		return target{rec: &ve.rec.record, version: q, arnQual: q}, nil
	}
	a := s.lookupAlias(e.rec.Region, e.rec.Name, q)
	if a == nil {
		return target{}, functionNotFound(s.arn(e.rec.Region, e.rec.Name) + ":" + q)
	}
	if a.rec.Version == "$LATEST" {
		return target{rec: &e.rec, version: "$LATEST", arnQual: q}, nil
	}
	ve := s.lookupVersion(e.rec.Region, e.rec.Name, a.rec.Version)
	if ve == nil {
		return target{}, functionNotFound(s.arn(e.rec.Region, e.rec.Name) + ":" + a.rec.Version)
	}
	return target{rec: &ve.rec.record, version: a.rec.Version, arnQual: q}, nil
}

// targetConfiguration renders t as FunctionConfiguration: Version is the version it is,
// FunctionArn carries the qualifier it was asked for.
func (s *Service) targetConfiguration(t target, v view) *functionConfiguration {
	c := s.configuration(t.rec, v)
	c.Version = t.version
	if t.arnQual != "" {
		c.FunctionArn += ":" + t.arnQual
	}
	return c
}

// versionTarget is a published version read by its number.
func versionTarget(ve *versionEntry) target {
	n := strconv.Itoa(ve.rec.Version)
	return target{rec: &ve.rec.record, version: n, arnQual: n}
}

type publishInput struct {
	CodeSha256  *string `json:"CodeSha256"`
	Description *string `json:"Description"`
	RevisionID  *string `json:"RevisionId"`
}

// publishVersion is PublishVersion.
func (s *Service) publishVersion(w http.ResponseWriter, r *http.Request, p params) error {
	var in publishInput
	if err := decodeBody(r, 1<<16, "PublishVersion", &in); err != nil {
		return err
	}
	if in.Description != nil && len(*in.Description) > 256 {
		return awsproto.Validation(*in.Description, "description", "Member must have length less than or equal to 256")
	}
	e, err := s.unqualifiedFunction(r, p.function)
	if err != nil {
		return err
	}
	if in.RevisionID != nil && *in.RevisionID != e.rec.RevisionID {
		return errRevisionMismatch
	}
	if in.CodeSha256 != nil && *in.CodeSha256 != "" && *in.CodeSha256 != e.rec.CodeSha256 {
		return invalidParameter("CodeSHA256 (" + *in.CodeSha256 + ") is different from current CodeSHA256 in $LATEST (" +
			e.rec.CodeSha256 + "). Please try again with the CodeSHA256 in $LATEST.")
	}
	ve, err := s.publish(r.Context(), e, in.Description)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, s.targetConfiguration(versionTarget(ve), viewCreating))
	return nil
}

type listVersionsOutput struct {
	Versions   []*functionConfiguration `json:"Versions"`
	NextMarker *string                  `json:"NextMarker,omitempty"`
}

// listVersionsByFunction is ListVersionsByFunction: $LATEST, then the published
// versions by number, MaxItems at a time.
func (s *Service) listVersionsByFunction(w http.ResponseWriter, r *http.Request, p params) error {
	q := r.URL.Query()
	max, err := maxItems(q.Get("MaxItems"))
	if err != nil {
		return err
	}
	after, err := decodeMarker(q.Get("Marker"), "v:")
	if err != nil {
		return err
	}
	afterN := -1 // -1: from the start; 0: after $LATEST; n: after version n
	if after != "" {
		if after == "$LATEST" {
			afterN = 0
		} else if afterN, err = strconv.Atoi(after); err != nil || afterN < 1 {
			return invalidParameter("Invalid marker: " + q.Get("Marker"))
		}
	}
	e, err := s.unqualifiedFunction(r, p.function)
	if err != nil {
		return err
	}
	all := []target{{rec: &e.rec, version: "$LATEST", arnQual: "$LATEST"}}
	for _, ve := range s.publishedVersions(e.rec.Region, e.rec.Name) {
		all = append(all, versionTarget(ve))
	}
	out := listVersionsOutput{Versions: []*functionConfiguration{}}
	last := ""
	for i, t := range all {
		if afterN >= 0 && (i == 0 || t.rec != nil && versionNumber(t) <= afterN) {
			continue
		}
		if len(out.Versions) == max {
			m := encodeMarker("v:", last)
			out.NextMarker = &m
			break
		}
		c := s.targetConfiguration(t, viewSettled)
		// Listings leave out the state fields, as Lambda's do.
		c.State, c.LastUpdateStatus = "", ""
		out.Versions = append(out.Versions, c)
		last = t.version
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

func versionNumber(t target) int {
	n, _ := strconv.Atoi(t.version)
	return n
}
