package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/codezip"
	"github.com/stratus-run/stratus/internal/store"
)

// Layers. A layer version is stored under "region/name/version" in the layer
// versions bucket, its zip as a blob (the same content-addressed blobs and
// unpacked directories as function code). The layers bucket keeps, per
// "region/name", the last version number handed out, so that numbers are never
// reused, even after every version was deleted.
//
// A function's layers are resolved when they are set (record.Layers keeps their
// digests), so deleting a layer version does not change functions that use it,
// as in Lambda.

// layerVersion is one published layer version as stored.
type layerVersion struct {
	Region                  string    `json:"region"`
	Name                    string    `json:"name"`
	Version                 int64     `json:"version"`
	Description             string    `json:"description,omitempty"`
	LicenseInfo             string    `json:"licenseInfo,omitempty"`
	CompatibleRuntimes      []string  `json:"compatibleRuntimes,omitempty"`
	CompatibleArchitectures []string  `json:"compatibleArchitectures,omitempty"`
	CodeDigest              string    `json:"codeDigest"`
	CodeSha256              string    `json:"codeSha256"`
	CodeSize                int64     `json:"codeSize"`
	CodeUnzipped            int64     `json:"codeUnzipped"`
	Created                 time.Time `json:"created"`
}

// layerHead is a layer's last version number, deleted versions included.
type layerHead struct {
	Last int64 `json:"last"`
}

// layerRef is one layer version a function uses.
type layerRef struct {
	Arn      string `json:"arn"`
	Digest   string `json:"digest"`
	CodeSize int64  `json:"codeSize"`
	Unzipped int64  `json:"unzipped"`
}

// Wire shapes of the layer operations.
type (
	layerOutput struct {
		Arn      string `json:"Arn"`
		CodeSize int64  `json:"CodeSize"`
	}
	layerContentOutput struct {
		Location   string `json:"Location"`
		CodeSha256 string `json:"CodeSha256"`
		CodeSize   int64  `json:"CodeSize"`
	}
	// layerVersionOutput is GetLayerVersionResponse (and PublishLayerVersion's);
	// without Content and LayerArn it is a LayerVersionsListItem.
	layerVersionOutput struct {
		Content                 *layerContentOutput `json:"Content,omitempty"`
		LayerArn                string              `json:"LayerArn,omitempty"`
		LayerVersionArn         string              `json:"LayerVersionArn"`
		Description             string              `json:"Description"`
		CreatedDate             string              `json:"CreatedDate"`
		Version                 int64               `json:"Version"`
		CompatibleRuntimes      []string            `json:"CompatibleRuntimes,omitempty"`
		LicenseInfo             string              `json:"LicenseInfo,omitempty"`
		CompatibleArchitectures []string            `json:"CompatibleArchitectures,omitempty"`
	}
	layersListItem struct {
		LayerName             string              `json:"LayerName"`
		LayerArn              string              `json:"LayerArn"`
		LatestMatchingVersion *layerVersionOutput `json:"LatestMatchingVersion"`
	}
	publishLayerInput struct {
		Content                 *codeInput `json:"Content"`
		Description             *string    `json:"Description"`
		CompatibleRuntimes      []string   `json:"CompatibleRuntimes"`
		CompatibleArchitectures []string   `json:"CompatibleArchitectures"`
		LicenseInfo             *string    `json:"LicenseInfo"`
	}
)

// Layer patterns of the service model, with the sentences AWS writes.
var (
	reLayerName       = regexp.MustCompile(`^(?:arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:)?([a-zA-Z0-9-_]+)$`)
	reLayerVersionArn = regexp.MustCompile(`^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$`)
	reLayerListMember = regexp.MustCompile(`^(?:arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+|arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)$`)
)

const (
	patternLayerName  = `Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`
	patternLayerArn   = `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+`
	patternLayersList = `Member must satisfy constraint: [Member must have length less than or equal to 140, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+), Member must not be null]`
	// maxLayers is how many layers a function may use.
	maxLayers = 5
)

var errLayerNotFound = &awsproto.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound,
	Message: "The resource you requested does not exist."}

// openLayers binds the layer buckets and removes merges a crash interrupted.
func (s *Service) openLayers(ctx context.Context) error {
	v, err := store.OpenTable[layerVersion](ctx, s.Store, "lambda_layer_versions", 1)
	if err != nil {
		return err
	}
	h, err := store.OpenTable[layerHead](ctx, s.Store, "lambda_layers", 1)
	if err != nil {
		return err
	}
	s.layerVersions, s.layerHeads = v, h
	if partial, err := filepath.Glob(filepath.Join(s.CodeDir, ".opt-*.merge-*")); err == nil {
		for _, p := range partial {
			os.RemoveAll(p)
		}
	}
	return nil
}

func (s *Service) layerArn(region, name string) string {
	return "arn:aws:lambda:" + region + ":" + s.Account + ":layer:" + name
}

func layerKey(region, name string, version int64) string {
	return region + "/" + name + "/" + strconv.FormatInt(version, 10)
}

// parseLayerName resolves a {LayerName} label (a name or a layer ARN) to the
// region and name it names; an ARN of another account names no layer here (ok
// false).
func (s *Service) parseLayerName(ref, region string) (lregion, name string, ok bool, err error) {
	if len(ref) > 140 {
		return "", "", false, awsproto.Validation(ref, "layerName", "Member must have length less than or equal to 140")
	}
	m := reLayerName.FindStringSubmatch(ref)
	if m == nil {
		return "", "", false, awsproto.Validation(ref, "layerName", patternLayerName)
	}
	if m[1] != "" {
		region = m[1]
	}
	return region, m[3], m[2] == "" || m[2] == s.Account, nil
}

// parseVersionNumber reads a {VersionNumber} label.
func parseVersionNumber(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errUnknownOperation
	}
	if n < 1 {
		return 0, invalidParameter("Layer Version Cannot be less than 1")
	}
	return n, nil
}

// output renders v; withContent adds what GetLayerVersion adds to a list item.
func (s *Service) layerOutput(r *http.Request, v *layerVersion, withContent bool) *layerVersionOutput {
	arn := s.layerArn(v.Region, v.Name)
	out := &layerVersionOutput{
		LayerVersionArn:         arn + ":" + strconv.FormatInt(v.Version, 10),
		Description:             v.Description,
		CreatedDate:             v.Created.UTC().Format(lastModifiedLayout),
		Version:                 v.Version,
		CompatibleRuntimes:      v.CompatibleRuntimes,
		LicenseInfo:             v.LicenseInfo,
		CompatibleArchitectures: v.CompatibleArchitectures,
	}
	if withContent {
		out.LayerArn = arn
		out.Content = &layerContentOutput{Location: s.codeURL(r, v.CodeDigest), CodeSha256: v.CodeSha256, CodeSize: v.CodeSize}
	}
	return out
}

// publishLayerVersion is PublishLayerVersion: the next version number of the
// layer, never one used before.
func (s *Service) publishLayerVersion(w http.ResponseWriter, r *http.Request, p params) error {
	region := awsproto.Info(r.Context()).Region
	var in publishLayerInput
	if err := decodeBody(r, maxCodeRequest, "PublishLayerVersion", &in); err != nil {
		return err
	}
	lregion, name, ours, err := s.parseLayerName(p.layer, region)
	if err != nil {
		return err
	}
	if !ours || lregion != region {
		return &awsproto.Error{Code: "AccessDeniedException", Status: http.StatusForbidden,
			Message: "User is not authorized to perform: lambda:PublishLayerVersion on resource: " + p.layer}
	}
	if in.Content == nil {
		return mustNotBeNull("content")
	}
	if in.Description != nil && len(*in.Description) > 256 {
		return awsproto.Validation(*in.Description, "description", "Member must have length less than or equal to 256")
	}
	if in.LicenseInfo != nil && len(*in.LicenseInfo) > 512 {
		return awsproto.Validation(*in.LicenseInfo, "licenseInfo", "Member must have length less than or equal to 512")
	}
	if err := validateCompatible(in.CompatibleRuntimes, in.CompatibleArchitectures); err != nil {
		return err
	}
	code, err := s.acceptCode(r.Context(), &codeInput{ZipFile: in.Content.ZipFile, S3Bucket: in.Content.S3Bucket, S3Key: in.Content.S3Key, S3ObjectVersion: in.Content.S3ObjectVersion})
	if err != nil {
		return err
	}
	n, err := s.nextLayerVersion(r.Context(), region, name)
	if err != nil {
		return err
	}
	v := layerVersion{
		Region: region, Name: name, Version: n,
		CompatibleRuntimes: in.CompatibleRuntimes, CompatibleArchitectures: in.CompatibleArchitectures,
		CodeDigest: code.digest, CodeSha256: code.sha256b64, CodeSize: code.size, CodeUnzipped: code.unzipped,
		Created: time.Now(),
	}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.LicenseInfo != nil {
		v.LicenseInfo = *in.LicenseInfo
	}
	if _, err := s.layerVersions.Create(r.Context(), layerKey(region, name, n), v); err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusCreated, s.layerOutput(r, &v, true))
	return nil
}

// nextLayerVersion takes the layer's next version number.
func (s *Service) nextLayerVersion(ctx context.Context, region, name string) (int64, error) {
	k := region + "/" + name
	for {
		h, rev, err := s.layerHeads.Get(ctx, k)
		switch {
		case errors.Is(err, store.ErrNotFound):
			_, err = s.layerHeads.Create(ctx, k, layerHead{Last: 1})
			if err == nil {
				return 1, nil
			}
		case err == nil:
			_, err = s.layerHeads.Update(ctx, k, layerHead{Last: h.Last + 1}, rev)
			if err == nil {
				return h.Last + 1, nil
			}
		}
		if !errors.Is(err, store.ErrExists) && !errors.Is(err, store.ErrConflict) {
			return 0, err
		}
		// Another publish took the number; try the next.
	}
}

func validateCompatible(runtimes, archs []string) error {
	if len(runtimes) > 15 {
		return awsproto.Validation("["+strings.Join(runtimes, ", ")+"]", "compatibleRuntimes", "Member must have length less than or equal to 15")
	}
	for _, rt := range runtimes {
		if !contains(runtimeEnum, rt) {
			return awsproto.Validation("["+strings.Join(runtimes, ", ")+"]", "compatibleRuntimes",
				"Member must satisfy constraint: [Member must satisfy enum value set: ["+strings.Join(runtimeEnum, ", ")+"]]")
		}
	}
	if len(archs) > 2 {
		return awsproto.Validation("["+strings.Join(archs, ", ")+"]", "compatibleArchitectures", "Member must have length less than or equal to 2")
	}
	for _, a := range archs {
		if a != "x86_64" && a != "arm64" {
			return awsproto.Validation("["+strings.Join(archs, ", ")+"]", "compatibleArchitectures",
				"Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]")
		}
	}
	return nil
}

// getLayerVersion is GetLayerVersion.
func (s *Service) getLayerVersion(w http.ResponseWriter, r *http.Request, p params) error {
	region := awsproto.Info(r.Context()).Region
	lregion, name, ours, err := s.parseLayerName(p.layer, region)
	if err != nil {
		return err
	}
	n, err := parseVersionNumber(p.version)
	if err != nil {
		return err
	}
	if !ours {
		return errLayerNotFound
	}
	return s.writeLayerVersion(w, r, lregion, name, n)
}

// getLayerVersionByArn is GetLayerVersionByArn.
func (s *Service) getLayerVersionByArn(w http.ResponseWriter, r *http.Request, _ params) error {
	arn := r.URL.Query().Get("Arn")
	if arn == "" {
		return mustNotBeNull("arn")
	}
	m := reLayerVersionArn.FindStringSubmatch(arn)
	if len(arn) > 140 || m == nil {
		return awsproto.Validation(arn, "arn", patternLayerArn)
	}
	n, err := strconv.ParseInt(m[4], 10, 64)
	if err != nil || m[2] != s.Account {
		return errLayerNotFound
	}
	if n < 1 {
		return invalidParameter("Layer Version Cannot be less than 1")
	}
	return s.writeLayerVersion(w, r, m[1], m[3], n)
}

func (s *Service) writeLayerVersion(w http.ResponseWriter, r *http.Request, region, name string, n int64) error {
	v, _, err := s.layerVersions.Get(r.Context(), layerKey(region, name, n))
	if errors.Is(err, store.ErrNotFound) {
		return errLayerNotFound
	}
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, http.StatusOK, s.layerOutput(r, &v, true))
	return nil
}

// deleteLayerVersion is DeleteLayerVersion. Deleting a version that does not
// exist succeeds, as in Lambda; functions using a deleted version keep it.
func (s *Service) deleteLayerVersion(w http.ResponseWriter, r *http.Request, p params) error {
	region := awsproto.Info(r.Context()).Region
	lregion, name, ours, err := s.parseLayerName(p.layer, region)
	if err != nil {
		return err
	}
	n, err := parseVersionNumber(p.version)
	if err != nil {
		return err
	}
	if ours {
		k := layerKey(lregion, name, n)
		if _, rev, err := s.layerVersions.Get(r.Context(), k); err == nil {
			if err := s.layerVersions.Delete(r.Context(), k, rev); err != nil && !errors.Is(err, store.ErrConflict) {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// layerFilter is the CompatibleRuntime and CompatibleArchitecture of a list.
type layerFilter struct{ runtime, arch string }

func parseLayerFilter(q map[string][]string) (layerFilter, error) {
	f := layerFilter{runtime: first(q["CompatibleRuntime"]), arch: first(q["CompatibleArchitecture"])}
	if f.runtime != "" && !contains(runtimeEnum, f.runtime) {
		return f, awsproto.Validation(f.runtime, "compatibleRuntime", "Member must satisfy enum value set: ["+strings.Join(runtimeEnum, ", ")+"]")
	}
	if f.arch != "" && f.arch != "x86_64" && f.arch != "arm64" {
		return f, awsproto.Validation(f.arch, "compatibleArchitecture", "Member must satisfy enum value set: [x86_64, arm64]")
	}
	return f, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (f layerFilter) match(v *layerVersion) bool {
	return (f.runtime == "" || contains(v.CompatibleRuntimes, f.runtime)) &&
		(f.arch == "" || contains(v.CompatibleArchitectures, f.arch))
}

// parseLayerPage reads MaxItems (1–50, default 50) and the opaque Marker, which
// holds prefix and the last key of the previous page.
func parseLayerPage(q map[string][]string, prefix string) (max int, after string, err error) {
	max = 50
	if v := first(q["MaxItems"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, "", &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest, Message: "Invalid MaxItems: " + v}
		}
		if n < 1 {
			return 0, "", awsproto.Validation(n, "maxItems", "Member must have value greater than or equal to 1")
		}
		if n > 50 {
			return 0, "", awsproto.Validation(n, "maxItems", "Member must have value less than or equal to 50")
		}
		max = n
	}
	if m := first(q["Marker"]); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || !strings.HasPrefix(string(b), prefix) {
			return 0, "", invalidParameter("Invalid marker: " + m)
		}
		after = string(b[len(prefix):])
	}
	return max, after, nil
}

func layerMarker(prefix, last string) *string {
	m := base64.RawURLEncoding.EncodeToString([]byte(prefix + last))
	return &m
}

// versionsOf returns the stored versions in region whose key starts with
// prefix ("region/" or "region/name/").
func (s *Service) versionsOf(ctx context.Context, prefix string) ([]layerVersion, error) {
	keys, err := s.layerVersions.Keys(ctx)
	if err != nil {
		return nil, err
	}
	var out []layerVersion
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		v, _, err := s.layerVersions.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// listLayers is ListLayers: every layer of the region with a version matching
// the filter, by name, with its latest matching version.
func (s *Service) listLayers(w http.ResponseWriter, r *http.Request, _ params) error {
	region := awsproto.Info(r.Context()).Region
	q := r.URL.Query()
	f, err := parseLayerFilter(q)
	if err != nil {
		return err
	}
	max, after, err := parseLayerPage(q, "layer:")
	if err != nil {
		return err
	}
	all, err := s.versionsOf(r.Context(), region+"/")
	if err != nil {
		return err
	}
	latest := map[string]*layerVersion{}
	for i := range all {
		v := &all[i]
		if v.Name <= after || !f.match(v) {
			continue
		}
		if cur := latest[v.Name]; cur == nil || cur.Version < v.Version {
			latest[v.Name] = v
		}
	}
	names := make([]string, 0, len(latest))
	for n := range latest {
		names = append(names, n)
	}
	sort.Strings(names)
	out := struct {
		NextMarker *string          `json:"NextMarker,omitempty"`
		Layers     []layersListItem `json:"Layers"`
	}{Layers: []layersListItem{}}
	for i, n := range names {
		if i == max {
			out.NextMarker = layerMarker("layer:", names[i-1])
			break
		}
		out.Layers = append(out.Layers, layersListItem{LayerName: n, LayerArn: s.layerArn(region, n),
			LatestMatchingVersion: s.layerOutput(r, latest[n], false)})
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// listLayerVersions is ListLayerVersions: the layer's versions matching the
// filter, newest first. An unknown layer has none.
func (s *Service) listLayerVersions(w http.ResponseWriter, r *http.Request, p params) error {
	region := awsproto.Info(r.Context()).Region
	lregion, name, ours, err := s.parseLayerName(p.layer, region)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := parseLayerFilter(q)
	if err != nil {
		return err
	}
	max, after, err := parseLayerPage(q, "version:")
	if err != nil {
		return err
	}
	var below int64 = -1 // versions below this one, -1 for all
	if after != "" {
		if below, err = strconv.ParseInt(after, 10, 64); err != nil {
			return invalidParameter("Invalid marker: " + first(q["Marker"]))
		}
	}
	var all []layerVersion
	if ours {
		if all, err = s.versionsOf(r.Context(), lregion+"/"+name+"/"); err != nil {
			return err
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Version > all[j].Version })
	out := struct {
		NextMarker    *string               `json:"NextMarker,omitempty"`
		LayerVersions []*layerVersionOutput `json:"LayerVersions"`
	}{LayerVersions: []*layerVersionOutput{}}
	for i := range all {
		v := &all[i]
		if (below >= 0 && v.Version >= below) || !f.match(v) {
			continue
		}
		if len(out.LayerVersions) == max {
			last := out.LayerVersions[max-1].Version
			out.NextMarker = layerMarker("version:", strconv.FormatInt(last, 10))
			break
		}
		out.LayerVersions = append(out.LayerVersions, s.layerOutput(r, v, false))
	}
	awsproto.WriteJSON(w, http.StatusOK, out)
	return nil
}

// validateLayerList checks a function's Layers parameter as the service model
// does: at most five, each a layer version ARN.
func validateLayerList(layers []string) error {
	if len(layers) > maxLayers {
		return invalidParameter("Cannot reference more than 5 layers.")
	}
	for _, l := range layers {
		if len(l) > 140 || !reLayerListMember.MatchString(l) {
			return awsproto.Validation("["+strings.Join(layers, ", ")+"]", "layers", patternLayersList)
		}
	}
	return nil
}

// resolveLayers looks up a function's layer versions (already through
// validateLayerList) for a function in region, with Lambda's errors: another
// region, an unknown version, two versions of one layer.
func (s *Service) resolveLayers(ctx context.Context, region string, arns []string) ([]layerRef, error) {
	refs := make([]layerRef, 0, len(arns))
	seen := map[string]string{} // layer ARN → the version ARN naming it
	for _, arn := range arns {
		m := reLayerVersionArn.FindStringSubmatch(arn)
		if m == nil { // an AWS-managed "awslayer"
			return nil, invalidParameter("Layer version " + arn + " does not exist.")
		}
		if m[1] != region {
			return nil, invalidParameter("Layers are not in the same region as the function. Layers are expected to be in region " + region + ".")
		}
		n, err := strconv.ParseInt(m[4], 10, 64)
		if err != nil || m[2] != s.Account {
			return nil, invalidParameter("Layer version " + arn + " does not exist.")
		}
		v, _, err := s.layerVersions.Get(ctx, layerKey(m[1], m[3], n))
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalidParameter("Layer version " + arn + " does not exist.")
		}
		if err != nil {
			return nil, err
		}
		layer := arn[:strings.LastIndexByte(arn, ':')]
		if prev, ok := seen[layer]; ok {
			return nil, invalidParameter("Two different versions of the same layer are not allowed to be referenced in the same function. " + prev + " and " + arn + " are versions of the same layer.")
		}
		seen[layer] = arn
		refs = append(refs, layerRef{Arn: arn, Digest: v.CodeDigest, CodeSize: v.CodeSize, Unzipped: v.CodeUnzipped})
	}
	return refs, nil
}

// checkTotalSize refuses code and layers that unzip to more than Lambda allows
// together.
func checkTotalSize(codeUnzipped int64, layers []layerRef) error {
	total := codeUnzipped
	for _, l := range layers {
		total += l.Unzipped
	}
	if total > codezip.DefaultMaxUnzipped {
		return invalidParameter(fmt.Sprintf("Function code combined with layers exceeds the maximum allowed size of %d bytes. The actual size is %d bytes.", codezip.DefaultMaxUnzipped, total))
	}
	return nil
}

// layersGet is GET /2018-10-31/layers: GetLayerVersionByArn with
// find=LayerVersion, ListLayers without.
func (s *Service) layersGet(w http.ResponseWriter, r *http.Request, p params) error {
	if r.URL.Query().Get("find") == "LayerVersion" {
		return s.getLayerVersionByArn(w, r, p)
	}
	return s.listLayers(w, r, p)
}
