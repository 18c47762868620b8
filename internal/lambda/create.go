package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/codezip"
	"github.com/stratus-run/stratus/internal/store"
)

// maxCodeRequest is the largest CreateFunction/UpdateFunctionCode body Lambda takes
// (a 50 MB zip, base64-encoded, in JSON).
const maxCodeRequest = 70167211

// createFunction is CreateFunction.
func (s *Service) createFunction(w http.ResponseWriter, r *http.Request, _ params) error {
	region := awsproto.Info(r.Context()).Region
	var in createInput
	if err := decodeBody(r, maxCodeRequest, "CreateFunction", &in); err != nil {
		return err
	}
	if in.FunctionName == nil {
		return mustNotBeNull("functionName")
	}
	if in.Role == nil {
		return mustNotBeNull("role")
	}
	if in.Code == nil {
		return mustNotBeNull("code")
	}
	if err := checkCreateName(*in.FunctionName); err != nil {
		return err
	}
	name, qualifier, err := s.parseFunctionRef(*in.FunctionName, region, "functionName", 140)
	if err != nil {
		return err
	}
	if qualifier != "" || !reFunctionName.MatchString(name) {
		return awsproto.Validation(*in.FunctionName, "functionName", patternCreateFunctionRef)
	}
	if in.PackageType != nil && *in.PackageType != "Zip" && *in.PackageType != "Image" {
		return awsproto.Validation(*in.PackageType, "packageType", "Member must satisfy enum value set: [Image, Zip]")
	}
	image := in.PackageType != nil && *in.PackageType == "Image"
	cfg := in.configFields
	if err := validateConfig(cfg); err != nil {
		return err
	}
	if image {
		if in.Runtime != nil || in.Handler != nil || len(cfg.Layers) > 0 {
			return errImageOnly
		}
		if in.Code.ImageURI == nil {
			return invalidParameter("Please provide ImageUri when PackageType is Image.")
		}
	} else {
		if err := s.checkRuntime(cfg.Runtime); err != nil {
			return err
		}
		if in.Runtime == nil || in.Handler == nil {
			return invalidParameter("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
		}
	}
	arch, err := validateArchitectures(in.Architectures)
	if err != nil {
		return err
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	if s.lookup(region, name) != nil {
		return functionExists(name)
	}
	var (
		layers []layerRef
		code   acceptedCode
		img    *imageRecord
	)
	if image {
		if img, err = s.resolveImage(r.Context(), *in.Code.ImageURI, arch); err != nil {
			return err
		}
		code = img.code()
	} else {
		if layers, err = s.resolveLayers(r.Context(), region, cfg.Layers); err != nil {
			return err
		}
		if code, err = s.acceptCode(r.Context(), in.Code); err != nil {
			return err
		}
		if err := checkTotalSize(code.unzipped, layers); err != nil {
			return err
		}
		if err := s.ensureLayers(layers); err != nil {
			return err
		}
	}

	rec := record{
		Name:             name,
		Region:           region,
		Role:             *in.Role,
		Timeout:          3,
		MemorySize:       128,
		Architecture:     arch,
		EphemeralStorage: 512,
		TracingMode:      "PassThrough",
		PackageType:      "Zip",
		Image:            img,
		LastModified:     time.Now(),
		RevisionID:       awsproto.NewRequestID(),
		Tags:             in.Tags,
	}
	if len(layers) > 0 {
		rec.Layers = layers
	}
	if image {
		rec.PackageType = "Image"
	}
	code.apply(&rec)
	applyConfig(&rec, cfg)
	// A delete cut short by a crash may have left versions or aliases of an
	// earlier function of this name; they must not become the new one's.
	if err := s.removeChildren(r.Context(), region, name); err != nil {
		return err
	}
	rev, err := s.functions.Create(r.Context(), key(region, name), rec)
	if errors.Is(err, store.ErrExists) {
		return functionExists(name)
	}
	if err != nil {
		return err
	}
	e := s.remember(rec, rev)
	if in.Publish {
		ve, err := s.publish(r.Context(), e, nil)
		if err != nil {
			return err
		}
		awsproto.WriteJSON(w, http.StatusCreated, s.targetConfiguration(versionTarget(ve), viewCreating))
		return nil
	}
	awsproto.WriteJSON(w, http.StatusCreated, s.configuration(&rec, viewCreating))
	return nil
}

// checkCreateName applies CreateFunction's own FunctionName rules, which differ
// from the other operations': no dot in the name, and a name over 64 characters
// is InvalidParameterValueException (with the validation sentence), as AWS answers.
func checkCreateName(ref string) error {
	if len(ref) > 140 {
		return nil // parseFunctionRef reports the length
	}
	m := reFunctionRef.FindStringSubmatch(ref)
	if m == nil || strings.Contains(m[refName], ".") {
		return awsproto.Validation(ref, "functionName", patternCreateFunctionRef)
	}
	if len(m[refName]) > 64 {
		return invalidParameter(awsproto.Validation(ref, "functionName", "Member must have length less than or equal to 64").Message)
	}
	return nil
}

// acceptedCode is a validated, stored and unpacked code package.
type acceptedCode struct {
	digest, sha256b64 string
	size, unzipped    int64
}

func (c acceptedCode) apply(rec *record) {
	rec.CodeDigest, rec.CodeSha256, rec.CodeSize, rec.CodeUnzipped = c.digest, c.sha256b64, c.size, c.unzipped
}

// acceptCode checks a Code parameter, reads its zip from S3 when it names an
// object there, unpacks the zip and stores it as a blob. A zip from S3 goes
// through the same checks as one sent inline.
func (s *Service) acceptCode(ctx context.Context, c *codeInput) (acceptedCode, error) {
	fromS3 := c.S3Bucket != nil || c.S3Key != nil || c.S3ObjectVersion != nil
	switch {
	case c.ImageURI != nil:
		return acceptedCode{}, invalidParameter("Please don't provide ImageUri when updating a function with packageType Zip.")
	case c.ZipFile != nil && fromS3:
		return acceptedCode{}, errZipAndS3
	case fromS3:
		zip, err := s.s3Code(ctx, c)
		if err != nil {
			return acceptedCode{}, err
		}
		// From here on the package is checked and stored as one sent inline.
		c = &codeInput{ZipFile: zip}
	case c.ZipFile == nil:
		return acceptedCode{}, errNoCode
	}
	sum := sha256.Sum256(c.ZipFile)
	digest := hex.EncodeToString(sum[:])
	// Unpacking validates the archive fully (a package already unpacked under its
	// digest was validated then), so it is inflated once, not checked and then
	// unpacked; only a valid package is stored.
	if err := s.ensureCode(digest, c.ZipFile); err != nil {
		return acceptedCode{}, codeError(err)
	}
	unzipped, err := codezip.Size(c.ZipFile)
	if err != nil {
		return acceptedCode{}, codeError(err)
	}
	if _, _, err := s.Blobs.PutBytes(c.ZipFile); err != nil {
		return acceptedCode{}, err
	}
	return acceptedCode{digest: digest, sha256b64: base64.StdEncoding.EncodeToString(sum[:]),
		size: int64(len(c.ZipFile)), unzipped: unzipped}, nil
}

// codeError maps an unpacking failure to the error Lambda gives for that package.
func codeError(err error) error {
	switch {
	case errors.Is(err, codezip.ErrTooLarge), errors.Is(err, codezip.ErrBomb):
		return errUnzipped
	case errors.Is(err, codezip.ErrNotZip), errors.Is(err, codezip.ErrUnsafe):
		return errCannotUnzip
	}
	return err
}

// applyConfig copies the given settings onto rec.
func applyConfig(rec *record, c configFields) {
	if c.Runtime != nil {
		rec.Runtime = *c.Runtime
	}
	if c.Role != nil {
		rec.Role = *c.Role
	}
	if c.Handler != nil {
		rec.Handler = *c.Handler
	}
	if c.Description != nil {
		rec.Description = *c.Description
	}
	if c.Timeout != nil {
		rec.Timeout = *c.Timeout
	}
	if c.MemorySize != nil {
		rec.MemorySize = *c.MemorySize
	}
	if c.Environment != nil {
		rec.HasEnv = true
		rec.Env = c.Environment.Variables
	}
	if c.TracingConfig != nil {
		rec.TracingMode = c.TracingConfig.Mode
	}
	if c.EphemeralStorage != nil {
		rec.EphemeralStorage = c.EphemeralStorage.Size
	}
	if c.ImageConfig != nil {
		rec.ImageConfig = c.ImageConfig
		if len(c.ImageConfig.EntryPoint) == 0 && len(c.ImageConfig.Command) == 0 && c.ImageConfig.WorkingDirectory == "" {
			rec.ImageConfig = nil // an empty ImageConfig clears the overrides
		}
	}
	if d := c.DeadLetterConfig; d != nil {
		rec.DeadLetterTarget = ""
		if d.TargetArn != nil {
			rec.DeadLetterTarget = *d.TargetArn
		}
	}
	if l := c.LoggingConfig; l != nil {
		if l.LogFormat != "" {
			rec.LogFormat = l.LogFormat
		}
		if l.LogGroup != "" {
			rec.LogGroup = l.LogGroup
		}
		if l.ApplicationLogLevel != "" {
			rec.ApplicationLogLevel = l.ApplicationLogLevel
		}
		if l.SystemLogLevel != "" {
			rec.SystemLogLevel = l.SystemLogLevel
		}
	}
	// JSON logs default to level INFO; Text logs carry no levels.
	if rec.LogFormat == "JSON" {
		if rec.ApplicationLogLevel == "" {
			rec.ApplicationLogLevel = "INFO"
		}
		if rec.SystemLogLevel == "" {
			rec.SystemLogLevel = "INFO"
		}
	} else {
		rec.ApplicationLogLevel, rec.SystemLogLevel = "", ""
	}
}
