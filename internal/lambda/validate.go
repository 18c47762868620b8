package lambda

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// Constraints from the Lambda service model, with the sentences AWS writes.
var (
	reFunctionName = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
	// reFunctionRef is the model's pattern for a FunctionName parameter: a name,
	// partial ARN or ARN, optionally qualified. Its groups are refRegion,
	// refAccount, refName and refQualifier.
	reFunctionRef = regexp.MustCompile(`^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:(?:-gov)|(?:-iso(?:b?)))?-[a-z]+-\d{1}):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_\.]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$`)
	reRole        = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	reHandler     = regexp.MustCompile(`^[^\s]+$`)
	reEnvKey      = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
	reQualifier   = regexp.MustCompile(`^(|[a-zA-Z0-9$_-]+)$`)
)

// Submatch indexes of reFunctionRef.
const (
	refRegion = 1 + iota
	refAccount
	refName
	refQualifier
)

const (
	patternFunctionRef = `Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	// patternCreateFunctionRef is CreateFunction's, which allows no dot in the name.
	patternCreateFunctionRef = `Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	patternRole              = `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
)

// runtimes is the Runtime enum of the service model; supported marks the ones this
// server can run; deprecated ones are refused for create and update as AWS does.
var (
	runtimeEnum = []string{
		"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x",
		"java8", "java8.al2", "java11", "java17", "java21", "java25",
		"python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
		"dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "dotnet10",
		"nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7", "ruby3.2", "ruby3.3", "ruby3.4",
		"provided", "provided.al2", "provided.al2023",
	}
	deprecatedRuntimes = map[string]string{
		"nodejs": "nodejs22.x", "nodejs4.3": "nodejs22.x", "nodejs6.10": "nodejs22.x", "nodejs8.10": "nodejs22.x",
		"nodejs10.x": "nodejs22.x", "nodejs12.x": "nodejs22.x", "nodejs14.x": "nodejs22.x", "nodejs16.x": "nodejs22.x",
		"nodejs4.3-edge": "nodejs22.x", "java8": "java21", "python2.7": "python3.13", "python3.6": "python3.13",
		"python3.7": "python3.13", "python3.8": "python3.13", "dotnetcore1.0": "dotnet8", "dotnetcore2.0": "dotnet8",
		"dotnetcore2.1": "dotnet8", "dotnetcore3.1": "dotnet8", "dotnet6": "dotnet8", "go1.x": "provided.al2023",
		"ruby2.5": "ruby3.3", "ruby2.7": "ruby3.3", "provided": "provided.al2023",
	}
	// liveRuntimes are the enum's runtimes that are not deprecated.
	liveRuntimes = func() []string {
		var out []string
		for _, r := range runtimeEnum {
			if _, old := deprecatedRuntimes[r]; !old {
				out = append(out, r)
			}
		}
		return out
	}()
)

// reservedEnv are the environment variables Lambda sets itself; a function may not.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// decodeBody reads a JSON request body of at most limit bytes into v. A body over
// the limit is RequestEntityTooLargeException for op; one that is not JSON of the
// right shape is InvalidRequestContentException. An empty body decodes as {}.
func decodeBody(r *http.Request, limit int, op string, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return errInvalidJSON
	}
	if len(b) > limit {
		return requestTooLarge(limit, op)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &awsproto.Error{Code: "InvalidRequestContentException", Status: http.StatusBadRequest,
				Message: "Could not parse request body into json: Could not parse payload into json: Unexpected value for field " + te.Field}
		}
		return errInvalidJSON
	}
	return nil
}

// parseFunctionRef splits a FunctionName parameter (name, partial ARN or ARN, with
// an optional :qualifier) into name and qualifier, validating it as AWS does.
func (s *Service) parseFunctionRef(ref, region, field string, maxLen int) (name, qualifier string, err error) {
	if len(ref) > maxLen {
		return "", "", awsproto.Validation(ref, field, "Member must have length less than or equal to "+itoa(maxLen))
	}
	if plainName(ref) { // the common case, on the invoke hot path: no regexp
		return ref, "", nil
	}
	m := reFunctionRef.FindStringSubmatch(ref)
	if m == nil {
		return "", "", awsproto.Validation(ref, field, patternFunctionRef)
	}
	name, qualifier = m[refName], m[refQualifier]
	if m[refRegion] != "" && m[refRegion] != region {
		return "", "", regionUnreachable(m[refRegion], region)
	}
	if acct := m[refAccount]; acct != "" && acct != s.Account {
		return "", "", &awsproto.Error{Code: "AccessDeniedException", Status: http.StatusForbidden,
			Message: "User is not authorized to access a function of account " + acct}
	}
	if len(name) > 64 || strings.Contains(name, ".") {
		// A bare name may not hold dots or pass 64 characters even where the
		// pattern lets them through.
		return "", "", awsproto.Validation(ref, field, patternFunctionRef)
	}
	return name, qualifier, nil
}

// plainName reports whether ref is a bare function name: 1–64 of [a-zA-Z0-9-_].
func plainName(ref string) bool {
	if len(ref) == 0 || len(ref) > 64 {
		return false
	}
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// createInput is CreateFunctionRequest (the fields this server acts on; unknown
// ones are ignored as AWS ignores them).
type createInput struct {
	configFields
	FunctionName  *string           `json:"FunctionName"`
	Code          *codeInput        `json:"Code"`
	Publish       bool              `json:"Publish"`
	PackageType   *string           `json:"PackageType"`
	Tags          map[string]string `json:"Tags"`
	Architectures []string          `json:"Architectures"`
}

type codeInput struct {
	ZipFile         []byte  `json:"ZipFile"`
	S3Bucket        *string `json:"S3Bucket"`
	S3Key           *string `json:"S3Key"`
	S3ObjectVersion *string `json:"S3ObjectVersion"`
	ImageURI        *string `json:"ImageUri"`
}

type environmentInput struct {
	Variables map[string]string `json:"Variables"`
}

// configFields are the settings CreateFunction and UpdateFunctionConfiguration
// share; nil means "not given".
type configFields struct {
	Runtime          *string           `json:"Runtime"`
	Role             *string           `json:"Role"`
	Handler          *string           `json:"Handler"`
	Description      *string           `json:"Description"`
	Timeout          *int              `json:"Timeout"`
	MemorySize       *int              `json:"MemorySize"`
	Environment      *environmentInput `json:"Environment"`
	TracingConfig    *tracingConfig    `json:"TracingConfig"`
	EphemeralStorage *ephemeralStorage `json:"EphemeralStorage"`
	Layers           []string          `json:"Layers"`
	LoggingConfig    *loggingConfig    `json:"LoggingConfig"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig"`
	ImageConfig      *imageConfig      `json:"ImageConfig"`
}

// validateConfig checks the shared settings in the order AWS reports them.
func validateConfig(c configFields) error {
	if c.Role != nil && (len(*c.Role) > 2048 || !reRole.MatchString(*c.Role)) {
		return awsproto.Validation(*c.Role, "role", patternRole)
	}
	if c.Runtime != nil {
		if !contains(runtimeEnum, *c.Runtime) {
			// Lambda checks this itself (not the model): InvalidParameterValueException,
			// the value unquoted, and the list of runtimes it still takes.
			return invalidParameter("Value " + *c.Runtime + " at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [" + strings.Join(liveRuntimes, ", ") + "] or be a valid ARN")
		}
		if next, ok := deprecatedRuntimes[*c.Runtime]; ok {
			return invalidParameter("The runtime parameter of " + *c.Runtime + " is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (" + next + ") while creating or updating functions.")
		}
	}
	if c.Handler != nil && (len(*c.Handler) > 128 || !reHandler.MatchString(*c.Handler)) {
		if len(*c.Handler) > 128 {
			return awsproto.Validation(*c.Handler, "handler", "Member must have length less than or equal to 128")
		}
		return awsproto.Validation(*c.Handler, "handler", `Member must satisfy regular expression pattern: [^\s]+`)
	}
	if c.Description != nil && len(*c.Description) > 256 {
		return awsproto.Validation(*c.Description, "description", "Member must have length less than or equal to 256")
	}
	if c.Timeout != nil && *c.Timeout < 1 {
		return awsproto.Validation(*c.Timeout, "timeout", "Member must have value greater than or equal to 1")
	}
	if c.Timeout != nil && *c.Timeout > 900 {
		return awsproto.Validation(*c.Timeout, "timeout", "Member must have value less than or equal to 900")
	}
	if c.MemorySize != nil && *c.MemorySize < 128 {
		return awsproto.Validation(*c.MemorySize, "memorySize", "Member must have value greater than or equal to 128")
	}
	if c.MemorySize != nil && *c.MemorySize > 10240 {
		return awsproto.Validation(*c.MemorySize, "memorySize", "Member must have value less than or equal to 10240")
	}
	if c.EphemeralStorage != nil && c.EphemeralStorage.Size < 512 {
		return awsproto.Validation(c.EphemeralStorage.Size, "ephemeralStorage.size", "Member must have value greater than or equal to 512")
	}
	if c.EphemeralStorage != nil && c.EphemeralStorage.Size > 10240 {
		return awsproto.Validation(c.EphemeralStorage.Size, "ephemeralStorage.size", "Member must have value less than or equal to 10240")
	}
	if c.TracingConfig != nil && c.TracingConfig.Mode != "Active" && c.TracingConfig.Mode != "PassThrough" {
		return awsproto.Validation(c.TracingConfig.Mode, "tracingConfig.mode", "Member must satisfy enum value set: [Active, PassThrough]")
	}
	if err := validateLayerList(c.Layers); err != nil {
		return err
	}
	if c.Environment != nil {
		if err := validateEnv(c.Environment.Variables); err != nil {
			return err
		}
	}
	if c.LoggingConfig != nil {
		if err := validateLogging(c.LoggingConfig); err != nil {
			return err
		}
	}
	if d := c.DeadLetterConfig; d != nil && d.TargetArn != nil && *d.TargetArn != "" {
		t := *d.TargetArn
		if !reDeadLetterTarget.MatchString(t) {
			return awsproto.Validation(t, "deadLetterConfig.targetArn", "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()")
		}
		if svc := strings.SplitN(t, ":", 4)[2]; svc != "sqs" && svc != "sns" {
			return invalidParameter("The target ARN " + t + " of the DeadLetterConfig is not an Amazon SQS queue or Amazon SNS topic.")
		}
	}
	return nil
}

var reDeadLetterTarget = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*$`)

func validateEnv(vars map[string]string) error {
	var reserved []string
	size := 0
	for k, v := range vars {
		if !reEnvKey.MatchString(k) {
			return awsproto.Validation("[SENSITIVE]", "environment.variables", "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+ for its keys")
		}
		if reservedEnv[k] {
			reserved = append(reserved, k)
		}
		size += len(k) + len(v)
	}
	if len(reserved) > 0 {
		sort.Strings(reserved)
		return invalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: " + strings.Join(reserved, ", "))
	}
	if size > 4096 {
		return invalidParameter("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: " + envString(vars))
	}
	return nil
}

// envString is the JSON Lambda measures for the 4 KB environment limit.
func envString(vars map[string]string) string {
	b, _ := json.Marshal(vars)
	return string(b)
}

func validateArchitectures(a []string) (string, error) {
	if len(a) == 0 {
		return "x86_64", nil
	}
	if len(a) > 1 {
		return "", awsproto.Validation("["+strings.Join(a, ", ")+"]", "architectures", "Member must have length less than or equal to 1")
	}
	if a[0] != "x86_64" && a[0] != "arm64" {
		return "", awsproto.Validation("["+a[0]+"]", "architectures", "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")
	}
	return a[0], nil
}

func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return invalidParameter("Number of tags exceeds resource tag limit.")
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 {
			return invalidParameter("Tag keys must be between 1 and 128 characters in length.")
		}
		if len(v) > 256 {
			return invalidParameter("Tag values must be no longer than 256 characters.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParameter("Tag keys cannot start with the reserved prefix 'aws:'.")
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var (
	reLogGroup       = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	appLogLevels     = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	systemLogLevels  = []string{"DEBUG", "INFO", "WARN"}
	errLevelsNotJSON = invalidParameter("ApplicationLogLevel and SystemLogLevel can only be set when LogFormat is JSON.")
)

// validateLogging checks a LoggingConfig as the service model constrains it.
func validateLogging(l *loggingConfig) error {
	if l.LogFormat != "" && l.LogFormat != "JSON" && l.LogFormat != "Text" {
		return awsproto.Validation(l.LogFormat, "loggingConfig.logFormat", "Member must satisfy enum value set: [JSON, Text]")
	}
	if l.ApplicationLogLevel != "" && !contains(appLogLevels, l.ApplicationLogLevel) {
		return awsproto.Validation(l.ApplicationLogLevel, "loggingConfig.applicationLogLevel", "Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]")
	}
	if l.SystemLogLevel != "" && !contains(systemLogLevels, l.SystemLogLevel) {
		return awsproto.Validation(l.SystemLogLevel, "loggingConfig.systemLogLevel", "Member must satisfy enum value set: [DEBUG, INFO, WARN]")
	}
	if (l.ApplicationLogLevel != "" || l.SystemLogLevel != "") && l.LogFormat == "Text" {
		return errLevelsNotJSON
	}
	if l.LogGroup != "" && (len(l.LogGroup) > 512 || !reLogGroup.MatchString(l.LogGroup)) {
		return awsproto.Validation(l.LogGroup, "loggingConfig.logGroup", `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	}
	return nil
}

// Alias constraints from the service model.
const (
	patternAliasName       = `Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`
	patternFunctionVersion = `Member must satisfy regular expression pattern: (\$LATEST|[0-9]+)`
	constraintWeightValue  = `Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`
	constraintWeightKey    = `Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]`
)

// validateAliasName checks an alias name: 1–128 of [a-zA-Z0-9-_], not all digits
// (that would read as a version number).
func validateAliasName(n string) error {
	if len(n) > 128 {
		return awsproto.Validation(n, "name", "Member must have length less than or equal to 128")
	}
	if n == "" {
		return awsproto.Validation(n, "name", "Member must have length greater than or equal to 1")
	}
	if !reFunctionName.MatchString(n) || allDigits(n) {
		return awsproto.Validation(n, "name", patternAliasName)
	}
	return nil
}

// validateFunctionVersion checks a FunctionVersion: $LATEST or a version number.
func validateFunctionVersion(v string) error {
	if len(v) > 1024 {
		return awsproto.Validation(v, "functionVersion", "Member must have length less than or equal to 1024")
	}
	if v != "$LATEST" && !allDigits(v) {
		return awsproto.Validation(v, "functionVersion", patternFunctionVersion)
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validateAliasInput checks CreateAlias's and UpdateAlias's members as the model
// constrains them.
func validateAliasInput(in aliasInput) error {
	if in.Name != nil {
		if err := validateAliasName(*in.Name); err != nil {
			return err
		}
	}
	if in.FunctionVersion != nil {
		if err := validateFunctionVersion(*in.FunctionVersion); err != nil {
			return err
		}
	}
	if in.Description != nil && len(*in.Description) > 256 {
		return awsproto.Validation(*in.Description, "description", "Member must have length less than or equal to 256")
	}
	if in.RoutingConfig != nil {
		keys := make([]string, 0, len(in.RoutingConfig.AdditionalVersionWeights))
		for k := range in.RoutingConfig.AdditionalVersionWeights {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w := in.RoutingConfig.AdditionalVersionWeights[k]
			shown := "{" + k + "=" + javaFloat(w) + "}"
			if len(k) > 1024 || !allDigits(k) {
				return awsproto.Validation(shown, "routingConfig.additionalVersionWeights", constraintWeightKey)
			}
			if w < 0 || w > 1 {
				return awsproto.Validation(shown, "routingConfig.additionalVersionWeights", constraintWeightValue)
			}
		}
	}
	return nil
}

// javaFloat writes a weight as AWS's (Java) messages do: 1 as 1.0.
func javaFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}
