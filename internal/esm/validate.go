package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/eventsource"
)

// settingsInput are the members CreateEventSourceMapping and
// UpdateEventSourceMapping share; nil means not given.
type settingsInput struct {
	FunctionName                   *string          `json:"FunctionName"`
	Enabled                        *bool            `json:"Enabled"`
	BatchSize                      *int             `json:"BatchSize"`
	FilterCriteria                 *filterCriteria  `json:"FilterCriteria"`
	MaximumBatchingWindowInSeconds *int             `json:"MaximumBatchingWindowInSeconds"`
	ParallelizationFactor          *int             `json:"ParallelizationFactor"`
	DestinationConfig              *destinationJSON `json:"DestinationConfig"`
	MaximumRecordAgeInSeconds      *int             `json:"MaximumRecordAgeInSeconds"`
	BisectBatchOnFunctionError     *bool            `json:"BisectBatchOnFunctionError"`
	MaximumRetryAttempts           *int             `json:"MaximumRetryAttempts"`
	TumblingWindowInSeconds        *int             `json:"TumblingWindowInSeconds"`
	FunctionResponseTypes          *[]string        `json:"FunctionResponseTypes"`
	ScalingConfig                  *scalingConfig   `json:"ScalingConfig"`
}

// scalingConfig is a queue mapping's ScalingConfig.
type scalingConfig struct {
	MaximumConcurrency *int `json:"MaximumConcurrency,omitempty"`
}

type destinationJSON struct {
	OnSuccess *destination `json:"OnSuccess"`
	OnFailure *destination `json:"OnFailure"`
}

// createInput is CreateEventSourceMappingRequest (the members Stratus acts on;
// others are ignored, as AWS ignores members it does not know).
type createInput struct {
	settingsInput
	EventSourceArn            *string      `json:"EventSourceArn"`
	StartingPosition          *string      `json:"StartingPosition"`
	StartingPositionTimestamp *json.Number `json:"StartingPositionTimestamp"`
}

// maxBody bounds a request body; Lambda's are far smaller.
const maxBody = 1 << 20

// decodeBody reads a JSON request body into v. A body that is not JSON of the
// right shape is InvalidRequestContentException; an empty one decodes as {}.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(b) > maxBody {
		return errInvalidJSON
	}
	if strings.TrimSpace(string(b)) == "" {
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

// reEventSourceArn is the model's pattern for EventSourceArn.
var reEventSourceArn = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$`)

const patternEventSourceArn = `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)`

// intRange is one of the model's integer ranges.
type intRange struct {
	field    string
	min, max int
}

// checkRange is the model's range check, in AWS's sentence.
func checkRange(v *int, r intRange) error {
	switch {
	case v == nil:
		return nil
	case *v < r.min:
		return awsproto.Validation(*v, r.field, "Member must have value greater than or equal to "+strconv.Itoa(r.min))
	case *v > r.max:
		return awsproto.Validation(*v, r.field, "Member must have value less than or equal to "+strconv.Itoa(r.max))
	}
	return nil
}

// validateModel checks what the service model constrains, in the order of the
// model's members; these are ValidationExceptions, checked before anything else.
func validateModel(in *settingsInput) error {
	if in.FunctionName != nil && (len(*in.FunctionName) < 1 || len(*in.FunctionName) > 140) {
		return awsproto.Validation(*in.FunctionName, "functionName", "Member must have length less than or equal to 140")
	}
	for _, c := range []struct {
		v *int
		r intRange
	}{
		{in.BatchSize, intRange{"batchSize", 1, 10000}},
		{in.MaximumBatchingWindowInSeconds, intRange{"maximumBatchingWindowInSeconds", 0, 300}},
		{in.ParallelizationFactor, intRange{"parallelizationFactor", 1, 10}},
		{in.MaximumRecordAgeInSeconds, intRange{"maximumRecordAgeInSeconds", -1, 604800}},
		{in.MaximumRetryAttempts, intRange{"maximumRetryAttempts", -1, 10000}},
		{in.TumblingWindowInSeconds, intRange{"tumblingWindowInSeconds", 0, 900}},
		{maxConcurrency(in.ScalingConfig), intRange{"scalingConfig.maximumConcurrency", 2, 1000}},
	} {
		if err := checkRange(c.v, c.r); err != nil {
			return err
		}
	}
	if in.FunctionResponseTypes != nil {
		types := *in.FunctionResponseTypes
		if len(types) > 1 {
			return awsproto.Validation("["+strings.Join(types, ", ")+"]", "functionResponseTypes", "Member must have length less than or equal to 1")
		}
		for _, t := range types {
			if t != "ReportBatchItemFailures" {
				return awsproto.Validation("["+strings.Join(types, ", ")+"]", "functionResponseTypes",
					"Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]")
			}
		}
	}
	return nil
}

func maxConcurrency(c *scalingConfig) *int {
	if c == nil {
		return nil
	}
	return c.MaximumConcurrency
}

// apply sets the given members of in on st, validating them as the service
// does (after the model's checks).
func (s *Service) apply(ctx context.Context, st *settings, in *settingsInput) error {
	if in.BatchSize != nil {
		st.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		st.MaxBatchingWindow = *in.MaximumBatchingWindowInSeconds
	}
	if in.ParallelizationFactor != nil {
		st.ParallelizationFactor = *in.ParallelizationFactor
	}
	if in.MaximumRecordAgeInSeconds != nil {
		if a := *in.MaximumRecordAgeInSeconds; a != -1 && a < 60 {
			return errRecordAge
		}
		st.MaxRecordAge = *in.MaximumRecordAgeInSeconds
	}
	if in.BisectBatchOnFunctionError != nil {
		st.Bisect = *in.BisectBatchOnFunctionError
	}
	if in.MaximumRetryAttempts != nil {
		st.MaxRetry = *in.MaximumRetryAttempts
	}
	if in.TumblingWindowInSeconds != nil {
		st.TumblingWindow = *in.TumblingWindowInSeconds
	}
	if in.FunctionResponseTypes != nil {
		st.ReportBatchItemFailures = len(*in.FunctionResponseTypes) == 1
	}
	if in.ScalingConfig != nil {
		st.MaxConcurrency = 0
		if in.ScalingConfig.MaximumConcurrency != nil {
			st.MaxConcurrency = *in.ScalingConfig.MaximumConcurrency
		}
	}
	if in.FilterCriteria != nil {
		if len(in.FilterCriteria.Filters) > maxFilters {
			return errTooManyFilters
		}
		var patterns []string
		for _, f := range in.FilterCriteria.Filters {
			if f.Pattern == nil || *f.Pattern == "" {
				return errInvalidFilter
			}
			if _, err := compileFilter(*f.Pattern); err != nil {
				return errInvalidFilter
			}
			patterns = append(patterns, *f.Pattern)
		}
		st.Filters = patterns
	}
	if d := in.DestinationConfig; d != nil {
		if d.OnSuccess != nil && d.OnSuccess.Destination != nil {
			return errOnSuccess
		}
		st.OnFailure = ""
		if d.OnFailure != nil && d.OnFailure.Destination != nil && *d.OnFailure.Destination != "" {
			arn := *d.OnFailure.Destination
			switch svc := sourceService(arn); {
			case svc == "lambda":
				if _, err := s.Functions.FunctionARN(ctx, arnRegion(arn), arn); err != nil {
					return err
				}
			case (svc == "sqs" || svc == "sns") && s.Targets != nil:
			default:
				return destinationNotServed(arn)
			}
			st.OnFailure = arn
		}
	}
	return nil
}

// maxFilters is Lambda's default quota of filters per mapping.
const maxFilters = 5

// arnRegion is the region field of an ARN.
func arnRegion(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 {
		return ""
	}
	return p[3]
}

// streamDefaults are a stream mapping's settings before the request's.
func streamDefaults() settings {
	return settings{BatchSize: 100, ParallelizationFactor: 1, MaxRecordAge: -1, MaxRetry: -1}
}

// startingPosition validates a stream mapping's StartingPosition and
// StartingPositionTimestamp.
func startingPosition(service, arn string, in *createInput) (string, *time.Time, error) {
	if in.StartingPosition == nil {
		return "", nil, errStartingPositionNull
	}
	pos := *in.StartingPosition
	switch pos {
	case posTrimHorizon, posLatest, posAtTimestamp:
	default:
		return "", nil, awsproto.Validation(pos, "startingPosition", "Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]")
	}
	if pos == posAtTimestamp && service == "dynamodb" {
		return "", nil, unsupportedPosition(arn)
	}
	if in.StartingPositionTimestamp == nil {
		if pos == posAtTimestamp {
			// Kinesis needs the time to start at; the sentence is Stratus's.
			return "", nil, invalidParameter("StartingPositionTimestamp is required with StartingPosition AT_TIMESTAMP")
		}
		return pos, nil, nil
	}
	if pos != posAtTimestamp {
		return "", nil, errTimestampNotAt
	}
	f, err := in.StartingPositionTimestamp.Float64()
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return "", nil, invalidParameter("Received Exception while reading from provided stream. class java.lang.Long can not be converted to a Timestamp")
	}
	t := time.UnixMilli(int64(f * 1000)).UTC()
	return pos, &t, nil
}

// checkSource makes sure the event source exists and Stratus polls it. For
// a queue it returns the queue's description.
func (s *Service) checkSource(ctx context.Context, arn string) (*eventsource.QueueInfo, error) {
	if len(arn) > 1024 || !reEventSourceArn.MatchString(arn) {
		return nil, awsproto.Validation(arn, "eventSourceArn", patternEventSourceArn)
	}
	service := sourceService(arn)
	if queues := s.Queues[service]; queues != nil {
		info, err := queues.Describe(ctx, arn)
		if errors.Is(err, eventsource.ErrNotFound) {
			return nil, queueNotFound()
		}
		if err != nil {
			return nil, err
		}
		return &info, nil
	}
	streams := s.Streams[service]
	if streams == nil {
		return nil, sourceNotServed(service, arn)
	}
	if _, err := streams.Shards(ctx, arn); err != nil {
		if errors.Is(err, eventsource.ErrNotFound) {
			return nil, streamNotFound(arn)
		}
		return nil, err
	}
	return nil, nil
}

// queueDefaults are a queue mapping's settings before the request's.
func queueDefaults() settings {
	return settings{BatchSize: 10}
}

// checkQueueSettings refuses what a queue mapping cannot have: the stream
// members, a batch above 10 without a batching window, and for a FIFO queue
// a batching window or a batch above 10.
func checkQueueSettings(in *settingsInput, st *settings, info *eventsource.QueueInfo) error {
	for _, m := range []struct {
		name  string
		given bool
	}{
		{"ParallelizationFactor", in.ParallelizationFactor != nil},
		{"MaximumRecordAgeInSeconds", in.MaximumRecordAgeInSeconds != nil},
		{"BisectBatchOnFunctionError", in.BisectBatchOnFunctionError != nil},
		{"MaximumRetryAttempts", in.MaximumRetryAttempts != nil},
		{"TumblingWindowInSeconds", in.TumblingWindowInSeconds != nil},
		{"DestinationConfig", in.DestinationConfig != nil},
	} {
		if m.given {
			return unsupportedParameter(m.name)
		}
	}
	if st.BatchSize > 10 && st.MaxBatchingWindow == 0 {
		return errBatchNeedsWindow
	}
	if info != nil && info.FIFO {
		if st.MaxBatchingWindow > 0 {
			return errFIFOWindow
		}
		if st.BatchSize > 10 {
			return errFIFOBatch
		}
	}
	return nil
}

// checkVisibility refuses to map a queue whose visibility timeout is shorter
// than the function's timeout, as Lambda does: a batch still running would
// reappear and run twice.
func (s *Service) checkVisibility(ctx context.Context, fnArn string, info *eventsource.QueueInfo) error {
	ft, ok := s.Functions.(interface {
		FunctionTimeout(ctx context.Context, arn string) (time.Duration, error)
	})
	if !ok || info == nil {
		return nil
	}
	timeout, err := ft.FunctionTimeout(ctx, fnArn)
	if err != nil || info.VisibilityTimeout >= timeout {
		return nil
	}
	return invalidParameter(fmt.Sprintf("Queue visibility timeout: %d seconds is less than Function timeout: %d seconds",
		int(info.VisibilityTimeout/time.Second), int(timeout/time.Second)))
}

// functionName is the name part of a function ARN, as AWS names the function
// in a duplicate mapping's message.
func functionName(arn string) string {
	p := strings.Split(arn, ":")
	if len(p) >= 7 {
		return p[6]
	}
	return arn
}

// duplicateOf returns the mapping (other than uuid) that already maps source to
// function, or nil.
func (s *Service) duplicateOf(uuid, source, function string) *record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.cache {
		if id != uuid && !e.deleted && e.rec.EventSourceArn == source && e.rec.FunctionArn == function {
			r := e.rec
			return &r
		}
	}
	return nil
}
