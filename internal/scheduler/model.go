package scheduler

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/stratus-run/stratus/internal/delivery"
)

// sched is one schedule as stored, in the wire shape of GetSchedule's
// output where it has one.
type sched struct {
	Name                       string
	GroupName                  string
	ScheduleExpression         string
	ScheduleExpressionTimezone string     `json:",omitempty"`
	StartDate                  *time.Time `json:",omitempty"`
	EndDate                    *time.Time `json:",omitempty"`
	Description                string     `json:",omitempty"`
	State                      string
	FlexibleTimeWindow         flexibleWindow
	Target                     target
	ActionAfterCompletion      string
	KmsKeyArn                  string `json:",omitempty"`
	Created, Modified          time.Time
	// Since is the schedule time occurrences count from: creation, a new
	// expression, or being enabled again.
	Since time.Time
}

type flexibleWindow struct {
	Mode                   string `json:"Mode"`
	MaximumWindowInMinutes *int   `json:"MaximumWindowInMinutes,omitempty"`
}

// target is a schedule's target. Parameters of targets Stratus does not run
// (ECS, Kinesis, SageMaker) are refused, not kept.
type target struct {
	Arn                   string                 `json:"Arn"`
	RoleArn               string                 `json:"RoleArn"`
	Input                 *string                `json:"Input,omitempty"`
	RetryPolicy           *delivery.RetryPolicy  `json:"RetryPolicy,omitempty"`
	DeadLetterConfig      *deadLetter            `json:"DeadLetterConfig,omitempty"`
	SqsParameters         *sqsParameters         `json:"SqsParameters,omitempty"`
	EventBridgeParameters *eventBridgeParameters `json:"EventBridgeParameters,omitempty"`
	EcsParameters         json.RawMessage        `json:"EcsParameters,omitempty"`
	KinesisParameters     json.RawMessage        `json:"KinesisParameters,omitempty"`
	SageMakerParameters   json.RawMessage        `json:"SageMakerPipelineParameters,omitempty"`
}

type deadLetter struct {
	Arn string `json:"Arn,omitempty"`
}

type sqsParameters struct {
	MessageGroupId string `json:"MessageGroupId,omitempty"`
}

type eventBridgeParameters struct {
	DetailType string `json:"DetailType"`
	Source     string `json:"Source"`
}

// group is one schedule group as stored.
type group struct {
	Name              string
	Created, Modified time.Time
}

// tick is the last occurrence of a schedule handed to delivery, so that a
// restart fires none twice.
type tick struct {
	At time.Time
}

// epoch is a timestamp as restJson1 sends it: seconds since 1970, fractional.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)), nil
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return err
		}
		t, perr := time.Parse(time.RFC3339Nano, s)
		if perr != nil {
			return err
		}
		*e = epoch(t)
		return nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return &json.UnsupportedValueError{Str: string(b)}
	}
	sec, frac := math.Modf(f)
	*e = epoch(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

func epochOf(t *time.Time) *epoch {
	if t == nil {
		return nil
	}
	e := epoch(*t)
	return &e
}

func timeOf(e *epoch) *time.Time {
	if e == nil {
		return nil
	}
	t := time.Time(*e).UTC()
	return &t
}

func key(parts ...string) string {
	k := ""
	for i, p := range parts {
		if i > 0 {
			k += "."
		}
		k += hex.EncodeToString([]byte(p))
	}
	return k
}
