package lambda

import (
	"time"
)

// record is a function as stored in the functions bucket (one key per function, its
// $LATEST configuration). Published versions have keys of their own in the
// versions bucket (versionRecord), aliases in the aliases bucket.
type record struct {
	Name             string            `json:"name"`
	Region           string            `json:"region"`
	Runtime          string            `json:"runtime"`
	Role             string            `json:"role"`
	Handler          string            `json:"handler"`
	Description      string            `json:"description"`
	Timeout          int               `json:"timeout"`
	MemorySize       int               `json:"memorySize"`
	Env              map[string]string `json:"env,omitempty"`
	HasEnv           bool              `json:"hasEnv,omitempty"` // Environment was given (even empty)
	CodeDigest       string            `json:"codeDigest"`       // hex sha256 of the zip, the blob's name
	CodeSha256       string            `json:"codeSha256"`       // base64 sha256, as Lambda reports it
	CodeSize         int64             `json:"codeSize"`
	CodeUnzipped     int64             `json:"codeUnzipped"`
	LastModified     time.Time         `json:"lastModified"`
	RevisionID       string            `json:"revisionId"`
	Architecture     string            `json:"architecture"`
	EphemeralStorage int               `json:"ephemeralStorage"`
	TracingMode      string            `json:"tracingMode"`
	PackageType      string            `json:"packageType"`
	Tags             map[string]string `json:"tags,omitempty"`
	// LoggingConfig; empty LogFormat means Text, empty LogGroup /aws/lambda/<name>.
	LogFormat           string `json:"logFormat,omitempty"`
	ApplicationLogLevel string `json:"applicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"systemLogLevel,omitempty"`
	LogGroup            string `json:"logGroup,omitempty"`
	// Reserved is the reserved concurrency; nil when none is set.
	Reserved *int `json:"reserved,omitempty"`
	// Layers are the function's layer versions, in order, as resolved when they
	// were set: the function keeps them when a layer version is deleted.
	Layers []layerRef `json:"layers,omitempty"`
	// DeadLetterTarget is DeadLetterConfig.TargetArn (an SQS queue or SNS topic).
	DeadLetterTarget string `json:"deadLetterTarget,omitempty"`
	// LastVersion is the highest version number ever published (0: none); numbers
	// are never reused, even after the version is deleted.
	LastVersion int `json:"lastVersion,omitempty"`
	// Image is a PackageType Image function's image, resolved when its code
	// was set; ImageConfig its overrides of the image's ENTRYPOINT, CMD and
	// WORKDIR.
	Image       *imageRecord `json:"image,omitempty"`
	ImageConfig *imageConfig `json:"imageConfig,omitempty"`
}

// Wire shapes of the Lambda API (field names as in the service model).
type (
	environmentResponse struct {
		Variables map[string]string `json:"Variables"`
	}
	tracingConfig struct {
		Mode string `json:"Mode"`
	}
	ephemeralStorage struct {
		Size int `json:"Size"`
	}
	snapStartResponse struct {
		ApplyOn            string `json:"ApplyOn"`
		OptimizationStatus string `json:"OptimizationStatus"`
	}
	runtimeVersionConfig struct {
		RuntimeVersionArn string `json:"RuntimeVersionArn"`
	}
	loggingConfig struct {
		LogFormat           string `json:"LogFormat,omitempty"`
		ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
		SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
		LogGroup            string `json:"LogGroup,omitempty"`
	}

	// functionConfiguration is FunctionConfiguration.
	functionConfiguration struct {
		FunctionName               string                `json:"FunctionName"`
		FunctionArn                string                `json:"FunctionArn"`
		Runtime                    string                `json:"Runtime,omitempty"`
		Role                       string                `json:"Role"`
		Handler                    string                `json:"Handler,omitempty"`
		CodeSize                   int64                 `json:"CodeSize"`
		Description                string                `json:"Description"`
		Timeout                    int                   `json:"Timeout"`
		MemorySize                 int                   `json:"MemorySize"`
		LastModified               string                `json:"LastModified"`
		CodeSha256                 string                `json:"CodeSha256"`
		Version                    string                `json:"Version"`
		Environment                *environmentResponse  `json:"Environment,omitempty"`
		TracingConfig              tracingConfig         `json:"TracingConfig"`
		RevisionID                 string                `json:"RevisionId"`
		State                      string                `json:"State"`
		StateReason                string                `json:"StateReason,omitempty"`
		StateReasonCode            string                `json:"StateReasonCode,omitempty"`
		LastUpdateStatus           string                `json:"LastUpdateStatus,omitempty"`
		LastUpdateStatusReason     string                `json:"LastUpdateStatusReason,omitempty"`
		LastUpdateStatusReasonCode string                `json:"LastUpdateStatusReasonCode,omitempty"`
		PackageType                string                `json:"PackageType"`
		Architectures              []string              `json:"Architectures"`
		EphemeralStorage           ephemeralStorage      `json:"EphemeralStorage"`
		SnapStart                  snapStartResponse     `json:"SnapStart"`
		RuntimeVersionConfig       *runtimeVersionConfig `json:"RuntimeVersionConfig,omitempty"`
		LoggingConfig              loggingConfig         `json:"LoggingConfig"`
		Layers                     []layerOutput         `json:"Layers,omitempty"`
		DeadLetterConfig           *deadLetterConfig     `json:"DeadLetterConfig,omitempty"`
		ImageConfigResponse        *imageConfigResponse  `json:"ImageConfigResponse,omitempty"`
	}
	deadLetterConfig struct {
		TargetArn *string `json:"TargetArn,omitempty"`
	}
)

// lastModifiedLayout is how Lambda writes LastModified.
const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

// arn returns the unqualified function ARN.
func (s *Service) arn(region, name string) string {
	return "arn:aws:lambda:" + region + ":" + s.Account + ":function:" + name
}

// view is the moment in a function's life a configuration is rendered for: create
// and update responses show the transition Lambda reports, reads the settled state.
type view int

const (
	viewSettled view = iota
	viewCreating
	viewUpdating
)

func (s *Service) configuration(r *record, v view) *functionConfiguration {
	c := &functionConfiguration{
		FunctionName:         r.Name,
		FunctionArn:          s.arn(r.Region, r.Name),
		Runtime:              r.Runtime,
		Role:                 r.Role,
		Handler:              r.Handler,
		CodeSize:             r.CodeSize,
		Description:          r.Description,
		Timeout:              r.Timeout,
		MemorySize:           r.MemorySize,
		LastModified:         r.LastModified.UTC().Format(lastModifiedLayout),
		CodeSha256:           r.CodeSha256,
		Version:              "$LATEST",
		TracingConfig:        tracingConfig{Mode: r.TracingMode},
		RevisionID:           r.RevisionID,
		PackageType:          r.PackageType,
		Architectures:        []string{r.Architecture},
		EphemeralStorage:     ephemeralStorage{Size: r.EphemeralStorage},
		SnapStart:            snapStartResponse{ApplyOn: "None", OptimizationStatus: "Off"},
		RuntimeVersionConfig: &runtimeVersionConfig{RuntimeVersionArn: runtimeVersionArn(r.Region, r.Runtime)},
		LoggingConfig:        r.loggingConfig(),
	}
	for _, l := range r.Layers {
		c.Layers = append(c.Layers, layerOutput{Arn: l.Arn, CodeSize: l.CodeSize})
	}
	if r.Image != nil {
		// An image brings its own runtime: Lambda reports no runtime version.
		c.RuntimeVersionConfig = nil
		if r.ImageConfig != nil {
			c.ImageConfigResponse = &imageConfigResponse{ImageConfig: *r.ImageConfig}
		}
	}
	if r.DeadLetterTarget != "" {
		c.DeadLetterConfig = &deadLetterConfig{TargetArn: &r.DeadLetterTarget}
	}
	if r.HasEnv {
		vars := r.Env
		if vars == nil {
			vars = map[string]string{}
		}
		c.Environment = &environmentResponse{Variables: vars}
	}
	switch v {
	case viewCreating:
		c.State, c.StateReason, c.StateReasonCode = "Pending", "The function is being created.", "Creating"
	case viewUpdating:
		c.State = "Active"
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = "InProgress", "The function is being created.", "Creating"
	default:
		c.State, c.LastUpdateStatus = "Active", "Successful"
	}
	return c
}

// runtimeVersionArn names the runtime build, in the form Lambda reports it.
func runtimeVersionArn(region, runtime string) string {
	return "arn:aws:lambda:" + region + "::runtime:" + runtimeVersionHash(runtime)
}

// loggingConfig is the function's LoggingConfig as Lambda reports it: the levels
// only with the JSON format.
func (r *record) loggingConfig() loggingConfig {
	c := loggingConfig{LogFormat: "Text", LogGroup: r.logGroup()}
	if r.LogFormat == "JSON" {
		c.LogFormat, c.ApplicationLogLevel, c.SystemLogLevel = "JSON", r.ApplicationLogLevel, r.SystemLogLevel
	}
	return c
}

func (r *record) logGroup() string {
	if r.LogGroup != "" {
		return r.LogGroup
	}
	return "/aws/lambda/" + r.Name
}
