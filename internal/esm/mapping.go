package esm

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Mapping states, as Lambda names them. A mapping lives through them as a
// state machine (see next): the API moves it into a transitional state, the
// service's reconciler carries it out and settles it.
const (
	stateCreating  = "Creating"
	stateEnabling  = "Enabling"
	stateEnabled   = "Enabled"
	stateDisabling = "Disabling"
	stateDisabled  = "Disabled"
	stateUpdating  = "Updating"
	stateDeleting  = "Deleting"
)

// settled returns the state a transitional state settles in ("" for a state
// that is already settled, and for Deleting, which ends in removal).
func settled(state string, enabled bool) string {
	switch state {
	case stateCreating, stateUpdating:
		if enabled {
			return stateEnabled
		}
		return stateDisabled
	case stateEnabling:
		return stateEnabled
	case stateDisabling:
		return stateDisabled
	}
	return ""
}

// afterUpdate is the transitional state an UpdateEventSourceMapping puts a
// mapping in; ok false when the mapping's state takes no update (Deleting).
func afterUpdate(state string, wasEnabled, enabled bool) (string, bool) {
	if state == stateDeleting {
		return "", false
	}
	switch {
	case enabled && !wasEnabled:
		return stateEnabling, true
	case !enabled && wasEnabled:
		return stateDisabling, true
	}
	return stateUpdating, true
}

// The reason Lambda gives for a state the user's call brought about.
const reasonUser = "User action"

// reasonUserQueue is the same reason as Lambda words it for a queue mapping.
const reasonUserQueue = "USER_INITIATED"

// Lambda's LastProcessingResult values.
const (
	resultNone    = "No records processed"
	resultOK      = "OK"
	resultProblem = "PROBLEM: Function call failed"
)

// Starting positions.
const (
	posTrimHorizon = "TRIM_HORIZON"
	posLatest      = "LATEST"
	posAtTimestamp = "AT_TIMESTAMP"
)

// record is one mapping as stored (bucket esm_mappings, key UUID).
type record struct {
	UUID           string    `json:"uuid"`
	Region         string    `json:"region"`
	EventSourceArn string    `json:"eventSourceArn"`
	FunctionArn    string    `json:"functionArn"`
	Created        time.Time `json:"created"`
	LastModified   time.Time `json:"lastModified"`
	State          string    `json:"state"`
	Enabled        bool      `json:"enabled"`

	StartingPosition          string     `json:"startingPosition,omitempty"`
	StartingPositionTimestamp *time.Time `json:"startingPositionTimestamp,omitempty"`

	settings
}

// settings are what CreateEventSourceMapping and UpdateEventSourceMapping both
// set, with their defaults filled in.
type settings struct {
	BatchSize               int      `json:"batchSize"`
	MaxBatchingWindow       int      `json:"maxBatchingWindow"`
	ParallelizationFactor   int      `json:"parallelizationFactor"`
	Filters                 []string `json:"filters,omitempty"`
	OnFailure               string   `json:"onFailure,omitempty"`
	MaxRecordAge            int      `json:"maxRecordAge"`
	Bisect                  bool     `json:"bisect"`
	MaxRetry                int      `json:"maxRetry"`
	TumblingWindow          int      `json:"tumblingWindow"`
	ReportBatchItemFailures bool     `json:"reportBatchItemFailures"`
	// MaxConcurrency is a queue mapping's ScalingConfig.MaximumConcurrency
	// (0: not set).
	MaxConcurrency int `json:"maxConcurrency,omitempty"`
}

// sourceService is the service an event source ARN names ("dynamodb",
// "kinesis", "sqs"), "" when it is no ARN.
func sourceService(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 || p[0] != "arn" {
		return ""
	}
	return p[2]
}

// epochSeconds renders a time as the JSON number of seconds Lambda's model
// gives its Date members of event source mappings, with milliseconds.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatInt(ms/1000, 10) + "." + fmt.Sprintf("%03d", ms%1000)), nil
}

// configuration is EventSourceMappingConfiguration, the shape of every answer.
// A queue mapping shows none of the stream members, as Lambda answers it.
type configuration struct {
	UUID                           string             `json:"UUID"`
	EventSourceMappingArn          string             `json:"EventSourceMappingArn"`
	EventSourceArn                 string             `json:"EventSourceArn"`
	FunctionArn                    string             `json:"FunctionArn"`
	StartingPosition               string             `json:"StartingPosition,omitempty"`
	StartingPositionTimestamp      *epochSeconds      `json:"StartingPositionTimestamp,omitempty"`
	BatchSize                      int                `json:"BatchSize"`
	MaximumBatchingWindowInSeconds int                `json:"MaximumBatchingWindowInSeconds"`
	ParallelizationFactor          *int               `json:"ParallelizationFactor,omitempty"`
	FilterCriteria                 *filterCriteria    `json:"FilterCriteria,omitempty"`
	DestinationConfig              *destinationConfig `json:"DestinationConfig,omitempty"`
	MaximumRecordAgeInSeconds      *int               `json:"MaximumRecordAgeInSeconds,omitempty"`
	BisectBatchOnFunctionError     *bool              `json:"BisectBatchOnFunctionError,omitempty"`
	MaximumRetryAttempts           *int               `json:"MaximumRetryAttempts,omitempty"`
	TumblingWindowInSeconds        *int               `json:"TumblingWindowInSeconds,omitempty"`
	FunctionResponseTypes          []string           `json:"FunctionResponseTypes"`
	ScalingConfig                  *scalingConfig     `json:"ScalingConfig,omitempty"`
	LastModified                   epochSeconds       `json:"LastModified"`
	LastProcessingResult           string             `json:"LastProcessingResult,omitempty"`
	State                          string             `json:"State"`
	StateTransitionReason          string             `json:"StateTransitionReason"`
}

type filterCriteria struct {
	Filters []filter `json:"Filters"`
}

type filter struct {
	Pattern *string `json:"Pattern"`
}

type destinationConfig struct {
	OnSuccess *destination `json:"OnSuccess,omitempty"`
	OnFailure *destination `json:"OnFailure"`
}

type destination struct {
	Destination *string `json:"Destination,omitempty"`
}

// mappingARN is the mapping's own ARN.
func (s *Service) mappingARN(region, uuid string) string {
	return "arn:aws:lambda:" + region + ":" + s.Account + ":event-source-mapping:" + uuid
}

// configuration renders rec, with state as the state to show and result the
// last processing result.
func (s *Service) configuration(rec *record, result string) *configuration {
	c := &configuration{
		UUID:                           rec.UUID,
		EventSourceMappingArn:          s.mappingARN(rec.Region, rec.UUID),
		EventSourceArn:                 rec.EventSourceArn,
		FunctionArn:                    rec.FunctionArn,
		StartingPosition:               rec.StartingPosition,
		BatchSize:                      rec.BatchSize,
		MaximumBatchingWindowInSeconds: rec.MaxBatchingWindow,
		FunctionResponseTypes:          []string{},
		LastModified:                   epochSeconds(rec.LastModified),
		State:                          rec.State,
		StateTransitionReason:          reasonUser,
	}
	if s.Queues[sourceService(rec.EventSourceArn)] != nil {
		c.StateTransitionReason = reasonUserQueue
		if rec.MaxConcurrency > 0 {
			n := rec.MaxConcurrency
			c.ScalingConfig = &scalingConfig{MaximumConcurrency: &n}
		}
	} else {
		pf, age, bisect, retry, tw := rec.ParallelizationFactor, rec.MaxRecordAge, rec.Bisect, rec.MaxRetry, rec.TumblingWindow
		c.ParallelizationFactor, c.MaximumRecordAgeInSeconds, c.BisectBatchOnFunctionError = &pf, &age, &bisect
		c.MaximumRetryAttempts, c.TumblingWindowInSeconds = &retry, &tw
		c.DestinationConfig = &destinationConfig{OnFailure: &destination{}}
		c.LastProcessingResult = result
		if rec.OnFailure != "" {
			c.DestinationConfig.OnFailure.Destination = &rec.OnFailure
		}
	}
	if rec.StartingPositionTimestamp != nil {
		t := epochSeconds(*rec.StartingPositionTimestamp)
		c.StartingPositionTimestamp = &t
	}
	if len(rec.Filters) > 0 {
		c.FilterCriteria = &filterCriteria{}
		for i := range rec.Filters {
			c.FilterCriteria.Filters = append(c.FilterCriteria.Filters, filter{Pattern: &rec.Filters[i]})
		}
	}
	if rec.ReportBatchItemFailures {
		c.FunctionResponseTypes = []string{"ReportBatchItemFailures"}
	}
	return c
}
